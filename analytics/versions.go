package analytics

import (
	"bytes"
	"encoding/json"
	"sort"
	"time"
)

// RetiredReason is a reason removed from a survey: answers that cited it
// keep it in reports, with the groups it was last offered to.
type RetiredReason struct {
	Reason
	Groups    []string  `json:"groups"`
	RetiredAt time.Time `json:"retired_at"`
}

// Survey statuses, as the survey list names them.
const (
	StatusActive   = "active"
	StatusArchived = "archived"
)

// Archived reports whether the survey is closed to new answers and sends.
func (s *Survey) Archived() bool { return s.ArchivedAt != nil }

// Status is StatusArchived or StatusActive.
func (s *Survey) Status() string {
	if s.Archived() {
		return StatusArchived
	}
	return StatusActive
}

// CurrentVersion is the survey's version; surveys saved before versions
// were kept count as version 1.
func (s *Survey) CurrentVersion() int { return max(s.Version, 1) }

// Survey version actions.
const (
	ActionCreated    = "created"
	ActionUpdated    = "updated"
	ActionArchived   = "archived"
	ActionUnarchived = "unarchived"
)

// SurveyVersion is one change of a survey: version 1 is its creation.
type SurveyVersion struct {
	SurveyID string        `json:"-"`
	Version  int           `json:"version"`
	At       time.Time     `json:"at"`
	Action   string        `json:"action"`
	Changes  []FieldChange `json:"changes"`
}

// FieldChange is one top-level field of a survey that a version changed,
// with its JSON value before and after (null when absent).
type FieldChange struct {
	Field string          `json:"field"`
	From  json.RawMessage `json:"from"`
	To    json.RawMessage `json:"to"`
}

// unversioned fields change with every version and are not reported.
var unversioned = map[string]bool{"version": true, "updated_at": true, "created_at": true}

// SurveyChanges lists the fields that differ between two versions of a
// survey, by JSON name in alphabetical order.
func SurveyChanges(before, after *Survey) ([]FieldChange, error) {
	a, err := surveyFields(before)
	if err != nil {
		return nil, err
	}
	b, err := surveyFields(after)
	if err != nil {
		return nil, err
	}
	names := map[string]bool{}
	for k := range a {
		names[k] = true
	}
	for k := range b {
		names[k] = true
	}
	sorted := make([]string, 0, len(names))
	for k := range names {
		if !unversioned[k] {
			sorted = append(sorted, k)
		}
	}
	sort.Strings(sorted)
	out := []FieldChange{}
	null := json.RawMessage("null")
	for _, k := range sorted {
		from, to := a[k], b[k]
		if from == nil {
			from = null
		}
		if to == nil {
			to = null
		}
		if !bytes.Equal(from, to) {
			out = append(out, FieldChange{Field: k, From: from, To: to})
		}
	}
	return out, nil
}

func surveyFields(sv *Survey) (map[string]json.RawMessage, error) {
	body, err := json.Marshal(sv)
	if err != nil {
		return nil, err
	}
	var m map[string]json.RawMessage
	return m, json.Unmarshal(body, &m)
}

// RetireRemoved keeps the reasons of before that after no longer offers
// (at the top level nor in any group) among after's RetiredReasons, and
// drops from them any reason after offers again.
func RetireRemoved(before, after *Survey, at time.Time) {
	retired := []RetiredReason{}
	seen := map[string]bool{}
	for _, r := range before.RetiredReasons {
		if !after.HasReason(r.ID) && !seen[r.ID] {
			seen[r.ID] = true
			retired = append(retired, r)
		}
	}
	for _, r := range before.AllReasons() {
		if r.Retired || after.HasReason(r.ID) || seen[r.ID] {
			continue
		}
		seen[r.ID] = true
		retired = append(retired, RetiredReason{Reason: r.Reason, Groups: r.Groups, RetiredAt: at})
	}
	if len(retired) == 0 {
		retired = nil
	}
	after.RetiredReasons = retired
}
