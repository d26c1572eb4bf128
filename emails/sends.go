package emails

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"strconv"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/sendgrid/sendgrid-go/helpers/mail"

	"heed/analytics"
)

// Sends emails surveys to contacts: in batches of up to 1000 recipients per
// SendGrid request, skipping suppressed and recently asked contacts, and
// logging every contact in ClickHouse so that a send interrupted by a crash
// or Ctrl-C can be run again without emailing anyone twice.
type Sends struct {
	Store  Store
	Mailer Mailer
	Signer *Signer
	// Erasure recognises forgotten people (the erased list); nil is only
	// fine while the list is empty.
	Erasure *analytics.PersonHasher
	BaseURL string
	From    *mail.Email
	// BatchSize is the recipients per request (default and maximum 1000).
	BatchSize int
	// TokenTTL is how long the links work (default 30 days).
	TokenTTL time.Duration
	// Log hears about refused recipients and batches; nil discards.
	Log *slog.Logger
	// Claims claims each run of a send in the store (analytics/claims.go),
	// so that two runs of the same send (a retried API call, heed send
	// beside heed serve, two Heed instances) cannot both email. Nil: a
	// Claimer on Store with the default settle time and TTL.
	Claims *analytics.Claimer

	claimsOnce sync.Once
}

// Running reports whether a run of the send holds its claim now (on any
// instance).
func (s *Sends) Running(ctx context.Context, sendID, kind string) (bool, error) {
	return s.claimer().Held(ctx, sendJob(sendID, kind))
}

// ErrSendRunning means another run of the same send is going on.
var ErrSendRunning = errors.New("this send is already running")

// ErrSendClaimLost means a run stopped between batches because it could
// not renew its claim in time (the store was unreachable): another
// instance may take the send over, and the send log keeps a rerun from
// emailing anyone twice.
var ErrSendClaimLost = errors.New("the send stopped: its claim could not be renewed; run it again")

func (s *Sends) claimer() *analytics.Claimer {
	s.claimsOnce.Do(func() {
		if s.Claims == nil {
			s.Claims = &analytics.Claimer{Store: s.Store}
		}
	})
	return s.Claims
}

// sendJob names the claim of a run of a send.
func sendJob(sendID, kind string) string { return "send:" + sendID + ":" + kind }

// SendSummary counts what a run did.
type SendSummary struct {
	Selected          int `json:"selected"`
	Sent              int `json:"sent"`
	WouldSend         int `json:"would_send,omitempty"` // dry run
	AlreadyHandled    int `json:"already_handled"`
	SkippedSuppressed int `json:"skipped_suppressed"`
	SkippedRecent     int `json:"skipped_recent"`
	SkippedAnswered   int `json:"skipped_answered"`
	Failed            int `json:"failed"`
	Requests          int `json:"requests"`
}

// SendRequest asks for a send of a survey: a new one, or, when ID names a
// send that exists, that send resumed (its stored filter and reminder win).
// The API and `heed send` both go through Open.
type SendRequest struct {
	ID           string // empty: a new id
	SurveyID     string
	Filter       analytics.ContactFilter
	ReminderDays int
	// DryRun opens the send without saving it (nothing is emailed or logged
	// by a dry Run either).
	DryRun bool
}

// Open's refusals.
var (
	ErrSendOfOtherSurvey = errors.New("send_id belongs to another survey")
	ErrBadSendID         = errors.New("send_id must match [A-Za-z0-9_-]{1,64}")
	ErrBadFilter         = errors.New("a property name or value in the filter is empty, too long or holds control characters")
)

// Open returns the send req asks for, saved (unless a dry run) so that it
// can be followed and resumed, and whether it existed already. A send id
// of another survey's send is refused: resuming it would email that
// survey's contacts about this one.
func (s *Sends) Open(ctx context.Context, req SendRequest) (send analytics.Send, resumed bool, err error) {
	if req.ID == "" {
		req.ID = NewSendID(time.Now())
	}
	if !analytics.ValidSendID(req.ID) {
		return send, false, ErrBadSendID
	}
	for k, v := range req.Filter.Where {
		if !analytics.ValidPropertyKey(k) || !analytics.ValidPropertyValue(v) {
			return send, false, fmt.Errorf("%w: %q", ErrBadFilter, k)
		}
	}
	switch existing, err := s.Store.GetSend(ctx, req.ID); {
	case err == nil:
		if existing.SurveyID != req.SurveyID {
			return send, false, ErrSendOfOtherSurvey
		}
		send, resumed = existing, true
	case errors.Is(err, analytics.ErrNotFound):
		send = analytics.Send{ID: req.ID, SurveyID: req.SurveyID, Filter: req.Filter, ReminderDays: req.ReminderDays, CreatedAt: time.Now().UTC()}
	default:
		return send, false, err
	}
	if req.DryRun {
		return send, resumed, nil
	}
	switch running, err := s.Running(ctx, send.ID, analytics.KindInitial); {
	case err != nil:
		return send, resumed, err
	case running:
		return send, resumed, ErrSendRunning
	}
	if err := s.Store.SaveSend(ctx, send); err != nil {
		return send, resumed, err
	}
	return send, resumed, nil
}

// NewSendID names a send: its day, then 16 random hex digits.
func NewSendID(now time.Time) string {
	b := make([]byte, 8)
	rand.Read(b)
	return now.UTC().Format("20060102") + "-" + hex.EncodeToString(b)
}

// ResponseID is the response id of a contact's answer to a send: the same
// for every click, the reminder and the follow-up, so the last answer wins.
func ResponseID(sendID, contactID string) uuid.UUID {
	return uuid.NewSHA1(uuid.NameSpaceURL, []byte("heed:send:"+sendID+":"+contactID))
}

// Progress is told how many of total contacts are done.
type Progress func(done, total int)

// Run sends (kind analytics.KindInitial) or reminds (analytics.KindReminder)
// one send. dryRun counts without emailing or logging.
func (s *Sends) Run(ctx context.Context, send analytics.Send, sv *analytics.Survey, kind string, dryRun bool, progress Progress) (SendSummary, error) {
	var sum SendSummary
	log := s.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	var lease *analytics.Lease
	if !dryRun {
		var err error
		lease, err = s.claimer().Claim(ctx, sendJob(send.ID, kind))
		switch {
		case errors.Is(err, analytics.ErrClaimed):
			return sum, ErrSendRunning
		case err != nil:
			return sum, err
		}
		defer lease.Release(context.WithoutCancel(ctx))
	}
	batchSize := s.BatchSize
	if batchSize <= 0 || batchSize > MaxRecipients {
		batchSize = MaxRecipients
	}
	ttl := s.TokenTTL
	if ttl == 0 {
		ttl = DefaultTokenTTL
	}
	contacts, err := s.Store.Contacts(ctx, send.Filter)
	if err != nil {
		return sum, err
	}
	sum.Selected = len(contacts)
	done, err := s.Store.SendStatuses(ctx, send.ID, kind)
	if err != nil {
		return sum, err
	}
	suppressed, err := s.Store.Suppressed(ctx)
	if err != nil {
		return sum, err
	}
	// Forgotten people are suppressed by the hash of their email or id, so
	// that a contact imported again after being forgotten is skipped too. A
	// list made under another key cannot be checked: refuse to send.
	erased, err := s.Store.Erased(ctx)
	if err != nil {
		return sum, err
	}
	if err := erased.Check(s.Erasure); err != nil {
		return sum, err
	}
	// Initial sends skip people asked about this survey lately, by any
	// channel; reminders skip people who answered since the send.
	var asked map[string]bool
	if kind == analytics.KindReminder {
		asked, err = s.Store.Responded(ctx, sv.ID, send.CreatedAt)
	} else {
		asked, err = s.Store.RecentlyAsked(ctx, sv.ID, time.Now().AddDate(0, 0, -sv.Widget.RecontactDaysAnswered))
	}
	if err != nil {
		return sum, err
	}
	var initial map[string]string
	if kind == analytics.KindReminder { // remind only those emailed the first time
		if initial, err = s.Store.SendStatuses(ctx, send.ID, analytics.KindInitial); err != nil {
			return sum, err
		}
	}

	var todo []analytics.Contact
	var skips []analytics.SendLogEntry
	for _, c := range contacts {
		entry := analytics.SendLogEntry{SendID: send.ID, Kind: kind, ContactID: c.ContactID, SurveyID: sv.ID, Email: c.Email}
		switch status := done[c.ContactID]; {
		case status != "" && status != analytics.SendFailed:
			sum.AlreadyHandled++
		case initial != nil && initial[c.ContactID] != analytics.SendSent:
			sum.AlreadyHandled++ // never emailed: nothing to remind
		case suppressed[c.ContactID]:
			sum.SkippedSuppressed++
			entry.Status = analytics.SendSkippedSuppressed
			skips = append(skips, entry)
		case s.Erasure != nil && s.Erasure.Forgotten(c, erased.Hashes):
			sum.SkippedSuppressed++
			entry.Status = analytics.SendSkippedSuppressed
			entry.Email = "" // what the log need not hold again
			skips = append(skips, entry)
		case asked[c.ContactID]:
			if kind == analytics.KindReminder {
				sum.SkippedAnswered++
			} else {
				sum.SkippedRecent++
			}
			entry.Status = analytics.SendSkippedRecent
			skips = append(skips, entry)
		default:
			todo = append(todo, c)
		}
	}
	if !dryRun {
		if err := s.Store.LogSends(ctx, skips); err != nil {
			return sum, err
		}
	}
	handled := sum.Selected - len(todo)
	if progress != nil {
		progress(handled, sum.Selected)
	}
	if dryRun {
		sum.WouldSend = len(todo)
		return sum, nil
	}
	if len(todo) == 0 {
		return sum, nil
	}

	rendered, err := RenderSurvey(SurveyEmailFor(sv, s.From.Name, s.BaseURL, "", kind == analytics.KindReminder))
	if err != nil {
		return sum, err
	}
	// The survey's brand is the From name; the address stays the server's.
	// FromName: the brand may be the survey's name, which may hold an
	// address (sender names are checked when a survey is saved).
	from := *s.From
	from.Name = analytics.FromName(BrandOf(sv, s.From.Name).Name)
	for len(todo) > 0 {
		if err := ctx.Err(); err != nil {
			return sum, err // stopped between batches: the log is consistent
		}
		if !lease.Held() {
			return sum, ErrSendClaimLost
		}
		n := min(batchSize, len(todo))
		chunk := todo[:n]
		todo = todo[n:]
		now := time.Now().UTC()
		b := Batch{From: &from, Email: rendered, BaseURL: s.BaseURL, Categories: []string{"heed", "survey-" + sv.ID}}
		entries := make([]analytics.SendLogEntry, len(chunk))
		for i, c := range chunk {
			tok := s.Signer.Sign(Claims{SendID: send.ID, SurveyID: sv.ID, ContactID: c.ContactID, SentAt: now, Expires: now.Add(ttl), SendStart: send.CreatedAt})
			b.Recipients = append(b.Recipients, Recipient{Email: c.Email, Name: c.Name, Token: tok,
				CustomArgs: map[string]string{"heed_send_id": send.ID, "heed_survey_id": sv.ID, "heed_contact_id": c.ContactID, "heed_kind": kind}})
			entries[i] = analytics.SendLogEntry{SendID: send.ID, Kind: kind, ContactID: c.ContactID, Status: analytics.SendSending, SurveyID: sv.ID, Email: c.Email}
		}
		// Intent first: if we die after SendGrid took the batch but before
		// "sent" is written, a rerun sees "sending" and does not email again.
		if err := s.Store.LogSends(ctx, entries); err != nil {
			return sum, err
		}
		// SendGrid refuses a whole request for one bad recipient (400 naming
		// personalizations.N): drop those and send the rest again.
		pending := make([]int, len(chunk)) // indexes into b.Recipients/entries
		for i := range pending {
			pending[i] = i
		}
		all := b.Recipients
		for len(pending) > 0 {
			b.Recipients = b.Recipients[:0:0]
			for _, i := range pending {
				b.Recipients = append(b.Recipients, all[i])
			}
			sum.Requests++
			err := s.Mailer.Send(ctx, b.V3())
			var sendErr *SendError
			var notSent *NotSentError
			switch {
			case err == nil:
				for _, i := range pending {
					entries[i].Status = analytics.SendSent
				}
				sum.Sent += len(pending)
				pending = nil
			case errors.As(err, &sendErr):
				if bad := badRecipients(sendErr, len(pending)); sendErr.Status == 400 && len(bad) > 0 && len(bad) < len(pending) {
					var rest []int
					for k, i := range pending {
						if bad[k] {
							entries[i].Status = analytics.SendFailed
							sum.Failed++
							log.Warn("SendGrid refused a recipient", "send", send.ID, "email", entries[i].Email, "err", err)
						} else {
							rest = append(rest, i)
						}
					}
					pending = rest
					continue
				}
				// Refused for good: nobody got it, a later run may retry.
				for _, i := range pending {
					entries[i].Status = analytics.SendFailed
				}
				sum.Failed += len(pending)
				log.Error("SendGrid refused a batch", "send", send.ID, "recipients", len(pending), "err", err)
				pending = nil
			case errors.As(err, &notSent):
				// Stopped (Ctrl-C, shutdown) before SendGrid took it: nobody
				// got it; record that so the next run sends it.
				for _, i := range pending {
					entries[i].Status = analytics.SendFailed
				}
				if lerr := s.Store.LogSends(context.WithoutCancel(ctx), entries); lerr != nil {
					return sum, lerr
				}
				return sum, fmt.Errorf("send %s: %w", send.ID, err)
			default:
				// Unknown outcome: leave "sending" (never retried) and stop.
				return sum, fmt.Errorf("send %s: batch of %d: %w", send.ID, n, err)
			}
		}
		// Not cancelled by Ctrl-C: the outcome must be recorded. (The pool's
		// read timeout bounds it.)
		err = s.Store.LogSends(context.WithoutCancel(ctx), entries)
		if err != nil {
			return sum, err
		}
		handled += n
		if progress != nil {
			progress(handled, sum.Selected)
		}
	}
	return sum, nil
}

// personalizationField finds the recipients a SendGrid 400 names, as in
// {"errors":[{"field":"personalizations.3.to.0.email",...}]}.
var personalizationField = regexp.MustCompile(`personalizations\.(\d+)\.`)

// badRecipients returns the positions (within a request of n recipients)
// that a 400 names.
func badRecipients(e *SendError, n int) map[int]bool {
	bad := map[int]bool{}
	for _, m := range personalizationField.FindAllStringSubmatch(e.Body, -1) {
		if i, err := strconv.Atoi(m[1]); err == nil && i < n {
			bad[i] = true
		}
	}
	return bad
}
