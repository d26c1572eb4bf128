package clickhouse

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

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
		sv := analytics.Survey{Widget: analytics.DefaultWidgetSettings(), Version: 1}
		if err := json.Unmarshal([]byte(body), &sv); err != nil {
			return nil, fmt.Errorf("survey %s: %w", id, err)
		}
		out = append(out, &sv)
	}
	return out, rows.Err()
}

// SurveysMark returns what changes whenever a survey is written or deleted.
func (db *DB) SurveysMark(ctx context.Context) (string, error) {
	var mark string
	err := db.conn.QueryRow(ctx, q.SelectSurveysMark).Scan(&mark)
	return mark, err
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

// DeleteSurvey writes a survey's tombstone: a version above every other
// that LoadSurveys skips, on every instance.
func (db *DB) DeleteSurvey(ctx context.Context, id string, at time.Time) error {
	return db.insert(ctx, "insert survey tombstone", q.InsertSurvey, 1, func(int) []any {
		return []any{id, uint64(at.UnixNano()), uint8(1), "{}", at.UTC()}
	})
}

// SaveSurveyVersion records one change of a survey.
func (db *DB) SaveSurveyVersion(ctx context.Context, v analytics.SurveyVersion) error {
	changes := v.Changes
	if changes == nil {
		changes = []analytics.FieldChange{}
	}
	body, err := json.Marshal(changes)
	if err != nil {
		return err
	}
	return db.insert(ctx, "insert survey version", q.InsertSurveyVersion, 1, func(int) []any {
		return []any{v.SurveyID, uint32(v.Version), v.At.UTC(), v.Action, string(body)}
	})
}

// SurveyVersions returns a survey's changes, newest first.
func (db *DB) SurveyVersions(ctx context.Context, surveyID string) ([]analytics.SurveyVersion, error) {
	rows, err := db.conn.Query(ctx, q.SelectSurveyVersions, surveyID)
	if err != nil {
		return nil, fmt.Errorf("survey versions: %w", err)
	}
	defer rows.Close()
	out := []analytics.SurveyVersion{}
	for rows.Next() {
		var version uint32
		var at time.Time
		var action, changes string
		if err := rows.Scan(&version, &at, &action, &changes); err != nil {
			return nil, fmt.Errorf("survey versions: %w", err)
		}
		v := analytics.SurveyVersion{SurveyID: surveyID, Version: int(version), At: at.UTC(), Action: action}
		if err := json.Unmarshal([]byte(changes), &v.Changes); err != nil {
			return nil, fmt.Errorf("survey %s version %d: %w", surveyID, version, err)
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// SurveyAnswerCounts counts each survey's responses over response_starts (a
// narrow table with a row per response), not over answers.
func (db *DB) SurveyAnswerCounts(ctx context.Context) (map[string]analytics.AnswerCount, error) {
	rows, err := db.conn.Query(ctx, q.SelectSurveyAnswerCounts)
	if err != nil {
		return nil, fmt.Errorf("survey answer counts: %w", err)
	}
	defer rows.Close()
	out := map[string]analytics.AnswerCount{}
	for rows.Next() {
		var id string
		var n uint64
		var last time.Time
		if err := rows.Scan(&id, &n, &last); err != nil {
			return nil, fmt.Errorf("survey answer counts: %w", err)
		}
		out[id] = analytics.AnswerCount{Answers: int(n), LastAnswerAt: last.UTC()}
	}
	return out, rows.Err()
}

// purgeTables are the tables holding rows of a survey by survey_id: its
// answers and everything derived from them, its dismissals, the cases on
// its answers and their notes, its sends' log and events, its digests and
// its versions. (The sends themselves name it in their body: sends below.)
// TestPurgeSurveyLeavesNoRow walks system.columns for every survey_id
// column, so a table added without being listed here fails it.
var purgeTables = []string{"answers", "response_starts", "answer_days", "answer_marks", "answer_touches", "answer_customers", "responses",
	"dismissals", "cases", "case_notes", "send_log", "email_events", "digests", "survey_versions"}

// mutationPoll is how often PurgeSurvey looks at system.mutations.
const mutationPoll = 100 * time.Millisecond

// PurgeSurvey deletes a survey's rows with ALTER TABLE ... DELETE
// mutations (asynchronous on every version: lightweight DELETE is absent
// on 18.16), then waits up to wait for system.mutations to show them done.
func (db *DB) PurgeSurvey(ctx context.Context, surveyID string, wait time.Duration) (bool, error) {
	for _, table := range purgeTables {
		stmt, err := WithIdent(q.DeleteSurveyRows, "table", table)
		if err != nil {
			return false, err
		}
		if err := db.conn.Exec(ctx, stmt, surveyID); err != nil {
			return false, fmt.Errorf("purge survey %s from %s: %w", surveyID, table, err)
		}
	}
	if err := db.conn.Exec(ctx, q.DeleteSurveySends, surveyID); err != nil {
		return false, fmt.Errorf("purge survey %s sends: %w", surveyID, err)
	}
	if err := db.conn.Exec(ctx, q.DeleteSurveyBodies, surveyID); err != nil {
		return false, fmt.Errorf("purge survey %s bodies: %w", surveyID, err)
	}
	done, err := db.waitMutations(ctx, append([]string{"surveys", "sends"}, purgeTables...), wait)
	if err != nil {
		return false, fmt.Errorf("purge survey %s: %w", surveyID, err)
	}
	return done, nil
}
