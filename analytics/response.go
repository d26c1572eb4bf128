package analytics

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
)

// Response is one answer to a survey. Answers with the same ResponseID are
// one response, which counts once, with its last confirmed answer, else its
// last answer, in the period of its first answer (CountsOver).
type Response struct {
	SurveyID   string
	ResponseID uuid.UUID
	// CreatedAt is when the response was first answered; reports put the
	// response in that period. The store sets it on every answer of a
	// response (the earliest it knows), so zero or a later time is fine.
	CreatedAt time.Time
	// Version orders answers with the same ResponseID: the time of this
	// answer in nanoseconds (below 2^63).
	Version uint64
	// First says ResponseID was just made for this answer, so no earlier
	// answer exists and the store need not look for one.
	First      bool
	Score      uint8
	Reasons    []string
	Comment    string
	Channel    string
	Respondent string
	Properties map[string]string
	// Unconfirmed marks a score recorded by an email link's GET alone, which
	// a link scanner may have made; Flags says why it looked suspicious.
	// Reports skip unconfirmed answers unless asked, and a confirmed answer
	// always beats an unconfirmed one.
	Unconfirmed bool
	Flags       string
}

// CountsOver reports whether answer a replaces answer b as the one its
// response counts: a confirmed answer beats an unconfirmed one, then the
// later answer wins. The store encodes the same order in its version, so
// that its merges keep the same answer.
func (a *Response) CountsOver(b *Response) bool {
	if a.Unconfirmed != b.Unconfirmed {
		return !a.Unconfirmed
	}
	return a.Version > b.Version
}

// Channels an answer can come through.
const (
	ChannelWidget = "widget"
	ChannelEmail  = "email"
	ChannelLink   = "link"
	ChannelAPI    = "api"
)

// Channels lists every channel, in the order the API documents them.
var Channels = []string{ChannelWidget, ChannelEmail, ChannelLink, ChannelAPI}

// Limits on what an answer may hold. Lengths count characters (runes),
// everywhere.
const (
	MaxScore         = 10
	MaxReasons       = 20
	MaxComment       = 2000
	MaxRespondent    = 200
	MaxProperties    = 20
	MaxPropertyKey   = 100
	MaxPropertyValue = 500
)

// ValidScore reports whether n is a score of the 0-10 scale.
func ValidScore(n int) bool { return n >= 0 && n <= MaxScore }

// The NPS groups: promoters score 9-10, detractors 0-6, passives 7-8.
func IsPromoter(score uint8) bool  { return score >= 9 }
func IsDetractor(score uint8) bool { return score <= 6 }

// Validate checks r against the rules of an answer to sv, naming every
// field at fault. It cleans the comment first (CleanText: free text loses
// its control characters); identifiers holding them are refused.
func (r *Response) Validate(sv *Survey) error {
	errs := FieldErrors{}
	r.Comment = CleanText(r.Comment)
	if r.Score > MaxScore {
		errs["score"] = fmt.Sprintf("must be at most %d", MaxScore)
	}
	seen := make(map[string]bool, len(r.Reasons))
	for _, id := range r.Reasons {
		switch {
		case seen[id]:
			errs["reasons"] = "must not repeat"
		case !sv.HasReason(id):
			errs["reasons"] = fmt.Sprintf("%q is not a reason of this survey", id)
		case r.Score <= MaxScore && !sv.OffersReason(r.Score, id):
			errs["reasons"] = fmt.Sprintf("%q is not offered to %s (score %d)", id, GroupOf(r.Score), r.Score)
		}
		seen[id] = true
	}
	if len(r.Reasons) > MaxReasons {
		errs["reasons"] = fmt.Sprintf("must have at most %d items", MaxReasons)
	}
	if TooLong(r.Comment, MaxComment) {
		errs["comment"] = fmt.Sprintf("must be at most %d characters", MaxComment)
	}
	if !validChannel(r.Channel) {
		errs["channel"] = "must be one of: " + strings.Join(Channels, ", ")
	}
	switch {
	case TooLong(r.Respondent, MaxRespondent):
		errs["respondent"] = fmt.Sprintf("must be at most %d characters", MaxRespondent)
	case HasControl(r.Respondent):
		errs["respondent"] = "must not contain control characters"
	}
	if msg := CheckProperties(r.Properties); msg != "" {
		errs["properties"] = msg
	}
	return errs.orNil()
}

// DerivedResponseID reports whether id is of the kind Heed derives itself:
// a UUID version 5 (SHA-1 of a name), which email answers
// (emails.ResponseID, of the send and contact ids) and imported answers
// (ImportResponseID) have. Their names are guessable (a send id is in
// every recipient's link, a contact id is a hash of an address), so a
// client could compute another person's id: the API refuses every
// version 5 id a client names, which keeps answers posted through it out
// of the derived ids' space whatever the name (any other version cannot
// equal a version 5 id).
func DerivedResponseID(id uuid.UUID) bool { return id.Version() == 5 }

// IsContactID reports whether s has the form of a contact id (ContactID:
// 16 lower-case hex digits), which email answers carry as respondent.
func IsContactID(s string) bool {
	if len(s) != 16 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

func validChannel(c string) bool {
	for _, ch := range Channels {
		if c == ch {
			return true
		}
	}
	return false
}

// TooLong reports whether s has more than max characters (code points:
// every length limit of Heed counts them, see text.go). The byte length
// bounds the count from above, so short strings need no count.
func TooLong(s string, max int) bool {
	return len(s) > max && utf8.RuneCountInString(s) > max
}

// ValidPropertyKey reports whether k can name a property (of an answer, a
// contact, or a filter on them): 1 to MaxPropertyKey characters, no control
// characters (HasControl).
func ValidPropertyKey(k string) bool {
	return k != "" && !TooLong(k, MaxPropertyKey) && !HasControl(k)
}

// ValidPropertyValue reports whether v can be a property's value (stored
// or a filter's): up to MaxPropertyValue characters, no control
// characters. Values are identifiers too: segments and sends match them
// exactly.
func ValidPropertyValue(v string) bool {
	return !TooLong(v, MaxPropertyValue) && !HasControl(v)
}

// CheckProperties checks a property map (an answer's or a contact's) and
// returns what is wrong with it, or "".
func CheckProperties(props map[string]string) string {
	if len(props) > MaxProperties {
		return fmt.Sprintf("more than %d properties", MaxProperties)
	}
	for k, v := range props {
		if !ValidPropertyKey(k) || !ValidPropertyValue(v) {
			return fmt.Sprintf("property %q: names 1-%d characters, values up to %d, without control characters", k, MaxPropertyKey, MaxPropertyValue)
		}
	}
	return ""
}

// Answer is one response as a manager reads it: the answer that counts for
// its response_id.
type Answer struct {
	ResponseID string    `json:"response_id"`
	CreatedAt  time.Time `json:"created_at"`
	Score      uint8     `json:"score"`
	Reasons    []string  `json:"reasons"`
	Comment    string    `json:"comment"`
	Channel    string    `json:"channel"`
	Respondent string    `json:"respondent"`
	Confirmed  bool      `json:"confirmed"`
	Flags      string    `json:"flags,omitempty"`
	// Properties are the answer's segment properties (plan, send_id...).
	Properties map[string]string `json:"properties,omitempty"`
}

// MaxExportProperties bounds the property columns of an export; the
// names past it are left out (the API says so).
const MaxExportProperties = 100

// ExportedAnswer is one response of an export (responses.csv): the answer
// that counts, as text ready to write, millions of times.
type ExportedAnswer struct {
	ResponseID      string
	FirstAnsweredAt string // RFC 3339, UTC
	Score           uint8
	Reasons         string // the reason ids joined by ';'
	Comment         string
	Channel         string
	Respondent      string
	Confirmed       bool
	Flags           string
	// PropertyValues are the values of the export's property names, in
	// their order ("" where the answer has none).
	PropertyValues []string
}

// AnswerExport receives an export as the store reads it: the property
// names first (its columns, sorted), then every answer. The answer passed
// to Answer may be reused by the next call.
type AnswerExport interface {
	Columns(propertyKeys []string) error
	Answer(a *ExportedAnswer) error
}

// Dismissal is a widget closed without an answer.
type Dismissal struct {
	SurveyID    string
	DismissalID uuid.UUID
	CreatedAt   time.Time
	Respondent  string
}
