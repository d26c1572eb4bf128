package clickhouse

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"heed/analytics"
)

// CaseAnswer returns the counting answer of one response of a survey,
// found by its sort key; analytics.ErrNotFound when there is none.
func (db *DB) CaseAnswer(ctx context.Context, surveyID string, responseID uuid.UUID) (analytics.Answer, error) {
	id := responseID.String()
	rows, err := db.conn.Query(ctx, q.SelectCaseAnswer, surveyID, surveyID, id, id)
	if err != nil {
		return analytics.Answer{}, fmt.Errorf("case answer: %w", err)
	}
	var out []analytics.Answer
	if err := scanAnswers(rows, func(a analytics.Answer) error { out = append(out, a); return nil }); err != nil {
		return analytics.Answer{}, fmt.Errorf("case answer: %w", err)
	}
	if len(out) == 0 {
		return analytics.Answer{}, analytics.ErrNotFound
	}
	return out[0], nil
}

// CaseState returns the stored state of a case; ok is false when nobody
// acted on it.
func (db *DB) CaseState(ctx context.Context, surveyID string, responseID uuid.UUID) (analytics.CaseState, bool, error) {
	st := analytics.CaseState{SurveyID: surveyID, ResponseID: responseID, Status: analytics.CaseOpen}
	rows, err := db.conn.Query(ctx, q.SelectCaseState, surveyID, responseID.String())
	if err != nil {
		return st, false, fmt.Errorf("case state: %w", err)
	}
	defer rows.Close()
	if !rows.Next() {
		return st, false, rows.Err()
	}
	if err := rows.Scan(&st.OpenedAt, &st.Status, &st.Assignee, &st.ClosedAt, &st.ClosedBy, &st.UpdatedAt); err != nil {
		return st, false, fmt.Errorf("case state: %w", err)
	}
	st.ClosedAt = zeroEpoch(st.ClosedAt)
	return st, true, rows.Err()
}

// SaveCase writes a case's whole new state and, when note is not nil,
// appends the note (first: a note without its state change is the lesser
// harm of a failure between the two).
func (db *DB) SaveCase(ctx context.Context, st analytics.CaseState, note *analytics.CaseNote) error {
	if note != nil {
		at := note.At
		if at.IsZero() {
			at = time.Now()
		}
		v := writeVersion()
		if err := db.insert(ctx, "save case note", q.InsertCaseNote, 1, func(int) []any {
			return []any{st.SurveyID, st.ResponseID, at.UTC(), v, note.Author, note.Text}
		}); err != nil {
			return err
		}
	}
	if st.UpdatedAt.IsZero() {
		st.UpdatedAt = time.Now()
	}
	closedAt := time.Unix(0, 0)
	if st.Closed() && !st.ClosedAt.IsZero() {
		closedAt = st.ClosedAt
	}
	v := writeVersion()
	return db.insert(ctx, "save case", q.InsertCase, 1, func(int) []any {
		return []any{st.SurveyID, st.ResponseID, v, st.OpenedAt.UTC(), st.Status, st.Assignee, closedAt.UTC(), st.ClosedBy, st.UpdatedAt.UTC()}
	})
}

// CaseNotes returns a case's notes, oldest first.
func (db *DB) CaseNotes(ctx context.Context, surveyID string, responseID uuid.UUID) ([]analytics.CaseNote, error) {
	rows, err := db.conn.Query(ctx, q.SelectCaseNotes, surveyID, responseID.String(), analytics.MaxCaseNotes)
	if err != nil {
		return nil, fmt.Errorf("case notes: %w", err)
	}
	defer rows.Close()
	out := []analytics.CaseNote{}
	for rows.Next() {
		n := analytics.CaseNote{SurveyID: surveyID, ResponseID: responseID}
		if err := rows.Scan(&n.At, &n.Author, &n.Text); err != nil {
			return nil, fmt.Errorf("case notes: %w", err)
		}
		out = append(out, n)
	}
	return out, rows.Err()
}

// ListCases returns the cases of cq, newest first, with the counts of its
// whole range.
func (db *DB) ListCases(ctx context.Context, cq analytics.CaseQuery) (*analytics.CaseList, error) {
	minConfirmed := uint8(1)
	if cq.IncludeUnconfirmed {
		minConfirmed = 0
	}
	from, to := cq.From.Unix(), cq.To.Unix()
	out := &analytics.CaseList{Cases: []analytics.Case{}}
	rows, err := db.conn.Query(ctx, q.SelectCases, cq.SurveyID, from, to, cq.SurveyID, minConfirmed, cq.Status, cq.Status, cq.Limit)
	if err != nil {
		return nil, fmt.Errorf("list cases: %w", err)
	}
	for rows.Next() {
		var c analytics.Case
		var confirmed, acted uint8
		st := &c.State
		if err := rows.Scan(&c.Answer.ResponseID, &c.Answer.CreatedAt, &c.Answer.Score, &c.Answer.Reasons, &c.Answer.Comment,
			&c.Answer.Channel, &c.Answer.Respondent, &confirmed, &c.Answer.Flags,
			&acted, &st.Status, &st.Assignee, &st.ClosedAt, &st.ClosedBy, &st.UpdatedAt); err != nil {
			rows.Close()
			return nil, fmt.Errorf("list cases: %w", err)
		}
		c.Answer.Confirmed, c.Acted = confirmed == 1, acted == 1
		st.SurveyID, st.ResponseID, st.OpenedAt = cq.SurveyID, uuid.MustParse(c.Answer.ResponseID), c.Answer.CreatedAt
		st.Status = analytics.CaseStatusOf(*st)
		st.ClosedAt, st.UpdatedAt = zeroEpoch(st.ClosedAt), zeroEpoch(st.UpdatedAt)
		out.Cases = append(out.Cases, c)
	}
	err = errors.Join(rows.Err(), rows.Close())
	if err != nil {
		return nil, fmt.Errorf("list cases: %w", err)
	}
	if err := db.noteCounts(ctx, cq.SurveyID, out.Cases); err != nil {
		return nil, err
	}
	s := &out.Summary
	var open, closed uint64
	if err := db.conn.QueryRow(ctx, q.SelectCaseSummary, cq.SurveyID, from, to, cq.SurveyID, minConfirmed).
		Scan(&open, &closed, &s.CloseSeconds); err != nil {
		return nil, fmt.Errorf("case summary: %w", err)
	}
	s.Open, s.Closed = int(open), int(closed)
	return out, nil
}

// noteCounts fills the NoteCount of cases, in one read.
func (db *DB) noteCounts(ctx context.Context, surveyID string, cases []analytics.Case) error {
	if len(cases) == 0 {
		return nil
	}
	ids := make([]string, len(cases))
	for i, c := range cases {
		ids[i] = c.Answer.ResponseID
	}
	rows, err := db.conn.Query(ctx, q.SelectCaseNoteCounts, surveyID, ids)
	if err != nil {
		return fmt.Errorf("case note counts: %w", err)
	}
	defer rows.Close()
	counts := map[string]int{}
	for rows.Next() {
		var id string
		var n uint64
		if err := rows.Scan(&id, &n); err != nil {
			return fmt.Errorf("case note counts: %w", err)
		}
		counts[id] = int(n)
	}
	for i := range cases {
		cases[i].NoteCount = counts[cases[i].Answer.ResponseID]
	}
	return rows.Err()
}

// zeroEpoch reads the DateTime 1970-01-01 (what a column holds for "none")
// as the zero time.
func zeroEpoch(t time.Time) time.Time {
	if t.Unix() <= 0 {
		return time.Time{}
	}
	return t
}
