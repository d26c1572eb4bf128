package analytics

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestParseImportTime(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want string // RFC 3339, "" = refused
	}{
		{"2026-03-01T10:00:00Z", "2026-03-01T10:00:00Z"},
		{"2026-03-01T12:00:00+02:00", "2026-03-01T10:00:00Z"},
		{"2026-03-01", "2026-03-01T00:00:00Z"},
		{"1713418460", "2024-04-18T05:34:20Z"},
		{" 1713418460 ", "2024-04-18T05:34:20Z"},
		{"2026-03-01 10:00:00", "2026-03-01T10:00:00Z"},
		{"2026-03-01 10:00:00 -0500", "2026-03-01T15:00:00Z"},
		{"2026-03-01T10:00:00", "2026-03-01T10:00:00Z"},
		{"", ""},
		{"01/03/2026", ""},
		{"0", ""},
		{"-5", ""},
		{"tomorrow", ""},
		{"1969-12-31", ""},
	} {
		got, err := ParseImportTime(tt.in)
		if tt.want == "" {
			if err == nil {
				t.Errorf("ParseImportTime(%q) = %v, want an error", tt.in, got)
			}
			continue
		}
		if err != nil || got.Format(time.RFC3339) != tt.want {
			t.Errorf("ParseImportTime(%q) = %v, %v; want %s", tt.in, got, err, tt.want)
		}
	}
}

func importSurvey() *Survey {
	return &Survey{ID: "s1", Reasons: []Reason{{ID: "price", Label: "Too expensive"}, {ID: "support", Label: "Support"}},
		FollowUps: &FollowUps{Promoters: &FollowUp{Reasons: []Reason{{ID: "ease", Label: "Easy to use"}}}}}
}

func TestImporterConvert(t *testing.T) {
	now := time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC)
	im := NewImporter(importSurvey(), "delighted", now)
	long := strings.Repeat("é", MaxComment+5)
	for _, tt := range []struct {
		name    string
		rec     ImportRecord
		refused string // the field refused
		check   func(t *testing.T, a ImportedAnswer)
	}{
		{name: "email answer", rec: ImportRecord{SourceID: "1", Score: "3", CreatedAt: "1713418460", Email: " Ann@Example.com ", Name: "Ann"},
			check: func(t *testing.T, a ImportedAnswer) {
				r := a.Response
				if r.Respondent != ContactID("ann@example.com") || r.Channel != ChannelEmail || a.Contact == nil || a.Contact.Email != "ann@example.com" || a.Contact.Name != "Ann" {
					t.Errorf("respondent %q channel %q contact %+v", r.Respondent, r.Channel, a.Contact)
				}
				if r.CreatedAt != time.Unix(1713418460, 0).UTC() || r.Version != uint64(time.Unix(1713418460, 0).UnixNano()) || r.Unconfirmed || !r.First {
					t.Errorf("created %v version %d", r.CreatedAt, r.Version)
				}
				if r.ResponseID != ImportResponseID("s1", "delighted", "id:1") {
					t.Errorf("id %v", r.ResponseID)
				}
			}},
		{name: "anonymous", rec: ImportRecord{Score: "10", CreatedAt: "2026-01-01", Respondent: "cust-9"},
			check: func(t *testing.T, a ImportedAnswer) {
				if a.Contact != nil || a.Response.Respondent != "cust-9" || a.Response.Channel != ChannelAPI {
					t.Errorf("%+v", a)
				}
			}},
		{name: "bad email is anonymous with a warning", rec: ImportRecord{Score: "8", CreatedAt: "2026-01-01", Email: "not-an-address"},
			check: func(t *testing.T, a ImportedAnswer) {
				if a.Contact != nil || a.Response.Respondent != "" || len(a.Warnings) != 1 {
					t.Errorf("%+v", a)
				}
			}},
		{name: "reasons by label, id, any case; offered to the group only", rec: ImportRecord{Score: "2", CreatedAt: "2026-01-01",
			Choices: []ImportChoice{{ID: "x1", Text: "too EXPENSIVE"}, {Text: "SUPPORT"}, {Text: "Easy to use"}, {Text: "Yes"}, {Text: "support"}}},
			check: func(t *testing.T, a ImportedAnswer) {
				if !reflect.DeepEqual(a.Response.Reasons, []string{"price", "support"}) || !reflect.DeepEqual(a.UnknownChoices, []string{"Easy to use", "Yes"}) {
					t.Errorf("reasons %v unknown %v", a.Response.Reasons, a.UnknownChoices)
				}
			}},
		{name: "a cell of several choices", rec: ImportRecord{Score: "9", CreatedAt: "2026-01-01", Choices: []ImportChoice{{Text: "Easy to use; Fast"}}},
			check: func(t *testing.T, a ImportedAnswer) {
				if !reflect.DeepEqual(a.Response.Reasons, []string{"ease"}) || !reflect.DeepEqual(a.UnknownChoices, []string{"Fast"}) {
					t.Errorf("reasons %v unknown %v", a.Response.Reasons, a.UnknownChoices)
				}
			}},
		{name: "limits cut with warnings", rec: ImportRecord{Score: "5", CreatedAt: "2026-01-01", Comment: long,
			Properties: append(manyProperties(MaxProperties+2), ImportProperty{"plan", strings.Repeat("x", MaxPropertyValue+1)}), Tags: []string{"vip", " ", "late"}},
			check: func(t *testing.T, a ImportedAnswer) {
				r := a.Response
				if TooLong(r.Comment, MaxComment) || len(r.Properties) != MaxProperties || r.Validate(importSurvey()) != nil {
					t.Errorf("comment %d props %d", len(r.Comment), len(r.Properties))
				}
				if len(a.Warnings) < 3 {
					t.Errorf("warnings %v", a.Warnings)
				}
			}},
		{name: "tags", rec: ImportRecord{Score: "5", CreatedAt: "2026-01-01", Tags: []string{"vip", " ", "late"}},
			check: func(t *testing.T, a ImportedAnswer) {
				if a.Response.Properties["tags"] != "vip, late" {
					t.Errorf("%v", a.Response.Properties)
				}
			}},
		{name: "score 11", rec: ImportRecord{Score: "11", CreatedAt: "2026-01-01"}, refused: "score"},
		{name: "score 7.5", rec: ImportRecord{Score: "7.5", CreatedAt: "2026-01-01"}, refused: "score"},
		{name: "no score", rec: ImportRecord{CreatedAt: "2026-01-01"}, refused: "score"},
		{name: "bad date", rec: ImportRecord{Score: "1", CreatedAt: "03/01/2026"}, refused: "created_at"},
		{name: "future", rec: ImportRecord{Score: "1", CreatedAt: "2027-01-01"}, refused: "created_at"},
		{name: "csat", rec: ImportRecord{Score: "4", CreatedAt: "2026-01-01", SurveyType: "csat"}, refused: "survey_type"},
		{name: "bad channel", rec: ImportRecord{Score: "4", CreatedAt: "2026-01-01", Channel: "sms"}, refused: "channel"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			a, err := im.Convert(&tt.rec)
			if tt.refused != "" {
				if field, _ := Refusal(err); err == nil || field != tt.refused {
					t.Fatalf("err %v, want %s refused", err, tt.refused)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, a)
		})
	}
}

func manyProperties(n int) []ImportProperty {
	var out []ImportProperty
	for i := 0; i < n; i++ {
		out = append(out, ImportProperty{Key: "k" + string(rune('a'+i)), Value: "v"})
	}
	return out
}

// The same content gives the same id, so a file without ids imports once.
func TestImportIDsAreDeterministic(t *testing.T) {
	im := NewImporter(importSurvey(), "csv", time.Now())
	rec := ImportRecord{Score: "7", CreatedAt: "2026-01-01", Comment: "ok", Properties: []ImportProperty{{"b", "2"}, {"a", "1"}}}
	a1, _ := im.Convert(&rec)
	rec.Properties = []ImportProperty{{"a", "1"}, {"b", "2"}}
	a2, _ := im.Convert(&rec)
	rec.Comment = "other"
	a3, _ := im.Convert(&rec)
	if a1.Response.ResponseID != a2.Response.ResponseID || a1.Response.ResponseID == a3.Response.ResponseID {
		t.Errorf("ids %v %v %v", a1.Response.ResponseID, a2.Response.ResponseID, a3.Response.ResponseID)
	}
	other := NewImporter(&Survey{ID: "s2"}, "csv", time.Now())
	if b, _ := other.Convert(&rec); b.Response.ResponseID == a3.Response.ResponseID {
		t.Error("two surveys share an id")
	}
}
