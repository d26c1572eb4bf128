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

// getReady answers 200 when ClickHouse is reachable, migrations are applied
// and surveys are loaded; otherwise 503 with the failing checks in fields.
func (s *Server) getReady(c echo.Context) error {
	ctx, cancel := context.WithTimeout(c.Request().Context(), 2*time.Second)
	defer cancel()
	failed := map[string]string{}
	if err := s.store.Ping(ctx); err != nil {
		failed["clickhouse"] = err.Error()
	} else if !s.migrated.Load() {
		switch n, err := s.store.MigrationsPending(ctx); {
		case err != nil:
			failed["migrations"] = err.Error()
		case n > 0:
			failed["migrations"] = "migrations pending: run `heed migrate`"
		default:
			s.migrated.Store(true)
		}
	}
	if !s.surveys.Loaded() {
		failed["surveys"] = "surveys not loaded from ClickHouse yet"
	}
	rows, spoolBytes := s.writer.Backlog()
	if err := s.writer.LastError(); err != nil {
		failed["writer"] = fmt.Sprintf("last flush to ClickHouse failed (%v); %d bytes wait in the spool and will be written when it recovers", err, spoolBytes)
	}
	if len(failed) > 0 {
		e := newError(http.StatusServiceUnavailable, "not ready")
		e.Code = CodeNotReady
		e.Fields = failed
		return e
	}
	version, _ := s.store.ServerVersion()
	return c.JSON(http.StatusOK, map[string]any{"status": "ready", "clickhouse_version": version, "pending_responses": rows, "spool_bytes": spoolBytes})
}
