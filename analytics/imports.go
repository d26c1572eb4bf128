package analytics

import (
	"crypto/sha1"
	"errors"
	"fmt"
	"net/mail"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
)

// Importing answers another tool collected (heed import): each record of its
// export becomes a confirmed answer with its original date, under a
// response id derived from the record, so that the same file imported twice
// writes the same rows (which the store folds into one, and which the import
// skips when it finds them stored).

// ImportRecord is one answer as another tool exported it, its fields as
// text. Line is where it was met (a CSV line, counting the header as line 1;
// the position of a JSON object), for the summary.
type ImportRecord struct {
	Line int
	// SourceID is the answer's id in the other tool; "" derives the id from
	// the record's content.
	SourceID   string
	Score      string
	CreatedAt  string
	UpdatedAt  string
	Comment    string
	Email      string
	Name       string
	Respondent string
	Channel    string
	// SurveyType is the other tool's kind of survey ("nps", "csat"...);
	// only NPS answers (or "") can be imported.
	SurveyType string
	Properties []ImportProperty // in the file's order
	Tags       []string
	// Choices are the answers to select questions: reasons when they name
	// one of the survey's (by id or label, any case).
	Choices []ImportChoice
}

// ImportProperty is a property of an imported answer.
type ImportProperty struct{ Key, Value string }

// ImportChoice is a choice of a select question (Delighted's select_one and
// select_many answers: an id and a text).
type ImportChoice struct{ ID, Text string }

// ImportedAnswer is a record made into an answer.
type ImportedAnswer struct {
	Response Response
	// Contact is the person behind an email answer (nil without an email).
	Contact *Contact
	// Warnings say what of the record was cut or left out.
	Warnings []string
	// UnknownChoices are select answers that name no reason offered to the
	// answer's group.
	UnknownChoices []string
}

// ImportProblem is a record that was not imported, and why.
type ImportProblem struct {
	Line     int
	SourceID string
	Field    string
	Error    string
}

// importNamespace is the UUID v5 namespace of imported response ids.
var importNamespace = uuid.MustParse("6b1f3c52-5f0e-4d8e-9a43-3f6f1f7f0b6e")

// ImportResponseID is the response id of an imported answer: a UUID v5 of the
// survey, the source ("delighted", "csv") and the source's id of the answer.
func ImportResponseID(survey, source, sourceID string) uuid.UUID {
	return uuid.NewSHA1(importNamespace, []byte(survey+"\x00"+source+"\x00"+sourceID))
}

// Importer makes records of one source into answers to one survey.
type Importer struct {
	survey *Survey
	source string
	now    time.Time
	// reasons finds a reason id by its lower-cased id or label.
	reasons map[string]string
}

// NewImporter returns an importer of records from source (a short name
// that enters the response ids) into sv; answers dated after now (plus a
// day of clock skew) are refused.
func NewImporter(sv *Survey, source string, now time.Time) *Importer {
	im := &Importer{survey: sv, source: source, now: now, reasons: map[string]string{}}
	for _, r := range sv.AllReasons() {
		im.reasons[strings.ToLower(strings.TrimSpace(r.Label))] = r.ID
	}
	for _, r := range sv.AllReasons() { // an id wins over another reason's label
		im.reasons[strings.ToLower(r.ID)] = r.ID
	}
	return im
}

// refusal is a record refused for one field.
type refusal struct{ field, msg string }

func (r *refusal) Error() string { return r.field + ": " + r.msg }

// Refusal returns the field and message of an error of Convert.
func Refusal(err error) (field, msg string) {
	var r *refusal
	if errors.As(err, &r) {
		return r.field, r.msg
	}
	return "record", err.Error()
}

// Convert makes rec an answer, or refuses it (see Refusal): a score that is
// not a whole number 0-10, a missing or unreadable date, a date in the
// future, a survey type other than NPS. What Heed cannot hold whole is cut
// or left out with a warning: a long comment, properties past the limits,
// an address that is no email (the answer is then anonymous).
func (im *Importer) Convert(rec *ImportRecord) (ImportedAnswer, error) {
	var out ImportedAnswer
	warn := func(format string, args ...any) { out.Warnings = append(out.Warnings, fmt.Sprintf(format, args...)) }
	if t := strings.ToLower(strings.TrimSpace(rec.SurveyType)); t != "" && t != "nps" {
		return out, &refusal{"survey_type", fmt.Sprintf("%q is not an NPS survey (0-10)", rec.SurveyType)}
	}
	score, err := strconv.Atoi(strings.TrimSpace(rec.Score))
	if err != nil || !ValidScore(score) {
		if strings.TrimSpace(rec.Score) == "" {
			return out, &refusal{"score", "missing"}
		}
		return out, &refusal{"score", fmt.Sprintf("%q is not a whole number from 0 to 10", rec.Score)}
	}
	created, err := ParseImportTime(rec.CreatedAt)
	if err != nil {
		return out, &refusal{"created_at", err.Error()}
	}
	if created.After(im.now.Add(24 * time.Hour)) {
		return out, &refusal{"created_at", fmt.Sprintf("%s is in the future", created.Format(time.RFC3339))}
	}
	answered := created
	if rec.UpdatedAt != "" {
		if u, err := ParseImportTime(rec.UpdatedAt); err == nil && u.After(created) && !u.After(im.now.Add(24*time.Hour)) {
			answered = u
		}
	}
	r := Response{
		SurveyID:  im.survey.ID,
		CreatedAt: created,
		// The answer's own time: deterministic, so a second import writes
		// the very same row.
		Version: uint64(answered.UnixNano()),
		First:   true,
		Score:   uint8(score),
		Channel: ChannelAPI,
	}
	r.Comment = strings.TrimSpace(CleanText(rec.Comment))
	if TooLong(r.Comment, MaxComment) {
		r.Comment = truncate(r.Comment, MaxComment)
		warn("comment cut to %d characters", MaxComment)
	}
	if email := strings.TrimSpace(rec.Email); email != "" {
		addr, err := mail.ParseAddress(email)
		if err != nil || !Deliverable(addr.Address) {
			warn("email %q is not an address: imported without a contact", email)
		} else {
			email = strings.ToLower(addr.Address)
			name := strings.TrimSpace(CleanLine(rec.Name))
			if TooLong(name, MaxContactName) {
				name = truncate(name, MaxContactName)
				warn("name cut to %d characters", MaxContactName)
			}
			out.Contact = &Contact{ContactID: ContactID(email), Email: email, Name: name}
			r.Respondent, r.Channel = out.Contact.ContactID, ChannelEmail
		}
	}
	if r.Respondent == "" {
		r.Respondent = strings.TrimSpace(rec.Respondent)
		if TooLong(r.Respondent, MaxRespondent) {
			return out, &refusal{"respondent", fmt.Sprintf("longer than %d characters", MaxRespondent)}
		}
		if HasControl(r.Respondent) {
			return out, &refusal{"respondent", "holds control characters"}
		}
	}
	if c := strings.ToLower(strings.TrimSpace(rec.Channel)); c != "" {
		if !validChannel(c) {
			return out, &refusal{"channel", "must be one of: " + strings.Join(Channels, ", ")}
		}
		r.Channel = c
	}
	r.Properties = im.properties(rec, warn)
	r.Reasons, out.UnknownChoices = im.choices(r.Score, rec.Choices)
	r.ResponseID = ImportResponseID(im.survey.ID, im.source, im.sourceKey(rec, &r))
	if err := r.Validate(im.survey); err != nil { // a last guard: never store what the API would refuse
		return out, &refusal{"record", err.Error()}
	}
	out.Response = r
	return out, nil
}

// sourceKey is what names rec in its source: its id, else its content.
func (im *Importer) sourceKey(rec *ImportRecord, r *Response) string {
	if id := strings.TrimSpace(rec.SourceID); id != "" {
		return "id:" + id
	}
	h := sha1.New()
	keys := make([]string, 0, len(r.Properties))
	for k := range r.Properties {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	fmt.Fprintf(h, "%d\x00%d\x00%s\x00%s\x00%s\x00%s", r.CreatedAt.Unix(), r.Score, r.Comment, r.Respondent, r.Channel, strings.Join(r.Reasons, ","))
	for _, k := range keys {
		fmt.Fprintf(h, "\x00%s\x00%s", k, r.Properties[k])
	}
	return fmt.Sprintf("content:%x", h.Sum(nil))
}

// properties keeps what Heed can hold of rec's properties and tags (as the
// property "tags", joined by ", "): up to MaxProperties, names cut to
// MaxPropertyKey characters, values to MaxPropertyValue.
func (im *Importer) properties(rec *ImportRecord, warn func(string, ...any)) map[string]string {
	props := map[string]string{}
	add := func(k, v string) {
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		if v == "" {
			return
		}
		if TooLong(k, MaxPropertyKey) {
			k = truncate(k, MaxPropertyKey)
			warn("property name cut to %d characters: %q", MaxPropertyKey, k)
		}
		if !ValidPropertyKey(k) {
			warn("property %q left out: names are 1-%d characters without control characters", k, MaxPropertyKey)
			return
		}
		if _, ok := props[k]; !ok && len(props) >= MaxProperties {
			warn("property %q left out: at most %d properties", k, MaxProperties)
			return
		}
		if TooLong(v, MaxPropertyValue) {
			v = truncate(v, MaxPropertyValue)
			warn("property %q cut to %d characters", k, MaxPropertyValue)
		}
		if HasControl(v) {
			warn("property %q left out: its value holds control characters", k)
			return
		}
		props[k] = v
	}
	for _, p := range rec.Properties {
		add(p.Key, p.Value)
	}
	var tags []string
	for _, t := range rec.Tags {
		if t = strings.TrimSpace(t); t != "" {
			tags = append(tags, t)
		}
	}
	if len(tags) > 0 {
		add("tags", strings.Join(tags, ", "))
	}
	if len(props) == 0 {
		return nil
	}
	return props
}

// choices maps select answers to the reasons offered to score's group, by
// id or label in any case, in the order given, each once; the rest are
// unknown.
func (im *Importer) choices(score uint8, choices []ImportChoice) (reasons, unknown []string) {
	seen := map[string]bool{}
	for _, c := range choices {
		id, ok := im.reasons[strings.ToLower(strings.TrimSpace(c.ID))]
		if !ok || c.ID == "" {
			id, ok = im.reasons[strings.ToLower(strings.TrimSpace(c.Text))]
		}
		if !ok && c.ID == "" && strings.ContainsAny(c.Text, ";,") {
			// A CSV cell holding several choices: split on ';' when it has
			// one, else on ','.
			sep := ","
			if strings.Contains(c.Text, ";") {
				sep = ";"
			}
			var parts []ImportChoice
			for _, t := range strings.Split(c.Text, sep) {
				if t = strings.TrimSpace(t); t != "" {
					parts = append(parts, ImportChoice{Text: t})
				}
			}
			r, u := im.choices(score, parts)
			for _, id := range r {
				if !seen[id] && len(reasons) < MaxReasons {
					seen[id] = true
					reasons = append(reasons, id)
				}
			}
			unknown = append(unknown, u...)
			continue
		}
		if !ok || !im.survey.OffersReason(score, id) {
			text := strings.TrimSpace(c.Text)
			if text == "" {
				text = c.ID
			}
			if text != "" {
				unknown = append(unknown, text)
			}
			continue
		}
		if !seen[id] && len(reasons) < MaxReasons {
			seen[id] = true
			reasons = append(reasons, id)
		}
	}
	return reasons, unknown
}

// truncate keeps the first max characters of s.
func truncate(s string, max int) string {
	n := 0
	for i := range s {
		if n == max {
			return s[:i]
		}
		n++
	}
	return s
}

// importTimeLayouts are the date forms an import reads besides Unix seconds,
// tried in order; those without a zone are UTC.
var importTimeLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02 15:04:05 -0700",
	"2006-01-02 15:04:05 MST",
	"2006-01-02 15:04:05Z07:00",
	"2006-01-02T15:04:05",
	"2006-01-02 15:04:05",
	"2006-01-02 15:04",
	"2006-01-02",
}

// ParseImportTime reads a date of an import: RFC 3339, YYYY-MM-DD (UTC),
// "YYYY-MM-DD hh:mm:ss" with or without a zone (UTC without), or Unix
// seconds.
func ParseImportTime(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, errors.New("missing")
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		if n <= 0 || n >= 1<<32 {
			return time.Time{}, fmt.Errorf("%q is not a date", s)
		}
		return time.Unix(n, 0).UTC(), nil
	}
	for _, layout := range importTimeLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			if t.Unix() <= 0 || t.Unix() >= 1<<32 {
				break
			}
			return t.UTC(), nil
		}
	}
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "?")
	}
	return time.Time{}, fmt.Errorf("%q is not a date (RFC 3339, YYYY-MM-DD or Unix seconds)", s)
}
