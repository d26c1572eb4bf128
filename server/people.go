package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/labstack/echo/v4"

	"heed/analytics"
)

// People: forgetting a person and exporting what Heed holds on them
// (analytics/people.go). Both name the person by an email address or a
// respondent or contact id in the path, percent-encoded.

// forgetWait bounds how long DELETE /api/v1/people/:id waits for
// ClickHouse to finish deleting before answering 202 (it goes on after).
const forgetWait = 20 * time.Second

// forgetFlushWait bounds the flush of the spool a forget starts with.
const forgetFlushWait = 10 * time.Second

// flusher is a Writer that can insert what it holds now (ingest.Writer).
type flusher interface {
	Flush(ctx context.Context) error
}

// personParam reads :id, an email address or an id.
func personParam(c echo.Context) (analytics.PersonRef, error) {
	raw, err := url.PathUnescape(c.Param("id"))
	if err != nil {
		return analytics.PersonRef{}, newError(http.StatusBadRequest, "the person in the path is not valid percent-encoding")
	}
	ref, err := analytics.ParsePersonRef(raw)
	if err != nil {
		return ref, invalid(map[string]string{"id": err.Error()})
	}
	return ref, nil
}

// erasure is the hasher of the erased list; a server built without one
// cannot forget anybody.
func (s *Server) erasure() (*analytics.PersonHasher, error) {
	if s.emailing == nil || s.emailing.Erasure == nil {
		return nil, newError(http.StatusServiceUnavailable, "no erasure key is configured (HEED_ERASURE_KEY)")
	}
	return s.emailing.Erasure, nil
}

// forgetPerson handles DELETE /api/v1/people/:id: every row Heed holds on
// the person goes, from every table, and only salted hashes of their
// emails and ids stay, so that no send emails them again (also once they
// are imported again). The answer is the summary (rows removed per table,
// no personal data): 200 when ClickHouse finished within forgetWait, 202
// while it still deletes. Forgetting someone again is harmless.
func (s *Server) forgetPerson(c echo.Context) error {
	ref, err := personParam(c)
	if err != nil {
		return err
	}
	hasher, err := s.erasure()
	if err != nil {
		return err
	}
	// Once begun, the erasure is not stopped by a client hanging up.
	ctx := context.WithoutCancel(c.Request().Context())
	ctx, cancel := context.WithTimeout(ctx, forgetWait+30*time.Second)
	defer cancel()
	// Answers of theirs still in this instance's spool go in first, so
	// that the deletions find them. (Another instance's spool is covered by
	// the store, which leaves forgotten people's rows out at insert.)
	if f, ok := s.writer.(flusher); ok {
		fctx, fcancel := context.WithTimeout(ctx, forgetFlushWait)
		if err := f.Flush(fctx); err != nil {
			s.log.Warn("forget person: the spool could not be flushed first; its rows are checked against the erased list when inserted", "err", err)
		}
		fcancel()
	}
	// The outbox (no SendGrid key) keeps copies of mail on local disk:
	// whom to look for there is read before the store forgets it.
	var outboxEmails, outboxIDs []string
	if s.emailing.Outbox != nil {
		named, err := s.store.ExportPerson(ctx, ref, nil)
		if err != nil {
			return err
		}
		outboxEmails, outboxIDs = append(named.Emails, ref.Email), append(named.IDs, ref.ID)
	}
	sum, err := s.store.ForgetPerson(ctx, ref, hasher, forgetWait)
	if errors.Is(err, analytics.ErrBadPerson) {
		return invalid(map[string]string{"id": err.Error()})
	}
	if err != nil {
		return err
	}
	if s.emailing.Outbox != nil {
		n, err := s.emailing.Outbox.Forget(outboxEmails, outboxIDs)
		if err != nil {
			return err
		}
		sum.Removed["outbox"] = uint64(n)
	}
	s.log.Info("person forgotten", "done", sum.Done, "rows", sum.Rows(), "responses", sum.Responses, "already", sum.AlreadyForgotten)
	// Whom is not recorded: the entry would keep what was just erased.
	s.audit(c, analytics.AuditEntry{Action: "person.erase",
		Detail: fmt.Sprintf("%d rows, %d responses; done %v", sum.Rows(), sum.Responses, sum.Done)})
	status := http.StatusOK
	if !sum.Done {
		status = http.StatusAccepted
	}
	return c.JSON(status, sum)
}

// exportPerson handles GET /api/v1/people/:id/export: everything Heed
// holds on the person, as stored, in one JSON document (each list bounded
// by analytics.MaxExportRows; truncated names a list that was cut).
func (s *Server) exportPerson(c echo.Context) error {
	ref, err := personParam(c)
	if err != nil {
		return err
	}
	hasher, _ := s.erasure() // without a key, the export only cannot say "erased"
	out, err := s.store.ExportPerson(c.Request().Context(), ref, hasher)
	if errors.Is(err, analytics.ErrBadPerson) {
		return invalid(map[string]string{"id": err.Error()})
	}
	if err != nil {
		return err
	}
	s.audit(c, analytics.AuditEntry{Action: "person.export"})
	c.Response().Header().Set(echo.HeaderContentDisposition, `attachment; filename="heed-person.json"`)
	return c.JSON(http.StatusOK, out)
}
