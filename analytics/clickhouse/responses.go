package clickhouse

import (
	"context"
	"fmt"
	"sort"
	"time"

	"heed/analytics"
)

// InsertResponses writes rows in one batch. The writer (analytics/ingest)
// calls it; so do tools (seeding, the naive baseline in make bench).
func (db *DB) InsertResponses(ctx context.Context, rows []analytics.Response) error {
	return db.insert(ctx, "insert responses", q.InsertResponses, len(rows), func(i int) []any {
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

// ListAnswers returns the answers of q (survey, range, segment; unconfirmed
// ones included and marked) first given in range, newest first.
func (db *DB) ListAnswers(ctx context.Context, rq analytics.ReportQuery, limit int) ([]analytics.Answer, error) {
	from, to := rq.From.Unix(), rq.To.Unix()
	rows, err := db.conn.Query(ctx, q.SelectAnswers,
		rq.Survey.ID, rq.Survey.ID, from, to, propertyPairs(rq.Properties), from, to, limit)
	if err != nil {
		return nil, fmt.Errorf("list answers: %w", err)
	}
	defer rows.Close()
	out := []analytics.Answer{}
	for rows.Next() {
		var a analytics.Answer
		var confirmed uint8
		if err := rows.Scan(&a.ResponseID, &a.CreatedAt, &a.Score, &a.Reasons, &a.Comment, &a.Channel, &a.Respondent, &confirmed, &a.Flags); err != nil {
			return nil, fmt.Errorf("list answers: %w", err)
		}
		a.Confirmed = confirmed == 1
		out = append(out, a)
	}
	return out, rows.Err()
}

// LastContact returns when a respondent last answered and last dismissed
// a survey (zero times when never), for the widget's recontact rule.
func (db *DB) LastContact(ctx context.Context, surveyID, respondent string) (answered, dismissed time.Time, err error) {
	err = db.conn.QueryRow(ctx, q.SelectLastContact, surveyID, respondent, surveyID, respondent).Scan(&answered, &dismissed)
	if err != nil {
		return time.Time{}, time.Time{}, fmt.Errorf("last contact: %w", err)
	}
	if answered.Unix() <= 0 {
		answered = time.Time{}
	}
	if dismissed.Unix() <= 0 {
		dismissed = time.Time{}
	}
	return answered, dismissed, nil
}

// Responded returns the respondents who answered a survey since a time
// (reminders skip them). A link scanner's unconfirmed click is no answer.
func (db *DB) Responded(ctx context.Context, surveyID string, since time.Time) (map[string]bool, error) {
	ids, err := db.idSet(ctx, q.SelectAnsweredRespondents, surveyID, since.Unix())
	if err != nil {
		return nil, fmt.Errorf("responded: %w", err)
	}
	return ids, nil
}

// splitProperties stores a property map as two arrays sorted by key.
func splitProperties(props map[string]string) (keys, values []string) {
	keys = make([]string, 0, len(props))
	for k := range props {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	values = make([]string, len(keys))
	for i, k := range keys {
		values[i] = props[k]
	}
	return keys, values
}

// propertyPairs is a segment or a contact filter as the statements take
// it: "key\x00value" for each pair, which must all be present
// (hasAll(arrayMap((k, v) -> concat(k, '\0', v), ...), ?)). Empty keeps
// everything. Keys hold no control characters (analytics.CheckProperties),
// so no two pairs look alike.
func propertyPairs(props map[string]string) []string {
	pairs := make([]string, 0, len(props))
	for k, v := range props {
		pairs = append(pairs, k+"\x00"+v)
	}
	sort.Strings(pairs)
	return pairs
}
