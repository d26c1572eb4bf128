package server

import (
	"fmt"
	"net/http"
	"net/mail"
	"strings"

	"github.com/labstack/echo/v4"

	"heed/analytics"
)

// ContactInput is one contact as the API and CSV import take it.
type ContactInput struct {
	Email      string            `json:"email"`
	Name       string            `json:"name"`
	Properties map[string]string `json:"properties"`
}

// ContactProblem is an input that was not imported, and why.
type ContactProblem struct {
	Index int    `json:"index"` // 0-based in the JSON array; the line number in a CSV
	Email string `json:"email"`
	Error string `json:"error"`
}

// ImportSummary says what an import did.
type ImportSummary struct {
	Imported   int              `json:"imported"`
	Duplicates int              `json:"duplicates"`
	Invalid    []ContactProblem `json:"invalid"`
}

// NormalizeContacts validates and normalises contacts: addresses parsed
// with net/mail and lower-cased, names trimmed, properties bounded, later
// duplicates of an address merged into the first (last value wins).
// index maps each input to its position for error reports.
func NormalizeContacts(in []ContactInput, index func(i int) int) ([]analytics.Contact, ImportSummary) {
	var sum ImportSummary
	var out []analytics.Contact
	pos := map[string]int{}
	for i, c := range in {
		problem := func(msg string) {
			sum.Invalid = append(sum.Invalid, ContactProblem{Index: index(i), Email: c.Email, Error: msg})
		}
		addr, err := mail.ParseAddress(strings.TrimSpace(c.Email))
		if err != nil || !deliverable(addr.Address) {
			problem("not an email address")
			continue
		}
		email := strings.ToLower(addr.Address)
		name := strings.TrimSpace(c.Name)
		if name == "" {
			name = addr.Name
		}
		if len(name) > 200 {
			problem("name longer than 200 characters")
			continue
		}
		if len(c.Properties) > 20 {
			problem("more than 20 properties")
			continue
		}
		bad := ""
		for k, v := range c.Properties {
			if k == "" || len(k) > 100 || len(v) > 500 {
				bad = fmt.Sprintf("property %q: names 1-100 characters, values up to 500", k)
			}
		}
		if bad != "" {
			problem(bad)
			continue
		}
		contact := analytics.Contact{ContactID: analytics.ContactID(email), Email: email, Name: name, Properties: c.Properties}
		if j, dup := pos[email]; dup {
			sum.Duplicates++
			out[j] = contact
			continue
		}
		pos[email] = len(out)
		out = append(out, contact)
	}
	sum.Imported = len(out)
	if sum.Invalid == nil {
		sum.Invalid = []ContactProblem{}
	}
	return out, sum
}

// deliverable is stricter than net/mail, which accepts addresses SendGrid
// refuses (and one refused address fails a whole batch): ASCII, no spaces,
// a dotted domain of letters, digits and hyphens.
func deliverable(addr string) bool {
	local, domain, ok := strings.Cut(addr, "@")
	if !ok || local == "" || len(addr) > 254 || strings.ContainsAny(addr, " \t\r\n\"()<>[],;:\\") {
		return false
	}
	labels := strings.Split(domain, ".")
	if len(labels) < 2 {
		return false
	}
	for _, l := range labels {
		if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return false
		}
		for _, r := range l {
			if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-') {
				return false
			}
		}
	}
	for _, r := range local {
		if r > 0x7e || r < 0x21 {
			return false
		}
	}
	return true
}

// maxContactsPerRequest bounds one POST; the CSV import has no such bound.
const maxContactsPerRequest = 10000

// createContacts handles POST /api/v1/contacts with a JSON array.
func (s *Server) createContacts(c echo.Context) error {
	var in []ContactInput
	if err := decodeJSON(c, &in, false); err != nil {
		return err
	}
	if len(in) == 0 || len(in) > maxContactsPerRequest {
		return newError(http.StatusUnprocessableEntity, "send a JSON array of 1 to %d contacts", maxContactsPerRequest)
	}
	contacts, sum := NormalizeContacts(in, func(i int) int { return i })
	if err := s.db.UpsertContacts(c.Request().Context(), contacts); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, sum)
}
