package analytics

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

// groupSurvey asks detractors and promoters their own follow-ups; passives
// get the top-level reasons.
func groupSurvey() *Survey {
	return &Survey{ID: "g", Reasons: []Reason{{ID: "other", Label: "Other"}},
		FollowUps: &FollowUps{
			Detractors: &FollowUp{Question: "What went wrong?", Reasons: []Reason{{ID: "rude_service", Label: "Rude"}, {ID: "price", Label: "Price"}}},
			Promoters:  &FollowUp{Question: "What did you like most?", Reasons: []Reason{{ID: "helpful_staff", Label: "Helpful staff"}}},
		}}
}

func TestGroupOf(t *testing.T) {
	want := []string{"detractors", "detractors", "detractors", "detractors", "detractors", "detractors", "detractors",
		"passives", "passives", "promoters", "promoters"}
	for score := uint8(0); score <= MaxScore; score++ {
		if got := GroupOf(score); got != want[score] {
			t.Errorf("GroupOf(%d) = %s, want %s", score, got, want[score])
		}
	}
}

func TestFollowUp(t *testing.T) {
	old := &Survey{ID: "o", Reasons: []Reason{{ID: "price", Label: "Price"}, {ID: "rude_service", Label: "Rude"}}}
	tests := []struct {
		name     string
		sv       *Survey
		score    uint8
		question string
		reasons  string // ids joined by ","
	}{
		{"old survey, detractor", old, 0, "", "price,rude_service"},
		{"old survey, passive", old, 7, "", "price,rude_service"},
		{"old survey, promoter", old, 10, "", "price,rude_service"},
		{"detractor", groupSurvey(), 6, "What went wrong?", "rude_service,price"},
		{"passive without a follow-up of its own", groupSurvey(), 8, "", "other"},
		{"promoter", groupSurvey(), 9, "What did you like most?", "helpful_staff"},
		{"empty follow_ups", &Survey{Reasons: old.Reasons, FollowUps: &FollowUps{}}, 3, "", "price,rude_service"},
		{"a group with a question and no reasons", &Survey{Reasons: old.Reasons, FollowUps: &FollowUps{Passives: &FollowUp{Question: "What would make it a 10?"}}}, 7, "What would make it a 10?", ""},
	}
	for _, tt := range tests {
		q, reasons := tt.sv.FollowUp(tt.score)
		var ids []string
		for _, r := range reasons {
			ids = append(ids, r.ID)
		}
		if q != tt.question || strings.Join(ids, ",") != tt.reasons {
			t.Errorf("%s: FollowUp(%d) = %q %v, want %q [%s]", tt.name, tt.score, q, ids, tt.question, tt.reasons)
		}
	}
}

func TestAllReasons(t *testing.T) {
	got := groupSurvey().AllReasons()
	want := []OfferedReason{
		{Reason{"other", "Other"}, []string{"passives"}, false},
		{Reason{"rude_service", "Rude"}, []string{"detractors"}, false},
		{Reason{"price", "Price"}, []string{"detractors"}, false},
		{Reason{"helpful_staff", "Helpful staff"}, []string{"promoters"}, false},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("AllReasons = %v, want %v", got, want)
	}
	// A survey without follow_ups: its reasons, offered to everyone.
	old := &Survey{Reasons: []Reason{{ID: "price", Label: "Price"}}}
	if got := old.AllReasons(); !reflect.DeepEqual(got, []OfferedReason{{Reason{"price", "Price"}, Groups, false}}) {
		t.Errorf("old survey: AllReasons = %v", got)
	}
}

func TestReasonLookupAcrossGroups(t *testing.T) {
	sv := groupSurvey()
	for _, id := range []string{"other", "rude_service", "helpful_staff"} {
		if !sv.HasReason(id) {
			t.Errorf("HasReason(%q) = false", id)
		}
	}
	if sv.HasReason("weather") {
		t.Error("HasReason(weather) = true")
	}
	if got := sv.ReasonLabels([]string{"helpful_staff", "gone", "other", "price"}); strings.Join(got, "|") != "Helpful staff|Other|Price" {
		t.Errorf("ReasonLabels = %v", got)
	}
}

// TestResponseValidateGroups: an answer cites only reasons offered to its
// score's group; a survey without follow_ups offers its reasons to all.
func TestResponseValidateGroups(t *testing.T) {
	old := &Survey{ID: "o", Reasons: []Reason{{ID: "price", Label: "Price"}, {ID: "rude_service", Label: "Rude"}}}
	tests := []struct {
		name    string
		sv      *Survey
		score   uint8
		reasons []string
		want    string // substring of the reasons message; "" = valid
	}{
		{"old survey: a promoter cites a complaint", old, 10, []string{"rude_service"}, ""},
		{"old survey: a detractor cites both", old, 2, []string{"price", "rude_service"}, ""},
		{"old survey: unknown reason", old, 2, []string{"helpful_staff"}, `"helpful_staff" is not a reason of this survey`},
		{"detractor cites detractor reasons", groupSurvey(), 3, []string{"price", "rude_service"}, ""},
		{"promoter cites a promoter reason", groupSurvey(), 10, []string{"helpful_staff"}, ""},
		{"passive cites a top-level reason", groupSurvey(), 7, []string{"other"}, ""},
		{"promoter cites a detractor-only reason", groupSurvey(), 9, []string{"rude_service"}, `"rude_service" is not offered to promoters (score 9)`},
		{"detractor cites a promoter reason", groupSurvey(), 0, []string{"helpful_staff"}, `"helpful_staff" is not offered to detractors (score 0)`},
		{"detractor cites a top-level reason passives get", groupSurvey(), 6, []string{"other"}, "not offered to detractors"},
		{"passive cites a detractor reason", groupSurvey(), 8, []string{"price"}, "not offered to passives"},
		{"no reasons at all", groupSurvey(), 9, nil, ""},
	}
	for _, tt := range tests {
		r := Response{SurveyID: tt.sv.ID, Score: tt.score, Reasons: tt.reasons, Channel: ChannelWidget}
		err := r.Validate(tt.sv)
		var fields FieldErrors
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("%s: %v", tt.name, err)
		case tt.want != "" && (!errors.As(err, &fields) || !strings.Contains(fields["reasons"], tt.want) || len(fields) != 1):
			t.Errorf("%s: %v (%v), want reasons: ...%s...", tt.name, err, fields, tt.want)
		}
	}
}

// TestReportGroups: each reason's stats name its groups, and its share
// among its group counts only the respondents it is offered to.
func TestReportGroups(t *testing.T) {
	q := ReportQuery{Survey: groupSurvey(), From: mustDay("2026-11-02"), To: mustDay("2026-11-09"), Interval: Week}
	rep := NewReport(q)
	week := mustDay("2026-11-02")
	for _, a := range []struct {
		score   uint8
		reasons []string
		n       int
	}{
		{2, []string{"rude_service"}, 3},
		{5, []string{"price", "rude_service"}, 1},
		{6, nil, 1},
		{8, []string{"other"}, 1},
		{7, nil, 1},
		{10, []string{"helpful_staff"}, 2},
		{9, nil, 2},
	} {
		if err := rep.Add(week, a.score, a.reasons, a.n); err != nil {
			t.Fatal(err)
		}
	}
	rep.Finish()
	tot := rep.Total
	if tot.Responses != 11 || tot.Detractors != 5 || tot.Passives != 2 || tot.Promoters != 4 {
		t.Fatalf("total = %+v", tot)
	}
	tests := []struct {
		id                 string
		groups             []string
		count              int
		ofGroups, ofDetrac float64
	}{
		{"rude_service", []string{"detractors"}, 4, 0.8, 0.8}, // 4 of 5 detractors
		{"price", []string{"detractors"}, 1, 0.2, 0.2},        // 1 of 5
		{"other", []string{"passives"}, 1, 0.5, 0},            // 1 of 2 passives
		{"helpful_staff", []string{"promoters"}, 2, 0.5, 0},   // 2 of 4 promoters
	}
	for _, tt := range tests {
		st, ok := tot.Reasons[tt.id]
		if !ok {
			t.Errorf("%s: not in the report", tt.id)
			continue
		}
		if !reflect.DeepEqual(st.Groups, tt.groups) || st.Count != tt.count || st.Among[tt.groups[0]].Share != tt.ofGroups || st.ShareOfDetractors != tt.ofDetrac {
			t.Errorf("%s = %+v, want groups %v count %d share among its group %v share_of_detractors %v", tt.id, st, tt.groups, tt.count, tt.ofGroups, tt.ofDetrac)
		}
	}
	if len(tot.Reasons) != 4 {
		t.Errorf("reasons = %v, want the 4 of the survey", tot.Reasons)
	}
}

// TestReportGroupsOldSurvey: a survey without follow_ups reports as before,
// its reasons offered to every group.
func TestReportGroupsOldSurvey(t *testing.T) {
	sv := &Survey{ID: "o", Reasons: []Reason{{ID: "rude_service", Label: "Rude"}}}
	q := ReportQuery{Survey: sv, From: mustDay("2026-11-02"), To: mustDay("2026-11-09"), Interval: Week}
	rep := NewReport(q)
	week := mustDay("2026-11-02")
	rep.Add(week, 3, []string{"rude_service"}, 1)
	rep.Add(week, 9, []string{"rude_service"}, 1)
	rep.Add(week, 10, nil, 2)
	rep.Finish()
	st := rep.Total.Reasons["rude_service"]
	if !reflect.DeepEqual(st.Groups, Groups) || st.Count != 2 || st.ShareOfDetractors != 1 || st.ShareOfResponses != 0.5 || st.Among[GroupPromoters].Share != 0.3333 {
		t.Errorf("rude_service = %+v", st)
	}
}

func mustDay(s string) time.Time {
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return d
}
