package server

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"heed/analytics"
)

// minAnswerMillis: a person needs at least this long to read the question
// and pick a score. Faster widget answers are bots and are dropped.
const minAnswerMillis = 1000

// widgetConfig is what GET /api/v1/surveys/:id/widget returns: only what
// the widget needs, nothing a visitor should not see.
type widgetConfig struct {
	ID       string             `json:"id"`
	Question string             `json:"question"`
	Reasons  []analytics.Reason `json:"reasons"`
	// FollowUps are the groups' own follow-ups (question as written, reasons);
	// the widget falls back to Reasons for a group without one.
	FollowUps *analytics.FollowUps `json:"follow_ups,omitempty"`
	Language  string               `json:"language"`
	// Active is true here; an archived survey's config is only its id and
	// active false (getWidgetConfig), and the widget shows nothing.
	Active bool `json:"active"`
	analytics.WidgetSettings
}

// checkOrigin lets a browser request through only from the survey's
// allowed_origins or Heed's own origin (ownOrigin), and answers CORS for
// it. Requests without Origin are not from a browser's cross-origin fetch
// and pass.
func (s *Server) checkOrigin(c echo.Context, sv *analytics.Survey) error {
	h := c.Response().Header()
	h.Add("Vary", "Origin")
	origin := c.Request().Header.Get("Origin")
	if origin == "" {
		return nil
	}
	norm, ok := normalizeOrigin(origin)
	if ok && s.ownOrigin(c.Request(), norm) {
		return nil
	}
	if ok && slices.Contains(sv.AllowedOrigins, norm) {
		h.Set("Access-Control-Allow-Origin", origin)
		return nil
	}
	return newError(http.StatusForbidden, "origin %q is not in this survey's allowed_origins", origin)
}

// ownOrigin reports whether a (normalised) origin is Heed's own: its
// configured public URL, or the address the connection reached (an IP
// literal and port, plus localhost for a loopback one). Never the Host
// header: a client chooses it, and a DNS-rebinding page sends its own name
// as both Host and Origin.
func (s *Server) ownOrigin(r *http.Request, origin string) bool {
	if s.publicOrigin != "" && origin == s.publicOrigin {
		return true
	}
	local, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr)
	if !ok {
		return false
	}
	ap, err := netip.ParseAddrPort(local.String())
	if err != nil {
		return false
	}
	port := strconv.Itoa(int(ap.Port()))
	for _, scheme := range []string{"http", "https"} {
		if o, ok := normalizeOrigin(scheme + "://" + net.JoinHostPort(ap.Addr().Unmap().String(), port)); ok && o == origin {
			return true
		}
		if ap.Addr().IsLoopback() {
			if o, ok := normalizeOrigin(scheme + "://localhost:" + port); ok && o == origin {
				return true
			}
		}
	}
	return false
}

// preflight answers CORS preflight requests (OPTIONS) for the public
// survey routes. The widget itself sends text/plain and needs none; other
// browser clients sending application/json do.
func (s *Server) preflight(c echo.Context) error {
	sv, err := s.survey(c)
	if err != nil {
		return err
	}
	if err := s.checkOrigin(c, sv); err != nil {
		return err
	}
	h := c.Response().Header()
	h.Set("Access-Control-Allow-Methods", "GET, POST")
	h.Set("Access-Control-Allow-Headers", "Content-Type")
	h.Set("Access-Control-Max-Age", "600")
	return c.NoContent(http.StatusNoContent)
}

// getWidgetConfig handles GET /api/v1/surveys/:id/widget.
func (s *Server) getWidgetConfig(c echo.Context) error {
	sv, err := s.survey(c)
	if err != nil {
		return err
	}
	if err := s.checkOrigin(c, sv); err != nil {
		return err
	}
	var body []byte
	if sv.Archived() {
		// Nothing to show: the widget stops at active false (loader.js),
		// and a closed survey's question and settings are not handed out.
		body, err = json.Marshal(map[string]any{"id": sv.ID, "active": false})
	} else {
		// The standard question goes out empty so the widget shows it in the
		// visitor's language; a survey's own wording is shown as written.
		body, err = json.Marshal(widgetConfig{ID: sv.ID, Question: sv.OwnQuestion(), Reasons: sv.Reasons, FollowUps: sv.FollowUps, Language: sv.Language, Active: true, WidgetSettings: sv.Widget})
	}
	if err != nil {
		return err
	}
	f := newSiteFile(body, echo.MIMEApplicationJSONCharsetUTF8, "public, max-age=60")
	h := c.Response().Header()
	h.Set("ETag", f.etag)
	h.Set("Cache-Control", f.cacheControl)
	if strings.Contains(c.Request().Header.Get("If-None-Match"), f.etag) {
		return c.NoContent(http.StatusNotModified)
	}
	return c.Blob(http.StatusOK, f.contentType, f.body)
}

// getEligibility handles GET /api/v1/surveys/:id/eligibility?respondent=:
// may the widget ask this (identified) person now? It enforces the
// recontact rule across devices.
func (s *Server) getEligibility(c echo.Context) error {
	sv, err := s.survey(c)
	if err != nil {
		return err
	}
	if err := s.checkOrigin(c, sv); err != nil {
		return err
	}
	// The rules of a stored respondent (Response.Validate), so that any id
	// an answer was accepted with is accepted here.
	respondent := c.QueryParam("respondent")
	if respondent == "" || analytics.TooLong(respondent, analytics.MaxRespondent) || analytics.HasControl(respondent) {
		return invalid(map[string]string{"respondent": fmt.Sprintf("is required, at most %d characters, without control characters", analytics.MaxRespondent)})
	}
	if sv.Archived() {
		c.Response().Header().Set("Cache-Control", "no-store")
		return c.JSON(http.StatusOK, map[string]bool{"eligible": false, "active": false})
	}
	answered, dismissed, err := s.store.LastContact(c.Request().Context(), sv.ID, respondent)
	if err != nil {
		return err
	}
	now := time.Now()
	days := func(n int) time.Duration { return time.Duration(n) * 24 * time.Hour }
	eligible := (answered.IsZero() || now.Sub(answered) >= days(sv.Widget.RecontactDaysAnswered)) &&
		(dismissed.IsZero() || now.Sub(dismissed) >= days(sv.Widget.RecontactDaysDismissed))
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.JSON(http.StatusOK, map[string]bool{"eligible": eligible, "active": true})
}

type dismissalInput struct {
	Respondent string `json:"respondent" validate:"max=200,nocontrol"` // analytics.MaxRespondent
	ElapsedMS  *int64 `json:"elapsed_ms"`
}

// createDismissal handles POST /api/v1/surveys/:id/dismissals: the widget
// was closed without an answer.
func (s *Server) createDismissal(c echo.Context) error {
	sv, err := s.survey(c)
	if err != nil {
		return err
	}
	if err := s.checkOrigin(c, sv); err != nil {
		return err
	}
	if sv.Archived() {
		return archivedError(sv)
	}
	var in dismissalInput
	if err := decodeJSON(c, &in, true); err != nil {
		return err
	}
	if err := s.validate.Struct(in); err != nil {
		return err
	}
	id := uuid.New()
	if err := s.writer.AddDismissal(analytics.Dismissal{SurveyID: sv.ID, DismissalID: id, Respondent: in.Respondent}); err != nil {
		return s.writerError(c, err)
	}
	return c.JSON(http.StatusAccepted, map[string]string{"dismissal_id": id.String()})
}
