package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"heed/analytics"
	"heed/emails"
)

// Survey administration beyond create and read: PATCH, archive and
// unarchive, delete, the list's figures and the version history.

// CodeSurveyArchived is the error code of what an archived survey refuses
// (answers, sends).
const CodeSurveyArchived = "survey_archived"

// purgeWait bounds how long DELETE waits for the store to finish deleting
// a survey's rows before answering that it is still under way.
const purgeWait = 20 * time.Second

// archivedError is the 409 an archived survey answers new answers and sends.
func archivedError(sv *analytics.Survey) *Error {
	return &Error{Status: http.StatusConflict, Code: CodeSurveyArchived,
		Message: "survey " + sv.ID + " is archived and takes no new answers or sends; POST /api/v1/surveys/" + sv.ID + "/unarchive reopens it"}
}

// brandErrors checks sender_name (a name only: it is the From name of the
// survey's emails, analytics.CheckSenderName) and logo_url (an https URL).
func (in *surveyInput) brandErrors() map[string]string {
	fields := map[string]string{}
	if msg := analytics.CheckSenderName(in.SenderName); msg != "" {
		fields["sender_name"] = msg
	}
	if in.LogoURL != "" {
		u, err := url.Parse(in.LogoURL)
		// SafeLogoURL is what the email and the answer page will show.
		if err != nil || u.Scheme != "https" || u.Hostname() == "" || u.User != nil || emails.SafeLogoURL(in.LogoURL) == "" {
			fields["logo_url"] = "must be an https URL such as https://shop.example.com/logo.png"
		}
	}
	return fields
}

// surveyPatch is the body of PATCH /api/v1/surveys/:id: any fields of
// surveyInput, and the version the change was made on.
type surveyPatch struct {
	surveyInput
	Version *int `json:"version"`
}

// apply sets on in the fields the body held (present): each replaces the
// survey's, but widget, whose rules sent change and others stay.
func (p *surveyPatch) apply(in *surveyInput, present map[string]json.RawMessage) {
	src := p.surveyInput
	for k := range present {
		switch k {
		case "name":
			in.Name = src.Name
		case "question":
			in.Question = src.Question
		case "reasons":
			in.Reasons = src.Reasons
		case "follow_ups":
			in.FollowUps = src.FollowUps
		case "language":
			in.Language = src.Language
		case "allowed_origins":
			in.AllowedOrigins = src.AllowedOrigins
		case "widget":
			in.Widget.merge(src.Widget)
		case "alert_emails":
			in.AlertEmails = src.AlertEmails
		case "digest":
			in.Digest = src.Digest
		case "sender_name":
			in.SenderName = src.SenderName
		case "logo_url":
			in.LogoURL = src.LogoURL
		case "retention_days":
			in.RetentionDays = src.RetentionDays
		}
	}
}

// merge sets on w the rules src holds.
func (w *widgetInput) merge(src widgetInput) {
	for _, f := range []struct{ dst, src **int }{{&w.DelaySeconds, &src.DelaySeconds}, {&w.ScrollPercent, &src.ScrollPercent},
		{&w.SamplePercent, &src.SamplePercent}, {&w.RecontactDaysAnswered, &src.RecontactDaysAnswered},
		{&w.RecontactDaysDismissed, &src.RecontactDaysDismissed}} {
		if *f.src != nil {
			*f.dst = *f.src
		}
	}
	if src.URLInclude != nil {
		w.URLInclude = src.URLInclude
	}
	if src.URLExclude != nil {
		w.URLExclude = src.URLExclude
	}
}

// inputOf is the input that would create sv as it is: a PATCH changes it
// (surveyPatch.apply), so that absent fields keep their values.
func inputOf(sv *analytics.Survey) surveyInput {
	in := surveyInput{
		Name: sv.Name, Question: sv.Question, Reasons: reasonInputs(sv.Reasons), Language: sv.Language,
		AllowedOrigins: append([]string{}, sv.AllowedOrigins...), AlertEmails: append([]string{}, sv.AlertEmails...),
		SenderName: sv.SenderName, LogoURL: sv.LogoURL, RetentionDays: sv.RetentionDays,
	}
	w := sv.Widget
	in.Widget = widgetInput{DelaySeconds: &w.DelaySeconds, ScrollPercent: &w.ScrollPercent, SamplePercent: &w.SamplePercent,
		RecontactDaysAnswered: &w.RecontactDaysAnswered, RecontactDaysDismissed: &w.RecontactDaysDismissed,
		URLInclude: append([]string{}, w.URLInclude...), URLExclude: append([]string{}, w.URLExclude...)}
	if f := sv.FollowUps; f != nil {
		in.FollowUps = &followUpsInput{}
		dst := [3]**followUpInput{&in.FollowUps.Detractors, &in.FollowUps.Passives, &in.FollowUps.Promoters}
		for i, g := range analytics.Groups {
			if own := f.Group(g); own != nil {
				*dst[i] = &followUpInput{Question: own.Question, Reasons: reasonInputs(own.Reasons)}
			}
		}
	}
	if d := sv.Digest; d != nil {
		hour := d.Hour
		in.Digest = &digestInput{Schedule: d.Schedule, Weekday: d.Weekday, Hour: &hour, TZ: d.TZ, Emails: append([]string{}, d.Emails...)}
	}
	return in
}

func reasonInputs(rs []analytics.Reason) []reasonInput {
	out := make([]reasonInput, len(rs))
	for i, r := range rs {
		out[i] = reasonInput{ID: r.ID, Label: r.Label}
	}
	return out
}

// updateSurvey handles PATCH /api/v1/surveys/:id: the fields sent change,
// the others stay; validated as on create. With "version", the change
// applies only to that version (409 otherwise). Reasons removed are kept as
// retired_reasons, so that reports still show the answers citing them.
func (s *Server) updateSurvey(c echo.Context) error {
	sv, err := s.survey(c)
	if err != nil {
		return err
	}
	body, err := io.ReadAll(c.Request().Body)
	if err != nil {
		if isEchoTooLarge(err) {
			return newError(http.StatusRequestEntityTooLarge, "request body too large")
		}
		return err
	}
	// A first, strict decoding checks the body (type, unknown fields) and
	// reads the version; the change decodes it again over the current survey.
	c.Request().Body = io.NopCloser(bytes.NewReader(body))
	var probe surveyPatch
	if err := decodeJSON(c, &probe, false); err != nil {
		return unembedFields(err)
	}
	version := 0
	if probe.Version != nil {
		if version = *probe.Version; version < 1 {
			return invalid(map[string]string{"version": "must be at least 1"})
		}
	}
	var present map[string]json.RawMessage
	if err := json.Unmarshal(body, &present); err != nil {
		return jsonError(err)
	}
	updated, err := s.surveys.Update(c.Request().Context(), sv.ID, version, analytics.ActionUpdated, func(next *analytics.Survey) error {
		in := inputOf(next)
		probe.apply(&in, present)
		built, err := s.newSurvey(in, next.ID)
		if err != nil {
			return err
		}
		built.CreatedAt, built.UpdatedAt, built.Version, built.ArchivedAt = next.CreatedAt, next.UpdatedAt, next.Version, next.ArchivedAt
		analytics.RetireRemoved(next, built, time.Now().UTC())
		*next = *built
		return nil
	})
	if err != nil {
		return s.surveyWriteError(err, updated, version)
	}
	s.audit(c, analytics.AuditEntry{Action: "survey.update", Target: sv.ID, Detail: fmt.Sprintf("version %d", updated.Version)})
	return c.JSON(http.StatusOK, updated)
}

// unembedFields names a field error of surveyPatch by its JSON name
// (encoding/json prefixes the embedded struct's: "surveyInput.name").
func unembedFields(err error) error {
	var apiErr *Error
	if !errors.As(err, &apiErr) || len(apiErr.Fields) == 0 {
		return err
	}
	fields := map[string]string{}
	for k, v := range apiErr.Fields {
		fields[strings.TrimPrefix(k, "surveyInput.")] = v
	}
	return invalid(fields)
}

// surveyWriteError words what Surveys.Update and Delete refuse.
func (s *Server) surveyWriteError(err error, cur *analytics.Survey, version int) error {
	switch {
	case errors.Is(err, analytics.ErrVersionConflict):
		return newError(http.StatusConflict, "survey %s is at version %d, not %d: it changed since you read it; GET it again and reapply your change",
			cur.ID, cur.CurrentVersion(), version)
	case errors.Is(err, analytics.ErrNotFound):
		return newError(http.StatusNotFound, "no such survey")
	}
	return err
}

// archiveSurvey handles POST /api/v1/surveys/:id/archive: the survey takes
// no new answers nor sends; its reports and answers stay readable.
func (s *Server) archiveSurvey(c echo.Context) error {
	return s.setArchived(c, true)
}

// unarchiveSurvey handles POST /api/v1/surveys/:id/unarchive.
func (s *Server) unarchiveSurvey(c echo.Context) error {
	return s.setArchived(c, false)
}

func (s *Server) setArchived(c echo.Context, archived bool) error {
	sv, err := s.survey(c)
	if err != nil {
		return err
	}
	action := analytics.ActionUnarchived
	if archived {
		action = analytics.ActionArchived
	}
	updated, err := s.surveys.Update(c.Request().Context(), sv.ID, 0, action, func(next *analytics.Survey) error {
		switch {
		case archived && !next.Archived():
			now := time.Now().UTC()
			next.ArchivedAt = &now
		case !archived:
			next.ArchivedAt = nil
		}
		return nil
	})
	if err != nil {
		return s.surveyWriteError(err, updated, 0)
	}
	s.audit(c, analytics.AuditEntry{Action: "survey." + string(action), Target: sv.ID})
	return c.JSON(http.StatusOK, updated)
}

// deleteSurvey handles DELETE /api/v1/surveys/:id?confirm=<id>: the survey
// goes (a tombstone, which every instance's cache honours) and so do its
// answers and every row derived from them. The store's deletion is
// asynchronous: the answer says whether it finished within purgeWait.
func (s *Server) deleteSurvey(c echo.Context) error {
	sv, err := s.survey(c)
	if err != nil {
		return err
	}
	if c.QueryParam("confirm") != sv.ID {
		return newError(http.StatusBadRequest,
			"deleting survey %s removes it and all its answers for good; to confirm, send DELETE /api/v1/surveys/%s?confirm=%s (archive it instead to keep its answers)",
			sv.ID, sv.ID, sv.ID)
	}
	// Once begun, the deletion is not stopped by a client hanging up.
	ctx := context.WithoutCancel(c.Request().Context())
	if err := s.surveys.Delete(ctx, sv.ID); err != nil {
		return s.surveyWriteError(err, sv, 0)
	}
	s.audit(c, analytics.AuditEntry{Action: "survey.delete", Target: sv.ID})
	waitCtx, cancel := context.WithTimeout(ctx, purgeWait+5*time.Second)
	defer cancel()
	done, err := s.store.PurgeSurvey(waitCtx, sv.ID, purgeWait)
	if err != nil {
		return err
	}
	if !done {
		return c.JSON(http.StatusAccepted, map[string]string{"deleted": sv.ID, "answers": "deleting",
			"message": "the survey is gone; ClickHouse is still deleting its answers in the background"})
	}
	return c.JSON(http.StatusOK, map[string]string{"deleted": sv.ID, "answers": "deleted"})
}

// getSurveyVersions handles GET /api/v1/surveys/:id/versions: every
// change, newest first.
func (s *Server) getSurveyVersions(c echo.Context) error {
	sv, err := s.survey(c)
	if err != nil {
		return err
	}
	versions, err := s.store.SurveyVersions(c.Request().Context(), sv.ID)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"survey_id": sv.ID, "version": sv.CurrentVersion(), "versions": versions})
}

// surveyListItem is a survey as GET /api/v1/surveys lists it. Answers and
// LastAnswerAt are null when the store cannot count them just now.
type surveyListItem struct {
	*analytics.Survey
	Status       string     `json:"status"`
	Answers      *int       `json:"answers"`
	LastAnswerAt *time.Time `json:"last_answer_at"`
}

// surveyList is every survey with its figures.
func (s *Server) surveyList(ctx context.Context) []surveyListItem {
	counts, err := s.store.SurveyAnswerCounts(ctx)
	if err != nil {
		s.log.Warn("survey list without answer counts", "err", err)
	}
	list := s.surveys.List()
	out := make([]surveyListItem, 0, len(list))
	for _, sv := range list {
		item := surveyListItem{Survey: sv, Status: sv.Status()}
		if err == nil {
			n := counts[sv.ID]
			item.Answers = &n.Answers
			if !n.LastAnswerAt.IsZero() {
				at := n.LastAnswerAt
				item.LastAnswerAt = &at
			}
		}
		out = append(out, item)
	}
	return out
}

// closedTexts tell a person following an email link that the survey no
// longer takes answers, by language.
var closedTexts = map[string]string{
	"en": "This survey is closed, so it no longer takes answers. Thank you all the same.",
	"es": "Esta encuesta está cerrada y ya no admite respuestas. Gracias de todos modos.",
	"fr": "Ce questionnaire est clos et n'accepte plus de réponses. Merci tout de même.",
	"de": "Diese Umfrage ist geschlossen und nimmt keine Antworten mehr an. Trotzdem vielen Dank.",
}

func closedText(lang string) string {
	if t, ok := closedTexts[lang]; ok {
		return t
	}
	return closedTexts["en"]
}
