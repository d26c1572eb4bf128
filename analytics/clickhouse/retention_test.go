package clickhouse_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"

	"heed/analytics"
	"heed/analytics/clickhouse/chtest"
)

// storedAnswer is a response as FINAL keeps it.
type storedAnswer struct {
	comment, respondent string
	keys                []string
	score               uint8
	reasons             []string
}

func finalAnswers(t *testing.T, db *chtest.DB, table, survey string) map[string]storedAnswer {
	t.Helper()
	rows, err := db.Query(context.Background(), "SELECT toString(response_id), comment, respondent, property_keys, score, reasons FROM "+table+
		" FINAL WHERE survey_id = ?", survey)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]storedAnswer{}
	for rows.Next() {
		var id string
		var a storedAnswer
		if err := rows.Scan(&id, &a.comment, &a.respondent, &a.keys, &a.score, &a.reasons); err != nil {
			t.Fatal(err)
		}
		out[id] = a
	}
	return out
}

// TestRetentionAnonymisesOldAnswers: answers first given before the
// survey's retention lose their comment, respondent and properties (and
// the churn report's row, the dismissal, the case note that link them to
// their person), newer ones keep theirs, and the weekly report is the same
// before and after, after every merge. A follow-up of an old answer that
// arrives after the run is stored anonymised, so no merge brings its
// comment back.
func TestRetentionAnonymisesOldAnswers(t *testing.T) {
	db := chtest.Open(t, "heed_test_ch_retention")
	ctx := context.Background()
	const survey = "keep30"
	now := time.Now().UTC()
	id := func(n int) uuid.UUID { return uuid.MustParse(fmt.Sprintf("00000000-0000-4000-8000-%012d", n)) }
	type seed struct {
		n           int
		age         time.Duration
		score       uint8
		reasons     []string
		comment     string
		respondent  string
		unconfirmed bool
		old         bool
	}
	day := 24 * time.Hour
	seeds := []seed{
		{1, 60 * day, 2, []string{"price"}, "old comment one", "cust-old-1", false, true},
		{2, 45 * day, 9, nil, "old comment two", "cust-old-2", false, true},
		{3, 31 * day, 6, []string{"rude_service"}, "old comment three", "cust-both", false, true},
		{4, 35 * day, 10, nil, "old scanner click", "cust-old-4", true, true},
		{5, 20 * day, 7, []string{"price"}, "new comment five", "cust-new-5", false, false},
		{6, 2 * day, 3, []string{"rude_service"}, "new comment six", "cust-both", false, false},
	}
	var rows []analytics.Response
	for _, s := range seeds {
		at := now.Add(-s.age)
		rows = append(rows, analytics.Response{SurveyID: survey, ResponseID: id(s.n), CreatedAt: at, Version: uint64(at.UnixNano()), First: true,
			Score: s.score, Reasons: s.reasons, Comment: s.comment, Channel: analytics.ChannelWidget, Respondent: s.respondent,
			Properties: map[string]string{"plan": "pro", "name": "person " + s.respondent}, Unconfirmed: s.unconfirmed})
	}
	if err := db.InsertResponses(ctx, rows); err != nil {
		t.Fatal(err)
	}
	// The previous layout's table, kept as it was, holds an old answer too.
	old := now.Add(-50 * day)
	if err := db.InsertRows(ctx, legacyInsert, [][]any{{survey, old, id(9), uint64(old.UnixNano()), uint8(5), []string{}, "legacy comment",
		"api", "cust-legacy", []string{"plan"}, []string{"pro"}, uint8(1), ""}}); err != nil {
		t.Fatal(err)
	}
	if err := db.InsertDismissals(ctx, []analytics.Dismissal{
		{SurveyID: survey, DismissalID: id(101), CreatedAt: now.Add(-40 * day), Respondent: "cust-old-1"},
		{SurveyID: survey, DismissalID: id(102), CreatedAt: now.Add(-1 * day), Respondent: "cust-new-5"},
	}); err != nil {
		t.Fatal(err)
	}
	for _, n := range []int{1, 6} {
		s := seeds[n-1]
		if err := db.SaveCase(ctx, analytics.CaseState{SurveyID: survey, ResponseID: id(s.n), OpenedAt: now.Add(-s.age).Truncate(time.Second),
			Status: analytics.CaseOpen, Assignee: "Manager Mo"}, &analytics.CaseNote{At: now.Add(-s.age + time.Hour), Author: "Manager Mo",
			Text: fmt.Sprintf("called %s back", s.respondent)}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.RefreshDays(ctx); err != nil {
		t.Fatal(err)
	}
	sv := &analytics.Survey{ID: survey, RetentionDays: 30, Reasons: []analytics.Reason{{ID: "price", Label: "Price"}, {ID: "rude_service", Label: "Rude"}}}
	weekly := analytics.ReportQuery{Survey: sv, From: now.AddDate(0, 0, -70).Truncate(day), To: now.Truncate(day).AddDate(0, 0, 1), Interval: analytics.Week}
	report := func() string {
		t.Helper()
		var out []byte
		for _, q := range []analytics.ReportQuery{weekly, {Survey: sv, From: weekly.From, To: weekly.To, Interval: analytics.Week, IncludeUnconfirmed: true}} {
			rep, err := db.Report(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			b, err := json.Marshal(rep)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, b...)
		}
		return string(out)
	}
	before := report()

	sum, err := db.AnonymiseAnswers(ctx, survey, sv.RetentionCutoff(now), time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if !sum.Done || sum.Answers != 5 || sum.Customers == 0 || sum.Dismissals != 1 || sum.CaseNotes != 1 {
		t.Fatalf("summary %+v: want done, 5 answer rows (4 and the legacy one), last answers, 1 dismissal, 1 note", sum)
	}
	// A late follow-up of an old answer (same score and reasons), stored
	// as heed serve stores it: with the survey's retention applied.
	db.SetRetention(func(surveyID string, at time.Time) time.Time {
		if surveyID == survey {
			return sv.RetentionCutoff(at)
		}
		return time.Time{}
	})
	if err := db.InsertResponses(ctx, []analytics.Response{{SurveyID: survey, ResponseID: id(1), CreatedAt: now, Version: uint64(now.UnixNano()),
		Score: 2, Reasons: []string{"price"}, Comment: "late comment, after retention", Channel: analytics.ChannelWidget, Respondent: "cust-old-1",
		Properties: map[string]string{"plan": "pro"}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.RefreshDays(ctx); err != nil {
		t.Fatal(err)
	}
	optimizeAll(t, db)

	got := finalAnswers(t, db, "answers", survey)
	for _, s := range seeds {
		a, ok := got[id(s.n).String()]
		if !ok {
			t.Fatalf("answer %d gone", s.n)
		}
		if s.old {
			if a.comment != "" || a.respondent != "" || len(a.keys) != 0 {
				t.Errorf("old answer %d keeps %+v", s.n, a)
			}
		} else if a.comment != s.comment || a.respondent != s.respondent || len(a.keys) != 2 {
			t.Errorf("new answer %d changed: %+v", s.n, a)
		}
		if a.score != s.score || fmt.Sprint(a.reasons) != fmt.Sprint(s.reasons) && len(s.reasons)+len(a.reasons) > 0 {
			t.Errorf("answer %d score or reasons changed: %+v", s.n, a)
		}
	}
	if a := finalAnswers(t, db, "responses", survey)[id(9).String()]; a.comment != "" || a.respondent != "" || len(a.keys) != 0 {
		t.Errorf("legacy answer keeps %+v", a)
	}
	if after := report(); after != before {
		t.Errorf("weekly report changed:\nbefore %s\nafter  %s", before, after)
	}
	var n uint64
	checks := []struct {
		what string
		q    string
		want uint64
	}{
		{"old customers' last answers", "SELECT count() FROM answer_customers WHERE survey_id = ? AND respondent LIKE 'cust-old%'", 0},
		{"newer last answers", "SELECT count() FROM answer_customers WHERE survey_id = ? AND respondent IN ('cust-new-5', 'cust-both')", 2},
		{"old dismissal", "SELECT count() FROM dismissals WHERE survey_id = ? AND respondent = 'cust-old-1'", 0},
		{"new dismissal", "SELECT count() FROM dismissals WHERE survey_id = ? AND respondent = 'cust-new-5'", 1},
		{"old case note", "SELECT count() FROM case_notes WHERE survey_id = ? AND text LIKE '%cust-old-1%'", 0},
		{"new case note", "SELECT count() FROM case_notes WHERE survey_id = ? AND text = 'called cust-both back'", 1},
		{"cases", "SELECT count() FROM cases FINAL WHERE survey_id = ?", 2},
		{"old days' property segments", "SELECT count() FROM answer_days WHERE survey_id = ? AND day < today() - 31 AND arrayExists(k -> notEmpty(k), seg_keys)", 0},
		{"late comment", "SELECT count() FROM answers WHERE survey_id = ? AND comment LIKE 'late%'", 0},
	}
	for _, c := range checks {
		if err := db.QueryRow(ctx, c.q, survey).Scan(&n); err != nil {
			t.Fatalf("%s: %v", c.what, err)
		}
		if n != c.want {
			t.Errorf("%s: %d rows, want %d", c.what, n, c.want)
		}
	}

	// Another run finds nothing to do and rewrites nothing.
	again, err := db.AnonymiseAnswers(ctx, survey, sv.RetentionCutoff(time.Now()), time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if again.Changed() || !again.Done {
		t.Errorf("second run: %+v", again)
	}
}
