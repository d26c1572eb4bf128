package mock

import (
	"context"
	"sort"
	"time"

	"github.com/google/uuid"

	"heed/analytics"
)

type caseKey struct {
	survey string
	id     uuid.UUID
}

// caseRows are the cases and notes of the in-memory store.
type caseRows struct {
	states map[caseKey]analytics.CaseState // the last write of each case
	notes  map[caseKey][]analytics.CaseNote
}

// response returns the folded response of a survey (the caller holds mu).
func (s *Store) response(surveyID string, id uuid.UUID) (Folded, bool) {
	var rows []analytics.Response
	for _, r := range s.responses {
		if r.SurveyID == surveyID && r.ResponseID == id {
			rows = append(rows, r)
		}
	}
	f, ok := Fold(rows)[id]
	return f, ok
}

// CaseAnswer implements analytics.CaseStore.
func (s *Store) CaseAnswer(ctx context.Context, surveyID string, responseID uuid.UUID) (analytics.Answer, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.Err != nil {
		return analytics.Answer{}, s.Err
	}
	f, ok := s.response(surveyID, responseID)
	if !ok {
		return analytics.Answer{}, analytics.ErrNotFound
	}
	return AnswerOf(responseID, f), nil
}

// CaseState implements analytics.CaseStore.
func (s *Store) CaseState(ctx context.Context, surveyID string, responseID uuid.UUID) (analytics.CaseState, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.Err != nil {
		return analytics.CaseState{}, false, s.Err
	}
	st, ok := s.cases.states[caseKey{surveyID, responseID}]
	if !ok {
		return analytics.CaseState{SurveyID: surveyID, ResponseID: responseID, Status: analytics.CaseOpen}, false, nil
	}
	return st, true, nil
}

// second cuts a time to the second, in UTC, as the store's DateTime
// columns keep it.
func second(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	return t.UTC().Truncate(time.Second)
}

// SaveCase implements analytics.CaseStore: the last write wins.
func (s *Store) SaveCase(ctx context.Context, st analytics.CaseState, note *analytics.CaseNote) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.Err != nil {
		return s.Err
	}
	if s.cases.states == nil {
		s.cases.states, s.cases.notes = map[caseKey]analytics.CaseState{}, map[caseKey][]analytics.CaseNote{}
	}
	k := caseKey{st.SurveyID, st.ResponseID}
	if note != nil {
		n := *note
		if n.At.IsZero() {
			n.At = time.Now()
		}
		n.SurveyID, n.ResponseID, n.At = st.SurveyID, st.ResponseID, second(n.At)
		s.cases.notes[k] = append(s.cases.notes[k], n)
	}
	if st.UpdatedAt.IsZero() {
		st.UpdatedAt = time.Now()
	}
	if !st.Closed() {
		st.ClosedAt = time.Time{}
	}
	st.OpenedAt, st.ClosedAt, st.UpdatedAt = second(st.OpenedAt), second(st.ClosedAt), second(st.UpdatedAt)
	s.cases.states[k] = st
	return nil
}

// CaseNotes implements analytics.CaseStore.
func (s *Store) CaseNotes(ctx context.Context, surveyID string, responseID uuid.UUID) ([]analytics.CaseNote, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.Err != nil {
		return nil, s.Err
	}
	notes := append([]analytics.CaseNote{}, s.cases.notes[caseKey{surveyID, responseID}]...)
	sort.SliceStable(notes, func(i, j int) bool { return notes[i].At.Before(notes[j].At) })
	if len(notes) > analytics.MaxCaseNotes {
		notes = notes[:analytics.MaxCaseNotes]
	}
	return notes, nil
}

// ListCases implements analytics.CaseStore with Fold.
func (s *Store) ListCases(ctx context.Context, cq analytics.CaseQuery) (*analytics.CaseList, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.Err != nil {
		return nil, s.Err
	}
	q := analytics.ReportQuery{Survey: &analytics.Survey{ID: cq.SurveyID}, From: cq.From, To: cq.To}
	out := &analytics.CaseList{Cases: []analytics.Case{}}
	for _, a := range s.answers(q) {
		id := uuid.MustParse(a.ResponseID)
		st, acted := s.cases.states[caseKey{cq.SurveyID, id}]
		if !analytics.IsCase(a, acted, cq.IncludeUnconfirmed) {
			continue
		}
		if !acted {
			st = analytics.CaseState{SurveyID: cq.SurveyID, ResponseID: id, Status: analytics.CaseOpen}
		}
		st.OpenedAt = a.CreatedAt
		c := analytics.Case{Answer: a, State: st, Acted: acted, NoteCount: len(s.cases.notes[caseKey{cq.SurveyID, id}])}
		c.Answer.Properties = nil // the list does not read them
		if st.Closed() {
			out.Summary.Closed++
			out.Summary.CloseSeconds = append(out.Summary.CloseSeconds, int64(c.TimeToClose()/time.Second))
		} else {
			out.Summary.Open++
		}
		if (cq.Status == "" || cq.Status == analytics.CaseStatusOf(st)) && len(out.Cases) < cq.Limit {
			out.Cases = append(out.Cases, c)
		}
	}
	sort.Slice(out.Summary.CloseSeconds, func(i, j int) bool { return out.Summary.CloseSeconds[i] < out.Summary.CloseSeconds[j] })
	return out, nil
}
