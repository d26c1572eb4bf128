package clickhouse

import (
	"context"
	"fmt"
	"time"

	"heed/analytics"
)

// SendFunnels returns what became of the survey emails of each send of a
// survey started in [from, to): emailed, delivered, opened, answered.
// Answers are looked for from the first send's start to within window (how
// long an emailed link works) of the last one's, and only those of the
// contacts each send emailed count: answered <= emailed.
func (db *DB) SendFunnels(ctx context.Context, surveyID string, from, to time.Time, window time.Duration) ([]analytics.SendFunnel, error) {
	rows, err := db.conn.Query(ctx, q.SelectSendEmailed, surveyID, from.Unix(), to.Unix())
	if err != nil {
		return nil, fmt.Errorf("send funnels: %w", err)
	}
	var out []analytics.SendFunnel
	index := map[string]int{}
	var ids []string
	var first, last time.Time
	for rows.Next() {
		var f analytics.SendFunnel
		var started uint32
		var emailed uint64
		if err := rows.Scan(&f.SendID, &started, &emailed); err != nil {
			rows.Close()
			return nil, fmt.Errorf("send funnels: %w", err)
		}
		f.StartedAt, f.Emailed = time.Unix(int64(started), 0).UTC(), int(emailed)
		if first.IsZero() || f.StartedAt.Before(first) {
			first = f.StartedAt
		}
		if f.StartedAt.After(last) {
			last = f.StartedAt
		}
		index[f.SendID] = len(out)
		ids = append(ids, f.SendID)
		out = append(out, f)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("send funnels: %w", err)
	}
	if len(out) == 0 {
		return out, nil
	}
	err = parallel(
		func() error {
			return db.sendCounts(ctx, q.SelectSendEvents, []any{surveyID, ids}, true, func(send, event string, n int) {
				switch event {
				case "delivered":
					out[index[send]].Delivered = n
				case "open":
					out[index[send]].Opened = n
				}
			})
		},
		func() error {
			// The sends' own range again: the answers of the contacts
			// emailed counts, no other (select-send-answers).
			args := []any{surveyID, first.Unix(), last.Add(window).Unix(), ids, surveyID, from.Unix(), to.Unix(), ids}
			return db.sendCounts(ctx, q.SelectSendAnswers, args, false, func(send, _ string, n int) {
				out[index[send]].Answered = n
			})
		})
	if err != nil {
		return nil, fmt.Errorf("send funnels: %w", err)
	}
	return out, nil
}

// sendCounts reads rows of (send, [event,] count) into fn.
func (db *DB) sendCounts(ctx context.Context, stmt string, args []any, withEvent bool, fn func(send, event string, n int)) error {
	rows, err := db.conn.Query(ctx, stmt, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var send, event string
		var n uint64
		dest := []any{&send, &n}
		if withEvent {
			dest = []any{&send, &event, &n}
		}
		if err := rows.Scan(dest...); err != nil {
			return err
		}
		fn(send, event, int(n))
	}
	return rows.Err()
}
