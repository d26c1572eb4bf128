package emails

import (
	"context"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/uuid"
	sgmail "github.com/sendgrid/sendgrid-go/helpers/mail"

	"heed/analytics"
	"heed/analytics/mock"
)

// alertLog records the alerts an Alerts delivers.
type alertLog struct {
	mu   sync.Mutex
	sent []analytics.Response
}

func (l *alertLog) send(ctx context.Context, sv *analytics.Survey, r analytics.Response) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.sent = append(l.sent, r)
	return nil
}

func (l *alertLog) all() []analytics.Response {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]analytics.Response(nil), l.sent...)
}

var alertSurvey = &analytics.Survey{ID: "s", Name: "Support", AlertEmails: []string{"boss@acme.example"},
	Reasons: []analytics.Reason{{ID: "rude_service", Label: "Rude or unhelpful service"}}}

func answer(id uuid.UUID, score uint8, comment string) analytics.Response {
	return analytics.Response{SurveyID: "s", ResponseID: id, Score: score, Comment: comment, Channel: "api"}
}

// TestAlerts runs the alert rules on a fake clock (testing/synctest): a
// detractor is alerted after the delay, with the last answer; a follow-up
// supersedes the pending alert; a later promoter answer cancels it;
// unconfirmed answers and surveys without recipients alert nobody; Flush
// sends what waits, once.
func TestAlerts(t *testing.T) {
	const delay = 2 * time.Minute
	tests := []struct {
		name    string
		survey  *analytics.Survey
		answers []analytics.Response
		wait    time.Duration // before checking; then Flush
		want    []string      // comments of the alerts sent, in order
	}{
		{"detractor after the delay", alertSurvey, []analytics.Response{answer(uuid.Nil, 3, "slow")}, delay, []string{"slow"}},
		{"not before the delay, then at shutdown", alertSurvey, []analytics.Response{answer(uuid.Nil, 3, "slow")}, delay / 2, []string{"slow"}},
		{"follow-up supersedes", alertSurvey, []analytics.Response{answer(uuid.Nil, 3, ""), answer(uuid.Nil, 2, "rude on the phone")}, delay, []string{"rude on the phone"}},
		{"answered again as a promoter", alertSurvey, []analytics.Response{answer(uuid.Nil, 3, ""), answer(uuid.Nil, 9, "all good now")}, delay, nil},
		{"passive", alertSurvey, []analytics.Response{answer(uuid.Nil, 7, "")}, delay, nil},
		{"unconfirmed", alertSurvey, []analytics.Response{func() analytics.Response { r := answer(uuid.Nil, 0, "scan"); r.Unconfirmed = true; return r }()}, delay, nil},
		{"survey without recipients", &analytics.Survey{ID: "quiet"}, []analytics.Response{answer(uuid.Nil, 0, "x")}, delay, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				var log alertLog
				a := NewAlerts(delay, log.send, nil)
				id := uuid.New()
				for _, r := range tt.answers {
					r.ResponseID = id
					a.Answered(tt.survey, r)
					time.Sleep(10 * time.Second) // the follow-up comes a little later
				}
				time.Sleep(tt.wait)
				synctest.Wait()
				before := len(log.all())
				if tt.wait < delay && before != 0 {
					t.Fatalf("alert sent before the delay: %v", log.all())
				}
				a.Flush(context.Background())
				time.Sleep(delay) // a timer stopped by Flush must not send again
				synctest.Wait()
				var got []string
				for _, r := range log.all() {
					got = append(got, r.Comment)
				}
				if strings.Join(got, "|") != strings.Join(tt.want, "|") {
					t.Fatalf("alerts sent: %q, want %q", got, tt.want)
				}
				if n := a.Pending(); n != 0 {
					t.Fatalf("%d alerts still pending", n)
				}
			})
		})
	}
}

// TestAlertsPendingCap: at most MaxPendingAlerts wait; beyond that a new
// detractor gets no alert, and the waiting ones still go out.
func TestAlertsPendingCap(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var log alertLog
		a := NewAlerts(time.Minute, log.send, nil)
		for i := 0; i < MaxPendingAlerts+5; i++ {
			a.Answered(alertSurvey, answer(uuid.New(), 1, ""))
		}
		if n := a.Pending(); n != MaxPendingAlerts {
			t.Fatalf("pending = %d, want the cap %d", n, MaxPendingAlerts)
		}
		time.Sleep(time.Minute)
		synctest.Wait()
		if n := len(log.all()); n != MaxPendingAlerts {
			t.Fatalf("sent %d alerts, want %d", n, MaxPendingAlerts)
		}
		if n := a.Pending(); n != 0 {
			t.Fatalf("%d still pending after they fired", n)
		}
	})
}

// captureMailer keeps what it is asked to send.
type captureMailer struct {
	mu   sync.Mutex
	msgs []*sgmail.SGMailV3
}

func (c *captureMailer) Send(ctx context.Context, m *sgmail.SGMailV3) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.msgs = append(c.msgs, m)
	return nil
}

// TestSendAlert: the alert names the survey, the score, the reason labels
// and the comment, goes to every alert recipient, and shows an email
// answer's contact by address rather than by id.
func TestSendAlert(t *testing.T) {
	store := mock.New()
	ctx := context.Background()
	ann := analytics.Contact{ContactID: analytics.ContactID("ann@example.com"), Email: "ann@example.com"}
	if err := store.UpsertContacts(ctx, []analytics.Contact{ann}); err != nil {
		t.Fatal(err)
	}
	e, err := New(Config{PublicURL: "https://heed.example.com", SigningKeys: "k:0123456789abcdef0123456789abcdef", DataDir: t.TempDir()}, store)
	if err != nil {
		t.Fatal(err)
	}
	mailer := &captureMailer{}
	e.Mailer = mailer
	sv := *alertSurvey
	sv.AlertEmails = []string{"boss@acme.example", "ops@acme.example"}
	r := analytics.Response{SurveyID: "s", ResponseID: uuid.New(), Score: 2, Reasons: []string{"rude_service", "gone"},
		Comment: "Nobody called back", Channel: analytics.ChannelEmail, Respondent: ann.ContactID}
	if err := e.SendAlert(ctx, &sv, r); err != nil {
		t.Fatal(err)
	}
	if len(mailer.msgs) != 1 {
		t.Fatalf("%d messages", len(mailer.msgs))
	}
	m := mailer.msgs[0]
	var html string
	for _, c := range m.Content {
		if c.Type == "text/html" {
			html = c.Value
		}
	}
	caseURL := "https://heed.example.com/dashboard.html?case=" + r.ResponseID.String() + "&amp;survey=s"
	for _, want := range []string{"Rude or unhelpful service", "Nobody called back", "ann@example.com", caseURL, "Follow up on this case"} {
		if !strings.Contains(html, want) {
			t.Errorf("alert HTML lacks %q", want)
		}
	}
	var text string
	for _, c := range m.Content {
		if c.Type == "text/plain" {
			text = c.Value
		}
	}
	for _, want := range []string{strings.ReplaceAll(caseURL, "&amp;", "&"), "https://heed.example.com/api/v1/surveys/s/responses"} {
		if !strings.Contains(text, want) {
			t.Errorf("alert text lacks %q:\n%s", want, text)
		}
	}
	if to := m.Personalizations[0].To; len(to) != 2 || to[0].Address != "boss@acme.example" || to[1].Address != "ops@acme.example" {
		t.Errorf("recipients = %+v", to)
	}
}
