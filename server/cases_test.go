package server

import (
	"context"
	"net/http"
	"sort"
	"strings"
	"testing"
	"time"

	"heed/analytics"
)

// TestCasesAPI: a detractor answer is an open case; assigning, noting and
// closing it moves it to the closed list with its time to close; it can be
// reopened; passives, promoters and unknown responses are refused; bad
// input is a 4xx naming the field and stores nothing. On both stores.
func TestCasesAPI(t *testing.T) {
	eachStore(t, "heed_test_server_cases", func(t *testing.T, ts *testServer) {
		ctx := context.Background()
		sv := ts.createSurvey(t, shopSurvey)
		ann := analytics.ContactID("ann@example.com")
		if err := ts.Server.store.UpsertContacts(ctx, []analytics.Contact{{ContactID: ann, Email: "ann@example.com", Name: "Ann"}}); err != nil {
			t.Fatal(err)
		}
		detractor := ts.recordEmailAnswer(t, sv, ann, 2, []string{"rude_service"}, "The clerk was rude")
		second := ts.respond(t, sv, `{"score":6,"comment":"meh"}`)
		passive := ts.respond(t, sv, `{"score":8}`)
		promoter := ts.respond(t, sv, `{"score":10}`)
		ts.waitReport(t, "/api/v1/surveys/"+sv+"/report", 4)
		base := "/api/v1/surveys/" + sv + "/cases"

		list := func(q string) map[string]any {
			t.Helper()
			r := ts.admin(t, "GET", base+q, "")
			if r.status != http.StatusOK {
				t.Fatalf("list %s: %d %s", q, r.status, r.body)
			}
			return r.json(t)
		}
		ids := func(m map[string]any) []string {
			var out []string
			for _, c := range m["cases"].([]any) {
				out = append(out, c.(map[string]any)["response_id"].(string))
			}
			return out
		}
		open := list("?status=open")
		// (Newest first; the two answers may share a second.)
		if got := ids(open); len(got) != 2 || !(got[0] == second && got[1] == detractor || got[0] == detractor && got[1] == second) {
			t.Fatalf("open cases %v, want %s and %s", got, second, detractor)
		}
		var c map[string]any
		for _, x := range open["cases"].([]any) {
			if x.(map[string]any)["response_id"] == detractor {
				c = x.(map[string]any)
			}
		}
		a := c["answer"].(map[string]any)
		if c["status"] != "open" || c["assignee"] != "" || c["closed_at"] != nil || c["time_to_close_s"] != nil ||
			a["score"].(float64) != 2 || a["comment"] != "The clerk was rude" || a["email"] != "ann@example.com" || a["name"] != "Ann" ||
			a["reason_labels"].([]any)[0] != "Rude or unhelpful service" || a["channel"] != "email" {
			t.Errorf("the open case: %v", c)
		}
		if s := open["summary"].(map[string]any); s["open"].(float64) != 2 || s["closed"].(float64) != 0 || s["median_time_to_close_s"] != nil {
			t.Errorf("summary %v", s)
		}

		// Bad input: a 4xx naming the field, nothing stored.
		path := base + "/" + detractor
		bad := []struct {
			body, field string
			status      int
		}{
			{`{"status":"done"}`, "status", 422},
			{`{"note":"   "}`, "note", 422},
			{`{"note":"` + strings.Repeat("x", 2001) + `"}`, "note", 422},
			{`{"assignee":"` + strings.Repeat("a", 201) + `"}`, "assignee", 422},
			{`{"assignee":"Ann\nBob"}`, "assignee", 422},
			{`{}`, "assignee", 422},
			{`{"status":"closed","color":"red"}`, "color", 422},
			{`{"status":`, "", 400},
		}
		for _, b := range bad {
			r := ts.admin(t, "PATCH", path, b.body)
			if r.status != b.status || (b.field != "" && r.json(t)["error"].(map[string]any)["fields"].(map[string]any)[b.field] == nil) {
				t.Errorf("PATCH %.60s: %d %s, want %d naming %q", b.body, r.status, r.body, b.status, b.field)
			}
		}
		if r := ts.do(t, "PATCH", path, `{"status":"closed"}`); r.status != http.StatusUnauthorized {
			t.Errorf("without the key: %d", r.status)
		}
		for _, p := range []struct {
			path   string
			status int
		}{
			{base + "/" + passive, http.StatusConflict},
			{base + "/" + promoter, http.StatusConflict},
			{base + "/00000000-0000-0000-0000-000000000001", http.StatusNotFound},
			{base + "/not-a-uuid", http.StatusNotFound},
			{"/api/v1/surveys/nosuchsurvey/cases/" + detractor, http.StatusNotFound},
		} {
			if r := ts.admin(t, "PATCH", p.path, `{"status":"closed"}`); r.status != p.status {
				t.Errorf("PATCH %s: %d %s, want %d", p.path, r.status, r.body, p.status)
			}
			if r := ts.admin(t, "GET", p.path, ""); r.status != p.status {
				t.Errorf("GET %s: %d %s, want %d", p.path, r.status, r.body, p.status)
			}
		}
		if r := ts.admin(t, "GET", base+"?status=maybe&limit=0", ""); r.status != 422 || !strings.Contains(string(r.body), "status") || !strings.Contains(string(r.body), "limit") {
			t.Errorf("bad list query: %d %s", r.status, r.body)
		}
		r := ts.admin(t, "GET", path, "")
		if got := r.json(t); r.status != 200 || got["updated_at"] != nil || len(got["notes"].([]any)) != 0 || got["status"] != "open" {
			t.Errorf("after bad input the case is %d %s", r.status, r.body)
		}

		// Assign, note, close.
		if r := ts.admin(t, "PATCH", path, `{"assignee":"Cid"}`); r.status != 200 || r.json(t)["assignee"] != "Cid" {
			t.Fatalf("assign: %d %s", r.status, r.body)
		}
		r = ts.admin(t, "PATCH", path, `{"status":"closed","note":"called back, refund given"}`)
		got := r.json(t)
		if r.status != 200 || got["status"] != "closed" || got["closed_by"] != "bootstrap" || got["assignee"] != "Cid" || got["closed_at"] == nil ||
			got["notes_count"].(float64) != 1 || got["notes"].([]any)[0].(map[string]any)["text"] != "called back, refund given" {
			t.Fatalf("close: %d %s", r.status, r.body)
		}
		opened, _ := time.Parse(time.RFC3339, got["opened_at"].(string))
		closedAt, _ := time.Parse(time.RFC3339, got["closed_at"].(string))
		if ttc := got["time_to_close_s"].(float64); ttc != closedAt.Sub(opened).Seconds() || ttc < 0 || ttc > 120 {
			t.Errorf("time to close %v, from %s to %s", ttc, opened, closedAt)
		}
		closed := list("?status=closed")
		if got := ids(closed); len(got) != 1 || got[0] != detractor {
			t.Errorf("closed cases %v", got)
		}
		if got := ids(list("?status=open")); len(got) != 1 || got[0] != second {
			t.Errorf("open cases after the close %v", got)
		}
		s := closed["summary"].(map[string]any)
		if s["open"].(float64) != 1 || s["closed"].(float64) != 1 || s["median_time_to_close_s"].(float64) != got["time_to_close_s"].(float64) {
			t.Errorf("summary after the close %v", s)
		}
		lc := closed["cases"].([]any)[0].(map[string]any)
		if lc["notes_count"].(float64) != 1 || lc["time_to_close_s"] == nil || lc["notes"] != nil {
			t.Errorf("a listed closed case: %v", lc)
		}

		// Reopen: open again, the close forgotten, the note kept.
		r = ts.admin(t, "PATCH", path, `{"status":"open","note":"she called again"}`)
		got = r.json(t)
		if r.status != 200 || got["status"] != "open" || got["closed_at"] != nil || got["time_to_close_s"] != nil || got["notes_count"].(float64) != 2 {
			t.Errorf("reopen: %d %s", r.status, r.body)
		}
		if got := ids(list("")); len(got) != 2 {
			t.Errorf("both statuses: %v", got)
		}
	})
}

// TestCaseChangesAreTheCallers: a note's author and a close's "by" are who
// signs the request (the API key's name, the admin key's "bootstrap"), never
// a field of the body: a `by` naming someone else is refused. Every change
// writes its audit entry, aimed at the survey and response, without the
// note's text or the assignee.
func TestCaseChangesAreTheCallers(t *testing.T) {
	ts := newFakeServer(t, nil)
	sv := ts.createSurvey(t, shopSurvey)
	id := ts.respond(t, sv, `{"score":2,"comment":"The clerk was rude"}`)
	ts.waitReport(t, "/api/v1/surveys/"+sv+"/report", 1)
	r := ts.admin(t, "POST", "/api/v1/keys", `{"name":"CRM sync","role":"manager"}`)
	if r.status != http.StatusCreated {
		t.Fatalf("create a key: %d %s", r.status, r.body)
	}
	key, keyID := r.json(t)["key"].(string), r.json(t)["id"].(string)
	keyAuthor := "CRM sync (key " + keyID + ")"
	path := "/api/v1/surveys/" + sv + "/cases/" + id
	steps := []struct {
		name, auth, body string
		status           int
		action           string // the audit entry it writes; "" none
		author, closedBy string // of the newest note, of the close
	}{
		{"a note by someone else", key, `{"note":"called back","by":"Mallory"}`, 422, "", "", ""},
		{"a note", key, `{"note":"called back"}`, 200, "case.note", keyAuthor, ""},
		{"a note naming its author", key, `{"note":"refund given","by":"` + keyAuthor + `"}`, 200, "case.note", keyAuthor, ""},
		{"assign", testKey, `{"assignee":"Cid"}`, 200, "case.assign", keyAuthor, ""},
		{"close", testKey, `{"status":"closed","by":"Mallory"}`, 422, "", keyAuthor, ""},
		{"close", testKey, `{"status":"closed","note":"done"}`, 200, "case.close case.note", "bootstrap", "bootstrap"},
		{"reopen", key, `{"status":"open"}`, 200, "case.reopen", "bootstrap", ""},
	}
	var want []string
	for _, st := range steps {
		r := ts.do(t, "PATCH", path, st.body, "Authorization", "Bearer "+st.auth)
		if r.status != st.status {
			t.Fatalf("%s: %d %s", st.name, r.status, r.body)
		}
		if st.status != 200 {
			if e, _ := r.json(t)["error"].(map[string]any); e == nil || e["fields"].(map[string]any)["by"] == nil {
				t.Errorf("%s: %s, want an error on by", st.name, r.body)
			}
			continue
		}
		got := r.json(t)
		notes := got["notes"].([]any)
		if a := notes[len(notes)-1].(map[string]any)["author"]; a != st.author {
			t.Errorf("%s: note author %v, want %q", st.name, a, st.author)
		}
		if cb, _ := got["closed_by"].(string); cb != st.closedBy {
			t.Errorf("%s: closed_by %q, want %q", st.name, cb, st.closedBy)
		}
		want = append(want, strings.Fields(st.action)...)
	}
	r = ts.admin(t, "GET", "/api/v1/audit?action=case.&limit=100", "")
	var got []string
	for _, e := range r.json(t)["entries"].([]any) {
		e := e.(map[string]any)
		got = append([]string{e["action"].(string)}, got...)
		if e["target"] != sv+"/"+id {
			t.Errorf("%s: target %v, want %s/%s", e["action"], e["target"], sv, id)
		}
		for _, secret := range []string{"called back", "refund", "done", "Cid"} {
			if strings.Contains(e["detail"].(string)+e["target"].(string), secret) {
				t.Errorf("%s holds %q: %v", e["action"], secret, e)
			}
		}
	}
	sort.Strings(got)
	sort.Strings(want)
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("audit case entries %v, want %v", got, want)
	}
}
