package clickhouse

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"heed/analytics"
)

// SaveSend stores a send (the latest version wins).
func (db *DB) SaveSend(ctx context.Context, s analytics.Send) error {
	body, err := json.Marshal(s)
	if err != nil {
		return err
	}
	now := time.Now().UTC()
	return db.insert(ctx, "save send", q.InsertSend, 1, func(int) []any {
		return []any{s.ID, uint64(now.UnixNano()), string(body), now}
	})
}

// GetSend loads a send; analytics.ErrNotFound when it does not exist.
func (db *DB) GetSend(ctx context.Context, id string) (analytics.Send, error) {
	var s analytics.Send
	var body string
	rows, err := db.conn.Query(ctx, q.SelectSend, id)
	if err != nil {
		return s, fmt.Errorf("get send: %w", err)
	}
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return s, fmt.Errorf("get send: %w", err)
		}
		return s, analytics.ErrNotFound
	}
	if err := rows.Scan(&body); err != nil {
		return s, fmt.Errorf("get send: %w", err)
	}
	return s, json.Unmarshal([]byte(body), &s)
}

// ListSends returns the sends created since a time.
func (db *DB) ListSends(ctx context.Context, since time.Time) ([]analytics.Send, error) {
	rows, err := db.conn.Query(ctx, q.SelectSends)
	if err != nil {
		return nil, fmt.Errorf("list sends: %w", err)
	}
	defer rows.Close()
	var out []analytics.Send
	for rows.Next() {
		var body string
		var s analytics.Send
		if err := rows.Scan(&body); err != nil {
			return nil, fmt.Errorf("list sends: %w", err)
		}
		if json.Unmarshal([]byte(body), &s) == nil && !s.CreatedAt.Before(since) {
			out = append(out, s)
		}
	}
	return out, rows.Err()
}

// LogSends records send log entries; a later entry of the same contact
// (same send and kind) replaces the earlier one.
func (db *DB) LogSends(ctx context.Context, entries []analytics.SendLogEntry) error {
	now := time.Now().UTC()
	v := uint64(now.UnixNano())
	return db.insert(ctx, "log sends", q.InsertSendLog, len(entries), func(i int) []any {
		e := entries[i]
		return []any{e.SendID, e.Kind, e.ContactID, e.Status, e.SurveyID, e.Email, now, v + uint64(i)}
	})
}

// SendStatuses returns each contact's latest status in a send (of a kind).
func (db *DB) SendStatuses(ctx context.Context, sendID, kind string) (map[string]string, error) {
	rows, err := db.conn.Query(ctx, q.SelectSendStatuses, sendID, kind)
	if err != nil {
		return nil, fmt.Errorf("send statuses: %w", err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var id, status string
		if err := rows.Scan(&id, &status); err != nil {
			return nil, fmt.Errorf("send statuses: %w", err)
		}
		out[id] = status
	}
	return out, rows.Err()
}

// SendCounts counts a send's contacts by latest status, per kind.
func (db *DB) SendCounts(ctx context.Context, sendID string) (map[string]map[string]int, error) {
	rows, err := db.conn.Query(ctx, q.SelectSendCounts, sendID)
	if err != nil {
		return nil, fmt.Errorf("send counts: %w", err)
	}
	defer rows.Close()
	out := map[string]map[string]int{}
	for rows.Next() {
		var kind, status string
		var n uint64
		if err := rows.Scan(&kind, &status, &n); err != nil {
			return nil, fmt.Errorf("send counts: %w", err)
		}
		if out[kind] == nil {
			out[kind] = map[string]int{}
		}
		out[kind][status] = int(n)
	}
	return out, rows.Err()
}

// RecentlyAsked returns the contacts asked about a survey since a time, by
// any channel: emailed (any send), or answered (widget, link, API...).
func (db *DB) RecentlyAsked(ctx context.Context, surveyID string, since time.Time) (map[string]bool, error) {
	emailed, err := db.idSet(ctx, q.SelectEmailedContacts, surveyID, since.Unix())
	if err != nil {
		return nil, fmt.Errorf("recently asked: %w", err)
	}
	answered, err := db.Responded(ctx, surveyID, since)
	if err != nil {
		return nil, err
	}
	for id := range answered {
		emailed[id] = true
	}
	return emailed, nil
}

// InsertEmailEvents stores events; duplicates (same sg_event_id) fold away
// and are counted once by EmailEventCounts.
func (db *DB) InsertEmailEvents(ctx context.Context, events []analytics.EmailEvent) error {
	return db.insert(ctx, "insert email events", q.InsertEmailEvents, len(events), func(i int) []any {
		e := events[i]
		return []any{e.ID, e.Event, e.Email, e.ContactID, e.SendID, e.SurveyID, e.Reason, e.At.UTC()}
	})
}

// EmailEventCounts counts distinct events of a send by type.
func (db *DB) EmailEventCounts(ctx context.Context, sendID string) (map[string]int, error) {
	rows, err := db.conn.Query(ctx, q.SelectEmailEventCounts, sendID)
	if err != nil {
		return nil, fmt.Errorf("email event counts: %w", err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var ev string
		var n uint64
		if err := rows.Scan(&ev, &n); err != nil {
			return nil, fmt.Errorf("email event counts: %w", err)
		}
		out[ev] = int(n)
	}
	return out, rows.Err()
}

// The store is every analytics interface.
var _ analytics.Store = (*DB)(nil)
