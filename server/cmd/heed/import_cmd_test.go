package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"heed/analytics"
	"heed/analytics/clickhouse/chtest"
)

func importTestSurvey() *analytics.Survey {
	return &analytics.Survey{ID: "imp", Name: "Imported", Question: "How likely...?",
		Reasons:   []analytics.Reason{{ID: "price", Label: "Too expensive"}, {ID: "support", Label: "Slow support"}},
		FollowUps: &analytics.FollowUps{Promoters: &analytics.FollowUp{Reasons: []analytics.Reason{{ID: "ease", Label: "Easy to use"}}}}}
}

// TestImportDelighted runs `heed import delighted` on a CSV export and on
// API pages as a manager would: original dates kept, email answers linked
// to contacts, select answers read as reasons, refused lines listed by
// number, a second import adding nothing (also after OPTIMIZE ... FINAL),
// and a report over the imported range that matches the file.
func TestImportDelighted(t *testing.T) {
	name := "heed_test_cmd_import"
	db := chtest.Open(t, name)
	ctx := context.Background()
	sv := importTestSurvey()
	if err := db.SaveSurvey(ctx, sv); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()

	// The CSV export: scores over three months of 2025, a few bad lines.
	start := time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)
	var csvBody strings.Builder
	csvBody.WriteString("\ufeffResponse ID,Score,Comment,Response Timestamp,Email,Name,Tags,Plan,Why?\n")
	type row struct {
		score int
		at    time.Time
	}
	var good []row
	for i := 0; i < 60; i++ {
		score, at := (i*7)%11, start.Add(time.Duration(i)*37*time.Hour)
		reason := ""
		switch {
		case score <= 6 && i%2 == 0:
			reason = "too expensive"
		case score >= 9:
			reason = "Easy to use; Free coffee"
		}
		fmt.Fprintf(&csvBody, "d%d,%d,\"comment %d, with a comma\",%s,user%d@example.com,User %d,\"vip,q1\",pro,%s\n",
			i, score, i, at.Format("2006-01-02 15:04:05 -0700"), i%40, i%40, reason)
		good = append(good, row{score, at})
	}
	csvBody.WriteString("bad1,11,too high,2025-03-02,x@example.com,,,,\n") // line 62
	csvBody.WriteString("bad2,5,no date,,y@example.com,,,,\n")             // line 63
	csvBody.WriteString("bad3,5,bad date,03/02/2025,z@example.com,,,,\n")  // line 64
	csvPath := filepath.Join(dir, "delighted.csv")
	os.WriteFile(csvPath, []byte(csvBody.String()), 0o600)

	args := func(path string, extra ...string) []string {
		return append([]string{"import", "delighted", path, "--survey", sv.ID, "--quiet", "--reasons-column", "why?",
			"--clickhouse-url", chtest.URL(name)}, extra...)
	}
	var out, errOut bytes.Buffer
	// A dry run writes nothing.
	if err := run(ctx, args(csvPath, "--dry-run"), &out, &errOut); err != nil {
		t.Fatalf("%v\n%s", err, errOut.String())
	}
	if !strings.Contains(out.String(), "dry run: would import 60 new answers, 0 already imported, 0 duplicate records; 3 lines refused; 40 new contacts") {
		t.Errorf("dry run:\n%s", out.String())
	}
	if n, _ := db.CountRows(ctx, "answers", sv.ID); n != 0 {
		t.Fatalf("a dry run wrote %d answers", n)
	}
	out.Reset()
	if err := run(ctx, args(csvPath), &out, &errOut); err != nil {
		t.Fatalf("%v\n%s", err, errOut.String())
	}
	got := out.String()
	for _, want := range []string{
		"imported 60 new answers, 0 already imported, 0 duplicate records; 3 lines refused; 40 new contacts\n",
		"answers dated 2025-03-01 to 2025-05-31\n", // 59*37 h later
		`  line 62 (id bad1): score: "11" is not a whole number from 0 to 10`,
		`  line 63 (id bad2): created_at: missing`,
		`  line 64 (id bad3): created_at: "03/02/2025" is not a date`,
		`  "Free coffee": `,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("summary lacks %q:\n%s", want, got)
		}
	}

	// The second run adds nothing.
	out.Reset()
	if err := run(ctx, args(csvPath), &out, &errOut); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "imported 0 new answers, 60 already imported, 0 duplicate records; 3 lines refused; 0 new contacts") {
		t.Errorf("second import:\n%s", out.String())
	}

	// API pages: two pages one after the other, persons expanded or not,
	// one csat answer refused, one answer already in the CSV under another
	// source (a new response: the sources are told apart).
	page1 := []map[string]any{
		{"id": "101", "person": map[string]any{"id": "9", "email": "ann@example.com", "name": "Ann"}, "survey_type": "nps",
			"score": 2, "comment": "slow", "created_at": time.Date(2025, 4, 2, 8, 0, 0, 0, time.UTC).Unix(), "updated_at": nil,
			"person_properties": map[string]any{"country": "FR", "seats": 12}, "tags": []string{"churn-risk"},
			"additional_answers": []any{map[string]any{"id": "1", "value": map[string]any{"select_many": []any{
				map[string]any{"id": "DxmjNj", "text": "Slow support"}, map[string]any{"id": "u", "text": "Bugs"}}},
				"question": map[string]any{"type": "select_many"}}}},
		{"id": "102", "person": "10", "survey_type": "nps", "score": 10, "comment": nil,
			"created_at":         time.Date(2025, 4, 3, 8, 0, 0, 0, time.UTC).Unix(),
			"additional_answers": []any{map[string]any{"value": map[string]any{"select_one": map[string]any{"id": "ease", "text": "Whatever"}}}}},
	}
	page2 := []map[string]any{
		{"id": "103", "person": "11", "survey_type": "csat", "score": 4, "created_at": time.Date(2025, 4, 4, 8, 0, 0, 0, time.UTC).Unix()},
		{"id": "104", "person": "12", "survey_type": "nps", "score": 8, "created_at": time.Date(2025, 4, 5, 8, 0, 0, 0, time.UTC).Unix()},
	}
	b1, _ := json.MarshalIndent(page1, "", " ")
	b2, _ := json.Marshal(page2)
	jsonPath := filepath.Join(dir, "pages.json")
	os.WriteFile(jsonPath, append(append(b1, '\n'), b2...), 0o600)
	out.Reset()
	if err := run(ctx, args(jsonPath), &out, &errOut); err != nil {
		t.Fatalf("%v\n%s", err, errOut.String())
	}
	if got := out.String(); !strings.Contains(got, "imported 3 new answers, 0 already imported, 0 duplicate records; 1 responses refused; 1 new contacts") ||
		!strings.Contains(got, `  response 3 (id 103): survey_type: "csat" is not an NPS survey`) || !strings.Contains(got, `"Bugs": 1`) {
		t.Errorf("JSON import:\n%s", got)
	}
	good = append(good, row{2, time.Date(2025, 4, 2, 8, 0, 0, 0, time.UTC)}, row{10, time.Date(2025, 4, 3, 8, 0, 0, 0, time.UTC)},
		row{8, time.Date(2025, 4, 5, 8, 0, 0, 0, time.UTC)})
	// The same pages as one array of pages: nothing new.
	both, _ := json.Marshal([]any{page1, page2})
	os.WriteFile(jsonPath, both, 0o600)
	out.Reset()
	if err := run(ctx, args(jsonPath), &out, &errOut); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "imported 0 new answers, 3 already imported") {
		t.Errorf("JSON again:\n%s", out.String())
	}

	// Ann's answer: her contact, her properties and tags, the reason named
	// by label, the original date.
	ann := analytics.ContactID("ann@example.com")
	answers, err := db.ListAnswers(ctx, analytics.ReportQuery{Survey: sv, From: start.AddDate(0, -1, 0), To: start.AddDate(1, 0, 0), Respondent: ann}, 10)
	if err != nil || len(answers) != 1 {
		t.Fatalf("Ann's answers %v, %v", answers, err)
	}
	a := answers[0]
	if !a.CreatedAt.Equal(time.Date(2025, 4, 2, 8, 0, 0, 0, time.UTC)) || a.Channel != analytics.ChannelEmail || !a.Confirmed ||
		!reflect.DeepEqual(a.Reasons, []string{"support"}) ||
		!reflect.DeepEqual(a.Properties, map[string]string{"country": "FR", "seats": "12", "tags": "churn-risk"}) {
		t.Errorf("Ann's answer %+v", a)
	}
	if c, err := db.Contact(ctx, ann); err != nil || c.Name != "Ann" {
		t.Errorf("Ann's contact %+v, %v", c, err)
	}
	if c, err := db.Contact(ctx, analytics.ContactID("user7@example.com")); err != nil || c.Name != "User 7" {
		t.Errorf("user7's contact %+v, %v", c, err)
	}

	// Counts hold after the merges, and the report over the imported range
	// matches the file.
	if err := db.Exec(ctx, "OPTIMIZE TABLE answers FINAL"); err != nil {
		t.Fatal(err)
	}
	if n, err := db.CountRows(ctx, "answers", sv.ID); err != nil || n != uint64(len(good)) {
		t.Fatalf("%d answer rows after OPTIMIZE, want %d (%v)", n, len(good), err)
	}
	if _, err := db.RefreshDays(ctx); err != nil {
		t.Fatal(err)
	}
	from, to := time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC), time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)
	rep, err := db.Report(ctx, analytics.ReportQuery{Survey: sv, From: from, To: to, Interval: analytics.Month})
	if err != nil {
		t.Fatal(err)
	}
	var want [3]int // detractors, passives, promoters
	perMonth := map[string]int{}
	for _, r := range good {
		switch s := uint8(r.score); {
		case analytics.IsDetractor(s):
			want[0]++
		case analytics.IsPromoter(s):
			want[2]++
		default:
			want[1]++
		}
		perMonth[r.at.Format("2006-01")]++
	}
	tot := rep.Total
	if tot.Responses != len(good) || tot.Detractors != want[0] || tot.Passives != want[1] || tot.Promoters != want[2] {
		t.Errorf("report total %d (%d/%d/%d), want %d (%v)", tot.Responses, tot.Detractors, tot.Passives, tot.Promoters, len(good), want)
	}
	nps := float64(want[2]-want[0]) * 100 / float64(len(good))
	if tot.NPS == nil || fmt.Sprintf("%.1f", *tot.NPS) != fmt.Sprintf("%.1f", nps) { // reports round to 0.1
		t.Errorf("NPS %v, want %.1f", tot.NPS, nps)
	}
	for _, p := range rep.Periods {
		if p.Responses != perMonth[p.Start[:7]] {
			t.Errorf("period %s: %d responses, want %d", p.Start, p.Responses, perMonth[p.Start[:7]])
		}
	}
	if tot.Reasons["price"].Count == 0 || tot.Reasons["ease"].Count == 0 || tot.Reasons["support"].Count != 1 {
		t.Errorf("reasons %+v", tot.Reasons)
	}
}

// TestImportCSV runs `heed import csv` with a column map: dates in three
// forms, properties, respondents, and a second run that adds nothing.
func TestImportCSV(t *testing.T) {
	name := "heed_test_cmd_import_csv"
	db := chtest.Open(t, name)
	ctx := context.Background()
	sv := importTestSurvey()
	if err := db.SaveSurvey(ctx, sv); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "other.csv")
	os.WriteFile(path, []byte("rating,when,text,customer,segment,why\n"+
		"9,2025-05-01T10:00:00Z,great,c1,pro,easy to use\n"+ // 2
		"3,2025-05-02,meh,c2,free,Too expensive\n"+ // 3
		"7,1746316800,ok,,free,\n"+ // 4
		"7,1746316800,ok,,free,\n"+ // 5: the same content: one answer
		"x,2025-05-02,bad,c3,,\n"), 0o600) // 6
	args := []string{"import", "csv", path, "--survey", sv.ID, "--quiet", "--clickhouse-url", chtest.URL(name),
		"--map", "score=rating,created_at=When,comment=text,respondent=customer,property.plan=segment,reasons=why"}
	var out, errOut bytes.Buffer
	if err := run(ctx, args, &out, &errOut); err != nil {
		t.Fatalf("%v\n%s", err, errOut.String())
	}
	got := out.String()
	if !strings.Contains(got, "imported 3 new answers, 0 already imported, 1 duplicate records; 1 lines refused; 0 new contacts") ||
		!strings.Contains(got, `  line 6: score: "x" is not a whole number`) {
		t.Errorf("summary:\n%s", got)
	}
	answers, err := db.ListAnswers(ctx, analytics.ReportQuery{Survey: sv, From: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC),
		To: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}, 10)
	if err != nil || len(answers) != 3 {
		t.Fatalf("answers %v, %v", answers, err)
	}
	byResp := map[string]analytics.Answer{}
	for _, a := range answers {
		byResp[a.Respondent] = a
	}
	if a := byResp["c1"]; a.Score != 9 || !reflect.DeepEqual(a.Reasons, []string{"ease"}) || a.Properties["plan"] != "pro" || a.Channel != analytics.ChannelAPI {
		t.Errorf("c1: %+v", a)
	}
	if a := byResp[""]; !a.CreatedAt.Equal(time.Unix(1746316800, 0)) {
		t.Errorf("anonymous: %+v", a)
	}
	out.Reset()
	if err := run(ctx, args, &out, &errOut); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "imported 0 new answers, 4 already imported") {
		t.Errorf("second run:\n%s", out.String())
	}
	for _, tt := range []struct{ mapping, err string }{
		{"score=rating", "needs score=COL and created_at=COL"},
		{"score=rating,created_at=when,mood=text", `unknown field "mood"`},
		{"score=rating,created_at=nope", `no column "nope"`},
		{"score=rating,created_at=when,reasons=nope", `no column "nope"`},
	} {
		a := append(args[:len(args)-1:len(args)-1], tt.mapping)
		if err := run(ctx, a, &out, &errOut); err == nil || !strings.Contains(err.Error(), tt.err) {
			t.Errorf("--map %s: %v, want %q", tt.mapping, err, tt.err)
		}
	}
}
