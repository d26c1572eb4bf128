// Command heed runs Heed, the self-hosted NPS and survey service.
//
//	heed serve [--migrate] [--dev] [--demo] [flags]   serve the API and site
//	heed migrate [flags]                               apply ClickHouse migrations
//
// Every flag also reads a HEED_* environment variable; run `heed serve -h`.
package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	_ "net/http/pprof"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"heed/analytics"
	"heed/server"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "heed:", err)
		}
		os.Exit(1)
	}
}

const usage = `Heed: hear every customer, see why they leave.

Usage:
  heed serve [flags]     serve the API and the site (see heed serve -h)
  heed migrate [flags]   apply ClickHouse migrations and exit
  heed contacts import FILE.csv
                         import contacts (header row: email,name,<property>...)
  heed send --survey ID [--where prop=value]... [--dry-run]
                         email a survey (resumable: run it again after Ctrl-C)
  heed send --remind SEND_ID
                         remind those who have not answered
  heed version           print the version
`

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return errors.New("a command is required")
	}
	switch args[0] {
	case "serve":
		m := &Main{Stdout: stdout, Stderr: stderr}
		if err := m.ParseFlags(args[1:]); err != nil {
			return err
		}
		return m.Run(ctx)
	case "migrate":
		return migrate(ctx, args[1:], stderr)
	case "contacts":
		return contactsCmd(ctx, args[1:], stdout, stderr)
	case "send":
		return sendCmd(ctx, args[1:], stdout, stderr)
	case "version":
		fmt.Fprintln(stdout, "heed", version)
		return nil
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprint(stderr, usage)
	return fmt.Errorf("unknown command %q", args[0])
}

// Main is `heed serve`: ParseFlags, then Run until the context ends, so
// tests can run the real program.
type Main struct {
	Config server.Config
	Stdout io.Writer
	Stderr io.Writer
}

// ParseFlags reads the serve flags and environment.
func (m *Main) ParseFlags(args []string) error {
	fs := flag.NewFlagSet("heed serve", flag.ContinueOnError)
	fs.SetOutput(m.Stderr)
	m.Config.RegisterFlags(fs)
	return fs.Parse(args)
}

// Run serves until ctx ends (SIGINT/SIGTERM), then shuts down on a fresh
// context so accepted responses are flushed.
func (m *Main) Run(ctx context.Context) error {
	log := newLogger(m.Stderr, m.Config.Dev)
	if m.Config.Dev && m.Config.AdminKey == "" {
		key, err := devAdminKey(m.Config.DataDir)
		if err != nil {
			return err
		}
		m.Config.AdminKey = key
	}
	if addr := os.Getenv("HEED_PPROF_ADDR"); addr != "" {
		// Profiling on its own listener, never on the public one.
		go func() {
			log.Info("pprof listening", "addr", addr)
			log.Warn("pprof stopped", "err", http.ListenAndServe(addr, nil))
		}()
	}
	srv, err := server.New(ctx, m.Config, log)
	if err != nil {
		return err
	}
	if err := srv.Start(); err != nil {
		ctx, cancel := context.WithTimeout(context.Background(), m.Config.ShutdownTimeout)
		defer cancel()
		srv.Shutdown(ctx) // the spool keeps what this cannot flush
		return err
	}
	if m.Config.Dev {
		fmt.Fprintf(m.Stdout, "\nHeed is running on http://%s\nAdmin key: %s\n", srv.Addr(), m.Config.AdminKey)
		if u := srv.DemoURL(); u != "" {
			fmt.Fprintf(m.Stdout, "Demo customer site (embeds the widget): %s\n", u)
		}
		if m.Config.SendGridKey == "" {
			fmt.Fprintf(m.Stdout, "Outbox (emails Heed would send; answer the demo email there): http://%s/dev/outbox\n", srv.Addr())
		}
		fmt.Fprintln(m.Stdout)
	}
	var serveErr error
	select {
	case <-ctx.Done():
		log.Info("shutting down: flushing accepted responses")
	case serveErr = <-srv.Err():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), m.Config.ShutdownTimeout)
	defer cancel()
	return errors.Join(serveErr, srv.Shutdown(shutdownCtx))
}

func migrate(ctx context.Context, args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("heed migrate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	url := fs.String("clickhouse-url", envOr("HEED_CLICKHOUSE_URL", analytics.DefaultURL), "ClickHouse DSN (HEED_CLICKHOUSE_URL)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	log := newLogger(stderr, true)
	ctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	if err := analytics.CreateDatabase(ctx, *url); err != nil {
		return err
	}
	db, err := analytics.Open(*url)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := db.Migrate(ctx, log); err != nil {
		return err
	}
	log.Info("migrations applied", "database", db.Database())
	return nil
}

func newLogger(w io.Writer, dev bool) *slog.Logger {
	if dev {
		return slog.New(slog.NewTextHandler(w, nil))
	}
	return slog.New(slog.NewJSONHandler(w, nil))
}

// devAdminKey returns the development admin key kept in DataDir/admin_key,
// creating it on first use so the key survives restarts of make run.
func devAdminKey(dataDir string) (string, error) {
	path := filepath.Join(dataDir, "admin_key")
	if b, err := os.ReadFile(path); err == nil && len(strings.TrimSpace(string(b))) >= 16 {
		return strings.TrimSpace(string(b)), nil
	}
	b := make([]byte, 24)
	rand.Read(b)
	key := "heed_dev_" + hex.EncodeToString(b)
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return "", fmt.Errorf("create data dir: %w", err)
	}
	if err := os.WriteFile(path, []byte(key+"\n"), 0o600); err != nil {
		return "", fmt.Errorf("store dev admin key: %w", err)
	}
	return key, nil
}

func envOr(name, def string) string {
	if v, ok := os.LookupEnv(name); ok {
		return v
	}
	return def
}
