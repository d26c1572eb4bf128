package clickhouse

import (
	"context"
	"errors"
	"fmt"
	"sort"
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
// today stale) costs one round of small queries at once: what tells which
// days are stale, the counted days but today, today raw. When other days
// turn out stale too, a second round reads them so.
func (db *DB) Report(ctx context.Context, rq analytics.ReportQuery) (*analytics.Report, error) {
	p, err := newReportPlan(rq)
	if err != nil {
		return nil, err
	}
	assumed := daySet{}
	if today := dayOf(time.Now()); !today.Before(p.firstDay) && today.Before(p.endDay) {
		assumed[dateString(today)] = 0
	}
	counts, read := db.reportCounts(ctx, p.queries(assumed))
	stale, err := db.staleDays(ctx, rq.Survey.ID, rq.From, rq.To, read)
	if err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	if !stale.within(assumed) {
		for d := range assumed {
			stale[d] = 0
		}
		counts, read = db.reportCounts(ctx, p.queries(stale))
		if err := read(); err != nil {
			return nil, fmt.Errorf("report: %w", err)
		}
	}
	rep := analytics.NewReport(rq)
	for _, cs := range *counts {
		for _, c := range cs {
			if err := rep.Add(c.period, c.score, c.reasons, int(c.n)); err != nil {
				return nil, err
			}
		}
	}
	rep.Finish()
	return rep, nil
}

// reportPlan is how a report reads its counts, given its stale days.
type reportPlan struct {
	rq               analytics.ReportQuery
	rollup, raw      string
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
	rollup, raw := q.SelectRollupReport, q.SelectRawReport
	if p.segment {
		rollup, raw = q.SelectRollupSegmentReport, q.SelectRawSegmentReport
	}
	if p.rollup, err = WithIdent(rollup, "period", fn); err != nil {
		return nil, err
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

// queries are the statements that count the report when the given days
// are stale: the counted days but those, and those raw.
func (p *reportPlan) queries(stale daySet) []reportQuery {
	rq := p.rq
	var out []reportQuery
	if p.firstDay.Before(p.endDay) {
		args := []any{rq.Survey.ID, dateString(p.firstDay), dateString(p.endDay), stale.list(), p.minConfirmed}
		if p.segment {
			args = append(args, p.pairs)
		}
		out = append(out, reportQuery{p.rollup, args})
	}
	for _, r := range stale.ranges(rq.From, rq.To, p.firstDay, p.endDay) {
		args := []any{rq.Survey.ID, r.from.Unix(), r.to.Unix(), p.minConfirmed}
		if p.segment {
			args = append(args, p.pairs)
		}
		out = append(out, reportQuery{p.raw, args})
	}
	return out
}

// count is one row of a report statement.
type count struct {
	period  time.Time
	score   uint8
	reasons []string
	n       uint64
}

// reportCounts returns where the counts of qs will be, and the function
// that reads them all at once (to run beside other reads).
func (db *DB) reportCounts(ctx context.Context, qs []reportQuery) (*[][]count, func() error) {
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

// daySet is a set of days as 'YYYY-MM-DD', with their raw row counts.
type daySet map[string]uint64

// list is the set as the statements take it: sorted, after a ” that keeps
// it typed when empty.
func (s daySet) list() []string {
	out := []string{""}
	for d := range s {
		out = append(out, d)
	}
	sort.Strings(out[1:])
	return out
}

// within reports whether every day of s is in t.
func (s daySet) within(t daySet) bool {
	for d := range s {
		if _, ok := t[d]; !ok {
			return false
		}
	}
	return true
}

type timeRange struct{ from, to time.Time }

// ranges returns the stretches of [from, to) to count raw: every day of
// the set, and the partial days at either end (outside [firstDay,
// endDay)), merged where they touch so that one query reads each run of
// days.
func (s daySet) ranges(from, to, firstDay, endDay time.Time) []timeRange {
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
	if from.Before(firstDay) {
		push(from, firstDay)
	}
	for d := firstDay; d.Before(endDay); d = d.AddDate(0, 0, 1) {
		if _, ok := s[dateString(d)]; ok {
			push(d, d.AddDate(0, 0, 1))
		}
	}
	if endDay.Before(to) {
		push(endDay, to)
	}
	return out
}

// counted is a day's latest count: its fingerprint and when it was read.
type counted struct {
	fingerprint
	at uint64 // the server's clock, Unix seconds
}

// staleDays returns the days of [from, to) that answer_days cannot serve,
// with their raw row counts. A month none of whose parts was written after
// its days were counted (every one of them) is fresh without a look at its
// rows; in the other months (today's, at least) each day's fingerprint is
// compared with its count's. alongside runs with the first reads.
func (db *DB) staleDays(ctx context.Context, survey string, from, to time.Time, alongside ...func() error) (daySet, error) {
	// The parts, the counts, and the fingerprints of the range's last month
	// (the one being written, most likely) are read at once.
	last := maxTime(monthStart(to.Add(-time.Second)), from)
	var (
		parts    map[string]uint64
		counts   = map[string]counted{}
		lastDays map[string]fingerprint
	)
	err := parallel(
		func() (err error) { parts, err = db.partitions(ctx); return err },
		func() error {
			rows, err := db.conn.Query(ctx, q.SelectRollupFingerprints, survey, dateString(dayOf(from)), dateString(dayOf(to).AddDate(0, 0, 1)))
			if err != nil {
				return err
			}
			defer rows.Close()
			for rows.Next() {
				var day string
				var c counted
				if err := rows.Scan(&day, &c.rows, &c.versionSum, &c.at); err != nil {
					return err
				}
				counts[day] = c
			}
			return rows.Err()
		},
		func() (err error) { lastDays, err = db.dayFingerprints(ctx, survey, last, to); return err },
		func() error { return parallel(alongside...) },
	)
	if err != nil {
		return nil, err
	}
	stale := daySet{}
	for m := monthStart(from); m.Before(to); m = m.AddDate(0, 1, 0) {
		lo, hi := maxTime(m, from), minTime(m.AddDate(0, 1, 0), to)
		newest, hasParts := parts[m.Format("200601")]
		fresh := hasParts
		for d := dayOf(lo); d.Before(hi); d = d.AddDate(0, 0, 1) {
			c, ok := counts[dateString(d)]
			if !hasParts { // no answers that month: a count of some is stale
				if ok && c.fingerprint != (fingerprint{}) {
					stale[dateString(d)] = 0
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
		now := lastDays
		if !lo.Equal(last) {
			if now, err = db.dayFingerprints(ctx, survey, lo, hi); err != nil {
				return nil, err
			}
		}
		for d := dayOf(lo); d.Before(hi); d = d.AddDate(0, 0, 1) {
			day := dateString(d)
			if c, ok := counts[day]; !ok && now[day] != (fingerprint{}) || ok && c.fingerprint != now[day] {
				stale[day] = now[day].rows
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
