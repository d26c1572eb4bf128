// Package server is Heed's HTTP API and site on Echo v4: routes, handlers,
// auth, rate limits, errors. It works on the small interfaces of package
// analytics and on the email machinery; `heed serve` (server/cmd/heed)
// builds those and hands them in. Echo stays inside this package.
package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-playground/validator/v10"
	"github.com/labstack/echo/v4"

	"heed/analytics"
	"heed/emails"
)

// Writer makes accepted answers durable before they are acknowledged
// (analytics/ingest.Writer).
type Writer interface {
	Add(r analytics.Response) error
	AddDismissal(d analytics.Dismissal) error
	// Backlog is what waits for the store: rows, and bytes on disk.
	Backlog() (pendingRows int, spoolBytes int64)
	// LastError is the error of the last flush, nil after a good one.
	LastError() error
}

// Deps are the parts the server works on; `heed serve` builds them.
type Deps struct {
	Store    analytics.Store
	Surveys  *analytics.Surveys
	Writer   Writer
	Emailing *emails.Emailing
	// Alerts hears about every confirmed answer (nil: no alerts).
	Alerts *emails.Alerts
	// Digests previews and test-sends digests (nil: those routes answer
	// 503); heed serve runs its loop.
	Digests *emails.Digests
	Log     *slog.Logger
}

// Server is Heed's HTTP side: the API, the site, and the background work
// that belongs to serving (survey refresh, sends started through the API,
// reminders).
type Server struct {
	cfg      Config
	log      *slog.Logger
	store    analytics.Store
	surveys  *analytics.Surveys
	writer   Writer
	emailing *emails.Emailing
	alerts   *emails.Alerts
	digests  *emails.Digests
	echo     *echo.Echo
	validate *validator.Validate
	site     *siteFiles
	team     *team       // accounts and API keys (team.go)
	access   routeAccess // what each route asks of its caller (access.go)
	// authFailures limits wrong keys and passwords per client, keyedLimit
	// the requests per client of every route that takes a credential
	// (limits.go).
	authFailures *authFailures
	keyedLimit   echo.MiddlewareFunc
	// publicOrigin is the origin of the public URL (Emailing.BaseURL):
	// Heed's own pages, which checkOrigin lets through.
	publicOrigin string

	ln           net.Listener
	demo         *http.Server
	demoURL      string
	serveErr     chan error
	migrated     atomic.Bool
	shutdownOnce sync.Once
	bgCtx        context.Context // background work ends with the server
	bgCancel     context.CancelFunc
	bg           sync.WaitGroup
	// signInAsks holds the sign-in links asked for, mailed in the
	// background (sessions.go).
	signInAsks chan signInAsk
}

// New builds a server on deps; Start listens. It starts even while the
// store is down: /readyz says why it is not ready, and surveys load in the
// background once the store answers.
func New(ctx context.Context, cfg Config, deps Deps) (*Server, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if deps.Store == nil || deps.Surveys == nil || deps.Writer == nil || deps.Emailing == nil {
		return nil, errors.New("server: Store, Surveys, Writer and Emailing are required")
	}
	if deps.Log == nil {
		deps.Log = slog.New(slog.DiscardHandler)
	}
	site, err := newSiteFiles()
	if err != nil {
		return nil, err
	}
	s := &Server{
		cfg:          cfg,
		log:          deps.Log,
		store:        deps.Store,
		surveys:      deps.Surveys,
		writer:       deps.Writer,
		emailing:     deps.Emailing,
		alerts:       deps.Alerts,
		digests:      deps.Digests,
		validate:     newValidator(),
		site:         site,
		team:         newTeam(deps.Store),
		access:       routeAccess{},
		authFailures: newAuthFailures(cfg.AuthFailures, time.Minute),
		keyedLimit:   rateLimit(cfg.AdminRateLimit, cfg.AdminRateBurst, perIP, "from this address"),
		serveErr:     make(chan error, 1),
	}
	if u, err := url.Parse(deps.Emailing.BaseURL); err == nil {
		s.publicOrigin, _ = normalizeOrigin(u.Scheme + "://" + u.Host)
	}
	s.migrated.Store(cfg.Migrated)
	s.bgCtx, s.bgCancel = context.WithCancel(context.Background())
	if err := s.loadSurveys(ctx); err != nil {
		s.log.Warn("surveys not loaded yet; retrying in the background", "err", err)
	}
	if err := s.loadTeam(ctx); err != nil {
		s.log.Warn("accounts and keys not loaded yet; retrying in the background", "err", err)
	}
	if cfg.Demo {
		if err := s.ensureDemoSurvey(ctx); err != nil {
			s.bgCancel()
			return nil, err
		}
	}
	s.echo = s.newEcho()
	s.background(s.refreshSurveys)
	s.background(s.refreshTeam)
	s.background(s.remindLoop)
	s.background(s.retentionLoop)
	s.signInAsks = make(chan signInAsk, signInQueue)
	s.background(s.signInMailer)
	return s, nil
}

func (s *Server) newEcho() *echo.Echo {
	e := echo.New()
	e.HideBanner = true
	e.HidePort = true
	// Set before any rate limiter: see ipExtractor.
	e.IPExtractor = ipExtractor(s.cfg.TrustedProxies)
	e.HTTPErrorHandler = errorHandler(s.log)
	// A body slower than ReadTimeout is cut: its read fails, and the
	// handler answers 408 (markBodyErrors); the write deadline is separate.
	e.Server.ReadHeaderTimeout = min(10*time.Second, s.cfg.ReadTimeout)
	e.Server.ReadTimeout = s.cfg.ReadTimeout
	e.Server.WriteTimeout = 60 * time.Second
	e.Server.IdleTimeout = 120 * time.Second
	// Before every route's own middleware (body limits wrap the marked
	// body, so their 413 stays theirs).
	e.Use(refuseAmbiguousFraming, markBodyErrors, responseHeaders)
	e.Server.ConnContext = framingContext // framing.go: the listener notes each request's framing
	s.routes(e)
	return e
}

// Start listens on cfg.Addr and serves in the background.
func (s *Server) Start() error {
	ln, err := net.Listen("tcp", s.cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", s.cfg.Addr, err)
	}
	ln = framingListener{ln} // framing.go: Transfer-Encoding with Content-Length is refused
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

// Shutdown stops accepting requests, lets running ones finish and stops
// the background work (sends stop between batches, so their log stays
// consistent). The caller then closes what it built: the alerts, the
// writer (which flushes every accepted answer) and the store.
func (s *Server) Shutdown(ctx context.Context) error {
	var err error
	s.shutdownOnce.Do(func() {
		s.stopDemoSite(ctx)
		if s.ln != nil {
			if e := s.echo.Shutdown(ctx); e != nil {
				err = fmt.Errorf("stop HTTP server: %w", e)
			}
		}
		s.bgCancel()
		s.bg.Wait()
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
	return s.surveys.Load(ctx)
}

// surveyRefresh is how often each instance checks for surveys changed
// through another (one small query: select-surveys-mark).
const surveyRefresh = 2 * time.Second

// refreshSurveys keeps the survey cache current: every second until the
// first load succeeds (ClickHouse may start after Heed), then every
// surveyRefresh, reloading when another instance changed a survey (an edit
// there applies here within that time; a survey created there answers here
// at once: Surveys.Lookup).
func (s *Server) refreshSurveys(ctx context.Context) {
	for {
		wait := surveyRefresh
		if !s.surveys.Loaded() {
			wait = time.Second
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		rctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		err := s.surveys.Refresh(rctx)
		cancel()
		if err != nil && ctx.Err() == nil {
			s.log.Warn("reload surveys", "err", err)
		}
	}
}
