package server

import (
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"heed/analytics"
)

// Config is everything `heed serve` can be told, from flags or HEED_*
// environment variables (a flag wins over the variable).
type Config struct {
	Addr          string
	ClickHouseURL string
	AdminKey      string
	DataDir       string
	// Dev generates and keeps an admin key under DataDir when none is set,
	// and logs as text instead of JSON.
	Dev bool
	// Migrate applies pending migrations before serving.
	Migrate bool
	// Demo creates the demo survey (id "demo") when it does not exist.
	Demo bool
	// FlushInterval and BatchSize tune the response writer.
	FlushInterval time.Duration
	BatchSize     int
	// SpoolMaxBytes bounds the on-disk spool of accepted responses; beyond
	// it the public endpoint answers 503 with Retry-After.
	SpoolMaxBytes int64
	// RateLimit is the requests per second one client IP may make to the
	// public endpoints (burst RateBurst); 0 turns the limit off.
	RateLimit float64
	RateBurst int
	// SurveyRateLimit is the requests per second one survey's public
	// endpoints take from everyone together (burst SurveyRateBurst); 0 = off.
	SurveyRateLimit float64
	SurveyRateBurst int
	// DemoAddr serves the demo customer page (another origin that embeds
	// the widget) when Demo and Dev are set.
	DemoAddr string
	// TrustedProxies lists the proxies (IP ranges) whose X-Forwarded-For is
	// believed; empty means clients connect directly.
	TrustedProxies []string
	// PublicURL is where people reach Heed: links in emails point there
	// (default http://<Addr>).
	PublicURL string
	// SendGridKey sends email through SendGrid; without it mail goes to the
	// outbox under DataDir/outbox. SendGridHost overrides the API host.
	SendGridKey  string
	SendGridHost string
	// SendGridWebhookKey is the Event Webhook's public key (base64), which
	// verifies the signature of every webhook request.
	SendGridWebhookKey string
	// FromEmail and FromName are the sender of survey emails.
	FromEmail string
	FromName  string
	// SigningKeys are "kid:secret" pairs for email links; the first signs.
	// Empty: a key generated once and kept in DataDir/signing_key.
	SigningKeys string
	// AlertDelay is how long a detractor alert waits for the follow-up
	// (reasons, comment) before going out.
	AlertDelay time.Duration
	// ReminderCheck is how often due reminders are looked for.
	ReminderCheck time.Duration
	// ShutdownTimeout bounds the final flush on SIGINT/SIGTERM.
	ShutdownTimeout time.Duration
}

// RegisterFlags declares the flags of c on fs with defaults taken from the
// environment.
func (c *Config) RegisterFlags(fs *flag.FlagSet) {
	fs.StringVar(&c.Addr, "addr", env("HEED_ADDR", "127.0.0.1:8080"), "listen address (HEED_ADDR)")
	fs.StringVar(&c.ClickHouseURL, "clickhouse-url", env("HEED_CLICKHOUSE_URL", analytics.DefaultURL), "ClickHouse DSN, native protocol (HEED_CLICKHOUSE_URL)")
	fs.StringVar(&c.AdminKey, "admin-key", env("HEED_ADMIN_KEY", ""), "admin API key (HEED_ADMIN_KEY)")
	fs.StringVar(&c.DataDir, "data-dir", env("HEED_DATA_DIR", ".data"), "folder for Heed's local files (HEED_DATA_DIR)")
	fs.BoolVar(&c.Dev, "dev", envBool("HEED_DEV", false), "development mode: generated admin key, text logs (HEED_DEV)")
	fs.BoolVar(&c.Migrate, "migrate", envBool("HEED_MIGRATE", false), "apply migrations before serving (HEED_MIGRATE)")
	fs.BoolVar(&c.Demo, "demo", envBool("HEED_DEMO", false), "create the demo survey if missing (HEED_DEMO)")
	fs.DurationVar(&c.FlushInterval, "flush-interval", envDuration("HEED_FLUSH_INTERVAL", 500*time.Millisecond), "longest wait before accepted responses are written to ClickHouse (HEED_FLUSH_INTERVAL)")
	fs.IntVar(&c.BatchSize, "batch-size", envInt("HEED_BATCH_SIZE", 5000), "responses per ClickHouse insert (HEED_BATCH_SIZE)")
	fs.Int64Var(&c.SpoolMaxBytes, "spool-max-bytes", int64(envInt("HEED_SPOOL_MAX_BYTES", 1<<30)), "largest on-disk spool of accepted responses, in bytes (HEED_SPOOL_MAX_BYTES)")
	fs.Float64Var(&c.RateLimit, "rate-limit", envFloat("HEED_RATE_LIMIT", 20), "requests per second per client IP on public endpoints, 0 = off (HEED_RATE_LIMIT)")
	fs.IntVar(&c.RateBurst, "rate-burst", envInt("HEED_RATE_BURST", 60), "burst allowed above --rate-limit (HEED_RATE_BURST)")
	fs.Float64Var(&c.SurveyRateLimit, "survey-rate-limit", envFloat("HEED_SURVEY_RATE_LIMIT", 500), "requests per second per survey on public endpoints, 0 = off (HEED_SURVEY_RATE_LIMIT)")
	fs.IntVar(&c.SurveyRateBurst, "survey-rate-burst", envInt("HEED_SURVEY_RATE_BURST", 2000), "burst allowed above --survey-rate-limit (HEED_SURVEY_RATE_BURST)")
	fs.StringVar(&c.DemoAddr, "demo-addr", env("HEED_DEMO_ADDR", "127.0.0.1:8081"), "address of the demo customer page with --dev --demo (HEED_DEMO_ADDR)")
	fs.Func("trusted-proxies", "comma-separated IP ranges of reverse proxies whose X-Forwarded-For is trusted (HEED_TRUSTED_PROXIES)", func(v string) error {
		c.TrustedProxies = splitList(v)
		return nil
	})
	c.TrustedProxies = splitList(os.Getenv("HEED_TRUSTED_PROXIES"))
	c.RegisterEmailFlags(fs)
	fs.DurationVar(&c.AlertDelay, "alert-delay", envDuration("HEED_ALERT_DELAY", 2*time.Minute), "how long a detractor alert waits for the follow-up (HEED_ALERT_DELAY)")
	fs.DurationVar(&c.ShutdownTimeout, "shutdown-timeout", envDuration("HEED_SHUTDOWN_TIMEOUT", 15*time.Second), "how long shutdown may take to flush (HEED_SHUTDOWN_TIMEOUT)")
}

// RegisterEmailFlags declares the email settings (also used by the
// contacts and send commands).
func (c *Config) RegisterEmailFlags(fs *flag.FlagSet) {
	fs.StringVar(&c.PublicURL, "public-url", env("HEED_PUBLIC_URL", ""), "Heed's public URL, used in email links (HEED_PUBLIC_URL; default http://<addr>)")
	fs.StringVar(&c.SendGridKey, "sendgrid-key", env("SENDGRID_API_KEY", ""), "SendGrid API key; without it mail goes to the local outbox (SENDGRID_API_KEY)")
	fs.StringVar(&c.SendGridHost, "sendgrid-host", env("HEED_SENDGRID_HOST", ""), "SendGrid API host (HEED_SENDGRID_HOST; default https://api.sendgrid.com)")
	fs.StringVar(&c.SendGridWebhookKey, "sendgrid-webhook-key", env("HEED_SENDGRID_WEBHOOK_KEY", ""), "SendGrid Event Webhook verification key, base64 (HEED_SENDGRID_WEBHOOK_KEY)")
	fs.StringVar(&c.FromEmail, "from-email", env("HEED_FROM_EMAIL", "surveys@heed.invalid"), "sender address of survey emails (HEED_FROM_EMAIL)")
	fs.StringVar(&c.FromName, "from-name", env("HEED_FROM_NAME", ""), "sender name of survey emails (HEED_FROM_NAME)")
	fs.StringVar(&c.SigningKeys, "signing-keys", env("HEED_SIGNING_KEYS", ""), "kid:secret[,kid:secret] keys for email links; the first signs (HEED_SIGNING_KEYS)")
}

// setDefaults fills zero values, so a Config built in code (tests, tools)
// needs only what it cares about.
func (c *Config) setDefaults() {
	if c.SpoolMaxBytes == 0 {
		c.SpoolMaxBytes = 1 << 30
	}
	if c.FlushInterval == 0 {
		c.FlushInterval = 500 * time.Millisecond
	}
	if c.BatchSize == 0 {
		c.BatchSize = 5000
	}
	if c.ReminderCheck == 0 {
		c.ReminderCheck = 10 * time.Minute
	}
	if c.AlertDelay == 0 {
		c.AlertDelay = 2 * time.Minute
	}
	if c.ShutdownTimeout == 0 {
		c.ShutdownTimeout = 15 * time.Second
	}
	if c.DataDir == "" {
		c.DataDir = ".data"
	}
	if c.PublicURL == "" {
		c.PublicURL = "http://" + strings.Replace(c.Addr, "0.0.0.0", "127.0.0.1", 1)
	}
	c.PublicURL = strings.TrimRight(c.PublicURL, "/")
	if c.FromEmail == "" {
		c.FromEmail = "surveys@heed.invalid"
	}
}

// Defaults returns c with zero values filled, as New uses it.
func Defaults(c Config) Config {
	c.setDefaults()
	return c
}

// Validate reports a configuration that cannot work.
func (c *Config) Validate() error {
	if c.AdminKey == "" {
		return fmt.Errorf("HEED_ADMIN_KEY (or --admin-key) is required; `heed serve --dev` generates a development key")
	}
	if strings.TrimSpace(c.AdminKey) != c.AdminKey || len(c.AdminKey) < 16 {
		return fmt.Errorf("the admin key must be at least 16 characters, without surrounding spaces")
	}
	if c.FlushInterval <= 0 {
		return fmt.Errorf("--flush-interval must be positive")
	}
	if c.SpoolMaxBytes <= 0 {
		return fmt.Errorf("--spool-max-bytes must be positive")
	}
	if c.RateLimit < 0 || (c.RateLimit > 0 && c.RateBurst < 1) {
		return fmt.Errorf("--rate-limit must be >= 0 and --rate-burst >= 1")
	}
	if c.SurveyRateLimit < 0 || (c.SurveyRateLimit > 0 && c.SurveyRateBurst < 1) {
		return fmt.Errorf("--survey-rate-limit must be >= 0 and --survey-rate-burst >= 1")
	}
	if _, err := proxyRanges(c.TrustedProxies); err != nil {
		return err
	}
	if c.BatchSize <= 0 {
		return fmt.Errorf("--batch-size must be positive")
	}
	return nil
}

func env(name, def string) string {
	if v, ok := os.LookupEnv(name); ok {
		return v
	}
	return def
}

func envBool(name string, def bool) bool {
	if v, err := strconv.ParseBool(os.Getenv(name)); err == nil {
		return v
	}
	return def
}

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil {
		return v
	}
	return def
}

func envDuration(name string, def time.Duration) time.Duration {
	if v, err := time.ParseDuration(os.Getenv(name)); err == nil {
		return v
	}
	return def
}

func envFloat(name string, def float64) float64 {
	if v, err := strconv.ParseFloat(os.Getenv(name), 64); err == nil {
		return v
	}
	return def
}

func splitList(v string) []string {
	var out []string
	for _, part := range strings.Split(v, ",") {
		if part = strings.TrimSpace(part); part != "" {
			out = append(out, part)
		}
	}
	return out
}
