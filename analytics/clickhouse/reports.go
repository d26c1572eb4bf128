package clickhouse

import (
	"context"
	"fmt"
	"time"

	"heed/analytics"
)

// periodFunction is the ClickHouse function that maps a DateTime to the
// first day of its period. The report statement takes it as {period}: an
// identifier chosen here, never from input.
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

// Report computes the NPS trend of rq.Survey: ClickHouse counts responses
// per (period, score, reasons), analytics.Report turns the counts into NPS.
func (db *DB) Report(ctx context.Context, rq analytics.ReportQuery) (*analytics.Report, error) {
	fn, err := periodFunction(rq.Interval)
	if err != nil {
		return nil, err
	}
	stmt, err := WithIdent(q.SelectReport, "period", fn)
	if err != nil {
		return nil, err
	}
	minConfirmed := uint8(1)
	if rq.IncludeUnconfirmed {
		minConfirmed = 0
	}
	from, to := rq.From.Unix(), rq.To.Unix()
	rows, err := db.conn.Query(ctx, stmt,
		rq.Survey.ID, rq.Survey.ID, from, to, propertyPairs(rq.Properties), from, to, minConfirmed)
	if err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	defer rows.Close()
	rep := analytics.NewReport(rq)
	for rows.Next() {
		var (
			period  time.Time
			score   uint8
			reasons []string
			n       uint64
		)
		if err := rows.Scan(&period, &score, &reasons, &n); err != nil {
			return nil, fmt.Errorf("report: %w", err)
		}
		if err := rep.Add(period, score, reasons, int(n)); err != nil {
			return nil, err
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	rep.Finish()
	return rep, nil
}
