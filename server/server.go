// Package server is Heed's HTTP API and site: Echo v4, config, auth and
// wiring. Echo stays inside this package (see ../shared/docs/style.md).
package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-playground/validator/v10"
	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"heed/analytics"
)

// Server is a running Heed: the HTTP API and site, the survey cache and the
// response writer.
type Server struct {
	cfg      Config
	log      *slog.Logger
	db       *analytics.DB
	surveys  *analytics.Surveys
	writer   *analytics.Writer
	echo     *echo.Echo
	validate *validator.Validate
	site     *siteFiles
	emailing *Emailing
	alerts   *alerts

	ln            net.Listener
	demo          *http.Server
	demoURL       string
	serveErr      chan error
	surveysLoaded atomic.Bool
	migrated      atomic.Bool
	stopRefresh   context.CancelFunc
	refreshDone   chan struct{}
	shutdownOnce  sync.Once
	bgCtx         context.Context // background work (sends) ends with the server
	bgCancel      context.CancelFunc
	bg            sync.WaitGroup
}

// New builds a server; Start listens. With cfg.Migrate it applies migrations
// first (and fails when ClickHouse is unreachable); without it, the server
// starts even while ClickHouse is down and /readyz says why it is not ready.
func New(ctx context.Context, cfg Config, log *slog.Logger) (*Server, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Migrate {
		if err := analytics.CreateDatabase(ctx, cfg.ClickHouseURL); err != nil {
			return nil, err
		}
	}
	db, err := analytics.Open(cfg.ClickHouseURL)
	if err != nil {
		return nil, err
	}
	if cfg.Migrate {
		if err := db.Migrate(ctx, log); err != nil {
			db.Close()
			return nil, err
		}
	}
	site, err := newSiteFiles()
	if err != nil {
		db.Close()
		return nil, err
	}
	s := &Server{
		cfg:      cfg,
		log:      log,
		db:       db,
		surveys:  analytics.NewSurveys(db),
		validate: newValidator(),
		site:     site,
		serveErr: make(chan error, 1),
	}
	s.migrated.Store(cfg.Migrate)
	if s.emailing, err = NewEmailing(cfg, db); err != nil {
		db.Close()
		return nil, err
	}
	s.alerts = &alerts{delay: cfg.AlertDelay, send: s.sendAlert, log: log, timers: map[uuid.UUID]*pendingAlert{}}
	s.bgCtx, s.bgCancel = context.WithCancel(context.Background())
	s.writer, err = analytics.NewWriter(db, analytics.WriterOptions{
		SpoolDir:      filepath.Join(cfg.DataDir, "spool"),
		MaxSpoolBytes: cfg.SpoolMaxBytes,
		BatchSize:     cfg.BatchSize,
		FlushInterval: cfg.FlushInterval,
		Logger:        log,
	})
	if err != nil {
		db.Close()
		return nil, err
	}
	if err := s.loadSurveys(ctx); err != nil {
		log.Warn("surveys not loaded yet; retrying in the background", "err", err)
	}
	if cfg.Demo {
		if err := s.ensureDemoSurvey(ctx); err != nil {
			s.writer.Close(ctx)
			db.Close()
			return nil, err
		}
	}
	s.echo = s.newEcho()
	refreshCtx, cancel := context.WithCancel(context.Background())
	s.stopRefresh = cancel
	s.refreshDone = make(chan struct{})
	go s.refreshSurveys(refreshCtx)
	s.background(s.remindLoop)
	return s, nil
}

func (s *Server) newEcho() *echo.Echo {
	e := echo.New()
	e.HideBanner = true
	e.HidePort = true
	// Set before any rate limiter: see ipExtractor.
	e.IPExtractor = ipExtractor(s.cfg.TrustedProxies)
	e.HTTPErrorHandler = errorHandler(s.log)
	e.Server.ReadHeaderTimeout = 10 * time.Second
	e.Server.ReadTimeout = 30 * time.Second
	e.Server.WriteTimeout = 60 * time.Second
	e.Server.IdleTimeout = 120 * time.Second
	s.routes(e)
	return e
}

// Start listens on cfg.Addr and serves in the background.
func (s *Server) Start() error {
	ln, err := net.Listen("tcp", s.cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", s.cfg.Addr, err)
	}
	s.ln = ln
	s.echo.Listener = ln
	go func() {
		err := s.echo.Server.Serve(ln)
		if errors.Is(err, http.ErrServerClosed) {
			err = nil
		}
		s.serveErr <- err
	}()
	s.log.Info("serving", "addr", "http://"+ln.Addr().String())
	if s.cfg.Dev && s.cfg.Demo && s.cfg.DemoAddr != "" {
		if err := s.startDemoSite(); err != nil {
			s.log.Warn("demo customer site not started", "addr", s.cfg.DemoAddr, "err", err)
		}
	}
	return nil
}

// Addr is the address the server listens on (useful with port 0).
func (s *Server) Addr() string { return s.ln.Addr().String() }

// Err reports a failure of the HTTP server after Start.
func (s *Server) Err() <-chan error { return s.serveErr }

// Handler is the HTTP handler, for tests that need no listener.
func (s *Server) Handler() http.Handler { return s.echo }

// Shutdown stops accepting requests, lets running ones finish, then writes
// every accepted response to ClickHouse. Give it a fresh context: a cancelled
// one would drop the last responses.
func (s *Server) Shutdown(ctx context.Context) error {
	var err error
	s.shutdownOnce.Do(func() {
		s.stopDemoSite(ctx)
		if s.ln != nil {
			if e := s.echo.Shutdown(ctx); e != nil {
				err = fmt.Errorf("stop HTTP server: %w", e)
			}
		}
		s.stopRefresh()
		<-s.refreshDone
		s.bgCancel() // sends stop between batches; their log stays consistent
		s.bg.Wait()
		s.alerts.flush()
		if e := s.writer.Close(ctx); e != nil {
			// Nothing is lost: the spool keeps the rest for the next start.
			err = errors.Join(err, e)
		} else {
			s.log.Info("flushed accepted responses")
		}
		s.db.Close()
	})
	return err
}

// background runs f until it returns or the server shuts down.
func (s *Server) background(f func(ctx context.Context)) {
	s.bg.Add(1)
	go func() {
		defer s.bg.Done()
		f(s.bgCtx)
	}()
}

func (s *Server) loadSurveys(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := s.surveys.Load(ctx); err != nil {
		return err
	}
	s.surveysLoaded.Store(true)
	return nil
}

// refreshSurveys reloads the survey cache: quickly until the first load
// succeeds (ClickHouse may start after Heed), then every 30 s so that
// surveys created through another instance appear.
func (s *Server) refreshSurveys(ctx context.Context) {
	defer close(s.refreshDone)
	for {
		wait := 30 * time.Second
		if !s.surveysLoaded.Load() {
			wait = time.Second
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		if err := s.loadSurveys(ctx); err != nil && ctx.Err() == nil {
			s.log.Warn("reload surveys", "err", err)
		}
	}
}
