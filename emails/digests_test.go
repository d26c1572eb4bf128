package emails

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
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

// The digest's fast tier: the in-memory store, a scripted mailer and a
// fixed clock. The end-to-end test on ClickHouse (CSV equal to report.csv
// through the server) is server/digests_test.go.

func TestChangeSentence(t *testing.T) {
	tests := []struct {
		c    analytics.Change
		want string
	}{
		{analytics.Change{Diff: -8, Significant: true}, "NPS fell 8 points; significant at 95 %."},
		{analytics.Change{Diff: -8.3}, "NPS fell 8.3 points; within noise."},
		{analytics.Change{Diff: 1, Significant: true}, "NPS rose 1 point; significant at 95 %."},
		{analytics.Change{Diff: 2.5}, "NPS rose 2.5 points; within noise."},
		{analytics.Change{}, "NPS did not move; within noise."},
	}
	for _, tt := range tests {
		if got := ChangeSentence(&tt.c); got != tt.want {
			t.Errorf("%+v: %q, want %q", tt.c, got, tt.want)
		}
	}
}

var utcWeekly = &analytics.DigestSettings{Schedule: analytics.DigestWeekly, Weekday: "monday", Hour: 9, TZ: "UTC",
	Emails: []string{"boss@acme.example", "ops@acme.example"}}

func digestSurvey() *analytics.Survey {
	return &analytics.Survey{ID: "d", Name: "Support <NPS>", Reasons: []analytics.Reason{{ID: "slow", Label: "Slow answers"}},
		Digest: utcWeekly, CreatedAt: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
}

// weeks stores n weeks of answers ending with the week of 23 Nov 2026:
// steady at NPS 40 (50 answers a week), then a last week at NPS -20 where
// detractors cite slow answers, with a comment by an email contact.
func weeks(t *testing.T, store *mock.Store, sv *analytics.Survey, n int) {
	t.Helper()
	var rows []analytics.Response
	add := func(at time.Time, score uint8, channel, respondent, comment string, reasons ...string) {
		rows = append(rows, analytics.Response{SurveyID: sv.ID, ResponseID: uuid.New(), CreatedAt: at, Version: uint64(at.UnixNano()),
			First: true, Score: score, Channel: channel, Respondent: respondent, Comment: comment, Reasons: reasons})
	}
	last := time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)
	for w := 0; w < n; w++ {
		monday := last.AddDate(0, 0, -7*(n-1-w))
		p, d := 25, 5 // of 50: NPS 40
		if w == n-1 {
			p, d = 10, 20 // NPS -20
		}
		for i := 0; i < 50; i++ {
			at := monday.Add(time.Duration(24+i) * time.Hour)
			switch {
			case i < p:
				add(at, 10, "api", "", "")
			case i < p+d:
				reasons := []string{}
				if w == n-1 {
					reasons = []string{"slow"}
				}
				add(at, 2, "api", "", "", reasons...)
			default:
				add(at, 8, "api", "", "")
			}
		}
	}
	add(last.Add(30*time.Hour), 1, analytics.ChannelEmail, analytics.ContactID("ann@example.com"), "Nobody <b>called</b> back", "slow")
	add(last.Add(31*time.Hour), 6, analytics.ChannelWidget, "visitor-7", "Slow")
	add(last.Add(32*time.Hour), 9, analytics.ChannelWidget, "happy", "A promoter's comment")
	if err := store.InsertResponses(context.Background(), rows); err != nil {
		t.Fatal(err)
	}
	if err := store.UpsertContacts(context.Background(), []analytics.Contact{{ContactID: analytics.ContactID("ann@example.com"), Email: "ann@example.com"}}); err != nil {
		t.Fatal(err)
	}
}

// scriptMailer answers Send with the errors queued in script (then nil)
// and keeps what it was asked to send.
type scriptMailer struct {
	mu     sync.Mutex
	script []error
	msgs   []*sgmail.SGMailV3
}

func (m *scriptMailer) Send(ctx context.Context, msg *sgmail.SGMailV3) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.msgs = append(m.msgs, msg)
	if len(m.script) > 0 {
		err := m.script[0]
		m.script = m.script[1:]
		return err
	}
	return nil
}

func (m *scriptMailer) sent() int { m.mu.Lock(); defer m.mu.Unlock(); return len(m.msgs) }

func fakeCSV(sv *analytics.Survey, q analytics.ReportQuery, rep *analytics.Report) (string, []byte) {
	return "report.csv", []byte(fmt.Sprintf("periods\r\n%d\r\n", len(rep.Periods)))
}

type digestFixture struct {
	store  *mock.Store
	sv     *analytics.Survey
	mailer *scriptMailer
	now    time.Time
	d      *Digests
}

func newDigestFixture(t *testing.T, sv *analytics.Survey, mailer Mailer) *digestFixture {
	t.Helper()
	f := &digestFixture{store: mock.New(), sv: sv, now: time.Date(2026, 11, 30, 9, 30, 0, 0, time.UTC)}
	if m, ok := mailer.(*scriptMailer); ok {
		f.mailer = m
	}
	weeks(t, f.store, sv, DigestTrendPeriods)
	surveys := analytics.NewSurveys(f.store)
	if err := surveys.Save(context.Background(), sv); err != nil {
		t.Fatal(err)
	}
	f.d = f.digests(t, f.store, mailer)
	return f
}

// digests is a sender on f's clock over store, claiming in store.
func (f *digestFixture) digests(t *testing.T, store DigestStore, mailer Mailer) *Digests {
	t.Helper()
	surveys := analytics.NewSurveys(f.store)
	if err := surveys.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	d, err := NewDigests(DigestOptions{Store: store, Surveys: surveys, Mailer: mailer, BaseURL: "https://heed.example.com/",
		ReportCSV: fakeCSV, Now: func() time.Time { return f.now },
		Claims: &analytics.Claimer{Store: store, Settle: testClaimSettle}, Log: quiet})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func (f *digestFixture) record(t *testing.T) analytics.DigestRecord {
	t.Helper()
	r, ok, err := f.store.Digest(context.Background(), f.sv.ID, analytics.DigestWeekly, "2026-11-23")
	if err != nil || !ok {
		t.Fatalf("no record: %v", err)
	}
	return r
}

// TestDigestOnce runs the rules of "at most once, exactly once when all
// goes well" through each way a send can end: every step is a run at a
// time, with the sends the mailer sees after it and the record's status.
func TestDigestOnce(t *testing.T) {
	type step struct {
		after  time.Duration // from Monday 9:30
		sends  int           // mailer calls so far
		status string        // the record's status after the step ("" none)
	}
	refused := &SendError{Status: 400, Body: "bad from"}
	tests := []struct {
		name   string
		script []error
		setup  func(t *testing.T, f *digestFixture)
		steps  []step
	}{
		{"sent once, then never again", nil, nil,
			[]step{{0, 1, analytics.DigestSent}, {0, 1, analytics.DigestSent}, {time.Hour, 1, analytics.DigestSent}, {6 * 24 * time.Hour, 1, analytics.DigestSent}}},
		{"refused: failed, retried after RetryAfter", []error{refused}, nil,
			[]step{{0, 1, analytics.DigestFailed}, {time.Minute, 1, analytics.DigestFailed}, {15 * time.Minute, 2, analytics.DigestSent}, {16 * time.Minute, 2, analytics.DigestSent}}},
		{"stopped before the request: failed, retried", []error{&NotSentError{context.Canceled}}, nil,
			[]step{{0, 1, analytics.DigestFailed}, {20 * time.Minute, 2, analytics.DigestSent}}},
		{"the outcome unknown: never resent", []error{fmt.Errorf("%w: timeout", ErrMaybeSent)}, nil,
			[]step{{0, 1, analytics.DigestUnknown}, {time.Hour, 1, analytics.DigestUnknown}}},
		{"a crash after the claim: abandoned after StaleAfter, never resent", nil,
			func(t *testing.T, f *digestFixture) {
				claim := analytics.DigestRecord{SurveyID: "d", Schedule: "weekly", Period: "2026-11-23", Attempt: 1, Status: analytics.DigestSending,
					ClaimID: "crashed", ClaimedAt: f.now.Add(-time.Minute), UpdatedAt: f.now.Add(-time.Minute)}
				if err := f.store.SaveDigest(context.Background(), claim); err != nil {
					t.Fatal(err)
				}
			},
			[]step{{0, 0, analytics.DigestSending}, {8 * time.Minute, 0, analytics.DigestSending}, {10 * time.Minute, 0, analytics.DigestAbandoned}, {time.Hour, 0, analytics.DigestAbandoned}}},
		{"the store down while building: nothing recorded, sent at the next check", nil,
			func(t *testing.T, f *digestFixture) {
				f.store.ReportFn = func(ctx context.Context, q analytics.ReportQuery) (*analytics.Report, error) {
					f.store.ReportFn = nil // down once
					return nil, errors.New("ClickHouse unreachable")
				}
			},
			[]step{{0, 0, ""}, {time.Minute, 1, analytics.DigestSent}}},
		{"a survey created after the send time: none this week", nil,
			func(t *testing.T, f *digestFixture) { f.sv.CreatedAt = f.now.Add(-time.Minute) },
			[]step{{0, 0, ""}, {7 * 24 * time.Hour, 1, ""}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mailer := &scriptMailer{script: tt.script}
			sv := digestSurvey()
			f := newDigestFixture(t, sv, mailer)
			start := f.now
			if tt.setup != nil {
				tt.setup(t, f)
				if err := f.store.SaveSurvey(context.Background(), f.sv); err != nil {
					t.Fatal(err)
				}
				f.d = f.digests(t, f.store, mailer) // the survey as set up
			}
			for i, s := range tt.steps {
				f.now = start.Add(s.after)
				f.d.SendDue(context.Background())
				if got := mailer.sent(); got != s.sends {
					t.Fatalf("step %d (+%s): %d sends, want %d", i+1, s.after, got, s.sends)
				}
				r, ok, _ := f.store.Digest(context.Background(), "d", "weekly", "2026-11-23")
				if ok != (s.status != "") || r.Status != s.status {
					t.Fatalf("step %d (+%s): status %q (recorded: %v), want %q", i+1, s.after, r.Status, ok, s.status)
				}
			}
		})
	}
}

// rivalStore slips another runner's earlier claim in between a claim and
// its read-back: the race two instances can run.
type rivalStore struct {
	*mock.Store
	once sync.Once
}

func (s *rivalStore) SaveDigest(ctx context.Context, r analytics.DigestRecord) error {
	if err := s.Store.SaveDigest(ctx, r); err != nil {
		return err
	}
	if r.Status == analytics.DigestSending {
		s.once.Do(func() {
			rival := r
			rival.ClaimID, rival.ClaimedAt = "rival", r.ClaimedAt.Add(-time.Millisecond)
			s.Store.SaveDigest(ctx, rival)
		})
	}
	return nil
}

// TestDigestRace: of two runners that claim one period, only the one whose
// claim is on top sends; and a run that finds the period claimed (by
// another instance) skips it.
func TestDigestRace(t *testing.T) {
	mailer := &scriptMailer{}
	f := newDigestFixture(t, digestSurvey(), mailer)
	d := f.digests(t, &rivalStore{Store: f.store}, mailer)
	if sent, err := d.SendDue(context.Background()); sent != 0 || err != nil || mailer.sent() != 0 {
		t.Fatalf("the loser sent: %d %v, %d sends", sent, err, mailer.sent())
	}
	if r := f.record(t); r.ClaimID != "rival" || r.Status != analytics.DigestSending {
		t.Fatalf("record %+v, want the rival's claim", r)
	}

	g := newDigestFixture(t, digestSurvey(), &scriptMailer{})
	p, _ := utcWeekly.Due(g.now)
	other := &analytics.Claimer{Store: g.store, Settle: testClaimSettle}
	lease, err := other.Claim(context.Background(), digestJob("d", p))
	if err != nil {
		t.Fatal(err)
	}
	if sent, err := g.d.SendDue(context.Background()); sent != 0 || err != nil {
		t.Fatalf("sent %d, %v with the period claimed elsewhere", sent, err)
	}
	if err := lease.Release(context.Background()); err != nil {
		t.Fatal(err)
	}
	if sent, err := g.d.SendDue(context.Background()); sent != 1 || err != nil {
		t.Fatalf("sent %d, %v once released", sent, err)
	}
}

// TestDigestArchived: an archived survey gets no digest.
func TestDigestArchived(t *testing.T) {
	mailer := &scriptMailer{}
	sv := digestSurvey()
	at := time.Now().UTC()
	sv.ArchivedAt = &at
	f := newDigestFixture(t, sv, mailer)
	if sent, err := f.d.SendDue(context.Background()); sent != 0 || err != nil || mailer.sent() != 0 {
		t.Fatalf("an archived survey's digest: sent %d, %v", sent, err)
	}
}

// TestDigestContent: what the digest says of a week whose NPS fell.
func TestDigestContent(t *testing.T) {
	mailer := &scriptMailer{}
	f := newDigestFixture(t, digestSurvey(), mailer)
	if sent, err := f.d.SendDue(context.Background()); sent != 1 || err != nil {
		t.Fatal(sent, err)
	}
	m := mailer.msgs[0]
	html, text := partOf(m, "text/html"), partOf(m, "text/plain")
	for _, want := range []string{
		// 10 + 1 promoters, 20 + 2 detractors, 20 passives: (11 - 22) / 53
		"NPS −20.8 (95 % interval", "from 53 answers",
		"NPS fell 60.8 points; significant at 95 %.",
		"The week before: NPS 40",
		"Slow answers: 95 % of detractors, up from 0 %", // 21 of 22
		"ann@example.com · score 1 · email", "visitor-7 · score 6 · widget",
		"week of 23 Nov 2026", "12 weeks",
	} {
		for part, body := range map[string]string{"html": html, "text": text} {
			if part == "html" {
				want = strings.ReplaceAll(want, "'", "&#39;")
			}
			if !strings.Contains(body, want) {
				t.Errorf("%s lacks %q", part, want)
			}
		}
	}
	if !strings.Contains(html, "Nobody &lt;b&gt;called&lt;/b&gt; back") || strings.Contains(html, "<b>called</b>") {
		t.Error("a comment's markup is not escaped")
	}
	if strings.Contains(html, "A promoter&#39;s comment") || strings.Contains(html, "ZgotmplZ") {
		t.Error("a promoter's comment, or a refused URL, in the digest")
	}
	if m.Subject != "Support <NPS>, week of 23 Nov 2026: NPS −20.8 (down 60.8 points, significant)" {
		t.Errorf("subject %q", m.Subject)
	}
	if len(m.Personalizations) != 2 || m.Personalizations[0].To[0].Address != "boss@acme.example" || len(m.Personalizations[0].To) != 1 {
		t.Errorf("personalizations: %+v", m.Personalizations)
	}
	if !regexp.MustCompile(`<img src="cid:nps-trend" width="536" alt="Line chart of NPS per week with its 95 % interval, 12 weeks from week of 7 Sep 2026 to week of 23 Nov 2026\. NPS ranged from −20\.8 to 40; this week: −20\.8\. NPS fell 60\.8 points; significant at 95 %\."`).MatchString(html) {
		t.Errorf("chart image or alt text: %s", regexp.MustCompile(`<img[^>]*>`).FindString(html))
	}
}

func partOf(m *sgmail.SGMailV3, typ string) string {
	for _, c := range m.Content {
		if c.Type == typ {
			return c.Value
		}
	}
	return ""
}

// TestDigestV3JSON: through SendGrid's stand-in, the request carries the
// chart as an inline attachment with its content id, the CSV as an
// attachment, one personalization per recipient and the digest's
// categories and custom args.
func TestDigestV3JSON(t *testing.T) {
	si := newStandIn(t)
	sg := NewSendGrid("SG.test", si.URL)
	f := newDigestFixture(t, digestSurvey(), sg)
	if sent, err := f.d.SendDue(context.Background()); sent != 1 || err != nil || si.requests() != 1 {
		t.Fatalf("sent %d, %v, %d requests", sent, err, si.requests())
	}
	b := si.bodies[0]
	atts, _ := b["attachments"].([]any)
	if len(atts) != 2 {
		t.Fatalf("attachments: %v", b["attachments"])
	}
	inline, file := atts[0].(map[string]any), atts[1].(map[string]any)
	if inline["disposition"] != "inline" || inline["content_id"] != ChartContentID || inline["type"] != "image/png" || inline["filename"] != "nps-trend.png" {
		t.Errorf("inline attachment: %v", without(inline, "content"))
	}
	img, err := base64.StdEncoding.DecodeString(inline["content"].(string))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := png.Decode(bytes.NewReader(img)); err != nil {
		t.Errorf("the inline PNG: %v", err)
	}
	if file["disposition"] != "attachment" || file["type"] != "text/csv" || file["filename"] != "report.csv" || file["content_id"] != nil {
		t.Errorf("CSV attachment: %v", without(file, "content"))
	}
	if csv, _ := base64.StdEncoding.DecodeString(file["content"].(string)); string(csv) != "periods\r\n12\r\n" {
		t.Errorf("CSV: %q", csv)
	}
	html := ""
	for _, c := range b["content"].([]any) {
		if c.(map[string]any)["type"] == "text/html" {
			html = c.(map[string]any)["value"].(string)
		}
	}
	if !strings.Contains(html, `src="cid:nps-trend"`) {
		t.Error("the HTML does not reference the chart by cid")
	}
	ps := b["personalizations"].([]any)
	if len(ps) != 2 || si.received["boss@acme.example"] != 1 || si.received["ops@acme.example"] != 1 {
		t.Fatalf("personalizations %d, received %v", len(ps), si.received)
	}
	args := ps[0].(map[string]any)["custom_args"].(map[string]any)
	if args["heed_kind"] != "digest" || args["heed_survey_id"] != "d" || args["heed_digest_period"] != "2026-11-23" {
		t.Errorf("custom args %v", args)
	}
	if fmt.Sprint(b["categories"]) != "[heed heed-digest]" {
		t.Errorf("categories %v", b["categories"])
	}
}

func without(m map[string]any, key string) map[string]any {
	out := map[string]any{}
	for k, v := range m {
		if k != key {
			out[k] = v
		}
	}
	return out
}

// TestOutboxAttachments: the outbox keeps the v3 attachments, and shows
// inline images in the browser as data: URLs.
func TestOutboxAttachments(t *testing.T) {
	o := &Outbox{Dir: filepath.Join(t.TempDir(), "outbox")}
	f := newDigestFixture(t, digestSurvey(), o)
	if sent, err := f.d.SendDue(context.Background()); sent != 1 || err != nil {
		t.Fatal(sent, err)
	}
	msgs, err := o.List()
	if err != nil || len(msgs) != 2 {
		t.Fatalf("%d messages, %v", len(msgs), err)
	}
	m := msgs[0]
	if len(m.Attachments) != 2 || m.Attachments[0].ContentID != ChartContentID || m.Attachments[1].Filename != "report.csv" {
		t.Fatalf("attachments: %+v", m.Attachments)
	}
	inline := m.InlineHTML()
	if strings.Contains(inline, "cid:nps-trend") || !strings.Contains(inline, `src="data:image/png;base64,`+m.Attachments[0].Content+`"`) {
		t.Error("InlineHTML keeps the cid reference")
	}
	if _, err := os.Stat(filepath.Join(o.Dir, m.File)); err != nil {
		t.Fatal(err)
	}
}

// TestTrendChart: the PNG shows each period with answers as a point at its
// NPS, nothing for a period without, the line and band between neighbours,
// a mark under a significant fall and over a significant rise.
func TestTrendChart(t *testing.T) {
	v := func(f float64) *float64 { return &f }
	points := []TrendPoint{
		{Label: "10-05", NPS: v(40), Lo: 20, Hi: 55},
		{Label: "10-12", NPS: v(45), Lo: 25, Hi: 60, Change: 1},
		{Label: "10-19"}, // no answers
		{Label: "10-26", NPS: v(42), Lo: 22, Hi: 58},
		{Label: "11-02", NPS: v(-30), Lo: -55, Hi: -5, Change: -1},
	}
	b, err := TrendChart(points)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	if img.Bounds().Dx() != ChartWidth || img.Bounds().Dy() != ChartHeight {
		t.Fatalf("size %v", img.Bounds())
	}
	for i, p := range points {
		x := ChartX(points, i)
		if p.NPS == nil {
			if c := img.At(x, ChartY(points, 40)); c != ChartBackground && c != chartGrid {
				t.Errorf("period %d without answers is drawn: %v", i, c)
			}
			continue
		}
		y := ChartY(points, *p.NPS)
		if c := img.At(x, y); c != ChartPoint {
			t.Errorf("period %d: %v at its NPS, want the point colour", i, c)
		}
		if c := img.At(x, ChartY(points, p.Hi)+2); p.Change == 0 && c != ChartBand {
			t.Errorf("period %d: %v just inside its interval, want the band", i, c)
		}
	}
	// A falling last period: its point lower (a greater y) than the one before.
	if ChartY(points, -30) <= ChartY(points, 42) {
		t.Error("a lower NPS is not lower on the chart")
	}
	x4, y4 := ChartX(points, 4), ChartY(points, -30)
	if c := img.At(x4, y4+27); c != ChartFall {
		t.Errorf("under the fall: %v, want the fall mark", c)
	}
	if c := img.At(ChartX(points, 1), ChartY(points, 45)-27); c != ChartRise {
		t.Errorf("over the rise: %v, want the rise mark", c)
	}
	mid := (ChartX(points, 0) + ChartX(points, 1)) / 2
	if c := img.At(mid, ChartY(points, 42.5)); c != ChartLine {
		t.Errorf("between the first two points: %v, want the line", c)
	}
	if c := img.At((ChartX(points, 1)+ChartX(points, 3))/2, ChartY(points, 43.5)); c == ChartLine {
		t.Error("the line crosses the period without answers")
	}

	// The value range: 0 always shown, steps of 25 inside [-100, 100].
	tests := []struct {
		points     []TrendPoint
		yMin, yMax float64
	}{
		{nil, -25, 25},
		{[]TrendPoint{{NPS: v(60), Lo: 45, Hi: 72}}, 0, 75},
		{[]TrendPoint{{NPS: v(-90), Lo: -100, Hi: -70}, {NPS: v(95), Lo: 80, Hi: 100}}, -100, 100},
		{points, -100, 100}, // -55 to 60 spans more than 100: steps of 50
		{points[:4], 0, 75},
	}
	for _, tt := range tests {
		g := geometry(tt.points)
		if g.yMin != tt.yMin || g.yMax != tt.yMax || math.Mod(g.yMax-g.yMin, g.step) != 0 {
			t.Errorf("range of %v: %v to %v (step %v), want %v to %v", tt.points, g.yMin, g.yMax, g.step, tt.yMin, tt.yMax)
		}
	}
}

// TestRenderDigestAccessible: the language is set, the chart has a
// meaningful alt text, every text colour has at least 4.5:1 contrast on the
// background it is used on (WCAG AA), and the text part says what the
// HTML says.
func TestRenderDigestAccessible(t *testing.T) {
	mailer := &scriptMailer{}
	f := newDigestFixture(t, digestSurvey(), mailer)
	for _, test := range []bool{false, true} {
		p, _ := utcWeekly.Due(f.now)
		c, err := f.d.content(context.Background(), f.sv, p)
		if err != nil {
			t.Fatal(err)
		}
		r, err := RenderDigest(c.view, "cid:"+ChartContentID, test)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(r.HTML, `<html lang="en"`) || !strings.Contains(r.HTML, `<th scope="col"`) {
			t.Error("no language or no table headers")
		}
		if alt := regexp.MustCompile(`<img [^>]*alt="([^"]{40,})"`).FindStringSubmatch(r.HTML); alt == nil {
			t.Error("the chart has no meaningful alt text")
		}
		// Text colours, by the background they sit on in digest.html.
		allowed := map[string]string{
			"#111827": "#ffffff", "#4b5563": "#f3f4f6", "#b91c1c": "#ffffff", "#15803d": "#ffffff",
			"#78350f": "#fef3c7", // the test-send notice
		}
		for _, m := range regexp.MustCompile(`[^-]color:(#[0-9a-f]{6})`).FindAllStringSubmatch(r.HTML, -1) {
			bg, ok := allowed[m[1]]
			if !ok && m[1] == "#ffffff" {
				bg, ok = "#1f2937", true // the button
			}
			if !ok {
				t.Errorf("text colour %s is not one whose contrast is checked", m[1])
				continue
			}
			if ratio := contrast(m[1], bg); ratio < 4.5 {
				t.Errorf("%s on %s: contrast %.2f < 4.5", m[1], bg, ratio)
			}
		}
		// #4b5563 is also used on white.
		if contrast("#4b5563", "#ffffff") < 4.5 {
			t.Error("#4b5563 on white")
		}
		if test != strings.HasPrefix(r.Subject, "[Test] ") || test != strings.Contains(r.Text, "TEST SEND") {
			t.Errorf("test %v: subject %q", test, r.Subject)
		}
		for _, want := range []string{c.view.Sentence, c.view.Headline, "Slow answers", "ann@example.com"} {
			if !strings.Contains(r.Text, want) {
				t.Errorf("the text part lacks %q", want)
			}
		}
	}
}

// contrast is the WCAG 2 contrast ratio of two #rrggbb colours.
func contrast(a, b string) float64 {
	lum := func(hex string) float64 {
		var ch [3]float64
		for i := range ch {
			v, _ := strconv.ParseUint(hex[1+2*i:3+2*i], 16, 8)
			c := float64(v) / 255
			if c <= 0.04045 {
				ch[i] = c / 12.92
			} else {
				ch[i] = math.Pow((c+0.055)/1.055, 2.4)
			}
		}
		return 0.2126*ch[0] + 0.7152*ch[1] + 0.0722*ch[2]
	}
	la, lb := lum(a), lum(b)
	return (math.Max(la, lb) + 0.05) / (math.Min(la, lb) + 0.05)
}

// TestDigestRun: the loop checks every interval, sends a due digest once,
// and stops with its context (on synctest's fake clock, which starts on
// Saturday 1 January 2000: the digest of the week of 20 Dec 1999 is due).
func TestDigestRun(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		store := mock.New()
		sv := digestSurvey()
		sv.CreatedAt = time.Date(1999, 1, 1, 0, 0, 0, 0, time.UTC)
		surveys := analytics.NewSurveys(store)
		if err := surveys.Save(context.Background(), sv); err != nil {
			t.Fatal(err)
		}
		mailer := &scriptMailer{}
		d, err := NewDigests(DigestOptions{Store: store, Surveys: surveys, Mailer: mailer, ReportCSV: fakeCSV})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { defer close(done); d.Run(ctx, time.Minute) }()
		time.Sleep(59 * time.Second)
		synctest.Wait()
		if n := mailer.sent(); n != 0 {
			t.Fatalf("%d sends before the first check", n)
		}
		time.Sleep(10 * time.Minute)
		synctest.Wait()
		if n := mailer.sent(); n != 1 {
			t.Fatalf("%d sends after ten checks, want 1", n)
		}
		if r, ok, _ := store.Digest(ctx, "d", "weekly", "1999-12-20"); !ok || r.Status != analytics.DigestSent {
			t.Fatalf("record %+v %v", r, ok)
		}
		cancel()
		<-done
	})
}
