package emails

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	htmltemplate "html/template"
	"log/slog"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	sgmail "github.com/sendgrid/sendgrid-go/helpers/mail"

	"heed/analytics"
)

// DigestTrendPeriods is how many periods the chart and the CSV cover.
const DigestTrendPeriods = 12

// DigestComments is how many detractor comments a digest quotes, and
// digestAnswersRead how many of the period's newest answers it looks
// through for them.
const (
	DigestComments    = 5
	digestAnswersRead = 1000
)

// ChartContentID is the chart's Content-ID: the HTML shows it as
// <img src="cid:nps-trend">.
const ChartContentID = "nps-trend"

// DigestStore is what digests read and record.
type DigestStore interface {
	analytics.ResponseStore
	analytics.ContactStore
	analytics.DigestStore
	analytics.ClaimStore
}

// SurveyLister lists the surveys (analytics.Surveys).
type SurveyLister interface {
	List() []*analytics.Survey
}

// ReportCSVFunc builds report.csv of a report, and its file name: the
// server's own code, so that the attachment is what
// GET /api/v1/surveys/:id/report.csv returns for the same range.
type ReportCSVFunc func(sv *analytics.Survey, q analytics.ReportQuery, rep *analytics.Report) (name string, body []byte)

// DigestOptions build Digests; zero values get the defaults of validate.
type DigestOptions struct {
	Store     DigestStore
	Surveys   SurveyLister
	Mailer    Mailer
	From      *sgmail.Email
	BaseURL   string
	ReportCSV ReportCSVFunc
	// Now is the clock (time.Now); tests fix it.
	Now func() time.Time
	// Claims claims each survey's digest of a period in the store
	// (analytics/claims.go), so that one instance at a time works on it.
	// Nil: a Claimer on Store with the default settle time and TTL.
	Claims *analytics.Claimer
	// StaleAfter is how long a claim may stay "sending" before it counts as
	// abandoned by a crashed runner (default 10 minutes: far beyond a send,
	// which a 30 s client timeout and a few retries bound).
	StaleAfter time.Duration
	// RetryAfter is how long after a failed attempt the next one may start
	// (default 15 minutes).
	RetryAfter time.Duration
	Log        *slog.Logger
}

func (o *DigestOptions) validate() error {
	if o.Store == nil || o.Surveys == nil || o.Mailer == nil || o.ReportCSV == nil {
		return errors.New("emails: digests need a Store, Surveys, a Mailer and ReportCSV")
	}
	if o.From == nil {
		o.From = sgmail.NewEmail("", "surveys@heed.invalid")
	}
	o.BaseURL = strings.TrimRight(o.BaseURL, "/")
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Claims == nil {
		o.Claims = &analytics.Claimer{Store: o.Store}
	}
	if o.StaleAfter <= 0 {
		o.StaleAfter = 10 * time.Minute
	}
	if o.RetryAfter <= 0 {
		o.RetryAfter = 15 * time.Minute
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	return nil
}

// Digests email each survey's managers a digest of the last full week or
// month (analytics.DigestSettings): the NPS against the period before with
// its interval and a plain sentence, the reason shares that moved
// significantly, the latest detractor comments and who wrote them, a trend
// chart (an inline PNG) and the period's report.csv attached.
//
// Exactly once per survey and period, also across restarts and between
// instances, is kept so (DigestRecord.Version says how the store orders the
// rows): a run reads the period's record and stops if the digest went out,
// or may have (sent, unknown, abandoned), or is being sent by another
// runner (a fresh claim); otherwise it claims the period in the store
// (analytics.Claimer: one instance at a time, whichever instance runs it),
// reads the record again, builds the digest, writes a claim ("sending")
// and reads the record back: only the runner whose claim is on top (the
// earliest of that attempt) sends. After the mailer answers it
// records sent, failed (certainly not sent: retried after RetryAfter) or
// unknown (a timeout half-way: not retried). The claim is written BEFORE
// sending, so a crash between the send and the outcome leaves "sending",
// which a later run marks abandoned after StaleAfter and logs, never
// sending again: for a digest, at most once beats twice. The claim's time
// rule tolerates clocks up to 1 s apart between instances (analytics/
// claims.go); NTP keeps them far closer.
type Digests struct {
	o DigestOptions
}

// NewDigests checks o and fills its defaults.
func NewDigests(o DigestOptions) (*Digests, error) {
	if err := o.validate(); err != nil {
		return nil, err
	}
	return &Digests{o: o}, nil
}

// Run checks every interval which digests are due and sends them, until
// ctx ends.
func (d *Digests) Run(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if _, err := d.SendDue(ctx); err != nil && ctx.Err() == nil {
			d.o.Log.Warn("digests", "err", err)
		}
	}
}

// SendDue sends every scheduled digest that is due and not yet sent, and
// returns how many went out. One survey's failure does not stop the others.
func (d *Digests) SendDue(ctx context.Context) (sent int, err error) {
	var errs []error
	for _, sv := range d.o.Surveys.List() {
		// An archived survey takes no answers: nothing to tell its managers.
		if !sv.Scheduled() || sv.Archived() {
			continue
		}
		ok, err := d.sendDue(ctx, sv)
		if err != nil {
			errs = append(errs, fmt.Errorf("digest of survey %s: %w", sv.ID, err))
		}
		if ok {
			sent++
		}
	}
	return sent, errors.Join(errs...)
}

// sendDue sends the survey's due digest unless its record says otherwise.
func (d *Digests) sendDue(ctx context.Context, sv *analytics.Survey) (bool, error) {
	settings := *sv.Digest
	now := d.o.Now()
	p, err := settings.Due(now)
	if err != nil {
		return false, err
	}
	// No digest for a time before the survey existed: the first goes out
	// at the first scheduled time after its creation.
	if p.SendAt.Before(sv.CreatedAt) {
		return false, nil
	}
	// Most checks find the period's digest sent: that needs no claim.
	rec, found, err := d.o.Store.Digest(ctx, sv.ID, p.Schedule, p.ID())
	if err != nil || (found && d.leaveBe(rec, now)) {
		return false, err
	}
	lease, err := d.o.Claims.Claim(ctx, digestJob(sv.ID, p))
	if errors.Is(err, analytics.ErrClaimed) {
		return false, nil // another run, here or on another instance, has it
	}
	if err != nil {
		return false, err
	}
	defer lease.Release(context.WithoutCancel(ctx))

	rec, found, err = d.o.Store.Digest(ctx, sv.ID, p.Schedule, p.ID())
	if err != nil {
		return false, err
	}
	attempt := 1
	if found {
		switch {
		case d.leaveBe(rec, now):
			return false, nil
		case rec.Status == analytics.DigestSending:
			rec.Status, rec.UpdatedAt = analytics.DigestAbandoned, now
			rec.Detail = "the claim stayed 'sending' for " + now.Sub(rec.ClaimedAt).Round(time.Second).String() + "; its runner stopped: it may have gone out, so it is not sent again"
			d.o.Log.Warn("digest claim abandoned, not resent (at most once)", "survey", sv.ID, "period", p.ID(), "claimed_at", rec.ClaimedAt)
			return false, d.o.Store.SaveDigest(ctx, rec)
		}
		attempt = rec.Attempt + 1
	}

	// Built before the claim: a digest that cannot be built (the store is
	// down) leaves no record and is tried again at the next check.
	msg, err := d.build(ctx, sv, settings, p, false)
	if err != nil {
		return false, err
	}
	claim := analytics.DigestRecord{SurveyID: sv.ID, Schedule: p.Schedule, Period: p.ID(), Attempt: attempt,
		Status: analytics.DigestSending, ClaimID: newClaimID(), ClaimedAt: now, Recipients: settings.Emails, UpdatedAt: now}
	if err := d.o.Store.SaveDigest(ctx, claim); err != nil {
		return false, err
	}
	top, _, err := d.o.Store.Digest(ctx, sv.ID, p.Schedule, p.ID())
	if err != nil {
		return false, err // unsure who won: not sending; the claim goes stale
	}
	if top.ClaimID != claim.ClaimID || top.Status != analytics.DigestSending {
		d.o.Log.Info("digest claimed by another runner", "survey", sv.ID, "period", p.ID())
		return false, nil
	}

	outcome := claim
	sendErr := d.o.Mailer.Send(ctx, msg)
	var refused *SendError
	var notSent *NotSentError
	switch {
	case sendErr == nil:
		outcome.Status = analytics.DigestSent
	case errors.As(sendErr, &refused), errors.As(sendErr, &notSent):
		outcome.Status, outcome.Detail = analytics.DigestFailed, sendErr.Error()
	default: // ErrMaybeSent, a half-written outbox: maybe out
		outcome.Status, outcome.Detail = analytics.DigestUnknown, sendErr.Error()
	}
	// The outcome is recorded on a context of its own: a shutdown that
	// stopped the send must still say so.
	outcome.UpdatedAt = d.o.Now()
	saveCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err := d.o.Store.SaveDigest(saveCtx, outcome); err != nil {
		// The claim stays "sending" and turns abandoned: never sent twice.
		d.o.Log.Error("digest outcome not recorded", "survey", sv.ID, "period", p.ID(), "status", outcome.Status, "err", err)
	}
	if sendErr != nil {
		return false, sendErr
	}
	d.o.Log.Info("digest sent", "survey", sv.ID, "period", p.ID(), "recipients", len(settings.Emails))
	return true, nil
}

// SendTest sends the survey's digest of its latest due period now to to
// (the digest's recipients when empty): a test, marked so in the subject,
// and not recorded as the period's digest.
func (d *Digests) SendTest(ctx context.Context, sv *analytics.Survey, to []string) (analytics.DigestPeriod, error) {
	settings := sv.DigestOf()
	if len(to) > 0 {
		settings.Emails = to
	}
	if len(settings.Emails) == 0 {
		return analytics.DigestPeriod{}, ErrNoDigestRecipients
	}
	p, err := settings.Due(d.o.Now())
	if err != nil {
		return p, err
	}
	msg, err := d.build(ctx, sv, settings, p, true)
	if err != nil {
		return p, err
	}
	return p, d.o.Mailer.Send(ctx, msg)
}

// ErrNoDigestRecipients: a test send with nobody to send to.
var ErrNoDigestRecipients = errors.New("no recipients: give emails, or set the survey's digest.emails")

// Preview renders the survey's digest of its latest due period as its
// recipients would see it, with the chart inline as a data: URL, and
// returns the chart too.
func (d *Digests) Preview(ctx context.Context, sv *analytics.Survey) (Rendered, []byte, error) {
	settings := sv.DigestOf()
	p, err := settings.Due(d.o.Now())
	if err != nil {
		return Rendered{}, nil, err
	}
	c, err := d.content(ctx, sv, p)
	if err != nil {
		return Rendered{}, nil, err
	}
	r, err := RenderDigest(c.view, "data:image/png;base64,"+base64.StdEncoding.EncodeToString(c.chart), false)
	return r, c.chart, err
}

// digestContent is what one digest is made of.
type digestContent struct {
	view    DigestView
	chart   []byte
	csvName string
	csv     []byte
}

func (d *Digests) content(ctx context.Context, sv *analytics.Survey, p analytics.DigestPeriod) (*digestContent, error) {
	q := p.TrendQuery(sv, DigestTrendPeriods)
	rep, err := d.o.Store.Report(ctx, q)
	if err != nil {
		return nil, err
	}
	comments, err := d.comments(ctx, sv, p)
	if err != nil {
		return nil, err
	}
	v := NewDigestView(sv, p, rep, comments, d.o.BaseURL)
	chart, err := TrendChart(v.Chart)
	if err != nil {
		return nil, err
	}
	name, body := d.o.ReportCSV(sv, q, rep)
	return &digestContent{view: v, chart: chart, csvName: name, csv: body}, nil
}

// build renders the digest of p as a v3 message to settings.Emails, one
// personalization each (managers need not see each other's addresses),
// the chart inline and the CSV attached.
func (d *Digests) build(ctx context.Context, sv *analytics.Survey, settings analytics.DigestSettings, p analytics.DigestPeriod, test bool) (*sgmail.SGMailV3, error) {
	c, err := d.content(ctx, sv, p)
	if err != nil {
		return nil, err
	}
	r, err := RenderDigest(c.view, "cid:"+ChartContentID, test)
	if err != nil {
		return nil, err
	}
	m := sgmail.NewV3Mail()
	m.SetFrom(d.o.From)
	m.Subject = r.Subject
	m.AddContent(sgmail.NewContent("text/plain", r.Text), sgmail.NewContent("text/html", r.HTML))
	m.AddCategories("heed", "heed-digest")
	m.AddAttachment(
		sgmail.NewAttachment().SetContent(base64.StdEncoding.EncodeToString(c.chart)).SetType("image/png").
			SetFilename(ChartContentID+".png").SetDisposition("inline").SetContentID(ChartContentID),
		sgmail.NewAttachment().SetContent(base64.StdEncoding.EncodeToString(c.csv)).SetType("text/csv").
			SetFilename(c.csvName).SetDisposition("attachment"))
	for _, to := range settings.Emails {
		pz := sgmail.NewPersonalization()
		pz.AddTos(sgmail.NewEmail("", to))
		pz.SetCustomArg("heed_kind", "digest")
		pz.SetCustomArg("heed_survey_id", sv.ID)
		pz.SetCustomArg("heed_digest_period", p.ID())
		m.AddPersonalizations(pz)
	}
	return m, nil
}

// comments returns the period's latest detractor comments, newest first,
// with who wrote them: an email answer's contact by address, any other by
// its respondent id.
func (d *Digests) comments(ctx context.Context, sv *analytics.Survey, p analytics.DigestPeriod) ([]DigestComment, error) {
	q := analytics.ReportQuery{Survey: sv, From: p.Start, To: p.End, Interval: p.Interval, Location: p.Location}
	answers, err := d.o.Store.ListAnswers(ctx, q, digestAnswersRead)
	if err != nil {
		return nil, err
	}
	var out []DigestComment
	for _, a := range answers {
		if len(out) == DigestComments {
			break
		}
		if !analytics.IsDetractor(a.Score) || !a.Confirmed || strings.TrimSpace(a.Comment) == "" {
			continue
		}
		who := a.Respondent
		if a.Channel == analytics.ChannelEmail && a.Respondent != "" {
			switch c, err := d.o.Store.Contact(ctx, a.Respondent); {
			case err == nil && c.Email != "":
				who = c.Email
			case err != nil && !errors.Is(err, analytics.ErrNotFound):
				return nil, err
			}
		}
		out = append(out, DigestComment{Score: int(a.Score), Comment: a.Comment, Who: who, Channel: a.Channel,
			Reasons: sv.ReasonLabels(a.Reasons), At: a.CreatedAt.In(p.Location)})
	}
	return out, nil
}

// leaveBe reports whether a period's record (found) says to do nothing
// now: the digest went out or may have (final), another runner's claim is
// fresh, or an attempt failed a moment ago.
func (d *Digests) leaveBe(rec analytics.DigestRecord, now time.Time) bool {
	switch {
	case rec.Final():
		return true
	case rec.Status == analytics.DigestSending:
		return now.Sub(rec.ClaimedAt) < d.o.StaleAfter // else abandoned: marked so
	default:
		return now.Sub(rec.UpdatedAt) < d.o.RetryAfter
	}
}

// digestJob names the claim of a survey's digest of a period.
func digestJob(surveyID string, p analytics.DigestPeriod) string {
	return "digest:" + surveyID + ":" + p.Schedule + ":" + p.ID()
}

func newClaimID() string {
	b := make([]byte, 12)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// DigestComment is one detractor comment a digest quotes.
type DigestComment struct {
	Score   int
	Comment string
	Who     string // the contact's email, the respondent id, or ""
	Channel string
	Reasons []string
	At      time.Time
}

// Lines are the comment's lines, for the HTML part.
func (c DigestComment) Lines() []string {
	return strings.Split(c.Text(), "\n")
}

// Text is the comment with its line breaks made plain.
func (c DigestComment) Text() string {
	s := strings.TrimSpace(strings.ReplaceAll(c.Comment, "\r\n", "\n"))
	return strings.ReplaceAll(s, "\r", "\n")
}

// Byline says who wrote it and how: "ann@example.com · score 3 · email ·
// 27 Nov 2026 · Price, Rude or unhelpful service".
func (c DigestComment) Byline() string {
	who := oneLine(c.Who)
	if who == "" {
		who = "anonymous"
	}
	parts := []string{who, "score " + strconv.Itoa(c.Score)}
	if ch := oneLine(c.Channel); ch != "" {
		parts = append(parts, ch)
	}
	parts = append(parts, c.At.Format("2 Jan 2006 15:04"))
	var reasons []string
	for _, r := range c.Reasons {
		if r = oneLine(r); r != "" {
			reasons = append(reasons, r)
		}
	}
	if len(reasons) > 0 {
		parts = append(parts, strings.Join(reasons, ", "))
	}
	return strings.Join(parts, " · ")
}

// ReasonMove is a reason whose share among a group moved significantly.
type ReasonMove struct {
	Reason string
	Group  string // detractors, passives, promoters, all
	Before float64
	Now    float64
	Change analytics.Change
}

// Text says it in a sentence: "Price: 45 % of detractors, up from 20 %
// (+25 points, significant at 95 %)".
func (m ReasonMove) Text() string {
	dir := "up"
	if m.Change.Diff < 0 {
		dir = "down"
	}
	among := "of " + m.Group
	if m.Group == analytics.GroupAll {
		among = "of all answers"
	}
	return fmt.Sprintf("%s: %s %s, %s from %s (%s points, significant at 95 %%)", m.Reason, percent(m.Now), among, dir,
		percent(m.Before), signed(100*m.Change.Diff))
}

// DigestRow is one period of the digest's table.
type DigestRow struct {
	Label     string
	Responses int
	NPS       string // "24" or "–" without answers
	Interval  string // "12 to 35"
	Change    string // "-8 (significant)", "+2", ""
}

// DigestView is everything a digest shows, worked out from the report.
type DigestView struct {
	SurveyName  string
	Period      string // "week of 23 Nov 2026"
	Unit        string // "week", "month"
	Subject     string
	Headline    string // "NPS 24 (95 % interval 12 to 35), from 412 answers"
	Sentence    string // "NPS fell 8 points; significant at 95 %."
	Detail      string // the comparison in numbers
	SmallSample string // a caution, when a sample is small
	Falling     bool
	Rising      bool
	Moves       []ReasonMove
	Comments    []DigestComment
	Rows        []DigestRow
	Chart       []TrendPoint
	ChartAlt    string
	ReportURL   string
}

// NewDigestView works out what the digest of p says from its trend report
// (whose last period is p) and its comments.
func NewDigestView(sv *analytics.Survey, p analytics.DigestPeriod, rep *analytics.Report, comments []DigestComment, baseURL string) DigestView {
	unit := "week"
	if p.Interval == analytics.Month {
		unit = "month"
	}
	v := DigestView{SurveyName: oneLine(sv.Name), Period: p.Label(), Unit: unit, Comments: comments}
	if baseURL != "" {
		v.ReportURL = baseURL + "/dashboard.html"
	}
	n := len(rep.Periods)
	if n == 0 {
		return v
	}
	cur := rep.Periods[n-1]
	var prev *analytics.Period
	if n > 1 {
		prev = &rep.Periods[n-2]
	}

	// The headline and the sentence.
	name := v.SurveyName
	if name == "" {
		name = "Your survey"
	}
	switch {
	case cur.NPS == nil:
		v.Headline = "No answers this " + unit + "."
		v.Sentence = "No NPS for the " + unit + ": nobody answered."
		v.Subject = fmt.Sprintf("%s, %s: no answers", name, v.Period)
	default:
		v.Headline = fmt.Sprintf("NPS %s (95 %% interval %s to %s), from %s", num(*cur.NPS), num(cur.NPSCI95[0]), num(cur.NPSCI95[1]), answersText(cur.Responses))
		v.Subject = fmt.Sprintf("%s, %s: NPS %s", name, v.Period, num(*cur.NPS))
		switch {
		case cur.Change == nil || cur.Change.NPS == nil:
			v.Sentence = "No comparison: nobody answered the " + unit + " before."
		default:
			c := cur.Change.NPS
			v.Sentence = ChangeSentence(c)
			v.Falling, v.Rising = c.Significant && c.Diff < 0, c.Significant && c.Diff > 0
			v.Detail = fmt.Sprintf("The %s before: NPS %s (95 %% interval %s to %s), from %s. Change: %s points (95 %% interval %s to %s).",
				unit, num(*prev.NPS), num(prev.NPSCI95[0]), num(prev.NPSCI95[1]), answersText(prev.Responses), signed(c.Diff), signed(c.CI95[0]), signed(c.CI95[1]))
			if c.SmallSample {
				v.SmallSample = fmt.Sprintf("Fewer than %d answers in this %s or the one before: the intervals are wide; read the change with care.", rep.MinSample, unit)
			}
			word := "within noise"
			if c.Significant {
				word = "significant"
			}
			switch {
			case c.Diff < 0:
				v.Subject += fmt.Sprintf(" (down %s, %s)", pointsText(-c.Diff), word)
			case c.Diff > 0:
				v.Subject += fmt.Sprintf(" (up %s, %s)", pointsText(c.Diff), word)
			}
		}
		if v.SmallSample == "" && cur.SmallSample {
			v.SmallSample = fmt.Sprintf("Fewer than %d answers this %s: the interval is wide.", rep.MinSample, unit)
		}
	}

	// The reason shares that moved significantly, the strongest first.
	if cur.Change != nil && prev != nil {
		for _, r := range sv.Reasons {
			for _, g := range analytics.ShareGroups {
				c, ok := cur.Change.Reasons[r.ID][g]
				if !ok || !c.Significant {
					continue
				}
				v.Moves = append(v.Moves, ReasonMove{Reason: oneLine(r.Label), Group: g,
					Before: prev.Reasons[r.ID].Among[g].Share, Now: cur.Reasons[r.ID].Among[g].Share, Change: c})
			}
		}
		sort.SliceStable(v.Moves, func(i, j int) bool { return math.Abs(v.Moves[i].Change.Z) > math.Abs(v.Moves[j].Change.Z) })
	}

	// The trend: chart points and the table that says the same in text.
	var withNPS []string
	low, high := math.Inf(1), math.Inf(-1)
	for i := range rep.Periods {
		per := &rep.Periods[i]
		start, _ := time.Parse(time.DateOnly, per.Start)
		label := start.Format("01-02")
		if p.Interval == analytics.Month {
			label = start.Format("2006-01")
		}
		pt := TrendPoint{Label: label}
		row := DigestRow{Label: analytics.PeriodLabel(p.Interval, start), Responses: per.Responses, NPS: "–"}
		if per.NPS != nil {
			pt.NPS, pt.Lo, pt.Hi = per.NPS, per.NPSCI95[0], per.NPSCI95[1]
			row.NPS, row.Interval = num(*per.NPS), num(per.NPSCI95[0])+" to "+num(per.NPSCI95[1])
			withNPS = append(withNPS, num(*per.NPS))
			low, high = math.Min(low, *per.NPS), math.Max(high, *per.NPS)
		}
		if per.Change != nil && per.Change.NPS != nil {
			c := per.Change.NPS
			row.Change = signed(c.Diff)
			if c.Significant {
				row.Change += " (significant)"
				pt.Change = 1
				if c.Diff < 0 {
					pt.Change = -1
				}
			}
		}
		v.Chart = append(v.Chart, pt)
		v.Rows = append(v.Rows, row)
	}
	first, _ := time.Parse(time.DateOnly, rep.Periods[0].Start)
	v.ChartAlt = fmt.Sprintf("Line chart of NPS per %s with its 95 %% interval, %d %ss from %s to %s.", unit, n, unit,
		analytics.PeriodLabel(p.Interval, first), v.Period)
	if len(withNPS) > 0 {
		v.ChartAlt += fmt.Sprintf(" NPS ranged from %s to %s; this %s: %s.", num(low), num(high), unit, v.Rows[n-1].NPS)
	} else {
		v.ChartAlt += " No answers in the range."
	}
	if v.Falling || v.Rising {
		v.ChartAlt += " " + v.Sentence
	}
	return v
}

// ChangeSentence says how NPS moved, in the words a manager reads: "NPS
// fell 8 points; significant at 95 %." or "NPS rose 2 points; within
// noise."
func ChangeSentence(c *analytics.Change) string {
	var s string
	switch {
	case c.Diff < 0:
		s = "NPS fell " + pointsText(-c.Diff)
	case c.Diff > 0:
		s = "NPS rose " + pointsText(c.Diff)
	default:
		s = "NPS did not move"
	}
	if c.Significant {
		return s + "; significant at 95 %."
	}
	return s + "; within noise."
}

func pointsText(d float64) string {
	if d == 1 {
		return "1 point"
	}
	return num(d) + " points"
}

func answersText(n int) string {
	if n == 1 {
		return "1 answer"
	}
	return strconv.Itoa(n) + " answers"
}

// num writes a figure rounded to 0.1 without a trailing ".0", and a
// minus sign for negatives.
func num(f float64) string {
	s := strconv.FormatFloat(math.Round(f*10)/10, 'f', -1, 64)
	if s == "-0" {
		return "0"
	}
	return strings.Replace(s, "-", "−", 1)
}

// signed is num with a + on positive figures.
func signed(f float64) string {
	if math.Round(f*10) > 0 {
		return "+" + num(f)
	}
	return num(f)
}

func percent(share float64) string {
	return strconv.FormatFloat(math.Round(share*100), 'f', 0, 64) + " %"
}

// digestData is what digest.html and digest.txt see.
type digestData struct {
	DigestView
	ChartSrc htmltemplate.URL // built here: the cid or a data: URL of our own PNG
	Test     bool
}

// RenderDigest renders a digest; chartSrc is where the HTML finds the chart
// ("cid:nps-trend" in the email, a data: URL of the chart in the preview),
// always a URL Heed made: it is not escaped. A test send says so in its
// subject and at its top.
func RenderDigest(v DigestView, chartSrc string, test bool) (Rendered, error) {
	subject := v.Subject
	if test {
		subject = "[Test] " + subject
	}
	return render("digest", subject, digestData{DigestView: v, ChartSrc: htmltemplate.URL(chartSrc), Test: test})
}
