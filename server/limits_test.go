package server

import (
	"context"
	"net/http"
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
