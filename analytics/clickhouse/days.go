package clickhouse

import (
	"context"
	"fmt"
	"log/slog"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// answer_days holds, per survey and day, the counts a report needs, and the
// fingerprint of the raw answers they were counted from (see reports.go).
// Reports never depend on it being current: a day whose answers changed is
// read raw. Keeping it current is what keeps reports fast, and is the job
// of RefreshDays, which `heed serve` runs every few seconds (MaintainDays).

// days remembers, between runs of RefreshDays, the newest part of each
// month of answers it has looked at.
type days struct {
	mu    sync.Mutex
	seen  map[string]uint64 // partition (YYYYMM) -> newest part's time
	force bool              // look at every month (first run)
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

// RefreshDays counts again every day whose answers changed since it was
// counted, in the months whose parts changed since the last run (every
// month on the first run), and returns how many days it counted.
func (db *DB) RefreshDays(ctx context.Context) (int, error) {
	db.days.mu.Lock()
	defer db.days.mu.Unlock()
	if db.days.seen == nil {
		db.days.seen, db.days.force = map[string]uint64{}, true
	}
	var now uint64
	if err := db.conn.QueryRow(ctx, q.SelectServerTime).Scan(&now); err != nil {
		return 0, fmt.Errorf("server time: %w", err)
	}
	parts, err := db.partitions(ctx)
	if err != nil {
		return 0, err
	}
	changed := map[string]uint64{}
	for partition, newest := range parts {
		if db.days.force || db.days.seen[partition] != newest {
			changed[partition] = newest
		}
	}
	months := make([]string, 0, len(changed))
	for p := range changed {
		months = append(months, p)
	}
	sort.Strings(months)
	counted := 0
	for _, p := range months {
		from, err := monthOf(p)
		if err != nil {
			return counted, err
		}
		n, err := db.refreshMonth(ctx, from, from.AddDate(0, 1, 0))
		counted += n
		if err != nil {
			return counted, err
		}
		// Only now: a month that failed is looked at again next run. A part
		// written while this ran has a newer time and is seen then, except
		// in the second of the last part: such a month is looked at again.
		if changed[p]+1 < now {
			db.days.seen[p] = changed[p]
		}
	}
	db.days.force = false
	return counted, nil
}

// monthOf reads a partition id of toYYYYMM(created_at).
func monthOf(partition string) (time.Time, error) {
	n, err := strconv.Atoi(partition)
	if err != nil || n < 190001 {
		return time.Time{}, fmt.Errorf("answers partition %q is not a month", partition)
	}
	return time.Date(n/100, time.Month(n%100), 1, 0, 0, 0, 0, time.UTC), nil
}

// refreshMonth counts again the days of [from, to) (a month) of every
// survey with answers or counts in it, whose fingerprint changed or which
// were never counted (every day of such a month gets a count, empty ones
// too, so that reports can trust the month as a whole).
func (db *DB) refreshMonth(ctx context.Context, from, to time.Time) (int, error) {
	now, err := db.surveyDayFingerprints(ctx, q.SelectAllDayFingerprints, from.Unix(), to.Unix())
	if err != nil {
		return 0, err
	}
	counts, err := db.surveyDayFingerprints(ctx, q.SelectAllRollupFingerprints, dateString(from), dateString(to))
	if err != nil {
		return 0, err
	}
	surveys := map[string]bool{}
	for k := range now {
		surveys[k.survey] = true
	}
	for k := range counts {
		surveys[k.survey] = true
	}
	counted := 0
	for survey := range surveys {
		stale := daySet{}
		for d := from; d.Before(to); d = d.AddDate(0, 0, 1) {
			k := surveyDay{survey, dateString(d)}
			if c, ok := counts[k]; !ok || c != now[k] {
				stale[k.day] = true
			}
		}
		for _, r := range stale.ranges(from, to, from, to, false) {
			n, err := db.countDays(ctx, survey, r.from, r.to)
			counted += n
			if err != nil {
				return counted, err
			}
		}
	}
	return counted, nil
}

// surveyDay names one day of one survey.
type surveyDay struct{ survey, day string }

// surveyDayFingerprints reads (survey, day, rows, version sum) rows.
func (db *DB) surveyDayFingerprints(ctx context.Context, stmt string, args ...any) (map[surveyDay]fingerprint, error) {
	rows, err := db.conn.Query(ctx, stmt, args...)
	if err != nil {
		return nil, fmt.Errorf("day fingerprints: %w", err)
	}
	defer rows.Close()
	out := map[surveyDay]fingerprint{}
	for rows.Next() {
		var k surveyDay
		var fp fingerprint
		if err := rows.Scan(&k.survey, &k.day, &fp.rows, &fp.versionSum); err != nil {
			return nil, fmt.Errorf("day fingerprints: %w", err)
		}
		out[k] = fp
	}
	return out, rows.Err()
}

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

// countDays counts the days of [from, to) of one survey again, a few at a
// time, and stores them with their fingerprint. The server's clock and then
// the fingerprint are read first: rows added after are counted too and only
// make the day stale again, never pass as counted.
func (db *DB) countDays(ctx context.Context, survey string, from, to time.Time) (int, error) {
	counted := 0
	for lo := dayOf(from); lo.Before(to); lo = lo.AddDate(0, 0, countChunk) {
		hi := minTime(lo.AddDate(0, 0, countChunk), to)
		if err := db.countChunk(ctx, survey, lo, hi); err != nil {
			return counted, err
		}
		counted += int(hi.Sub(lo).Hours()+23) / 24
	}
	return counted, nil
}

func (db *DB) countChunk(ctx context.Context, survey string, from, to time.Time) error {
	var at uint64
	if err := db.conn.QueryRow(ctx, q.SelectServerTime).Scan(&at); err != nil {
		return fmt.Errorf("count days: %w", err)
	}
	fps, err := db.dayFingerprints(ctx, survey, from, to)
	if err != nil {
		return fmt.Errorf("count days: %w", err)
	}
	groups := map[string][]group{}
	rows, err := db.conn.Query(ctx, q.SelectDayGroups, survey, from.Unix(), to.Unix())
	if err != nil {
		return fmt.Errorf("count days: %w", err)
	}
	for rows.Next() {
		var day string
		var g group
		if err := rows.Scan(&day, &g.score, &g.reasons, &g.confirmed, &g.channel, &g.keys, &g.vals, &g.n); err != nil {
			rows.Close()
			return fmt.Errorf("count days: %w", err)
		}
		groups[day] = append(groups[day], g)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("count days: %w", err)
	}
	// Every day of the range gets a row, those without answers too: their
	// empty counts and zero fingerprint match their (absent) answers.
	var days []time.Time
	for d := dayOf(from); d.Before(to); d = d.AddDate(0, 0, 1) {
		days = append(days, d)
	}
	computed := uint64(time.Now().UnixNano())
	countedAt := time.Unix(int64(at), 0).UTC()
	return db.insert(ctx, "count days", q.InsertAnswerDays, len(days), func(i int) []any {
		day := dateString(days[i])
		gs := groups[day]
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
		fp := fps[day]
		return []any{survey, days[i], computed, countedAt, fp.rows, fp.versionSum, t.scores, t.reasons, t.confirmed, t.ns,
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
