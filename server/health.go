package server

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
)

// getHealth answers while the process is up.
func (s *Server) getHealth(c echo.Context) error {
	return c.JSON(http.StatusOK, map[string]string{"status": "ok"})
}

// readiness is what /readyz found: per failing check a reason code (all
// anyone may see) and the details (for the admin key only: error texts name
// hosts, versions and sizes).
type readiness struct {
	codes   map[string]string
	details map[string]string
}

// Reason codes of /readyz, by check.
const (
	notReachable     = "unreachable"
	notMigrated      = "migrations_pending"
	notChecked       = "migrations_unknown"
	surveysNotLoaded = "not_loaded"
	flushFailing     = "flush_failing"
)

// readyzTimeout bounds the checks of one /readyz.
const readyzTimeout = 2 * time.Second

func (s *Server) readiness(ctx context.Context) readiness {
	ctx, cancel := context.WithTimeout(ctx, readyzTimeout)
	defer cancel()
	r := readiness{codes: map[string]string{}, details: map[string]string{}}
	fail := func(check, code, detail string) { r.codes[check], r.details[check] = code, detail }
	if err := s.store.Ping(ctx); err != nil {
		fail("clickhouse", notReachable, err.Error())
	} else if !s.migrated.Load() {
		switch n, err := s.store.MigrationsPending(ctx); {
		case err != nil:
			fail("migrations", notChecked, err.Error())
		case n > 0:
			fail("migrations", notMigrated, "migrations pending: run `heed migrate`")
		default:
			s.migrated.Store(true)
		}
	}
	if !s.surveys.Loaded() {
		fail("surveys", surveysNotLoaded, "surveys not loaded from ClickHouse yet")
	}
	if err := s.writer.LastError(); err != nil {
		_, spoolBytes := s.writer.Backlog()
		fail("writer", flushFailing, fmt.Sprintf("last flush to ClickHouse failed (%v); %d bytes wait in the spool and will be written when it recovers", err, spoolBytes))
	}
	return r
}

// getReady handles /readyz: 200 when ClickHouse is reachable, migrations
// are applied, surveys are loaded and the writer flushes; otherwise 503
// naming each failing check with a reason code. It is public, so it says
// no more: the ClickHouse version, the backlog and the error texts come
// only to an admin's key (Authorization, checked as on the admin routes,
// wrong keys counted).
func (s *Server) getReady(c echo.Context) error {
	if c.Request().Header.Get(echo.HeaderAuthorization) != "" {
		return s.keyedLimit(s.require(accessAdmin)(s.getReadyDetails))(c)
	}
	r := s.readiness(c.Request().Context())
	if len(r.codes) > 0 {
		return notReady(r.codes)
	}
	return c.JSON(http.StatusOK, map[string]string{"status": "ready"})
}

// getReadyDetails is /readyz for an admin.
func (s *Server) getReadyDetails(c echo.Context) error {
	r := s.readiness(c.Request().Context())
	if len(r.codes) > 0 {
		return notReady(r.details)
	}
	rows, spoolBytes := s.writer.Backlog()
	version, _ := s.store.ServerVersion()
	return c.JSON(http.StatusOK, map[string]any{"status": "ready", "clickhouse_version": version, "pending_responses": rows, "spool_bytes": spoolBytes})
}

func notReady(fields map[string]string) *Error {
	e := newError(http.StatusServiceUnavailable, "not ready")
	e.Code = CodeNotReady
	e.Fields = fields
	return e
}
