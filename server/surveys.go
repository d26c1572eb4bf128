package server

import (
	"crypto/rand"
	"encoding/base32"
	"errors"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/go-playground/validator/v10"
	"github.com/labstack/echo/v4"

	"heed/analytics"
)

type surveyInput struct {
	Name           string          `json:"name" validate:"required,max=200"`
	Question       string          `json:"question" validate:"max=500"`
	Reasons        []reasonInput   `json:"reasons" validate:"max=20,unique=ID,dive"`
	FollowUps      *followUpsInput `json:"follow_ups"`
	Language       string          `json:"language" validate:"omitempty,oneof=en es fr de"`
	AllowedOrigins []string        `json:"allowed_origins" validate:"max=50,dive,origin"`
	Widget         widgetInput     `json:"widget"`
	AlertEmails    []string        `json:"alert_emails" validate:"max=20,dive,email"`
	Digest         *digestInput    `json:"digest"` // checked by digestSettings (digests.go)
	// SenderName and LogoURL brand the emails and answer page (brandErrors).
	SenderName string `json:"sender_name" validate:"max=100"`
	LogoURL    string `json:"logo_url" validate:"max=500"`
	// RetentionDays anonymises answers older than that many days (0: kept
	// for ever; analytics/retention.go).
	RetentionDays int `json:"retention_days" validate:"min=0,max=36500"`
}

// widgetInput holds the widget's politeness rules; unset fields keep their
// defaults (analytics.DefaultWidgetSettings).
type widgetInput struct {
	DelaySeconds           *int     `json:"delay_seconds" validate:"omitempty,min=0,max=3600"`
	ScrollPercent          *int     `json:"scroll_percent" validate:"omitempty,min=0,max=100"`
	URLInclude             []string `json:"url_include" validate:"max=20,dive,min=1,max=200,nocontrol"`
	URLExclude             []string `json:"url_exclude" validate:"max=20,dive,min=1,max=200,nocontrol"`
	SamplePercent          *int     `json:"sample_percent" validate:"omitempty,min=0,max=100"`
	RecontactDaysAnswered  *int     `json:"recontact_days_answered" validate:"omitempty,min=0,max=3650"`
	RecontactDaysDismissed *int     `json:"recontact_days_dismissed" validate:"omitempty,min=0,max=3650"`
}

// apply sets the given rules on w.
func (in widgetInput) apply(w *analytics.WidgetSettings) {
	set := func(dst *int, v *int) {
		if v != nil {
			*dst = *v
		}
	}
	set(&w.DelaySeconds, in.DelaySeconds)
	set(&w.ScrollPercent, in.ScrollPercent)
	set(&w.SamplePercent, in.SamplePercent)
	set(&w.RecontactDaysAnswered, in.RecontactDaysAnswered)
	set(&w.RecontactDaysDismissed, in.RecontactDaysDismissed)
	if in.URLInclude != nil {
		w.URLInclude = in.URLInclude
	}
	if in.URLExclude != nil {
		w.URLExclude = in.URLExclude
	}
}

type reasonInput struct {
	ID    string `json:"id" validate:"reason_id"`
	Label string `json:"label" validate:"required,max=200"`
}

// createSurvey handles POST /api/v1/surveys.
func (s *Server) createSurvey(c echo.Context) error {
	var in surveyInput
	if err := decodeJSON(c, &in, false); err != nil {
		return err
	}
	sv, err := s.newSurvey(in, newSurveyID())
	if err != nil {
		return err
	}
	if err := s.surveys.Create(c.Request().Context(), sv); err != nil {
		return err
	}
	s.audit(c, analytics.AuditEntry{Action: "survey.create", Target: sv.ID})
	return c.JSON(http.StatusCreated, sv)
}

// newSurvey validates in and builds the survey it describes.
func (s *Server) newSurvey(in surveyInput, id string) (*analytics.Survey, error) {
	// Texts are cleaned of control characters (analytics.CleanLine: they
	// show on one line in the widget, emails and pages); the sender name,
	// which goes into a mail header, is refused with them instead.
	in.Name = strings.TrimSpace(analytics.CleanLine(in.Name))
	in.Question = strings.TrimSpace(analytics.CleanLine(in.Question))
	in.SenderName = strings.TrimSpace(in.SenderName)
	in.LogoURL = strings.TrimSpace(in.LogoURL)
	trimLabels(in.Reasons)
	in.FollowUps.trim()
	fields := map[string]string{}
	if err := s.validate.Struct(in); err != nil {
		var verrs validator.ValidationErrors
		if !errors.As(err, &verrs) {
			return nil, err
		}
		fields = fieldMessages(verrs)
	}
	for _, more := range []map[string]string{in.reasonErrors(), in.brandErrors()} {
		for k, v := range more {
			if _, ok := fields[k]; !ok {
				fields[k] = v
			}
		}
	}
	if len(fields) > 0 {
		return nil, invalid(fields)
	}
	digest, err := s.digestSettings(in.Digest)
	if err != nil {
		return nil, err
	}
	now := time.Now().UTC()
	sv := &analytics.Survey{
		ID:             id,
		Name:           in.Name,
		Question:       in.Question,
		Reasons:        reasons(in.Reasons),
		FollowUps:      in.FollowUps.followUps(),
		Language:       in.Language,
		AllowedOrigins: []string{},
		Widget:         analytics.DefaultWidgetSettings(),
		AlertEmails:    []string{},
		Digest:         digest,
		SenderName:     in.SenderName,
		LogoURL:        in.LogoURL,
		RetentionDays:  in.RetentionDays,
		CreatedAt:      now,
		UpdatedAt:      now,
	}
	if sv.Question == "" {
		sv.Question = analytics.DefaultQuestion
	}
	in.Widget.apply(&sv.Widget)
	for _, e := range in.AlertEmails {
		sv.AlertEmails = append(sv.AlertEmails, strings.ToLower(strings.TrimSpace(e)))
	}
	seen := map[string]bool{}
	for _, o := range in.AllowedOrigins {
		norm, _ := normalizeOrigin(o) // validated above
		if !seen[norm] {
			seen[norm] = true
			sv.AllowedOrigins = append(sv.AllowedOrigins, norm)
		}
	}
	return sv, nil
}

// listSurveys handles GET /api/v1/surveys: every survey with its status,
// responses and last answer (surveyListItem).
func (s *Server) listSurveys(c echo.Context) error {
	list := s.surveyList(c.Request().Context())
	// A key limited to some surveys sees only those.
	if p := caller(c); p != nil && p.Key != nil && len(p.Key.Surveys) > 0 {
		mine := list[:0]
		for _, it := range list {
			if p.Key.AllowsSurvey(it.ID) {
				mine = append(mine, it)
			}
		}
		list = mine
	}
	return c.JSON(http.StatusOK, map[string]any{"surveys": list})
}

// getSurvey handles GET /api/v1/surveys/:id.
func (s *Server) getSurvey(c echo.Context) error {
	sv, err := s.survey(c)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, sv)
}

var surveyIDPattern = regexp.MustCompile(`^[a-z0-9_-]{1,64}$`)

// survey finds the survey named by the :id path parameter.
func (s *Server) survey(c echo.Context) (*analytics.Survey, error) {
	id := c.Param("id")
	if surveyIDPattern.MatchString(id) {
		if sv, ok := s.surveys.Lookup(c.Request().Context(), id); ok {
			return sv, nil
		}
	}
	if !s.surveys.Loaded() {
		return nil, newError(http.StatusServiceUnavailable, "surveys are not loaded yet (ClickHouse unreachable?); retry shortly")
	}
	return nil, newError(http.StatusNotFound, "no survey with id %s", shown(id))
}

var idEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// newSurveyID returns 12 random base32 characters (60 bits).
func newSurveyID() string {
	b := make([]byte, 8)
	rand.Read(b)
	return idEncoding.EncodeToString(b)[:12]
}
