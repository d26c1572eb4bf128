package clickhouse

import (
	"context"
	"errors"
	"fmt"
	"hash"
	"hash/fnv"
	"log/slog"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// answer_days holds, per survey and day, the counts a report needs, and
// which parts of answers they were counted from (see answerParts in
// reports.go). Reports never depend on it being current: a day whose parts
// changed is read raw. Keeping it current is what keeps reports fast, and
// is the job of RefreshDays, which `heed serve` runs every few seconds
// (MaintainDays).

// days remembers, between runs of RefreshDays, the parts of each month of
// answers it has looked at.
type days struct {
	mu   sync.Mutex
	seen map[string]uint64 // partition (YYYYMM) -> its parts (partitionIDs)
	// statements counts the statements RefreshDays sent (tests read it).
	statements atomic.Int64
}

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

// RefreshDays counts again every day before today whose parts of answers
// are no longer those it was counted from, in the months whose parts
// changed since the last run (on the first run, every month of answers or
// counts), and returns how many days it counted. Today is left out: reports
// read it raw anyway, and every insert changes it. A month that fails does
// not hold the others back; it is looked at again next run.
func (db *DB) RefreshDays(ctx context.Context) (int, error) {
	db.days.mu.Lock()
	defer db.days.mu.Unlock()
	changed := map[string]bool{}
	if db.days.seen == nil { // first run (again, until this succeeds)
		db.days.statements.Add(1)
		counted, err := db.strings(ctx, q.SelectCountPartitions)
		if err != nil {
			return 0, fmt.Errorf("count partitions: %w", err)
		}
		for _, p := range counted {
			changed[p] = true
		}
	}
	db.days.statements.Add(1)
	parts, err := db.answerParts(ctx)
	if err != nil {
		return 0, err
	}
	if db.days.seen == nil {
		db.days.seen = map[string]uint64{}
	}
	ids := parts.partitionIDs()
	for p, id := range ids {
		if seen, ok := db.days.seen[p]; !ok || seen != id {
			changed[p] = true
		}
	}
	for p := range db.days.seen {
		if _, ok := ids[p]; !ok { // every part of the month gone
			changed[p] = true
		}
	}
	months := make([]string, 0, len(changed))
	for p := range changed {
		months = append(months, p)
	}
	sort.Strings(months)
	today := dayOf(time.Now())
	counted := 0
	var errs []error
	for _, p := range months {
		from, err := monthOf(p)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		to := from.AddDate(0, 1, 0)
		n, err := db.refreshMonth(ctx, parts, from, minTime(to, today))
		counted += n
		id, ok := ids[p]
		switch {
		case err != nil:
			errs = append(errs, fmt.Errorf("count days of %s: %w", p, err))
			db.days.seen[p] = lookAgain
		case to.After(today): // today and later still to count
			db.days.seen[p] = lookAgain
		case ok:
			db.days.seen[p] = id
		default:
			delete(db.days.seen, p)
		}
	}
	return counted, errors.Join(errs...)
}

// lookAgain marks in days.seen a month to look at next run: no month's
// parts hash to it (or, once in 2^64, the month is looked at once more).
const lookAgain = 0

// partitionIDs identifies the parts of each month: any part added or
// taken away changes its month's id.
func (ps answerParts) partitionIDs() map[string]uint64 {
	hs := map[string]hash.Hash64{}
	for _, p := range ps {
		h, ok := hs[p.partition]
		if !ok {
			h = fnv.New64a()
			hs[p.partition] = h
		}
		p.hashInto(h)
	}
	out := make(map[string]uint64, len(hs))
	for p, h := range hs {
		out[p] = h.Sum64()
	}
	return out
}

// monthOf reads a partition id of toYYYYMM(created_at).
func monthOf(partition string) (time.Time, error) {
	n, err := strconv.Atoi(partition)
	if err != nil || n < 190001 {
		return time.Time{}, fmt.Errorf("answers partition %q is not a month", partition)
	}
	return time.Date(n/100, time.Month(n%100), 1, 0, 0, 0, 0, time.UTC), nil
}

// refreshMonth counts again the days of [from, to) (within a month) of
// every survey with answers or counts in the month that parts (read before)
// no longer serve, and stores them in one insert. Days holding none of the
// survey's answers get an empty count when a part may hold rows of them
// (another survey's), so that reports can trust them. A day whose parts
// changed while it was counted is not stored: a part that came and went
// meanwhile could be in its count and not in its parts.
func (db *DB) refreshMonth(ctx context.Context, parts answerParts, from, to time.Time) (int, error) {
	if !from.Before(to) {
		return 0, nil
	}
	db.days.statements.Add(2)
	surveys, err := db.idSet(ctx, q.SelectMonthSurveys, from.Unix(), to.Unix())
	if err != nil {
		return 0, fmt.Errorf("month surveys: %w", err)
	}
	counts := map[surveyDay]uint64{}
	rows, err := db.conn.Query(ctx, q.SelectMonthCounts, dateString(from), dateString(to))
	if err != nil {
		return 0, fmt.Errorf("month counts: %w", err)
	}
	for rows.Next() {
		var k surveyDay
		var id uint64
		if err := rows.Scan(&k.survey, &k.day, &id); err != nil {
			rows.Close()
			return 0, fmt.Errorf("month counts: %w", err)
		}
		counts[k] = id
		surveys[k.survey] = true
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("month counts: %w", err)
	}
	var before []dayParts // the same for every survey
	for d := from; d.Before(to); d = d.AddDate(0, 0, 1) {
		before = append(before, parts.day(d))
	}
	var out []countedGroups
	var errs []error
	for survey := range surveys {
		changed := daySet{}
		for i, d := 0, from; d.Before(to); i, d = i+1, d.AddDate(0, 0, 1) {
			id, ok := counts[surveyDay{survey, dateString(d)}]
			if !before[i].serves(id, ok) {
				changed[dateString(d)] = true
			}
		}
		for _, r := range changed.ranges(from, to, from, to, false) {
			days, err := db.countDays(ctx, survey, r.from, r.to)
			if err != nil {
				errs = append(errs, err)
				break
			}
			out = append(out, days...)
		}
	}
	if len(out) > 0 {
		after, err := db.answerParts(ctx)
		if err != nil {
			return 0, err
		}
		same := make([]bool, len(before))
		for i, d := 0, from; d.Before(to); i, d = i+1, d.AddDate(0, 0, 1) {
			same[i] = after.day(d) == before[i]
		}
		kept := out[:0]
		for _, c := range out {
			i := int(c.day.Sub(from).Hours()) / 24
			if c.parts = before[i].id; same[i] {
				kept = append(kept, c)
			}
		}
		out = kept
	}
	if err := db.insertCounts(ctx, out); err != nil {
		errs = append(errs, err)
		out = nil
	}
	return len(out), errors.Join(errs...)
}

// surveyDay names one day of one survey.
type surveyDay struct{ survey, day string }

// countChunk is the most days one count reads at once: grouping by
// response needs memory for each response of them.
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
	parts  uint64
	groups []group
}

// countDays counts the days of [from, to) of one survey again, a few at a
// time (every day gets a count, those without answers too).
func (db *DB) countDays(ctx context.Context, survey string, from, to time.Time) ([]countedGroups, error) {
	var out []countedGroups
	for lo := dayOf(from); lo.Before(to); lo = lo.AddDate(0, 0, countChunk) {
		hi := minTime(lo.AddDate(0, 0, countChunk), to)
		groups := map[string][]group{}
		db.days.statements.Add(1)
		rows, err := db.conn.Query(ctx, q.SelectDayGroups, survey, lo.Unix(), hi.Unix())
		if err != nil {
			return nil, fmt.Errorf("count days: %w", err)
		}
		for rows.Next() {
			var day string
			var g group
			if err := rows.Scan(&day, &g.score, &g.reasons, &g.confirmed, &g.channel, &g.keys, &g.vals, &g.n); err != nil {
				rows.Close()
				return nil, fmt.Errorf("count days: %w", err)
			}
			groups[day] = append(groups[day], g)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("count days: %w", err)
		}
		for d := lo; d.Before(hi); d = d.AddDate(0, 0, 1) {
			out = append(out, countedGroups{survey: survey, day: d, groups: groups[dateString(d)]})
		}
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
		return []any{c.survey, c.day, computed, c.parts, t.scores, t.reasons, t.confirmed, t.ns,
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
