package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"heed/analytics"
)

// Cases close the loop on detractors (analytics/cases.go): every
// detractor answer is an open case until someone assigns it, notes what
// was done and closes it.

// caseView is a case as the API shows it.
type caseView struct {
	ResponseID   string     `json:"response_id"`
	Status       string     `json:"status"`
	Assignee     string     `json:"assignee"`
	OpenedAt     time.Time  `json:"opened_at"`
	ClosedAt     *time.Time `json:"closed_at"`
	ClosedBy     string     `json:"closed_by,omitempty"`
	UpdatedAt    *time.Time `json:"updated_at"`
	TimeToCloseS *int64     `json:"time_to_close_s"`
	NotesCount   int        `json:"notes_count"`
	Answer       caseAnswer `json:"answer"`
}

// caseDetail is one case with its notes (GET and PATCH of one case).
type caseDetail struct {
	caseView
	Notes []analytics.CaseNote `json:"notes"`
}

// caseAnswer is the case's answer with the person behind it and the
// labels of its reasons.
type caseAnswer struct {
	answerView
	ReasonLabels []string `json:"reason_labels"`
}

// caseViews shows cases, with the contacts behind email answers (one read).
func (s *Server) caseViews(ctx context.Context, sv *analytics.Survey, cases []analytics.Case) ([]caseView, error) {
	answers := make([]analytics.Answer, len(cases))
	for i, c := range cases {
		answers[i] = c.Answer
	}
	people, err := s.people(ctx, answers)
	if err != nil {
		return nil, err
	}
	out := make([]caseView, len(cases))
	for i, c := range cases {
		v := caseView{ResponseID: c.Answer.ResponseID, Status: analytics.CaseStatusOf(c.State), Assignee: c.State.Assignee,
			OpenedAt: c.Answer.CreatedAt.UTC(), ClosedBy: c.State.ClosedBy, NotesCount: c.NoteCount,
			Answer: caseAnswer{answerView: people[i], ReasonLabels: sv.ReasonLabels(c.Answer.Reasons)}}
		if v.Answer.Reasons == nil {
			v.Answer.Reasons = []string{}
		}
		if v.Answer.ReasonLabels == nil {
			v.Answer.ReasonLabels = []string{}
		}
		if c.Acted && !c.State.UpdatedAt.IsZero() {
			at := c.State.UpdatedAt.UTC()
			v.UpdatedAt = &at
		}
		if c.State.Closed() && !c.State.ClosedAt.IsZero() {
			at := c.State.ClosedAt.UTC()
			secs := int64(c.TimeToClose() / time.Second)
			v.ClosedAt, v.TimeToCloseS = &at, &secs
		}
		out[i] = v
	}
	return out, nil
}

// listCases handles GET /api/v1/surveys/:id/cases: the cases opened (first
// answered) in the range, newest first, of one status or both, with the
// counts of the whole range.
func (s *Server) listCases(c echo.Context) error {
	sv, err := s.survey(c)
	if err != nil {
		return err
	}
	rq, err := reportQuery(c, sv)
	fields := map[string]string{}
	var ferr *Error
	if errors.As(err, &ferr) && ferr.Fields != nil {
		fields = ferr.Fields
	} else if err != nil {
		return err
	}
	cq := analytics.CaseQuery{SurveyID: sv.ID, From: rq.From, To: rq.To, IncludeUnconfirmed: rq.IncludeUnconfirmed, Limit: 100}
	switch st := c.QueryParam("status"); st {
	case "", analytics.CaseOpen, analytics.CaseClosed:
		cq.Status = st
	default:
		fields["status"] = "must be open or closed"
	}
	if v := c.QueryParam("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			fields["limit"] = "must be an integer from 1 to 1000"
		}
		cq.Limit = n
	}
	if len(fields) > 0 {
		return invalid(fields)
	}
	ctx := c.Request().Context()
	list, err := s.store.ListCases(ctx, cq)
	if err != nil {
		return err
	}
	views, err := s.caseViews(ctx, sv, list.Cases)
	if err != nil {
		return err
	}
	summary := map[string]any{"open": list.Summary.Open, "closed": list.Summary.Closed, "median_time_to_close_s": nil}
	if m, ok := list.Summary.MedianTimeToClose(); ok {
		summary["median_time_to_close_s"] = m
	}
	return c.JSON(http.StatusOK, map[string]any{"survey_id": sv.ID, "from": rq.From.Format(time.DateOnly), "to": rq.To.Format(time.DateOnly),
		"status": cq.Status, "summary": summary, "cases": views})
}

// oneCase reads the case of the route's response: 404 when the survey has
// no such response, 409 when its answer is no detractor's and nobody acted
// on it (a case is a detractor answer).
func (s *Server) oneCase(c echo.Context) (*analytics.Survey, analytics.Case, error) {
	sv, err := s.survey(c)
	if err != nil {
		return nil, analytics.Case{}, err
	}
	raw := c.Param("response_id")
	id, err := uuid.Parse(raw)
	if err != nil || id == uuid.Nil {
		return nil, analytics.Case{}, newError(http.StatusNotFound, "no response %s in survey %q", shown(raw), sv.ID)
	}
	ctx := c.Request().Context()
	a, err := s.store.CaseAnswer(ctx, sv.ID, id)
	if errors.Is(err, analytics.ErrNotFound) {
		return nil, analytics.Case{}, newError(http.StatusNotFound, "no response %s in survey %q", id, sv.ID)
	} else if err != nil {
		return nil, analytics.Case{}, err
	}
	st, acted, err := s.store.CaseState(ctx, sv.ID, id)
	if err != nil {
		return nil, analytics.Case{}, err
	}
	if !acted && !analytics.IsDetractor(a.Score) {
		return nil, analytics.Case{}, newError(http.StatusConflict,
			"response %s is a %s's answer (score %d): cases are for detractor answers (0-6)", id, groupSingular(a.Score), a.Score)
	}
	st.SurveyID, st.ResponseID, st.OpenedAt = sv.ID, id, a.CreatedAt
	return sv, analytics.Case{Answer: a, State: st, Acted: acted}, nil
}

func groupSingular(score uint8) string {
	switch {
	case analytics.IsPromoter(score):
		return "promoter"
	case analytics.IsDetractor(score):
		return "detractor"
	}
	return "passive"
}

// showCase answers with one case and its notes.
func (s *Server) showCase(c echo.Context, sv *analytics.Survey, cs analytics.Case, status int) error {
	ctx := c.Request().Context()
	notes, err := s.store.CaseNotes(ctx, sv.ID, cs.State.ResponseID)
	if err != nil {
		return err
	}
	cs.NoteCount = len(notes)
	views, err := s.caseViews(ctx, sv, []analytics.Case{cs})
	if err != nil {
		return err
	}
	v := caseDetail{caseView: views[0], Notes: notes}
	if v.Notes == nil {
		v.Notes = []analytics.CaseNote{}
	}
	return c.JSON(status, v)
}

// getCase handles GET /api/v1/surveys/:id/cases/:response_id.
func (s *Server) getCase(c echo.Context) error {
	sv, cs, err := s.oneCase(c)
	if err != nil {
		return err
	}
	return s.showCase(c, sv, cs, http.StatusOK)
}

// caseInput is the JSON of PATCH .../cases/:response_id.
type caseInput struct {
	Assignee *string `json:"assignee"`
	Status   *string `json:"status"`
	Note     *string `json:"note"`
	// By is not the client's to choose: notes and closes are the
	// caller's (caseAuthor). Older clients sent it; one naming anyone
	// else is refused, so nobody believes they wrote as someone else.
	By *string `json:"by"`
}

// caseAuthor names the caller on the notes and closes they write: the
// signed-in account's email, the API key's name (and id: names are not
// unique), or "bootstrap" for HEED_ADMIN_KEY.
func caseAuthor(p *principal) string {
	if p != nil && p.Key != nil {
		return p.Key.Name + " (key " + p.Key.ID + ")"
	}
	return p.actor()
}

// patchCase handles PATCH /api/v1/surveys/:id/cases/:response_id: assign,
// note, close or reopen a case. Everything is checked before anything is
// stored; each change is audited (case.assign, case.note, case.close,
// case.reopen), without the note's text or the assignee.
func (s *Server) patchCase(c echo.Context) error {
	var in caseInput
	if err := decodeJSON(c, &in, false); err != nil {
		return err
	}
	author := caseAuthor(caller(c))
	if in.By != nil && strings.TrimSpace(*in.By) != author {
		return invalid(map[string]string{"by": "is who signs the request (" + author + "); leave it out"})
	}
	u := analytics.CaseUpdate{Assignee: in.Assignee, Status: in.Status, Note: in.Note, By: author}
	if err := u.Validate(); err != nil {
		return err
	}
	sv, cs, err := s.oneCase(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	now := time.Now()
	var note *analytics.CaseNote
	if u.Note != nil {
		notes, err := s.store.CaseNotes(ctx, sv.ID, cs.State.ResponseID)
		if err != nil {
			return err
		}
		if len(notes) >= analytics.MaxCaseNotes {
			return invalid(map[string]string{"note": fmt.Sprintf("this case has %d notes, the most it keeps", analytics.MaxCaseNotes)})
		}
		note = &analytics.CaseNote{At: now, Author: u.By, Text: *u.Note}
	}
	cs.State = u.Apply(cs.State, now)
	if err := s.store.SaveCase(ctx, cs.State, note); err != nil {
		return err
	}
	target := sv.ID + "/" + cs.State.ResponseID.String()
	if u.Assignee != nil {
		detail := "assigned"
		if *u.Assignee == "" {
			detail = "unassigned"
		}
		s.audit(c, analytics.AuditEntry{Action: "case.assign", Target: target, Detail: detail})
	}
	if u.Status != nil {
		action := "case.reopen"
		if *u.Status == analytics.CaseClosed {
			action = "case.close"
		}
		s.audit(c, analytics.AuditEntry{Action: action, Target: target})
	}
	if note != nil {
		s.audit(c, analytics.AuditEntry{Action: "case.note", Target: target})
	}
	cs.Acted = true
	// As stored: times to the second.
	cs.State.UpdatedAt = cs.State.UpdatedAt.Truncate(time.Second)
	cs.State.ClosedAt = cs.State.ClosedAt.Truncate(time.Second)
	return s.showCase(c, sv, cs, http.StatusOK)
}
