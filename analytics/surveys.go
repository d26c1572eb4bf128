package analytics

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"sync"
	"time"
)

// Reason is one answer to "why?" that a survey offers, e.g.
// {"id":"rude_service","label":"Rude or unhelpful service"}.
type Reason struct {
	ID    string `json:"id"`
	Label string `json:"label"`
}

// Survey is what a customer is asked. It is stored as JSON (see
// migrations/0001_surveys.sql), so new fields need no migration.
type Survey struct {
	ID       string   `json:"id"`
	Name     string   `json:"name"`
	Question string   `json:"question"`
	Reasons  []Reason `json:"reasons"`
	// Language of the widget's own texts (en, es, fr, de); empty means the
	// visitor's browser language.
	Language       string         `json:"language"`
	AllowedOrigins []string       `json:"allowed_origins"`
	Widget         WidgetSettings `json:"widget"`
	// AlertEmails hear within minutes when a detractor (0-6) answers.
	AlertEmails []string  `json:"alert_emails"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
}

// WidgetSettings are the politeness rules of the website widget.
type WidgetSettings struct {
	DelaySeconds  int      `json:"delay_seconds"`
	ScrollPercent int      `json:"scroll_percent"`
	URLInclude    []string `json:"url_include"`
	URLExclude    []string `json:"url_exclude"`
	SamplePercent int      `json:"sample_percent"`
	// RecontactDaysAnswered and RecontactDaysDismissed keep a person from
	// being asked again too soon after answering or closing the widget.
	RecontactDaysAnswered  int `json:"recontact_days_answered"`
	RecontactDaysDismissed int `json:"recontact_days_dismissed"`
}

// DefaultQuestion is the standard NPS question. Surveys that keep it get it
// in each reader's language (widget, email); their own wording is shown as
// written.
const DefaultQuestion = "How likely are you to recommend us to a friend or colleague?"

// Widget defaults.
const (
	DefaultRecontactDaysAnswered  = 90
	DefaultRecontactDaysDismissed = 30
)

// DefaultWidgetSettings asks everyone, at once, and not again for 90 days
// after an answer or 30 after a dismissal.
func DefaultWidgetSettings() WidgetSettings {
	return WidgetSettings{URLInclude: []string{}, URLExclude: []string{}, SamplePercent: 100,
		RecontactDaysAnswered: DefaultRecontactDaysAnswered, RecontactDaysDismissed: DefaultRecontactDaysDismissed}
}

// HasReason reports whether id is one of the survey's reasons.
func (s *Survey) HasReason(id string) bool {
	for _, r := range s.Reasons {
		if r.ID == id {
			return true
		}
	}
	return false
}

// Surveys stores surveys in ClickHouse and keeps all of them in memory:
// every response post looks its survey up, and surveys are few.
type Surveys struct {
	db *DB

	mu   sync.RWMutex
	byID map[string]*Survey
}

// NewSurveys returns an empty store; call Load to fill it.
func NewSurveys(db *DB) *Surveys {
	return &Surveys{db: db, byID: map[string]*Survey{}}
}

// Load replaces the cache with what ClickHouse holds.
func (s *Surveys) Load(ctx context.Context) error {
	rows, err := s.db.conn.Query(ctx, `
		SELECT id, argMax(body, version) AS last_body, argMax(deleted, version) AS last_deleted
		FROM surveys
		GROUP BY id`)
	if err != nil {
		return fmt.Errorf("load surveys: %w", err)
	}
	defer rows.Close()
	byID := map[string]*Survey{}
	for rows.Next() {
		var id, body string
		var deleted uint8
		if err := rows.Scan(&id, &body, &deleted); err != nil {
			return fmt.Errorf("load surveys: %w", err)
		}
		if deleted == 1 {
			continue
		}
		// Surveys saved before a field existed get its default.
		sv := Survey{Widget: DefaultWidgetSettings()}
		if err := json.Unmarshal([]byte(body), &sv); err != nil {
			return fmt.Errorf("load survey %s: %w", id, err)
		}
		byID[id] = &sv
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("load surveys: %w", err)
	}
	// Merge rather than replace: a survey saved while this query ran is in
	// the cache but maybe not in the result. The newer version wins.
	s.mu.Lock()
	for id, cached := range s.byID {
		if loaded, ok := byID[id]; !ok || cached.UpdatedAt.After(loaded.UpdatedAt) {
			byID[id] = cached
		}
	}
	s.byID = byID
	s.mu.Unlock()
	return nil
}

// Save writes a survey (new or changed) and caches it once ClickHouse has it.
func (s *Surveys) Save(ctx context.Context, sv *Survey) error {
	body, err := json.Marshal(sv)
	if err != nil {
		return fmt.Errorf("save survey: %w", err)
	}
	err = s.db.insert(ctx, "save survey", "INSERT INTO surveys (id, version, deleted, body, updated_at)", 1, func(int) []any {
		return []any{sv.ID, uint64(sv.UpdatedAt.UnixNano()), uint8(0), string(body), sv.UpdatedAt.UTC()}
	})
	if err != nil {
		return err
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
