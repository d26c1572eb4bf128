package server

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"sync"
	"testing"
	"time"

	"heed/analytics"
	"heed/emails"
)

// TestAnswersOnTwoInstances: two Heed instances on one database, the first
// answer of each response to one, its follow-ups to the other, 0 ms,
// 100 ms, 1 s and 3 s after it, while the first is still in the first
// instance's spool (it flushes every 4 s). Widget/API answers (ids Heed
// made) and email answers (a link's click, then the person's follow-up, at
// once on both for 0 ms) each count once with their last answer, before
// and after OPTIMIZE TABLE ... FINAL: every row of a response got the same
// sort key on both instances without asking the store. And each response
// alerts once.
func TestAnswersOnTwoInstances(t *testing.T) {
	const keys = "t1:0123456789abcdef0123456789abcdef" // every instance shares the signing keys
	config := func(flush time.Duration) func(*testConfig) {
		return func(c *testConfig) {
			c.Email.SigningKeys, c.Email.PublicURL, c.Writer.FlushInterval = keys, "http://heed.test", flush
			c.AlertDelay = time.Minute // the alerts still pending go out when the instances stop
		}
	}
	a := newServerWith(t, "heed_test_server_two_instances", config(4*time.Second))
	b := newServerWith(t, "", func(c *testConfig) {
		config(50 * time.Millisecond)(c)
		c.Store, c.Server.Migrated = a.Server.store, true
	})
	ctx := context.Background()
	id := a.createSurvey(t, `{"name":"Shop","alert_emails":["team@acme.example"],"reasons":[{"id":"rude_service","label":"Rude or unhelpful service"},{"id":"price","label":"Price"}]}`)
	sendStart := time.Now().UTC().Add(-26 * time.Hour).Truncate(time.Second) // yesterday's send
	type expect struct {
		responseID string
		score      float64
		comment    string
	}
	var (
		mu   sync.Mutex
		want []expect
		wg   sync.WaitGroup
	)
	for i, delay := range []time.Duration{0, 100 * time.Millisecond, time.Second, 3 * time.Second} {
		wg.Add(2)
		go func() { // the widget: a score to a, its follow-up (and another) to b
			defer wg.Done()
			rid := a.respond(t, id, `{"score":5}`) // a detractor's alert waits on a
			time.Sleep(delay)
			comment := fmt.Sprintf("widget after %v", delay)
			for _, body := range []string{`{"score":4,"response_id":"` + rid + `"}`,
				`{"score":3,"reasons":["rude_service"],"comment":"` + comment + `","response_id":"` + rid + `"}`} {
				if r := b.do(t, "POST", "/api/v1/surveys/"+id+"/responses", body); r.status != http.StatusAccepted {
					t.Errorf("follow-up on b: %d %s", r.status, r.body)
				}
			}
			mu.Lock()
			want = append(want, expect{rid, 3, comment})
			mu.Unlock()
		}()
		go func() { // an email: the link's click on a (a scanner's, maybe), the person's answer on b
			defer wg.Done()
			address := fmt.Sprintf("p%d@example.com", i)
			now := time.Now().UTC()
			tok := a.emailing.Signer.Sign(emails.Claims{SendID: "send-1", SurveyID: id, ContactID: analytics.ContactID(address),
				SentAt: sendStart, Expires: now.Add(time.Hour), SendStart: sendStart})
			comment := fmt.Sprintf("email after %v", delay)
			form := url.Values{"s": {"2"}, "reasons": {"rude_service"}, "comment": {comment}}
			click := func() {
				a.do(t, "GET", "/r/"+tok+"?s=10", "", "User-Agent", "Mozilla/5.0 (compatible; Barracuda Sentinel)")
			}
			answer := func() {
				if r := b.do(t, "POST", "/r/"+tok, form.Encode(), "Content-Type", "application/x-www-form-urlencoded",
					"User-Agent", testBrowser); r.status != http.StatusOK {
					t.Errorf("email follow-up on b: %d %s", r.status, r.body)
				}
			}
			if delay == 0 { // both at the same moment
				var both sync.WaitGroup
				both.Add(2)
				go func() { defer both.Done(); click() }()
				go func() { defer both.Done(); answer() }()
				both.Wait()
			} else {
				click()
				time.Sleep(delay)
				answer()
			}
			mu.Lock()
			want = append(want, expect{emails.ResponseID("send-1", analytics.ContactID(address)).String(), 2, comment})
			mu.Unlock()
		}()
	}
	wg.Wait()
	// Both stop as heed serve does: pending alerts go out, every accepted
	// answer is written; b first, so that a's alerts find b's answers
	// stored as they would after the alert's delay.
	if err := b.stop(); err != nil {
		t.Fatal(err)
	}
	if err := a.stop(); err != nil {
		t.Fatal(err)
	}
	check := func(stage, from string) {
		t.Helper()
		rows, err := a.db.Query(ctx, "SELECT toString(response_id), score, comment, created_at FROM "+from+" WHERE survey_id = ? ORDER BY response_id", id)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		got := map[string]expect{}
		n := 0
		for rows.Next() {
			var rid, comment string
			var score uint8
			var at time.Time
			if err := rows.Scan(&rid, &score, &comment, &at); err != nil {
				t.Fatal(err)
			}
			n++
			got[rid] = expect{rid, float64(score), comment}
		}
		if n != len(want) {
			t.Errorf("%s: %d rows for %d responses: a response was split", stage, n, len(want))
		}
		for _, w := range want {
			if got[w.responseID] != w {
				t.Errorf("%s: response %s is %+v, want its last answer %+v", stage, w.responseID, got[w.responseID], w)
			}
		}
	}
	// One detractor alert a response, from the instance with its last
	// answer: the alert of a first answer waiting on a found the later
	// answer b stored, and gave way.
	alerts := 0
	for _, ts := range []*testServer{a, b} {
		msgs, err := ts.emailing.Outbox.List()
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range msgs {
			if slices.Contains(m.Categories, "heed-alert") {
				alerts++
			}
		}
	}
	if alerts != len(want) {
		t.Errorf("%d detractor alerts for %d responses, want one each", alerts, len(want))
	}
	check("FINAL", "answers FINAL")
	if err := a.db.Exec(ctx, "OPTIMIZE TABLE answers FINAL"); err != nil {
		t.Fatal(err)
	}
	check("after OPTIMIZE FINAL", "answers")
	// And the report counts each once, the email answers in their send's day.
	q := analytics.ReportQuery{Survey: &analytics.Survey{ID: id}, From: dayStart(sendStart.AddDate(0, 0, -1)), To: dayStart(time.Now().AddDate(0, 0, 1)), Interval: analytics.Day}
	rep, err := a.db.Report(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Total.Responses != len(want) || rep.Total.Detractors != len(want) {
		t.Errorf("report: %d responses, %d detractors; want %d of each", rep.Total.Responses, rep.Total.Detractors, len(want))
	}
	var sendDay int
	for _, p := range rep.Periods {
		if p.Start == sendStart.Format(time.DateOnly) {
			sendDay = p.Responses
		}
	}
	if sendDay != 4 {
		t.Errorf("the send's day holds %d responses, want the 4 email answers", sendDay)
	}
}

func dayStart(t time.Time) time.Time {
	t = t.UTC()
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}
