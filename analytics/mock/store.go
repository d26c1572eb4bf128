// Package mock is an in-memory analytics.Store for the fast test tier:
// handler, validation and job tests that need no ClickHouse. It applies
// Heed's answer rules in plain Go (Fold), so it doubles as the reference
// the real store is checked against (analytics/clickhouse's differential
// test). ReportFn and ExportFn replace Report and ExportAnswers (as the Fn
// fields of benbjohnson/wtf's mock package do), and Err makes every call
// fail, like a store that is down.
package mock

import (
	"context"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"

	"heed/analytics"
)

// Store keeps everything in maps and slices; the zero value is not usable,
// call New.
type Store struct {
	// Err, when set, is returned by every call: a store that is down.
	Err error
	// ReportFn replaces Report when set; ExportFn, ExportAnswers.
	ReportFn func(ctx context.Context, q analytics.ReportQuery) (*analytics.Report, error)
	ExportFn func(ctx context.Context, q analytics.ReportQuery, out analytics.AnswerExport) error

	mu           sync.Mutex
	surveys      map[string]*analytics.Survey
	surveyWrites int
	responses    []analytics.Response
	dismissals   []analytics.Dismissal
	contacts     map[string]analytics.Contact
	suppressed   map[string]map[string]time.Time // contact -> reason -> since
	sends        map[string]analytics.Send
	sendLog      map[logKey]analytics.SendLogEntry
	logAt        map[logKey]time.Time
	logFirst     map[logKey]time.Time
	emailEvents  map[string]analytics.EmailEvent
	churn        map[string]analytics.Churn           // by customer; withdrawn ones deleted
	digests      map[digestKey][]digestRow            // digests.go
	claims       map[claimKey]analytics.ClaimRow      // claims.go
	versions     map[string][]analytics.SurveyVersion // surveys.go, oldest first
	cases        caseRows                             // cases.go
	acc          accountRows                          // accounts.go
	erased       people                               // people.go
	erasure      *analytics.PersonHasher              // people.go: SetErasure
}

type logKey struct{ send, kind, contact string }

// New returns an empty store.
func New() *Store {
	return &Store{
		surveys:     map[string]*analytics.Survey{},
		contacts:    map[string]analytics.Contact{},
		suppressed:  map[string]map[string]time.Time{},
		sends:       map[string]analytics.Send{},
		sendLog:     map[logKey]analytics.SendLogEntry{},
		logAt:       map[logKey]time.Time{},
		logFirst:    map[logKey]time.Time{},
		emailEvents: map[string]analytics.EmailEvent{},
		churn:       map[string]analytics.Churn{},
	}
}

var _ analytics.Store = (*Store)(nil)

// LoadSurveys implements analytics.SurveyStore.
// SurveysMark counts the surveys' writes.
func (s *Store) SurveysMark(ctx context.Context) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.Err != nil {
		return "", s.Err
	}
	return strconv.Itoa(s.surveyWrites), nil
}

func (s *Store) LoadSurveys(ctx context.Context) ([]*analytics.Survey, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.Err != nil {
		return nil, s.Err
	}
	out := make([]*analytics.Survey, 0, len(s.surveys))
	for _, sv := range s.surveys {
		c := *sv
		out = append(out, &c)
	}
	return out, nil
}

// SaveSurvey implements analytics.SurveyStore.
func (s *Store) SaveSurvey(ctx context.Context, sv *analytics.Survey) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.Err != nil {
		return s.Err
	}
	c := *sv
	s.surveys[sv.ID] = &c
	s.surveyWrites++
	return nil
}

// InsertResponses implements analytics.ResponseSink.
func (s *Store) InsertResponses(ctx context.Context, rows []analytics.Response) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.Err != nil {
		return s.Err
	}
	rows, err := s.unerasedResponses(rows)
	if err != nil {
		return err
	}
	s.responses = append(s.responses, rows...)
	return nil
}

// InsertDismissals implements analytics.ResponseSink.
func (s *Store) InsertDismissals(ctx context.Context, rows []analytics.Dismissal) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.Err != nil {
		return s.Err
	}
	rows, err := s.unerasedDismissals(rows)
	if err != nil {
		return err
	}
	s.dismissals = append(s.dismissals, rows...)
	return nil
}

// Responses returns every row inserted for a survey, in insert order.
func (s *Store) Responses(surveyID string) []analytics.Response {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []analytics.Response
	for _, r := range s.responses {
		if r.SurveyID == surveyID {
			out = append(out, r)
		}
	}
	return out
}

// Folded is one response as Heed's rules see it: its first answer's time
// and the answer that counts.
type Folded struct {
	First  time.Time
	Answer analytics.Response
}

// Confirmed says whether the response counts without include_unconfirmed:
// its counting answer is confirmed (a confirmed answer always wins).
func (f Folded) Confirmed() bool { return !f.Answer.Unconfirmed }

// Fold applies Heed's answer rules to the raw rows of one survey: one
// result per response_id, whose counting answer is the one that
// CountsOver all others, and which dates from its earliest row (truncated
// to the second, as stored).
func Fold(rows []analytics.Response) map[uuid.UUID]Folded {
	out := map[uuid.UUID]Folded{}
	for _, r := range rows {
		at := r.CreatedAt.UTC().Truncate(time.Second)
		f, seen := out[r.ResponseID]
		switch {
		case !seen:
			f = Folded{First: at, Answer: r}
		default:
			if at.Before(f.First) {
				f.First = at
			}
			if r.CountsOver(&f.Answer) {
				f.Answer = r
			}
		}
		out[r.ResponseID] = f
	}
	return out
}

// InSegment reports whether a counting answer holds every pair of a
// segment.
func InSegment(r analytics.Response, segment map[string]string) bool {
	for k, v := range segment {
		if got, has := r.Properties[k]; !has || got != v {
			return false
		}
	}
	return true
}

// folded returns the responses of q first answered in range whose
// counting answer is in q's segment.
func (s *Store) folded(q analytics.ReportQuery) map[uuid.UUID]Folded {
	var rows []analytics.Response
	for _, r := range s.responses {
		if r.SurveyID == q.Survey.ID {
			rows = append(rows, r)
		}
	}
	out := Fold(rows)
	for id, f := range out {
		if !inRange(f.First, q) || !InSegment(f.Answer, q.Properties) || (q.Respondent != "" && f.Answer.Respondent != q.Respondent) {
			delete(out, id)
		}
	}
	return out
}

func inRange(t time.Time, q analytics.ReportQuery) bool {
	return !t.Before(q.From) && t.Before(q.To)
}

// Report implements analytics.ResponseStore with Fold.
func (s *Store) Report(ctx context.Context, q analytics.ReportQuery) (*analytics.Report, error) {
	if s.ReportFn != nil {
		return s.ReportFn(ctx, q)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.Err != nil {
		return nil, s.Err
	}
	rep := analytics.NewReport(q)
	for _, f := range s.folded(q) {
		if !f.Confirmed() && !q.IncludeUnconfirmed {
			continue
		}
		start := q.Interval.Start(f.First.In(q.Zone()))
		var err error
		if q.GroupBy.Set() {
			err = rep.AddSegment(q.GroupBy.Of(f.Answer), start, f.Answer.Score, f.Answer.Reasons, 1)
		} else {
			err = rep.Add(start, f.Answer.Score, f.Answer.Reasons, 1)
		}
		if err != nil {
			return nil, err
		}
	}
	rep.Finish()
	return rep, nil
}

// SegmentKeys implements analytics.ResponseStore.
func (s *Store) SegmentKeys(ctx context.Context, surveyID string, from, to time.Time, most int) ([]string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.Err != nil {
		return nil, s.Err
	}
	seen := map[string]bool{}
	for _, r := range s.responses {
		at := time.Unix(0, int64(r.Version))
		if r.SurveyID != surveyID || at.Before(from) || !at.Before(to) {
			continue
		}
		for k := range r.Properties {
			seen[k] = true
		}
	}
	keys := make([]string, 0, len(seen))
	for k := range seen {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	if len(keys) > most {
		keys = keys[:most]
	}
	return keys, nil
}

// ListAnswers implements analytics.ResponseStore with Fold.
func (s *Store) ListAnswers(ctx context.Context, q analytics.ReportQuery, limit int) ([]analytics.Answer, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.Err != nil {
		return nil, s.Err
	}
	out := s.answers(q)
	if len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

// answers returns the counting answers of q, newest first.
func (s *Store) answers(q analytics.ReportQuery) []analytics.Answer {
	out := []analytics.Answer{}
	for id, f := range s.folded(q) {
		out = append(out, AnswerOf(id, f))
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].CreatedAt.Equal(out[j].CreatedAt) {
			return out[i].CreatedAt.After(out[j].CreatedAt)
		}
		return out[i].ResponseID < out[j].ResponseID
	})
	return out
}

// AnswerOf is a folded response as the store reads it back.
func AnswerOf(id uuid.UUID, f Folded) analytics.Answer {
	a := f.Answer
	reasons := a.Reasons
	if reasons == nil {
		reasons = []string{}
	}
	var props map[string]string
	if len(a.Properties) > 0 {
		props = a.Properties
	}
	return analytics.Answer{ResponseID: id.String(), CreatedAt: f.First, Score: a.Score, Reasons: reasons,
		Comment: a.Comment, Channel: a.Channel, Respondent: a.Respondent, Confirmed: f.Confirmed(), Flags: a.Flags, Properties: props}
}

// ExportAnswers implements analytics.ResponseStore.
func (s *Store) ExportAnswers(ctx context.Context, q analytics.ReportQuery, out analytics.AnswerExport) error {
	if s.ExportFn != nil {
		return s.ExportFn(ctx, q, out)
	}
	s.mu.Lock()
	if s.Err != nil {
		s.mu.Unlock()
		return s.Err
	}
	answers := s.answers(q)
	s.mu.Unlock()
	keys := map[string]bool{}
	for _, a := range answers {
		for k := range a.Properties {
			keys[k] = true
		}
	}
	names := make([]string, 0, len(keys))
	for k := range keys {
		names = append(names, k)
	}
	sort.Strings(names)
	if len(names) > analytics.MaxExportProperties {
		names = names[:analytics.MaxExportProperties]
	}
	if err := out.Columns(names); err != nil {
		return err
	}
	for _, a := range answers {
		e := analytics.ExportedAnswer{ResponseID: a.ResponseID, FirstAnsweredAt: a.CreatedAt.UTC().Format(time.RFC3339), Score: a.Score,
			Reasons: strings.Join(a.Reasons, ";"), Comment: a.Comment, Channel: a.Channel, Respondent: a.Respondent,
			Confirmed: a.Confirmed, Flags: a.Flags, PropertyValues: make([]string, len(names))}
		for i, k := range names {
			e.PropertyValues[i] = a.Properties[k]
		}
		if err := out.Answer(&e); err != nil {
			return err
		}
	}
	return nil
}

// LastContact implements analytics.ResponseStore.
func (s *Store) LastContact(ctx context.Context, surveyID, respondent string) (answered, dismissed time.Time, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.Err != nil {
		return answered, dismissed, s.Err
	}
	for _, r := range s.responses {
		at := time.Unix(0, int64(r.Version&^(1<<63))).UTC().Truncate(time.Second)
		if r.SurveyID == surveyID && r.Respondent == respondent && at.After(answered) {
			answered = at
		}
	}
	for _, d := range s.dismissals {
		if d.SurveyID == surveyID && d.Respondent == respondent && d.CreatedAt.After(dismissed) {
			dismissed = d.CreatedAt
		}
	}
	return answered, dismissed, nil
}

// UpsertContacts implements analytics.ContactStore.
func (s *Store) UpsertContacts(ctx context.Context, contacts []analytics.Contact) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.Err != nil {
		return s.Err
	}
	now := time.Now().UTC()
	for _, c := range contacts {
		c.UpdatedAt = now
		s.contacts[c.ContactID] = c
	}
	return nil
}

// Contacts implements analytics.ContactStore.
func (s *Store) Contacts(ctx context.Context, f analytics.ContactFilter) ([]analytics.Contact, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.Err != nil {
		return nil, s.Err
	}
	var out []analytics.Contact
	ids := map[string]bool{}
	for _, id := range f.ContactIDs {
		ids[id] = true
	}
	for _, c := range s.contacts {
		if len(ids) > 0 && !ids[c.ContactID] {
			continue
		}
		ok := true
		for k, v := range f.Where {
			if got, has := c.Properties[k]; !has || got != v {
				ok = false
			}
		}
		if ok {
			out = append(out, c)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ContactID < out[j].ContactID })
	return out, nil
}

// Contact implements analytics.ContactStore.
func (s *Store) Contact(ctx context.Context, contactID string) (analytics.Contact, error) {
	cs, err := s.Contacts(ctx, analytics.ContactFilter{ContactIDs: []string{contactID}})
	if err != nil {
		return analytics.Contact{}, err
	}
	if len(cs) == 0 {
		return analytics.Contact{}, analytics.ErrNotFound
	}
	return cs[0], nil
}

// Suppress implements analytics.ContactStore.
func (s *Store) Suppress(ctx context.Context, contactID, email, reason string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.Err != nil {
		return s.Err
	}
	if s.suppressed[contactID] == nil {
		s.suppressed[contactID] = map[string]time.Time{}
	}
	s.suppressed[contactID][reason] = time.Now().UTC().Truncate(time.Second)
	return nil
}

// Unsuppress implements analytics.ContactStore.
func (s *Store) Unsuppress(ctx context.Context, contactID string, reasons []string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.Err != nil {
		return s.Err
	}
	for _, r := range reasons {
		delete(s.suppressed[contactID], r)
	}
	if len(s.suppressed[contactID]) == 0 {
		delete(s.suppressed, contactID)
	}
	return nil
}

// ContactSuppressions implements analytics.ContactStore.
func (s *Store) ContactSuppressions(ctx context.Context, contactID string) ([]analytics.Suppression, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.Err != nil {
		return nil, s.Err
	}
	out := []analytics.Suppression{}
	for r, at := range s.suppressed[contactID] {
		out = append(out, analytics.Suppression{Reason: r, Since: at})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Reason < out[j].Reason })
	return out, nil
}

// SearchContacts implements analytics.ContactStore.
func (s *Store) SearchContacts(ctx context.Context, text string, limit int) ([]analytics.Contact, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.Err != nil {
		return nil, s.Err
	}
	out := []analytics.Contact{}
	t := strings.ToLower(text)
	for _, c := range s.contacts {
		if strings.Contains(strings.ToLower(c.Email), t) || strings.Contains(strings.ToLower(c.Name), t) {
			out = append(out, c)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].UpdatedAt.Equal(out[j].UpdatedAt) {
			return out[i].UpdatedAt.After(out[j].UpdatedAt)
		}
		return out[i].ContactID < out[j].ContactID
	})
	if len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

// ContactSends implements analytics.ContactStore.
func (s *Store) ContactSends(ctx context.Context, contactID string) ([]analytics.ContactSend, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.Err != nil {
		return nil, s.Err
	}
	out := []analytics.ContactSend{}
	for k, e := range s.sendLog {
		if k.contact == contactID {
			out = append(out, analytics.ContactSend{SendID: k.send, Kind: k.kind, SurveyID: e.SurveyID, Status: e.Status, At: s.logFirst[k].Truncate(time.Second)})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].At.After(out[j].At) })
	return out, nil
}

// RespondentSurveys implements analytics.ContactStore.
func (s *Store) RespondentSurveys(ctx context.Context, respondent string) ([]string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.Err != nil {
		return nil, s.Err
	}
	seen := map[string]bool{}
	out := []string{}
	for _, r := range s.responses {
		if r.Respondent == respondent && !seen[r.SurveyID] {
			seen[r.SurveyID] = true
			out = append(out, r.SurveyID)
		}
	}
	sort.Strings(out)
	return out, nil
}

// Suppressed implements analytics.ContactStore.
func (s *Store) Suppressed(ctx context.Context) (map[string]bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.Err != nil {
		return nil, s.Err
	}
	out := make(map[string]bool, len(s.suppressed))
	for id := range s.suppressed {
		out[id] = true
	}
	return out, nil
}

// SaveSend implements analytics.SendStore.
func (s *Store) SaveSend(ctx context.Context, send analytics.Send) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.Err != nil {
		return s.Err
	}
	s.sends[send.ID] = send
	return nil
}

// GetSend implements analytics.SendStore.
func (s *Store) GetSend(ctx context.Context, id string) (analytics.Send, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.Err != nil {
		return analytics.Send{}, s.Err
	}
	send, ok := s.sends[id]
	if !ok {
		return analytics.Send{}, analytics.ErrNotFound
	}
	return send, nil
}

// ListSends implements analytics.SendStore.
func (s *Store) ListSends(ctx context.Context, since time.Time) ([]analytics.Send, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.Err != nil {
		return nil, s.Err
	}
	var out []analytics.Send
	for _, send := range s.sends {
		if !send.CreatedAt.Before(since) {
			out = append(out, send)
		}
	}
	return out, nil
}

// LogSends implements analytics.SendStore.
func (s *Store) LogSends(ctx context.Context, entries []analytics.SendLogEntry) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.Err != nil {
		return s.Err
	}
	now := time.Now().UTC()
	for _, e := range entries {
		k := logKey{e.SendID, e.Kind, e.ContactID}
		s.sendLog[k] = e
		s.logAt[k] = now
		if _, ok := s.logFirst[k]; !ok {
			s.logFirst[k] = now
		}
	}
	return nil
}

// SendStatuses implements analytics.SendStore.
func (s *Store) SendStatuses(ctx context.Context, sendID, kind string) (map[string]string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.Err != nil {
		return nil, s.Err
	}
	out := map[string]string{}
	for k, e := range s.sendLog {
		if k.send == sendID && k.kind == kind {
			out[k.contact] = e.Status
		}
	}
	return out, nil
}

// SendCounts implements analytics.SendStore.
func (s *Store) SendCounts(ctx context.Context, sendID string) (map[string]map[string]int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.Err != nil {
		return nil, s.Err
	}
	out := map[string]map[string]int{}
	for k, e := range s.sendLog {
		if k.send != sendID {
			continue
		}
		if out[k.kind] == nil {
			out[k.kind] = map[string]int{}
		}
		out[k.kind][e.Status]++
	}
	return out, nil
}

// RecentlyAsked implements analytics.SendStore.
func (s *Store) RecentlyAsked(ctx context.Context, surveyID string, since time.Time) (map[string]bool, error) {
	asked, err := s.Responded(ctx, surveyID, since)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for k, e := range s.sendLog {
		if e.SurveyID == surveyID && !s.logAt[k].Before(since) && (e.Status == analytics.SendSending || e.Status == analytics.SendSent) {
			asked[k.contact] = true
		}
	}
	return asked, nil
}

// Responded implements analytics.SendStore.
func (s *Store) Responded(ctx context.Context, surveyID string, since time.Time) (map[string]bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.Err != nil {
		return nil, s.Err
	}
	out := map[string]bool{}
	for _, r := range s.responses {
		if r.SurveyID == surveyID && r.Respondent != "" && !r.Unconfirmed && !r.CreatedAt.Before(since) {
			out[r.Respondent] = true
		}
	}
	return out, nil
}

// InsertEmailEvents implements analytics.SendStore.
func (s *Store) InsertEmailEvents(ctx context.Context, events []analytics.EmailEvent) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.Err != nil {
		return s.Err
	}
	for _, e := range events {
		s.emailEvents[e.ID] = e
	}
	return nil
}

// EmailEventCounts implements analytics.SendStore.
func (s *Store) EmailEventCounts(ctx context.Context, sendID string) (map[string]int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.Err != nil {
		return nil, s.Err
	}
	out := map[string]int{}
	for _, e := range s.emailEvents {
		if e.SendID == sendID {
			out[e.Event]++
		}
	}
	return out, nil
}

// SendFunnels implements analytics.SendStore.
func (s *Store) SendFunnels(ctx context.Context, surveyID string, from, to time.Time, window time.Duration) ([]analytics.SendFunnel, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.Err != nil {
		return nil, s.Err
	}
	funnels := map[string]*analytics.SendFunnel{}
	for k, e := range s.sendLog {
		at := s.logFirst[k]
		if e.SurveyID != surveyID || k.kind != analytics.KindInitial || at.Before(from) || !at.Before(to) {
			continue
		}
		f, ok := funnels[k.send]
		if !ok {
			f = &analytics.SendFunnel{SendID: k.send, StartedAt: at.Truncate(time.Second)}
			funnels[k.send] = f
		}
		if at.Truncate(time.Second).Before(f.StartedAt) {
			f.StartedAt = at.Truncate(time.Second)
		}
		if e.Status == analytics.SendSent {
			f.Emailed++
		}
	}
	seen := map[[3]string]bool{}
	for _, e := range s.emailEvents {
		f, ok := funnels[e.SendID]
		key := [3]string{e.SendID, e.Event, e.ContactID}
		if !ok || e.SurveyID != surveyID || seen[key] {
			continue
		}
		seen[key] = true
		switch e.Event {
		case "delivered":
			f.Delivered++
		case "open":
			f.Opened++
		}
	}
	// As the store: answers from the first send's start to within window
	// of the last one's.
	var first, last time.Time
	for _, f := range funnels {
		if first.IsZero() || f.StartedAt.Before(first) {
			first = f.StartedAt
		}
		if f.StartedAt.After(last) {
			last = f.StartedAt
		}
	}
	// As the store: only the answers of contacts the send emailed count.
	emailed := map[[2]string]bool{}
	for k, e := range s.sendLog {
		if at := s.logFirst[k]; e.SurveyID == surveyID && k.kind == analytics.KindInitial && !at.Before(from) && at.Before(to) && e.Status == analytics.SendSent {
			emailed[[2]string{k.send, e.ContactID}] = true
		}
	}
	answered := map[[2]string]bool{}
	for _, r := range s.responses {
		f, ok := funnels[r.Properties["send_id"]]
		if !ok || r.SurveyID != surveyID || r.Channel != analytics.ChannelEmail || r.Unconfirmed || !emailed[[2]string{f.SendID, r.Respondent}] {
			continue
		}
		key := [2]string{f.SendID, r.Respondent}
		at := time.Unix(0, int64(r.Version))
		if answered[key] || at.Before(first) || !at.Before(last.Add(window)) {
			continue
		}
		answered[key] = true
		f.Answered++
	}
	out := make([]analytics.SendFunnel, 0, len(funnels))
	for _, f := range funnels {
		out = append(out, *f)
	}
	return out, nil
}

// UpsertChurn implements analytics.ChurnStore: the last write wins.
func (s *Store) UpsertChurn(ctx context.Context, records []analytics.Churn) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.Err != nil {
		return s.Err
	}
	for _, c := range records {
		s.churn[c.Customer] = c
	}
	return nil
}

// WithdrawChurn implements analytics.ChurnStore.
func (s *Store) WithdrawChurn(ctx context.Context, customers []string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.Err != nil {
		return s.Err
	}
	for _, c := range customers {
		delete(s.churn, c)
	}
	return nil
}

// ChurnRecorded implements analytics.ChurnStore.
func (s *Store) ChurnRecorded(ctx context.Context, customers []string) (map[string]bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.Err != nil {
		return nil, s.Err
	}
	out := map[string]bool{}
	for _, c := range customers {
		if _, ok := s.churn[c]; ok {
			out[c] = true
		}
	}
	return out, nil
}

// ChurnReport implements analytics.ChurnStore with the rules in plain Go:
// a customer's last answer is their row of the highest stored version
// (confirmed before unconfirmed, then the latest), among the rows of the
// responses first answered in q's range that carry their respondent id.
func (s *Store) ChurnReport(ctx context.Context, q analytics.ChurnQuery) (*analytics.ChurnReport, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.Err != nil {
		return nil, s.Err
	}
	var rows []analytics.Response
	for _, r := range s.responses {
		if r.SurveyID == q.Survey.ID {
			rows = append(rows, r)
		}
	}
	folded := Fold(rows)
	last := map[string]analytics.Response{}
	for _, r := range rows {
		first := folded[r.ResponseID].First
		if r.Respondent == "" || (r.Unconfirmed && !q.IncludeUnconfirmed) ||
			(!q.From.IsZero() && first.Before(q.From)) || (!q.To.IsZero() && !first.Before(q.To)) {
			continue
		}
		if prev, ok := last[r.Respondent]; !ok || StoredVersion(r) > StoredVersion(prev) {
			last[r.Respondent] = r
		}
	}
	tally := analytics.NewChurnTally(q.Survey)
	today := analytics.DayNumber(q.Today)
	for customer, r := range last {
		answerDay := analytics.DayNumber(time.Unix(0, int64(r.Version&^(1<<63))))
		c, churned := s.churn[customer]
		status := analytics.ClassifyChurn(answerDay, analytics.DayNumber(c.ChurnedAt), churned, today, q.WindowDays)
		revenue, revenueCustomers := 0.0, 0
		if churned && c.HasRevenue {
			revenue, revenueCustomers = c.Revenue, 1
		}
		if err := tally.Add(status, r.Score, r.Reasons, 1, revenue, revenueCustomers); err != nil {
			return nil, err
		}
	}
	return tally.Finish(), nil
}

// StoredVersion is the version the store keeps an answer under: the
// confirmed bit (63) over the answer's time in nanoseconds.
func StoredVersion(r analytics.Response) uint64 {
	v := r.Version &^ (1 << 63)
	if !r.Unconfirmed {
		v |= 1 << 63
	}
	return v
}

// Ping implements analytics.Health.
func (s *Store) Ping(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.Err
}

// MigrationsPending implements analytics.Health: a fake has no schema.
func (s *Store) MigrationsPending(ctx context.Context) (int, error) { return 0, s.Ping(ctx) }

// ServerVersion implements analytics.Health.
func (s *Store) ServerVersion() (string, error) { return "mock", nil }
