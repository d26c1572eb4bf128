package server

import (
	"strings"
	"testing"
)

// TestSenderNameRefused: a survey's sender_name that could carry an
// address or quoting is a 422 naming the field, on create and on change;
// the survey keeps its name.
func TestSenderNameRefused(t *testing.T) {
	ts := newFakeServer(t, nil)
	id := ts.createSurvey(t, `{"name":"Shop","sender_name":"Shop Support"}`)
	for _, tt := range []struct{ name, value string }{
		{"an address in angle brackets", `\"Support\" <x@bank.example>`},
		{"a bare address", `support@bank.example`},
		{"angle brackets", `Shop <Support>`},
		{"a quote", `Shop \"Support`},
		{"a line break", `Ann\r\nBcc: all@example.com`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			for _, r := range []result{
				ts.admin(t, "POST", "/api/v1/surveys", `{"name":"x","sender_name":"`+tt.value+`"}`),
				ts.admin(t, "PATCH", "/api/v1/surveys/"+id, `{"sender_name":"`+tt.value+`"}`),
			} {
				e, _ := r.json(t)["error"].(map[string]any)
				fields, _ := e["fields"].(map[string]any)
				if msg, _ := fields["sender_name"].(string); r.status != 422 || !strings.Contains(msg, "<") {
					t.Errorf("%d %s, want 422 naming sender_name and what it may not hold", r.status, r.body)
				}
			}
		})
	}
	if sv := ts.admin(t, "GET", "/api/v1/surveys/"+id, "").json(t); sv["sender_name"] != "Shop Support" {
		t.Errorf("sender_name is now %v", sv["sender_name"])
	}
}
