package clickhouse

import (
	"context"
	"fmt"
	"time"

	"heed/analytics"
)

// RetentionCutoff tells the store, for a survey, the time before which
// answers are anonymised (zero: kept for ever); heed serve passes the
// survey cache's (analytics.Surveys.RetentionCutoff).
type RetentionCutoff func(surveyID string, now time.Time) time.Time

// SetRetention makes InsertResponses anonymise every row of an answer
// first given before its survey's cutoff, before it is stored. A mutation
// changes only the rows stored when it runs: without this, a late
// follow-up or confirmation of an old answer (or a replayed spool) would
// be stored whole, win the next merge (its version is higher) and bring a
// comment back that retention had removed. Set it before the store is
// shared.
func (db *DB) SetRetention(cutoff RetentionCutoff) { db.retention = cutoff }

// AnonymiseAnswers implements analytics.RetentionStore: for each table, a
// count first and a mutation only when it finds rows to change, so that a
// run over answers already anonymised rewrites nothing.
func (db *DB) AnonymiseAnswers(ctx context.Context, surveyID string, before time.Time, wait time.Duration) (analytics.RetentionSummary, error) {
	sum := analytics.RetentionSummary{SurveyID: surveyID, Before: before.UTC()}
	cutoff := before.Unix()
	var mutated []string
	// step counts with count and, when it finds rows, runs change.
	step := func(table, count, change string, args ...any) (uint64, error) {
		var n uint64
		if err := db.conn.QueryRow(ctx, count, args...).Scan(&n); err != nil {
			return 0, fmt.Errorf("retention of %s: count %s: %w", surveyID, table, err)
		}
		if n == 0 {
			return 0, nil
		}
		if err := db.conn.Exec(ctx, change, args...); err != nil {
			return 0, fmt.Errorf("retention of %s: %s: %w", surveyID, table, err)
		}
		mutated = append(mutated, table)
		return n, nil
	}
	// answers, by day: the days it changes get a mark once the mutation is
	// sent (their segments change), so that their counts are made again.
	var days []string
	err := db.scanRows(ctx, "retention days", q.SelectExpiredAnswerDays, []any{surveyID, cutoff}, func(r scanner) error {
		var day string
		var n uint64
		if err := r.Scan(&day, &n); err != nil {
			return err
		}
		days = append(days, day)
		sum.Answers += n
		return nil
	})
	if err != nil {
		return sum, fmt.Errorf("retention of %s: %w", surveyID, err)
	}
	if len(days) > 0 {
		change, err := WithIdent(q.AnonymiseAnswers, "table", "answers")
		if err != nil {
			return sum, err
		}
		if err := db.conn.Exec(ctx, change, surveyID, cutoff); err != nil {
			return sum, fmt.Errorf("retention of %s: answers: %w", surveyID, err)
		}
		mutated = append(mutated, "answers")
		if err := db.markDays(ctx, days); err != nil {
			return sum, fmt.Errorf("retention of %s: %w", surveyID, err)
		}
	}
	for _, table := range []string{"responses"} {
		count, err := WithIdent(q.CountExpiredAnswers, "table", table)
		if err != nil {
			return sum, err
		}
		change, err := WithIdent(q.AnonymiseAnswers, "table", table)
		if err != nil {
			return sum, err
		}
		n, err := step(table, count, change, surveyID, cutoff)
		if err != nil {
			return sum, err
		}
		sum.Answers += n
	}
	// The churn report's last answer of a customer: the version's low bits
	// are the answer's time; a customer's newer answer keeps its own row.
	if sum.Customers, err = step("answer_customers", q.CountExpiredCustomers, q.DeleteExpiredCustomers,
		surveyID, uint64(before.UnixNano())); err != nil {
		return sum, err
	}
	if sum.Dismissals, err = step("dismissals", q.CountExpiredDismissals, q.DeleteExpiredDismissals, surveyID, cutoff); err != nil {
		return sum, err
	}
	if _, err = step("answer_days", q.CountExpiredDays, q.DeleteExpiredDays, surveyID, cutoff); err != nil {
		return sum, err
	}
	// Notes of the cases of old answers (a case opens at its answer's
	// first time): their text describes the person.
	rows, err := db.conn.Query(ctx, q.SelectExpiredCaseNotes, surveyID, surveyID, cutoff)
	if err != nil {
		return sum, fmt.Errorf("retention of %s: case notes: %w", surveyID, err)
	}
	var ids []string
	for rows.Next() {
		var id string
		var n uint64
		if err := rows.Scan(&id, &n); err != nil {
			rows.Close()
			return sum, fmt.Errorf("retention of %s: case notes: %w", surveyID, err)
		}
		ids = append(ids, id)
		sum.CaseNotes += n
	}
	err = rows.Err()
	rows.Close()
	if err != nil {
		return sum, fmt.Errorf("retention of %s: case notes: %w", surveyID, err)
	}
	if len(ids) > 0 {
		if err := db.conn.Exec(bigQuery(ctx), q.EmptyCaseNotes, surveyID, ids); err != nil {
			return sum, fmt.Errorf("retention of %s: case notes: %w", surveyID, err)
		}
		mutated = append(mutated, "case_notes")
	}
	if sum.Done, err = db.waitMutations(ctx, mutated, wait); err != nil {
		return sum, fmt.Errorf("retention of %s: %w", surveyID, err)
	}
	return sum, nil
}
