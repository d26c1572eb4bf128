package server

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"heed/analytics"
)

// TestChurnBadInput: every bad churn request gets a clear 4xx JSON error,
// naming the record's index and field, and stores nothing of its batch.
func TestChurnBadInput(t *testing.T) {
	eachStore(t, "heed_test_server_churnbad", testChurnBadInput)
}

func testChurnBadInput(t *testing.T, ts *testServer) {
	id := ts.createSurvey(t, shopSurvey)
	good := `{"respondent":"kept-out","churned_at":"2026-01-05"}`
	records := func(n int, rec string) string {
		return "[" + strings.TrimSuffix(strings.Repeat(rec+",", n), ",") + "]"
	}
	huge := `[{"respondent":"x","churned_at":"2026-01-05","reason":"` + strings.Repeat("a", 9<<20) + `"}]`
	tests := []struct {
		name, method, path, body, contentType string
		status                                int
		fields                                []string // fields the error must name
		message                               string   // part of the message
	}{
		{"not JSON", "POST", "/api/v1/churn", `[{"respondent":`, "", 400, nil, "malformed JSON"},
		{"an object", "POST", "/api/v1/churn", good, "", 400, nil, "JSON array"},
		{"empty", "POST", "/api/v1/churn", `[]`, "", 422, nil, "1 to 10000"},
		{"too many", "POST", "/api/v1/churn", records(10001, good), "", 422, nil, "1 to 10000"},
		{"too large", "POST", "/api/v1/churn", huge, "", 413, nil, "too large"},
		{"form", "POST", "/api/v1/churn", `respondent=x`, "application/x-www-form-urlencoded", 415, nil, "Content-Type"},
		{"not an object", "POST", "/api/v1/churn", `["x"]`, "", 422, []string{"[0]"}, "1 of 1"},
		{"unknown field", "POST", "/api/v1/churn", `[{"respondent":"x","churned_at":"2026-01-05","name":"X"}]`, "", 422, []string{"[0].name"}, ""},
		{"revenue as text", "POST", "/api/v1/churn", `[{"respondent":"x","churned_at":"2026-01-05","revenue":"12"}]`, "", 422, []string{"[0].revenue"}, ""},
		{"a good record, then one without churned_at", "POST", "/api/v1/churn", `[` + good + `,{"respondent":"y"}]`, "", 422, []string{"[1].churned_at"}, "nothing was stored"},
		{"both email and respondent", "POST", "/api/v1/churn", `[{"email":"a@example.com","respondent":"a","churned_at":"2026-01-05"}]`, "", 422, []string{"[0].respondent"}, ""},
		{"neither", "POST", "/api/v1/churn", `[{"churned_at":"2026-01-05"}]`, "", 422, []string{"[0].email"}, ""},
		{"bad email", "POST", "/api/v1/churn", `[` + good + `,` + good + `,{"email":"nope","churned_at":"2026-01-05"}]`, "", 422, []string{"[2].email"}, "1 of 3"},
		{"bad date", "POST", "/api/v1/churn", `[{"respondent":"x","churned_at":"05/01/2026"}]`, "", 422, []string{"[0].churned_at"}, ""},
		{"future date", "POST", "/api/v1/churn", `[{"respondent":"x","churned_at":"2099-01-01"}]`, "", 422, []string{"[0].churned_at"}, ""},
		{"negative revenue", "POST", "/api/v1/churn", `[{"respondent":"x","churned_at":"2026-01-05","revenue":-1}]`, "", 422, []string{"[0].revenue"}, ""},
		{"long reason", "POST", "/api/v1/churn", `[{"respondent":"x","churned_at":"2026-01-05","reason":"` + strings.Repeat("é", 501) + `"}]`, "", 422, []string{"[0].reason"}, ""},
		{"every field of a record", "POST", "/api/v1/churn", `[{"churned_at":"x","revenue":-2}]`, "", 422, []string{"[0].email", "[0].churned_at", "[0].revenue"}, ""},
		{"many bad records", "POST", "/api/v1/churn", records(150, `{"respondent":"x"}`), "", 422, []string{"[0].churned_at", "[99].churned_at"}, "150 of 150"},
		{"withdraw an unknown customer", "DELETE", "/api/v1/churn/nobody", "", "", 404, nil, "no churn record"},
		{"withdraw by a bad email", "DELETE", "/api/v1/churn/nobody?by=email", "", "", 422, []string{"email"}, ""},
		{"withdraw by what", "DELETE", "/api/v1/churn/x?by=phone", "", "", 422, []string{"by"}, ""},
		{"report window 0", "GET", "/api/v1/surveys/" + id + "/churn?window_days=0", "", "", 422, []string{"window_days"}, ""},
		{"report window too long", "GET", "/api/v1/surveys/" + id + "/churn?window_days=731", "", "", 422, []string{"window_days"}, ""},
		{"report window not a number", "GET", "/api/v1/surveys/" + id + "/churn.csv?window_days=90d", "", "", 422, []string{"window_days"}, ""},
		{"report bad from", "GET", "/api/v1/surveys/" + id + "/churn?from=2026-13-01", "", "", 422, []string{"from"}, ""},
		{"report from after to", "GET", "/api/v1/surveys/" + id + "/churn?from=2026-02-01&to=2026-01-01", "", "", 422, []string{"from"}, ""},
		{"report bad include_unconfirmed", "GET", "/api/v1/surveys/" + id + "/churn?include_unconfirmed=maybe", "", "", 422, []string{"include_unconfirmed"}, ""},
		{"report of no survey", "GET", "/api/v1/surveys/nope/churn", "", "", 404, nil, ""},
	}
	for _, tt := range tests {
		headers := []string{"Authorization", "Bearer " + testKey}
		if tt.contentType != "" {
			headers = append(headers, "Content-Type", tt.contentType)
		}
		r := ts.do(t, tt.method, tt.path, tt.body, headers...)
		if r.status != tt.status {
			t.Errorf("%s: %d %.300s, want %d", tt.name, r.status, r.body, tt.status)
			continue
		}
		e, ok := r.json(t)["error"].(map[string]any)
		if !ok || e["code"] != codeByStatus[tt.status] || !strings.Contains(fmt.Sprint(e["message"]), tt.message) {
			t.Errorf("%s: error %v, want code %s and a message with %q", tt.name, e, codeByStatus[tt.status], tt.message)
			continue
		}
		fields, _ := e["fields"].(map[string]any)
		for _, f := range tt.fields {
			if _, ok := fields[f]; !ok {
				t.Errorf("%s: fields %v lack %s", tt.name, fields, f)
			}
		}
		if len(fields) > maxChurnFieldErrors {
			t.Errorf("%s: %d fields named", tt.name, len(fields))
		}
	}
	// Nothing of those batches was stored, though a good batch is, at once.
	if r := ts.admin(t, "POST", "/api/v1/churn", `[{"respondent":"marker","churned_at":"2026-01-05"}]`); r.status != 200 {
		t.Fatalf("a good batch: %d %s", r.status, r.body)
	}
	got, err := ts.store.ChurnRecorded(context.Background(), []string{"marker", "kept-out", "x", "y", "a", analytics.ContactID("a@example.com")})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || !got["marker"] {
		t.Fatalf("recorded after the bad batches: %v, want the marker only", got)
	}
	// And every churn route needs the admin key.
	for _, rt := range []struct{ method, path, body string }{
		{"POST", "/api/v1/churn", `[{"respondent":"intruder","churned_at":"2026-01-05"}]`},
		{"DELETE", "/api/v1/churn/marker", ""},
		{"GET", "/api/v1/surveys/" + id + "/churn", ""},
		{"GET", "/api/v1/surveys/" + id + "/churn.csv", ""},
	} {
		if r := ts.do(t, rt.method, rt.path, rt.body); r.status != http.StatusUnauthorized {
			t.Errorf("%s %s without the key: %d", rt.method, rt.path, r.status)
		}
	}
	if got, _ := ts.store.ChurnRecorded(context.Background(), []string{"marker", "intruder"}); len(got) != 1 || !got["marker"] {
		t.Fatalf("after unauthorised requests: %v", got)
	}
}

// TestChurnFlow: answers given long ago, churn records posted by email and
// by respondent, the report as JSON and CSV, a withdrawal by email and by
// respondent, and imports again.
func TestChurnFlow(t *testing.T) {
	eachStore(t, "heed_test_server_churn", testChurnFlow)
}

func testChurnFlow(t *testing.T, ts *testServer) {
	id := ts.createSurvey(t, shopSurvey)
	ctx := context.Background()
	at := time.Now().UTC().AddDate(0, 0, -200).Truncate(time.Hour)
	ann := analytics.ContactID("ann@example.com")
	var rows []analytics.Response
	for i, a := range []struct {
		who, channel string
		score        uint8
		reasons      []string
	}{
		{ann, analytics.ChannelEmail, 2, []string{"rude_service"}},
		{"bob", analytics.ChannelWidget, 9, nil},
		{"cy/1", analytics.ChannelAPI, 3, []string{"price"}},
	} {
		rows = append(rows, analytics.Response{SurveyID: id, ResponseID: uuid.New(), First: true, CreatedAt: at, Version: uint64(at.UnixNano()) + uint64(i),
			Score: a.score, Reasons: a.reasons, Channel: a.channel, Respondent: a.who})
	}
	if err := ts.store.InsertResponses(ctx, rows); err != nil {
		t.Fatal(err)
	}
	churned := at.AddDate(0, 0, 10).Format(time.DateOnly)
	body := `[{"email":"Ann <ANN@example.com>","churned_at":"` + churned + `","reason":"agent hung up"},
		{"respondent":"cy/1","churned_at":"` + churned + `T08:00:00Z","revenue":40},
		{"respondent":"cy/1","churned_at":"` + churned + `","revenue":40}]`
	r := ts.admin(t, "POST", "/api/v1/churn", body)
	if r.status != 200 || r.json(t)["imported"] != 2.0 || r.json(t)["new"] != 2.0 || r.json(t)["duplicates"] != 1.0 {
		t.Fatalf("import: %d %s", r.status, r.body)
	}

	report := func() map[string]any {
		t.Helper()
		r := ts.admin(t, "GET", "/api/v1/surveys/"+id+"/churn", "")
		if r.status != 200 {
			t.Fatalf("churn report: %d %s", r.status, r.body)
		}
		return r.json(t)
	}
	rep := report()
	if rep["window_days"] != 90.0 || rep["from"] != nil || rep["survey_id"] != id || rep["include_unconfirmed"] != false {
		t.Errorf("report head: %v", rep)
	}
	cust := rep["customers"].(map[string]any)
	if cust["answered"] != 3.0 || cust["closed"] != 3.0 || cust["churned"] != 2.0 || cust["stayed"] != 1.0 || cust["pending"] != 0.0 {
		t.Errorf("customers %v", cust)
	}
	groups := rep["groups"].([]any)
	det := groups[0].(map[string]any)
	if det["group"] != "detractors" || det["churned"] != 2.0 || det["customers"] != 2.0 || det["rate"] != 1.0 {
		t.Errorf("detractors %v", det)
	}
	if pro := groups[2].(map[string]any); pro["rate"] != 0.0 || pro["customers"] != 1.0 {
		t.Errorf("promoters %v", pro)
	}
	rude := rep["reasons"].([]any)[0].(map[string]any)
	if rude["id"] != "rude_service" || rude["label"] != "Rude or unhelpful service" || rude["churned"] != 1.0 || rude["share_of_churned"] != 0.5 ||
		fmt.Sprint(rude["share_of_churned_ci95"]) != "[0.0945 0.9055]" || rude["revenue_lost"] != 0.0 {
		t.Errorf("rude service %v", rude)
	}
	if lost := rep["revenue_lost"].(map[string]any); lost["lost"] != 40.0 || lost["customers"] != 1.0 {
		t.Errorf("revenue %v", lost)
	}
	// The same figures as CSV rows.
	csv := ts.admin(t, "GET", "/api/v1/surveys/"+id+"/churn.csv?window_days=90", "")
	if csv.status != 200 || !strings.HasPrefix(csv.header.Get("Content-Type"), "text/csv") ||
		!strings.Contains(csv.header.Get("Content-Disposition"), "heed-"+id+"-churn-90d-") {
		t.Fatalf("churn.csv: %d %v", csv.status, csv.header)
	}
	for _, line := range []string{
		"figure,group,reason_id,reason_label,count,base,value,ci95_low,ci95_high\r\n",
		"customers,answered,,,3,,,,\r\n",
		"customers,churned,,,2,,,,\r\n",
		"churn_rate,all,,,2,3,0.6667,0.2077,0.9385\r\n",
		"churn_rate,detractors,,,2,2,1,0.3424,1\r\n",
		"churn_rate,passives,,,0,0,,,\r\n",
		"share_of_churned,reason,rude_service,Rude or unhelpful service,1,2,0.5,0.0945,0.9055\r\n",
		"share_of_churned,no_reason,,,0,2,0,0,0.6576\r\n",
		"churn_rate_by_reason,reason,price,Price,1,1,1,0.2065,1\r\n",
		"revenue_lost,all,,,1,,40,,\r\n",
		"revenue_lost,reason,price,Price,1,,40,,\r\n",
	} {
		if !strings.Contains(string(csv.body), line) {
			t.Errorf("churn.csv lacks %q:\n%s", line, csv.body)
		}
	}
	if head := ts.do(t, "HEAD", "/api/v1/surveys/"+id+"/churn.csv", "", "Authorization", "Bearer "+testKey); head.status != 200 || len(head.body) != 0 {
		t.Errorf("HEAD churn.csv: %d %q", head.status, head.body)
	}
	ranged := ts.admin(t, "GET", "/api/v1/surveys/"+id+"/churn?from="+at.AddDate(0, 0, 1).Format(time.DateOnly), "")
	if rj := ranged.json(t); rj["from"] == nil || rj["to"] == nil || rj["customers"].(map[string]any)["answered"] != 0.0 {
		t.Errorf("a range after every answer: %s", ranged.body)
	}

	// Withdrawn by respondent (a slash in it, percent-encoded), then by email.
	if r := ts.admin(t, "DELETE", "/api/v1/churn/cy%2F1", ""); r.status != 200 || r.json(t)["customer"] != "cy/1" {
		t.Fatalf("withdraw cy/1: %d %s", r.status, r.body)
	}
	if r := ts.admin(t, "DELETE", "/api/v1/churn/cy%2F1", ""); r.status != 404 {
		t.Fatalf("withdraw cy/1 again: %d %s", r.status, r.body)
	}
	if c := report()["customers"].(map[string]any); c["churned"] != 1.0 || c["stayed"] != 2.0 {
		t.Errorf("after withdrawing cy/1: %v", c)
	}
	if r := ts.admin(t, "DELETE", "/api/v1/churn/ANN%40Example.com", ""); r.status != 200 || r.json(t)["customer"] != ann {
		t.Fatalf("withdraw Ann: %d %s", r.status, r.body)
	}
	if c := report()["customers"].(map[string]any); c["churned"] != 0.0 {
		t.Errorf("after withdrawing Ann: %v", c)
	}
	// Imported again: new (a withdrawn record is no record), then replaced.
	for i, want := range []string{`"new":1,"replaced":0`, `"new":0,"replaced":1`} {
		r := ts.admin(t, "POST", "/api/v1/churn", `[{"respondent":"cy/1","churned_at":"`+churned+`"}]`)
		if r.status != 200 || !strings.Contains(string(r.body), want) {
			t.Errorf("import %d: %d %s, want %s", i, r.status, r.body, want)
		}
	}
	if c := report()["customers"].(map[string]any); c["churned"] != 1.0 {
		t.Errorf("after importing cy/1 again: %v", c)
	}
}

// TestDemoChurn: the demo survey comes with answers and churn in which
// rude service is the reason most churned customers last gave, and
// detractors churn most, those citing rude service above all.
func TestDemoChurn(t *testing.T) {
	demo := func(c *testConfig) { c.Server.Demo = true }
	// Some of them by email, keyed as email answers are.
	_, churn := demoChurn(DemoSurveyID, time.Now())
	byEmail := 0
	for _, c := range churn {
		if c.Email != "" && c.Customer == analytics.ContactID(c.Email) {
			byEmail++
		}
	}
	if byEmail == 0 {
		t.Error("no demo churn record names an email")
	}
	for _, tc := range []struct{ name, db string }{{"fake", ""}, {"clickhouse", "heed_test_server_churndemo"}} {
		t.Run(tc.name, func(t *testing.T) {
			ts := newServerWith(t, tc.db, demo)
			r := ts.admin(t, "GET", "/api/v1/surveys/"+DemoSurveyID+"/churn", "")
			if r.status != 200 {
				t.Fatalf("demo churn: %d %s", r.status, r.body)
			}
			rep := r.json(t)
			cust := rep["customers"].(map[string]any)
			if cust["churned"].(float64) < 30 || cust["pending"].(float64) < 30 || cust["answered"] != float64(demoWidgetCustomers+demoEmailCustomers) {
				t.Fatalf("demo customers %v", cust)
			}
			var top string
			var topShare, rudeRate, otherRate float64
			for _, x := range rep["reasons"].([]any) {
				reason := x.(map[string]any)
				share, _ := reason["share_of_churned"].(float64)
				rate, _ := reason["churn_rate"].(float64)
				if share > topShare {
					top, topShare = reason["id"].(string), share
				}
				if reason["id"] == "rude_service" {
					rudeRate = rate
				} else {
					otherRate = max(otherRate, rate)
				}
			}
			if top != "rude_service" || rudeRate <= otherRate {
				t.Errorf("demo: the leading reason among churned customers is %s (%.2f); rude service churn rate %.2f, others up to %.2f", top, topShare, rudeRate, otherRate)
			}
			g := rep["groups"].([]any)
			det, pas, pro := g[0].(map[string]any)["rate"].(float64), g[1].(map[string]any)["rate"].(float64), g[2].(map[string]any)["rate"].(float64)
			if !(det > pas && pas > pro) {
				t.Errorf("demo churn rates: detractors %.2f, passives %.2f, promoters %.2f", det, pas, pro)
			}
			t.Logf("demo: %v; churn rates %.2f / %.2f / %.2f; rude service %.2f of churned", cust, det, pas, pro, topShare)
		})
	}
}
