package server

import (
	"context"
	"fmt"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestRateLimit(t *testing.T) {
	tests := []struct {
		name    string
		proxies []string
		// xff returns the X-Forwarded-For of request i.
		xff     func(i int) string
		limited bool
	}{
		// Without trusted proxies a client cannot dodge the limit by
		// inventing X-Forwarded-For addresses.
		{"direct, spoofed XFF", nil, func(i int) string { return "203.0.113." + itoa(i%250) }, true},
		// Behind a trusted proxy each forwarded client has its own budget.
		{"trusted proxy, many clients", []string{"127.0.0.1/32"}, func(i int) string { return "203.0.113." + itoa(i%250) }, false},
		{"trusted proxy, one client", []string{"127.0.0.1"}, func(int) string { return "203.0.113.7" }, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts := newFakeServer(t, func(c *testConfig) {
				c.Server.RateLimit, c.Server.RateBurst, c.Server.TrustedProxies = 1, 5, tt.proxies
			})
			id := ts.createSurvey(t, shopSurvey)
			var limited int
			for i := 0; i < 20; i++ {
				r := ts.do(t, "POST", "/api/v1/surveys/"+id+"/responses", `{"score":9}`, "X-Forwarded-For", tt.xff(i))
				switch r.status {
				case http.StatusAccepted:
				case http.StatusTooManyRequests:
					limited++
					if r.header.Get("Retry-After") == "" || r.json(t)["error"].(map[string]any)["code"] != CodeRateLimited {
						t.Fatalf("429 without Retry-After or code: %v %s", r.header, r.body)
					}
				default:
					t.Fatalf("status %d: %s", r.status, r.body)
				}
			}
			if (limited > 0) != tt.limited {
				t.Fatalf("%d of 20 requests limited; want limited=%v", limited, tt.limited)
			}
		})
	}
}

func TestSpoolFullIs503(t *testing.T) {
	ts := newServerWith(t, "heed_test_server_spoolfull", func(c *testConfig) {
		c.Writer.MaxSpoolBytes = 400
		c.Writer.FlushInterval = time.Hour
		c.Writer.BatchSize = 1_000_000
	})
	id := ts.createSurvey(t, shopSurvey)
	accepted := 0
	for i := 0; i < 30; i++ {
		r := ts.do(t, "POST", "/api/v1/surveys/"+id+"/responses", `{"score":9}`)
		if r.status == http.StatusAccepted {
			accepted++
			continue
		}
		if r.status != http.StatusServiceUnavailable || r.header.Get("Retry-After") == "" {
			t.Fatalf("status %d, Retry-After %q: %s", r.status, r.header.Get("Retry-After"), r.body)
		}
	}
	if accepted == 0 || accepted == 30 {
		t.Fatalf("accepted %d of 30", accepted)
	}
	// Everything acknowledged is written on shutdown.
	if err := ts.stop(); err != nil {
		t.Fatal(err)
	}
	if n, _ := ts.db.CountRows(context.Background(), "answers", id); n != uint64(accepted) {
		t.Fatalf("stored %d, acknowledged %d", n, accepted)
	}
}

func TestConfigRejectsBadProxies(t *testing.T) {
	c := Config{AdminKey: testKey, TrustedProxies: []string{"not-an-ip"}}
	c.setDefaults()
	if err := c.Validate(); err == nil {
		t.Fatal("bad trusted proxy accepted")
	}
}

// TestSurveyLimiterBounded: the per-survey limiter keys only surveys that
// exist, so unknown ids, however many and however long, cannot grow the
// heap (issue 12: 300 requests of unique 120 KB ids); nor can they through
// any other route that takes an id or a token, public or admin, with every
// limiter on.
func TestSurveyLimiterBounded(t *testing.T) {
	ts := newFakeServer(t, func(c *testConfig) {
		c.Server.SurveyRateLimit, c.Server.SurveyRateBurst = 1000, 1000
		c.Server.RateLimit, c.Server.RateBurst = 1000, 1000
		c.Server.AdminRateLimit, c.Server.AdminRateBurst = 1000, 1000
		c.Server.AuthFailures = 10
	})
	id := ts.createSurvey(t, shopSurvey)
	heap := func() uint64 {
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return m.HeapAlloc
	}
	pad := strings.Repeat("x", 120<<10)
	for _, tt := range []struct {
		name, method, body string
		path               func(unique string) string
		admin              bool
		status             int
	}{
		{"dismissals", "POST", `{}`, func(u string) string { return "/api/v1/surveys/" + u + "/dismissals" }, false, 404},
		{"responses", "POST", `{"score":9}`, func(u string) string { return "/api/v1/surveys/" + u + "/responses" }, false, 404},
		{"widget config", "GET", "", func(u string) string { return "/api/v1/surveys/" + u + "/widget" }, false, 404},
		{"eligibility", "GET", "", func(u string) string { return "/api/v1/surveys/" + u + "/eligibility?respondent=a" }, false, 404},
		{"preflight", "OPTIONS", "", func(u string) string { return "/api/v1/surveys/" + u + "/responses" }, false, 404},
		{"score link", "GET", "", func(u string) string { return "/r/" + u + "?s=9" }, false, 400},
		{"confirm", "POST", `{"s":9}`, func(u string) string { return "/r/" + u + "/confirm" }, false, 400},
		{"unsubscribe", "POST", "", func(u string) string { return "/u/" + u }, false, 400},
		{"report", "GET", "", func(u string) string { return "/api/v1/surveys/" + u + "/report" }, true, 404},
		{"case", "GET", "", func(u string) string { return "/api/v1/surveys/" + id + "/cases/" + u }, true, 404},
		{"contact", "GET", "", func(u string) string { return "/api/v1/contacts/" + u }, true, 404},
	} {
		t.Run(tt.name, func(t *testing.T) {
			before := heap()
			// Ten clients at once: each request is a 120 KB upload, and
			// one after the other they wait on the network.
			var wg sync.WaitGroup
			bad := make(chan string, 300)
			for w := 0; w < 10; w++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := w; i < 300; i += 10 {
						headers := []string{}
						if tt.admin {
							headers = []string{"Authorization", "Bearer " + testKey}
						}
						if r := ts.doNoFatal(tt.method, tt.path(itoa(i)+pad), tt.body, headers...); r.status != tt.status {
							bad <- fmt.Sprintf("%d %.200s", r.status, r.body)
						}
					}
				}()
			}
			wg.Wait()
			close(bad)
			for b := range bad {
				t.Fatalf("an unknown id: %s", b)
			}
			grew := int64(heap()) - int64(before)
			t.Logf("heap after 300 unknown 120 KB ids: %+.1f MB", float64(grew)/(1<<20))
			if grew > 16<<20 {
				t.Errorf("the heap grew %d MB after 300 unknown 120 KB ids", grew>>20)
			}
		})
	}
	// A real survey still has its own budget.
	if r := ts.do(t, "POST", "/api/v1/surveys/"+id+"/responses", `{"score":9}`); r.status != 202 {
		t.Errorf("a known survey: %d %s", r.status, r.body)
	}
}

// TestBodyLimitsInKiB: the body limits are the KiB the docs give (64 KiB
// = 65,536 bytes on the public routes), not thousands of bytes.
func TestBodyLimitsInKiB(t *testing.T) {
	ts := newFakeServer(t, nil)
	id := ts.createSurvey(t, shopSurvey)
	body := func(n int) string { // a JSON object of n bytes
		head := `{"score":5,"comment":"`
		return head + strings.Repeat("a", n-len(head)-2) + `"}`
	}
	for _, tt := range []struct {
		size   int
		tooBig bool
	}{{64000 + 1000, false}, {65536, false}, {65537, true}} {
		r := ts.do(t, "POST", "/api/v1/surveys/"+id+"/responses", body(tt.size))
		if (r.status == http.StatusRequestEntityTooLarge) != tt.tooBig {
			t.Errorf("a body of %d bytes: %d %.120s", tt.size, r.status, r.body)
		}
	}
}

// TestAPIHeaders: admin JSON, the CSVs and the email preview are neither
// cached nor sniffed; the preview runs no script.
func TestAPIHeaders(t *testing.T) {
	ts := newFakeServer(t, nil)
	id := ts.createSurvey(t, shopSurvey)
	for _, path := range []string{"/api/v1/surveys", "/api/v1/surveys/" + id + "/report", "/api/v1/surveys/" + id + "/report.csv",
		"/api/v1/surveys/" + id + "/responses.csv", "/api/v1/surveys/" + id + "/email-preview", "/api/v1/surveys/nope/report"} {
		r := ts.admin(t, "GET", path, "")
		if r.header.Get("Cache-Control") != "no-store" || r.header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("%s: Cache-Control %q, X-Content-Type-Options %q", path, r.header.Get("Cache-Control"), r.header.Get("X-Content-Type-Options"))
		}
	}
	if csp := ts.admin(t, "GET", "/api/v1/surveys/"+id+"/email-preview", "").header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") {
		t.Errorf("email preview CSP %q", csp)
	}
}

// TestAuthFailureLimit: after AuthFailures wrong keys in a minute an
// address gets 429 with Retry-After on every admin route, the right key
// included (guessing stops); other addresses are not affected, and a
// request without a key is no guess.
func TestAuthFailureLimit(t *testing.T) {
	ts := newFakeServer(t, func(c *testConfig) {
		c.Server.AuthFailures, c.Server.TrustedProxies = 3, []string{"127.0.0.1"}
	})
	from := func(ip, key string) result {
		return ts.do(t, "GET", "/api/v1/surveys", "", "X-Forwarded-For", ip, "Authorization", key)
	}
	for i := 0; i < 5; i++ {
		if r := from("203.0.113.9", ""); r.status != 401 {
			t.Fatalf("no key: %d", r.status)
		}
	}
	for i := 0; i < 3; i++ {
		if r := from("203.0.113.9", "Bearer wrong-key-"+itoa(i)); r.status != 401 {
			t.Fatalf("wrong key %d: %d %s", i, r.status, r.body)
		}
	}
	for _, key := range []string{"Bearer wrong-key-again", "Bearer " + testKey} {
		r := from("203.0.113.9", key)
		if r.status != 429 || r.header.Get("Retry-After") == "" || r.json(t)["error"].(map[string]any)["code"] != CodeRateLimited {
			t.Fatalf("after 3 wrong keys: %d %v %s", r.status, r.header, r.body)
		}
	}
	if r := from("203.0.113.10", "Bearer "+testKey); r.status != 200 {
		t.Fatalf("another address: %d", r.status)
	}
}

// TestAuthFailuresWindow: the window ends, IPv6 clients count by /64, and
// memory stays bounded whatever the number of clients.
func TestAuthFailuresWindow(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	a := newAuthFailures(2, time.Minute)
	a.now = func() time.Time { return now }
	a.Fail("2001:db8::1")
	a.Fail("2001:db8::2") // the same /64
	if ok, wait := a.Allow("2001:db8::3"); ok || wait != time.Minute {
		t.Fatalf("a /64 past its failures: %v %v", ok, wait)
	}
	if ok, _ := a.Allow("2001:db8:0:1::1"); !ok {
		t.Fatal("another /64 refused")
	}
	now = now.Add(time.Minute)
	if ok, _ := a.Allow("2001:db8::1"); !ok {
		t.Fatal("refused after the window")
	}
	for i := 0; i < 3*maxAuthClients; i++ {
		a.Fail("198.51." + itoa(i/256%256) + "." + itoa(i%256) + "0")
	}
	if n := len(a.clients); n > maxAuthClients {
		t.Fatalf("%d clients tracked", n)
	}
}

// TestAdminAndWebhookRateLimits: the admin routes (wrong keys included)
// and the SendGrid webhook have a per-address limit of their own.
func TestAdminAndWebhookRateLimits(t *testing.T) {
	ts := newFakeServer(t, func(c *testConfig) {
		c.Server.AdminRateLimit, c.Server.AdminRateBurst = 1, 5
		c.Server.WebhookRateLimit, c.Server.WebhookRateBurst = 1, 5
	})
	for _, tt := range []struct {
		name, method, path, key string
	}{
		{"admin, right key", "GET", "/api/v1/surveys", testKey},
		{"admin, wrong key", "GET", "/api/v1/surveys/x/report", "wrong"},
		{"webhook", "POST", "/webhooks/sendgrid", ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			limited := 0
			for i := 0; i < 20; i++ {
				r := ts.do(t, tt.method, tt.path, "", "Authorization", "Bearer "+tt.key)
				if r.status == 429 {
					limited++
					if r.header.Get("Retry-After") == "" {
						t.Fatalf("429 without Retry-After")
					}
				}
			}
			if limited == 0 {
				t.Errorf("20 requests at once, none limited")
			}
		})
	}
}
