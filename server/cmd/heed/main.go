// Command heed runs Heed, the self-hosted NPS and survey service. Its main
// wires the parts together: it opens the ClickHouse store, migrates, builds
// the response writer, the email machinery and the HTTP server, and hands
// each what it needs.
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
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"heed/analytics"
	"heed/analytics/clickhouse"
	"heed/analytics/ingest"
	"heed/emails"
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
  heed churn import FILE.csv
                         import the customers who left (header row:
                         email or respondent,churned_at,reason,revenue)
  heed import delighted FILE --survey ID [--dry-run]
                         import Delighted's answers (its CSV export or the
                         JSON pages of its survey_responses API)
  heed import csv FILE --survey ID --map score=COL,created_at=COL,...
                         import answers from any other tool's CSV
  heed send --survey ID [--where prop=value]... [--dry-run]
                         email a survey (resumable: run it again after Ctrl-C)
  heed send --remind SEND_ID
                         remind those who have not answered
  heed accounts add EMAIL --role admin|manager|viewer [--name NAME]
                         add a person; prints their one-time sign-in link
  heed accounts list     the people who can sign in
  heed keys create --name NAME --role admin|manager|viewer|ingest [--surveys ID,...]
                         an API key for a machine (printed once)
  heed keys list | heed keys revoke KEY_ID
  heed people forget EMAIL-OR-ID
                         delete everything Heed holds on a person (a salted
                         hash stays, so they are never emailed again)
  heed people export EMAIL-OR-ID
                         print everything Heed holds on a person, as JSON
  heed retention run     anonymise answers past their survey's retention_days
                         (heed serve does it every --retention-check)
  heed version           print the version
`

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

// daysInterval is how often the counted days of answers are brought up to
// date (clickhouse.DB.MaintainDays).
const daysInterval = 5 * time.Second

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
	case "churn":
		return churnCmd(ctx, args[1:], stdout, stderr)
	case "import":
		return importCmd(ctx, args[1:], stdout, stderr)
	case "send":
		return sendCmd(ctx, args[1:], stdout, stderr)
	case "keys":
		return keysCmd(ctx, args[1:], stdout, stderr)
	case "accounts":
		return accountsCmd(ctx, args[1:], stdout, stderr)
	case "people":
		return peopleCmd(ctx, args[1:], stdout, stderr)
	case "retention":
		return retentionCmd(ctx, args[1:], stdout, stderr)
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
	Config Config
	Stdout io.Writer
	Stderr io.Writer
}

// ParseFlags reads the serve flags and environment.
func (m *Main) ParseFlags(args []string) error {
	f := newFlags("heed serve", m.Stderr)
	serveFlags(f, &m.Config)
	if err := f.parse(args); err != nil {
		return err
	}
	return m.Config.check(f)
}

// Run builds every part, serves until ctx ends (SIGINT/SIGTERM), then
// shuts down on a fresh context so accepted responses are flushed.
func (m *Main) Run(ctx context.Context) error {
	cfg := &m.Config
	log := newLogger(m.Stderr, cfg.Server.Dev)
	if cfg.Server.Dev && cfg.Server.AdminKey == "" {
		key, err := devAdminKey(cfg.DataDir)
		if err != nil {
			return err
		}
		cfg.Server.AdminKey = key
	}
	// The server checks its own config again; checking first means a bad
	// key fails before anything is opened.
	if err := cfg.Server.Validate(); err != nil {
		return err
	}
	if addr := os.Getenv("HEED_PPROF_ADDR"); addr != "" {
		// Profiling on its own listener, never on the public one.
		go func() {
			log.Info("pprof listening", "addr", addr)
			log.Warn("pprof stopped", "err", http.ListenAndServe(addr, nil))
		}()
	}

	// With --migrate a store that cannot be reached is fatal; without it,
	// Heed starts anyway and /readyz says why it is not ready.
	if cfg.Migrate {
		if err := clickhouse.CreateDatabase(ctx, cfg.ClickHouseURL); err != nil {
			return err
		}
	}
	store, err := clickhouse.Open(cfg.ClickHouseURL)
	if err != nil {
		return err
	}
	defer store.Close()
	if cfg.Migrate {
		if err := store.Migrate(ctx, log); err != nil {
			return err
		}
	}
	cfg.Server.Migrated = cfg.Migrate
	cfg.Server.RetentionCheck = cfg.RetentionCheck
	if cfg.RetentionCheck == 0 {
		cfg.Server.RetentionCheck = -1 // off (the server's zero is its default)
	}
	// Keep the counted days of answers current: reports stay exact without
	// it, and fast with it.
	daysCtx, stopDays := context.WithCancel(context.Background())
	daysDone := make(chan struct{})
	go func() {
		defer close(daysDone)
		store.MaintainDays(daysCtx, daysInterval, log)
	}()
	defer func() { stopDays(); <-daysDone }()

	// Answers past their survey's retention are stored anonymised, also
	// a late follow-up of an old answer (clickhouse.DB.SetRetention); set
	// before the writer replays its spool.
	surveys := analytics.NewSurveys(store)
	store.SetRetention(surveys.RetentionCutoff)
	// Forgotten people's answers are left out at insert, also those in
	// this spool (or another instance's) when they were forgotten
	// (clickhouse.DB.SetErasure); the same key as emails.New takes.
	erasure, err := emails.ErasureHasher(cfg.Email.ErasureKey, cfg.DataDir)
	if err != nil {
		return err
	}
	store.SetErasure(erasure)

	writer, err := ingest.New(store, ingest.Options{
		SpoolDir:      filepath.Join(cfg.DataDir, "spool"),
		MaxSpoolBytes: cfg.SpoolMaxBytes,
		BatchSize:     cfg.BatchSize,
		FlushInterval: cfg.FlushInterval,
		Logger:        log,
	})
	if err != nil {
		return err
	}
	// closeWriter flushes every accepted answer within ctx. Nothing is lost
	// if it cannot: the spool keeps the rest for the next start.
	closeWriter := func(ctx context.Context) error {
		if err := writer.Close(ctx); err != nil {
			return err
		}
		log.Info("flushed accepted responses")
		return nil
	}
	// shutdownCtx is the one deadline (--shutdown-timeout) every step of
	// stopping shares, so that stopping takes no longer than promised.
	shutdownCtx := func() (context.Context, context.CancelFunc) {
		return context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	}

	cfg.Email.PublicURL = publicURL(cfg.Email.PublicURL, cfg.Server.Addr)
	cfg.Email.DataDir = cfg.DataDir
	cfg.Email.Logger = log
	emailing, err := emails.New(cfg.Email, store)
	if err != nil {
		ctx, cancel := shutdownCtx()
		defer cancel()
		return errors.Join(err, closeWriter(ctx))
	}
	alerts := emails.NewAlerts(cfg.AlertDelay, emailing.SendAlert, log)
	alerts.SetSuperseded(store.AnswerSuperseded)
	// Digests go through the same mailer (SendGrid or the outbox) and attach
	// the server's own report.csv.
	digests, err := emails.NewDigests(emails.DigestOptions{Store: store, Surveys: surveys, Mailer: emailing.Mailer,
		From: emailing.From, BaseURL: emailing.BaseURL, ReportCSV: server.ReportCSV,
		Log: log})
	if err != nil {
		ctx, cancel := shutdownCtx()
		defer cancel()
		return errors.Join(err, closeWriter(ctx))
	}

	srv, err := server.New(ctx, cfg.Server, server.Deps{
		Store:    store,
		Surveys:  surveys,
		Writer:   writer,
		Emailing: emailing,
		Alerts:   alerts,
		Digests:  digests,
		Log:      log,
	})
	if err != nil {
		ctx, cancel := shutdownCtx()
		defer cancel()
		return errors.Join(err, closeWriter(ctx))
	}
	// The digest loop: every --digest-check, the digests that are due go
	// out (0 turns it off, e.g. on all instances but one).
	// Stopping waits for a digest being sent, within the shutdown deadline
	// (past it, its claim stays "sending": never sent twice).
	stopDigests := func(context.Context) {}
	if cfg.DigestCheck > 0 {
		digestCtx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() {
			defer close(done)
			digests.Run(digestCtx, cfg.DigestCheck)
		}()
		stopDigests = func(ctx context.Context) {
			cancel()
			select {
			case <-done:
			case <-ctx.Done():
				log.Warn("shutdown: a digest was still being sent")
			}
		}
	}
	// shutdown stops in the reverse order of building: no new digests,
	// no new requests, pending alerts out, every accepted answer written;
	// all within one deadline.
	shutdown := func() error {
		ctx, cancel := shutdownCtx()
		defer cancel()
		stopDigests(ctx)
		err := srv.Shutdown(ctx)
		alerts.Flush(ctx)
		return errors.Join(err, closeWriter(ctx))
	}
	if err := srv.Start(); err != nil {
		return errors.Join(err, shutdown())
	}
	if cfg.Server.Dev {
		fmt.Fprintf(m.Stdout, "\nHeed is running on http://%s\nAdmin key (the bootstrap key): %s\n", srv.Addr(), cfg.Server.AdminKey)
		fmt.Fprintf(m.Stdout, "Sign in to the dashboard with it: http://%s/dashboard.html#key=%s\n", srv.Addr(), url.QueryEscape(cfg.Server.AdminKey))
		fmt.Fprintf(m.Stdout, "Then invite people in Team (their links arrive in the outbox), or: bin/heed accounts add you@example.com --role admin\n")
		if u := srv.DemoURL(); u != "" {
			fmt.Fprintf(m.Stdout, "Demo customer site (embeds the widget): %s\n", u)
		}
		if emailing.Outbox != nil {
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
	return errors.Join(serveErr, shutdown())
}

func migrate(ctx context.Context, args []string, stderr io.Writer) error {
	f := newFlags("heed migrate", stderr)
	var url string
	storeFlags(f, &url)
	if err := f.parse(args); err != nil {
		return err
	}
	log := newLogger(stderr, true)
	ctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	if err := clickhouse.CreateDatabase(ctx, url); err != nil {
		return err
	}
	store, err := clickhouse.Open(url)
	if err != nil {
		return err
	}
	defer store.Close()
	if err := store.Migrate(ctx, log); err != nil {
		return err
	}
	log.Info("migrations applied", "database", store.Database())
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
