package server

import (
	"context"
	"net/http"
	"strings"
	"testing"
)

func TestWidgetEndpoints(t *testing.T) {
	ts := newTestServer(t, "heed_test_server_widgetapi")
	const site = "https://shop.example.com"
	id := ts.createSurvey(t, `{"name":"W","language":"fr","reasons":[{"id":"price","label":"Prix"}],"allowed_origins":["`+site+`"],
		"widget":{"delay_seconds":5,"sample_percent":50,"url_exclude":["/checkout/*"],"recontact_days_dismissed":7}}`)

	// Config: public, only the widget's fields, cacheable, CORS for allowed origins.
	r := ts.do(t, "GET", "/api/v1/surveys/"+id+"/widget", "", "Origin", site)
	if r.status != 200 || r.header.Get("Access-Control-Allow-Origin") != site || !strings.Contains(r.header.Get("Cache-Control"), "max-age") || r.header.Get("ETag") == "" {
		t.Fatalf("widget config: %d %v", r.status, r.header)
	}
	cfg := r.json(t)
	if cfg["language"] != "fr" || cfg["delay_seconds"] != 5.0 || cfg["sample_percent"] != 50.0 || cfg["recontact_days_answered"] != 90.0 ||
		cfg["recontact_days_dismissed"] != 7.0 || cfg["name"] != nil || cfg["allowed_origins"] != nil {
		t.Fatalf("widget config = %v", cfg)
	}
	if h := ts.do(t, "HEAD", "/api/v1/surveys/"+id+"/widget", "", "Origin", site); h.status != 200 || len(h.body) != 0 {
		t.Fatalf("HEAD widget config: %d %q", h.status, h.body)
	}
	if r2 := ts.do(t, "GET", "/api/v1/surveys/"+id+"/widget", "", "Origin", site, "If-None-Match", r.header.Get("ETag")); r2.status != 304 {
		t.Fatalf("conditional config: %d", r2.status)
	}
	if r := ts.do(t, "GET", "/api/v1/surveys/"+id+"/widget", "", "Origin", "https://evil.example"); r.status != 403 {
		t.Fatalf("config for a foreign origin: %d", r.status)
	}

	// Preflight for browser clients that send application/json.
	r = ts.do(t, "OPTIONS", "/api/v1/surveys/"+id+"/responses", "", "Origin", site, "Access-Control-Request-Method", "POST")
	if r.status != 204 || r.header.Get("Access-Control-Allow-Origin") != site || !strings.Contains(r.header.Get("Access-Control-Allow-Headers"), "Content-Type") {
		t.Fatalf("preflight: %d %v", r.status, r.header)
	}

	post := func(body string) result {
		return ts.do(t, "POST", "/api/v1/surveys/"+id+"/responses", body, "Origin", site, "Content-Type", "text/plain;charset=UTF-8")
	}
	// Bots: a filled honeypot, or a widget answer faster than a person reads.
	// They get a 202 (they learn nothing) and nothing is stored.
	for _, body := range []string{
		`{"score":10,"channel":"widget","elapsed_ms":5000,"hp":"http://spam.example"}`,
		`{"score":10,"channel":"widget","elapsed_ms":150}`,
	} {
		if r := post(body); r.status != 202 {
			t.Fatalf("%s: %d %s", body, r.status, r.body)
		}
	}
	// Posting as the widget without elapsed_ms is refused and says why: it
	// is not accepted and silently dropped.
	if r := post(`{"score":10,"channel":"widget"}`); r.status != 422 || !strings.Contains(string(r.body), "elapsed_ms") {
		t.Fatalf("widget answer without elapsed_ms: %d %s", r.status, r.body)
	}
	// A person, identified by the site.
	if r := post(`{"score":3,"channel":"widget","elapsed_ms":4200,"respondent":"cust-1","properties":{"page":"/orders"}}`); r.status != 202 {
		t.Fatalf("human answer: %d %s", r.status, r.body)
	}
	r = ts.do(t, "POST", "/api/v1/surveys/"+id+"/dismissals", `{"respondent":"cust-2","elapsed_ms":3000}`, "Origin", site, "Content-Type", "text/plain")
	if r.status != 202 || r.header.Get("Access-Control-Allow-Origin") != site {
		t.Fatalf("dismissal: %d %s", r.status, r.body)
	}
	if err := ts.writer.Close(context.Background()); err != nil { // flush
		t.Fatal(err)
	}
	if n := ts.storedRows(t, id); n != 1 {
		t.Fatalf("stored %d answers, want only the human one", n)
	}

	// Eligibility: answered and dismissed people wait; others may be asked.
	tests := []struct {
		respondent string
		eligible   bool
	}{{"cust-1", false}, {"cust-2", false}, {"cust-3", true}}
	for _, tt := range tests {
		r := ts.do(t, "GET", "/api/v1/surveys/"+id+"/eligibility?respondent="+tt.respondent, "", "Origin", site)
		if r.status != 200 || r.json(t)["eligible"] != tt.eligible {
			t.Errorf("%s: %d %s, want eligible=%v", tt.respondent, r.status, r.body, tt.eligible)
		}
	}
	if r := ts.do(t, "GET", "/api/v1/surveys/"+id+"/eligibility", "", "Origin", site); r.status != 422 {
		t.Errorf("eligibility without respondent: %d", r.status)
	}

	// The manager's list of answers.
	r = ts.admin(t, "GET", "/api/v1/surveys/"+id+"/responses?limit=5", "")
	list := r.json(t)["responses"].([]any)
	if r.status != 200 || len(list) != 1 || list[0].(map[string]any)["respondent"] != "cust-1" {
		t.Fatalf("responses: %d %s", r.status, r.body)
	}
	if r := ts.admin(t, "GET", "/api/v1/surveys/"+id+"/responses?limit=0", ""); r.status != 422 {
		t.Fatalf("limit=0: %d", r.status)
	}
}

func TestWidgetSettingsValidation(t *testing.T) {
	ts := newFakeServer(t, nil)
	tests := []struct{ body, field string }{
		{`{"name":"x","language":"it"}`, "language"},
		{`{"name":"x","widget":{"sample_percent":101}}`, "widget.sample_percent"},
		{`{"name":"x","widget":{"scroll_percent":-1}}`, "widget.scroll_percent"},
		{`{"name":"x","widget":{"delay_seconds":99999}}`, "widget.delay_seconds"},
		{`{"name":"x","widget":{"recontact_days_answered":-5}}`, "widget.recontact_days_answered"},
		{`{"name":"x","widget":{"url_include":[""]}}`, "widget.url_include[0]"},
		{`{"name":"x","widget":{"colour":"red"}}`, "colour"},
	}
	for _, tt := range tests {
		r := ts.admin(t, "POST", "/api/v1/surveys", tt.body)
		if r.status != http.StatusUnprocessableEntity {
			t.Errorf("%s: %d %s", tt.body, r.status, r.body)
			continue
		}
		if _, ok := r.json(t)["error"].(map[string]any)["fields"].(map[string]any)[tt.field]; !ok {
			t.Errorf("%s: fields do not name %s: %s", tt.body, tt.field, r.body)
		}
	}
}

func TestWidgetAssets(t *testing.T) {
	ts := newFakeServer(t, nil)
	r := ts.do(t, "GET", "/widget.js", "")
	if r.status != 200 || !strings.HasPrefix(r.header.Get("Content-Type"), "text/javascript") ||
		r.header.Get("Cache-Control") != cacheLoader || r.header.Get("ETag") == "" || r.header.Get("Cross-Origin-Resource-Policy") != "cross-origin" {
		t.Fatalf("widget.js: %d %v", r.status, r.header)
	}
	// The loader names the hashed UI file, which is cached for a year.
	i := strings.Index(string(r.body), "/w/ui.")
	if i < 0 {
		t.Fatal("loader does not name the UI file")
	}
	path := string(r.body[i:])
	path = path[:strings.Index(path, ".js")+3]
	ui := ts.do(t, "GET", path, "")
	if ui.status != 200 || ui.header.Get("Cache-Control") != cacheImmutable {
		t.Fatalf("%s: %d %v", path, ui.status, ui.header)
	}
	if r := ts.do(t, "GET", "/widget.js", "", "If-None-Match", r.header.Get("ETag")); r.status != 304 {
		t.Fatalf("conditional widget.js: %d", r.status)
	}
}
