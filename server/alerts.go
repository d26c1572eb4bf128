package server

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/google/uuid"
	sgmail "github.com/sendgrid/sendgrid-go/helpers/mail"

	"heed/analytics"
	"heed/emails"
)

// Detractor alerts: when someone scores 0-6, the survey's alert_emails hear
// about it within minutes, with the reasons and comment, so someone can call
// the customer back. The alert waits a little (alertDelay) for the
// follow-up with reasons and comment; a later answer of the same response
// replaces the pending one. Pending alerts go out at shutdown. They are
// best effort: an alert is not kept across a crash (the answer itself is).

const maxPendingAlerts = 10_000

type alerts struct {
	delay  time.Duration
	send   func(ctx context.Context, sv *analytics.Survey, r analytics.Response) error
	log    *slog.Logger
	mu     sync.Mutex
	timers map[uuid.UUID]*pendingAlert
}

type pendingAlert struct {
	timer *time.Timer
	once  sync.Once // sent, or superseded: whichever comes first, once
	sv    *analytics.Survey
	r     analytics.Response
}

// answered is told about every stored answer.
func (a *alerts) answered(sv *analytics.Survey, r analytics.Response) {
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
	if r.Score > 6 || len(a.timers) >= maxPendingAlerts {
		return // answered again as a passive or promoter: no alert
	}
	p := &pendingAlert{sv: sv, r: r}
	p.timer = time.AfterFunc(a.delay, func() { a.fire(r.ResponseID, p) })
	a.timers[r.ResponseID] = p
}

func (a *alerts) fire(id uuid.UUID, p *pendingAlert) {
	a.mu.Lock()
	if a.timers[id] == p {
		delete(a.timers, id)
	}
	a.mu.Unlock()
	p.once.Do(func() { a.deliver(p) })
}

func (a *alerts) deliver(p *pendingAlert) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := a.send(ctx, p.sv, p.r); err != nil {
		a.log.Error("detractor alert not sent", "survey", p.sv.ID, "err", err)
	}
}

// flush sends every pending alert now (at shutdown).
func (a *alerts) flush() {
	a.mu.Lock()
	pending := a.timers
	a.timers = map[uuid.UUID]*pendingAlert{}
	a.mu.Unlock()
	for _, p := range pending {
		p.timer.Stop()
		p.once.Do(func() { a.deliver(p) }) // unless its timer got there first
	}
}

// sendAlert emails a detractor alert to the survey's alert_emails.
func (s *Server) sendAlert(ctx context.Context, sv *analytics.Survey, r analytics.Response) error {
	labels := make([]string, 0, len(r.Reasons))
	for _, id := range r.Reasons {
		for _, reason := range sv.Reasons {
			if reason.ID == id {
				labels = append(labels, reason.Label)
			}
		}
	}
	respondent := r.Respondent
	if r.Channel == "email" {
		if cs, err := s.db.Contacts(ctx, analytics.ContactFilter{ContactIDs: []string{r.Respondent}}); err == nil && len(cs) == 1 {
			respondent = cs[0].Email
		}
	}
	rendered, err := emails.RenderAlert(emails.Alert{Lang: sv.Language, SurveyName: sv.Name, Score: int(r.Score), Reasons: labels,
		Comment: r.Comment, Respondent: respondent, Channel: r.Channel, ResponsesURL: s.cfg.PublicURL + "/api/v1/surveys/" + sv.ID + "/responses"})
	if err != nil {
		return err
	}
	m := sgmail.NewV3Mail()
	m.SetFrom(s.emailing.Sends.From)
	m.Subject = rendered.Subject
	m.AddContent(sgmail.NewContent("text/plain", rendered.Text), sgmail.NewContent("text/html", rendered.HTML))
	m.AddCategories("heed", "heed-alert")
	p := sgmail.NewPersonalization()
	for _, to := range sv.AlertEmails {
		p.AddTos(sgmail.NewEmail("", to))
	}
	m.AddPersonalizations(p)
	return s.emailing.Sends.Mailer.Send(ctx, m)
}
