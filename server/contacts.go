package server

import (
	"net/http"

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
