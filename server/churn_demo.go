package server

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/google/uuid"

	"heed/analytics"
)

// Demo customers: how many answered the demo survey, through the widget
// (by customer id) and by email (by contact).
const (
	demoWidgetCustomers = 360
	demoEmailCustomers  = 40
)

// seedDemoChurn gives the new demo survey a year of answers from
// identified customers and the churn records of those who left, so that
// its churn report (GET /api/v1/surveys/demo/churn) has something to
// show: detractors who cite rude service churn most, and rude service is
// the reason most churned customers last gave. The figures are made up,
// the same on every run (a fixed seed), relative to now.
func (s *Server) seedDemoChurn(ctx context.Context, sv *analytics.Survey) error {
	rows, churn := demoChurn(sv.ID, time.Now().UTC())
	if err := s.store.InsertResponses(ctx, rows); err != nil {
		return fmt.Errorf("demo answers: %w", err)
	}
	if err := s.store.UpsertChurn(ctx, churn); err != nil {
		return fmt.Errorf("demo churn: %w", err)
	}
	s.log.Info("seeded the demo survey's answers and churn", "answers", len(rows), "churned", len(churn))
	return nil
}

// demoChurn makes the demo's answers and churn records.
func demoChurn(surveyID string, now time.Time) ([]analytics.Response, []analytics.Churn) {
	rng := rand.New(rand.NewPCG(2026, 10))
	// pick draws one reason of weights (chances in 100, in the order of
	// ids), or none.
	pick := func(ids []string, weights map[string]int) []string {
		n := rng.IntN(100)
		for _, id := range ids {
			if n -= weights[id]; n < 0 {
				return []string{id}
			}
		}
		return nil
	}
	detractorReasons := []string{"rude_service", "slow_service", "price", "product_quality", "other"}
	var rows []analytics.Response
	var churn []analytics.Churn
	answer := func(who, channel string, at time.Time, score uint8, reasons []string) {
		id := uuid.NewSHA1(uuid.NameSpaceOID, []byte(fmt.Sprintf("heed-demo-%s-%d", who, at.Unix())))
		rows = append(rows, analytics.Response{SurveyID: surveyID, ResponseID: id, First: true, CreatedAt: at, Version: uint64(at.UnixNano()),
			Score: score, Reasons: reasons, Channel: channel, Respondent: who})
	}
	for i := 0; i < demoWidgetCustomers+demoEmailCustomers; i++ {
		who, email, channel := fmt.Sprintf("demo-cust-%03d", i+1), "", analytics.ChannelWidget
		if i >= demoWidgetCustomers {
			email = fmt.Sprintf("customer%02d@example.com", i-demoWidgetCustomers+1)
			who, channel = analytics.ContactID(email), analytics.ChannelEmail
		}
		at := now.Add(-time.Duration(24+rng.IntN(420*24)) * time.Hour).Truncate(time.Second)
		if rng.IntN(10) == 0 { // an earlier answer: the last one counts
			answer(who, channel, at.AddDate(0, 0, -60-rng.IntN(60)), uint8(7+rng.IntN(4)), nil)
		}
		var score uint8
		var reasons []string
		var leave int // chance in 100 of leaving within the window
		switch g := rng.IntN(100); {
		case g < 30: // detractors: rude service first
			score = uint8(rng.IntN(7))
			reasons = pick(detractorReasons, map[string]int{"rude_service": 45, "slow_service": 25, "price": 20, "product_quality": 10})
			if rng.IntN(5) == 0 && reasons[0] != "slow_service" {
				reasons = append(reasons, "slow_service")
			}
			leave = 30
			if reasons[0] == "rude_service" {
				leave = 60
			}
		case g < 55: // passives: their own follow-up's reasons
			score = uint8(7 + rng.IntN(2))
			reasons = pick([]string{"not_enough_choice", "delivery_time", "nothing_special"},
				map[string]int{"not_enough_choice": 25, "delivery_time": 20, "nothing_special": 25})
			leave = 12
		default:
			score = uint8(9 + rng.IntN(2))
			reasons = pick([]string{"helpful_staff", "fast_service", "quality", "good_value"},
				map[string]int{"helpful_staff": 35, "fast_service": 20, "quality": 20, "good_value": 15})
			leave = 7
		}
		if len(reasons) == 2 && reasons[0] > reasons[1] {
			reasons[0], reasons[1] = reasons[1], reasons[0] // one order, as the API stores them
		}
		answer(who, channel, at, score, reasons)
		if rng.IntN(100) >= leave {
			continue
		}
		left := at.AddDate(0, 0, 2+rng.IntN(80))
		if rng.IntN(10) == 0 {
			left = at.AddDate(0, 0, 100+rng.IntN(100)) // left, but long after: stayed within the window
		}
		if left.After(now) {
			continue // not yet
		}
		c := analytics.Churn{Customer: who, Email: email, ChurnedAt: left.Truncate(24 * time.Hour),
			Reason: []string{"cancelled", "did not renew", "moved to a competitor"}[rng.IntN(3)]}
		if rng.IntN(4) > 0 {
			c.Revenue, c.HasRevenue = []float64{29, 49, 99, 199}[rng.IntN(4)], true
		}
		churn = append(churn, c)
	}
	return rows, churn
}
