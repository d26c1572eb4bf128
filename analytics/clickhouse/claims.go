package clickhouse

import (
	"context"
	"fmt"
	"time"

	"heed/analytics"
)

// SaveClaim writes one row of a claim (analytics.ClaimStore).
func (db *DB) SaveClaim(ctx context.Context, r analytics.ClaimRow) error {
	return db.insert(ctx, "save claim", q.InsertClaim, 1, func(int) []any {
		return []any{r.Job, r.Holder, nanos(r.At), nanos(r.Expires), r.Version}
	})
}

// Claims returns each holder's latest row of job's claim.
func (db *DB) Claims(ctx context.Context, job string) ([]analytics.ClaimRow, error) {
	rows, err := db.conn.Query(ctx, q.SelectClaims, job)
	if err != nil {
		return nil, fmt.Errorf("claims: %w", err)
	}
	defer rows.Close()
	var out []analytics.ClaimRow
	for rows.Next() {
		r := analytics.ClaimRow{Job: job}
		var at, expires uint64
		if err := rows.Scan(&r.Holder, &at, &expires, &r.Version); err != nil {
			return nil, fmt.Errorf("claims: %w", err)
		}
		r.At, r.Expires = fromNanos(at), fromNanos(expires)
		out = append(out, r)
	}
	return out, rows.Err()
}

// nanos is t in ns since the epoch; the zero time is 0.
func nanos(t time.Time) uint64 {
	if t.IsZero() || t.UnixNano() < 0 {
		return 0
	}
	return uint64(t.UnixNano())
}

// fromNanos reads nanos: 0 is the zero time.
func fromNanos(n uint64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, int64(n)).UTC()
}
