package clickhouse

import (
	"context"
	"encoding/json"
	"fmt"

	"heed/analytics"
)

// LoadSurveys returns the latest version of every survey not deleted.
func (db *DB) LoadSurveys(ctx context.Context) ([]*analytics.Survey, error) {
	rows, err := db.conn.Query(ctx, q.SelectSurveys)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*analytics.Survey
	for rows.Next() {
		var id, body string
		var deleted uint8
		if err := rows.Scan(&id, &body, &deleted); err != nil {
			return nil, err
		}
		if deleted == 1 {
			continue
		}
		// Surveys saved before a field existed get its default.
		sv := analytics.Survey{Widget: analytics.DefaultWidgetSettings()}
		if err := json.Unmarshal([]byte(body), &sv); err != nil {
			return nil, fmt.Errorf("survey %s: %w", id, err)
		}
		out = append(out, &sv)
	}
	return out, rows.Err()
}

// SaveSurvey writes a new version of sv (versioned by its UpdatedAt).
func (db *DB) SaveSurvey(ctx context.Context, sv *analytics.Survey) error {
	body, err := json.Marshal(sv)
	if err != nil {
		return err
	}
	return db.insert(ctx, "insert survey", q.InsertSurvey, 1, func(int) []any {
		return []any{sv.ID, uint64(sv.UpdatedAt.UnixNano()), uint8(0), string(body), sv.UpdatedAt.UTC()}
	})
}
