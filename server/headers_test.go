package server

import (
	"strings"
	"testing"
)

// TestResponseHeaders: every answer is nosniff, whatever wrote it (site
// files, errors, redirects); admin JSON, the CSVs, the previews and the
// link pages (a person's token is in their URL) are never cached; link
// pages send no Referer; HTML pages may not be framed, while the widget's
// scripts stay loadable from customers' sites.
func TestResponseHeaders(t *testing.T) {
	ts := newFakeServer(t, nil)
	id := ts.createSurvey(t, shopSurvey)
	api := "/api/v1/surveys/" + id
	type want struct{ noStore, noReferrer, noFrame bool }
	tests := []struct {
		path  string
		admin bool
		want  want
	}{
		{"/", false, want{noFrame: true}},
		{"/docs.html", false, want{noFrame: true}},
		{"/dashboard.html", false, want{noFrame: true}},
		{"/style.css", false, want{}},
		{"/widget.js", false, want{}},
		{"/favicon.ico", false, want{}},
		{"/no-such-file", false, want{}},
		{"/healthz", false, want{}},
		{"/readyz", false, want{}},
		{api + "/widget", false, want{}},
		{api + "/eligibility?respondent=a", false, want{noStore: true}},
		{"/api/v1/surveys", true, want{noStore: true}},
		{"/api/v1/surveys", false, want{noStore: true}}, // the 401
		{api + "/report.csv", true, want{noStore: true}},
		{api + "/responses.csv", true, want{noStore: true}},
		{api + "/churn.csv", true, want{noStore: true}},
		{api + "/email-preview", true, want{noStore: true, noFrame: true}},
		{"/r/not-a-token?s=1", false, want{noStore: true, noReferrer: true, noFrame: true}},
		{"/r/not-a-token/thanks?s=1", false, want{noStore: true, noReferrer: true, noFrame: true}},
		{"/u/not-a-token", false, want{noStore: true, noReferrer: true, noFrame: true}},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			var r result
			if tt.admin {
				r = ts.admin(t, "GET", tt.path, "")
			} else {
				r = ts.do(t, "GET", tt.path, "")
			}
			h := r.header
			if h.Get("X-Content-Type-Options") != "nosniff" {
				t.Errorf("%d: no nosniff", r.status)
			}
			if tt.want.noStore && h.Get("Cache-Control") != "no-store" {
				t.Errorf("Cache-Control %q", h.Get("Cache-Control"))
			}
			if tt.want.noReferrer && h.Get("Referrer-Policy") != "no-referrer" {
				t.Errorf("Referrer-Policy %q", h.Get("Referrer-Policy"))
			}
			if tt.want.noFrame && (h.Get("X-Frame-Options") != "DENY" || !strings.Contains(h.Get("Content-Security-Policy"), "frame-ancestors 'none'")) {
				t.Errorf("framable: X-Frame-Options %q, CSP %q", h.Get("X-Frame-Options"), h.Get("Content-Security-Policy"))
			}
		})
	}
	// A link route's JSON error (the confirm script's) is no-store too.
	if r := ts.do(t, "POST", "/r/not-a-token/confirm", `{"s":1}`); r.header.Get("Cache-Control") != "no-store" || r.header.Get("Referrer-Policy") != "no-referrer" {
		t.Errorf("confirm error headers %v", r.header)
	}
	if r := ts.do(t, "GET", "/widget.js", ""); r.header.Get("Cross-Origin-Resource-Policy") != "cross-origin" || r.header.Get("X-Frame-Options") != "" {
		t.Errorf("widget loader headers %v", r.header)
	}
}
