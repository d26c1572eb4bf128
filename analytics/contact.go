package analytics

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/mail"
	"strings"
	"time"
)

// Contact is a person Heed may survey by email.
type Contact struct {
	ContactID  string            `json:"contact_id"`
	Email      string            `json:"email"`
	Name       string            `json:"name"`
	Properties map[string]string `json:"properties"`
	UpdatedAt  time.Time         `json:"updated_at"`
}

// ContactID is the stable id of a normalised email address: a hash, so
// links and reports need not carry the address itself.
func ContactID(email string) string {
	sum := sha256.Sum256([]byte(strings.ToLower(strings.TrimSpace(email))))
	return hex.EncodeToString(sum[:8])
}

// ContactFilter selects contacts: all of them, those whose properties match
// every Where pair, or those with the listed ids.
type ContactFilter struct {
	Where      map[string]string `json:"where,omitempty"`
	ContactIDs []string          `json:"contact_ids,omitempty"`
}

// Suppression reasons: why a contact must get no more survey email.
const (
	SuppressUnsubscribe = "unsubscribe"
	SuppressBounce      = "bounce"
	SuppressSpamReport  = "spamreport"
	SuppressDropped     = "dropped"
)

// MaxContactName bounds a contact's name, in characters.
const MaxContactName = 200

// ContactInput is one contact as the API and the CSV import take it.
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

// ImportSummary says what a normalisation kept and refused.
type ImportSummary struct {
	Imported   int              `json:"imported"`
	Duplicates int              `json:"duplicates"`
	Invalid    []ContactProblem `json:"invalid"`
}

// NormalizeContacts validates and normalises contacts for the API and the
// CSV import alike: addresses parsed with net/mail and lower-cased, names
// trimmed, properties bounded, later duplicates of an address merged into
// the first (last value wins). index maps each input to its position for
// error reports.
func NormalizeContacts(in []ContactInput, index func(i int) int) ([]Contact, ImportSummary) {
	var sum ImportSummary
	var out []Contact
	pos := map[string]int{}
	for i, c := range in {
		problem := func(msg string) {
			sum.Invalid = append(sum.Invalid, ContactProblem{Index: index(i), Email: c.Email, Error: msg})
		}
		addr, err := mail.ParseAddress(strings.TrimSpace(c.Email))
		if err != nil || !Deliverable(addr.Address) {
			problem("not an email address")
			continue
		}
		email := strings.ToLower(addr.Address)
		name := strings.TrimSpace(CleanLine(c.Name))
		if name == "" {
			name = strings.TrimSpace(CleanLine(addr.Name)) // net/mail keeps the spaces of a quoted display name
		}
		if TooLong(name, MaxContactName) {
			problem(fmt.Sprintf("name longer than %d characters", MaxContactName))
			continue
		}
		if msg := CheckProperties(c.Properties); msg != "" {
			problem(msg)
			continue
		}
		contact := Contact{ContactID: ContactID(email), Email: email, Name: name, Properties: c.Properties}
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

// Deliverable is stricter than net/mail, which accepts addresses SendGrid
// refuses (and one refused address fails a whole batch): ASCII, no spaces,
// a dotted domain of letters, digits and hyphens.
func Deliverable(addr string) bool {
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

// Suppression is why a contact gets no more survey email, and since when.
type Suppression struct {
	Reason string    `json:"reason"`
	Since  time.Time `json:"since"`
}

// SuppressManual is a suppression a manager set.
const SuppressManual = "manual"

// Liftable reports whether a manager may lift a suppression of this
// reason: one a manager set, or a bounce or drop (the address may have
// been fixed). A person's own unsubscribe or spam report is theirs to
// undo, not a manager's.
func Liftable(reason string) bool {
	return reason == SuppressManual || reason == SuppressBounce || reason == SuppressDropped
}

// ContactSend is one email of a send to a contact: its kind (the survey
// email or the reminder), its latest status, and when it was first logged.
type ContactSend struct {
	SendID   string    `json:"send_id"`
	Kind     string    `json:"kind"`
	SurveyID string    `json:"survey_id"`
	Status   string    `json:"status"`
	At       time.Time `json:"at"`
}
