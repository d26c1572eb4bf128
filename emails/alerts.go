package emails

import (
	"context"
	"errors"
	"log/slog"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	sgmail "github.com/sendgrid/sendgrid-go/helpers/mail"

	"heed/analytics"
)

// Detractor alerts: when someone scores 0-6, the survey's alert_emails hear
// about it within minutes, with the reasons and comment, so someone can call
// the customer back. The alert waits a little (Delay) for the follow-up with
// reasons and comment; a later answer of the same response replaces the
// pending one. Pending alerts go out at shutdown (Flush). They are best
// effort: an alert is not kept across a crash (the answer itself is).
//
// With several instances, a first answer and its follow-up may wait on two
// of them: before sending, each asks the store whether a later answer of
// the response is stored (SetSuperseded), and gives way to it, so the
// response alerts once, from the instance with its last answer, with the
// reasons and comment. (Two answers taken within the alert's flush of each
// other, or a store that cannot answer, may still alert twice.)

// MaxPendingAlerts bounds the alerts waiting at once; beyond it new
// detractors get no alert (the answers are stored all the same).
const MaxPendingAlerts = 10_000

// AlertFunc delivers one alert.
type AlertFunc func(ctx context.Context, sv *analytics.Survey, r analytics.Response) error

// Alerts holds the alerts waiting for their follow-up.
type Alerts struct {
	delay  time.Duration
	send   AlertFunc
	log    *slog.Logger
	mu     sync.Mutex
	timers map[uuid.UUID]*pendingAlert
	// superseded, when set, says whether a later answer of the response
	// is stored (SetSuperseded).
	superseded func(ctx context.Context, r analytics.Response) (bool, error)
}

// SetSuperseded makes every alert first ask f whether a later answer of
// its response is stored, and drop itself if so. Call it before answers
// arrive.
func (a *Alerts) SetSuperseded(f func(ctx context.Context, r analytics.Response) (bool, error)) {
	a.superseded = f
}

type pendingAlert struct {
	timer *time.Timer
	once  sync.Once // sent, or superseded: whichever comes first, once
	sv    *analytics.Survey
	r     analytics.Response
}

// NewAlerts waits delay after a detractor's last answer, then calls send.
func NewAlerts(delay time.Duration, send AlertFunc, log *slog.Logger) *Alerts {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Alerts{delay: delay, send: send, log: log, timers: map[uuid.UUID]*pendingAlert{}}
}

// Answered is told about every stored (confirmed) answer.
func (a *Alerts) Answered(sv *analytics.Survey, r analytics.Response) {
	if a == nil || len(sv.AlertEmails) == 0 || r.Unconfirmed {
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if p, ok := a.timers[r.ResponseID]; ok {
		p.timer.Stop()
		p.once.Do(func() {}) // superseded by this answer
		delete(a.timers, r.ResponseID)
	}
	if !analytics.IsDetractor(r.Score) || len(a.timers) >= MaxPendingAlerts {
		return // answered again as a passive or promoter: no alert
	}
	p := &pendingAlert{sv: sv, r: r}
	p.timer = time.AfterFunc(a.delay, func() { a.fire(r.ResponseID, p) })
	a.timers[r.ResponseID] = p
}

// Pending counts the alerts waiting.
func (a *Alerts) Pending() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.timers)
}

func (a *Alerts) fire(id uuid.UUID, p *pendingAlert) {
	a.mu.Lock()
	if a.timers[id] == p {
		delete(a.timers, id)
	}
	a.mu.Unlock()
	p.once.Do(func() { a.deliver(context.Background(), p) })
}

func (a *Alerts) deliver(ctx context.Context, p *pendingAlert) {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	if a.superseded != nil {
		switch later, err := a.superseded(ctx, p.r); {
		case err != nil:
			a.log.Warn("detractor alert sent without knowing whether a later answer came", "survey", p.sv.ID, "err", err)
		case later:
			a.log.Debug("detractor alert dropped: a later answer of the response is stored", "survey", p.sv.ID, "response", p.r.ResponseID)
			return
		}
	}
	if err := a.send(ctx, p.sv, p.r); err != nil {
		a.log.Error("detractor alert not sent", "survey", p.sv.ID, "err", err)
	}
}

// Flush sends every pending alert now (at shutdown), within ctx: those it
// cannot send before ctx ends are logged as not sent.
func (a *Alerts) Flush(ctx context.Context) {
	if a == nil {
		return
	}
	a.mu.Lock()
	pending := a.timers
	a.timers = map[uuid.UUID]*pendingAlert{}
	a.mu.Unlock()
	for _, p := range pending {
		p.timer.Stop()
		p.once.Do(func() { a.deliver(ctx, p) }) // unless its timer got there first
	}
}

// CaseURL is the dashboard's page of a case: it opens the survey and
// scrolls to the case, to assign, note and close it.
func CaseURL(baseURL, surveyID, responseID string) string {
	return strings.TrimRight(baseURL, "/") + "/dashboard.html?" + url.Values{"survey": {surveyID}, "case": {responseID}}.Encode()
}

// SendAlert emails a detractor alert to the survey's alert_emails: an
// AlertFunc for NewAlerts.
func (e *Emailing) SendAlert(ctx context.Context, sv *analytics.Survey, r analytics.Response) error {
	respondent := r.Respondent
	if r.Channel == analytics.ChannelEmail {
		switch c, err := e.store.Contact(ctx, r.Respondent); {
		case err == nil:
			respondent = c.Email
		case !errors.Is(err, analytics.ErrNotFound):
			e.log.Warn("alert without the contact's address", "contact", r.Respondent, "err", err)
		}
	}
	rendered, err := RenderAlert(Alert{Lang: sv.Language, SurveyName: sv.Name, Score: int(r.Score), Reasons: sv.ReasonLabels(r.Reasons),
		Comment: r.Comment, Respondent: respondent, Channel: r.Channel, ResponsesURL: e.BaseURL + "/api/v1/surveys/" + sv.ID + "/responses", CaseURL: CaseURL(e.BaseURL, sv.ID, r.ResponseID.String())})
	if err != nil {
		return err
	}
	var to []*sgmail.Email
	for _, addr := range sv.AlertEmails {
		to = append(to, sgmail.NewEmail("", addr))
	}
	return e.Mailer.Send(ctx, e.message(rendered, "heed-alert", to...))
}

// message is one rendered email from Heed's sender to everyone in to
// (one personalization: they see each other), filed under category.
func (e *Emailing) message(r Rendered, category string, to ...*sgmail.Email) *sgmail.SGMailV3 {
	m := sgmail.NewV3Mail()
	m.SetFrom(e.From)
	m.Subject = r.Subject
	m.AddContent(sgmail.NewContent("text/plain", r.Text), sgmail.NewContent("text/html", r.HTML))
	m.AddCategories("heed", category)
	p := sgmail.NewPersonalization()
	p.AddTos(to...)
	m.AddPersonalizations(p)
	return m
}
