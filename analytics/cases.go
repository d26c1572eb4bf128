package analytics

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/google/uuid"
)

// Cases close the loop on detractors: each detractor answer (a response
// whose counting answer scores 0-6) is a case, open until someone acts on
// it: assigns it, notes what was done ("called back, refund given") and
// closes it. The case id is the response id. Nothing is stored for a case
// nobody has touched; once acted upon, its whole current state is one row
// (CaseState), the latest write winning, and its notes are appended.

// Case statuses.
const (
	CaseOpen   = "open"
	CaseClosed = "closed"
)

// Limits on what a case holds (characters).
const (
	MaxCaseAssignee = 200
	MaxCaseBy       = 200
	MaxCaseNote     = 2000
	// MaxCaseNotes bounds the notes one case keeps; later notes are refused.
	MaxCaseNotes = 500
)

// CaseState is the stored state of a case that was acted upon.
type CaseState struct {
	SurveyID   string
	ResponseID uuid.UUID
	// OpenedAt is the time of the response's first answer (the answer's
	// CreatedAt): when the case opened.
	OpenedAt time.Time
	Status   string
	Assignee string
	// ClosedAt and ClosedBy are set while the case is closed.
	ClosedAt  time.Time
	ClosedBy  string
	UpdatedAt time.Time
}

// Closed says whether the case is closed.
func (s CaseState) Closed() bool { return s.Status == CaseClosed }

// CaseNote is one note on a case, never changed once written.
type CaseNote struct {
	SurveyID   string    `json:"-"`
	ResponseID uuid.UUID `json:"-"`
	At         time.Time `json:"at"`
	Author     string    `json:"author"`
	Text       string    `json:"text"`
}

// Case is a detractor answer with what was done about it.
type Case struct {
	Answer Answer
	// State is the stored state; Acted is false (and State the default:
	// open, nobody assigned) when nobody has acted on the case.
	State CaseState
	Acted bool
	// NoteCount counts the case's notes.
	NoteCount int
}

// TimeToClose is how long the case took to close (zero while open).
func (c *Case) TimeToClose() time.Duration {
	if !c.State.Closed() || c.State.ClosedAt.IsZero() {
		return 0
	}
	return max(0, c.State.ClosedAt.Sub(c.Answer.CreatedAt))
}

// CaseQuery selects the cases of a survey opened in [From, To).
type CaseQuery struct {
	SurveyID string
	From, To time.Time
	// Status keeps open or closed cases only; "" keeps both.
	Status string
	// IncludeUnconfirmed also makes cases of detractor answers nobody
	// confirmed (an email link's GET alone, maybe a link scanner).
	IncludeUnconfirmed bool
	Limit              int
}

// CaseList is a page of cases, newest first, with the counts of the
// whole range.
type CaseList struct {
	Cases   []Case
	Summary CaseSummary
}

// CaseSummary counts the cases opened in a range, whatever the Status
// and Limit of the query.
type CaseSummary struct {
	Open   int
	Closed int
	// CloseSeconds holds the time to close of every closed case, in
	// seconds, sorted: its median is MedianTimeToClose.
	CloseSeconds []int64
}

// MedianTimeToClose is the median time to close of the closed cases (the
// mean of the two middle ones for an even count); ok is false with none.
func (s CaseSummary) MedianTimeToClose() (seconds float64, ok bool) {
	n := len(s.CloseSeconds)
	if n == 0 {
		return 0, false
	}
	sorted := append([]int64(nil), s.CloseSeconds...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i] < sorted[j] })
	if n%2 == 1 {
		return float64(sorted[n/2]), true
	}
	return float64(sorted[n/2-1]+sorted[n/2]) / 2, true
}

// IsCase says whether a response with this counting answer and stored
// state is a case: a detractor answer (confirmed, unless asked), or one
// acted upon before its answer changed.
func IsCase(a Answer, acted, includeUnconfirmed bool) bool {
	return acted || (IsDetractor(a.Score) && (a.Confirmed || includeUnconfirmed))
}

// CaseStatusOf is the status a case is listed under.
func CaseStatusOf(st CaseState) string {
	if st.Closed() {
		return CaseClosed
	}
	return CaseOpen
}

// CaseUpdate is a change to a case: each field set is changed; Note, when
// set, is appended.
type CaseUpdate struct {
	Assignee *string
	Status   *string
	Note     *string
	By       string
}

// Validate checks u, naming every field at fault. Texts are trimmed.
func (u *CaseUpdate) Validate() error {
	errs := FieldErrors{}
	u.By = strings.TrimSpace(u.By)
	if u.Assignee != nil {
		a := strings.TrimSpace(*u.Assignee)
		u.Assignee = &a
		if TooLong(a, MaxCaseAssignee) || HasControl(a) {
			errs["assignee"] = fmt.Sprintf("must be at most %d characters, on one line", MaxCaseAssignee)
		}
	}
	if u.Status != nil && *u.Status != CaseOpen && *u.Status != CaseClosed {
		errs["status"] = "must be open or closed"
	}
	if u.Note != nil {
		n := strings.TrimSpace(CleanText(*u.Note))
		u.Note = &n
		switch {
		case n == "":
			errs["note"] = "must not be empty"
		case TooLong(n, MaxCaseNote):
			errs["note"] = fmt.Sprintf("must be at most %d characters", MaxCaseNote)
		}
	}
	if TooLong(u.By, MaxCaseBy) || HasControl(u.By) {
		errs["by"] = fmt.Sprintf("must be at most %d characters, on one line", MaxCaseBy)
	}
	if u.Assignee == nil && u.Status == nil && u.Note == nil && len(errs) == 0 {
		errs["assignee"] = "give at least one of assignee, status and note"
	}
	return errs.orNil()
}

// Apply returns the state after u, at now: closing sets ClosedAt (kept
// when the case was closed already), reopening clears it.
func (u *CaseUpdate) Apply(st CaseState, now time.Time) CaseState {
	if st.Status == "" {
		st.Status = CaseOpen
	}
	if u.Assignee != nil {
		st.Assignee = *u.Assignee
	}
	if u.Status != nil {
		switch {
		case *u.Status == CaseClosed && !st.Closed():
			st.Status, st.ClosedAt, st.ClosedBy = CaseClosed, now, u.By
		case *u.Status == CaseOpen:
			st.Status, st.ClosedAt, st.ClosedBy = CaseOpen, time.Time{}, ""
		}
	}
	st.UpdatedAt = now
	return st
}
