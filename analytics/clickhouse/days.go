package clickhouse

import (
	"context"
	"fmt"
	"log/slog"
	"sort"
	"strconv"
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
	rows, err := db.conn.Query(ctx, q.SelectAnswerPartitions)
	if err != nil {
		return 0, fmt.Errorf("answer partitions: %w", err)
	}
	changed := map[string]uint64{}
	for rows.Next() {
		var partition string
		var newest uint64
		if err := rows.Scan(&partition, &newest); err != nil {
			rows.Close()
			return 0, fmt.Errorf("answer partitions: %w", err)
		}
		if db.days.force || db.days.seen[partition] != newest {
			changed[partition] = newest
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("answer partitions: %w", err)
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
		// written while this ran has a newer time and is seen then too.
		db.days.seen[p] = changed[p]
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

// refreshMonth counts again the stale days of every survey in [from, to).
func (db *DB) refreshMonth(ctx context.Context, from, to time.Time) (int, error) {
	type key struct{ survey, day string }
	now := map[key]fingerprint{}
	rows, err := db.conn.Query(ctx, q.SelectAllDayFingerprints, from.Unix(), to.Unix())
	if err != nil {
		return 0, fmt.Errorf("day fingerprints: %w", err)
	}
	for rows.Next() {
		var k key
		var fp fingerprint
		if err := rows.Scan(&k.survey, &k.day, &fp.rows, &fp.versionSum); err != nil {
			rows.Close()
			return 0, fmt.Errorf("day fingerprints: %w", err)
		}
		now[k] = fp
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("day fingerprints: %w", err)
	}
	rows, err = db.conn.Query(ctx, q.SelectAllRollupFingerprints, dateString(from), dateString(to))
	if err != nil {
		return 0, fmt.Errorf("day fingerprints: %w", err)
	}
	stale := map[string]daySet{} // survey -> days
	seen := map[key]bool{}
	for rows.Next() {
		var k key
		var fp fingerprint
		if err := rows.Scan(&k.survey, &k.day, &fp.rows, &fp.versionSum); err != nil {
			rows.Close()
			return 0, fmt.Errorf("day fingerprints: %w", err)
		}
		seen[k] = true
		if now[k] != fp {
			if stale[k.survey] == nil {
				stale[k.survey] = daySet{}
			}
			stale[k.survey][k.day] = true
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("day fingerprints: %w", err)
	}
	for k := range now {
		if !seen[k] {
			if stale[k.survey] == nil {
				stale[k.survey] = daySet{}
			}
			stale[k.survey][k.day] = true
		}
	}
	counted := 0
	for survey, set := range stale {
		for _, r := range set.ranges(from, to, from, to) {
			n, err := db.countDays(ctx, survey, r.from, r.to)
			counted += n
			if err != nil {
				return counted, err
			}
		}
	}
	return counted, nil
}

// group is one (score, reasons, confirmed, channel, properties) of a day.
type group struct {
	score      uint8
	reasons    []string
	confirmed  uint8
	channel    string
	keys, vals []string
	n          uint64
}

// countDays counts the days of [from, to) of one survey again and stores
// them with their fingerprint. The fingerprint is read first: rows added
// after it are counted too and only make the day stale again, never counted
// as fresh.
func (db *DB) countDays(ctx context.Context, survey string, from, to time.Time) (int, error) {
	fps := map[string]fingerprint{}
	rows, err := db.conn.Query(ctx, q.SelectDayFingerprints, survey, from.Unix(), to.Unix())
	if err != nil {
		return 0, fmt.Errorf("count days: %w", err)
	}
	for rows.Next() {
		var day string
		var fp fingerprint
		if err := rows.Scan(&day, &fp.rows, &fp.versionSum); err != nil {
			rows.Close()
			return 0, fmt.Errorf("count days: %w", err)
		}
		fps[day] = fp
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("count days: %w", err)
	}
	groups := map[string][]group{}
	rows, err = db.conn.Query(ctx, q.SelectDayGroups, survey, from.Unix(), to.Unix())
	if err != nil {
		return 0, fmt.Errorf("count days: %w", err)
	}
	for rows.Next() {
		var day string
		var g group
		if err := rows.Scan(&day, &g.score, &g.reasons, &g.confirmed, &g.channel, &g.keys, &g.vals, &g.n); err != nil {
			rows.Close()
			return 0, fmt.Errorf("count days: %w", err)
		}
		groups[day] = append(groups[day], g)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("count days: %w", err)
	}
	// Every day of the range gets a row, those without answers too: their
	// empty counts and zero fingerprint match their (absent) answers.
	var days []time.Time
	for d := dayOf(from); d.Before(to); d = d.AddDate(0, 0, 1) {
		days = append(days, d)
	}
	computed := uint64(time.Now().UnixNano())
	err = db.insert(ctx, "count days", q.InsertAnswerDays, len(days), func(i int) []any {
		day := dateString(days[i])
		gs := groups[day]
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
		return []any{survey, days[i], computed, fp.rows, fp.versionSum, scores, reasons, confirmed, channels, keys, vals, ns}
	})
	if err != nil {
		return 0, err
	}
	return len(days), nil
}
