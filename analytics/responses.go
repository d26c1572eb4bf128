package analytics

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
)

// Response is one answer to a survey. A later Response with the same
// ResponseID replaces the earlier one in reports (highest Version wins).
type Response struct {
	SurveyID   string
	ResponseID uuid.UUID
	// CreatedAt is when the response was first answered; reports put the
	// response in that period.
	CreatedAt time.Time
	// Version orders answers with the same ResponseID: the time of this
	// answer in nanoseconds.
	Version    uint64
	Score      uint8
	Reasons    []string
	Comment    string
	Channel    string
	Respondent string
	Properties map[string]string
	// Unconfirmed marks a score recorded by an email link's GET alone, which
	// a link scanner may have made; Flags says why it looked suspicious.
	// Reports skip unconfirmed answers unless asked, and a confirmed answer
	// always beats an unconfirmed one.
	Unconfirmed bool
	Flags       string
}

const insertResponses = `INSERT INTO responses (survey_id, created_at, response_id, version, score,
	reasons, comment, channel, respondent, property_keys, property_values, confirmed, flags)`

// InsertResponses writes rows in one batch. The Writer calls it; it is
// exported for tools (seeding, the naive baseline in make bench).
func (db *DB) InsertResponses(ctx context.Context, rows []Response) error {
	return db.insert(ctx, "insert responses", insertResponses, len(rows), func(i int) []any {
		r := &rows[i]
		keys, values := splitProperties(r.Properties)
		reasons := r.Reasons
		if reasons == nil {
			reasons = []string{}
		}
		confirmed := uint8(1)
		if r.Unconfirmed {
			confirmed = 0
		}
		return []any{r.SurveyID, r.CreatedAt.UTC(), r.ResponseID, r.Version, r.Score,
			reasons, r.Comment, r.Channel, r.Respondent, keys, values, confirmed, r.Flags}
	})
}

// Answer is one response as a manager reads it: the last answer of its
// response_id.
type Answer struct {
	ResponseID string    `json:"response_id"`
	CreatedAt  time.Time `json:"created_at"`
	Score      uint8     `json:"score"`
	Reasons    []string  `json:"reasons"`
	Comment    string    `json:"comment"`
	Channel    string    `json:"channel"`
	Respondent string    `json:"respondent"`
	Confirmed  bool      `json:"confirmed"`
	Flags      string    `json:"flags,omitempty"`
}

// ListAnswers returns the answers of q (survey, range, segment; unconfirmed
// ones included and marked) first given in range, newest first, each
// response_id once with its last answer (see reportQuery).
func (db *DB) ListAnswers(ctx context.Context, q ReportQuery, limit int) ([]Answer, error) {
	segment, segmentArgs := propertyFilter(q.Properties)
	args := append([]any{q.Survey.ID, q.Survey.ID, q.From.Unix(), q.To.Unix()}, segmentArgs...)
	args = append(args, q.From.Unix(), q.To.Unix(), limit)
	rows, err := db.conn.Query(ctx, `
		SELECT toString(response_id) AS id,
			min(created_at) AS first_at,
			`+lastAnswer("score")+` AS last_score,
			`+lastAnswer("reasons")+` AS last_reasons,
			`+lastAnswer("comment")+` AS last_comment,
			argMax(channel, version) AS last_channel,
			argMax(respondent, version) AS last_respondent,
			max(confirmed) AS any_confirmed,
			argMax(flags, version) AS last_flags
		FROM responses
		WHERE survey_id = ? AND response_id IN (`+responsesInRange+`)`+segment+`
		GROUP BY response_id
		HAVING first_at >= toDateTime(?) AND first_at < toDateTime(?)
		ORDER BY first_at DESC, id
		LIMIT ?`, args...)
	if err != nil {
		return nil, fmt.Errorf("list answers: %w", err)
	}
	defer rows.Close()
	out := []Answer{}
	for rows.Next() {
		var a Answer
		var confirmed uint8
		if err := rows.Scan(&a.ResponseID, &a.CreatedAt, &a.Score, &a.Reasons, &a.Comment, &a.Channel, &a.Respondent, &confirmed, &a.Flags); err != nil {
			return nil, fmt.Errorf("list answers: %w", err)
		}
		a.Confirmed = confirmed == 1
		out = append(out, a)
	}
	return out, rows.Err()
}

// lastAnswer is the aggregate that picks a response's answer for column:
// its last confirmed answer when it has one, else its last answer. So a
// link scanner's later GET never overrides what the person confirmed.
func lastAnswer(column string) string {
	return "if(max(confirmed) = 1, argMaxIf(" + column + ", version, confirmed = 1), argMax(" + column + ", version))"
}
