package analytics

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"sync/atomic"
)

// Surveys keeps every survey in memory in front of a SurveyStore: each
// answer looks its survey up, and surveys are few. Load fills it (again);
// Save writes through.
type Surveys struct {
	store  SurveyStore
	loaded atomic.Bool

	mu   sync.RWMutex
	byID map[string]*Survey
}

// NewSurveys returns an empty cache over store; call Load to fill it.
func NewSurveys(store SurveyStore) *Surveys {
	return &Surveys{store: store, byID: map[string]*Survey{}}
}

// Load replaces the cache with what the store holds.
func (s *Surveys) Load(ctx context.Context) error {
	list, err := s.store.LoadSurveys(ctx)
	if err != nil {
		return fmt.Errorf("load surveys: %w", err)
	}
	byID := make(map[string]*Survey, len(list))
	for _, sv := range list {
		byID[sv.ID] = sv
	}
	// Merge rather than replace: a survey saved while the store was read is
	// in the cache but maybe not in the result. The newer version wins.
	s.mu.Lock()
	for id, cached := range s.byID {
		if loaded, ok := byID[id]; !ok || cached.UpdatedAt.After(loaded.UpdatedAt) {
			byID[id] = cached
		}
	}
	s.byID = byID
	s.mu.Unlock()
	s.loaded.Store(true)
	return nil
}

// Loaded reports whether a Load has succeeded: until then, an unknown id
// may be a survey the store has and the cache does not yet.
func (s *Surveys) Loaded() bool { return s.loaded.Load() }

// Save writes a survey (new or changed) and caches it once the store has it.
func (s *Surveys) Save(ctx context.Context, sv *Survey) error {
	if err := s.store.SaveSurvey(ctx, sv); err != nil {
		return fmt.Errorf("save survey: %w", err)
	}
	copied := *sv
	s.mu.Lock()
	s.byID[sv.ID] = &copied
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
