package server

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"heed/analytics"
	"heed/emails"
)

// The digest (emails.Digests): a survey's optional schedule is set with the
// survey (digest in POST /api/v1/surveys); heed serve sends what is due
// every --digest-check. Here: its validation, a preview, the chart, and a
// test send.

// digestInput is a survey's digest as POST /api/v1/surveys takes it.
type digestInput struct {
	Schedule string `json:"schedule"`
	Weekday  string `json:"weekday"`
	// Hour is a pointer so that an absent hour gets the default (9) and 0
	// stays midnight.
	Hour   *int     `json:"hour"`
	TZ     string   `json:"tz"`
	Emails []string `json:"emails"`
}

// digestSettings checks in (nil: no digest) and returns the settings the
// survey keeps; field errors are keyed digest.<field>.
func (s *Server) digestSettings(in *digestInput) (*analytics.DigestSettings, error) {
	if in == nil {
		return nil, nil
	}
	d := analytics.DigestSettings{Schedule: in.Schedule, Weekday: in.Weekday, Hour: analytics.DefaultDigestHour, TZ: in.TZ, Emails: in.Emails}
	if in.Hour != nil {
		d.Hour = *in.Hour
	}
	validEmail := func(e string) bool { return s.validate.Var(e, "required,email,max=254") == nil }
	if err := analytics.CheckDigest(&d, validEmail); err != nil {
		return nil, err
	}
	return &d, nil
}

// digests returns the digest sender, or a 503 when heed serve has none.
func (s *Server) digestSender() (*emails.Digests, error) {
	if s.digests == nil {
		return nil, newError(http.StatusServiceUnavailable, "digests are not set up on this server")
	}
	return s.digests, nil
}

// getDigestPreview handles GET /api/v1/surveys/:id/digest/preview: the
// digest of the latest due period as its recipients would see it, the
// chart inline as a data: URL (?format=text for the text part). A survey
// without a schedule previews a weekly digest (Monday, 9:00, UTC).
func (s *Server) getDigestPreview(c echo.Context) error {
	sv, err := s.survey(c)
	if err != nil {
		return err
	}
	d, err := s.digestSender()
	if err != nil {
		return err
	}
	r, _, err := d.Preview(c.Request().Context(), sv)
	if err != nil {
		return err
	}
	c.Response().Header().Set("X-Email-Subject", r.Subject)
	c.Response().Header().Set("Cache-Control", "no-store")
	setEmailPreviewHeaders(c)
	if c.QueryParam("format") == "text" {
		return c.String(http.StatusOK, r.Text)
	}
	return c.HTML(http.StatusOK, r.HTML)
}

// getDigestChart handles GET /api/v1/surveys/:id/digest/chart.png: the
// preview's trend chart.
func (s *Server) getDigestChart(c echo.Context) error {
	sv, err := s.survey(c)
	if err != nil {
		return err
	}
	d, err := s.digestSender()
	if err != nil {
		return err
	}
	_, chart, err := d.Preview(c.Request().Context(), sv)
	if err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.Blob(http.StatusOK, "image/png", chart)
}

// digestSendInput is the optional body of a test send.
type digestSendInput struct {
	Emails []string `json:"emails" validate:"max=20,dive,email"`
}

// digestSendResult is the JSON of a test send.
type digestSendResult struct {
	SurveyID string   `json:"survey_id"`
	Period   string   `json:"period"`
	From     string   `json:"from"`
	To       string   `json:"to"`
	SentTo   []string `json:"sent_to"`
	Test     bool     `json:"test"`
}

// sendDigest handles POST /api/v1/surveys/:id/digest/send: the digest of
// the latest due period, now, to the body's emails or else the survey's
// digest recipients. A test: its subject says so, and it does not count as
// the period's digest (the scheduled one still goes out).
func (s *Server) sendDigest(c echo.Context) error {
	sv, err := s.survey(c)
	if err != nil {
		return err
	}
	d, err := s.digestSender()
	if err != nil {
		return err
	}
	var in digestSendInput
	if c.Request().ContentLength != 0 {
		if err := decodeJSON(c, &in, false); err != nil {
			return err
		}
		if err := s.validate.Struct(in); err != nil {
			return err
		}
	}
	to := in.Emails
	if len(to) == 0 {
		to = sv.DigestOf().Emails
	}
	p, err := d.SendTest(c.Request().Context(), sv, to)
	var refused *emails.SendError
	switch {
	case errors.Is(err, emails.ErrNoDigestRecipients):
		return invalid(map[string]string{"emails": err.Error()})
	case errors.As(err, &refused):
		return newError(http.StatusBadGateway, "SendGrid refused the digest: %s", refused.Error())
	case err != nil:
		return err
	}
	s.audit(c, analytics.AuditEntry{Action: "digest.test_send", Target: sv.ID, Detail: fmt.Sprintf("%d recipients", len(to))})
	return c.JSON(http.StatusOK, digestSendResult{SurveyID: sv.ID, Period: p.ID(), From: p.Start.Format(time.DateOnly),
		To: p.End.Format(time.DateOnly), SentTo: to, Test: true})
}
