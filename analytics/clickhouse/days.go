package clickhouse

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// answer_days holds, per survey and day, the counts a report needs, and the
// marks of answers they were counted at (answer_marks: the rows and
// versions written to the day, see migrations/0014_answer_marks.sql).
// Reports never depend on it being current: a day whose marks are not
// those of its count is read raw. Keeping it current is what keeps reports
// fast, and is the job of RefreshDays, which `heed serve` runs every few
// seconds (MaintainDays), on every instance: two instances counting the
// same day store the same count twice, which folds away.

// days is what RefreshDays keeps between runs: only to find its work
// sooner. Whether a count serves never depends on it.
type days struct {
	mu sync.Mutex
	// since is the server's time at the start of the last run that counted
	// every stale day it found; zero until then: the next run checks every
	// day (so does an instance that just started).
	since time.Time
	// swept is when old partitions of answer_touches were last dropped.
	swept time.Time
	// pacing is how long a day still being written to waits to be counted.
	pacing pacing
	// finalRows: survey-days of this many rows or more are counted with
	// FINAL (countFinalRows; tests change it to take either way).
	finalRows uint64
	// statements counts the statements RefreshDays sent (tests read it).
	statements atomic.Int64
}

const (
	// touchMargin is how far before the last run RefreshDays looks for
	// marks: an insert's marks get the server's time when its views run,
	// and become visible when its insert ends, a little later; on a cluster
	// the servers' clocks differ too.
	touchMargin = 2 * time.Minute
	// touchKeep is how long answer_touches keeps its rows; an instance whose
	// last complete run is older than half of it checks every day instead.
	touchKeep = 48 * time.Hour
	// countRows and countPairs bound one counting query: grouping by
	// response needs memory for each response it reads (the marks' rows
	// tell how many there are, at most).
	countRows  = 200_000
	countPairs = 2000
	// countFinalRows: a survey-day of this many rows or more is counted
	// with FINAL (countBatches).
	countFinalRows = 10_000
)

// mark is what was written to a survey's day: the sums of rows and
// versions of answer_marks. A count serves while the day's mark is the one
// it was counted at; a day without marks and without a count is empty.
type mark struct{ rows, versions uint64 }

// MaintainDays refreshes answer_days every interval until ctx ends.
func (db *DB) MaintainDays(ctx context.Context, every time.Duration, log *slog.Logger) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if n, err := db.RefreshDays(ctx); err != nil && ctx.Err() == nil {
			log.Warn("count days of answers", "err", err)
		} else if n > 0 {
			log.Debug("counted days of answers", "days", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// guard is the state of the mutations of answers around a count. A count
// is stored only when no mutation of answers was running before its marks
// were read and none was sent until it was counted: a count made while a
// mutation rewrites parts could hold some rows before it and some after.
// Heed writes a mutation's marks after sending it, so a count whose marks
// were read before those is stale by them, and one read after sees the
// mutation in system.mutations (running, or done before the count read a
// row). That is why no "after" mark is needed, which a mutation still
// running when its caller stopped waiting could not write.
type guard struct {
	now     time.Time // the server's clock
	pending uint64
	ids     string
}

func (db *DB) daysGuard(ctx context.Context) (guard, error) {
	db.days.statements.Add(1)
	var g guard
	if err := db.conn.QueryRow(ctx, q.SelectDaysGuard).Scan(&g.now, &g.pending, &g.ids); err != nil {
		return g, fmt.Errorf("mutations of answers: %w", err)
	}
	return g, nil
}

// errMutated stops a run whose counts a mutation of answers may have mixed.
var errMutated = errors.New("a mutation of answers ran")

// RefreshDays counts again every survey-day up to today whose marks are
// not those of its latest count, and returns how many it counted. It looks
// at the survey-days marked since its last complete run (answer_touches),
// or, on its first run, at every day, a month at a time; it counts them
// many surveys per query, and stores each batch in one insert. A day
// still being written to waits (staleDay.busy): today of a busy survey is
// counted every 5 min, and at once when its answers stop, so that reports
// use its count again. While a mutation of answers runs, it counts
// nothing (reports read the days raw meanwhile).
func (db *DB) RefreshDays(ctx context.Context) (int, error) {
	db.days.mu.Lock()
	defer db.days.mu.Unlock()
	g, err := db.daysGuard(ctx)
	if err != nil || g.pending > 0 {
		return 0, err
	}
	// Days of answers stamped ahead of either clock are left to later runs.
	end := minTime(dayOf(time.Now()), dayOf(g.now)).AddDate(0, 0, 1)
	counted := 0
	if db.days.since.IsZero() || g.now.Sub(db.days.since) > touchKeep/2 {
		db.days.statements.Add(1)
		months, err := db.strings(ctx, q.SelectMarkedMonths)
		if err != nil {
			return 0, fmt.Errorf("marked months: %w", err)
		}
		sort.Strings(months)
		for _, m := range months {
			from, err := time.Parse(time.DateOnly, m)
			if err != nil {
				return counted, fmt.Errorf("marked month %q: %w", m, err)
			}
			to := minTime(from.AddDate(0, 1, 0), end)
			if !from.Before(to) {
				continue
			}
			f, t := dateString(from), dateString(to)
			n, err := db.countStale(ctx, g, q.SelectStaleDays, f, t, f, t)
			counted += n
			if err != nil {
				return counted, quietMutated(err)
			}
		}
	} else {
		// Since the last complete run, less the margin: a run that failed
		// or took long leaves its touches to this one.
		since, before := db.days.since.Add(-touchMargin).Unix(), dateString(end)
		n, err := db.countStale(ctx, g, q.SelectStaleTouchedDays, since, before, since, before, since, before)
		counted += n
		if err != nil {
			return counted, quietMutated(err)
		}
	}
	db.days.since = g.now
	return counted, db.sweepTouches(ctx, g.now)
}

// quietMutated makes errMutated no error: the run stops without moving
// since, and the next one looks at the same days again.
func quietMutated(err error) error {
	if errors.Is(err, errMutated) {
		return nil
	}
	return err
}

// staleDay is a survey-day to count, with its marks read before.
type staleDay struct {
	survey string
	day    time.Time
	mark   mark
	// touched and counted are when the day was last written to (server
	// seconds) and last counted (ns); zero where not known.
	touched uint32
	counted uint64
}

// busy reports whether a stale day is still being written to and was
// counted not long ago: a count of it would be stale within seconds, so
// it waits (reports read it raw meanwhile, exact as ever) until it has
// been quiet for p.quiet or its count is p.recount old. Under steady
// traffic a busy survey's recent days are counted every p.recount, not at
// every run; once answers stop, at the first run p.quiet later.
func (s staleDay) busy(now time.Time, p pacing) bool {
	return int64(s.touched) > now.Add(-p.quiet).Unix() && int64(s.counted) > now.Add(-p.recount).UnixNano()
}

// pacing is how long a busy day waits (staleDay.busy): quiet and recount.
type pacing struct{ quiet, recount time.Duration }

// defaultPacing: a count of a day that takes answers every second or two
// is stale before a report can use it, so counting it again while it stays
// that busy only takes cores from the reports that read it raw (2 M rows
// every 30 s for the 30 busy days of make bench-live's largest survey);
// 5 min bounds how old its count gets, and the first run 3 s after its
// answers stop counts it, for reports to use.
var defaultPacing = pacing{quiet: 3 * time.Second, recount: 5 * time.Minute}

// SetCountPacing changes how long RefreshDays leaves a day still being
// written to (0, 0: counts every stale day at every run). Tests that
// count right after writing use it; it changes no figure, only when a
// count is made.
func (db *DB) SetCountPacing(quiet, recount time.Duration) {
	db.days.mu.Lock()
	db.days.pacing = pacing{quiet, recount}
	db.days.mu.Unlock()
}

// countStale reads the stale survey-days that stmt selects and counts
// them in batches (countBatches: days close together, a bounded number of
// rows), each stored in one insert once the guard shows no mutation came.
// The marks are read before the rows are counted: ClickHouse writes an
// insert's block to answers before it pushes it to the views (18.16:
// PushingToViewsBlockOutputStream writes the table first; current
// versions commit the table's part when its sink finishes, before the
// views' sinks finish), so a count may see rows whose marks it did not
// read, never marks without their rows: such a count is stale by those
// marks and made again, never wrong.
func (db *DB) countStale(ctx context.Context, g guard, stmt string, args ...any) (int, error) {
	db.days.statements.Add(1)
	rows, err := db.conn.Query(ctx, stmt, args...)
	if err != nil {
		return 0, fmt.Errorf("stale days: %w", err)
	}
	var stale []staleDay
	for rows.Next() {
		var s staleDay
		var day string
		if err := rows.Scan(&s.survey, &day, &s.mark.rows, &s.mark.versions, &s.touched, &s.counted); err != nil {
			rows.Close()
			return 0, fmt.Errorf("stale days: %w", err)
		}
		if s.day, err = time.Parse(time.DateOnly, day); err != nil {
			rows.Close()
			return 0, fmt.Errorf("stale days: %w", err)
		}
		if s.busy(g.now, db.days.pacing) {
			continue
		}
		stale = append(stale, s)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("stale days: %w", err)
	}
	counted := 0
	for _, b := range countBatches(stale, db.days.finalRows) {
		out, err := db.countDays(ctx, b.days, b.final)
		if err != nil {
			return counted, err
		}
		after, err := db.daysGuard(ctx)
		if err != nil {
			return counted, err
		}
		if after.pending > 0 || after.ids != g.ids {
			return counted, errMutated
		}
		if err := db.insertCounts(ctx, out); err != nil {
			return counted, err
		}
		counted += len(out)
	}
	return counted, nil
}

// countBatch is the survey-days one counting query counts, and how.
type countBatch struct {
	days  []staleDay
	final bool // read with FINAL (select-days-final), else grouped by response
}

// countBatches plans the queries that count stale: the days of a large
// survey (countFinalRows rows or more by their marks) one survey at a
// time, read with FINAL: the rows of its range are (nearly) all counted, and
// 18.16 merges them 4-5 times faster than it groups them by response (3
// days of make bench-live's largest survey: 75-99 ms against 375-431 ms);
// the others many surveys at a time, grouped by response after the exact
// survey-days are filtered: FINAL would merge every row of those surveys'
// ranges, most of them other days (2,000 small surveys over a week: 1.6 s
// with FINAL, 0.5 s grouped). Days close together, a bounded number of
// rows and pairs per query.
func countBatches(stale []staleDay, finalRows uint64) []countBatch {
	var large, small []staleDay
	for _, s := range stale {
		if s.mark.rows >= finalRows {
			large = append(large, s)
		} else {
			small = append(small, s)
		}
	}
	sort.Slice(large, func(i, j int) bool {
		if large[i].survey != large[j].survey {
			return large[i].survey < large[j].survey
		}
		return large[i].day.Before(large[j].day)
	})
	sort.Slice(small, func(i, j int) bool {
		if !small[i].day.Equal(small[j].day) {
			return small[i].day.Before(small[j].day)
		}
		return small[i].survey < small[j].survey
	})
	var out []countBatch
	cut := func(ds []staleDay, final bool) {
		for lo := 0; lo < len(ds); {
			hi, n := lo+1, ds[lo].mark.rows
			for hi < len(ds) && hi-lo < countPairs && (!final || ds[hi].survey == ds[lo].survey) &&
				!ds[hi].day.Before(ds[lo].day) && ds[hi].day.Before(ds[lo].day.AddDate(0, 0, countChunk)) &&
				n+ds[hi].mark.rows <= countRows {
				n += ds[hi].mark.rows
				hi++
			}
			out = append(out, countBatch{ds[lo:hi], final})
			lo = hi
		}
	}
	cut(large, true)
	cut(small, false)
	return out
}

// sweepTouches drops, at most once an hour, the partitions of
// answer_touches written more than touchKeep ago (on any instance:
// dropping a partition twice is harmless).
func (db *DB) sweepTouches(ctx context.Context, now time.Time) error {
	if now.Sub(db.days.swept) < time.Hour {
		return nil
	}
	db.days.statements.Add(1)
	rows, err := db.conn.Query(ctx, q.SelectOldTouches, now.Add(-touchKeep).Unix())
	if err != nil {
		return fmt.Errorf("old touches: %w", err)
	}
	var old []uint32
	for rows.Next() {
		var p uint32
		if err := rows.Scan(&p); err != nil {
			rows.Close()
			return fmt.Errorf("old touches: %w", err)
		}
		old = append(old, p)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("old touches: %w", err)
	}
	for _, p := range old {
		db.days.statements.Add(1)
		if err := db.conn.Exec(ctx, q.DropTouchesPartition, p); err != nil {
			return fmt.Errorf("drop touches of %d: %w", p, err)
		}
	}
	db.days.swept = now
	return nil
}

// markDays writes a mark for each of the survey-days ('survey YYYY-MM-DD')
// a mutation of answers changes, once the mutation is sent (see guard): a
// count of one of them made before no longer serves, and RefreshDays finds
// them in answer_touches.
func (db *DB) markDays(ctx context.Context, keys []string) error {
	type sd struct {
		survey string
		day    time.Time
	}
	var ds []sd
	for _, k := range keys {
		i := strings.LastIndexByte(k, ' ')
		if i < 0 {
			continue // the list's end (listEnd)
		}
		d, err := time.Parse(time.DateOnly, k[i+1:])
		if err != nil {
			return fmt.Errorf("mark %q: %w", k, err)
		}
		ds = append(ds, sd{k[:i], d})
	}
	if err := db.insert(ctx, "mark days", q.InsertAnswerMarks, len(ds), func(i int) []any {
		return []any{ds[i].survey, ds[i].day, uint64(0), writeVersion()}
	}); err != nil {
		return err
	}
	return db.insert(ctx, "touch days", q.InsertAnswerTouches, len(ds), func(i int) []any {
		return []any{ds[i].survey, ds[i].day}
	})
}

// surveyDay names one day of one survey.
type surveyDay struct{ survey, day string }

// countChunk is the most days one count reads at once.
const countChunk = 7

// group is one (score, reasons, confirmed, channel, properties) of a day.
type group struct {
	score      uint8
	reasons    []string
	confirmed  uint8
	channel    string
	keys, vals []string
	n          uint64
}

// countedGroups is a day of one survey, counted, before it is stored.
type countedGroups struct {
	survey string
	day    time.Time
	mark   mark
	groups []group
}

// countDays counts the given survey-days (within a week) in one query,
// with FINAL or grouped by response; every one gets a count, those without
// answers too.
func (db *DB) countDays(ctx context.Context, ds []staleDay, final bool) ([]countedGroups, error) {
	surveys := map[string]bool{}
	keys := make([]string, len(ds))
	from, to := ds[0].day, ds[0].day
	for i, d := range ds {
		surveys[d.survey] = true
		keys[i] = d.survey + " " + dateString(d.day)
		if d.day.Before(from) {
			from = d.day
		}
		if d.day.After(to) {
			to = d.day
		}
	}
	list := make([]string, 0, len(surveys))
	for s := range surveys {
		list = append(list, s)
	}
	sort.Strings(list)
	groups := map[string][]group{} // by key
	db.days.statements.Add(1)
	stmt := q.SelectDaysGroups
	if final {
		stmt = q.SelectDaysFinal
	}
	rows, err := db.conn.Query(bigQuery(ctx), stmt, list, from.Unix(), to.AddDate(0, 0, 1).Unix(), keys)
	if err != nil {
		return nil, fmt.Errorf("count days: %w", err)
	}
	for rows.Next() {
		var survey, day string
		var g group
		if err := rows.Scan(&survey, &day, &g.score, &g.reasons, &g.confirmed, &g.channel, &g.keys, &g.vals, &g.n); err != nil {
			rows.Close()
			return nil, fmt.Errorf("count days: %w", err)
		}
		k := survey + " " + day
		groups[k] = append(groups[k], g)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("count days: %w", err)
	}
	out := make([]countedGroups, len(ds))
	for i, d := range ds {
		out[i] = countedGroups{survey: d.survey, day: d.day, mark: d.mark, groups: groups[keys[i]]}
	}
	return out, nil
}

// insertCounts stores counted days in answer_days.
func (db *DB) insertCounts(ctx context.Context, cs []countedGroups) error {
	if len(cs) > 0 {
		db.days.statements.Add(1)
	}
	computed := uint64(time.Now().UnixNano())
	return db.insert(ctx, "count days", q.InsertAnswerDays, len(cs), func(i int) []any {
		c := cs[i]
		gs := c.groups
		t := totals(gs)
		var (
			scores    = make([]uint8, len(gs))
			reasons   = make([][]string, len(gs))
			confirmed = make([]uint8, len(gs))
			channels  = make([]string, len(gs))
			keys      = make([][]string, len(gs))
			vals      = make([][]string, len(gs))
			ns        = make([]uint64, len(gs))
		)
		for j, g := range gs {
			scores[j], reasons[j], confirmed[j], channels[j], keys[j], vals[j], ns[j] = g.score, g.reasons, g.confirmed, g.channel, g.keys, g.vals, g.n
		}
		return []any{c.survey, c.day, computed, c.mark.rows, c.mark.versions, t.scores, t.reasons, t.confirmed, t.ns,
			scores, reasons, confirmed, channels, keys, vals, ns}
	})
}

// dayTotals is a day's counts by (score, reasons, confirmed) alone: what
// a report without a segment reads.
type dayTotals struct {
	scores    []uint8
	reasons   [][]string
	confirmed []uint8
	ns        []uint64
}

func totals(gs []group) dayTotals {
	type k struct {
		score     uint8
		reasons   string
		confirmed uint8
	}
	index := map[k]int{}
	var t dayTotals
	for _, g := range gs {
		key := k{g.score, strings.Join(g.reasons, "\x00"), g.confirmed}
		i, ok := index[key]
		if !ok {
			i = len(t.ns)
			index[key] = i
			t.scores, t.reasons, t.confirmed, t.ns = append(t.scores, g.score), append(t.reasons, g.reasons), append(t.confirmed, g.confirmed), append(t.ns, 0)
		}
		t.ns[i] += g.n
	}
	if t.ns == nil {
		t = dayTotals{scores: []uint8{}, reasons: [][]string{}, confirmed: []uint8{}, ns: []uint64{}}
	}
	return t
}
