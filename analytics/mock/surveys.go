package mock

import (
	"context"
	"time"

	"heed/analytics"
)

// DeleteSurvey implements analytics.SurveyStore.
func (s *Store) DeleteSurvey(ctx context.Context, id string, at time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.Err != nil {
		return s.Err
	}
	delete(s.surveys, id)
	s.surveyWrites++
	return nil
}

// SaveSurveyVersion implements analytics.SurveyStore.
func (s *Store) SaveSurveyVersion(ctx context.Context, v analytics.SurveyVersion) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.Err != nil {
		return s.Err
	}
	if s.versions == nil {
		s.versions = map[string][]analytics.SurveyVersion{}
	}
	s.versions[v.SurveyID] = append(s.versions[v.SurveyID], v)
	return nil
}

// SurveyVersions implements analytics.SurveyStore.
func (s *Store) SurveyVersions(ctx context.Context, surveyID string) ([]analytics.SurveyVersion, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.Err != nil {
		return nil, s.Err
	}
	list := s.versions[surveyID]
	out := make([]analytics.SurveyVersion, 0, len(list))
	for i := len(list) - 1; i >= 0; i-- {
		out = append(out, list[i])
	}
	return out, nil
}

// PurgeSurvey implements analytics.SurveyStore: at once.
func (s *Store) PurgeSurvey(ctx context.Context, surveyID string, wait time.Duration) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.Err != nil {
		return false, s.Err
	}
	responses := s.responses[:0]
	for _, r := range s.responses {
		if r.SurveyID != surveyID {
			responses = append(responses, r)
		}
	}
	s.responses = responses
	dismissals := s.dismissals[:0]
	for _, d := range s.dismissals {
		if d.SurveyID != surveyID {
			dismissals = append(dismissals, d)
		}
	}
	s.dismissals = dismissals
	for k, e := range s.sendLog {
		if e.SurveyID == surveyID {
			delete(s.sendLog, k)
			delete(s.logAt, k)
			delete(s.logFirst, k)
		}
	}
	for id, e := range s.emailEvents {
		if e.SurveyID == surveyID {
			delete(s.emailEvents, id)
		}
	}
	for k := range s.digests {
		if k.survey == surveyID {
			delete(s.digests, k)
		}
	}
	for k := range s.cases.states {
		if k.survey == surveyID {
			delete(s.cases.states, k)
		}
	}
	for k := range s.cases.notes {
		if k.survey == surveyID {
			delete(s.cases.notes, k)
		}
	}
	for id, send := range s.sends {
		if send.SurveyID == surveyID {
			delete(s.sends, id)
		}
	}
	delete(s.versions, surveyID)
	return true, nil
}

// SurveyAnswerCounts implements analytics.SurveyStore.
func (s *Store) SurveyAnswerCounts(ctx context.Context) (map[string]analytics.AnswerCount, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.Err != nil {
		return nil, s.Err
	}
	bySurvey := map[string][]analytics.Response{}
	for _, r := range s.responses {
		bySurvey[r.SurveyID] = append(bySurvey[r.SurveyID], r)
	}
	out := map[string]analytics.AnswerCount{}
	for id, rows := range bySurvey {
		var c analytics.AnswerCount
		for _, f := range Fold(rows) {
			c.Answers++
			if f.First.After(c.LastAnswerAt) {
				c.LastAnswerAt = f.First
			}
		}
		out[id] = c
	}
	return out, nil
}
