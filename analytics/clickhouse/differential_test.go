package clickhouse_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"sort"
	"testing"
	"time"

	"github.com/google/uuid"

	"heed/analytics"
	"heed/analytics/clickhouse/chtest"
	"heed/analytics/ingest"
	"heed/analytics/mock"
	"heed/emails"
)

// event is one answer as a client sends it: the generator makes streams of
// them per response (first answer, follow-ups, link-scanner clicks,
// confirmations, replays).
type event struct {
	r analytics.Response
}

// genEvents makes n response streams for the surveys, starting around
// base and spreading over about span, in arrival order: each stream's
// events in time order, replays (the same answer again, as a spool replay
// sends it) anywhere after their original. With made set, the streams
// carry their first-answer time as instances give it
// (analytics/responseid.go): widget and API responses have ids Heed made
// (First on every answer, the id's time), email answers their send's start
// (looked up, that time as the fallback); else ids are random, only some
// first answers say First, and every answer's time is its version's.
func genEvents(rng *rand.Rand, surveys []string, n int, base time.Time, span time.Duration, made analytics.IDTagger) []event {
	type timed struct {
		at time.Time
		e  event
	}
	var all []timed
	seq := uint64(0)
	reasons := []string{"rude_service", "price", "slow_service"}
	pick := func() []string {
		var out []string
		for _, r := range reasons {
			if rng.IntN(3) == 0 {
				out = append(out, r)
			}
		}
		return out
	}
	plans := []string{"free", "pro", "team", ""} // "": no plan property
	for i := 0; i < n; i++ {
		id := uuid.New()
		survey := surveys[rng.IntN(len(surveys))]
		// Many first answers close to base, a month boundary, to put
		// follow-ups in the next day, week and month (and partition).
		var t0 time.Time
		if rng.IntN(3) == 0 {
			t0 = base.Add(time.Duration(rng.Int64N(int64(6 * time.Hour))))
		} else {
			t0 = base.Add(-span / 2).Add(time.Duration(rng.Int64N(int64(span))))
		}
		channel := analytics.Channels[rng.IntN(len(analytics.Channels))]
		plan := plans[rng.IntN(len(plans))]
		at := t0
		var madeID uuid.UUID
		if made != nil {
			madeID = analytics.NewResponseID(made, survey, t0)
		}
		sendStart := t0.Add(-time.Duration(rng.Int64N(int64(48 * time.Hour))))
		next := func(r analytics.Response) {
			seq++
			r.SurveyID, r.ResponseID, r.Channel = survey, id, channel
			r.Version = uint64(at.UnixNano()) + seq // unique, ordered like arrival within a stream
			switch {
			case made == nil:
			case channel == analytics.ChannelEmail:
				r.CreatedAt, r.First = sendStart, false
			default:
				r.ResponseID, r.CreatedAt, r.First = madeID, t0.Truncate(time.Millisecond), true
			}
			if r.Properties == nil && plan != "" {
				r.Properties = map[string]string{"plan": plan}
			}
			all = append(all, timed{at, event{r}})
			if rng.IntN(60) == 0 { // a replay, later
				all = append(all, timed{at.Add(time.Duration(rng.Int64N(int64(48 * time.Hour)))), event{r}})
			}
			at = at.Add(time.Duration(1+rng.Int64N(int64(30*time.Hour))) * time.Nanosecond * 1) // follow-ups up to 30 h later
		}
		score := uint8(rng.IntN(11))
		switch kind := rng.IntN(10); {
		case kind < 5: // one answer, maybe a follow-up or two
			next(analytics.Response{Score: score, First: rng.IntN(2) == 0})
			for f := rng.IntN(3); f > 0; f-- {
				r := analytics.Response{Score: uint8(rng.IntN(11)), Reasons: pick(), Comment: fmt.Sprintf("follow-up %d", f)}
				if rng.IntN(4) == 0 {
					r.Properties = map[string]string{"plan": plans[rng.IntN(len(plans)-1)]} // moved plan
				}
				next(r)
			}
		case kind < 8: // an email: an unconfirmed click, then maybe confirmed and a follow-up
			channel = analytics.ChannelEmail
			next(analytics.Response{Score: score, Unconfirmed: true, Flags: "scanner_agent"})
			if rng.IntN(3) > 0 {
				next(analytics.Response{Score: score})
				if rng.IntN(2) == 0 {
					next(analytics.Response{Score: score, Reasons: pick(), Comment: "why"})
				}
			}
			if rng.IntN(2) == 0 { // clicked again after, by a scanner or the person
				next(analytics.Response{Score: uint8(rng.IntN(11)), Unconfirmed: true})
			}
		default: // unconfirmed clicks only
			channel = analytics.ChannelEmail
			next(analytics.Response{Score: score, Unconfirmed: true})
			if rng.IntN(2) == 0 {
				next(analytics.Response{Score: uint8(rng.IntN(11)), Unconfirmed: true})
			}
		}
	}
	sort.SliceStable(all, func(i, j int) bool { return all[i].at.Before(all[j].at) })
	out := make([]event, len(all))
	for i, t := range all {
		out[i] = t.e
	}
	return out
}

// TestReportsMatchReference writes thousands of generated response streams
// through the real writer (restarted between phases, so follow-ups find
// their first answer in the store), then checks that reports and answer
// lists equal a reference computed in Go from the same answers
// (mock.Fold): with no day counted yet, with counted days, after OPTIMIZE
// ... FINAL, and counted again, while merges are forced all along.
func TestReportsMatchReference(t *testing.T) {
	matchReference(t, "heed_test_ch_differential", 1)
}

// TestReportsMatchReferenceTwoWriters is the same with two writers at once
// on the database, as two Heed instances: each answer goes to either,
// at random, and both flush every few tens of milliseconds, so a
// follow-up is often written before its first answer, by the other one.
func TestReportsMatchReferenceTwoWriters(t *testing.T) {
	matchReference(t, "heed_test_ch_differential_two", 2)
}

func matchReference(t *testing.T, dbName string, writers int) {
	db := chtest.Open(t, dbName)
	if writers > 1 {
		// Its days counted with FINAL, as RefreshDays counts large days;
		// with one writer they are grouped by response, as small ones.
		db.SetCountFinalRows(0)
	}
	ctx := context.Background()
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 42))
	surveys := []string{"d1", "d2"}
	base := time.Date(2026, 1, 31, 20, 0, 0, 0, time.UTC) // a Saturday evening; February starts on Sunday, the week on Monday
	var made analytics.IDTagger
	if writers > 1 {
		signer, err := emails.NewSigner("t:0123456789abcdef0123456789abcdef")
		if err != nil {
			t.Fatal(err)
		}
		made = signer
	}
	events := genEvents(rng, surveys, 3000, base, 40*24*time.Hour, made)
	// And a few hundred today, which reports read raw from the start.
	now := time.Now().UTC()
	recent := genEvents(rng, surveys, 300, now.Add(-6*time.Hour), 12*time.Hour, made)
	for _, e := range recent {
		if e.r.Version < uint64(now.UnixNano()) { // nothing from the future
			events = append(events, e)
		}
	}
	// Merges forced all along (of answers and of the marks), which must
	// change no figure and no count's standing.
	mergeCtx, stopMerges := context.WithCancel(ctx)
	merged := make(chan int)
	go func() {
		n := 0
		defer func() { merged <- n }()
		for mergeCtx.Err() == nil {
			for _, stmt := range []string{"OPTIMIZE TABLE answers", "OPTIMIZE TABLE answer_marks"} {
				if err := db.Exec(mergeCtx, stmt); err == nil {
					n++
				}
			}
			select {
			case <-mergeCtx.Done():
			case <-time.After(20 * time.Millisecond):
			}
		}
	}()
	defer func() {
		stopMerges()
		t.Logf("%d merges forced during the run", <-merged)
	}()
	ref := mock.New()
	spools := make([]string, writers)
	for i := range spools {
		spools[i] = t.TempDir()
	}
	phases := 3
	for p := 0; p < phases; p++ {
		ws := make([]*ingest.Writer, writers)
		for i := range ws {
			// One writer flushes when its batch is full or at Close; two
			// flush on their own every few tens of ms, while the other adds.
			opts := ingest.Options{SpoolDir: spools[i], FlushInterval: time.Hour, BatchSize: 97 + rng.IntN(400)}
			if writers > 1 {
				opts.FlushInterval = time.Duration(10+rng.IntN(90)) * time.Millisecond
			}
			w, err := ingest.New(db, opts)
			if err != nil {
				t.Fatal(err)
			}
			ws[i] = w
		}
		lo, hi := p*len(events)/phases, (p+1)*len(events)/phases
		for k, e := range events[lo:hi] {
			if err := ws[rng.IntN(writers)].Add(e.r); err != nil {
				t.Fatal(err)
			}
			if writers > 1 && k%50 == 0 {
				time.Sleep(time.Millisecond) // let the flushes interleave with the adds
			}
			r := e.r
			if r.CreatedAt.IsZero() {
				r.CreatedAt = time.Unix(0, int64(r.Version)).UTC() // what the writer stores for it
			}
			if err := ref.InsertResponses(ctx, []analytics.Response{r}); err != nil {
				t.Fatal(err)
			}
		}
		for _, w := range ws {
			if err := w.Close(ctx); err != nil {
				t.Fatal(err)
			}
		}
		if p == 1 { // count some days now; the last phase makes some stale again
			refresh(t, db)
		}
	}
	t.Logf("%d answers of %d responses written", len(events), 3300)

	compare := func(stage string) {
		t.Helper()
		for _, survey := range surveys {
			sv := &analytics.Survey{ID: survey, Reasons: []analytics.Reason{{ID: "rude_service"}, {ID: "price"}, {ID: "slow_service"}}}
			day := func(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }
			ranges := [][2]time.Time{
				{day(2025, 12, 1), day(2026, 4, 1)},                         // everything
				{day(2026, 2, 1), day(2026, 3, 1)},                          // February only: follow-ups from January stay out
				{day(2026, 1, 26), day(2026, 2, 9)},                         // two weeks across the month
				{day(2026, 1, 31), day(2026, 2, 1)},                         // one day
				{dayOf(now).AddDate(0, 0, -6), dayOf(now).AddDate(0, 0, 1)}, // the last week, today in it
			}
			// The kinds of report: a segment filter, unconfirmed answers, a
			// grouping, a time zone (whose midnights the range moves to).
			type variant struct {
				unconfirmed bool
				segment     map[string]string
				group       analytics.GroupBy
				zone        string
			}
			variants := []variant{
				{}, {unconfirmed: true}, {segment: map[string]string{"plan": "pro"}}, {unconfirmed: true, segment: map[string]string{"plan": "pro"}},
				{group: analytics.GroupBy{Channel: true}}, {group: analytics.GroupBy{Property: "plan"}, unconfirmed: true},
				{group: analytics.GroupBy{Property: "plan"}, segment: map[string]string{"plan": "team"}},
				{zone: "Europe/Paris"}, {zone: "America/New_York", group: analytics.GroupBy{Channel: true}},
			}
			for _, rg := range ranges {
				for _, iv := range []analytics.Interval{analytics.Day, analytics.Week, analytics.Month} {
					for i, v := range variants {
						// Groupings by week and month, zones by day and week:
						// enough to cross every boundary, in half the time.
						if (v.zone == "" && i >= 4 && iv == analytics.Day) || (v.zone != "" && iv == analytics.Month) {
							continue
						}
						q := analytics.ReportQuery{Survey: sv, From: rg[0], To: rg[1], Interval: iv, IncludeUnconfirmed: v.unconfirmed,
							Properties: v.segment, GroupBy: v.group}
						if v.zone != "" {
							loc, err := time.LoadLocation(v.zone)
							if err != nil {
								t.Fatal(err)
							}
							q.Location = loc
							q.From = time.Date(rg[0].Year(), rg[0].Month(), rg[0].Day(), 0, 0, 0, 0, loc)
							q.To = time.Date(rg[1].Year(), rg[1].Month(), rg[1].Day(), 0, 0, 0, 0, loc)
						}
						got, err := db.Report(ctx, q)
						if err != nil {
							t.Fatalf("%s: %v", stage, err)
						}
						want, _ := ref.Report(ctx, q)
						if g, w := mustJSON(t, got), mustJSON(t, want); g != w {
							t.Fatalf("%s: report %s %s..%s %s %+v differs:\n got %.600s\nwant %.600s",
								stage, survey, rg[0].Format(time.DateOnly), rg[1].Format(time.DateOnly), iv, v, g, w)
						}
					}
				}
				q := analytics.ReportQuery{Survey: sv, From: rg[0], To: rg[1], Properties: nil}
				got, err := db.ListAnswers(ctx, q, 10000)
				if err != nil {
					t.Fatal(err)
				}
				want, _ := ref.ListAnswers(ctx, q, 10000)
				if g, w := mustJSON(t, got), mustJSON(t, want); g != w {
					t.Fatalf("%s: answers of %s %s..%s differ (%d vs %d):\n got %.600s\nwant %.600s", stage, survey,
						rg[0].Format(time.DateOnly), rg[1].Format(time.DateOnly), len(got), len(want), g, w)
				}
			}
		}
	}
	compare("some days counted")
	refresh(t, db)
	compare("every day counted")
	// A late follow-up to an answer of a counted day, through a new writer:
	// its marks make the day's count stale until counted again.
	late := events[0].r
	late.Version, late.Score, late.Comment, late.Unconfirmed, late.First = uint64(time.Now().UnixNano()), 0, "late", false, false
	late.CreatedAt = time.Time{}
	w, err := ingest.New(db, ingest.Options{SpoolDir: spools[0], FlushInterval: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Add(late); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(ctx); err != nil {
		t.Fatal(err)
	}
	late.CreatedAt = time.Unix(0, int64(late.Version)).UTC()
	ref.InsertResponses(ctx, []analytics.Response{late})
	compare("a late follow-up")
	refresh(t, db)
	compare("counted again after the late follow-up")
	if err := db.Exec(ctx, "OPTIMIZE TABLE answers FINAL"); err != nil {
		t.Fatal(err)
	}
	compare("after OPTIMIZE FINAL")
	refresh(t, db)
	compare("counted again after OPTIMIZE FINAL")
	if err := db.Exec(ctx, "OPTIMIZE TABLE answer_days FINAL"); err != nil {
		t.Fatal(err)
	}
	compare("after OPTIMIZE FINAL of the counted days")
}

// refresh counts again the days whose marks changed.
func refresh(t *testing.T, db *chtest.DB) {
	t.Helper()
	if _, err := db.RefreshDays(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func dayOf(t time.Time) time.Time {
	t = t.UTC()
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
