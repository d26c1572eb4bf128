package server

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/csv"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"net/http"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"heed/analytics"
	"heed/emails"
)

// The digest's Done-when (issue 10, item 6): one digest per period lands in
// the outbox (a second run in the same period sends nothing, nor does a new
// sender on the same database: a restart), its PNG decodes and shows the
// trend, its CSV attachment parses and equals report.csv.

var paris = mustZone("Europe/Paris")

func mustZone(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

// digestSurvey is weekly, on Monday at 9:00 in Paris, to two managers.
func digestSurvey(id string) *analytics.Survey {
	return &analytics.Survey{ID: id, Name: "Support NPS", Question: analytics.DefaultQuestion,
		Reasons: []analytics.Reason{{ID: "slow", Label: "Slow answers"}, {ID: "price", Label: "Price"}},
		Widget:  analytics.DefaultWidgetSettings(), AllowedOrigins: []string{}, AlertEmails: []string{},
		Digest: &analytics.DigestSettings{Schedule: analytics.DigestWeekly, Weekday: "monday", Hour: 9, TZ: "Europe/Paris",
			Emails: []string{"boss@acme.example", "ops@acme.example"}},
		CreatedAt: time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC), UpdatedAt: time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC)}
}

// digestAnswers are twelve weeks of answers (Paris weeks from 7 Sep 2026):
// eleven steady weeks at NPS 33.3 whose detractors seldom cite slow
// answers, then the week of 23 Nov at NPS -25 with most detractors citing
// them, its comments by an email contact and a widget visitor, and an
// answer on each side of the week's end in Paris.
func digestAnswers(sv string) []analytics.Response {
	var out []analytics.Response
	add := func(at time.Time, score uint8, channel, respondent, comment string, reasons ...string) {
		out = append(out, analytics.Response{SurveyID: sv, ResponseID: uuid.New(), CreatedAt: at, Version: uint64(at.UnixNano()),
			First: true, Score: score, Reasons: reasons, Comment: comment, Channel: channel, Respondent: respondent})
	}
	week0 := time.Date(2026, 9, 7, 0, 0, 0, 0, paris)
	for w := 0; w < 12; w++ {
		monday := week0.AddDate(0, 0, 7*w)
		at := func(i int) time.Time {
			return monday.Add(time.Duration(1+i%5) * 24 * time.Hour).Add(time.Duration(9+i%8) * time.Hour)
		}
		promoters, passives, detractors := 30, 20, 10
		if w == 11 {
			promoters, passives, detractors = 15, 15, 30
		}
		i := 0
		for ; i < promoters; i++ {
			add(at(i), 9+uint8(i%2), analytics.ChannelWidget, "", "")
		}
		for ; i < promoters+passives; i++ {
			add(at(i), 7+uint8(i%2), analytics.ChannelAPI, "", "")
		}
		for d := 0; d < detractors; d++ {
			reasons := []string{"price"}
			if (w == 11 && d%5 != 0) || (w < 11 && d == 0) { // 80 % now, 10 % before
				reasons = []string{"slow"}
			}
			add(at(i+d), uint8(d%7), analytics.ChannelAPI, "", "", reasons...)
		}
		if w == 10 {
			add(at(0), 2, analytics.ChannelAPI, "", "an older complaint, from the week before", "price")
		}
	}
	last := week0.AddDate(0, 0, 7*11)
	add(last.Add(2*24*time.Hour+10*time.Hour), 1, analytics.ChannelEmail, analytics.ContactID("ann@example.com"), "Waited a week for an answer.\nThen nothing.", "slow")
	add(last.Add(3*24*time.Hour+15*time.Hour), 3, analytics.ChannelWidget, "visitor-42", "Too slow, again", "slow")
	// Sunday 23:30 in Paris is still the week (22:30 UTC); Monday 00:30 is
	// the next one (Sunday 23:30 UTC).
	add(time.Date(2026, 11, 29, 23, 30, 0, 0, paris), 0, analytics.ChannelAPI, "late-sunday", "the last word of the week", "slow")
	add(time.Date(2026, 11, 30, 0, 30, 0, 0, paris), 0, analytics.ChannelAPI, "monday-early", "already the next week", "slow")
	return out
}

// TestDigestEndToEnd is the Done-when test, on the real store.
func TestDigestEndToEnd(t *testing.T) {
	now := time.Date(2026, 11, 30, 9, 30, 0, 0, paris) // Monday, half an hour after the send time
	clock := func() time.Time { return now }
	ts := newServerWith(t, "heed_test_server_digest", func(c *testConfig) { c.DigestNow = func() time.Time { return clock() } })
	ctx := context.Background()
	sv := digestSurvey("dig")
	if err := ts.surveys.Save(ctx, sv); err != nil {
		t.Fatal(err)
	}
	if err := ts.db.UpsertContacts(ctx, []analytics.Contact{{ContactID: analytics.ContactID("ann@example.com"), Email: "ann@example.com", Name: "Ann"}}); err != nil {
		t.Fatal(err)
	}
	answers := digestAnswers(sv.ID)
	if err := ts.db.InsertResponses(ctx, answers); err != nil {
		t.Fatal(err)
	}
	outbox := ts.emailing.Outbox
	sender := func() *emails.Digests {
		d, err := emails.NewDigests(emails.DigestOptions{Store: ts.db, Surveys: ts.surveys, Mailer: outbox, From: ts.emailing.From,
			BaseURL: ts.emailing.BaseURL, ReportCSV: ReportCSV, Now: clock, Claims: &analytics.Claimer{Store: ts.db, Settle: testClaimSettle}})
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	// Two instances (each its own sender and claimer, one database) find
	// the digest due at the same moment: one sends it.
	first, second := sender(), sender()
	var wg sync.WaitGroup
	var sents [2]int
	var errs [2]error
	for i, d := range []*emails.Digests{first, second} {
		wg.Add(1)
		go func() { defer wg.Done(); sents[i], errs[i] = d.SendDue(ctx) }()
	}
	wg.Wait()
	if errs[0] != nil || errs[1] != nil || sents[0]+sents[1] != 1 {
		t.Fatalf("two instances at once: sent %v, errors %v; want one digest", sents, errs)
	}
	msgs, err := outbox.List()
	if err != nil || len(msgs) != 2 {
		t.Fatalf("outbox after the first run: %d messages, %v; want one per recipient", len(msgs), err)
	}
	// A second run in the same period sends nothing; nor does a new sender
	// on the same database (a restart), nor one an hour later.
	for name, d := range map[string]*emails.Digests{"second run": first, "after a restart": sender()} {
		if sent, err := d.SendDue(ctx); err != nil || sent != 0 {
			t.Fatalf("%s: sent %d, %v; want 0", name, sent, err)
		}
	}
	now = now.Add(time.Hour)
	if sent, err := sender().SendDue(ctx); err != nil || sent != 0 {
		t.Fatalf("an hour later: sent %d, %v", sent, err)
	}
	if again, _ := outbox.List(); len(again) != 2 {
		t.Fatalf("outbox holds %d messages after the reruns, want 2", len(again))
	}
	rec, ok, err := ts.db.Digest(ctx, sv.ID, analytics.DigestWeekly, "2026-11-23")
	if err != nil || !ok || rec.Status != analytics.DigestSent || rec.Attempt != 1 {
		t.Fatalf("record: %+v %v %v", rec, ok, err)
	}

	to := []string{}
	for _, m := range msgs {
		to = append(to, m.To)
	}
	sort.Strings(to)
	if strings.Join(to, ",") != "boss@acme.example,ops@acme.example" {
		t.Fatalf("sent to %v", to)
	}
	m := msgs[0]
	for _, part := range []struct{ name, body string }{{"html", m.HTML}, {"text", m.Text}} {
		for _, want := range []string{"NPS fell", "points; significant at 95 %", "week of 23 Nov 2026", "NPS −28.6",
			"Slow answers", "Slow answers: 82 % of detractors, up from 9 %", // the reason that moved
			"ann@example.com", "visitor-42", "Waited a week for an answer.", "Too slow, again", "the last word of the week"} {
			if !strings.Contains(part.body, want) {
				t.Errorf("%s part lacks %q", part.name, want)
			}
		}
		for _, not := range []string{"already the next week", "an older complaint", analytics.ContactID("ann@example.com")} {
			if strings.Contains(part.body, not) {
				t.Errorf("%s part holds %q, which is no comment of the week by its author's address", part.name, not)
			}
		}
	}
	if !strings.Contains(m.Subject, "Support NPS, week of 23 Nov 2026: NPS −28.6 (down") || strings.Contains(m.Subject, "[Test]") {
		t.Errorf("subject %q", m.Subject)
	}
	if !strings.Contains(m.HTML, `src="cid:nps-trend"`) || !strings.Contains(m.HTML, `alt="Line chart of NPS per week`) {
		t.Error("the HTML does not show the chart by its content id with an alt text")
	}

	// The attachments: the chart inline, the CSV attached.
	var chart, table []byte
	var tableName string
	for _, a := range m.Attachments {
		body, err := base64.StdEncoding.DecodeString(a.Content)
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case a.Disposition == "inline" && a.ContentID == "nps-trend" && a.Type == "image/png":
			chart = body
		case a.Disposition == "attachment" && a.Type == "text/csv":
			table, tableName = body, a.Filename
		}
	}
	if chart == nil || table == nil {
		t.Fatalf("attachments: %+v", m.Attachments)
	}

	// The PNG decodes and shows the trend: a point per week (12), the line,
	// the last week's point below the one before, and its fall marked.
	img, err := png.Decode(bytes.NewReader(chart))
	if err != nil {
		t.Fatal(err)
	}
	points := blobs(img, emails.ChartPoint)
	if len(points) != 12 {
		t.Fatalf("%d points of the point colour, want 12: %v", len(points), points)
	}
	if last, before := points[11], points[10]; last.Y <= before.Y {
		t.Errorf("the last week's point (y %d) is not below the one before (y %d)", last.Y, before.Y)
	}
	if n := count(img, emails.ChartLine); n < 500 {
		t.Errorf("only %d pixels of the line colour", n)
	}
	falls := blobs(img, emails.ChartFall)
	if len(falls) != 1 || falls[0].X < points[10].X || falls[0].Y <= points[11].Y {
		t.Errorf("fall marks at %v, want one under the last point %v", falls, points[11])
	}

	// The CSV parses and is, byte for byte, report.csv of the same range.
	rows, err := csv.NewReader(bytes.NewReader(table)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 13 || rows[0][0] != "period_start" || rows[1][0] != "2026-09-07" || rows[12][0] != "2026-11-23" {
		t.Fatalf("CSV rows: %d, first %v, last %v", len(rows), rows[0], rows[len(rows)-1])
	}
	r := ts.admin(t, "GET", "/api/v1/surveys/dig/report.csv?from=2026-09-07&to=2026-11-30&interval=week&tz=Europe/Paris", "")
	if r.status != http.StatusOK {
		t.Fatalf("report.csv: %d %s", r.status, r.body)
	}
	if !bytes.Equal(table, r.body) {
		t.Fatalf("the CSV attachment differs from report.csv:\n%s\nvs\n%s", table, r.body)
	}
	if want := "heed-dig-week-2026-09-07-2026-11-30.csv"; tableName != want || !strings.Contains(r.header.Get("Content-Disposition"), want) {
		t.Errorf("file name %q, report.csv sends %q", tableName, r.header.Get("Content-Disposition"))
	}

	// The next Monday after 9:00 the next week's digest goes out, once.
	now = time.Date(2026, 12, 7, 9, 0, 0, 0, paris)
	for i, want := range []int{1, 0} {
		if sent, err := first.SendDue(ctx); err != nil || sent != want {
			t.Fatalf("next week, run %d: sent %d, %v; want %d", i+1, sent, err, want)
		}
	}
	if all, _ := outbox.List(); len(all) != 4 {
		t.Fatalf("outbox holds %d messages, want 4", len(all))
	}
}

// TestDigestTestSend: the preview shows the digest with its chart inline,
// chart.png is the chart, and a test send reaches the outbox marked as a
// test without counting as the period's digest.
func TestDigestTestSend(t *testing.T) {
	now := time.Date(2026, 11, 30, 9, 30, 0, 0, paris)
	for _, store := range []struct{ name, db string }{{"fake", ""}, {"clickhouse", "heed_test_server_digest_send"}} {
		t.Run(store.name, func(t *testing.T) {
			testDigestSend(t, newServerWith(t, store.db, func(c *testConfig) { c.DigestNow = func() time.Time { return now } }), now)
		})
	}
}

func testDigestSend(t *testing.T, ts *testServer, now time.Time) {
	{
		ctx := context.Background()
		sv := digestSurvey("digsend")
		if err := ts.surveys.Save(ctx, sv); err != nil {
			t.Fatal(err)
		}
		var store analytics.Store = ts.fake
		if ts.db != nil {
			store = ts.db
		}
		if err := store.InsertResponses(ctx, digestAnswers(sv.ID)); err != nil {
			t.Fatal(err)
		}

		r := ts.admin(t, "GET", "/api/v1/surveys/digsend/digest/preview", "")
		if r.status != http.StatusOK || !strings.Contains(string(r.body), `src="data:image/png;base64,`) || !strings.Contains(string(r.body), "NPS fell") {
			t.Fatalf("preview: %d %.300s", r.status, r.body)
		}
		if !strings.Contains(r.header.Get("X-Email-Subject"), "week of 23 Nov 2026") {
			t.Errorf("preview subject %q", r.header.Get("X-Email-Subject"))
		}
		if r := ts.admin(t, "GET", "/api/v1/surveys/digsend/digest/preview?format=text", ""); r.status != http.StatusOK || !strings.Contains(string(r.body), "significant at 95 %") {
			t.Errorf("text preview: %d %.300s", r.status, r.body)
		}
		r = ts.admin(t, "GET", "/api/v1/surveys/digsend/digest/chart.png", "")
		if r.status != http.StatusOK || r.header.Get("Content-Type") != "image/png" {
			t.Fatalf("chart.png: %d %s", r.status, r.header.Get("Content-Type"))
		}
		if _, err := png.Decode(bytes.NewReader(r.body)); err != nil {
			t.Fatal(err)
		}

		r = ts.admin(t, "POST", "/api/v1/surveys/digsend/digest/send", `{"emails":["tester@acme.example"]}`)
		if r.status != http.StatusOK || r.json(t)["period"] != "2026-11-23" || r.json(t)["test"] != true {
			t.Fatalf("test send: %d %s", r.status, r.body)
		}
		r = ts.admin(t, "POST", "/api/v1/surveys/digsend/digest/send", "") // to the survey's recipients
		if r.status != http.StatusOK {
			t.Fatalf("test send without a body: %d %s", r.status, r.body)
		}
		msgs, _ := ts.emailing.Outbox.List()
		if len(msgs) != 3 {
			t.Fatalf("%d messages after two test sends, want 3", len(msgs))
		}
		for _, m := range msgs {
			if !strings.HasPrefix(m.Subject, "[Test] ") || !strings.Contains(m.HTML, "Test send") || len(m.Attachments) != 2 {
				t.Errorf("test message to %s: %q, %d attachments", m.To, m.Subject, len(m.Attachments))
			}
		}
		// Not the period's digest: the scheduled one still goes out.
		if _, ok, _ := store.Digest(ctx, sv.ID, analytics.DigestWeekly, "2026-11-23"); ok {
			t.Error("a test send was recorded as the period's digest")
		}
		if sent, err := ts.digests.SendDue(ctx); err != nil || sent != 1 {
			t.Fatalf("scheduled run after the tests: %d, %v", sent, err)
		}

		for _, tt := range []struct{ body, field string }{
			{`{"emails":["not an address"]}`, "emails[0]"},
			{`{"emails":[]}`, ""}, // falls back to the survey's recipients
		} {
			r := ts.admin(t, "POST", "/api/v1/surveys/digsend/digest/send", tt.body)
			if tt.field == "" {
				if r.status != http.StatusOK {
					t.Errorf("%s: %d %s", tt.body, r.status, r.body)
				}
				continue
			}
			if r.status != http.StatusUnprocessableEntity || fieldsOf(t, r)[tt.field] == "" {
				t.Errorf("%s: %d %s", tt.body, r.status, r.body)
			}
		}
		quiet := &analytics.Survey{ID: "quiet", Name: "Quiet", CreatedAt: now}
		if err := ts.surveys.Save(ctx, quiet); err != nil {
			t.Fatal(err)
		}
		if r := ts.admin(t, "POST", "/api/v1/surveys/quiet/digest/send", ""); r.status != http.StatusUnprocessableEntity || fieldsOf(t, r)["emails"] == "" {
			t.Errorf("a test send without recipients: %d %s", r.status, r.body)
		}
		if r := ts.admin(t, "GET", "/api/v1/surveys/quiet/digest/preview", ""); r.status != http.StatusOK || !strings.Contains(string(r.body), "No answers this week.") {
			t.Errorf("preview of a survey without answers or schedule: %d %.200s", r.status, r.body)
		}
		if r := ts.do(t, "GET", "/api/v1/surveys/digsend/digest/preview", ""); r.status != http.StatusUnauthorized {
			t.Errorf("preview without the key: %d", r.status)
		}
	}
}

func fieldsOf(t *testing.T, r result) map[string]string {
	t.Helper()
	out := map[string]string{}
	if e, ok := r.json(t)["error"].(map[string]any); ok {
		if f, ok := e["fields"].(map[string]any); ok {
			for k, v := range f {
				out[k] = fmt.Sprint(v)
			}
		}
	}
	return out
}

// TestCreateSurveyDigest: the digest is checked on create, with a field
// error per mistake, and kept normalised.
func TestCreateSurveyDigest(t *testing.T) {
	ts := newFakeServer(t, nil)
	tests := []struct {
		name   string
		digest string
		fields []string // invalid fields; none: created
		want   *analytics.DigestSettings
	}{
		{"weekly, defaults", `{"schedule":"weekly","emails":["Boss@Acme.example"]}`, nil,
			&analytics.DigestSettings{Schedule: "weekly", Weekday: "monday", Hour: 9, TZ: "UTC", Emails: []string{"boss@acme.example"}}},
		{"weekly on Friday at midnight in Paris", `{"schedule":"weekly","weekday":"Friday","hour":0,"tz":"Europe/Paris","emails":["a@x.example","a@x.example"]}`, nil,
			&analytics.DigestSettings{Schedule: "weekly", Weekday: "friday", Hour: 0, TZ: "Europe/Paris", Emails: []string{"a@x.example"}}},
		{"monthly", `{"schedule":"monthly","hour":7,"tz":"America/New_York","emails":["a@x.example"]}`, nil,
			&analytics.DigestSettings{Schedule: "monthly", Hour: 7, TZ: "America/New_York", Emails: []string{"a@x.example"}}},
		{"no schedule, recipients for test sends", `{"emails":["a@x.example"]}`, nil,
			&analytics.DigestSettings{Hour: 9, TZ: "UTC", Emails: []string{"a@x.example"}}},
		{"unknown schedule", `{"schedule":"daily","emails":["a@x.example"]}`, []string{"digest.schedule"}, nil},
		{"bad weekday", `{"schedule":"weekly","weekday":"someday","emails":["a@x.example"]}`, []string{"digest.weekday"}, nil},
		{"weekday on a monthly digest", `{"schedule":"monthly","weekday":"monday","emails":["a@x.example"]}`, []string{"digest.weekday"}, nil},
		{"hour out of range", `{"schedule":"weekly","hour":24,"emails":["a@x.example"]}`, []string{"digest.hour"}, nil},
		{"negative hour", `{"schedule":"weekly","hour":-1,"emails":["a@x.example"]}`, []string{"digest.hour"}, nil},
		{"unknown zone", `{"schedule":"weekly","tz":"Mars/Olympus","emails":["a@x.example"]}`, []string{"digest.tz"}, nil},
		{"the server's zone", `{"schedule":"weekly","tz":"Local","emails":["a@x.example"]}`, []string{"digest.tz"}, nil},
		{"scheduled without recipients", `{"schedule":"weekly"}`, []string{"digest.emails"}, nil},
		{"a bad address", `{"schedule":"weekly","emails":["a@x.example","nope"]}`, []string{"digest.emails[1]"}, nil},
		{"everything wrong at once", `{"schedule":"weekly","weekday":"x","hour":99,"tz":"x/y","emails":["nope"]}`,
			[]string{"digest.weekday", "digest.hour", "digest.tz", "digest.emails[0]"}, nil},
		{"too many", `{"schedule":"weekly","emails":[` + strings.TrimSuffix(manyEmails(21), ",") + `]}`,
			[]string{"digest.emails"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := ts.admin(t, "POST", "/api/v1/surveys", `{"name":"D","digest":`+tt.digest+`}`)
			if len(tt.fields) > 0 {
				got := fieldsOf(t, r)
				if r.status != http.StatusUnprocessableEntity || len(got) != len(tt.fields) {
					t.Fatalf("%d %s; want fields %v", r.status, r.body, tt.fields)
				}
				for _, f := range tt.fields {
					if got[f] == "" {
						t.Errorf("no error on %s: %v", f, got)
					}
				}
				return
			}
			if r.status != http.StatusCreated {
				t.Fatalf("%d %s", r.status, r.body)
			}
			sv, _ := ts.surveys.Get(r.json(t)["id"].(string))
			if fmt.Sprintf("%+v", *sv.Digest) != fmt.Sprintf("%+v", *tt.want) {
				t.Errorf("digest %+v, want %+v", *sv.Digest, *tt.want)
			}
		})
	}
	// Without a digest the survey has none, and its JSON says nothing of it.
	r := ts.admin(t, "POST", "/api/v1/surveys", `{"name":"No digest"}`)
	if _, has := r.json(t)["digest"]; r.status != http.StatusCreated || has {
		t.Errorf("a survey without a digest: %d %s", r.status, r.body)
	}
}

func manyEmails(n int) string {
	var b strings.Builder
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, `"m%d@x.example",`, i)
	}
	return b.String()
}

// point is the centre of a blob of one colour.
type point struct{ X, Y int }

// blobs finds the groups of pixels of exactly colour c, left to right: a
// column run of such pixels joins the blob it touches (8-connected).
func blobs(img image.Image, c color.RGBA) []point {
	b := img.Bounds()
	label := make([]int, b.Dx()*b.Dy())
	var sums [][3]int // x sum, y sum, n
	at := func(x, y int) bool {
		r, g, bl, a := img.At(x, y).RGBA()
		return uint8(r>>8) == c.R && uint8(g>>8) == c.G && uint8(bl>>8) == c.B && uint8(a>>8) == c.A
	}
	idx := func(x, y int) int { return (y-b.Min.Y)*b.Dx() + (x - b.Min.X) }
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			if !at(x, y) || label[idx(x, y)] != 0 {
				continue
			}
			sums = append(sums, [3]int{})
			id := len(sums)
			stack := []point{{x, y}}
			label[idx(x, y)] = id
			for len(stack) > 0 {
				p := stack[len(stack)-1]
				stack = stack[:len(stack)-1]
				s := &sums[id-1]
				s[0], s[1], s[2] = s[0]+p.X, s[1]+p.Y, s[2]+1
				for dy := -1; dy <= 1; dy++ {
					for dx := -1; dx <= 1; dx++ {
						q := point{p.X + dx, p.Y + dy}
						if q.X < b.Min.X || q.Y < b.Min.Y || q.X >= b.Max.X || q.Y >= b.Max.Y || label[idx(q.X, q.Y)] != 0 || !at(q.X, q.Y) {
							continue
						}
						label[idx(q.X, q.Y)] = id
						stack = append(stack, q)
					}
				}
			}
		}
	}
	var out []point
	for _, s := range sums {
		out = append(out, point{s[0] / s[2], s[1] / s[2]})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].X < out[j].X })
	return out
}

func count(img image.Image, c color.RGBA) int {
	n := 0
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			if uint8(r>>8) == c.R && uint8(g>>8) == c.G && uint8(bl>>8) == c.B {
				n++
			}
		}
	}
	return n
}
