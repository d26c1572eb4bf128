package clickhouse

import (
	"context"
	"fmt"

	"heed/analytics"
)

// InsertDismissals writes dismissals in one batch; the writer calls it.
func (db *DB) InsertDismissals(ctx context.Context, rows []analytics.Dismissal) error {
	rows, err := db.unerasedDismissals(ctx, rows)
	if err != nil {
		return fmt.Errorf("insert dismissals: %w", err)
	}
	return db.insert(ctx, "insert dismissals", q.InsertDismissals, len(rows), func(i int) []any {
		d := rows[i]
		return []any{d.SurveyID, d.CreatedAt.UTC(), d.DismissalID, d.Respondent}
	})
}
