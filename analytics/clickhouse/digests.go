package clickhouse

import (
	"context"
	"fmt"
	"time"

	"heed/analytics"
)

// SaveDigest writes one row of a period's digest record, with the version
// that makes merges keep the row Digest reads (DigestRecord.Version).
func (db *DB) SaveDigest(ctx context.Context, r analytics.DigestRecord) error {
	day, err := time.Parse(time.DateOnly, r.Period)
	if err != nil {
		return fmt.Errorf("save digest: period %q: %w", r.Period, err)
	}
	if r.UpdatedAt.IsZero() {
		r.UpdatedAt = time.Now()
	}
	recipients := r.Recipients
	if recipients == nil {
		recipients = []string{}
	}
	return db.insert(ctx, "save digest", q.InsertDigest, 1, func(int) []any {
		return []any{r.SurveyID, r.Schedule, day, r.Version(), uint16(r.Attempt), r.Status, r.ClaimID, r.ClaimedAt.UTC(),
			recipients, r.Detail, r.UpdatedAt.UTC()}
	})
}

// Digest returns the winning row of a survey's digest of a period.
func (db *DB) Digest(ctx context.Context, surveyID, schedule, period string) (analytics.DigestRecord, bool, error) {
	r := analytics.DigestRecord{SurveyID: surveyID, Schedule: schedule, Period: period}
	rows, err := db.conn.Query(ctx, q.SelectDigest, surveyID, schedule, period)
	if err != nil {
		return r, false, fmt.Errorf("get digest: %w", err)
	}
	defer rows.Close()
	if !rows.Next() {
		return r, false, rows.Err()
	}
	var attempt uint16
	if err := rows.Scan(&attempt, &r.Status, &r.ClaimID, &r.ClaimedAt, &r.Recipients, &r.Detail, &r.UpdatedAt); err != nil {
		return r, false, fmt.Errorf("get digest: %w", err)
	}
	r.Attempt = int(attempt)
	return r, true, rows.Err()
}
