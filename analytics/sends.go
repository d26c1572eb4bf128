package analytics

import (
	"context"
	"encoding/json"
	"fmt"
	"time"
)

// Send is one emailing of a survey to a selection of contacts.
type Send struct {
	ID           string        `json:"id"`
	SurveyID     string        `json:"survey_id"`
	Filter       ContactFilter `json:"filter"`
	ReminderDays int           `json:"reminder_days,omitempty"`
	CreatedAt    time.Time     `json:"created_at"`
}

// SaveSend stores a send (the latest version wins).
func (db *DB) SaveSend(ctx context.Context, s Send) error {
	body, err := json.Marshal(s)
	if err != nil {
		return err
	}
	now := time.Now().UTC()
	return db.insert(ctx, "save send", "INSERT INTO sends (send_id, version, body, updated_at)", 1, func(int) []any {
		return []any{s.ID, uint64(now.UnixNano()), string(body), now}
	})
}

// GetSend loads a send; ErrNotFound when it does not exist.
func (db *DB) GetSend(ctx context.Context, id string) (Send, error) {
	var s Send
	var body string
	rows, err := db.conn.Query(ctx, "SELECT argMax(body, version) FROM sends WHERE send_id = ? GROUP BY send_id", id)
	if err != nil {
		return s, fmt.Errorf("get send: %w", err)
	}
	defer rows.Close()
	if !rows.Next() {
		return s, ErrNotFound
	}
	if err := rows.Scan(&body); err != nil {
		return s, fmt.Errorf("get send: %w", err)
	}
	return s, json.Unmarshal([]byte(body), &s)
}

// Send log statuses.
const (
	SendSending          = "sending" // written before the SendGrid request: never retried
	SendSent             = "sent"
	SendFailed           = "failed" // SendGrid refused the batch: may be retried
	SendSkippedSupressed = "skipped_suppressed"
	SendSkippedRecent    = "skipped_recent"
)

// Send kinds.
const (
	KindInitial  = "initial"
	KindReminder = "reminder"
)

// SendLogEntry is what happened to one contact of a send.
type SendLogEntry struct {
	SendID, Kind, ContactID, Status, SurveyID, Email string
}

// LogSends records send log entries.
func (db *DB) LogSends(ctx context.Context, entries []SendLogEntry) error {
	now := time.Now().UTC()
	v := uint64(now.UnixNano())
	return db.insert(ctx, "log sends", "INSERT INTO send_log (send_id, kind, contact_id, status, survey_id, email, created_at, version)",
		len(entries), func(i int) []any {
			e := entries[i]
			return []any{e.SendID, e.Kind, e.ContactID, e.Status, e.SurveyID, e.Email, now, v + uint64(i)}
		})
}

// SendStatuses returns each contact's latest status in a send (of a kind).
func (db *DB) SendStatuses(ctx context.Context, sendID, kind string) (map[string]string, error) {
	rows, err := db.conn.Query(ctx, `SELECT contact_id, argMax(status, version) FROM send_log
		WHERE send_id = ? AND kind = ? GROUP BY contact_id`, sendID, kind)
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
	rows, err := db.conn.Query(ctx, `SELECT kind, status, count() FROM (
			SELECT kind, contact_id, argMax(status, version) AS status FROM send_log
			WHERE send_id = ? GROUP BY kind, contact_id)
		GROUP BY kind, status`, sendID)
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
	// The latest status of each contact in each send: a batch that failed
	// was logged "sending" first, and must not count as asked.
	emailed, err := db.idSet(ctx, `SELECT DISTINCT contact_id FROM (
			SELECT send_id, kind, contact_id, argMax(status, version) AS last_status FROM send_log
			WHERE survey_id = ? AND created_at >= toDateTime(?)
			GROUP BY send_id, kind, contact_id)
		WHERE last_status IN ('sending', 'sent')`, surveyID, since.Unix())
	if err != nil {
		return nil, fmt.Errorf("recently asked: %w", err)
	}
	answered, err := db.idSet(ctx, `SELECT DISTINCT respondent FROM responses
		WHERE survey_id = ? AND created_at >= toDateTime(?) AND respondent != '' AND confirmed = 1`, surveyID, since.Unix())
	if err != nil {
		return nil, fmt.Errorf("recently asked: %w", err)
	}
	for id := range answered {
		emailed[id] = true
	}
	return emailed, nil
}

// Responded returns the contacts who answered a survey since a time
// (reminders skip them). A link scanner's unconfirmed click is no answer.
func (db *DB) Responded(ctx context.Context, surveyID string, since time.Time) (map[string]bool, error) {
	return db.idSet(ctx, `SELECT DISTINCT respondent FROM responses
		WHERE survey_id = ? AND created_at >= toDateTime(?) AND respondent != '' AND confirmed = 1`, surveyID, since.Unix())
}

// EmailEvent is one SendGrid Event Webhook event.
type EmailEvent struct {
	ID, Event, Email, ContactID, SendID, SurveyID, Reason string
	At                                                    time.Time
}

// InsertEmailEvents stores events; duplicates (same sg_event_id) fold away
// and are counted once by EmailEventCounts.
func (db *DB) InsertEmailEvents(ctx context.Context, events []EmailEvent) error {
	return db.insert(ctx, "insert email events", "INSERT INTO email_events (sg_event_id, event, email, contact_id, send_id, survey_id, reason, created_at)",
		len(events), func(i int) []any {
			e := events[i]
			return []any{e.ID, e.Event, e.Email, e.ContactID, e.SendID, e.SurveyID, e.Reason, e.At.UTC()}
		})
}

// EmailEventCounts counts distinct events of a send by type.
func (db *DB) EmailEventCounts(ctx context.Context, sendID string) (map[string]int, error) {
	rows, err := db.conn.Query(ctx, "SELECT event, uniqExact(sg_event_id) FROM email_events WHERE send_id = ? GROUP BY event", sendID)
	if err != nil {
		return nil, fmt.Errorf("email event counts: %w", err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var ev string
		var n uint64
		if err := rows.Scan(&ev, &n); err != nil {
			return nil, err
		}
		out[ev] = int(n)
	}
	return out, rows.Err()
}

// ListSends returns the sends created since a time.
func (db *DB) ListSends(ctx context.Context, since time.Time) ([]Send, error) {
	rows, err := db.conn.Query(ctx, "SELECT argMax(body, version) FROM sends GROUP BY send_id")
	if err != nil {
		return nil, fmt.Errorf("list sends: %w", err)
	}
	defer rows.Close()
	var out []Send
	for rows.Next() {
		var body string
		var s Send
		if err := rows.Scan(&body); err != nil {
			return nil, fmt.Errorf("list sends: %w", err)
		}
		if json.Unmarshal([]byte(body), &s) == nil && !s.CreatedAt.Before(since) {
			out = append(out, s)
		}
	}
	return out, rows.Err()
}
