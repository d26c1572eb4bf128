package server

import (
	"flag"
	"fmt"
	"os"
	"strconv"
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
	fs.DurationVar(&c.ShutdownTimeout, "shutdown-timeout", envDuration("HEED_SHUTDOWN_TIMEOUT", 15*time.Second), "how long shutdown may take to flush (HEED_SHUTDOWN_TIMEOUT)")
}

// Validate reports a configuration that cannot work.
func (c *Config) Validate() error {
	if c.AdminKey == "" && !c.Dev {
		return fmt.Errorf("HEED_ADMIN_KEY (or --admin-key) is required; use --dev for a generated development key")
	}
	if c.AdminKey != "" && len(c.AdminKey) < 16 {
		return fmt.Errorf("the admin key must be at least 16 characters")
	}
	if c.FlushInterval <= 0 {
		return fmt.Errorf("--flush-interval must be positive")
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
