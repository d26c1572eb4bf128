package analytics

import (
	"errors"
	"maps"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

// fuzzSurvey offers price and rude_service to detractors and passives, and
// promoters a follow-up of their own (helpful_staff); slow_delivery is
// retired (reported, offered to nobody).
func fuzzSurvey() *Survey {
	return &Survey{ID: "fz", Name: "Fuzz",
		Reasons:        []Reason{{ID: "price", Label: "Price"}, {ID: "rude_service", Label: "Rude or unhelpful service"}},
		FollowUps:      &FollowUps{Promoters: &FollowUp{Question: "What did you like?", Reasons: []Reason{{ID: "helpful_staff", Label: "Helpful staff"}}}},
		RetiredReasons: []RetiredReason{{Reason: Reason{ID: "slow_delivery", Label: "Slow"}, Groups: []string{GroupDetractors}}}}
}

// referenceResponseFaults is the answer rules written out once more, field
// by field, from the README and the limits: what Validate must name.
func referenceResponseFaults(r *Response) map[string]bool {
	bad := map[string]bool{}
	runes := utf8.RuneCountInString
	// Identifiers hold no control character (C0, DEL, C1: unicode.IsControl,
	// tab and newline included), no bidi embedding, override or isolate,
	// and no invalid UTF-8 (text.go).
	control := func(s string) bool {
		return !utf8.ValidString(s) || strings.ContainsFunc(s, func(r rune) bool {
			return unicode.IsControl(r) || (r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069)
		})
	}
	if r.Score > 10 {
		bad["score"] = true
	}
	offered := map[string]bool{"price": r.Score <= 8, "rude_service": r.Score <= 8, "helpful_staff": r.Score >= 9 && r.Score <= 10}
	known := map[string]bool{"price": true, "rude_service": true, "helpful_staff": true}
	seen := map[string]bool{}
	for _, id := range r.Reasons {
		if seen[id] || !known[id] || (r.Score <= 10 && !offered[id]) {
			bad["reasons"] = true
		}
		seen[id] = true
	}
	if len(r.Reasons) > 20 {
		bad["reasons"] = true
	}
	// The comment is judged as stored: cleaned first (CleanText, tested on
	// its own in TestCleanText).
	if runes(CleanText(r.Comment)) > 2000 {
		bad["comment"] = true
	}
	if !slices.Contains([]string{"widget", "email", "link", "api"}, r.Channel) {
		bad["channel"] = true
	}
	if runes(r.Respondent) > 200 || control(r.Respondent) {
		bad["respondent"] = true
	}
	if len(r.Properties) > 20 {
		bad["properties"] = true
	}
	for k, v := range r.Properties {
		if k == "" || runes(k) > 100 || control(k) || runes(v) > 500 || control(v) {
			bad["properties"] = true
		}
	}
	return bad
}

// repeat repeats s n times, stopping once past twice limit characters:
// enough to cross a limit, and cheap for the fuzzer to run.
func repeat(s string, n uint8, limit int) string {
	var b strings.Builder
	for i := 0; i < int(n) && b.Len() <= 2*limit*utf8.UTFMax; i++ {
		b.WriteString(s)
	}
	return b.String()
}

// FuzzResponseValidate: Validate never panics, accepts exactly the answers
// the written-out rules accept (score 0-10, reasons of the survey offered
// to the score's group and not repeated, at most 20, comment up to 2000
// characters once cleaned, a known channel, respondent up to 200 without
// control characters, up to 20 properties with valid names and values up
// to 500, neither with control characters), and names exactly the fields at
// fault; an accepted answer stays accepted when validated again.
func FuzzResponseValidate(f *testing.F) {
	f.Add(uint8(3), "rude_service", "Nobody helped me", uint8(1), "api", "cust-42", uint8(1), "plan", "pro", uint8(1), uint8(0))
	f.Add(uint8(10), "helpful_staff,helpful_staff", "", uint8(0), "widget", "", uint8(0), "", "", uint8(0), uint8(0))
	f.Add(uint8(11), "price", "x", uint8(255), "sms", "r", uint8(250), "bad\x00key", "v", uint8(255), uint8(25))
	f.Add(uint8(9), "price", "é", uint8(200), "email", "ü", uint8(201), "k", "€", uint8(167), uint8(20))
	f.Add(uint8(7), "slow_delivery", "ok", uint8(1), "link", "", uint8(0), strings.Repeat("k", 101), "v", uint8(1), uint8(21))
	f.Add(uint8(0), "", "\xff\xfe", uint8(1), "", "\xff", uint8(1), "\u0085", "", uint8(1), uint8(0))
	f.Fuzz(func(t *testing.T, score uint8, reasons, comment string, commentRep uint8, channel, respondent string, respondentRep uint8,
		key, value string, valueRep uint8, filler uint8) {
		sv := fuzzSurvey()
		r := Response{SurveyID: sv.ID, Score: score, Comment: repeat(comment, commentRep, MaxComment), Channel: channel,
			Respondent: repeat(respondent, respondentRep, MaxRespondent)}
		if reasons != "" {
			r.Reasons = strings.Split(reasons, ",")
		}
		if key != "" || value != "" || filler > 0 {
			r.Properties = map[string]string{}
			for i := range int(filler % 32) {
				r.Properties["p"+strconv.Itoa(i)] = "v"
			}
			r.Properties[key] = repeat(value, valueRep, MaxPropertyValue)
		}
		want := referenceResponseFaults(&r)
		err := r.Validate(sv)
		if len(want) == 0 {
			if err != nil {
				t.Fatalf("Validate refused a valid answer: %v (%+v)", err, r)
			}
			if err := r.Validate(sv); err != nil {
				t.Fatalf("an accepted answer does not re-validate: %v", err)
			}
			return
		}
		var fe FieldErrors
		if !errors.As(err, &fe) {
			t.Fatalf("Validate accepted an answer at fault in %v (%+v), or gave no field errors: %v", want, r, err)
		}
		got := map[string]bool{}
		for k, msg := range fe {
			if msg == "" {
				t.Fatalf("field %q refused without a message", k)
			}
			got[k] = true
		}
		if !maps.Equal(got, want) {
			t.Fatalf("Validate names %v, want %v (%+v)", slices.Sorted(maps.Keys(got)), slices.Sorted(maps.Keys(want)), r)
		}
	})
}
