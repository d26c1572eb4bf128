package server

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"heed/analytics"
)

// groupsSurvey asks detractors and promoters their own follow-ups;
// passives get the top-level reason.
const groupsSurvey = `{"name":"Groups","language":"en",
"reasons":[{"id":"other","label":"Something else"}],
"follow_ups":{
 "detractors":{"question":"What went wrong?","reasons":[{"id":"rude_service","label":"Rude or unhelpful service"},{"id":"price","label":"Price"}]},
 "promoters":{"question":"What did you like most?","reasons":[{"id":"helpful_staff","label":"Helpful staff"},{"id":"quality","label":"Quality"}]}}}`

func TestFollowUpsValidation(t *testing.T) {
	ts := newFakeServer(t, nil)
	reasons := func(ids ...string) string {
		var parts []string
		for _, id := range ids {
			parts = append(parts, `{"id":"`+id+`","label":"L `+id+`"}`)
		}
		return "[" + strings.Join(parts, ",") + "]"
	}
	many := make([]string, 21)
	for i := range many {
		many[i] = fmt.Sprintf("r%d", i)
	}
	tests := []struct {
		name, body string
		field      string // "" = created
		message    string // part of the field's message
	}{
		{"groups with ids of their own", groupsSurvey, "", ""},
		{"every group its own, no top-level reasons",
			`{"name":"x","follow_ups":{"detractors":{"reasons":` + reasons("a") + `},"passives":{"question":"What would make it a 10?","reasons":[]},"promoters":{"reasons":` + reasons("b") + `}}}`, "", ""},
		{"empty follow_ups", `{"name":"x","reasons":` + reasons("a") + `,"follow_ups":{}}`, "", ""},
		{"a group id repeating a top-level id",
			`{"name":"x","reasons":` + reasons("price") + `,"follow_ups":{"detractors":{"reasons":` + reasons("rude_service", "price") + `}}}`,
			"follow_ups.detractors.reasons[1].id", `"price" is already used by reasons[0].id`},
		{"an id in two groups",
			`{"name":"x","follow_ups":{"detractors":{"reasons":` + reasons("other", "price") + `},"promoters":{"reasons":` + reasons("quality", "other") + `}}}`,
			"follow_ups.promoters.reasons[1].id", `"other" is already used by follow_ups.detractors.reasons[0].id`},
		{"an id twice in one group",
			`{"name":"x","follow_ups":{"passives":{"reasons":` + reasons("a", "a") + `}}}`, "follow_ups.passives.reasons", "must not repeat"},
		{"a bad id in a group",
			`{"name":"x","follow_ups":{"promoters":{"reasons":[{"id":"Nice!","label":"Nice"}]}}}`, "follow_ups.promoters.reasons[0].id", "[a-z0-9_]"},
		{"a reason without label",
			`{"name":"x","follow_ups":{"promoters":{"reasons":[{"id":"nice","label":"  "}]}}}`, "follow_ups.promoters.reasons[0].label", "is required"},
		{"a question too long",
			`{"name":"x","follow_ups":{"passives":{"question":"` + strings.Repeat("q", 501) + `"}}}`, "follow_ups.passives.question", "at most 500"},
		{"too many reasons in a group",
			`{"name":"x","follow_ups":{"detractors":{"reasons":` + reasons(many...) + `}}}`, "follow_ups.detractors.reasons", "at most 20"},
		{"top-level reasons nobody is offered",
			`{"name":"x","reasons":` + reasons("a") + `,"follow_ups":{"detractors":{},"passives":{},"promoters":{}}}`, "reasons", "offered to nobody"},
		{"an unknown group", `{"name":"x","follow_ups":{"champions":{}}}`, "champions", "not a known field"},
	}
	for _, tt := range tests {
		r := ts.admin(t, "POST", "/api/v1/surveys", tt.body)
		if tt.field == "" {
			if r.status != http.StatusCreated {
				t.Errorf("%s: %d %s", tt.name, r.status, r.body)
			}
			continue
		}
		if r.status != http.StatusUnprocessableEntity {
			t.Errorf("%s: %d %s, want 422", tt.name, r.status, r.body)
			continue
		}
		fields, _ := r.json(t)["error"].(map[string]any)["fields"].(map[string]any)
		if msg, _ := fields[tt.field].(string); !strings.Contains(msg, tt.message) || len(fields) != 1 {
			t.Errorf("%s: fields = %v, want only %s: ...%s...", tt.name, fields, tt.field, tt.message)
		}
	}
}

// TestSurveyWithoutFollowUpsUnchanged: a survey created without follow_ups
// has none in its JSON, its widget config or its report beyond the groups
// each reason is offered to (all of them), and any score may cite its
// reasons as before.
func TestSurveyWithoutFollowUpsUnchanged(t *testing.T) {
	ts := newFakeServer(t, nil)
	r := ts.admin(t, "POST", "/api/v1/surveys", shopSurvey)
	if r.status != http.StatusCreated || bytes.Contains(r.body, []byte("follow_ups")) {
		t.Fatalf("create: %d %s", r.status, r.body)
	}
	id := r.json(t)["id"].(string)
	if w := ts.do(t, "GET", "/api/v1/surveys/"+id+"/widget", ""); w.status != 200 || bytes.Contains(w.body, []byte("follow_ups")) {
		t.Fatalf("widget config: %d %s", w.status, w.body)
	}
	ts.respond(t, id, `{"score":10,"reasons":["rude_service"]}`) // a promoter may cite a complaint here
	ts.respond(t, id, `{"score":3,"reasons":["rude_service"]}`)
	rude := ts.waitReport(t, "/api/v1/surveys/"+id+"/report", 2)["total"].(map[string]any)["reasons"].(map[string]any)["rude_service"].(map[string]any)
	if rude["share_of_detractors"] != 1.0 || rude["share_of_responses"] != 1.0 || fmt.Sprint(rude["groups"]) != "[detractors passives promoters]" {
		t.Fatalf("rude_service = %v", rude)
	}
}

// TestFollowUpsAnswersPerGroup creates a survey with follow_ups and answers
// it from each group, on the fake and on ClickHouse: a reason offered to
// another group is refused, and the report keeps each group's reasons
// apart, in JSON and CSV.
func TestFollowUpsAnswersPerGroup(t *testing.T) {
	eachStore(t, "heed_test_server_groups", testFollowUpsAnswersPerGroup)
}

func testFollowUpsAnswersPerGroup(t *testing.T, ts *testServer) {
	r := ts.admin(t, "POST", "/api/v1/surveys", groupsSurvey)
	if r.status != http.StatusCreated {
		t.Fatalf("create: %d %s", r.status, r.body)
	}
	var sv analytics.Survey
	if err := json.Unmarshal(r.body, &sv); err != nil {
		t.Fatal(err)
	}
	if q, reasons := sv.FollowUp(10); q != "What did you like most?" || len(reasons) != 2 || reasons[0].ID != "helpful_staff" {
		t.Fatalf("promoters' follow-up = %q %v", q, reasons)
	}
	if ts.db != nil { // stored whole: a fresh process reads the follow-ups back
		fresh := analytics.NewSurveys(ts.db)
		if err := fresh.Load(context.Background()); err != nil {
			t.Fatal(err)
		}
		got, ok := fresh.Get(sv.ID)
		if !ok || !reflect.DeepEqual(got.FollowUps, sv.FollowUps) || !reflect.DeepEqual(got.AllReasons(), sv.AllReasons()) {
			t.Fatalf("stored survey = %+v, want follow_ups %+v", got, sv.FollowUps)
		}
	}
	// The widget gets the groups' follow-ups.
	w := ts.do(t, "GET", "/api/v1/surveys/"+sv.ID+"/widget", "")
	var cfg widgetConfig
	if err := json.Unmarshal(w.body, &cfg); err != nil || cfg.FollowUps == nil || cfg.FollowUps.Detractors.Question != "What went wrong?" || cfg.FollowUps.Passives != nil {
		t.Fatalf("widget config: %d %s", w.status, w.body)
	}

	refused := []struct{ body, message string }{
		{`{"score":9,"reasons":["rude_service"]}`, `"rude_service" is not offered to promoters (score 9)`},
		{`{"score":2,"reasons":["helpful_staff"]}`, `"helpful_staff" is not offered to detractors (score 2)`},
		{`{"score":7,"reasons":["price"]}`, `"price" is not offered to passives (score 7)`},
		{`{"score":10,"reasons":["other"]}`, `"other" is not offered to promoters (score 10)`},
	}
	for _, tt := range refused {
		r := ts.do(t, "POST", "/api/v1/surveys/"+sv.ID+"/responses", tt.body)
		fields, _ := r.json(t)["error"].(map[string]any)["fields"].(map[string]any)
		if r.status != http.StatusUnprocessableEntity || fields["reasons"] != tt.message {
			t.Errorf("%s: %d %s, want 422 with reasons: %s", tt.body, r.status, r.body, tt.message)
		}
	}
	// Without a valid score only the score is at fault, not the reasons.
	for _, tt := range []struct{ body, message string }{
		{`{"score":11,"reasons":["helpful_staff"]}`, "must be at most 10"},
		{`{"score":-1,"reasons":["helpful_staff"]}`, "must be at least 0"},
		{`{"reasons":["helpful_staff"]}`, "is required"},
	} {
		r := ts.do(t, "POST", "/api/v1/surveys/"+sv.ID+"/responses", tt.body)
		fields, _ := r.json(t)["error"].(map[string]any)["fields"].(map[string]any)
		if r.status != http.StatusUnprocessableEntity || len(fields) != 1 || fields["score"] != tt.message {
			t.Errorf("%s: %d %s, want 422 on score only: %s", tt.body, r.status, r.body, tt.message)
		}
	}
	for _, body := range []string{
		`{"score":3,"reasons":["rude_service","price"]}`,
		`{"score":6,"reasons":["rude_service"]}`,
		`{"score":8,"reasons":["other"]}`,
		`{"score":10,"reasons":["helpful_staff"]}`,
		`{"score":9}`,
	} {
		ts.respond(t, sv.ID, body)
	}
	total := ts.waitReport(t, "/api/v1/surveys/"+sv.ID+"/report", 5)["total"].(map[string]any)
	reasons := total["reasons"].(map[string]any)
	want := map[string]struct {
		groups       string
		count        float64
		ofGroup      float64 // among the answers of its group
		ofDetractors float64
		ofAllAnswers float64
	}{
		"rude_service":  {"[detractors]", 2, 1, 1, 0.4},
		"price":         {"[detractors]", 1, 0.5, 0.5, 0.2},
		"other":         {"[passives]", 1, 1, 0, 0.2},
		"helpful_staff": {"[promoters]", 1, 0.5, 0, 0.2},
		"quality":       {"[promoters]", 0, 0, 0, 0},
	}
	if len(reasons) != len(want) {
		t.Errorf("report reasons = %v", reasons)
	}
	for id, w := range want {
		st, _ := reasons[id].(map[string]any)
		among, _ := st["among"].(map[string]any)
		group, _ := among[strings.Trim(w.groups, "[]")].(map[string]any)
		if fmt.Sprint(st["groups"]) != w.groups || st["count"] != w.count || group["share"] != w.ofGroup ||
			st["share_of_detractors"] != w.ofDetractors || st["share_of_responses"] != w.ofAllAnswers {
			t.Errorf("%s = %v, want %+v", id, st, w)
		}
	}

	// The CSV: each reason's first column is a share of its own groups.
	r = ts.admin(t, "GET", "/api/v1/surveys/"+sv.ID+"/report.csv?interval=month", "")
	rows, err := csv.NewReader(bytes.NewReader(r.body)).ReadAll()
	if err != nil || len(rows) < 2 {
		t.Fatalf("csv: %v %s", err, r.body)
	}
	first := 0 // the first reason column
	for first < len(rows[0]) && !strings.Contains(rows[0][first], "(share of") {
		first++
	}
	header := strings.Join(rows[0][first:], "|")
	if header != "Something else (share of passives)|Something else (share of responses)|"+
		"Rude or unhelpful service (share of detractors)|Rude or unhelpful service (share of responses)|"+
		"Price (share of detractors)|Price (share of responses)|"+
		"Helpful staff (share of promoters)|Helpful staff (share of responses)|"+
		"Quality (share of promoters)|Quality (share of responses)" {
		t.Fatalf("csv header = %s", header)
	}
	last := rows[len(rows)-1]
	if got := strings.Join(last[first:], ","); got != "1,0.2,1,0.4,0.5,0.2,0.5,0.2,0,0" {
		t.Fatalf("csv row = %v", last)
	}

	// Answers as CSV name group reasons by their labels.
	r = ts.admin(t, "GET", "/api/v1/surveys/"+sv.ID+"/responses.csv", "")
	if !bytes.Contains(r.body, []byte(",helpful_staff,Helpful staff,")) || !bytes.Contains(r.body, []byte(",price;rude_service,Price;Rude or unhelpful service,")) {
		t.Fatalf("responses.csv:\n%s", r.body)
	}
}

// TestAnswerPageFollowsGroup: the email's answer page asks each group its
// own question with its own reasons, and the follow-up form refuses a
// reason of another group.
func TestAnswerPageFollowsGroup(t *testing.T) {
	ts := newEmailServer(t, "", "")
	id := ts.createSurvey(t, groupsSurvey)
	const browser = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0 Safari/537.36"
	tests := []struct {
		score        int
		question     string
		shown, other []string
	}{
		{3, "What went wrong?", []string{"rude_service", "price"}, []string{"helpful_staff", "quality", "other"}},
		{7, "What is the main reason for your score?", []string{"other"}, []string{"rude_service", "helpful_staff"}},
		{10, "What did you like most?", []string{"helpful_staff", "quality"}, []string{"rude_service", "price", "other"}},
	}
	for _, tt := range tests {
		tok := ts.token(t, id, fmt.Sprintf("p%d@example.com", tt.score), time.Hour)
		r := ts.do(t, "GET", fmt.Sprintf("/r/%s?s=%d", tok, tt.score), "", "User-Agent", browser)
		page := string(r.body)
		if r.status != 200 || !strings.Contains(page, "<legend>"+tt.question+"</legend>") {
			t.Errorf("score %d: %d, no legend %q:\n%s", tt.score, r.status, tt.question, page)
		}
		for _, id := range tt.shown {
			if !strings.Contains(page, `value="`+id+`"`) {
				t.Errorf("score %d: reason %s not offered", tt.score, id)
			}
		}
		for _, id := range tt.other {
			if strings.Contains(page, `value="`+id+`"`) {
				t.Errorf("score %d: reason %s of another group offered", tt.score, id)
			}
		}
	}
	// A promoter's follow-up citing a detractor reason is refused; its own
	// reason goes through.
	tok := ts.token(t, id, "p10@example.com", time.Hour)
	post := func(reason string) int {
		form := url.Values{"s": {"10"}, "reasons": {reason}}
		return ts.do(t, "POST", "/r/"+tok, form.Encode(), "Content-Type", "application/x-www-form-urlencoded", "User-Agent", browser).status
	}
	if got := post("rude_service"); got != http.StatusUnprocessableEntity {
		t.Errorf("promoter citing rude_service: %d, want 422", got)
	}
	if got := post("helpful_staff"); got != http.StatusOK {
		t.Errorf("promoter citing helpful_staff: %d, want 200", got)
	}
}

// TestDemoSurvey: the demo survey is valid and asks detractors and
// promoters different follow-ups.
func TestDemoSurvey(t *testing.T) {
	ts := newFakeServer(t, nil)
	sv, err := ts.newSurvey(demoSurvey("127.0.0.1:8081"), DemoSurveyID)
	if err != nil {
		t.Fatal(err)
	}
	ids := func(score uint8) (string, []string) {
		q, reasons := sv.FollowUp(score)
		var out []string
		for _, r := range reasons {
			out = append(out, r.ID)
		}
		return q, out
	}
	if q, d := ids(3); q != "What went wrong?" || !reflect.DeepEqual(d[:3], []string{"rude_service", "slow_service", "price"}) {
		t.Errorf("detractors: %q %v", q, d)
	}
	if q, p := ids(10); q != "What did you like most?" || p[0] != "helpful_staff" || !sv.OffersReason(9, "quality") || sv.OffersReason(9, "rude_service") {
		t.Errorf("promoters: %q %v", q, p)
	}
	if q, _ := ids(7); q != "" {
		t.Errorf("passives: %q, want the standard question", q)
	}
}
