package clickhouse

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"heed/analytics"
)

// periodFunction is the ClickHouse function that maps a DateTime or Date to
// the first day of its period. The report statements take it as {period}:
// an identifier chosen here, never from input.
func periodFunction(i analytics.Interval) (string, error) {
	switch i {
	case analytics.Day:
		return "toDate", nil
	case analytics.Week:
		return "toMonday", nil // toStartOfWeek does not exist on 18.16
	case analytics.Month:
		return "toStartOfMonth", nil
	}
	return "", fmt.Errorf("report: unknown interval %q", i)
}

// fingerprint identifies the raw answer rows of a day: what answer_days
// counted them from. Rows are only added (inserts) or removed (merges,
// deletions), so any change moves it.
type fingerprint struct{ rows, versionSum uint64 }

// Report computes the NPS trend of rq.Survey: counted days from
// answer_days, stale days (whose answers changed since they were counted)
// from answers themselves, then analytics.Report turns the counts into NPS.
// Today is taken as stale from the start, so that the usual report (only
// today stale) costs one round of small queries at once: the months' part
// times, the counted days with their fingerprints, the fingerprints of the
// range's last month, today raw. When other days turn out stale, a second
// round reads them raw.
func (db *DB) Report(ctx context.Context, rq analytics.ReportQuery) (*analytics.Report, error) {
	p, err := newReportPlan(rq)
	if err != nil {
		return nil, err
	}
	assumed := daySet{}
	if today := dayOf(time.Now()); !today.Before(p.firstDay) && today.Before(p.endDay) {
		assumed[dateString(today)] = true
	}
	last := maxTime(monthStart(rq.To.Add(-time.Second)), rq.From)
	var (
		parts   map[string]uint64
		days    map[string]countedDay
		lastFps map[string]fingerprint
	)
	raw, readRaw := db.rawCounts(ctx, p.rawQueries(assumed, true))
	err = parallel(
		func() (err error) { parts, err = db.partitions(ctx); return err },
		func() (err error) { days, err = db.countedDays(ctx, p); return err },
		func() (err error) { lastFps, err = db.dayFingerprints(ctx, rq.Survey.ID, last, rq.To); return err },
		readRaw,
	)
	if err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	stale, err := db.staleDays(ctx, rq.Survey.ID, rq.From, rq.To, parts, days, last, lastFps)
	if err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	more := daySet{}
	for d := range stale {
		if !assumed[d] {
			more[d] = true
		}
	}
	raw2, readRaw2 := db.rawCounts(ctx, p.rawQueries(more, false))
	if err := readRaw2(); err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	rep := analytics.NewReport(rq)
	for day, c := range days {
		d, err := time.Parse(time.DateOnly, day)
		if err != nil || d.Before(p.firstDay) || !d.Before(p.endDay) || stale[day] || assumed[day] {
			continue
		}
		start := rq.Interval.Start(d)
		for i := range c.scores {
			if err := rep.Add(start, c.scores[i], c.reasons[i], int(c.ns[i])); err != nil {
				return nil, err
			}
		}
	}
	for _, cs := range append(*raw, *raw2...) {
		for _, c := range cs {
			if err := rep.Add(c.period, c.score, c.reasons, int(c.n)); err != nil {
				return nil, err
			}
		}
	}
	rep.Finish()
	return rep, nil
}

// reportPlan is how a report reads its counts.
type reportPlan struct {
	rq               analytics.ReportQuery
	raw              string
	segment          bool
	pairs            []string
	minConfirmed     uint8
	firstDay, endDay time.Time // the whole days of the range
}

func newReportPlan(rq analytics.ReportQuery) (*reportPlan, error) {
	fn, err := periodFunction(rq.Interval)
	if err != nil {
		return nil, err
	}
	p := &reportPlan{rq: rq, segment: len(rq.Properties) > 0, pairs: propertyPairs(rq.Properties), minConfirmed: 1}
	raw := q.SelectRawReport
	if p.segment {
		raw = q.SelectRawSegmentReport
	}
	if p.raw, err = WithIdent(raw, "period", fn); err != nil {
		return nil, err
	}
	if rq.IncludeUnconfirmed {
		p.minConfirmed = 0
	}
	// Whole days only live in answer_days; a range starting or ending within
	// a day reads that day raw.
	p.firstDay, p.endDay = dayOf(rq.From), dayOf(rq.To)
	if !p.firstDay.Equal(rq.From) {
		p.firstDay = p.firstDay.AddDate(0, 0, 1)
	}
	return p, nil
}

type reportQuery struct {
	stmt string
	args []any
}

// rawQueries are the statements that count the given days raw (and, with
// ends, the partial days at either end of the range).
func (p *reportPlan) rawQueries(days daySet, ends bool) []reportQuery {
	rq := p.rq
	var out []reportQuery
	for _, r := range days.ranges(rq.From, rq.To, p.firstDay, p.endDay, ends) {
		args := []any{rq.Survey.ID, r.from.Unix(), r.to.Unix(), p.minConfirmed}
		if p.segment {
			args = append(args, p.pairs)
		}
		out = append(out, reportQuery{p.raw, args})
	}
	return out
}

// count is one row of a raw report statement.
type count struct {
	period  time.Time
	score   uint8
	reasons []string
	n       uint64
}

// rawCounts returns where the counts of qs will be, and the function that
// reads them all at once (to run beside other reads).
func (db *DB) rawCounts(ctx context.Context, qs []reportQuery) (*[][]count, func() error) {
	counts := make([][]count, len(qs))
	jobs := make([]func() error, len(qs))
	for i, qu := range qs {
		jobs[i] = func() error {
			rows, err := db.conn.Query(ctx, qu.stmt, qu.args...)
			if err != nil {
				return err
			}
			defer rows.Close()
			for rows.Next() {
				var c count
				if err := rows.Scan(&c.period, &c.score, &c.reasons, &c.n); err != nil {
					return err
				}
				counts[i] = append(counts[i], c)
			}
			return rows.Err()
		}
	}
	return &counts, func() error { return parallel(jobs...) }
}

// countedDay is a day's latest count: the fingerprint it was made from,
// when, and its groups that the report keeps.
type countedDay struct {
	fingerprint
	at      uint64 // the server's clock, Unix seconds
	scores  []uint8
	reasons [][]string
	ns      []uint64
}

// countedDays reads the latest count of each whole day of p's range.
func (db *DB) countedDays(ctx context.Context, p *reportPlan) (map[string]countedDay, error) {
	out := map[string]countedDay{}
	if !p.firstDay.Before(p.endDay) {
		return out, nil
	}
	rq := p.rq
	stmt, args := q.SelectRollupDays, []any{p.minConfirmed, rq.Survey.ID, dateString(p.firstDay), dateString(p.endDay)}
	if p.segment {
		stmt, args = q.SelectRollupSegmentDays, []any{p.minConfirmed, p.pairs, rq.Survey.ID, dateString(p.firstDay), dateString(p.endDay)}
	}
	rows, err := db.conn.Query(ctx, stmt, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var day string
		var c countedDay
		var keep []uint8
		if err := rows.Scan(&day, &c.rows, &c.versionSum, &c.at, &keep, &c.scores, &c.reasons, &c.ns); err != nil {
			return nil, err
		}
		out[day] = c
	}
	return out, rows.Err()
}

// parallel runs fns at once and returns their errors.
func parallel(fns ...func() error) error {
	switch len(fns) {
	case 0:
		return nil
	case 1:
		return fns[0]()
	}
	errs := make([]error, len(fns))
	var wg sync.WaitGroup
	for i, f := range fns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = f()
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// dayOf is the UTC day that holds t.
func dayOf(t time.Time) time.Time {
	t = t.UTC()
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}

func dateString(t time.Time) string { return t.Format(time.DateOnly) }

// daySet is a set of days as 'YYYY-MM-DD'.
type daySet map[string]bool

type timeRange struct{ from, to time.Time }

// ranges returns the stretches of [from, to) to count raw: every day of
// the set and, with ends, the partial days at either end (outside
// [firstDay, endDay)), merged where they touch so that one query reads
// each run of days.
func (s daySet) ranges(from, to, firstDay, endDay time.Time, ends bool) []timeRange {
	var out []timeRange
	push := func(a, b time.Time) {
		if a.Before(from) {
			a = from
		}
		if b.After(to) {
			b = to
		}
		if !a.Before(b) {
			return
		}
		if n := len(out); n > 0 && !out[n-1].to.Before(a) {
			if b.After(out[n-1].to) {
				out[n-1].to = b
			}
			return
		}
		out = append(out, timeRange{a, b})
	}
	if ends && from.Before(firstDay) {
		push(from, firstDay)
	}
	for d := firstDay; d.Before(endDay); d = d.AddDate(0, 0, 1) {
		if s[dateString(d)] {
			push(d, d.AddDate(0, 0, 1))
		}
	}
	if ends && endDay.Before(to) {
		push(endDay, to)
	}
	return out
}

// staleDays returns the days of [from, to) whose count answer_days cannot
// serve. A month none of whose parts was written after its days were
// counted (every one of them) is trusted without a look at its rows; in the
// other months each day's fingerprint is compared with its count's (last
// holds those of the range's last month, read already).
func (db *DB) staleDays(ctx context.Context, survey string, from, to time.Time, parts map[string]uint64,
	counts map[string]countedDay, last time.Time, lastFps map[string]fingerprint) (daySet, error) {
	stale := daySet{}
	for m := monthStart(from); m.Before(to); m = m.AddDate(0, 1, 0) {
		lo, hi := maxTime(m, from), minTime(m.AddDate(0, 1, 0), to)
		newest, hasParts := parts[m.Format("200601")]
		fresh := hasParts
		for d := dayOf(lo); d.Before(hi); d = d.AddDate(0, 0, 1) {
			c, ok := counts[dateString(d)]
			if !hasParts { // no answers that month: a count of some is stale
				if ok && c.fingerprint != (fingerprint{}) {
					stale[dateString(d)] = true
				}
				continue
			}
			// Parts are stamped in whole seconds: one written in the second
			// of the count may hold rows it did not see.
			if !ok || newest+1 >= c.at {
				fresh = false
			}
		}
		if fresh || !hasParts {
			continue
		}
		now := lastFps
		if !lo.Equal(last) {
			var err error
			if now, err = db.dayFingerprints(ctx, survey, lo, hi); err != nil {
				return nil, err
			}
		}
		for d := dayOf(lo); d.Before(hi); d = d.AddDate(0, 0, 1) {
			day := dateString(d)
			if c, ok := counts[day]; !ok && now[day] != (fingerprint{}) || ok && c.fingerprint != now[day] {
				stale[day] = true
			}
		}
	}
	return stale, nil
}

// partitions maps each month of answers (YYYYMM) to when its newest part
// was written (the server's clock, Unix seconds).
func (db *DB) partitions(ctx context.Context) (map[string]uint64, error) {
	rows, err := db.conn.Query(ctx, q.SelectAnswerPartitions)
	if err != nil {
		return nil, fmt.Errorf("answer partitions: %w", err)
	}
	defer rows.Close()
	out := map[string]uint64{}
	for rows.Next() {
		var partition string
		var newest uint64
		if err := rows.Scan(&partition, &newest); err != nil {
			return nil, fmt.Errorf("answer partitions: %w", err)
		}
		out[partition] = newest
	}
	return out, rows.Err()
}

// dayFingerprints reads the fingerprint of each day of one survey in
// [from, to).
func (db *DB) dayFingerprints(ctx context.Context, survey string, from, to time.Time) (map[string]fingerprint, error) {
	rows, err := db.conn.Query(ctx, q.SelectDayFingerprints, survey, from.Unix(), to.Unix())
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]fingerprint{}
	for rows.Next() {
		var day string
		var fp fingerprint
		if err := rows.Scan(&day, &fp.rows, &fp.versionSum); err != nil {
			return nil, err
		}
		out[day] = fp
	}
	return out, rows.Err()
}

func monthStart(t time.Time) time.Time {
	t = t.UTC()
	return time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC)
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}
