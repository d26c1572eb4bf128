package server

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"heed/analytics"
)

// DefaultQuestion is the standard NPS question.
const DefaultQuestion = "How likely are you to recommend us to a friend or colleague?"

type surveyInput struct {
	Name           string        `json:"name" validate:"required,max=200"`
	Question       string        `json:"question" validate:"max=500"`
	Reasons        []reasonInput `json:"reasons" validate:"max=20,unique=ID,dive"`
	AllowedOrigins []string      `json:"allowed_origins" validate:"max=50,dive,origin"`
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
	if err := s.surveys.Save(c.Request().Context(), sv); err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, sv)
}

// newSurvey validates in and builds the survey it describes.
func (s *Server) newSurvey(in surveyInput, id string) (*analytics.Survey, error) {
	in.Name = strings.TrimSpace(in.Name)
	in.Question = strings.TrimSpace(in.Question)
	for i := range in.Reasons {
		in.Reasons[i].Label = strings.TrimSpace(in.Reasons[i].Label)
	}
	if err := s.validate.Struct(in); err != nil {
		return nil, err
	}
	now := time.Now().UTC()
	sv := &analytics.Survey{
		ID:             id,
		Name:           in.Name,
		Question:       in.Question,
		Reasons:        make([]analytics.Reason, len(in.Reasons)),
		AllowedOrigins: []string{},
		CreatedAt:      now,
		UpdatedAt:      now,
	}
	if sv.Question == "" {
		sv.Question = DefaultQuestion
	}
	for i, r := range in.Reasons {
		sv.Reasons[i] = analytics.Reason{ID: r.ID, Label: r.Label}
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

// listSurveys handles GET /api/v1/surveys.
func (s *Server) listSurveys(c echo.Context) error {
	return c.JSON(http.StatusOK, map[string]any{"surveys": s.surveys.List()})
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
		if sv, ok := s.surveys.Get(id); ok {
			return sv, nil
		}
	}
	if !s.surveysLoaded.Load() {
		return nil, newError(http.StatusServiceUnavailable, "surveys are not loaded yet (ClickHouse unreachable?); retry shortly")
	}
	return nil, newError(http.StatusNotFound, "no survey with id %q", id)
}

var idEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// newSurveyID returns 12 random base32 characters (60 bits).
func newSurveyID() string {
	b := make([]byte, 8)
	rand.Read(b)
	return idEncoding.EncodeToString(b)[:12]
}

// DemoSurveyID is the id of the survey that --demo creates.
const DemoSurveyID = "demo"

// ensureDemoSurvey creates the demo survey when it does not exist.
func (s *Server) ensureDemoSurvey(ctx context.Context) error {
	if !s.surveysLoaded.Load() {
		if err := s.loadSurveys(ctx); err != nil {
			return err
		}
	}
	if _, ok := s.surveys.Get(DemoSurveyID); ok {
		return nil
	}
	sv, err := s.newSurvey(surveyInput{
		Name: "Demo: customer NPS",
		Reasons: []reasonInput{
			{ID: "rude_service", Label: "Rude or unhelpful service"},
			{ID: "slow_service", Label: "Slow service"},
			{ID: "price", Label: "Price"},
			{ID: "product_quality", Label: "Product quality"},
			{ID: "other", Label: "Other"},
		},
		AllowedOrigins: []string{"http://127.0.0.1:8081", "http://localhost:8081"},
	}, DemoSurveyID)
	if err != nil {
		return err
	}
	if err := s.surveys.Save(ctx, sv); err != nil {
		return err
	}
	s.log.Info("created the demo survey", "id", DemoSurveyID)
	return nil
}
