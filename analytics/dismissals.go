package analytics

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
)

// Dismissal is a widget closed without an answer.
type Dismissal struct {
	SurveyID    string
	DismissalID uuid.UUID
	CreatedAt   time.Time
	Respondent  string
}

// InsertDismissals writes dismissals in one batch; the Writer calls it.
func (db *DB) InsertDismissals(ctx context.Context, rows []Dismissal) error {
	return db.insert(ctx, "insert dismissals", "INSERT INTO dismissals (survey_id, created_at, dismissal_id, respondent)", len(rows), func(i int) []any {
		d := rows[i]
		return []any{d.SurveyID, d.CreatedAt.UTC(), d.DismissalID, d.Respondent}
	})
}

// LastContact returns when a respondent last answered and last dismissed
// a survey (zero times when never), for the widget's recontact rule.
func (db *DB) LastContact(ctx context.Context, surveyID, respondent string) (answered, dismissed time.Time, err error) {
	// max() over no rows is 1970-01-01 on every version: read as "never".
	err = db.conn.QueryRow(ctx, `
		SELECT
			(SELECT max(created_at) FROM responses WHERE survey_id = ? AND respondent = ?),
			(SELECT max(created_at) FROM dismissals WHERE survey_id = ? AND respondent = ?)`,
		surveyID, respondent, surveyID, respondent).Scan(&answered, &dismissed)
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
