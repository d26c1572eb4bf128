package server

import (
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"heed/analytics"
	"heed/emails"
)

// ratesResult is the JSON of GET /api/v1/surveys/:id/response-rates.
type ratesResult struct {
	SurveyID string             `json:"survey_id"`
	From     string             `json:"from"`
	To       string             `json:"to"`
	Interval analytics.Interval `json:"interval"`
	TimeZone string             `json:"tz"`
	*analytics.ResponseRates
}

// answerWindow is how long after a send its answers are looked for: as
// long as its links work, and a day for clocks.
const answerWindow = emails.DefaultTokenTTL + 24*time.Hour

// getResponseRates handles GET /api/v1/surveys/:id/response-rates: per
// send started in the range, per period and in all, how many contacts
// were emailed, delivered, opened and answered, with rates and intervals.
// It takes the report's from, to, interval, tz and min_n.
func (s *Server) getResponseRates(c echo.Context) error {
	sv, err := s.survey(c)
	if err != nil {
		return err
	}
	q, err := reportQuery(c, sv)
	if err != nil {
		return err
	}
	funnels, err := s.store.SendFunnels(c.Request().Context(), sv.ID, q.From, q.To, answerWindow)
	if err != nil {
		return err
	}
	if q.MinSample <= 0 {
		q.MinSample = analytics.DefaultMinSample
	}
	return c.JSON(http.StatusOK, ratesResult{
		SurveyID:      sv.ID,
		From:          q.From.Format(time.DateOnly),
		To:            q.To.Format(time.DateOnly),
		Interval:      q.Interval,
		TimeZone:      q.Zone().String(),
		ResponseRates: analytics.NewResponseRates(q, funnels),
	})
}
