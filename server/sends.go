package server

import (
	"context"
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"heed/analytics"
	"heed/emails"
)

type sendInput struct {
	// Exactly one way to choose: all contacts, by properties, or by email.
	All          bool              `json:"all"`
	Where        map[string]string `json:"where" validate:"max=10"`
	Emails       []string          `json:"emails" validate:"max=10000,dive,email"`
	ReminderDays int               `json:"reminder_days" validate:"min=0,max=60"` // analytics.MaxReminderDays
	// SendID makes the request idempotent: posting the same id again
	// resumes that send instead of starting another.
	SendID string `json:"send_id"`
	DryRun bool   `json:"dry_run"`
}

// createSend handles POST /api/v1/surveys/:id/sends: it starts emailing in
// the background and answers 202 with the send's id; GET /api/v1/sends/:id
// follows it.
func (s *Server) createSend(c echo.Context) error {
	sv, err := s.survey(c)
	if err != nil {
		return err
	}
	if sv.Archived() {
		return archivedError(sv)
	}
	var in sendInput
	if err := decodeJSON(c, &in, false); err != nil {
		return err
	}
	if err := s.validate.Struct(in); err != nil {
		return err
	}
	if in.SendID != "" && !analytics.ValidSendID(in.SendID) {
		return invalid(map[string]string{"send_id": "must match [A-Za-z0-9_-]{1,64}"})
	}
	ways := 0
	for _, set := range []bool{in.All, len(in.Where) > 0, len(in.Emails) > 0} {
		if set {
			ways++
		}
	}
	if ways != 1 {
		return invalid(map[string]string{"all": "choose the contacts with exactly one of all, where, emails"})
	}
	req := emails.SendRequest{ID: in.SendID, SurveyID: sv.ID, ReminderDays: in.ReminderDays,
		Filter: analytics.ContactFilter{Where: in.Where}, DryRun: in.DryRun}
	for _, e := range in.Emails {
		req.Filter.ContactIDs = append(req.Filter.ContactIDs, analytics.ContactID(e))
	}
	ctx := c.Request().Context()
	send, _, err := s.emailing.Sends.Open(ctx, req)
	switch {
	case errors.Is(err, emails.ErrBadSendID):
		return invalid(map[string]string{"send_id": "must match [A-Za-z0-9_-]{1,64}"})
	case errors.Is(err, emails.ErrBadFilter):
		return invalid(map[string]string{"where": err.Error()})
	case errors.Is(err, emails.ErrSendOfOtherSurvey):
		return invalid(map[string]string{"send_id": "belongs to another survey"})
	case errors.Is(err, emails.ErrSendRunning):
		return newError(http.StatusConflict, "send %q is already running; follow it at /api/v1/sends/%s", send.ID, send.ID)
	case err != nil:
		return err
	}
	if in.DryRun {
		sum, err := s.emailing.Sends.Run(ctx, send, sv, analytics.KindInitial, true, nil)
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, map[string]any{"send_id": send.ID, "dry_run": true, "summary": sum})
	}
	s.audit(c, analytics.AuditEntry{Action: "send.start", Target: sv.ID, Detail: "send " + send.ID})
	s.background(func(ctx context.Context) {
		sum, err := s.emailing.Sends.Run(ctx, send, sv, analytics.KindInitial, false, nil)
		if err != nil {
			s.log.Error("send stopped", "send", send.ID, "err", err, "summary", sum)
			return
		}
		s.log.Info("send done", "send", send.ID, "summary", sum)
	})
	return c.JSON(http.StatusAccepted, map[string]string{"send_id": send.ID, "status_url": "/api/v1/sends/" + send.ID})
}

// getSend handles GET /api/v1/sends/:id: the send and what happened so far.
func (s *Server) getSend(c echo.Context) error {
	ctx := c.Request().Context()
	send, err := s.store.GetSend(ctx, c.Param("id"))
	if errors.Is(err, analytics.ErrNotFound) {
		return newError(http.StatusNotFound, "no send with id %s", shown(c.Param("id")))
	}
	if err != nil {
		return err
	}
	counts, err := s.store.SendCounts(ctx, send.ID)
	if err != nil {
		return err
	}
	events, err := s.store.EmailEventCounts(ctx, send.ID)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"send": send, "contacts": counts, "events": events})
}

// getEmailPreview handles GET /api/v1/surveys/:id/email-preview: the email
// as a recipient sees it (HTML; ?format=text for the text part).
func (s *Server) getEmailPreview(c echo.Context) error {
	sv, err := s.survey(c)
	if err != nil {
		return err
	}
	lang := sv.Language
	if v := c.QueryParam("lang"); v != "" {
		lang = v
	}
	r, err := emails.RenderSurvey(emails.SurveyEmailFor(sv, s.emailing.From.Name, s.emailing.BaseURL, lang, c.QueryParam("reminder") == "true"))
	if err != nil {
		return err
	}
	c.Response().Header().Set("X-Email-Subject", r.Subject)
	// The email as HTML on Heed's own origin: no script may run in it.
	setEmailPreviewHeaders(c)
	if c.QueryParam("format") == "text" {
		return c.String(http.StatusOK, r.Text)
	}
	return c.HTML(http.StatusOK, r.HTML)
}
