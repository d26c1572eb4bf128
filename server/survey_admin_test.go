package server

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"heed/analytics"
)

// errorCode returns the code of a JSON error answer.
func errorCode(t *testing.T, r result) string {
	t.Helper()
	e, ok := r.json(t)["error"].(map[string]any)
	if !ok {
		t.Fatalf("not a JSON error: %d %s", r.status, r.body)
	}
	return e["code"].(string)
}

func TestUpdateSurvey(t *testing.T) {
	eachStore(t, "heed_test_srv_survey_update", func(t *testing.T, ts *testServer) {
		id := ts.createSurvey(t, `{"name":"Shop","reasons":[{"id":"price","label":"Price"}],"widget":{"delay_seconds":3,"sample_percent":50}}`)
		path := "/api/v1/surveys/" + id

		r := ts.admin(t, "PATCH", path, `{"version":1,"name":"Shop 2","sender_name":"Ann at Shop","logo_url":"https://shop.example.com/logo.png","widget":{"delay_seconds":5}}`)
		if r.status != http.StatusOK {
			t.Fatalf("patch: %d %s", r.status, r.body)
		}
		sv := r.json(t)
		w := sv["widget"].(map[string]any)
		if sv["name"] != "Shop 2" || sv["sender_name"] != "Ann at Shop" || sv["logo_url"] != "https://shop.example.com/logo.png" ||
			sv["version"].(float64) != 2 || w["delay_seconds"].(float64) != 5 || w["sample_percent"].(float64) != 50 ||
			sv["question"] == "" || len(sv["reasons"].([]any)) != 1 {
			t.Fatalf("patched survey: %s", r.body)
		}
		if got := ts.admin(t, "GET", path, "").json(t); got["name"] != "Shop 2" || got["version"].(float64) != 2 {
			t.Fatalf("GET after patch: %v", got)
		}

		// A change made on version 1 is refused: the survey is at 2.
		r = ts.admin(t, "PATCH", path, `{"version":1,"name":"Lost update"}`)
		if r.status != http.StatusConflict || errorCode(t, r) != CodeConflict || !strings.Contains(r.json(t)["error"].(map[string]any)["message"].(string), "version 2") {
			t.Fatalf("stale version: %d %s", r.status, r.body)
		}
		// No version: applies to whatever is current. Nothing changed: same version.
		if r = ts.admin(t, "PATCH", path, `{"name":"Shop 2"}`); r.status != http.StatusOK || r.json(t)["version"].(float64) != 2 {
			t.Fatalf("no-op patch: %d %s", r.status, r.body)
		}

		for _, tc := range []struct{ name, body, field string }{
			{"logo not https", `{"logo_url":"http://shop.example.com/logo.png"}`, "logo_url"},
			{"logo not a URL", `{"logo_url":"logo.png"}`, "logo_url"},
			{"logo too long", `{"logo_url":"https://shop.example.com/` + strings.Repeat("a", 500) + `"}`, "logo_url"},
			{"sender too long", `{"sender_name":"` + strings.Repeat("a", 101) + `"}`, "sender_name"},
			{"sender header injection", `{"sender_name":"Ann\r\nBcc: all@example.com"}`, "sender_name"},
			{"name emptied", `{"name":" "}`, "name"},
			{"bad reason id", `{"reasons":[{"id":"Bad Id","label":"x"}]}`, "reasons[0].id"},
			{"bad origin", `{"allowed_origins":["shop.example.com/path"]}`, "allowed_origins[0]"},
			{"bad widget", `{"widget":{"sample_percent":101}}`, "widget.sample_percent"},
			{"unknown field", `{"colour":"red"}`, "colour"},
			{"version zero", `{"version":0,"name":"x"}`, "version"},
			{"wrong type", `{"name":5}`, "name"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				r := ts.admin(t, "PATCH", path, tc.body)
				if r.status != http.StatusUnprocessableEntity || errorCode(t, r) != CodeInvalid {
					t.Fatalf("%s: %d %s", tc.body, r.status, r.body)
				}
				if _, ok := r.json(t)["error"].(map[string]any)["fields"].(map[string]any)[tc.field]; !ok {
					t.Fatalf("%s: no error on %s: %s", tc.body, tc.field, r.body)
				}
			})
		}
		if got := ts.admin(t, "GET", path, "").json(t); got["version"].(float64) != 2 {
			t.Fatalf("refused patches changed the survey: %v", got)
		}
		if r := ts.admin(t, "PATCH", "/api/v1/surveys/nosuchsurvey", `{"name":"x"}`); r.status != http.StatusNotFound {
			t.Fatalf("unknown survey: %d %s", r.status, r.body)
		}
	})
}

// TestRetiredReasons: a reason removed from the survey is no longer offered
// but keeps its answers in reports, flagged retired.
func TestRetiredReasons(t *testing.T) {
	eachStore(t, "heed_test_srv_survey_retired", func(t *testing.T, ts *testServer) {
		id := ts.createSurvey(t, shopSurvey)
		ts.respond(t, id, `{"score":3,"reasons":["price"]}`)
		ts.respond(t, id, `{"score":2,"reasons":["price","rude_service"]}`)
		r := ts.admin(t, "PATCH", "/api/v1/surveys/"+id, `{"reasons":[{"id":"rude_service","label":"Rude"}]}`)
		if r.status != http.StatusOK {
			t.Fatalf("patch: %d %s", r.status, r.body)
		}
		retired := r.json(t)["retired_reasons"].([]any)
		if len(retired) != 1 || retired[0].(map[string]any)["id"] != "price" || retired[0].(map[string]any)["label"] != "Price" {
			t.Fatalf("retired_reasons: %s", r.body)
		}
		// No longer offered: the widget does not show it and answers cannot cite it.
		cfg := ts.do(t, "GET", "/api/v1/surveys/"+id+"/widget", "")
		if strings.Contains(string(cfg.body), `"price"`) {
			t.Fatalf("widget still offers a retired reason: %s", cfg.body)
		}
		if r := ts.do(t, "POST", "/api/v1/surveys/"+id+"/responses", `{"score":3,"reasons":["price"]}`); r.status != http.StatusUnprocessableEntity {
			t.Fatalf("answer citing a retired reason: %d %s", r.status, r.body)
		}
		rep := ts.waitReport(t, "/api/v1/surveys/"+id+"/report", 2)
		reasons := rep["total"].(map[string]any)["reasons"].(map[string]any)
		price, ok := reasons["price"].(map[string]any)
		if !ok || price["count"].(float64) != 2 || price["retired"] != true {
			t.Fatalf("retired reason in the report: %v", reasons)
		}
		if rude := reasons["rude_service"].(map[string]any); rude["count"].(float64) != 1 || rude["retired"] != nil {
			t.Fatalf("current reason in the report: %v", rude)
		}
		csv := ts.admin(t, "GET", "/api/v1/surveys/"+id+"/report.csv", "")
		if !strings.Contains(string(csv.body), "Price (share of") {
			t.Fatalf("report.csv lacks the retired reason: %s", csv.body)
		}
		// Offered again: no longer retired.
		r = ts.admin(t, "PATCH", "/api/v1/surveys/"+id, `{"reasons":[{"id":"rude_service","label":"Rude"},{"id":"price","label":"Price"}]}`)
		if r.status != http.StatusOK || r.json(t)["retired_reasons"] != nil {
			t.Fatalf("reason offered again: %d %s", r.status, r.body)
		}
	})
}

func TestArchiveSurvey(t *testing.T) {
	eachStore(t, "heed_test_srv_survey_archive", func(t *testing.T, ts *testServer) {
		id := ts.createSurvey(t, shopSurvey)
		ts.respond(t, id, `{"score":10}`)
		ts.waitReport(t, "/api/v1/surveys/"+id+"/report", 1)

		r := ts.admin(t, "POST", "/api/v1/surveys/"+id+"/archive", "")
		if r.status != http.StatusOK || r.json(t)["archived_at"] == nil {
			t.Fatalf("archive: %d %s", r.status, r.body)
		}
		r = ts.do(t, "POST", "/api/v1/surveys/"+id+"/responses", `{"score":9}`)
		if r.status != http.StatusConflict || errorCode(t, r) != CodeSurveyArchived {
			t.Fatalf("answer to an archived survey: %d %s", r.status, r.body)
		}
		if r := ts.do(t, "POST", "/api/v1/surveys/"+id+"/dismissals", `{}`); r.status != http.StatusConflict {
			t.Fatalf("dismissal of an archived survey: %d %s", r.status, r.body)
		}
		if cfg := ts.do(t, "GET", "/api/v1/surveys/"+id+"/widget", "").json(t); cfg["active"] != false {
			t.Fatalf("widget config of an archived survey: %v", cfg)
		}
		if el := ts.do(t, "GET", "/api/v1/surveys/"+id+"/eligibility?respondent=c1", "").json(t); el["eligible"] != false || el["active"] != false {
			t.Fatalf("eligibility: %v", el)
		}
		r = ts.admin(t, "POST", "/api/v1/surveys/"+id+"/sends", `{"emails":["ann@example.com"]}`)
		if r.status != http.StatusConflict || errorCode(t, r) != CodeSurveyArchived {
			t.Fatalf("send of an archived survey: %d %s", r.status, r.body)
		}
		// Its report, CSVs and answers stay readable.
		if rep := ts.waitReport(t, "/api/v1/surveys/"+id+"/report", 1); rep["total"].(map[string]any)["promoters"].(float64) != 1 {
			t.Fatalf("report of an archived survey: %v", rep)
		}
		for _, p := range []string{"/report.csv", "/responses", "/responses.csv"} {
			if r := ts.admin(t, "GET", "/api/v1/surveys/"+id+p, ""); r.status != http.StatusOK {
				t.Fatalf("%s of an archived survey: %d %s", p, r.status, r.body)
			}
		}
		if st := listed(t, ts, id)["status"]; st != "archived" {
			t.Fatalf("list status %v", st)
		}

		r = ts.admin(t, "POST", "/api/v1/surveys/"+id+"/unarchive", "")
		if r.status != http.StatusOK || r.json(t)["archived_at"] != nil {
			t.Fatalf("unarchive: %d %s", r.status, r.body)
		}
		ts.respond(t, id, `{"score":9}`)
		if cfg := ts.do(t, "GET", "/api/v1/surveys/"+id+"/widget", "").json(t); cfg["active"] != true {
			t.Fatalf("widget config after unarchive: %v", cfg)
		}
		if st := listed(t, ts, id)["status"]; st != "active" {
			t.Fatalf("list status %v", st)
		}
	})
}

// listed returns a survey as GET /api/v1/surveys lists it.
func listed(t *testing.T, ts *testServer, id string) map[string]any {
	t.Helper()
	r := ts.admin(t, "GET", "/api/v1/surveys", "")
	if r.status != http.StatusOK {
		t.Fatalf("list: %d %s", r.status, r.body)
	}
	for _, s := range r.json(t)["surveys"].([]any) {
		if m := s.(map[string]any); m["id"] == id {
			return m
		}
	}
	t.Fatalf("survey %s not listed: %s", id, r.body)
	return nil
}

func TestSurveyListFields(t *testing.T) {
	eachStore(t, "heed_test_srv_survey_list", func(t *testing.T, ts *testServer) {
		busy := ts.createSurvey(t, shopSurvey)
		quiet := ts.createSurvey(t, shopSurvey)
		ts.respond(t, busy, `{"score":10}`)
		ts.respond(t, busy, `{"score":4}`)
		ts.waitReport(t, "/api/v1/surveys/"+busy+"/report", 2)
		deadline := time.Now().Add(15 * time.Second)
		b := listed(t, ts, busy)
		for b["answers"].(float64) != 2 && time.Now().Before(deadline) {
			time.Sleep(25 * time.Millisecond)
			b = listed(t, ts, busy)
		}
		if b["answers"].(float64) != 2 || b["status"] != "active" || b["last_answer_at"] == nil {
			t.Fatalf("busy survey listed as %v", b)
		}
		if at, err := time.Parse(time.RFC3339, b["last_answer_at"].(string)); err != nil || time.Since(at) > time.Hour {
			t.Fatalf("last_answer_at %v (%v)", b["last_answer_at"], err)
		}
		if q := listed(t, ts, quiet); q["answers"].(float64) != 0 || q["last_answer_at"] != nil || q["status"] != "active" || q["name"] != "Shop" {
			t.Fatalf("quiet survey listed as %v", q)
		}
	})
}

func TestSurveyVersions(t *testing.T) {
	eachStore(t, "heed_test_srv_survey_versions", func(t *testing.T, ts *testServer) {
		id := ts.createSurvey(t, shopSurvey)
		path := "/api/v1/surveys/" + id
		if r := ts.admin(t, "PATCH", path, `{"question":"Would you shop here again?","sender_name":"Shop"}`); r.status != http.StatusOK {
			t.Fatalf("patch: %d %s", r.status, r.body)
		}
		if r := ts.admin(t, "POST", path+"/archive", ""); r.status != http.StatusOK {
			t.Fatalf("archive: %d %s", r.status, r.body)
		}
		r := ts.admin(t, "GET", path+"/versions", "")
		if r.status != http.StatusOK {
			t.Fatalf("versions: %d %s", r.status, r.body)
		}
		vs := r.json(t)["versions"].([]any)
		if len(vs) != 3 {
			t.Fatalf("versions: %s", r.body)
		}
		actions := []string{"archived", "updated", "created"}
		for i, v := range vs {
			m := v.(map[string]any)
			if m["version"].(float64) != float64(3-i) || m["action"] != actions[i] || m["at"] == nil {
				t.Fatalf("version %d: %v", i, m)
			}
		}
		changes := vs[1].(map[string]any)["changes"].([]any)
		want := map[string][2]any{
			"question":    {"How likely are you to recommend us to a friend or colleague?", "Would you shop here again?"},
			"sender_name": {nil, "Shop"},
		}
		if len(changes) != len(want) {
			t.Fatalf("changes of version 2: %v", changes)
		}
		for _, c := range changes {
			m := c.(map[string]any)
			w, ok := want[m["field"].(string)]
			if !ok || m["from"] != w[0] || m["to"] != w[1] {
				t.Fatalf("change %v, want %v", m, want)
			}
		}
		if ch := vs[0].(map[string]any)["changes"].([]any); len(ch) != 1 || ch[0].(map[string]any)["field"] != "archived_at" {
			t.Fatalf("changes of the archive: %v", ch)
		}
	})
}

// purgedTables are the tables a deleted survey must leave no row in.
var purgedTables = []string{"answers", "response_starts", "answer_days", "answer_customers", "dismissals", "cases", "case_notes", "survey_versions"}

func TestDeleteSurvey(t *testing.T) {
	eachStore(t, "heed_test_srv_survey_delete", func(t *testing.T, ts *testServer) {
		gone := ts.createSurvey(t, shopSurvey)
		kept := ts.createSurvey(t, shopSurvey)
		for _, id := range []string{gone, kept} {
			ts.respond(t, id, `{"score":10,"respondent":"c1"}`)
			ts.respond(t, id, `{"score":3,"reasons":["price"],"respondent":"c2"}`)
			if r := ts.do(t, "POST", "/api/v1/surveys/"+id+"/dismissals", `{"respondent":"c3"}`); r.status != http.StatusAccepted {
				t.Fatalf("dismissal: %d %s", r.status, r.body)
			}
			ts.waitReport(t, "/api/v1/surveys/"+id+"/report", 2)
		}
		if ts.db != nil {
			// answer_days fills when a report rolls days up; make sure it has rows.
			for _, id := range []string{gone, kept} {
				ts.db.WaitRows(t, "dismissals", id, 1)
			}
		}

		// A case with a note and a send, on each survey.
		caseOf := map[string]uuid.UUID{gone: uuid.New(), kept: uuid.New()}
		for _, id := range []string{gone, kept} {
			at := time.Now().UTC().Truncate(time.Second)
			if err := ts.Server.store.SaveCase(context.Background(), analytics.CaseState{SurveyID: id, ResponseID: caseOf[id], OpenedAt: at,
				Status: analytics.CaseOpen}, &analytics.CaseNote{At: at, Author: "Mo", Text: "called back"}); err != nil {
				t.Fatal(err)
			}
			if err := ts.Server.store.SaveSend(context.Background(), analytics.Send{ID: "send-" + id, SurveyID: id, CreatedAt: at}); err != nil {
				t.Fatal(err)
			}
		}
		for _, q := range []string{"", "?confirm=", "?confirm=" + kept, "?confirm=" + strings.ToUpper(gone)} {
			r := ts.admin(t, "DELETE", "/api/v1/surveys/"+gone+q, "")
			if r.status != http.StatusBadRequest || !strings.Contains(string(r.body), "confirm="+gone) {
				t.Fatalf("delete%s: %d %s", q, r.status, r.body)
			}
		}
		if r := ts.admin(t, "GET", "/api/v1/surveys/"+gone, ""); r.status != http.StatusOK {
			t.Fatalf("unconfirmed delete removed the survey: %d", r.status)
		}

		r := ts.admin(t, "DELETE", "/api/v1/surveys/"+gone+"?confirm="+gone, "")
		if r.status != http.StatusOK || r.json(t)["answers"] != "deleted" {
			t.Fatalf("delete: %d %s", r.status, r.body)
		}
		for _, p := range []string{"", "/report", "/versions"} {
			if r := ts.admin(t, "GET", "/api/v1/surveys/"+gone+p, ""); r.status != http.StatusNotFound {
				t.Fatalf("GET %s after delete: %d %s", p, r.status, r.body)
			}
		}
		if r := ts.do(t, "POST", "/api/v1/surveys/"+gone+"/responses", `{"score":9}`); r.status != http.StatusNotFound {
			t.Fatalf("answer after delete: %d %s", r.status, r.body)
		}
		for _, s := range ts.admin(t, "GET", "/api/v1/surveys", "").json(t)["surveys"].([]any) {
			if s.(map[string]any)["id"] == gone {
				t.Fatal("deleted survey still listed")
			}
		}
		for id, want := range map[string]int{gone: 0, kept: 1} {
			if notes, err := ts.Server.store.CaseNotes(context.Background(), id, caseOf[id]); err != nil || len(notes) != want {
				t.Errorf("case notes of %s after the delete: %v, %v; want %d", id, notes, err, want)
			}
			_, err := ts.Server.store.GetSend(context.Background(), "send-"+id)
			if gotSend := err == nil; gotSend != (want == 1) || (err != nil && !errors.Is(err, analytics.ErrNotFound)) {
				t.Errorf("send of %s after the delete: %v", id, err)
			}
		}
		if ts.storedRows(t, gone) != 0 || ts.storedRows(t, kept) == 0 {
			t.Fatalf("answers after delete: deleted survey %d, other %d", ts.storedRows(t, gone), ts.storedRows(t, kept))
		}
		if rep := ts.waitReport(t, "/api/v1/surveys/"+kept+"/report", 2); rep["total"].(map[string]any)["responses"].(float64) != 2 {
			t.Fatalf("the other survey's report: %v", rep)
		}
		if ts.db == nil {
			return
		}
		ctx := context.Background()
		for _, table := range purgedTables {
			n, err := ts.db.CountRows(ctx, table, gone)
			if err != nil {
				t.Fatal(err)
			}
			if n != 0 {
				t.Errorf("%s: %d rows of the deleted survey remain", table, n)
			}
			if table == "answer_days" {
				continue // filled by reports, maybe not yet for the other survey
			}
			if n, err := ts.db.CountRows(ctx, table, kept); err != nil || n == 0 {
				t.Errorf("%s: the other survey has %d rows (%v)", table, n, err)
			}
		}
		// The tombstone alone is left of the survey, and a fresh load skips it.
		var bodies uint64
		if err := ts.db.QueryRow(ctx, "SELECT count() FROM surveys WHERE id = ? AND deleted = 0", gone).Scan(&bodies); err != nil || bodies != 0 {
			t.Errorf("survey bodies left: %d (%v)", bodies, err)
		}
		list, err := ts.db.LoadSurveys(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, sv := range list {
			if sv.ID == gone {
				t.Errorf("LoadSurveys returns the deleted survey")
			}
		}
	})
}
