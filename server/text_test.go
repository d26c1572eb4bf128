package server

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
)

// TestLengthsAgree: a value at its limit in characters (2- and 3-byte
// characters) is taken by every route that writes it and every route that
// reads it back; one character more is refused by all of them (issue 12:
// respondents were counted in characters when written, in bytes when read).
func TestLengthsAgree(t *testing.T) {
	ts := newFakeServer(t, nil)
	id := ts.createSurvey(t, shopSurvey)
	resp200, resp201 := strings.Repeat("é", 200), strings.Repeat("é", 201)
	key100, key101 := strings.Repeat("中", 100), strings.Repeat("中", 101)
	val500, val501 := strings.Repeat("é", 500), strings.Repeat("é", 501)
	base := "/api/v1/surveys/" + id
	q := url.QueryEscape
	tests := []struct {
		name, method, path, body string
		admin                    bool
		want                     int
	}{
		{"answer, respondent 200", "POST", base + "/responses", `{"score":9,"respondent":"` + resp200 + `"}`, false, 202},
		{"dismissal, respondent 200", "POST", base + "/dismissals", `{"respondent":"` + resp200 + `"}`, false, 202},
		{"eligibility, respondent 200", "GET", base + "/eligibility?respondent=" + q(resp200), "", false, 200},
		{"report, respondent 200", "GET", base + "/report?respondent=" + q(resp200), "", true, 200},
		{"answer, property 100/500", "POST", base + "/responses", `{"score":9,"properties":{"` + key100 + `":"` + val500 + `"}}`, false, 202},
		{"report filter, property 100/500", "GET", base + "/report?property." + q(key100) + "=" + q(val500), "", true, 200},
		{"report group, property 100", "GET", base + "/report?group_by=property:" + q(key100), "", true, 200},
		{"contact, property 100/500", "POST", "/api/v1/contacts", `[{"email":"ann@example.com","properties":{"` + key100 + `":"` + val500 + `"}}]`, true, 200},
		{"send filter, property 100/500", "POST", base + "/sends", `{"dry_run":true,"where":{"` + key100 + `":"` + val500 + `"}}`, true, 200},

		{"answer, respondent 201", "POST", base + "/responses", `{"score":9,"respondent":"` + resp201 + `"}`, false, 422},
		{"dismissal, respondent 201", "POST", base + "/dismissals", `{"respondent":"` + resp201 + `"}`, false, 422},
		{"eligibility, respondent 201", "GET", base + "/eligibility?respondent=" + q(resp201), "", false, 422},
		{"report, respondent 201", "GET", base + "/report?respondent=" + q(resp201), "", true, 422},
		{"answer, property key 101", "POST", base + "/responses", `{"score":9,"properties":{"` + key101 + `":"x"}}`, false, 422},
		{"answer, property value 501", "POST", base + "/responses", `{"score":9,"properties":{"k":"` + val501 + `"}}`, false, 422},
		{"report filter, property key 101", "GET", base + "/report?property." + q(key101) + "=x", "", true, 422},
		{"report filter, property value 501", "GET", base + "/report?property.k=" + q(val501), "", true, 422},
		{"report group, property 101", "GET", base + "/report?group_by=property:" + q(key101), "", true, 422},
		{"send filter, property 101", "POST", base + "/sends", `{"dry_run":true,"where":{"` + key101 + `":"x"}}`, true, 422},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var r result
			if tt.admin {
				r = ts.admin(t, tt.method, tt.path, tt.body)
			} else {
				r = ts.do(t, tt.method, tt.path, tt.body)
			}
			if r.status != tt.want {
				t.Errorf("%d, want %d: %.300s", r.status, tt.want, r.body)
			}
		})
	}
}

// TestControlCharacters: free text loses NUL, ESC, other control
// characters and the bidi overrides and isolates (newline and tab stay);
// identifiers holding them are refused with 422, on writes and reads alike.
func TestControlCharacters(t *testing.T) {
	ts := newFakeServer(t, nil)
	id := ts.createSurvey(t, `{"name":"Sh\u0000op\u202e","reasons":[{"id":"rude_service","label":"Ru\u001b[31mde\u2066"}]}`)
	base := "/api/v1/surveys/" + id
	refused := []struct {
		name, method, path, body string
		admin                    bool
	}{
		{"respondent NUL", "POST", base + "/responses", `{"score":9,"respondent":"a\u0000b"}`, false},
		{"respondent ESC", "POST", base + "/responses", `{"score":9,"respondent":"\u001b[2J"}`, false},
		{"respondent bidi", "POST", base + "/responses", `{"score":9,"respondent":"cust\u202e24"}`, false},
		{"respondent tab", "POST", base + "/responses", `{"score":9,"respondent":"a\tb"}`, false},
		{"property key bidi", "POST", base + "/responses", `{"score":9,"properties":{"pl\u2066an":"pro"}}`, false},
		{"property value ESC", "POST", base + "/responses", `{"score":9,"properties":{"plan":"\u001b[31mpro"}}`, false},
		{"dismissal respondent", "POST", base + "/dismissals", `{"respondent":"a\u2069"}`, false},
		{"eligibility respondent", "GET", base + "/eligibility?respondent=a%E2%80%AE", "", false},
		{"report respondent", "GET", base + "/report?respondent=a%00", "", true},
		{"report property value", "GET", base + "/report?property.plan=a%1B", "", true},
		{"sender name", "POST", "/api/v1/surveys", `{"name":"x","sender_name":"Ann\u202e"}`, true},
		{"url pattern", "POST", "/api/v1/surveys", `{"name":"x","widget":{"url_include":["/a\u0000"]}}`, true},
		{"contact property", "POST", "/api/v1/contacts", `[{"email":"bob@example.com","properties":{"plan":"a\u0000"}}]`, true},
		{"case assignee", "PATCH", base + "/cases/" + uuid.NewString(), `{"assignee":"Ann\u202e"}`, true},
		{"churn respondent", "POST", "/api/v1/churn", `[{"respondent":"a\u2066","churned_at":"2026-01-02"}]`, true},
		{"contacts search", "GET", "/api/v1/contacts?q=a%00", "", true},
	}
	for _, tt := range refused {
		t.Run(tt.name, func(t *testing.T) {
			var r result
			if tt.admin {
				r = ts.admin(t, tt.method, tt.path, tt.body)
			} else {
				r = ts.do(t, tt.method, tt.path, tt.body)
			}
			// The contacts import reports refused rows in a 200.
			if r.status != http.StatusUnprocessableEntity && !(tt.name == "contact property" && strings.Contains(string(r.body), `"imported":0`)) {
				t.Errorf("%d, want 422: %.300s", r.status, r.body)
			}
		})
	}

	// Free text is stored cleaned.
	sv := ts.admin(t, "GET", base, "").json(t)
	if sv["name"] != "Shop" || sv["reasons"].([]any)[0].(map[string]any)["label"] != "Ru[31mde" {
		t.Errorf("survey texts not cleaned: %v %v", sv["name"], sv["reasons"])
	}
	rid := ts.respond(t, id, `{"score":2,"reasons":["rude_service"],"comment":"a\u0000b\u001b[31m\u202ec\u2067\r\nd\te"}`)
	waitFor(t, func() bool { return len(ts.fake.Responses(id)) == 1 })
	if got := ts.fake.Responses(id)[0].Comment; got != "ab[31mc\nd\te" {
		t.Errorf("stored comment %q", got)
	}
	if r := ts.admin(t, "POST", "/api/v1/contacts", `[{"email":"cy@example.com","name":"Cy\u0000\nR\u202ean"}]`); r.status != 200 {
		t.Fatalf("contact: %d %s", r.status, r.body)
	}
	found := ts.admin(t, "GET", "/api/v1/contacts?q=cy", "").json(t)["contacts"].([]any)
	if len(found) != 1 || found[0].(map[string]any)["name"] != "Cy Ran" {
		t.Errorf("contact name not cleaned: %v", found)
	}
	if r := ts.admin(t, "PATCH", base+"/cases/"+rid, `{"note":"called\u0000 back\u202e\nrefund"}`); r.status != 200 {
		t.Fatalf("case note: %d %s", r.status, r.body)
	}
	notes := ts.admin(t, "GET", base+"/cases/"+rid, "").json(t)["notes"].([]any)
	if len(notes) != 1 || notes[0].(map[string]any)["text"] != "called back\nrefund" {
		t.Errorf("case note not cleaned: %v", notes)
	}
}

// waitFor polls cond; the deadline only stops a hang.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met in time")
		}
		time.Sleep(10 * time.Millisecond)
	}
}
