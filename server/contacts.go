package server

import (
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"heed/analytics"
)

// maxContactsPerRequest bounds one POST; the CSV import has no such bound.
const maxContactsPerRequest = 10000

// createContacts handles POST /api/v1/contacts with a JSON array.
func (s *Server) createContacts(c echo.Context) error {
	var in []analytics.ContactInput
	if err := decodeJSON(c, &in, false); err != nil {
		return err
	}
	if len(in) == 0 || len(in) > maxContactsPerRequest {
		return newError(http.StatusUnprocessableEntity, "send a JSON array of 1 to %d contacts", maxContactsPerRequest)
	}
	contacts, sum := analytics.NormalizeContacts(in, func(i int) int { return i })
	if err := s.store.UpsertContacts(c.Request().Context(), contacts); err != nil {
		return err
	}
	s.audit(c, analytics.AuditEntry{Action: "contact.import",
		Detail: fmt.Sprintf("api: %d imported, %d duplicates, %d invalid", sum.Imported, sum.Duplicates, len(sum.Invalid))})
	return c.JSON(http.StatusOK, sum)
}

// contactsCSVLimit bounds an uploaded contacts CSV (a million contacts
// with a few properties).
const contactsCSVLimit = "64MiB"

// importContactsCSV handles POST /api/v1/contacts.csv: the import of `heed
// contacts import`, for the dashboard's upload: a header row email,name,
// <property>..., a contact a row, read as it arrives, in bounded batches
// (at most analytics.MaxContactColumns columns, rows of at most
// analytics.MaxContactRow bytes). It answers what the CLI prints: new,
// updated, duplicates, the number of refused rows and the first of them
// with their line numbers.
func (s *Server) importContactsCSV(c echo.Context) error {
	if ct := c.Request().Header.Get(echo.HeaderContentType); !strings.HasPrefix(ct, "text/csv") {
		return newError(http.StatusUnsupportedMediaType, "send the contacts as text/csv (a header row email,name,<property>...)")
	}
	sum, err := analytics.ImportContactsCSV(c.Request().Context(), s.store, c.Request().Body)
	var he *echo.HTTPError
	switch {
	case errors.As(err, &he) && he.Code == http.StatusRequestEntityTooLarge: // the body limit
		return newError(http.StatusRequestEntityTooLarge, "the file is larger than %s; import it with heed contacts import", contactsCSVLimit)
	case errors.Is(err, analytics.ErrContactsCSV):
		return newError(http.StatusUnprocessableEntity, "%v", err)
	case err != nil:
		return err
	}
	s.audit(c, analytics.AuditEntry{Action: "contact.import", Detail: ContactImportDetail("csv", sum)})
	return c.JSON(http.StatusOK, sum)
}

// maxContactSearch bounds a contacts list.
const maxContactSearch = 200

var contactIDPattern = regexp.MustCompile(`^[0-9a-f]{1,64}$`)

// contactView is a contact in a list: with whether it may be emailed.
type contactView struct {
	analytics.Contact
	Suppressed bool `json:"suppressed"`
}

// listContacts handles GET /api/v1/contacts?q=&limit=: the contacts whose
// email or name holds q (any case), newest first.
func (s *Server) listContacts(c echo.Context) error {
	text := c.QueryParam("q")
	if analytics.TooLong(text, 200) || analytics.HasControl(text) {
		return invalid(map[string]string{"q": "must be at most 200 characters, without control characters"})
	}
	limit := 50
	if v := c.QueryParam("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxContactSearch {
			return invalid(map[string]string{"limit": fmt.Sprintf("must be a whole number from 1 to %d", maxContactSearch)})
		}
		limit = n
	}
	ctx := c.Request().Context()
	found, err := s.store.SearchContacts(ctx, text, limit)
	if err != nil {
		return err
	}
	suppressed, err := s.store.Suppressed(ctx)
	if err != nil {
		return err
	}
	// A forgotten person imported again is suppressed by their hash.
	erased, err := s.store.Erased(ctx)
	if err != nil {
		return err
	}
	hasher, _ := s.erasure()
	out := make([]contactView, len(found))
	for i, ct := range found {
		out[i] = contactView{Contact: ct, Suppressed: suppressed[ct.ContactID] || (hasher != nil && hasher.Forgotten(ct, erased.Hashes))}
	}
	return c.JSON(http.StatusOK, map[string]any{"contacts": out})
}

// contactParam reads :id, a contact id, and loads the contact.
func (s *Server) contactParam(c echo.Context) (analytics.Contact, error) {
	id := c.Param("id")
	if !contactIDPattern.MatchString(id) {
		return analytics.Contact{}, newError(http.StatusNotFound, "no contact with this id")
	}
	ct, err := s.store.Contact(c.Request().Context(), id)
	if errors.Is(err, analytics.ErrNotFound) {
		return ct, newError(http.StatusNotFound, "no contact with this id")
	}
	return ct, err
}

// contactAnswer is one of a contact's answers, with its survey.
type contactAnswer struct {
	SurveyID   string `json:"survey_id"`
	SurveyName string `json:"survey_name"`
	analytics.Answer
}

// personAnswers bounds the answers a contact's page lists per survey.
const personAnswers = 100

// getContact handles GET /api/v1/contacts/:id: one person: the contact,
// their suppressions, their answers to every survey, and the emails sent
// to them.
func (s *Server) getContact(c echo.Context) error {
	ct, err := s.contactParam(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	sups, err := s.store.ContactSuppressions(ctx, ct.ContactID)
	if err != nil {
		return err
	}
	sends, err := s.store.ContactSends(ctx, ct.ContactID)
	if err != nil {
		return err
	}
	ids, err := s.store.RespondentSurveys(ctx, ct.ContactID)
	if err != nil {
		return err
	}
	answers := []contactAnswer{}
	to := time.Now().UTC().Truncate(24*time.Hour).AddDate(0, 0, 1)
	for _, id := range ids {
		sv, ok := s.surveys.Get(id)
		if !ok {
			continue // deleted
		}
		q := analytics.ReportQuery{Survey: sv, From: time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC), To: to, Interval: analytics.Month, Respondent: ct.ContactID}
		list, err := s.store.ListAnswers(ctx, q, personAnswers)
		if err != nil {
			return err
		}
		for _, a := range list {
			answers = append(answers, contactAnswer{SurveyID: sv.ID, SurveyName: sv.Name, Answer: a})
		}
	}
	sort.Slice(answers, func(i, j int) bool { return answers[i].CreatedAt.After(answers[j].CreatedAt) })
	return c.JSON(http.StatusOK, map[string]any{"contact": ct, "suppressed": len(sups) > 0, "suppressions": sups,
		"answers": answers, "emails": sends})
}

// suppressContact handles POST /api/v1/contacts/:id/suppress: no more
// survey email to this person (a manager's suppression, which can be
// lifted).
func (s *Server) suppressContact(c echo.Context) error {
	ct, err := s.contactParam(c)
	if err != nil {
		return err
	}
	if err := s.store.Suppress(c.Request().Context(), ct.ContactID, ct.Email, analytics.SuppressManual); err != nil {
		return err
	}
	// Whom is not recorded (see person.erase): the contact's id would
	// outlive an erasure of them.
	s.audit(c, analytics.AuditEntry{Action: "contact.suppress", Detail: analytics.SuppressManual})
	return c.JSON(http.StatusOK, map[string]any{"contact_id": ct.ContactID, "suppressed": true})
}

// unsuppressContact handles POST /api/v1/contacts/:id/unsuppress: lifts
// the suppressions a manager may lift (theirs, bounces, drops). A person's
// own unsubscribe or spam report stays: only they can undo it.
func (s *Server) unsuppressContact(c echo.Context) error {
	ct, err := s.contactParam(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	sups, err := s.store.ContactSuppressions(ctx, ct.ContactID)
	if err != nil {
		return err
	}
	var lift, keep []string
	for _, sp := range sups {
		if analytics.Liftable(sp.Reason) {
			lift = append(lift, sp.Reason)
		} else {
			keep = append(keep, sp.Reason)
		}
	}
	if len(lift) > 0 {
		if err := s.store.Unsuppress(ctx, ct.ContactID, lift); err != nil {
			return err
		}
		s.audit(c, analytics.AuditEntry{Action: "contact.unsuppress", Detail: "lifted " + strings.Join(lift, ",")})
	}
	if len(keep) > 0 {
		return newError(http.StatusConflict, "%s asked for no more email themselves (%s): only they can undo that, so Heed keeps them off every send",
			ct.Email, strings.Join(keep, ", "))
	}
	return c.JSON(http.StatusOK, map[string]any{"contact_id": ct.ContactID, "suppressed": false, "lifted": lift})
}
