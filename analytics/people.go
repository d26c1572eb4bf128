package analytics

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"hash"
	"net/mail"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
)

// Forgetting a person (DELETE /api/v1/people/:id, heed people forget) and
// exporting what Heed holds on them (GET /api/v1/people/:id/export).
//
// A person is named by an email address or by an id: a respondent id (what
// the widget's identify or an API client sent) or a contact id (the hash of
// an email, ContactID). The store widens that to every email and id it
// links to the person (a contact's email, the contact id of an email), then
// deletes every row holding any of them. What stays is a salted hash of
// each email and id (PersonHasher) in the erased list, so that the person,
// imported again later, is still never emailed.

// MaxPersonID bounds a person's id, as the respondent field does.
const MaxPersonID = 200

// PersonRef names a person: exactly one of Email (normalised) and ID.
type PersonRef struct {
	Email string
	ID    string
}

// ErrBadPerson is the refusal of a person's name that is neither an email
// address nor an id.
var ErrBadPerson = errors.New("name a person by an email address or by a respondent or contact id (1-200 characters, no control characters)")

// ParsePersonRef reads a person's name: an email address when it holds an
// @ (normalised as contacts are: lower-cased, no display name), else an id
// kept exactly as given (ids are case-sensitive).
func ParsePersonRef(s string) (PersonRef, error) {
	s = strings.TrimSpace(s)
	if s == "" || TooLong(s, MaxPersonID) || HasControl(s) {
		return PersonRef{}, ErrBadPerson
	}
	if strings.Contains(s, "@") {
		addr, err := mail.ParseAddress(s)
		if err != nil {
			return PersonRef{}, ErrBadPerson
		}
		return PersonRef{Email: strings.ToLower(addr.Address)}, nil
	}
	return PersonRef{ID: s}, nil
}

// PersonHasher makes the salted hashes the erased list keeps: HMAC-SHA256
// under a server secret (HEED_ERASURE_KEY), so that the list says nothing
// to someone holding a copy of the database, who cannot test a guessed
// address against it without the key. (ContactID is a plain hash, which
// anyone can compute from an address: it is not kept.)
type PersonHasher struct {
	key []byte
	id  string
}

// MinErasureKey is the shortest erasure key accepted, in bytes.
const MinErasureKey = 16

// NewPersonHasher returns a hasher under key.
func NewPersonHasher(key string) (*PersonHasher, error) {
	if len(key) < MinErasureKey {
		return nil, errors.New("the erasure key must be at least 16 characters")
	}
	h := &PersonHasher{key: []byte(key)}
	h.id = h.sum("key-id", "heed")[:12]
	return h, nil
}

// KeyID names the key without revealing it: stored with every hash, so a
// send can tell hashes made under another key (a lost or changed key),
// which it could not recognise, and refuse to run rather than email a
// forgotten person.
func (h *PersonHasher) KeyID() string { return h.id }

func (h *PersonHasher) sum(kind, value string) string {
	return sumWith(hmac.New(sha256.New, h.key), kind, value)
}

// sumWith is sum on a MAC of h's key, reset first: an insert hashes
// thousands of rows, and a fresh MAC per hash doubled the cost.
func sumWith(m hash.Hash, kind, value string) string {
	m.Reset()
	m.Write([]byte("heed:erased:" + kind + "\x00" + value))
	var b [sha256.Size]byte
	return hex.EncodeToString(m.Sum(b[:0]))
}

// NormalEmail is an address as Heed compares addresses: trimmed and
// lower-cased, as ContactID hashes it. A respondent holding an address
// (an API client may send "Alice@Example.com ") names the same person.
func NormalEmail(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// Email is the hash of a normalised email address.
func (h *PersonHasher) Email(email string) string {
	return h.sum("email", NormalEmail(email))
}

// ID is the hash of a respondent or contact id.
func (h *PersonHasher) ID(id string) string { return h.sum("id", id) }

// Response is the hash of one response (a survey's response id): a
// forgotten person's responses are on the erased list too, so that a
// follow-up of one, which carries no respondent, is recognised.
func (h *PersonHasher) Response(surveyID string, id uuid.UUID) string {
	return h.sum("response", surveyID+" "+id.String())
}

// RowHashes are the hashes under which an answer (or, without a response
// id, a dismissal) names somebody who may be forgotten: its response, its
// respondent as an id and, when it holds an @, as an address (any case),
// and the property values that hold an address. An insert leaves out a
// row with one of them on the erased list.
func (h *PersonHasher) RowHashes(surveyID string, response uuid.UUID, respondent string, values []string) []string {
	return h.rowHashes(hmac.New(sha256.New, h.key), surveyID, response, respondent, values)
}

// rowHashes is RowHashes on a MAC of h's key (see sumWith); the kinds and
// normalisation are those of Response, ID and Email.
func (h *PersonHasher) rowHashes(m hash.Hash, surveyID string, response uuid.UUID, respondent string, values []string) []string {
	out := make([]string, 0, 3)
	if response != uuid.Nil {
		out = append(out, sumWith(m, "response", surveyID+" "+response.String()))
	}
	if respondent != "" {
		out = append(out, sumWith(m, "id", respondent))
		if strings.Contains(respondent, "@") {
			out = append(out, sumWith(m, "email", NormalEmail(respondent)))
		}
	}
	for _, v := range values {
		if strings.Contains(v, "@") {
			out = append(out, sumWith(m, "email", NormalEmail(v)))
		}
	}
	return out
}

// ErasedAmong tells which of some hashes are on the erased list (a store's
// lookup, one per batch).
type ErasedAmong func(hashes map[string]bool) (map[string]bool, error)

// UnerasedResponses returns rows without those of forgotten people, which
// a store leaves out at insert: a row goes when one of its RowHashes is on
// the erased list, and so does every other row of its response in the
// batch (a follow-up carries no respondent). rows itself is unchanged.
func (h *PersonHasher) UnerasedResponses(rows []Response, among ErasedAmong) ([]Response, error) {
	if len(rows) == 0 {
		return rows, nil
	}
	of := make([][]string, len(rows))
	want := map[string]bool{}
	m := hmac.New(sha256.New, h.key)
	var values []string
	for i := range rows {
		r := &rows[i]
		values = values[:0]
		for _, v := range r.Properties {
			values = append(values, v)
		}
		of[i] = h.rowHashes(m, r.SurveyID, r.ResponseID, r.Respondent, values)
		for _, x := range of[i] {
			want[x] = true
		}
	}
	erased, err := among(want)
	if err != nil || len(erased) == 0 {
		return rows, err
	}
	type key struct {
		survey string
		id     uuid.UUID
	}
	gone := map[key]bool{}
	for i := range rows {
		for _, x := range of[i] {
			if erased[x] {
				gone[key{rows[i].SurveyID, rows[i].ResponseID}] = true
			}
		}
	}
	out := make([]Response, 0, len(rows))
	for _, r := range rows {
		if !gone[key{r.SurveyID, r.ResponseID}] {
			out = append(out, r)
		}
	}
	return out, nil
}

// UnerasedDismissals is UnerasedResponses for dismissals (by respondent).
func (h *PersonHasher) UnerasedDismissals(rows []Dismissal, among ErasedAmong) ([]Dismissal, error) {
	if len(rows) == 0 {
		return rows, nil
	}
	of := make([][]string, len(rows))
	want := map[string]bool{}
	m := hmac.New(sha256.New, h.key)
	for i, d := range rows {
		of[i] = h.rowHashes(m, d.SurveyID, uuid.Nil, d.Respondent, nil)
		for _, x := range of[i] {
			want[x] = true
		}
	}
	erased, err := among(want)
	if err != nil || len(erased) == 0 {
		return rows, err
	}
	out := make([]Dismissal, 0, len(rows))
	for i, d := range rows {
		if !slices.ContainsFunc(of[i], func(x string) bool { return erased[x] }) {
			out = append(out, d)
		}
	}
	return out, nil
}

// Forgotten reports whether a contact belongs to a forgotten person: its
// email's or its id's hash is in erased.
func (h *PersonHasher) Forgotten(c Contact, erased map[string]bool) bool {
	return erased[h.Email(c.Email)] || erased[h.ID(c.ContactID)]
}

// ErasedMark is one entry of the erased list.
type ErasedMark struct {
	Hash  string
	Kind  string // "email", "id" or "response"
	KeyID string
}

// Marks returns the erased-list entries of a person's emails and ids.
func (h *PersonHasher) Marks(emails, ids []string) []ErasedMark {
	var out []ErasedMark
	for _, e := range emails {
		out = append(out, ErasedMark{Hash: h.Email(e), Kind: "email", KeyID: h.id})
	}
	for _, id := range ids {
		out = append(out, ErasedMark{Hash: h.ID(id), Kind: "id", KeyID: h.id})
	}
	return out
}

// ResponseMark returns the erased-list entry of one of a person's responses.
func (h *PersonHasher) ResponseMark(surveyID string, id uuid.UUID) ErasedMark {
	return ErasedMark{Hash: h.Response(surveyID, id), Kind: "response", KeyID: h.id}
}

// ErasedList is the erased list as a send checks it.
type ErasedList struct {
	Hashes map[string]bool
	// KeyIDs counts the entries made under each key.
	KeyIDs map[string]int
}

// ErrErasureKey is a send's refusal when the erased list holds hashes of
// another key: the people they stand for could not be recognised.
var ErrErasureKey = errors.New("the erased list holds hashes made with another HEED_ERASURE_KEY, so forgotten people could not be recognised; set the key they were made with")

// Check returns ErrErasureKey unless every entry was made with h's key.
func (l ErasedList) Check(h *PersonHasher) error {
	for id, n := range l.KeyIDs {
		if n > 0 && (h == nil || id != h.KeyID()) {
			return ErrErasureKey
		}
	}
	return nil
}

// ForgetSummary says what forgetting a person removed: rows per table and
// how many hashes the erased list keeps. It holds no personal data, so it
// can be logged and audited as it is.
type ForgetSummary struct {
	// Done is false while ClickHouse is still deleting (mutations run in
	// the background and finish by themselves).
	Done bool `json:"done"`
	// Removed counts the stored rows matched, per table (rows not yet
	// merged count once each), and under "outbox" the outbox messages
	// removed (mail kept on local disk without a SendGrid key).
	Removed map[string]uint64 `json:"removed"`
	// Emails and IDs count the addresses and ids linked to the person, each
	// kept only as a salted hash.
	Emails int `json:"emails"`
	IDs    int `json:"ids"`
	// Responses counts the person's responses removed.
	Responses int `json:"responses"`
	// AlreadyForgotten says the person was on the erased list before.
	AlreadyForgotten bool      `json:"already_forgotten"`
	At               time.Time `json:"at"`
}

// Rows is the total of Removed.
func (s ForgetSummary) Rows() uint64 {
	var n uint64
	for _, v := range s.Removed {
		n += v
	}
	return n
}

// MaxExportRows bounds each list of a person's export, so that an export
// stays bounded in memory; Truncated says when a list was cut.
const MaxExportRows = 10000

// PersonExport is everything Heed holds on a person, as stored: every
// stored row (a response's superseded answers too, until merged away).
type PersonExport struct {
	Emails       []string            `json:"emails"`
	IDs          []string            `json:"ids"`
	Contacts     []Contact           `json:"contacts"`
	Suppressions []PersonSuppression `json:"suppressions"`
	Answers      []PersonAnswer      `json:"answers"`
	Dismissals   []PersonDismissal   `json:"dismissals"`
	Sends        []PersonSendLog     `json:"sends"`
	EmailEvents  []PersonEmailEvent  `json:"email_events"`
	Cases        []PersonCase        `json:"cases"`
	CaseNotes    []PersonCaseNote    `json:"case_notes"`
	Churn        []PersonChurn       `json:"churn"`
	Customers    []PersonLastAnswer  `json:"last_answers"`
	Erased       bool                `json:"erased"`
	// Truncated names the lists cut at MaxExportRows.
	Truncated map[string]bool `json:"truncated,omitempty"`
}

// PersonSuppression is a stored suppression row.
type PersonSuppression struct {
	ContactID string    `json:"contact_id"`
	Reason    string    `json:"reason"`
	Email     string    `json:"email"`
	Lifted    bool      `json:"lifted"`
	At        time.Time `json:"at"`
}

// PersonAnswer is a stored answer row.
type PersonAnswer struct {
	SurveyID   string            `json:"survey_id"`
	ResponseID uuid.UUID         `json:"response_id"`
	CreatedAt  time.Time         `json:"created_at"`
	AnsweredAt time.Time         `json:"answered_at"`
	Score      uint8             `json:"score"`
	Reasons    []string          `json:"reasons"`
	Comment    string            `json:"comment"`
	Channel    string            `json:"channel"`
	Respondent string            `json:"respondent"`
	Properties map[string]string `json:"properties"`
	Confirmed  bool              `json:"confirmed"`
}

// PersonDismissal is a stored dismissal of the widget.
type PersonDismissal struct {
	SurveyID   string    `json:"survey_id"`
	At         time.Time `json:"at"`
	Respondent string    `json:"respondent"`
}

// PersonSendLog is a stored row of a send's log.
type PersonSendLog struct {
	SendID    string    `json:"send_id"`
	Kind      string    `json:"kind"`
	SurveyID  string    `json:"survey_id"`
	ContactID string    `json:"contact_id"`
	Email     string    `json:"email"`
	Status    string    `json:"status"`
	At        time.Time `json:"at"`
}

// PersonEmailEvent is a stored SendGrid event.
type PersonEmailEvent struct {
	Event     string    `json:"event"`
	Email     string    `json:"email"`
	ContactID string    `json:"contact_id"`
	SendID    string    `json:"send_id"`
	SurveyID  string    `json:"survey_id"`
	Reason    string    `json:"reason"`
	At        time.Time `json:"at"`
}

// PersonCase is a stored state of a case on one of the person's answers.
type PersonCase struct {
	SurveyID   string    `json:"survey_id"`
	ResponseID uuid.UUID `json:"response_id"`
	Status     string    `json:"status"`
	Assignee   string    `json:"assignee"`
	OpenedAt   time.Time `json:"opened_at"`
	UpdatedAt  time.Time `json:"updated_at"`
}

// PersonCaseNote is a note on a case of the person's answers.
type PersonCaseNote struct {
	SurveyID   string    `json:"survey_id"`
	ResponseID uuid.UUID `json:"response_id"`
	At         time.Time `json:"at"`
	Author     string    `json:"author"`
	Text       string    `json:"text"`
}

// PersonChurn is a stored churn record (or withdrawal) of the person.
type PersonChurn struct {
	Customer  string    `json:"customer"`
	Email     string    `json:"email"`
	Withdrawn bool      `json:"withdrawn"`
	ChurnedAt time.Time `json:"churned_at"`
	Reason    string    `json:"reason"`
	Revenue   *float64  `json:"revenue"`
	UpdatedAt time.Time `json:"updated_at"`
}

// PersonLastAnswer is the person's last answer to a survey as the churn
// report keeps it.
type PersonLastAnswer struct {
	SurveyID   string   `json:"survey_id"`
	Respondent string   `json:"respondent"`
	Score      uint8    `json:"score"`
	Reasons    []string `json:"reasons"`
}

// PeopleStore forgets and exports people, and keeps the erased list.
type PeopleStore interface {
	// ForgetPerson deletes every row holding one of the person's emails or
	// ids, after adding the hashes of them (hasher.Marks) to the erased
	// list, and waits up to wait for the deletions to finish (Done).
	ForgetPerson(ctx context.Context, p PersonRef, hasher *PersonHasher, wait time.Duration) (ForgetSummary, error)
	// ExportPerson returns what the store holds on the person (each list
	// at most MaxExportRows long); Erased says whether hasher finds them on
	// the erased list.
	ExportPerson(ctx context.Context, p PersonRef, hasher *PersonHasher) (*PersonExport, error)
	// Erased returns the erased list.
	Erased(ctx context.Context) (ErasedList, error)
	// AnyErased reports whether any of hashes (hasher.Email, hasher.ID) is
	// on the erased list: one person's check, without reading the list.
	AnyErased(ctx context.Context, hashes []string) (bool, error)
}
