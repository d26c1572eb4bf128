package server

import (
	"fmt"
	"strings"
	"time"
)

// Config is what the HTTP side is told; `heed serve` fills it from flags and
// HEED_* variables (server/cmd/heed/config.go).
type Config struct {
	Addr     string
	AdminKey string
	// Dev serves the outbox pages and, with Demo, the demo customer site.
	Dev bool
	// Demo creates the demo survey (id "demo") when it does not exist, and
	// emails it to a demo contact when mail goes to the outbox.
	Demo bool
	// DemoAddr serves the demo customer page (another origin that embeds
	// the widget) when Demo and Dev are set.
	DemoAddr string
	// Migrated says the schema is known to be current (heed serve
	// --migrate); otherwise /readyz asks the store.
	Migrated bool
	// RateLimit is the requests per second one client IP may make to the
	// public endpoints (burst RateBurst); 0 turns the limit off.
	RateLimit float64
	RateBurst int
	// SurveyRateLimit is the requests per second one survey's public
	// endpoints take from everyone together (burst SurveyRateBurst); 0 = off.
	SurveyRateLimit float64
	SurveyRateBurst int
	// AdminRateLimit is the requests per second one client IP may make to
	// the admin routes, with or without the right key (burst
	// AdminRateBurst); 0 = off.
	AdminRateLimit float64
	AdminRateBurst int
	// AuthFailures is how many wrong keys, passwords and sign-in links one
	// client IP may send in a minute; beyond it the credentialed and
	// sign-in routes answer 429 to that IP until the minute is over.
	// 0 = off.
	AuthFailures int
	// WebhookRateLimit is the requests per second one client IP may make to
	// the SendGrid webhook (burst WebhookRateBurst); 0 = off.
	WebhookRateLimit float64
	WebhookRateBurst int
	// ReadTimeout bounds the reading of a whole request, body included (10 s
	// of it at most for the headers); a body that arrives slower is answered
	// 408. Zero means 30 s.
	ReadTimeout time.Duration
	// TrustedProxies lists the proxies (IP ranges) whose X-Forwarded-For is
	// believed; empty means clients connect directly.
	TrustedProxies []string
	// ReminderCheck is how often due reminders are looked for.
	ReminderCheck time.Duration
	// RetentionCheck is how often answers past their survey's retention
	// are anonymised (default an hour; below 0, never on this instance).
	RetentionCheck time.Duration
}

// setDefaults fills zero values, so a Config built in code (tests, tools)
// needs only what it cares about.
func (c *Config) setDefaults() {
	if c.ReminderCheck == 0 {
		c.ReminderCheck = 10 * time.Minute
	}
	if c.ReadTimeout == 0 {
		c.ReadTimeout = 30 * time.Second
	}
	if c.RetentionCheck == 0 {
		c.RetentionCheck = time.Hour
	}
}

// Validate reports a configuration that cannot work.
func (c *Config) Validate() error {
	if c.AdminKey == "" {
		return fmt.Errorf("HEED_ADMIN_KEY (or --admin-key) is required; `heed serve --dev` generates a development key")
	}
	if strings.TrimSpace(c.AdminKey) != c.AdminKey || len(c.AdminKey) < 16 {
		return fmt.Errorf("the admin key must be at least 16 characters, without surrounding spaces")
	}
	if c.RateLimit < 0 || (c.RateLimit > 0 && c.RateBurst < 1) {
		return fmt.Errorf("--rate-limit must be >= 0 and --rate-burst >= 1")
	}
	if c.SurveyRateLimit < 0 || (c.SurveyRateLimit > 0 && c.SurveyRateBurst < 1) {
		return fmt.Errorf("--survey-rate-limit must be >= 0 and --survey-rate-burst >= 1")
	}
	if c.AdminRateLimit < 0 || (c.AdminRateLimit > 0 && c.AdminRateBurst < 1) {
		return fmt.Errorf("--admin-rate-limit must be >= 0 and --admin-rate-burst >= 1")
	}
	if c.WebhookRateLimit < 0 || (c.WebhookRateLimit > 0 && c.WebhookRateBurst < 1) {
		return fmt.Errorf("--webhook-rate-limit must be >= 0 and --webhook-rate-burst >= 1")
	}
	if c.AuthFailures < 0 {
		return fmt.Errorf("--auth-failures must be >= 0")
	}
	if c.ReadTimeout < 0 {
		return fmt.Errorf("--read-timeout must be positive")
	}
	if _, err := proxyRanges(c.TrustedProxies); err != nil {
		return err
	}
	return nil
}
