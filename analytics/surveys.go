package analytics

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"sync/atomic"
	"time"
)

// Surveys keeps every survey in memory in front of a SurveyStore: each
// answer looks its survey up, and surveys are few. Load fills it (again);
// Save writes through.
type Surveys struct {
	store  SurveyStore
	loaded atomic.Bool

	mu   sync.RWMutex
	byID map[string]*Survey
	// gen counts writes; savedAt holds the gen of each id's last write, so
	// that Load keeps what was written while it read (and only that).
	gen     uint64
	savedAt map[string]uint64

	// writes serializes Update and Delete: read, change, write.
	writes sync.Mutex
	// refresh serializes Refresh; mark is the store's SurveysMark at the
	// last Load, missed when a miss last made Lookup refresh.
	refresh sync.Mutex
	mark    string
	missed  time.Time
}

// MissRefreshEvery bounds how often Lookup asks the store about a survey
// the cache does not have: ids nobody created cost one small query a
// second at most.
const MissRefreshEvery = time.Second

// NewSurveys returns an empty cache over store; call Load to fill it.
func NewSurveys(store SurveyStore) *Surveys {
	return &Surveys{store: store, byID: map[string]*Survey{}, savedAt: map[string]uint64{}}
}

// Load replaces the cache with what the store holds.
func (s *Surveys) Load(ctx context.Context) error {
	s.mu.RLock()
	started := s.gen
	s.mu.RUnlock()
	list, err := s.store.LoadSurveys(ctx)
	if err != nil {
		return fmt.Errorf("load surveys: %w", err)
	}
	byID := make(map[string]*Survey, len(list))
	for _, sv := range list {
		byID[sv.ID] = sv
	}
	// Merge rather than replace: a survey saved while the store was read is
	// in the cache but maybe not in the result. The newer version wins. A
	// cached survey the store no longer has was deleted (maybe through
	// another instance) unless it was saved here during the read.
	s.mu.Lock()
	for id, cached := range s.byID {
		loaded, ok := byID[id]
		switch {
		case !ok && s.savedAt[id] > started:
			byID[id] = cached
		case ok && cached.UpdatedAt.After(loaded.UpdatedAt):
			byID[id] = cached
		}
	}
	for id, gen := range s.savedAt {
		if gen <= started {
			delete(s.savedAt, id)
		}
	}
	s.byID = byID
	s.mu.Unlock()
	s.loaded.Store(true)
	return nil
}

// Refresh loads the cache again when the store's surveys changed since the
// last Load (a survey saved or deleted through another instance): one small
// query, and a Load only then.
func (s *Surveys) Refresh(ctx context.Context) error {
	s.refresh.Lock()
	defer s.refresh.Unlock()
	mark, err := s.store.SurveysMark(ctx)
	if err != nil {
		return fmt.Errorf("surveys mark: %w", err)
	}
	if s.Loaded() && mark == s.mark {
		return nil
	}
	if err := s.Load(ctx); err != nil {
		return err
	}
	s.mark = mark // read before the Load: a change during it is seen next time
	return nil
}

// Lookup returns a survey, from the cache or, on a miss, after a Refresh
// (at most one per MissRefreshEvery): a survey created through another
// instance answers at once, not at the next periodic refresh.
func (s *Surveys) Lookup(ctx context.Context, id string) (*Survey, bool) {
	if sv, ok := s.Get(id); ok || !s.Loaded() {
		return sv, ok
	}
	s.refresh.Lock()
	due := time.Since(s.missed) >= MissRefreshEvery
	if due {
		s.missed = time.Now()
	}
	s.refresh.Unlock()
	if due {
		_ = s.Refresh(ctx) // a failure is a miss; the periodic refresh logs
	}
	return s.Get(id)
}

// Loaded reports whether a Load has succeeded: until then, an unknown id
// may be a survey the store has and the cache does not yet.
func (s *Surveys) Loaded() bool { return s.loaded.Load() }

// Save writes a survey (new or changed) and caches it once the store has it.
func (s *Surveys) Save(ctx context.Context, sv *Survey) error {
	if err := s.store.SaveSurvey(ctx, sv); err != nil {
		return fmt.Errorf("save survey: %w", err)
	}
	s.cache(sv)
	return nil
}

func (s *Surveys) cache(sv *Survey) {
	copied := *sv
	s.mu.Lock()
	s.gen++
	s.savedAt[sv.ID] = s.gen
	s.byID[sv.ID] = &copied
	s.mu.Unlock()
}

// ErrVersionConflict is returned by Update when the caller's version is
// not the survey's current one.
var ErrVersionConflict = errors.New("the survey has changed since that version")

// Update changes a survey: change gets a copy of the current version (if
// version is not 0, it must be the current one: ErrVersionConflict) and
// edits it, or returns an error to give up. The result is saved as the next
// version, with a SurveyVersion saying what changed; nothing is saved when
// nothing changed. Updates of one Surveys are serialized.
func (s *Surveys) Update(ctx context.Context, id string, version int, action string, change func(sv *Survey) error) (*Survey, error) {
	s.writes.Lock()
	defer s.writes.Unlock()
	cur, ok := s.Get(id)
	if !ok {
		return nil, ErrNotFound
	}
	if version != 0 && version != cur.CurrentVersion() {
		return cur, ErrVersionConflict
	}
	next := *cur
	if err := change(&next); err != nil {
		return nil, err
	}
	changes, err := SurveyChanges(cur, &next)
	if err != nil {
		return nil, err
	}
	if len(changes) == 0 {
		return cur, nil
	}
	now := time.Now().UTC()
	if !now.After(cur.UpdatedAt) {
		now = cur.UpdatedAt.Add(time.Microsecond)
	}
	next.UpdatedAt = now
	next.Version = cur.CurrentVersion() + 1
	if err := s.store.SaveSurvey(ctx, &next); err != nil {
		return nil, fmt.Errorf("save survey: %w", err)
	}
	s.cache(&next)
	v := SurveyVersion{SurveyID: id, Version: next.Version, At: now, Action: action, Changes: changes}
	if err := s.store.SaveSurveyVersion(ctx, v); err != nil {
		return nil, fmt.Errorf("save survey version: %w", err)
	}
	return &next, nil
}

// Create saves a new survey as version 1.
func (s *Surveys) Create(ctx context.Context, sv *Survey) error {
	sv.Version = 1
	if err := s.Save(ctx, sv); err != nil {
		return err
	}
	v := SurveyVersion{SurveyID: sv.ID, Version: 1, At: sv.CreatedAt, Action: ActionCreated, Changes: []FieldChange{}}
	if err := s.store.SaveSurveyVersion(ctx, v); err != nil {
		return fmt.Errorf("save survey version: %w", err)
	}
	return nil
}

// Delete writes the survey's tombstone and drops it from the cache; other
// instances drop it at their next Load. Its answers are the store's to
// purge (SurveyStore.PurgeSurvey).
func (s *Surveys) Delete(ctx context.Context, id string) error {
	s.writes.Lock()
	defer s.writes.Unlock()
	cur, ok := s.Get(id)
	if !ok {
		return ErrNotFound
	}
	at := time.Now().UTC()
	if !at.After(cur.UpdatedAt) {
		at = cur.UpdatedAt.Add(time.Microsecond)
	}
	if err := s.store.DeleteSurvey(ctx, id, at); err != nil {
		return fmt.Errorf("delete survey: %w", err)
	}
	s.mu.Lock()
	delete(s.byID, id)
	delete(s.savedAt, id)
	s.mu.Unlock()
	return nil
}

// Get returns a cached survey. The result is shared: do not modify it.
func (s *Surveys) Get(id string) (*Survey, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	sv, ok := s.byID[id]
	return sv, ok
}

// List returns all surveys, newest first.
func (s *Surveys) List() []*Survey {
	s.mu.RLock()
	out := make([]*Survey, 0, len(s.byID))
	for _, sv := range s.byID {
		out = append(out, sv)
	}
	s.mu.RUnlock()
	sort.Slice(out, func(i, j int) bool {
		if !out[i].CreatedAt.Equal(out[j].CreatedAt) {
			return out[i].CreatedAt.After(out[j].CreatedAt)
		}
		return out[i].ID < out[j].ID
	})
	return out
}
