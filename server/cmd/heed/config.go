package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"heed/analytics/clickhouse"
	"heed/emails"
	"heed/server"
)

// Config is everything `heed serve` can be told, from flags or HEED_*
// environment variables (a flag wins over the variable). The other
// commands take the parts they need.
type Config struct {
	ClickHouseURL string
	DataDir       string
	// Migrate applies pending migrations before serving.
	Migrate bool
	// FlushInterval, BatchSize and SpoolMaxBytes tune the response writer.
	FlushInterval time.Duration
	BatchSize     int
	SpoolMaxBytes int64
	// AlertDelay is how long a detractor alert waits for the follow-up.
	AlertDelay time.Duration
	// DigestCheck is how often due digests are looked for; 0 turns the
	// digest loop off.
	DigestCheck time.Duration
	// RetentionCheck is how often answers past their survey's retention
	// are anonymised; 0 turns the loop off on this instance.
	RetentionCheck time.Duration
	// ShutdownTimeout bounds the final flush on SIGINT/SIGTERM.
	ShutdownTimeout time.Duration
	Server          server.Config
	Email           emails.Config
}

// flags is a flag set whose flags can also come from environment
// variables. An empty variable counts as unset; a value that does not
// parse is an error naming the variable and the value, never a silent
// default.
type flags struct {
	*flag.FlagSet
	envOf map[string]string // flag name -> variable
	order []string
}

func newFlags(name string, out io.Writer) *flags {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(out)
	return &flags{FlagSet: fs, envOf: map[string]string{}}
}

// bind ties an already declared flag to a variable.
func (f *flags) bind(name, env string) {
	f.envOf[name] = env
	f.order = append(f.order, name)
	if fl := f.Lookup(name); fl != nil {
		fl.Usage += " (" + env + ")"
	}
}

func (f *flags) str(p *string, name, env, def, usage string) {
	f.StringVar(p, name, def, usage)
	f.bind(name, env)
}

func (f *flags) boolean(p *bool, name, env string, def bool, usage string) {
	f.BoolVar(p, name, def, usage)
	f.bind(name, env)
}

func (f *flags) integer(p *int, name, env string, def int, usage string) {
	f.IntVar(p, name, def, usage)
	f.bind(name, env)
}

func (f *flags) int64(p *int64, name, env string, def int64, usage string) {
	f.Int64Var(p, name, def, usage)
	f.bind(name, env)
}

func (f *flags) float(p *float64, name, env string, def float64, usage string) {
	f.Float64Var(p, name, def, usage)
	f.bind(name, env)
}

func (f *flags) duration(p *time.Duration, name, env string, def time.Duration, usage string) {
	f.DurationVar(p, name, def, usage)
	f.bind(name, env)
}

func (f *flags) list(p *[]string, name, env, usage string) {
	f.Func(name, usage, func(v string) error {
		*p = splitList(v)
		return nil
	})
	f.bind(name, env)
}

// parse applies the environment, then args (so a flag wins).
func (f *flags) parse(args []string) error {
	for _, name := range f.order {
		env := f.envOf[name]
		v, ok := os.LookupEnv(env)
		if !ok || v == "" {
			continue
		}
		if err := f.Set(name, v); err != nil {
			return fmt.Errorf("%s=%q is not a valid value for --%s: %v", env, v, name, err)
		}
	}
	return f.Parse(args)
}

// check returns an error naming a flag, its variable and its value when
// ok is false.
func (f *flags) check(ok bool, name, rule string) error {
	if ok {
		return nil
	}
	return fmt.Errorf("--%s (%s) %s, got %s", name, f.envOf[name], rule, f.Lookup(name).Value.String())
}

// checkErr is check for a rule that explains itself in err.
func (f *flags) checkErr(err error, name string) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("--%s (%s) %q: %v", name, f.envOf[name], f.Lookup(name).Value.String(), err)
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

// storeFlags declares where ClickHouse is.
func storeFlags(f *flags, url *string) {
	f.str(url, "clickhouse-url", "HEED_CLICKHOUSE_URL", clickhouse.DefaultURL, "ClickHouse DSN, native protocol")
}

// emailFlags declares how mail goes out (serve, send).
func emailFlags(f *flags, c *emails.Config) {
	f.str(&c.PublicURL, "public-url", "HEED_PUBLIC_URL", "", "Heed's public URL, used in email links (default http://<addr>)")
	f.str(&c.SendGridKey, "sendgrid-key", "SENDGRID_API_KEY", "", "SendGrid API key; without it mail goes to the local outbox")
	f.str(&c.SendGridHost, "sendgrid-host", "HEED_SENDGRID_HOST", "", "SendGrid API host (default https://api.sendgrid.com)")
	f.str(&c.WebhookKey, "sendgrid-webhook-key", "HEED_SENDGRID_WEBHOOK_KEY", "", "SendGrid Event Webhook verification key, base64")
	f.str(&c.FromEmail, "from-email", "HEED_FROM_EMAIL", "surveys@heed.invalid", "sender address of survey emails")
	f.str(&c.FromName, "from-name", "HEED_FROM_NAME", "", "sender name of survey emails")
	f.str(&c.SigningKeys, "signing-keys", "HEED_SIGNING_KEYS", "", "kid:secret[,kid:secret] keys for email links; the first signs")
	f.str(&c.ErasureKey, "erasure-key", "HEED_ERASURE_KEY", "", "secret (16+ characters) under which forgotten people's emails and ids are hashed; keep it stable (default: a key kept in <data-dir>/erasure_key)")
}

// publicURL is where email links point when --public-url is unset.
func publicURL(set, addr string) string {
	if set != "" {
		return strings.TrimRight(set, "/")
	}
	return "http://" + strings.Replace(addr, "0.0.0.0", "127.0.0.1", 1)
}

// serveFlags declares every flag of `heed serve` on c.
func serveFlags(f *flags, c *Config) {
	s := &c.Server
	f.str(&s.Addr, "addr", "HEED_ADDR", "127.0.0.1:8080", "listen address")
	storeFlags(f, &c.ClickHouseURL)
	f.str(&s.AdminKey, "admin-key", "HEED_ADMIN_KEY", "", "admin API key")
	f.str(&c.DataDir, "data-dir", "HEED_DATA_DIR", ".data", "folder for Heed's local files")
	f.boolean(&s.Dev, "dev", "HEED_DEV", false, "development mode: generated admin key, text logs, outbox pages")
	f.boolean(&c.Migrate, "migrate", "HEED_MIGRATE", false, "apply migrations before serving")
	f.boolean(&s.Demo, "demo", "HEED_DEMO", false, "create the demo survey if missing")
	f.duration(&c.FlushInterval, "flush-interval", "HEED_FLUSH_INTERVAL", 500*time.Millisecond, "longest wait before accepted responses are written to ClickHouse")
	f.integer(&c.BatchSize, "batch-size", "HEED_BATCH_SIZE", 5000, "responses per ClickHouse insert")
	f.int64(&c.SpoolMaxBytes, "spool-max-bytes", "HEED_SPOOL_MAX_BYTES", 1<<30, "largest on-disk spool of accepted responses, in bytes")
	f.float(&s.RateLimit, "rate-limit", "HEED_RATE_LIMIT", 20, "requests per second per client IP on public endpoints, 0 = off")
	f.integer(&s.RateBurst, "rate-burst", "HEED_RATE_BURST", 60, "burst allowed above --rate-limit")
	f.float(&s.SurveyRateLimit, "survey-rate-limit", "HEED_SURVEY_RATE_LIMIT", 500, "requests per second per survey on public endpoints, 0 = off")
	f.integer(&s.SurveyRateBurst, "survey-rate-burst", "HEED_SURVEY_RATE_BURST", 2000, "burst allowed above --survey-rate-limit")
	f.float(&s.AdminRateLimit, "admin-rate-limit", "HEED_ADMIN_RATE_LIMIT", 50, "requests per second per client IP on admin routes, 0 = off")
	f.integer(&s.AdminRateBurst, "admin-rate-burst", "HEED_ADMIN_RATE_BURST", 200, "burst allowed above --admin-rate-limit")
	f.integer(&s.AuthFailures, "auth-failures", "HEED_AUTH_FAILURES", 10, "wrong keys, passwords and sign-in links per client IP per minute before 429, 0 = off")
	f.float(&s.WebhookRateLimit, "webhook-rate-limit", "HEED_WEBHOOK_RATE_LIMIT", 20, "requests per second per client IP on the SendGrid webhook, 0 = off")
	f.integer(&s.WebhookRateBurst, "webhook-rate-burst", "HEED_WEBHOOK_RATE_BURST", 100, "burst allowed above --webhook-rate-limit")
	f.duration(&s.ReadTimeout, "read-timeout", "HEED_READ_TIMEOUT", 30*time.Second, "longest time to read a request, body included; slower bodies get 408")
	f.str(&s.DemoAddr, "demo-addr", "HEED_DEMO_ADDR", "127.0.0.1:8081", "address of the demo customer page with --dev --demo")
	f.list(&s.TrustedProxies, "trusted-proxies", "HEED_TRUSTED_PROXIES", "comma-separated IP ranges of reverse proxies whose X-Forwarded-For is trusted")
	emailFlags(f, &c.Email)
	f.duration(&c.AlertDelay, "alert-delay", "HEED_ALERT_DELAY", 2*time.Minute, "how long a detractor alert waits for the follow-up")
	f.duration(&c.DigestCheck, "digest-check", "HEED_DIGEST_CHECK", time.Minute, "how often due survey digests are looked for, 0 = off")
	f.duration(&c.RetentionCheck, "retention-check", "HEED_RETENTION_CHECK", time.Hour, "how often answers past their survey's retention_days are anonymised, 0 = off")
	f.duration(&c.ShutdownTimeout, "shutdown-timeout", "HEED_SHUTDOWN_TIMEOUT", 15*time.Second, "how long shutdown may take to flush")
}

// check reports values that parse but cannot work, naming the flag, the
// variable and the value. (Each component checks its own rules too.)
func (c *Config) check(f *flags) error {
	for _, err := range []error{
		f.check(c.FlushInterval > 0, "flush-interval", "must be positive"),
		f.check(c.BatchSize > 0, "batch-size", "must be positive"),
		f.check(c.SpoolMaxBytes > 0, "spool-max-bytes", "must be positive"),
		f.check(c.AlertDelay > 0, "alert-delay", "must be positive"),
		f.check(c.DigestCheck >= 0, "digest-check", "must be 0 (off) or more"),
		f.check(c.RetentionCheck >= 0, "retention-check", "must be 0 (off) or more"),
		f.check(c.ShutdownTimeout > 0, "shutdown-timeout", "must be positive"),
		f.check(c.Server.RateLimit >= 0, "rate-limit", "must be 0 (off) or more"),
		f.check(c.Server.RateLimit == 0 || c.Server.RateBurst >= 1, "rate-burst", "must be at least 1 while --rate-limit is on"),
		f.check(c.Server.SurveyRateLimit >= 0, "survey-rate-limit", "must be 0 (off) or more"),
		f.check(c.Server.SurveyRateLimit == 0 || c.Server.SurveyRateBurst >= 1, "survey-rate-burst", "must be at least 1 while --survey-rate-limit is on"),
		f.check(c.Server.AdminRateLimit >= 0, "admin-rate-limit", "must be 0 (off) or more"),
		f.check(c.Server.AdminRateLimit == 0 || c.Server.AdminRateBurst >= 1, "admin-rate-burst", "must be at least 1 while --admin-rate-limit is on"),
		f.check(c.Server.AuthFailures >= 0, "auth-failures", "must be 0 (off) or more"),
		f.check(c.Server.WebhookRateLimit >= 0, "webhook-rate-limit", "must be 0 (off) or more"),
		f.check(c.Server.WebhookRateLimit == 0 || c.Server.WebhookRateBurst >= 1, "webhook-rate-burst", "must be at least 1 while --webhook-rate-limit is on"),
		f.check(c.Server.ReadTimeout > 0, "read-timeout", "must be positive"),
		f.checkErr(server.CheckTrustedProxies(c.Server.TrustedProxies), "trusted-proxies"),
	} {
		if err != nil {
			return err
		}
	}
	return nil
}
