package analytics

import (
	"strings"
	"time"
)

// Reason is one answer to "why?" that a survey offers, e.g.
// {"id":"rude_service","label":"Rude or unhelpful service"}.
type Reason struct {
	ID    string `json:"id"`
	Label string `json:"label"`
}

// Survey is what a customer is asked. It is stored whole (as JSON), so a new
// field needs no migration.
type Survey struct {
	ID       string   `json:"id"`
	Name     string   `json:"name"`
	Question string   `json:"question"`
	Reasons  []Reason `json:"reasons"`
	// FollowUps gives detractors, passives or promoters a follow-up of
	// their own (question and reasons); a group without one gets Reasons
	// and the standard follow-up question. Nil for surveys without any.
	FollowUps *FollowUps `json:"follow_ups,omitempty"`
	// Language of the widget's own texts (en, es, fr, de); empty means the
	// visitor's browser language.
	Language       string         `json:"language"`
	AllowedOrigins []string       `json:"allowed_origins"`
	Widget         WidgetSettings `json:"widget"`
	// AlertEmails hear within minutes when a detractor (0-6) answers.
	AlertEmails []string `json:"alert_emails"`
	// SenderName and LogoURL brand the survey's emails and answer page.
	SenderName string `json:"sender_name,omitempty"`
	LogoURL    string `json:"logo_url,omitempty"`
	// Digest, when set, emails managers a periodic digest (digests.go).
	Digest    *DigestSettings `json:"digest,omitempty"`
	CreatedAt time.Time       `json:"created_at"`
	UpdatedAt time.Time       `json:"updated_at"`
	// Version counts the survey's changes, 1 when created; each change is
	// kept as a SurveyVersion (versions.go).
	Version int `json:"version"`
	// ArchivedAt, when set, closes the survey: it takes no new answers nor
	// sends, and its reports and answers stay readable.
	ArchivedAt *time.Time `json:"archived_at,omitempty"`
	// RetiredReasons are reasons removed from the survey: no longer offered,
	// still reported for the answers that cited them (AllReasons).
	RetiredReasons []RetiredReason `json:"retired_reasons,omitempty"`
	// RetentionDays, when above 0, anonymises answers first given more
	// than that many days ago (retention.go); 0 keeps them for ever.
	RetentionDays int `json:"retention_days"`
}

// WidgetSettings are the politeness rules of the website widget.
type WidgetSettings struct {
	DelaySeconds  int      `json:"delay_seconds"`
	ScrollPercent int      `json:"scroll_percent"`
	URLInclude    []string `json:"url_include"`
	URLExclude    []string `json:"url_exclude"`
	SamplePercent int      `json:"sample_percent"`
	// RecontactDaysAnswered and RecontactDaysDismissed keep a person from
	// being asked again too soon after answering or closing the widget.
	RecontactDaysAnswered  int `json:"recontact_days_answered"`
	RecontactDaysDismissed int `json:"recontact_days_dismissed"`
}

// DefaultQuestion is the standard NPS question. Surveys that keep it get it
// in each reader's language (widget, email); their own wording is shown as
// written.
const DefaultQuestion = "How likely are you to recommend us to a friend or colleague?"

// Widget defaults.
const (
	DefaultRecontactDaysAnswered  = 90
	DefaultRecontactDaysDismissed = 30
)

// DefaultWidgetSettings asks everyone, at once, and not again for 90 days
// after an answer or 30 after a dismissal.
func DefaultWidgetSettings() WidgetSettings {
	return WidgetSettings{URLInclude: []string{}, URLExclude: []string{}, SamplePercent: 100,
		RecontactDaysAnswered: DefaultRecontactDaysAnswered, RecontactDaysDismissed: DefaultRecontactDaysDismissed}
}

// HasReason reports whether id is one of the survey's reasons, offered to
// any group.
func (s *Survey) HasReason(id string) bool {
	_, ok := s.reason(id)
	return ok
}

// reason finds a reason by id among the top-level and every group's
// reasons (ids are unique across them).
func (s *Survey) reason(id string) (Reason, bool) {
	for _, r := range s.Reasons {
		if r.ID == id {
			return r, true
		}
	}
	if s.FollowUps != nil {
		for _, f := range s.FollowUps.list() {
			if f == nil {
				continue
			}
			for _, r := range f.Reasons {
				if r.ID == id {
					return r, true
				}
			}
		}
	}
	return Reason{}, false
}

// OwnQuestion is the survey's own wording, or "" when it asks the standard
// NPS question, which the widget and the email then show in the reader's
// language.
func (s *Survey) OwnQuestion() string {
	if s.Question == DefaultQuestion {
		return ""
	}
	return s.Question
}

// ReasonLabels returns the labels of the given reason ids, in that order,
// leaving out ids the survey no longer offers. Reasons of every group count.
func (s *Survey) ReasonLabels(ids []string) []string {
	labels := make([]string, 0, len(ids))
	for _, id := range ids {
		if r, ok := s.reason(id); ok {
			labels = append(labels, r.Label)
		}
	}
	return labels
}

// CheckSenderName is what is wrong with a sender name (a survey's
// sender_name, --from-name), or "": it becomes the display name of an
// email's From header, so it may hold no address or quoting that could
// make the email look as if someone else sent it (`"Support"
// <x@bank.example>`): no < > @ or ", no control or bidi characters.
func CheckSenderName(name string) string {
	if HasControl(name) || strings.ContainsAny(name, `<>@"`) {
		return `must be a name only: no < > @ or " and no control characters`
	}
	return ""
}

// FromName is name as an email's From name: what CheckSenderName refuses
// taken out (a bidi control dropped, the others as a space), for the names
// that were never checked: a survey's name, which is the From name when
// there is no sender name, and sender names stored before the check.
func FromName(name string) string {
	name = strings.ToValidUTF8(name, "")
	name = strings.Map(func(r rune) rune {
		switch {
		case r >= 0x202a && r <= 0x202e || r >= 0x2066 && r <= 0x2069:
			return -1
		case unsafeRune(r) || strings.ContainsRune(`<>@"`, r):
			return ' '
		}
		return r
	}, name)
	return strings.Join(strings.Fields(name), " ")
}
