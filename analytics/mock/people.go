package mock

import (
	"context"
	"errors"
	"maps"
	"slices"
	"strings"
	"time"

	"heed/analytics"
)

// people is the mock's erased list: hash -> key id.
type people map[string]string

// mockPerson is a person's emails, ids and responses (the caller holds mu).
type mockPerson struct {
	emails, ids map[string]bool
	responses   map[caseKey]bool
}

// named reports whether a respondent is one of the person's ids or, in
// any case and with spaces around, one of their emails (as people.sql).
func (per mockPerson) named(respondent string) bool {
	return per.ids[respondent] || per.emails[analytics.NormalEmail(respondent)]
}

func (s *Store) resolvePerson(p analytics.PersonRef) mockPerson {
	per := mockPerson{emails: map[string]bool{}, ids: map[string]bool{}, responses: map[caseKey]bool{}}
	addEmail := func(e string) {
		if e = strings.ToLower(e); e != "" {
			per.emails[e] = true
			per.ids[analytics.ContactID(e)] = true
		}
	}
	if p.Email != "" {
		addEmail(p.Email)
	} else {
		per.ids[p.ID] = true
	}
	for _, c := range s.contacts {
		if per.ids[c.ContactID] {
			addEmail(c.Email)
		}
	}
	for _, r := range s.responses {
		byProperty := false
		for _, v := range r.Properties {
			byProperty = byProperty || per.emails[strings.ToLower(v)]
		}
		if byProperty && r.Respondent != "" && !per.emails[analytics.NormalEmail(r.Respondent)] {
			per.ids[r.Respondent] = true // an answer with their email is theirs
		}
	}
	for _, r := range s.responses {
		match := per.named(r.Respondent)
		for _, v := range r.Properties {
			match = match || per.emails[strings.ToLower(v)]
		}
		if match {
			per.responses[caseKey{r.SurveyID, r.ResponseID}] = true
		}
	}
	return per
}

// ForgetPerson implements analytics.PeopleStore: at once.
func (s *Store) ForgetPerson(ctx context.Context, p analytics.PersonRef, hasher *analytics.PersonHasher, wait time.Duration) (analytics.ForgetSummary, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sum := analytics.ForgetSummary{Removed: map[string]uint64{}, At: time.Now().UTC().Truncate(time.Second), Done: true}
	if s.Err != nil {
		return sum, s.Err
	}
	if hasher == nil {
		return sum, errors.New("forget person: no erasure key")
	}
	per := s.resolvePerson(p)
	sum.Emails, sum.IDs, sum.Responses = len(per.emails), len(per.ids), len(per.responses)
	named := hasher.ID(p.ID)
	if p.Email != "" {
		named = hasher.Email(p.Email)
	}
	if s.erased == nil {
		s.erased = people{}
	}
	_, sum.AlreadyForgotten = s.erased[named]
	for _, m := range hasher.Marks(slices.Sorted(maps.Keys(per.emails)), slices.Sorted(maps.Keys(per.ids))) {
		s.erased[m.Hash] = m.KeyID
	}
	for k := range per.responses {
		m := hasher.ResponseMark(k.survey, k.id)
		s.erased[m.Hash] = m.KeyID
	}
	responses := s.responses[:0]
	for _, r := range s.responses {
		if per.responses[caseKey{r.SurveyID, r.ResponseID}] {
			sum.Removed["answers"]++
			continue
		}
		responses = append(responses, r)
	}
	s.responses = responses
	dismissals := s.dismissals[:0]
	for _, d := range s.dismissals {
		if per.named(d.Respondent) {
			sum.Removed["dismissals"]++
			continue
		}
		dismissals = append(dismissals, d)
	}
	s.dismissals = dismissals
	for id, c := range s.contacts {
		if per.ids[id] || per.emails[strings.ToLower(c.Email)] {
			delete(s.contacts, id)
			sum.Removed["contacts"]++
		}
	}
	for id := range s.suppressed {
		if per.ids[id] {
			sum.Removed["contact_suppressions"] += uint64(len(s.suppressed[id]))
			delete(s.suppressed, id)
		}
	}
	for k, e := range s.sendLog {
		if per.ids[e.ContactID] || per.emails[strings.ToLower(e.Email)] {
			delete(s.sendLog, k)
			delete(s.logAt, k)
			delete(s.logFirst, k)
			sum.Removed["send_log"]++
		}
	}
	for id, e := range s.emailEvents {
		if per.ids[e.ContactID] || per.emails[strings.ToLower(e.Email)] {
			delete(s.emailEvents, id)
			sum.Removed["email_events"]++
		}
	}
	for id, c := range s.churn {
		if per.ids[id] || per.emails[strings.ToLower(c.Email)] {
			delete(s.churn, id)
			sum.Removed["churn"]++
		}
	}
	for k := range per.responses {
		if _, ok := s.cases.states[k]; ok {
			delete(s.cases.states, k)
			sum.Removed["cases"]++
		}
		if n := len(s.cases.notes[k]); n > 0 {
			delete(s.cases.notes, k)
			sum.Removed["case_notes"] += uint64(n)
		}
	}
	return sum, nil
}

// ExportPerson implements analytics.PeopleStore (contacts, answers,
// dismissals, sends, events, churn).
func (s *Store) ExportPerson(ctx context.Context, p analytics.PersonRef, hasher *analytics.PersonHasher) (*analytics.PersonExport, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.Err != nil {
		return nil, s.Err
	}
	per := s.resolvePerson(p)
	out := &analytics.PersonExport{Emails: slices.Sorted(maps.Keys(per.emails)), IDs: slices.Sorted(maps.Keys(per.ids)),
		Contacts: []analytics.Contact{}, Suppressions: []analytics.PersonSuppression{}, Answers: []analytics.PersonAnswer{},
		Dismissals: []analytics.PersonDismissal{}, Sends: []analytics.PersonSendLog{}, EmailEvents: []analytics.PersonEmailEvent{},
		Cases: []analytics.PersonCase{}, CaseNotes: []analytics.PersonCaseNote{}, Churn: []analytics.PersonChurn{},
		Customers: []analytics.PersonLastAnswer{}}
	if hasher != nil {
		for _, m := range hasher.Marks(out.Emails, out.IDs) {
			_, on := s.erased[m.Hash]
			out.Erased = out.Erased || on
		}
	}
	for _, c := range s.contacts {
		if per.ids[c.ContactID] {
			out.Contacts = append(out.Contacts, c)
		}
	}
	for _, r := range s.responses {
		if per.responses[caseKey{r.SurveyID, r.ResponseID}] {
			out.Answers = append(out.Answers, analytics.PersonAnswer{SurveyID: r.SurveyID, ResponseID: r.ResponseID, CreatedAt: r.CreatedAt,
				AnsweredAt: time.Unix(0, int64(r.Version)).UTC(), Score: r.Score, Reasons: r.Reasons, Comment: r.Comment, Channel: r.Channel,
				Respondent: r.Respondent, Properties: r.Properties, Confirmed: !r.Unconfirmed})
		}
	}
	for _, d := range s.dismissals {
		if per.named(d.Respondent) {
			out.Dismissals = append(out.Dismissals, analytics.PersonDismissal{SurveyID: d.SurveyID, At: d.CreatedAt, Respondent: d.Respondent})
		}
	}
	for k, e := range s.sendLog {
		if per.ids[e.ContactID] {
			out.Sends = append(out.Sends, analytics.PersonSendLog{SendID: e.SendID, Kind: e.Kind, SurveyID: e.SurveyID,
				ContactID: e.ContactID, Email: e.Email, Status: e.Status, At: s.logAt[k]})
		}
	}
	for _, e := range s.emailEvents {
		if per.ids[e.ContactID] || per.emails[strings.ToLower(e.Email)] {
			out.EmailEvents = append(out.EmailEvents, analytics.PersonEmailEvent{Event: e.Event, Email: e.Email, ContactID: e.ContactID,
				SendID: e.SendID, SurveyID: e.SurveyID, Reason: e.Reason, At: e.At})
		}
	}
	for id, c := range s.churn {
		if per.ids[id] {
			pc := analytics.PersonChurn{Customer: c.Customer, Email: c.Email, ChurnedAt: c.ChurnedAt, Reason: c.Reason}
			if c.HasRevenue {
				rev := c.Revenue
				pc.Revenue = &rev
			}
			out.Churn = append(out.Churn, pc)
		}
	}
	return out, nil
}

// Erased implements analytics.PeopleStore.
func (s *Store) Erased(ctx context.Context) (analytics.ErasedList, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := analytics.ErasedList{Hashes: map[string]bool{}, KeyIDs: map[string]int{}}
	if s.Err != nil {
		return out, s.Err
	}
	for h, k := range s.erased {
		out.Hashes[h] = true
		out.KeyIDs[k]++
	}
	return out, nil
}

// AnyErased implements analytics.PeopleStore.
func (s *Store) AnyErased(ctx context.Context, hashes []string) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.Err != nil {
		return false, s.Err
	}
	for _, h := range hashes {
		if _, ok := s.erased[h]; ok {
			return true, nil
		}
	}
	return false, nil
}

// AnonymiseAnswers implements analytics.RetentionStore: at once, on the
// rows of responses first given before the cutoff.
func (s *Store) AnonymiseAnswers(ctx context.Context, surveyID string, before time.Time, wait time.Duration) (analytics.RetentionSummary, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sum := analytics.RetentionSummary{SurveyID: surveyID, Before: before.UTC(), Done: true}
	if s.Err != nil {
		return sum, s.Err
	}
	first := map[caseKey]time.Time{}
	for _, r := range s.responses {
		k := caseKey{r.SurveyID, r.ResponseID}
		if t, ok := first[k]; r.SurveyID == surveyID && (!ok || r.CreatedAt.Before(t)) {
			first[k] = r.CreatedAt
		}
	}
	for i := range s.responses {
		r := &s.responses[i]
		t, ok := first[caseKey{r.SurveyID, r.ResponseID}]
		if ok && t.Before(before) && r.Anonymise() {
			sum.Answers++
		}
	}
	dismissals := s.dismissals[:0]
	for _, d := range s.dismissals {
		if d.SurveyID == surveyID && d.CreatedAt.Before(before) {
			sum.Dismissals++
			continue
		}
		dismissals = append(dismissals, d)
	}
	s.dismissals = dismissals
	return sum, nil
}

// SetErasure is clickhouse.DB.SetErasure: inserts leave out the rows of
// forgotten people.
func (s *Store) SetErasure(h *analytics.PersonHasher) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.erasure = h
}

// erasedAmong is the mock's lookup in its erased list (the caller holds mu).
func (s *Store) erasedAmong(hashes map[string]bool) (map[string]bool, error) {
	out := map[string]bool{}
	for h := range hashes {
		if _, ok := s.erased[h]; ok {
			out[h] = true
		}
	}
	return out, nil
}

// unerasedResponses leaves out forgotten people's rows (the caller holds mu).
func (s *Store) unerasedResponses(rows []analytics.Response) ([]analytics.Response, error) {
	if s.erasure == nil {
		return rows, nil
	}
	return s.erasure.UnerasedResponses(rows, s.erasedAmong)
}

// unerasedDismissals is unerasedResponses for dismissals.
func (s *Store) unerasedDismissals(rows []analytics.Dismissal) ([]analytics.Dismissal, error) {
	if s.erasure == nil {
		return rows, nil
	}
	return s.erasure.UnerasedDismissals(rows, s.erasedAmong)
}
