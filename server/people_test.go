package server

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	sgmail "github.com/sendgrid/sendgrid-go/helpers/mail"

	"heed/analytics"
)

// TestForgetPersonAPI: DELETE /api/v1/people/:id forgets a person on both
// stores (a summary without personal data, 200 when done, harmless again),
// the export shows what is held before and nothing after, and the person,
// imported again, is listed as suppressed.
func TestForgetPersonAPI(t *testing.T) {
	eachStore(t, "heed_test_server_people", func(t *testing.T, ts *testServer) {
		ctx := context.Background()
		r := ts.admin(t, "POST", "/api/v1/contacts", `[{"email":"ann@example.com","name":"Ann Forgetme"},{"email":"bob@example.com","name":"Bob Keep"}]`)
		if r.status != http.StatusOK {
			t.Fatalf("contacts: %d %s", r.status, r.body)
		}
		id := ts.createSurvey(t, shopSurvey)
		ann := analytics.ContactID("ann@example.com")
		now := time.Now().UTC()
		if err := ts.Server.store.InsertResponses(ctx, []analytics.Response{{SurveyID: id, ResponseID: uuid.New(), CreatedAt: now, First: true,
			Version: uint64(now.UnixNano()), Score: 3, Comment: "Nobody called Ann back", Channel: analytics.ChannelEmail, Respondent: ann},
			// Posted through the API with her address, in another case, as the respondent.
			{SurveyID: id, ResponseID: uuid.New(), CreatedAt: now, First: true, Version: uint64(now.UnixNano()), Score: 5,
				Comment: "Ann asked through the API", Channel: analytics.ChannelAPI, Respondent: " ANN@Example.com"}}); err != nil {
			t.Fatal(err)
		}
		path := "/api/v1/people/" + url.PathEscape("Ann@Example.com")
		export := ts.admin(t, "GET", path+"/export", "")
		if export.status != http.StatusOK || !strings.Contains(string(export.body), "Ann Forgetme") || !strings.Contains(string(export.body), "Nobody called Ann back") ||
			!strings.Contains(string(export.body), "Ann asked through the API") ||
			strings.Contains(string(export.body), "bob@example.com") {
			t.Fatalf("export before: %d %s", export.status, export.body)
		}
		if cd := export.header.Get("Content-Disposition"); !strings.Contains(cd, "attachment") {
			t.Errorf("export Content-Disposition %q", cd)
		}
		// Without a SendGrid key, mail goes to the outbox folder: a survey
		// email to each of them, and an alert quoting her answer by contact id.
		for _, m := range []struct{ to, text string }{{"Ann@Example.com", "Hi Ann"}, {"bob@example.com", "Hi Bob"},
			{"mo@example.com", "Detractor " + ann + ": Nobody called Ann back"}} {
			msg := sgmail.NewSingleEmail(sgmail.NewEmail("Heed", "heed@example.com"), "How likely", sgmail.NewEmail("", m.to), m.text, "<p>"+m.text+"</p>")
			if err := ts.emailing.Outbox.Send(ctx, msg); err != nil {
				t.Fatal(err)
			}
		}
		r = ts.admin(t, "DELETE", path, "")
		if r.status != http.StatusOK {
			t.Fatalf("forget: %d %s", r.status, r.body)
		}
		if msgs, err := ts.emailing.Outbox.List(); err != nil || len(msgs) != 1 || msgs[0].To != "bob@example.com" {
			t.Errorf("outbox after forgetting Ann: %+v, %v", msgs, err)
		}
		sum := r.json(t)
		removed, _ := sum["removed"].(map[string]any)
		if sum["done"] != true || sum["already_forgotten"] != false || removed["contacts"] != 1.0 || removed["answers"] != 2.0 || removed["outbox"] != 2.0 {
			t.Errorf("summary: %s", r.body)
		}
		if b := strings.ToLower(string(r.body)); strings.Contains(b, "ann@") || strings.Contains(b, ann) || strings.Contains(b, "forgetme") {
			t.Errorf("summary holds personal data: %s", r.body)
		}
		// Again: fine, and it says the person was forgotten already.
		if r := ts.admin(t, "DELETE", path, ""); r.status != http.StatusOK || r.json(t)["already_forgotten"] != true {
			t.Errorf("second forget: %d %s", r.status, r.body)
		}
		after := ts.admin(t, "GET", path+"/export", "")
		if after.status != http.StatusOK || strings.Contains(string(after.body), "Forgetme") || !strings.Contains(string(after.body), `"erased":true`) {
			t.Errorf("export after: %d %s", after.status, after.body)
		}
		list := ts.admin(t, "GET", "/api/v1/contacts", "").json(t)["contacts"].([]any)
		if len(list) != 1 || list[0].(map[string]any)["email"] != "bob@example.com" {
			t.Fatalf("contacts after forgetting Ann: %v", list)
		}
		// Imported again (a stale CSV): there, but never emailed.
		ts.admin(t, "POST", "/api/v1/contacts", `[{"email":"ann@example.com","name":"Ann Again"}]`)
		for _, c := range ts.admin(t, "GET", "/api/v1/contacts", "").json(t)["contacts"].([]any) {
			c := c.(map[string]any)
			if want := c["email"] == "ann@example.com"; c["suppressed"] != want {
				t.Errorf("contact %v: suppressed %v, want %v", c["email"], c["suppressed"], want)
			}
		}
	})
}

// TestPeopleAPIRefusals: who may call, and which names are refused.
func TestPeopleAPIRefusals(t *testing.T) {
	ts := newFakeServer(t, nil)
	cases := []struct {
		name, method, path string
		key                bool
		want               int
	}{
		{"no key", "DELETE", "/api/v1/people/ann%40example.com", false, http.StatusUnauthorized},
		{"no key, export", "GET", "/api/v1/people/ann%40example.com/export", false, http.StatusUnauthorized},
		{"control character", "DELETE", "/api/v1/people/a%01b", true, http.StatusUnprocessableEntity},
		{"too long", "DELETE", "/api/v1/people/" + strings.Repeat("x", 201), true, http.StatusUnprocessableEntity},
		{"not an address", "DELETE", "/api/v1/people/ann%40", true, http.StatusUnprocessableEntity},
		{"an id", "DELETE", "/api/v1/people/cust-42", true, http.StatusOK},
		{"wrong method", "POST", "/api/v1/people/cust-42", true, http.StatusMethodNotAllowed},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var r result
			if c.key {
				r = ts.admin(t, c.method, c.path, "")
			} else {
				r = ts.do(t, c.method, c.path, "")
			}
			if r.status != c.want {
				t.Fatalf("%s %s: %d %s, want %d", c.method, c.path, r.status, r.body, c.want)
			}
			if c.want >= 400 && c.want != http.StatusMethodNotAllowed && r.json(t)["error"] == nil {
				t.Errorf("no error body: %s", r.body)
			}
		})
	}
}

// TestSurveyRetentionDays: retention_days is set on creation, changed by
// PATCH, bounded; the server's retention run anonymises old answers.
func TestSurveyRetentionDays(t *testing.T) {
	ts := newFakeServer(t, nil)
	r := ts.admin(t, "POST", "/api/v1/surveys", `{"name":"Kept","retention_days":400}`)
	if r.status != http.StatusCreated || r.json(t)["retention_days"] != 400.0 {
		t.Fatalf("create: %d %s", r.status, r.body)
	}
	id := r.json(t)["id"].(string)
	for _, c := range []struct {
		body string
		want int
	}{
		{`{"retention_days":-1}`, http.StatusUnprocessableEntity},
		{`{"retention_days":36501}`, http.StatusUnprocessableEntity},
		{`{"retention_days":"30"}`, http.StatusUnprocessableEntity},
		{`{"retention_days":30}`, http.StatusOK},
	} {
		if r := ts.admin(t, "PATCH", "/api/v1/surveys/"+id, c.body); r.status != c.want {
			t.Errorf("PATCH %s: %d %s, want %d", c.body, r.status, r.body, c.want)
		} else if c.want == http.StatusUnprocessableEntity && r.json(t)["error"].(map[string]any)["fields"].(map[string]any)["retention_days"] == nil {
			t.Errorf("PATCH %s: no retention_days field error: %s", c.body, r.body)
		}
	}
	if got := ts.admin(t, "GET", "/api/v1/surveys/"+id, "").json(t)["retention_days"]; got != 30.0 {
		t.Fatalf("retention_days after PATCH: %v", got)
	}
	ctx := context.Background()
	old, recent := time.Now().UTC().AddDate(0, 0, -31), time.Now().UTC().AddDate(0, 0, -29)
	for _, at := range []time.Time{old, recent} {
		if err := ts.fake.InsertResponses(ctx, []analytics.Response{{SurveyID: id, ResponseID: uuid.New(), CreatedAt: at, Version: uint64(at.UnixNano()),
			Score: 4, Comment: "said at " + at.Format(time.DateOnly), Respondent: "cust-1", Properties: map[string]string{"plan": "pro"}}}); err != nil {
			t.Fatal(err)
		}
	}
	ts.Server.runRetention(ctx)
	for _, row := range ts.fake.Responses(id) {
		anonymous := row.Comment == "" && row.Respondent == "" && len(row.Properties) == 0
		if wantAnon := row.CreatedAt.Equal(old); anonymous != wantAnon || row.Score != 4 {
			t.Errorf("answer of %s: %+v (anonymised %v, want %v)", row.CreatedAt, row, anonymous, wantAnon)
		}
	}
}

// TestForgetFlushesTheSpool: an answer accepted (202) and still in this
// instance's spool when its author is forgotten is inserted before the
// deletions run, so it goes with the rest. The fake store is not told the
// erasure key (its insert-time check is off): only the flush saves it.
func TestForgetFlushesTheSpool(t *testing.T) {
	ts := newFakeServer(t, func(c *testConfig) { c.Writer.FlushInterval = time.Hour })
	id := ts.createSurvey(t, shopSurvey)
	ts.respond(t, id, `{"score":2,"comment":"Ann, spooled","respondent":"Ann@Example.com"}`)
	ts.respond(t, id, `{"score":9,"comment":"Bob, spooled","respondent":"bob@example.com"}`)
	if r := ts.admin(t, "DELETE", "/api/v1/people/"+url.PathEscape("ann@example.com"), ""); r.status != http.StatusOK {
		t.Fatalf("forget: %d %s", r.status, r.body)
	}
	// Whatever is still spooled goes in now.
	if err := ts.writer.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	var comments []string
	for _, r := range ts.fake.Responses(id) {
		comments = append(comments, r.Comment)
	}
	if fmt.Sprint(comments) != fmt.Sprint([]string{"Bob, spooled"}) {
		t.Fatalf("stored answers %q, want Bob's alone", comments)
	}
}
