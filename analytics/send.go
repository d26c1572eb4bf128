package analytics

import (
	"regexp"
	"time"
)

// Send is one emailing of a survey to a selection of contacts.
type Send struct {
	ID           string        `json:"id"`
	SurveyID     string        `json:"survey_id"`
	Filter       ContactFilter `json:"filter"`
	ReminderDays int           `json:"reminder_days,omitempty"`
	CreatedAt    time.Time     `json:"created_at"`
}

// MaxReminderDays bounds how long a reminder may wait after its send.
const MaxReminderDays = 60

var sendIDPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// ValidSendID reports whether id can name a send: [A-Za-z0-9_-]{1,64}.
func ValidSendID(id string) bool { return sendIDPattern.MatchString(id) }

// Send log statuses: what happened to one contact of a send.
const (
	SendSending           = "sending" // written before the SendGrid request: never retried
	SendSent              = "sent"
	SendFailed            = "failed" // SendGrid refused the batch: may be retried
	SendSkippedSuppressed = "skipped_suppressed"
	SendSkippedRecent     = "skipped_recent"
)

// Send kinds: the first email of a send, and its one reminder.
const (
	KindInitial  = "initial"
	KindReminder = "reminder"
)

// SendLogEntry is what happened to one contact of a send.
type SendLogEntry struct {
	SendID, Kind, ContactID, Status, SurveyID, Email string
}

// EmailEvent is one SendGrid Event Webhook event.
type EmailEvent struct {
	ID, Event, Email, ContactID, SendID, SurveyID, Reason string
	At                                                    time.Time
}
