package server

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"heed/analytics"
)

// TestChangesAreAudited: each route that changes contacts or churn writes
// its audit entry, with counts and no personal data (no email, name,
// contact id or reason of the request).
func TestChangesAreAudited(t *testing.T) {
	ts := newFakeServer(t, nil)
	ann := analytics.ContactID("ann@example.com")
	if err := ts.Server.store.UpsertContacts(context.Background(), []analytics.Contact{{ContactID: ann, Email: "ann@example.com", Name: "Ann"}}); err != nil {
		t.Fatal(err)
	}
	if r := ts.admin(t, "POST", "/api/v1/churn", `[{"email":"zoe@example.com","churned_at":"2026-03-01","reason":"moved away"}]`); r.status != http.StatusOK {
		t.Fatalf("seed churn: %d %s", r.status, r.body)
	}
	secrets := []string{"ann@", "bob@", "cid@", "zoe@", "Bob", "Cid", "moved away", "too dear", ann}
	for _, tc := range []struct {
		name, method, path, body, contentType string
		action, detail                        string
	}{
		{"contacts", "POST", "/api/v1/contacts", `[{"email":"bob@example.com","name":"Bob"},{"email":"nope"}]`, "", "contact.import", "api: 1 imported, 0 duplicates, 1 invalid"},
		{"contacts csv", "POST", "/api/v1/contacts.csv", "email,name\ncid@example.com,Cid\nann@example.com,Ann\n", "text/csv", "contact.import", "csv: 1 new, 1 updated, 0 duplicates, 0 invalid"},
		{"suppress", "POST", "/api/v1/contacts/" + ann + "/suppress", "", "", "contact.suppress", "manual"},
		{"unsuppress", "POST", "/api/v1/contacts/" + ann + "/unsuppress", "", "", "contact.unsuppress", "lifted manual"},
		{"churn", "POST", "/api/v1/churn", `[{"email":"bob@example.com","churned_at":"2026-03-01","reason":"too dear"},{"respondent":"cust-1","churned_at":"2026-03-02"}]`, "", "churn.import", "api: 2 new, 0 replaced, 0 duplicates"},
		{"churn withdrawn", "DELETE", "/api/v1/churn/zoe@example.com", "", "", "churn.withdraw", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ct := "" // no header: JSON when there is a body
			if tc.contentType != "" {
				ct = "Content-Type"
			}
			r := ts.do(t, tc.method, tc.path, tc.body, "Authorization", "Bearer "+testKey, ct, tc.contentType)
			if r.status != http.StatusOK {
				t.Fatalf("%d %s", r.status, r.body)
			}
			entries := ts.admin(t, "GET", "/api/v1/audit?limit=1&action="+tc.action, "").json(t)["entries"].([]any)
			if len(entries) != 1 {
				t.Fatalf("no %s entry", tc.action)
			}
			e := entries[0].(map[string]any)
			if e["detail"] != tc.detail || e["target"] != "" || e["actor"] != "bootstrap" {
				t.Errorf("entry %v, want detail %q, no target", e, tc.detail)
			}
			for _, s := range secrets {
				if strings.Contains(e["detail"].(string)+e["target"].(string), s) {
					t.Errorf("entry %v holds %q", e, s)
				}
			}
		})
	}
}
