package server

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"

	"heed/analytics"
)

// TestResponseRates logs a send of 8 contacts (6 sent, 1 failed, 1 left
// 'sending'), SendGrid events (5 delivered, one of them twice; 3 opens by
// 2 people) and answers (3 confirmed, one with a follow-up; 1 only
// clicked by a scanner), and checks the funnel and its rates, worked out
// by hand, on both stores.
func TestResponseRates(t *testing.T) {
	eachStore(t, "heed_test_server_rates", func(t *testing.T, ts *testServer) {
		ctx := context.Background()
		id := ts.createSurvey(t, `{"name":"Rates"}`)
		store := ts.Server.store
		var log []analytics.SendLogEntry
		for i := 0; i < 8; i++ {
			c := fmt.Sprintf("c%d", i)
			log = append(log, analytics.SendLogEntry{SendID: "send1", Kind: analytics.KindInitial, ContactID: c, Status: analytics.SendSending, SurveyID: id})
		}
		if err := store.LogSends(ctx, log); err != nil {
			t.Fatal(err)
		}
		for i := range log {
			switch i {
			case 6:
				log[i].Status = analytics.SendFailed
			default:
				log[i].Status = analytics.SendSent
			}
		}
		// c7 stays 'sending'; a reminder to c0 adds nobody.
		done := append(log[:7:7], analytics.SendLogEntry{SendID: "send1", Kind: analytics.KindReminder, ContactID: "c0", Status: analytics.SendSent, SurveyID: id})
		if err := store.LogSends(ctx, done); err != nil {
			t.Fatal(err)
		}
		now := time.Now().UTC()
		var events []analytics.EmailEvent
		for i, e := range []struct{ event, contact string }{
			{"delivered", "c0"}, {"delivered", "c1"}, {"delivered", "c2"}, {"delivered", "c3"}, {"delivered", "c4"},
			{"open", "c0"}, {"open", "c0"}, {"open", "c1"}, {"bounce", "c5"},
		} {
			events = append(events, analytics.EmailEvent{ID: fmt.Sprint("ev", i), Event: e.event, ContactID: e.contact, SendID: "send1", SurveyID: id, At: now})
		}
		events = append(events, events[0]) // SendGrid sent one again
		if err := store.InsertEmailEvents(ctx, events); err != nil {
			t.Fatal(err)
		}
		answer := func(contact string, n int, score uint8, unconfirmed bool) analytics.Response {
			return analytics.Response{SurveyID: id, ResponseID: uuid.NewSHA1(uuid.Nil, []byte(contact)), CreatedAt: now,
				Version: uint64(now.UnixNano()) + uint64(n), Score: score, Channel: analytics.ChannelEmail, Respondent: contact,
				Properties: map[string]string{"send_id": "send1"}, Unconfirmed: unconfirmed}
		}
		rows := []analytics.Response{answer("c0", 1, 9, false), answer("c0", 2, 10, false), answer("c1", 1, 3, false),
			answer("c2", 1, 7, false), answer("c3", 1, 0, true)}
		if err := store.InsertResponses(ctx, rows); err != nil {
			t.Fatal(err)
		}
		r := ts.admin(t, "GET", "/api/v1/surveys/"+id+"/response-rates?interval=month", "")
		if r.status != 200 {
			t.Fatalf("response-rates: %d %s", r.status, r.body)
		}
		var got struct {
			Sends   []analytics.FunnelRates `json:"sends"`
			Periods []analytics.PeriodRates `json:"periods"`
			Total   analytics.FunnelRates   `json:"total"`
		}
		if err := json.Unmarshal(r.body, &got); err != nil {
			t.Fatal(err)
		}
		if len(got.Sends) != 1 {
			t.Fatalf("sends: %s", r.body)
		}
		s := got.Sends[0]
		// Emailed 6 (c0-c5), delivered 5, opened 2, answered 3 (c3 only clicked).
		if s.SendID != "send1" || s.Emailed != 6 || s.Delivered != 5 || s.Opened != 2 || s.Answered != 3 || !s.SmallSample {
			t.Fatalf("funnel %+v", s.SendFunnel)
		}
		// Wilson 3 of 6: center (.5 + 3.8416/12)/1.64027 = .5, half
		// 1.96·sqrt(.25/6 + 3.8416/144)/1.64027 = .31239: [.1876, .8124].
		if rr := s.ResponseRate; rr.Count != 3 || rr.Of != 6 || rr.Rate != 0.5 || *rr.CI95 != [2]float64{0.1876, 0.8124} {
			t.Errorf("response rate %+v %v", rr, *rr.CI95)
		}
		if s.DeliveryRate.Rate != 0.8333 || s.OpenRate.Rate != 0.4 || s.ResponseRateDelivered.Rate != 0.6 {
			t.Errorf("rates %+v %+v %+v", s.DeliveryRate, s.OpenRate, s.ResponseRateDelivered)
		}
		last := got.Periods[len(got.Periods)-1]
		if last.Sends != 1 || last.Emailed != 6 || last.Answered != 3 || got.Total.Answered != 3 {
			t.Errorf("periods %+v total %+v", got.Periods, got.Total)
		}
	})
}
