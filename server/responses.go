package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/go-playground/validator/v10"
	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"heed/analytics"
	"heed/analytics/ingest"
)

// responseInput is the JSON of an answer. The rules on the answer itself
// are analytics.Response.Validate; the tags here cover only what is not part
// of it.
type responseInput struct {
	Score      *int              `json:"score" validate:"required"`
	Reasons    []string          `json:"reasons"`
	Comment    string            `json:"comment"`
	Channel    string            `json:"channel"`
	ResponseID string            `json:"response_id" validate:"max=64"`
	Respondent string            `json:"respondent"`
	Properties map[string]string `json:"properties"`
	// ElapsedMS (time from showing the question to this post) and HP (a
	// honeypot field humans never fill) come from the widget; see isBot.
	ElapsedMS *int64 `json:"elapsed_ms"`
	HP        string `json:"hp" validate:"max=500"`
}

// isBot spots naive bots: a filled honeypot, or a widget answer faster than
// a person can read the question. (A widget answer without elapsed_ms is
// refused with 422 before this.)
func (in *responseInput) isBot() bool {
	return in.HP != "" || (in.Channel == analytics.ChannelWidget && (in.ElapsedMS == nil || *in.ElapsedMS < minAnswerMillis))
}

// response checks in against sv and returns the answer it describes, with
// every field at fault named at once.
func (s *Server) response(in *responseInput, sv *analytics.Survey) (analytics.Response, error) {
	fields := analytics.FieldErrors{}
	var verrs validator.ValidationErrors
	if err := s.validate.Struct(in); errors.As(err, &verrs) {
		for k, v := range fieldMessages(verrs) {
			fields[k] = v
		}
	} else if err != nil {
		return analytics.Response{}, err
	}
	r := analytics.Response{
		SurveyID:   sv.ID,
		Reasons:    sortedCopy(in.Reasons), // one order, so equal sets group together in reports
		Comment:    in.Comment,
		Channel:    in.Channel,
		Respondent: in.Respondent,
		Properties: in.Properties,
	}
	if r.Channel == "" {
		r.Channel = analytics.ChannelAPI
	}
	// Without a valid score, a score out of range keeps Validate from
	// judging the reasons by a group the answer is not in.
	r.Score = analytics.MaxScore + 1
	if in.Score != nil {
		switch {
		case *in.Score < 0:
			fields["score"] = "must be at least 0"
		case !analytics.ValidScore(*in.Score):
			fields["score"] = "must be at most 10"
		default:
			r.Score = uint8(*in.Score)
		}
	}
	if in.Channel == analytics.ChannelWidget && in.ElapsedMS == nil {
		// Said, not dropped: the bot check needs it, and a client that
		// posts as the widget without it would lose every answer.
		fields["elapsed_ms"] = "is required with channel widget: the milliseconds from showing the question to this post (answers under 1000 are dropped as bots); other clients use channel api"
	}
	if in.ResponseID != "" && fields["response_id"] == "" {
		// Any standard form (upper or lower case, braces, urn:uuid:) is
		// accepted; the canonical form is stored and returned.
		id, err := uuid.Parse(in.ResponseID)
		switch {
		case err != nil || id == uuid.Nil:
			fields["response_id"] = "must be a non-nil UUID"
		case analytics.DerivedResponseID(id):
			// An email answer's id can be computed by anyone who knows the
			// send and the address: naming it would overwrite that answer.
			fields["response_id"] = "must not be a version 5 UUID: Heed derives those for email and imported answers; send a random (version 4) or time-based UUID, or none"
		}
		r.ResponseID = id
	}
	// The first answer's time comes with the answer (analytics/responseid.go),
	// so that any instance receiving any answer of the response agrees on it.
	if in.ResponseID == "" {
		r.NewAnswer(s.emailing.Signer, time.Now())
	} else {
		r.NamedAnswer(s.emailing.Signer, time.Now())
	}
	// Email answers are recorded only through their email's signed links
	// (links.go): an answer posted here, with or without a key, may not
	// pass for one, nor name an email recipient (a contact id) as its
	// respondent.
	if in.Channel == analytics.ChannelEmail {
		fields["channel"] = "must not be email: email answers come only through the links in survey emails; use api, widget or link"
	}
	if analytics.IsContactID(in.Respondent) {
		fields["respondent"] = "must not be a contact id (16 lower-case hex digits): those name email recipients; use your own id for the person"
	}
	var rules analytics.FieldErrors
	if errors.As(r.Validate(sv), &rules) {
		for k, v := range rules {
			if _, ok := fields[k]; !ok { // the score's own message first
				fields[k] = v
			}
		}
	}
	if len(fields) > 0 {
		return r, invalid(fields)
	}
	return r, nil
}

// createResponse handles POST /api/v1/surveys/:id/responses: it checks the
// answer against its survey and queues it for the store. Posting again with
// the same response_id replaces the answer (a follow-up with reasons).
func (s *Server) createResponse(c echo.Context) error {
	sv, err := s.survey(c)
	if err != nil {
		return err
	}
	if err := s.checkOrigin(c, sv); err != nil {
		return err
	}
	if sv.Archived() {
		return archivedError(sv)
	}
	var in responseInput
	if err := decodeJSON(c, &in, true); err != nil {
		return err
	}
	r, err := s.response(&in, sv)
	if err != nil {
		return err
	}
	if in.isBot() {
		// Answer as if stored, so the bot learns nothing.
		s.log.Debug("dropped a bot-like answer", "survey", sv.ID, "ip", c.RealIP())
		return accepted(c, r.ResponseID)
	}
	if err := s.writer.Add(r); err != nil {
		return s.writerError(c, err)
	}
	s.alerts.Answered(sv, r)
	return accepted(c, r.ResponseID)
}

func accepted(c echo.Context, id uuid.UUID) error {
	// Written by hand: this is the hot path, and the shape is fixed.
	return c.Blob(http.StatusAccepted, echo.MIMEApplicationJSON, []byte(`{"response_id":"`+id.String()+`"}`))
}

// writerError words the writer's refusals: all are worth a retry.
func (s *Server) writerError(c echo.Context, err error) error {
	switch {
	case errors.Is(err, ingest.ErrFull):
		c.Response().Header().Set("Retry-After", "5")
		return newError(http.StatusServiceUnavailable, "too many answers waiting for storage; retry shortly")
	case errors.Is(err, ingest.ErrClosed):
		c.Response().Header().Set("Retry-After", "5")
		return newError(http.StatusServiceUnavailable, "the server is shutting down; retry shortly")
	}
	// The spool could not write (a full or failing disk): nothing was
	// stored, and a retry may succeed once the backlog drains.
	s.log.Error("answer not stored: the spool cannot write", "err", err)
	c.Response().Header().Set("Retry-After", "30")
	return newError(http.StatusServiceUnavailable, "answers cannot be stored right now; retry later")
}

// listAnswers handles GET /api/v1/surveys/:id/responses: the answers (with
// comments) first given in the report range, newest first.
func (s *Server) listAnswers(c echo.Context) error {
	sv, err := s.survey(c)
	if err != nil {
		return err
	}
	q, err := reportQuery(c, sv)
	if err != nil {
		return err
	}
	limit := 100
	if v := c.QueryParam("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 10000 {
			return invalid(map[string]string{"limit": "must be an integer from 1 to 10000"})
		}
		limit = n
	}
	ctx := c.Request().Context()
	answers, err := s.store.ListAnswers(ctx, q, limit)
	if err != nil {
		return err
	}
	people, err := s.people(ctx, answers)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"survey_id": sv.ID, "from": q.From.Format(time.DateOnly),
		"to": q.To.Format(time.DateOnly), "responses": people})
}

// answerView is an answer with the person behind it: for an email answer
// (whose respondent is a contact id) the contact's email and name, so a
// manager can call a detractor back.
type answerView struct {
	analytics.Answer
	Email string `json:"email,omitempty"`
	Name  string `json:"name,omitempty"`
}

// people looks up the contacts behind email answers, in one read.
func (s *Server) people(ctx context.Context, answers []analytics.Answer) ([]answerView, error) {
	out := make([]answerView, len(answers))
	var ids []string
	seen := map[string]bool{}
	for i, a := range answers {
		out[i].Answer = a
		if a.Channel == analytics.ChannelEmail && a.Respondent != "" && !seen[a.Respondent] {
			seen[a.Respondent] = true
			ids = append(ids, a.Respondent)
		}
	}
	if len(ids) == 0 {
		return out, nil
	}
	contacts, err := s.store.Contacts(ctx, analytics.ContactFilter{ContactIDs: ids})
	if err != nil {
		return nil, err
	}
	byID := make(map[string]analytics.Contact, len(contacts))
	for _, c := range contacts {
		byID[c.ContactID] = c
	}
	for i := range out {
		if c, ok := byID[out[i].Respondent]; ok && out[i].Channel == analytics.ChannelEmail {
			out[i].Email, out[i].Name = c.Email, c.Name
		}
	}
	return out, nil
}

// getResponsesCSV handles GET /api/v1/surveys/:id/responses.csv: every
// response first given in the range (and segment), with the answer that
// counts and its properties, one row each, streamed as ClickHouse reads
// it. Unconfirmed answers are in, marked.
func (s *Server) getResponsesCSV(c echo.Context) error {
	sv, err := s.survey(c)
	if err != nil {
		return err
	}
	q, err := reportQuery(c, sv)
	if err != nil {
		return err
	}
	name := fmt.Sprintf("heed-%s-responses-%s-%s.csv", sv.ID, q.From.Format(time.DateOnly), q.To.Format(time.DateOnly))
	out := &answersCSV{c: c, sv: sv, name: name, log: s.log}
	if err := s.store.ExportAnswers(c.Request().Context(), q, out); err != nil {
		if out.w != nil {
			return out.w.fail(err)
		}
		return err
	}
	if out.w == nil { // the store found nothing to say: still a valid file
		if err := out.Columns(nil); err != nil {
			return err
		}
	}
	return out.w.finish()
}

// answersCSV writes an export as responses.csv.
type answersCSV struct {
	c      echo.Context
	log    *slog.Logger
	sv     *analytics.Survey
	name   string
	w      *csvWriter
	row    []string
	labels map[string]string // reason ids joined -> labels joined
}

// The columns before the properties.
var answerColumns = []string{"response_id", "first_answered_at", "score", "nps_group", "reasons", "reason_labels",
	"comment", "channel", "respondent", "confirmed", "flags"}

// scoreText and groupText are the score and NPS group cells of each score.
var scoreText, groupText [analytics.MaxScore + 1]string

func init() {
	for s := range scoreText {
		scoreText[s] = strconv.Itoa(s)
		switch score := uint8(s); {
		case analytics.IsPromoter(score):
			groupText[s] = "promoter"
		case analytics.IsDetractor(score):
			groupText[s] = "detractor"
		default:
			groupText[s] = "passive"
		}
	}
}

func (a *answersCSV) Columns(keys []string) error {
	w, err := startCSV(a.c, a.name, a.log)
	if err != nil {
		return err
	}
	a.w, a.labels = w, map[string]string{}
	header := append([]string(nil), answerColumns...)
	for _, k := range keys {
		header = append(header, "property."+k)
	}
	a.row = make([]string, len(header))
	return w.row(header)
}

func (a *answersCSV) Answer(ans *analytics.ExportedAnswer) error {
	labels, ok := a.labels[ans.Reasons]
	if !ok {
		if ans.Reasons != "" {
			labels = strings.Join(a.sv.ReasonLabels(strings.Split(ans.Reasons, ";")), ";")
		}
		if len(a.labels) < 10_000 { // reason sets are few; the cache stays small anyway
			a.labels[ans.Reasons] = labels
		}
	}
	score := int(min(ans.Score, analytics.MaxScore))
	r := append(a.row[:0], ans.ResponseID, ans.FirstAnsweredAt, scoreText[score], groupText[score], ans.Reasons, labels,
		ans.Comment, ans.Channel, ans.Respondent, strconv.FormatBool(ans.Confirmed), ans.Flags)
	r = append(r, ans.PropertyValues...)
	return a.w.row(r)
}
