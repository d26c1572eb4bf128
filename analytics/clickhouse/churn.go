package clickhouse

import (
	"context"
	"fmt"
	"math"
	"sync"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"heed/analytics"
)

// churnClock hands out churn versions: the time of the write in
// nanoseconds, strictly increasing within this process, so that of two
// writes about a customer the later one wins even within one nanosecond
// (a batch takes one version per record).
var churnClock struct {
	sync.Mutex
	last uint64
}

// churnVersions reserves n consecutive versions and returns the first.
func churnVersions(n int) uint64 {
	churnClock.Lock()
	defer churnClock.Unlock()
	v := uint64(time.Now().UnixNano())
	if v <= churnClock.last {
		v = churnClock.last + 1
	}
	churnClock.last = v + uint64(n) - 1
	return v
}

// UpsertChurn writes churn records; for each customer the last write wins
// (its version is the time of the write).
func (db *DB) UpsertChurn(ctx context.Context, records []analytics.Churn) error {
	if len(records) == 0 {
		return nil
	}
	now := time.Now().UTC()
	base := churnVersions(len(records))
	return db.insert(ctx, "upsert churn", q.InsertChurn, len(records), func(i int) []any {
		c := records[i]
		has := uint8(0)
		if c.HasRevenue {
			has = 1
		}
		return []any{c.Customer, base + uint64(i), uint8(0), c.Email, c.ChurnedAt.UTC(), c.Reason, c.Revenue, has, now}
	})
}

// WithdrawChurn writes a tombstone for each customer: a row whose version
// (the time of the withdrawal) wins over every earlier write, which
// reports skip.
func (db *DB) WithdrawChurn(ctx context.Context, customers []string) error {
	if len(customers) == 0 {
		return nil
	}
	now := time.Now().UTC()
	base := churnVersions(len(customers))
	return db.insert(ctx, "withdraw churn", q.InsertChurn, len(customers), func(i int) []any {
		return []any{customers[i], base + uint64(i), uint8(1), "", time.Unix(0, 0).UTC(), "", 0.0, uint8(0), now}
	})
}

// ChurnRecorded returns which of the customers have a churn record that is
// not withdrawn, looked up a chunk at a time.
func (db *DB) ChurnRecorded(ctx context.Context, customers []string) (map[string]bool, error) {
	out := map[string]bool{}
	for start := 0; start < len(customers); start += lookupChunk {
		chunk := customers[start:min(start+lookupChunk, len(customers))]
		ids, err := db.idSet(ctx, q.SelectChurnRecorded, chunk)
		if err != nil {
			return nil, fmt.Errorf("churn recorded: %w", err)
		}
		for id := range ids {
			out[id] = true
		}
	}
	return out, nil
}

// ChurnReport counts the customers who answered q's survey by status (the
// rule of analytics.ClassifyChurn) and last answer, in one query: over
// answer_customers (a row per customer) for the whole survey, over the
// answers of the range when q has one.
func (db *DB) ChurnReport(ctx context.Context, cq analytics.ChurnQuery) (*analytics.ChurnReport, error) {
	sv := cq.Survey
	reasons := sv.AllReasons() // every group's follow-up's too
	ids := make([]string, 0, len(reasons)+1)
	ids = append(ids, "") // never an empty literal (no type on 18.16); index 1, no reason's
	for _, r := range reasons {
		ids = append(ids, r.ID)
	}
	if len(reasons) > 58 {
		return nil, fmt.Errorf("churn report: %d reasons do not fit the answer's 64 bits", len(reasons))
	}
	w, today := int64(cq.WindowDays), analytics.DayNumber(cq.Today)
	var rows driver.Rows
	var err error
	if cq.Ranged() {
		from, to := cq.From, cq.To
		if to.IsZero() {
			to = time.Unix(math.MaxUint32, 0)
		}
		minConfirmed := uint8(1)
		if cq.IncludeUnconfirmed {
			minConfirmed = 0
		}
		rows, err = db.conn.Query(ctx, q.SelectChurnRangeReport, w, today, w, ids, sv.ID, max(from.Unix(), 0), to.Unix(), minConfirmed)
	} else {
		minVersion := confirmedBit
		if cq.IncludeUnconfirmed {
			minVersion = 0
		}
		rows, err = db.conn.Query(ctx, q.SelectChurnReport, w, today, w, ids, sv.ID, minVersion)
	}
	if err != nil {
		return nil, fmt.Errorf("churn report: %w", err)
	}
	defer rows.Close()
	tally := analytics.NewChurnTally(sv)
	for rows.Next() {
		var status string
		var answer, n, revenueCustomers uint64
		var revenue float64
		if err := rows.Scan(&status, &answer, &n, &revenue, &revenueCustomers); err != nil {
			return nil, fmt.Errorf("churn report: %w", err)
		}
		score, cited := decodeAnswer(answer, reasons)
		if err := tally.Add(analytics.ChurnStatus(status), score, cited, int(n), revenue, int(revenueCustomers)); err != nil {
			return nil, err
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("churn report: %w", err)
	}
	return tally.Finish(), nil
}

// decodeAnswer reads a last answer as select-churn-report packs it: the
// score in bits 0-3, the survey's j-th reason (0-based, of AllReasons) in
// bit 5 + j.
func decodeAnswer(answer uint64, all []analytics.OfferedReason) (uint8, []string) {
	var reasons []string
	for j, r := range all {
		if answer&(1<<(5+j)) != 0 {
			reasons = append(reasons, r.ID)
		}
	}
	return uint8(answer & 15), reasons
}
