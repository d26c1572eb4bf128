package server

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"heed/analytics"
)

type responseInput struct {
	Score      *int              `json:"score" validate:"required,min=0,max=10"`
	Reasons    []string          `json:"reasons" validate:"max=20,unique"`
	Comment    string            `json:"comment" validate:"max=2000"`
	Channel    string            `json:"channel" validate:"omitempty,oneof=widget email link api"`
	ResponseID string            `json:"response_id" validate:"max=64"`
	Respondent string            `json:"respondent" validate:"max=200"`
	Properties map[string]string `json:"properties" validate:"max=20,dive,keys,min=1,max=100,endkeys,max=500"`
	// ElapsedMS (time from showing the question to this post) and HP (a
	// honeypot field humans never fill) come from the widget; see isBot.
	ElapsedMS *int64 `json:"elapsed_ms"`
	HP        string `json:"hp" validate:"max=500"`
}

// isBot spots naive bots: a filled honeypot, or a widget answer faster than
// a person can read the question.
func (in *responseInput) isBot() bool {
	return in.HP != "" || (in.Channel == "widget" && (in.ElapsedMS == nil || *in.ElapsedMS < minAnswerMillis))
}

// createResponse handles POST /api/v1/surveys/:id/responses: it checks the
// answer against its survey and queues it for ClickHouse. Posting again with
// the same response_id replaces the answer (a follow-up with reasons).
func (s *Server) createResponse(c echo.Context) error {
	sv, err := s.survey(c)
	if err != nil {
		return err
	}
	if err := checkOrigin(c, sv); err != nil {
		return err
	}
	var in responseInput
	if err := decodeJSON(c, &in, true); err != nil {
		return err
	}
	if err := s.validate.Struct(in); err != nil {
		return err
	}
	for _, id := range in.Reasons {
		if !sv.HasReason(id) {
			return invalid(map[string]string{"reasons": fmt.Sprintf("%q is not a reason of this survey", id)})
		}
	}
	id := uuid.New()
	if in.ResponseID != "" {
		// Any standard form (upper or lower case, braces, urn:uuid:) is
		// accepted; the canonical form is stored and returned.
		id, err = uuid.Parse(in.ResponseID)
		if err != nil || id == uuid.Nil {
			return invalid(map[string]string{"response_id": "must be a non-nil UUID"})
		}
	}
	if in.Channel == "" {
		in.Channel = "api"
	}
	if in.isBot() {
		// Answer as if stored, so the bot learns nothing.
		s.log.Debug("dropped a bot-like answer", "survey", sv.ID, "ip", c.RealIP())
		return accepted(c, id)
	}
	reasons := sortedCopy(in.Reasons) // one order, so equal sets group together in reports
	r := analytics.Response{
		SurveyID:   sv.ID,
		ResponseID: id,
		Score:      uint8(*in.Score),
		Reasons:    reasons,
		Comment:    in.Comment,
		Channel:    in.Channel,
		Respondent: in.Respondent,
		Properties: in.Properties,
	}
	err = s.writer.Add(r)
	if err != nil {
		return writerError(c, err)
	}
	s.alerts.answered(sv, r)
	return accepted(c, id)
}

func accepted(c echo.Context, id uuid.UUID) error {
	// Written by hand: this is the hot path, and the shape is fixed.
	return c.Blob(http.StatusAccepted, echo.MIMEApplicationJSON, []byte(`{"response_id":"`+id.String()+`"}`))
}

// writerError words the writer's refusals: both are worth a retry.
func writerError(c echo.Context, err error) error {
	switch {
	case errors.Is(err, analytics.ErrWriterFull):
		c.Response().Header().Set("Retry-After", "5")
		return newError(http.StatusServiceUnavailable, "too many answers waiting for storage; retry shortly")
	case errors.Is(err, analytics.ErrWriterClosed):
		c.Response().Header().Set("Retry-After", "5")
		return newError(http.StatusServiceUnavailable, "the server is shutting down; retry shortly")
	}
	// The spool could not write (a full or failing disk): nothing was
	// stored, and a retry may succeed once the backlog drains.
	c.Logger().Error(err)
	c.Response().Header().Set("Retry-After", "30")
	return newError(http.StatusServiceUnavailable, "answers cannot be stored right now; retry later")
}

// listAnswers handles GET /api/v1/surveys/:id/responses: the answers (with
// comments) first given in the report range, newest first.
func (s *Server) listAnswers(c echo.Context) error {
	sv, err := s.survey(c)
	if err != nil {
		return err
	}
	q, err := reportQuery(c, sv)
	if err != nil {
		return err
	}
	limit := 100
	if v := c.QueryParam("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 10000 {
			return invalid(map[string]string{"limit": "must be an integer from 1 to 10000"})
		}
		limit = n
	}
	answers, err := s.db.ListAnswers(c.Request().Context(), q, limit)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"survey_id": sv.ID, "from": q.From.Format(time.DateOnly),
		"to": q.To.Format(time.DateOnly), "responses": answers})
}
