package main

import (
	"strings"
	"testing"
	"time"
)

// TestServeConfig: flags and HEED_* variables fill the same Config; a flag
// wins; a value that does not parse, or cannot work, is an error naming the
// variable and the value instead of a silent default.
func TestServeConfig(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		args    []string
		wantErr []string // substrings of the error; none: no error
		check   func(t *testing.T, c Config)
	}{
		{name: "defaults", check: func(t *testing.T, c Config) {
			if c.BatchSize != 5000 || c.FlushInterval != 500*time.Millisecond || c.Server.Addr != "127.0.0.1:8080" || c.SpoolMaxBytes != 1<<30 ||
				c.Server.RateLimit != 20 || c.Email.FromEmail != "surveys@heed.invalid" || c.Server.Dev || c.DigestCheck != time.Minute {
				t.Errorf("defaults: %+v", c)
			}
		}},
		{name: "from the environment", env: map[string]string{"HEED_BATCH_SIZE": "250", "HEED_DEV": "1", "HEED_RATE_LIMIT": "0",
			"HEED_TRUSTED_PROXIES": "10.0.0.0/8, 192.168.1.1", "HEED_FLUSH_INTERVAL": "2s", "SENDGRID_API_KEY": "SG.x"},
			check: func(t *testing.T, c Config) {
				if c.BatchSize != 250 || !c.Server.Dev || c.Server.RateLimit != 0 || len(c.Server.TrustedProxies) != 2 ||
					c.FlushInterval != 2*time.Second || c.Email.SendGridKey != "SG.x" {
					t.Errorf("from env: %+v", c)
				}
			}},
		{name: "a flag wins", env: map[string]string{"HEED_BATCH_SIZE": "250"}, args: []string{"--batch-size", "10"},
			check: func(t *testing.T, c Config) {
				if c.BatchSize != 10 {
					t.Errorf("batch size %d, want the flag's 10", c.BatchSize)
				}
			}},
		{name: "an empty variable is unset", env: map[string]string{"HEED_BATCH_SIZE": ""}, check: func(t *testing.T, c Config) {
			if c.BatchSize != 5000 {
				t.Errorf("batch size %d", c.BatchSize)
			}
		}},
		{name: "unparsable number", env: map[string]string{"HEED_BATCH_SIZE": "5k"}, wantErr: []string{"HEED_BATCH_SIZE", `"5k"`}},
		{name: "unparsable duration", env: map[string]string{"HEED_FLUSH_INTERVAL": "soon"}, wantErr: []string{"HEED_FLUSH_INTERVAL", `"soon"`}},
		{name: "unparsable bool", env: map[string]string{"HEED_DEV": "yes please"}, wantErr: []string{"HEED_DEV", `"yes please"`}},
		{name: "unparsable float", env: map[string]string{"HEED_RATE_LIMIT": "fast"}, wantErr: []string{"HEED_RATE_LIMIT", `"fast"`}},
		{name: "negative batch", env: map[string]string{"HEED_BATCH_SIZE": "-5"}, wantErr: []string{"--batch-size", "HEED_BATCH_SIZE", "-5"}},
		{name: "zero flush interval flag", args: []string{"--flush-interval", "0s"}, wantErr: []string{"--flush-interval", "HEED_FLUSH_INTERVAL", "0s"}},
		{name: "negative rate limit", env: map[string]string{"HEED_RATE_LIMIT": "-1"}, wantErr: []string{"HEED_RATE_LIMIT", "-1"}},
		{name: "no burst", env: map[string]string{"HEED_RATE_BURST": "0"}, wantErr: []string{"--rate-burst", "HEED_RATE_BURST", "0"}},
		{name: "bad proxy", env: map[string]string{"HEED_TRUSTED_PROXIES": "10.0.0.0/8,not-an-ip"}, wantErr: []string{"HEED_TRUSTED_PROXIES", "not-an-ip"}},
		{name: "unknown flag", args: []string{"--frobnicate"}, wantErr: []string{"frobnicate"}},
		{name: "digest check: every minute, or off", args: []string{"--digest-check", "0"}, check: func(t *testing.T, c Config) {
			if c.DigestCheck != 0 {
				t.Errorf("digest check %s, want 0 (off)", c.DigestCheck)
			}
		}},
		{name: "negative digest check", args: []string{"--digest-check", "-1m"}, wantErr: []string{"--digest-check", "HEED_DIGEST_CHECK", "-1m"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, name := range []string{"HEED_BATCH_SIZE", "HEED_DEV", "HEED_RATE_LIMIT", "HEED_TRUSTED_PROXIES", "HEED_FLUSH_INTERVAL", "SENDGRID_API_KEY", "HEED_ADDR", "HEED_RATE_BURST"} {
				t.Setenv(name, "")
			}
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			var stderr strings.Builder
			m := &Main{Stderr: &stderr}
			err := m.ParseFlags(tt.args)
			if len(tt.wantErr) == 0 {
				if err != nil {
					t.Fatal(err)
				}
				tt.check(t, m.Config)
				return
			}
			if err == nil {
				t.Fatalf("accepted; config %+v", m.Config)
			}
			for _, want := range tt.wantErr {
				if !strings.Contains(err.Error()+stderr.String(), want) {
					t.Errorf("error %q does not name %s", err, want)
				}
			}
		})
	}
}
