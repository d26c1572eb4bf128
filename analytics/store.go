package analytics

import (
	"context"
	"time"

	"github.com/google/uuid"
)

// The interfaces through which Heed stores and reads its data. ClickHouse
// implements all of them (analytics/clickhouse); analytics/mock implements
// them in memory for tests that need no storage.

// SurveyStore keeps surveys; Surveys caches them in front of it.
type SurveyStore interface {
	// LoadSurveys returns every survey that is not deleted.
	LoadSurveys(ctx context.Context) ([]*Survey, error)
	// SurveysMark returns a text that changes whenever a survey is saved or
	// deleted (through any instance); it may change without either.
	SurveysMark(ctx context.Context) (string, error)
	// SaveSurvey writes a new or changed survey.
	SaveSurvey(ctx context.Context, sv *Survey) error
	// DeleteSurvey writes a survey's tombstone, versioned by at: LoadSurveys
	// no longer returns it.
	DeleteSurvey(ctx context.Context, id string, at time.Time) error
	// SaveSurveyVersion records one change of a survey.
	SaveSurveyVersion(ctx context.Context, v SurveyVersion) error
	// SurveyVersions returns a survey's changes, newest first.
	SurveyVersions(ctx context.Context, surveyID string) ([]SurveyVersion, error)
	// PurgeSurvey deletes every answer, derived row and version of a
	// survey, waiting up to wait for the deletion to finish; done is false
	// when it is still under way.
	PurgeSurvey(ctx context.Context, surveyID string, wait time.Duration) (done bool, err error)
	// SurveyAnswerCounts returns, per survey id, how many responses it has
	// and when the latest was first given (surveys without any are absent).
	SurveyAnswerCounts(ctx context.Context) (map[string]AnswerCount, error)
}

// AnswerCount is how many responses a survey has (every response once,
// confirmed or not) and when the latest was first given.
type AnswerCount struct {
	Answers      int
	LastAnswerAt time.Time
}

// ResponseSink takes batches of answers and dismissals: the writer
// (analytics/ingest) flushes its spool into it.
type ResponseSink interface {
	InsertResponses(ctx context.Context, rows []Response) error
	InsertDismissals(ctx context.Context, rows []Dismissal) error
}

// ResponseStore reads answers back.
type ResponseStore interface {
	// Report computes the NPS trend of q.
	Report(ctx context.Context, q ReportQuery) (*Report, error)
	// ListAnswers returns the answers of q first given in range, newest
	// first, each response once with the answer that counts.
	ListAnswers(ctx context.Context, q ReportQuery, limit int) ([]Answer, error)
	// ExportAnswers streams every answer of q to out, in constant memory.
	ExportAnswers(ctx context.Context, q ReportQuery, out AnswerExport) error
	// SegmentKeys returns up to most property names of the answers of a
	// survey in [from, to): what a report can be grouped by.
	SegmentKeys(ctx context.Context, surveyID string, from, to time.Time, most int) ([]string, error)
	// LastContact returns when a respondent last answered and last
	// dismissed a survey (zero times when never): the widget's recontact rule.
	LastContact(ctx context.Context, surveyID, respondent string) (answered, dismissed time.Time, err error)
}

// ContactStore keeps the people Heed may email, and who must not be.
type ContactStore interface {
	UpsertContacts(ctx context.Context, contacts []Contact) error
	// Contacts returns the contacts matching f, ordered by id (a stable
	// order, so an interrupted send resumes over the same list).
	Contacts(ctx context.Context, f ContactFilter) ([]Contact, error)
	// Contact returns one contact; ErrNotFound when there is none.
	Contact(ctx context.Context, contactID string) (Contact, error)
	Suppress(ctx context.Context, contactID, email, reason string) error
	// Suppressed returns the ids of all suppressed contacts.
	Suppressed(ctx context.Context) (map[string]bool, error)
	// Unsuppress lifts a contact's suppressions for these reasons.
	Unsuppress(ctx context.Context, contactID string, reasons []string) error
	// ContactSuppressions returns a contact's suppressions not lifted.
	ContactSuppressions(ctx context.Context, contactID string) ([]Suppression, error)
	// SearchContacts returns up to limit contacts whose email or name
	// holds text (any case), newest first.
	SearchContacts(ctx context.Context, text string, limit int) ([]Contact, error)
	// ContactSends returns what was sent to a contact, newest first.
	ContactSends(ctx context.Context, contactID string) ([]ContactSend, error)
	// RespondentSurveys returns the surveys a respondent answered.
	RespondentSurveys(ctx context.Context, respondent string) ([]string, error)
}

// SendStore keeps sends, their per-contact log and SendGrid's events.
type SendStore interface {
	SaveSend(ctx context.Context, s Send) error
	// GetSend returns a send; ErrNotFound when it does not exist.
	GetSend(ctx context.Context, id string) (Send, error)
	// ListSends returns the sends created since a time.
	ListSends(ctx context.Context, since time.Time) ([]Send, error)
	LogSends(ctx context.Context, entries []SendLogEntry) error
	// SendStatuses returns each contact's latest status in a send of a kind.
	SendStatuses(ctx context.Context, sendID, kind string) (map[string]string, error)
	// SendCounts counts a send's contacts by latest status, per kind.
	SendCounts(ctx context.Context, sendID string) (map[string]map[string]int, error)
	// RecentlyAsked returns the contacts asked about a survey since a time,
	// by any channel: emailed (any send), or answered.
	RecentlyAsked(ctx context.Context, surveyID string, since time.Time) (map[string]bool, error)
	// Responded returns the respondents who answered a survey since a time
	// (confirmed answers only: a link scanner's click is no answer).
	Responded(ctx context.Context, surveyID string, since time.Time) (map[string]bool, error)
	InsertEmailEvents(ctx context.Context, events []EmailEvent) error
	// EmailEventCounts counts distinct events of a send by type.
	EmailEventCounts(ctx context.Context, sendID string) (map[string]int, error)
	// SendFunnels returns what became of the survey emails of each send
	// of a survey started in [from, to): emailed, delivered, opened and
	// answered (confirmed) within window of the send's start.
	SendFunnels(ctx context.Context, surveyID string, from, to time.Time, window time.Duration) ([]SendFunnel, error)
}

// ChurnStore keeps the customers known to have left and links them to
// what they answered (churn.go).
type ChurnStore interface {
	// UpsertChurn writes churn records; for each customer the last write
	// wins.
	UpsertChurn(ctx context.Context, records []Churn) error
	// WithdrawChurn withdraws the records of these customers: a tombstone
	// that wins over every earlier write, until the customer is imported
	// again.
	WithdrawChurn(ctx context.Context, customers []string) error
	// ChurnRecorded returns which of these customers have a churn record
	// that is not withdrawn.
	ChurnRecorded(ctx context.Context, customers []string) (map[string]bool, error)
	// ChurnReport counts the customers who answered q's survey by whether
	// they churned within the window after their last answer.
	ChurnReport(ctx context.Context, q ChurnQuery) (*ChurnReport, error)
}

// DigestStore records each survey's digest of each period, so that one
// goes out per period, across restarts (see DigestRecord.Version).
type DigestStore interface {
	// SaveDigest writes a row of a period's record.
	SaveDigest(ctx context.Context, r DigestRecord) error
	// Digest returns the row that wins for a period (the highest Version);
	// ok is false when the period has none.
	Digest(ctx context.Context, surveyID, schedule, period string) (r DigestRecord, ok bool, err error)
}

// CaseStore keeps what was done about detractor answers (cases.go).
type CaseStore interface {
	// CaseAnswer returns the counting answer of one response;
	// ErrNotFound when the survey has no such response.
	CaseAnswer(ctx context.Context, surveyID string, responseID uuid.UUID) (Answer, error)
	// CaseState returns the stored state of a case; ok is false when
	// nobody has acted on it.
	CaseState(ctx context.Context, surveyID string, responseID uuid.UUID) (st CaseState, ok bool, err error)
	// SaveCase writes a case's whole new state (the last write wins) and,
	// when note is not nil, appends the note.
	SaveCase(ctx context.Context, st CaseState, note *CaseNote) error
	// CaseNotes returns a case's notes, oldest first (at most MaxCaseNotes).
	CaseNotes(ctx context.Context, surveyID string, responseID uuid.UUID) ([]CaseNote, error)
	// ListCases returns the cases of q, newest first, with the counts of
	// its whole range.
	ListCases(ctx context.Context, q CaseQuery) (*CaseList, error)
}

// Health tells whether the store can serve.
type Health interface {
	Ping(ctx context.Context) error
	// MigrationsPending counts migrations not applied cleanly.
	MigrationsPending(ctx context.Context) (int, error)
	// ServerVersion names the storage server's version.
	ServerVersion() (string, error)
}

// Store is all of it: what `heed serve` runs on.
type Store interface {
	SurveyStore
	ResponseSink
	ResponseStore
	ContactStore
	SendStore
	ChurnStore
	DigestStore
	ClaimStore
	CaseStore
	AccountStore
	PeopleStore
	RetentionStore
	Health
}
