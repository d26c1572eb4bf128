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

// TestResponseRatesForgedAnswers: anyone may post an answer that says it
// came by email, from anyone, with any send_id. Only the answers of the
// contacts a send emailed count for it, so answered never passes emailed
// (which made the intervals NaN and the endpoint a 500), before and after
// the store merges its parts; on both stores.
func TestResponseRatesForgedAnswers(t *testing.T) {
	open := func(t *testing.T, db string) *testServer {
		return newServerWith(t, db, func(c *testConfig) { c.Server.SurveyRateLimit, c.Server.SurveyRateBurst = 1000, 1000 })
	}
	for _, st := range []struct{ name, db string }{{"fake", ""}, {"clickhouse", "heed_test_server_rates_forged"}} {
		t.Run(st.name, func(t *testing.T) {
			ts := open(t, st.db)
			ctx := context.Background()
			id := ts.createSurvey(t, `{"name":"Rates"}`)
			store := ts.Server.store
			// send1 emailed c0-c3; c4 failed; c5 is still 'sending'.
			var log []analytics.SendLogEntry
			for i := 0; i < 6; i++ {
				log = append(log, analytics.SendLogEntry{SendID: "send1", Kind: analytics.KindInitial, ContactID: fmt.Sprintf("c%d", i), Status: analytics.SendSending, SurveyID: id})
			}
			if err := store.LogSends(ctx, log); err != nil {
				t.Fatal(err)
			}
			for i := range log[:5] {
				log[i].Status = analytics.SendSent
			}
			log[4].Status = analytics.SendFailed
			if err := store.LogSends(ctx, log[:5]); err != nil {
				t.Fatal(err)
			}
			// c0 answered by its link.
			now := time.Now().UTC()
			real := analytics.Response{SurveyID: id, ResponseID: uuid.New(), CreatedAt: now, Version: uint64(now.UnixNano()), Score: 9,
				Channel: analytics.ChannelEmail, Respondent: "c0", Properties: map[string]string{"send_id": "send1"}}
			if err := store.InsertResponses(ctx, []analytics.Response{real}); err != nil {
				t.Fatal(err)
			}
			// The forgeries. The public API refuses channel email now
			// (responses.go), so those are stored directly: rows written
			// before that rule, or brought by an import, must not count
			// either. What the API still takes (send_id on another channel)
			// goes through it.
			type forgery struct {
				respondent, sendID string
			}
			stored := []forgery{
				{"", "send1"}, {"", "send1"}, // anonymous
				{"c4", "send1"},  // its email failed
				{"c5", "send1"},  // never sent
				{"c0", "send1"},  // c0 again
				{"c2", "send-x"}, // another send
			}
			for i := range 10 {
				stored = append(stored, forgery{fmt.Sprintf("x%d", i), "send1"})
			}
			var rows []analytics.Response
			for i, f := range stored {
				at := now.Add(time.Duration(i+1) * time.Millisecond)
				rows = append(rows, analytics.Response{SurveyID: id, ResponseID: uuid.New(), CreatedAt: at, Version: uint64(at.UnixNano()), Score: 10,
					Channel: analytics.ChannelEmail, Respondent: f.respondent, Properties: map[string]string{"send_id": f.sendID}})
			}
			if err := store.InsertResponses(ctx, rows); err != nil {
				t.Fatal(err)
			}
			viaAPI := []string{
				`{"score":10,"channel":"api","respondent":"c1","properties":{"send_id":"send1"}}`, // not by email
				`{"score":10,"properties":{"send_id":"send1"}}`,
				`{"score":10,"channel":"widget","elapsed_ms":5000,"respondent":"c3","properties":{"send_id":"send1"}}`,
			}
			for _, body := range viaAPI {
				if r := ts.do(t, "POST", "/api/v1/surveys/"+id+"/responses", body); r.status != 202 {
					t.Fatalf("forged answer %s: %d %s", body, r.status, r.body)
				}
			}
			if r := ts.do(t, "POST", "/api/v1/surveys/"+id+"/responses", `{"score":10,"channel":"email","properties":{"send_id":"send1"}}`); r.status != 422 {
				t.Fatalf("channel email through the API: %d %s, want 422", r.status, r.body)
			}
			want := uint64(1 + len(stored) + len(viaAPI))
			if ts.db != nil {
				ts.db.WaitRows(t, "answers", id, want)
			} else {
				deadline := time.Now().Add(10 * time.Second)
				for ts.storedRows(t, id) < want && time.Now().Before(deadline) {
					time.Sleep(20 * time.Millisecond)
				}
				if n := ts.storedRows(t, id); n != want {
					t.Fatalf("%d rows stored, want %d", n, want)
				}
			}
			check := func(t *testing.T) {
				r := ts.admin(t, "GET", "/api/v1/surveys/"+id+"/response-rates?interval=month", "")
				if r.status != 200 {
					t.Fatalf("response-rates: %d %s", r.status, r.body)
				}
				var got struct {
					Sends []analytics.FunnelRates `json:"sends"`
					Total analytics.FunnelRates   `json:"total"`
				}
				if err := json.Unmarshal(r.body, &got); err != nil {
					t.Fatal(err)
				}
				if len(got.Sends) != 1 {
					t.Fatalf("sends: %s", r.body)
				}
				// 1 of 4: center (.25 + 3.8416/8)/1.9604 = .37248, half
				// 1.96·sqrt(.1875/4 + 3.8416/64)/1.9604 = .32793.
				s := got.Sends[0]
				if s.Emailed != 4 || s.Answered != 1 || got.Total.Answered != 1 || s.ResponseRate.Rate != 0.25 ||
					*s.ResponseRate.CI95 != [2]float64{0.0456, 0.6994} {
					t.Errorf("funnel %+v, response rate %+v %v", s.SendFunnel, s.ResponseRate, *s.ResponseRate.CI95)
				}
			}
			t.Run("as written", check)
			if ts.db != nil {
				if err := ts.db.Exec(ctx, "OPTIMIZE TABLE answers FINAL"); err != nil {
					t.Fatal(err)
				}
				if err := ts.db.Exec(ctx, "OPTIMIZE TABLE send_log FINAL"); err != nil {
					t.Fatal(err)
				}
				t.Run("after OPTIMIZE FINAL", check)
			}
		})
	}
}
