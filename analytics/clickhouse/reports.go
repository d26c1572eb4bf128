package clickhouse

import (
	"context"
	"fmt"
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
// from answers with FINAL, then analytics.Report turns the counts into NPS.
func (db *DB) Report(ctx context.Context, rq analytics.ReportQuery) (*analytics.Report, error) {
	fn, err := periodFunction(rq.Interval)
	if err != nil {
		return nil, err
	}
	rollup, err := WithIdent(q.SelectRollupReport, "period", fn)
	if err != nil {
		return nil, err
	}
	raw, err := WithIdent(q.SelectRawReport, "period", fn)
	if err != nil {
		return nil, err
	}
	stale, err := db.staleDays(ctx, rq.Survey.ID, rq.From, rq.To)
	if err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	minConfirmed := uint8(1)
	if rq.IncludeUnconfirmed {
		minConfirmed = 0
	}
	pairs := propertyPairs(rq.Properties)
	rep := analytics.NewReport(rq)
	add := func(stmt string, args ...any) error {
		rows, err := db.conn.Query(ctx, stmt, args...)
		if err != nil {
			return fmt.Errorf("report: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var (
				period  time.Time
				score   uint8
				reasons []string
				n       uint64
			)
			if err := rows.Scan(&period, &score, &reasons, &n); err != nil {
				return fmt.Errorf("report: %w", err)
			}
			if err := rep.Add(period, score, reasons, int(n)); err != nil {
				return err
			}
		}
		return rows.Err()
	}
	// Whole days only live in answer_days; a range starting or ending within
	// a day reads that day raw.
	firstDay, endDay := dayOf(rq.From), dayOf(rq.To)
	if !firstDay.Equal(rq.From) {
		firstDay = firstDay.AddDate(0, 0, 1)
	}
	if firstDay.Before(endDay) {
		if err := add(rollup, rq.Survey.ID, dateString(firstDay), dateString(endDay), stale.list(), minConfirmed, pairs); err != nil {
			return nil, err
		}
	}
	for _, r := range stale.ranges(rq.From, rq.To, firstDay, endDay) {
		if err := add(raw, rq.Survey.ID, r.from.Unix(), r.to.Unix(), minConfirmed, pairs); err != nil {
			return nil, err
		}
	}
	rep.Finish()
	return rep, nil
}

// dayOf is the UTC day that holds t.
func dayOf(t time.Time) time.Time {
	t = t.UTC()
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}

func dateString(t time.Time) string { return t.Format(time.DateOnly) }

// daySet is a set of days as 'YYYY-MM-DD'.
type daySet map[string]bool

// list is the set as the statements take it: sorted, after a ” that keeps
// it typed when empty.
func (s daySet) list() []string {
	out := []string{""}
	for d := range s {
		out = append(out, d)
	}
	return out
}

type timeRange struct{ from, to time.Time }

// ranges returns the stretches of [from, to) to count raw: every stale day,
// and the partial days at either end (outside [firstDay, endDay)), merged
// where they touch so that one FINAL reads each run of days.
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
		if s[dateString(d)] {
			push(d, d.AddDate(0, 0, 1))
		}
	}
	if endDay.Before(to) {
		push(endDay, to)
	}
	return out
}

// staleDays returns the days of [from, to) that answer_days cannot serve:
// those whose raw answers do not have the fingerprint they were counted
// from (or were never counted).
func (db *DB) staleDays(ctx context.Context, survey string, from, to time.Time) (daySet, error) {
	now := map[string]fingerprint{}
	rows, err := db.conn.Query(ctx, q.SelectDayFingerprints, survey, from.Unix(), to.Unix())
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var day string
		var fp fingerprint
		if err := rows.Scan(&day, &fp.rows, &fp.versionSum); err != nil {
			rows.Close()
			return nil, err
		}
		now[day] = fp
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	counted := map[string]fingerprint{}
	rows, err = db.conn.Query(ctx, q.SelectRollupFingerprints, survey, dateString(dayOf(from)), dateString(dayOf(to).AddDate(0, 0, 1)))
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var day string
		var fp fingerprint
		if err := rows.Scan(&day, &fp.rows, &fp.versionSum); err != nil {
			rows.Close()
			return nil, err
		}
		counted[day] = fp
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	stale := daySet{}
	for day, fp := range now {
		if c, ok := counted[day]; !ok || c != fp {
			stale[day] = true
		}
	}
	for day, c := range counted {
		if _, ok := now[day]; !ok && c != (fingerprint{}) {
			stale[day] = true // its answers are gone: count nothing from it
		}
	}
	return stale, nil
}
