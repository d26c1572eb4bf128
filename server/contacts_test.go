package server

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"heed/analytics"
)

// TestContactsAPI: the contacts upload, search, one person's page (their
// answers and emails), and suppressions a manager may and may not lift,
// on both stores.
func TestContactsAPI(t *testing.T) {
	eachStore(t, "heed_test_server_contactsapi", func(t *testing.T, ts *testServer) {
		ctx := context.Background()
		csv := "email,name,plan\nAnn@Example.com,Ann Édith,pro\nbob@example.com,Bob,free\nnope,X,pro\n"
		r := ts.do(t, "POST", "/api/v1/contacts.csv", csv, "Authorization", "Bearer "+testKey, "Content-Type", "text/csv")
		if r.status != 200 {
			t.Fatalf("upload: %d %s", r.status, r.body)
		}
		if sum := r.json(t); sum["new"] != 2.0 || len(sum["invalid"].([]any)) != 1 || sum["invalid"].([]any)[0].(map[string]any)["index"] != 4.0 {
			t.Errorf("upload summary: %s", r.body)
		}
		if r := ts.do(t, "POST", "/api/v1/contacts.csv", "name\nx\n", "Authorization", "Bearer "+testKey, "Content-Type", "text/csv"); r.status != 422 {
			t.Errorf("a CSV without email: %d %s", r.status, r.body)
		}
		if r := ts.do(t, "POST", "/api/v1/contacts.csv", csv, "Authorization", "Bearer "+testKey, "Content-Type", "application/json"); r.status != 415 {
			t.Errorf("not text/csv: %d", r.status)
		}
		// Search by part of the name, any case and accent as written.
		list := ts.admin(t, "GET", "/api/v1/contacts?q="+url.QueryEscape("édith"), "").json(t)["contacts"].([]any)
		if len(list) != 1 || list[0].(map[string]any)["email"] != "ann@example.com" || list[0].(map[string]any)["suppressed"] != false {
			t.Fatalf("search: %v", list)
		}
		if n := len(ts.admin(t, "GET", "/api/v1/contacts", "").json(t)["contacts"].([]any)); n != 2 {
			t.Errorf("all contacts: %d", n)
		}
		for _, bad := range []string{"?limit=0", "?limit=x", "?q=" + strings.Repeat("a", 201)} {
			if r := ts.admin(t, "GET", "/api/v1/contacts"+bad, ""); r.status != 422 {
				t.Errorf("GET contacts%s: %d", bad, r.status)
			}
		}
		// Ann's page: an answer by email and the email of a send.
		ann := analytics.ContactID("ann@example.com")
		id := ts.createSurvey(t, shopSurvey)
		now := time.Now().UTC()
		if err := ts.Server.store.InsertResponses(ctx, []analytics.Response{{SurveyID: id, ResponseID: uuid.New(), CreatedAt: now, Version: uint64(now.UnixNano()),
			Score: 3, Reasons: []string{"rude_service"}, Comment: "Slow to answer", Channel: analytics.ChannelEmail, Respondent: ann}}); err != nil {
			t.Fatal(err)
		}
		if err := ts.Server.store.LogSends(ctx, []analytics.SendLogEntry{{SendID: "send-a", Kind: analytics.KindInitial, ContactID: ann, Status: analytics.SendSent, SurveyID: id, Email: "ann@example.com"}}); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(10 * time.Second)
		var page map[string]any
		for {
			page = ts.admin(t, "GET", "/api/v1/contacts/"+ann, "").json(t)
			if as, _ := page["answers"].([]any); len(as) == 1 || time.Now().After(deadline) {
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
		as, _ := page["answers"].([]any)
		es, _ := page["emails"].([]any)
		if len(as) != 1 || as[0].(map[string]any)["comment"] != "Slow to answer" || as[0].(map[string]any)["survey_name"] != "Shop" ||
			len(es) != 1 || es[0].(map[string]any)["status"] != "sent" || page["suppressed"] != false {
			t.Fatalf("Ann's page: %v", page)
		}
		if r := ts.admin(t, "GET", "/api/v1/contacts/ZZZ", ""); r.status != 404 {
			t.Errorf("a bad contact id: %d", r.status)
		}
		if r := ts.admin(t, "GET", "/api/v1/contacts/0123456789abcdef", ""); r.status != 404 {
			t.Errorf("an unknown contact: %d", r.status)
		}
		// A manager's suppression can be lifted; a person's unsubscribe cannot.
		suppressed := func(who string) bool {
			return ts.admin(t, "GET", "/api/v1/contacts/"+who, "").json(t)["suppressed"] == true
		}
		if r := ts.admin(t, "POST", "/api/v1/contacts/"+ann+"/suppress", ""); r.status != 200 || !suppressed(ann) {
			t.Fatalf("suppress: %d %s", r.status, r.body)
		}
		if got, _ := ts.Server.store.Suppressed(ctx); !got[ann] {
			t.Error("a suppressed contact is not kept off sends")
		}
		if r := ts.admin(t, "POST", "/api/v1/contacts/"+ann+"/unsuppress", ""); r.status != 200 || suppressed(ann) {
			t.Fatalf("unsuppress: %d %s", r.status, r.body)
		}
		if got, _ := ts.Server.store.Suppressed(ctx); got[ann] {
			t.Error("a lifted suppression still keeps the contact off sends")
		}
		bob := analytics.ContactID("bob@example.com")
		if err := ts.Server.store.Suppress(ctx, bob, "bob@example.com", analytics.SuppressUnsubscribe); err != nil {
			t.Fatal(err)
		}
		if r := ts.admin(t, "POST", "/api/v1/contacts/"+bob+"/unsuppress", ""); r.status != 409 || !suppressed(bob) {
			t.Errorf("lifting a person's own unsubscribe: %d %s", r.status, r.body)
		}
	})
}
