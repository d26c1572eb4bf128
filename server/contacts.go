package server

import (
	"errors"
	"net/http"
	"strings"

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
	return c.JSON(http.StatusOK, sum)
}

// contactsCSVLimit bounds an uploaded contacts CSV (a million contacts
// with a few properties).
const contactsCSVLimit = "64M"

// importContactsCSV handles POST /api/v1/contacts.csv: the import of `heed
// contacts import`, for the dashboard's upload: a header row email,name,
// <property>..., a contact a row, read as it arrives, in chunks. It answers
// what the CLI prints: new, updated, duplicates and the refused rows with
// their line numbers.
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
	return c.JSON(http.StatusOK, sum)
}
