package emails

import (
	"bytes"
	"embed"
	"fmt"
	htmltemplate "html/template"
	"net/url"
	"strconv"
	"strings"
	texttemplate "text/template"
	"unicode"

	"heed/analytics"
)

// TokenPlaceholder is the literal text the survey email carries where each
// recipient's signed token goes. It is not rendered: SendGrid replaces it per
// recipient through its "substitutions", so one rendered email serves a whole
// batch of recipients.
const TokenPlaceholder = "-token-"

//go:embed templates/*
var templateFS embed.FS

// html/template drops HTML comments from templates, so Outlook's conditional
// comments are written by these helpers instead.
var htmlFuncs = htmltemplate.FuncMap{
	// msoHead makes Outlook on Windows render at 96 DPI instead of scaling.
	"msoHead": func() htmltemplate.HTML {
		return `<!--[if mso]><noscript><xml><o:OfficeDocumentSettings><o:PixelsPerInch>96</o:PixelsPerInch></o:OfficeDocumentSettings></xml></noscript><![endif]-->`
	},
	// msoOpen and msoClose wrap content in a fixed-width table that only
	// Outlook on Windows sees: it ignores max-width.
	"msoOpen": func(width int) htmltemplate.HTML {
		return htmltemplate.HTML(`<!--[if mso]><table role="presentation" align="center" width="` + strconv.Itoa(width) +
			`" cellpadding="0" cellspacing="0" border="0"><tr><td><![endif]-->`)
	},
	"msoClose": func() htmltemplate.HTML {
		return `<!--[if mso]></td></tr></table><![endif]-->`
	},
	// msoScoresOpen, msoScoresNext and msoScoresClose put the two blocks of
	// score buttons side by side in Outlook on Windows (no inline-block).
	"msoScoresOpen": func() htmltemplate.HTML {
		return `<!--[if mso]><table role="presentation" align="center" cellpadding="0" cellspacing="0" border="0"><tr><td valign="top" width="268"><![endif]-->`
	},
	"msoScoresNext": func() htmltemplate.HTML {
		return `<!--[if mso]></td><td valign="top" width="224"><![endif]-->`
	},
	"msoScoresClose": func() htmltemplate.HTML {
		return `<!--[if mso]></td></tr></table><![endif]-->`
	},
	// previewPad follows the preheader so mail clients do not pad the preview
	// with the start of the body.
	"previewPad": func() htmltemplate.HTML {
		return htmltemplate.HTML(strings.Repeat("&#847;&zwnj;&nbsp;", 40))
	},
}

var (
	htmlTemplates = htmltemplate.Must(htmltemplate.New("").Funcs(htmlFuncs).ParseFS(templateFS, "templates/*.html"))
	textTemplates = texttemplate.Must(texttemplate.New("").ParseFS(templateFS, "templates/*.txt"))
)

// SurveyEmail is what a survey email says; the same for every recipient.
type SurveyEmail struct {
	Lang     string // "en", "es", "fr", "de"; anything else falls back to "en"
	Question string // the survey's question; empty means the standard NPS question in Lang
	Sender   string // who asks, e.g. "Acme Support" (used in subject/intro); empty -> "us"-style wording
	BaseURL  string // Heed's public URL, e.g. https://heed.example.com
	Reminder bool   // a reminder: subject and intro say so ("A quick reminder: ...")
	Brand    string // shown at the top of the email (BrandOf); empty: none
	LogoURL  string // an https image shown next to Brand; anything else is dropped
}

// Brand is who a survey's emails and answer page speak for.
type Brand struct {
	// Name heads the email and the answer page and is the From name of
	// survey emails: the survey's sender_name, else --from-name, else the
	// survey's name, else "Heed".
	Name string
	// Sender is who asks in the subject and intro: sender_name, else
	// --from-name; empty gives the wording without a sender.
	Sender  string
	LogoURL string
}

// BrandOf is the brand of sv, with fromName the configured --from-name.
func BrandOf(sv *analytics.Survey, fromName string) Brand {
	b := Brand{Sender: oneLine(sv.SenderName), LogoURL: SafeLogoURL(sv.LogoURL)}
	if b.Sender == "" {
		b.Sender = oneLine(fromName)
	}
	b.Name = b.Sender
	if b.Name == "" {
		b.Name = oneLine(sv.Name)
	}
	if b.Name == "" {
		b.Name = "Heed"
	}
	return b
}

// SurveyEmailFor is the email of survey sv in lang (empty: the survey's).
func SurveyEmailFor(sv *analytics.Survey, fromName, baseURL, lang string, reminder bool) SurveyEmail {
	if lang == "" {
		lang = sv.Language
	}
	b := BrandOf(sv, fromName)
	return SurveyEmail{Lang: lang, Question: sv.OwnQuestion(), Sender: b.Sender, BaseURL: baseURL, Reminder: reminder,
		Brand: b.Name, LogoURL: b.LogoURL}
}

// SafeLogoURL returns u if it is an absolute https URL without user info
// of at most 500 bytes, else "".
func SafeLogoURL(u string) string {
	p, err := url.Parse(u)
	if err != nil || len(u) > 500 || p.Scheme != "https" || p.Host == "" || p.User != nil {
		return ""
	}
	return u
}

// Rendered is an email ready to send.
type Rendered struct {
	Subject string
	HTML    string
	Text    string
}

// scoreLink is one score button.
type scoreLink struct {
	N   int
	URL string
}

// surveyData is what survey.html and survey.txt see.
type surveyData struct {
	T              Text
	Subject        string
	Intro          string
	Question       string
	Scores         []scoreLink // 0 to 10
	Low, High      []scoreLink // 0 to 5 and 6 to 10: two blocks that wrap evenly on phones
	UnsubscribeURL string
	Brand          string
	LogoURL        string
}

// RenderSurvey renders the survey email with the -token- placeholders in its links.
func RenderSurvey(e SurveyEmail) (Rendered, error) {
	base, err := checkBaseURL(e.BaseURL)
	if err != nil {
		return Rendered{}, err
	}
	t := Texts(e.Lang)

	sender := oneLine(e.Sender)
	question := oneLine(e.Question)
	if question == "" {
		question = t.DefaultQuestion
	}
	var subject, intro string
	switch {
	case e.Reminder && sender != "":
		subject, intro = fmt.Sprintf(t.ReminderSubject, sender), fmt.Sprintf(t.ReminderIntro, sender)
	case e.Reminder:
		subject, intro = t.ReminderSubjectNoSender, t.ReminderIntroNoSender
	case sender != "":
		subject, intro = fmt.Sprintf(t.Subject, sender), fmt.Sprintf(t.Intro, sender)
	default:
		subject, intro = t.SubjectNoSender, t.IntroNoSender
	}

	d := surveyData{
		T:              t,
		Subject:        subject,
		Intro:          intro,
		Question:       question,
		UnsubscribeURL: UnsubscribeURL(base, TokenPlaceholder),
		Brand:          oneLine(e.Brand),
		LogoURL:        SafeLogoURL(e.LogoURL),
	}
	for n := 0; n <= 10; n++ {
		d.Scores = append(d.Scores, scoreLink{N: n, URL: ScoreURL(base, TokenPlaceholder, n)})
	}
	d.Low, d.High = d.Scores[:6], d.Scores[6:]
	return render("survey", subject, d)
}

// ScoreURL and UnsubscribeURL are the links for one recipient's token (used by the outbox
// and tests to compute what SendGrid's substitution produces).
// The token must be URL-safe: it is not escaped. A trailing slash on baseURL is dropped.
func ScoreURL(baseURL, token string, score int) string {
	return strings.TrimRight(baseURL, "/") + "/r/" + token + "?s=" + strconv.Itoa(score)
}

// UnsubscribeURL is baseURL + "/u/" + token; see ScoreURL.
func UnsubscribeURL(baseURL, token string) string {
	return strings.TrimRight(baseURL, "/") + "/u/" + token
}

// Alert is a detractor alert for managers.
type Alert struct {
	Lang         string
	SurveyName   string
	Score        int
	Reasons      []string // labels, already resolved
	Comment      string
	Respondent   string // e.g. the contact's email, may be empty
	Channel      string
	ResponsesURL string // link to read the answers
	CaseURL      string // link to the case in the dashboard (follow up)
}

// alertData is what alert.html and alert.txt see. Empty strings are shown as
// a dash.
type alertData struct {
	T            Text
	Subject      string
	Heading      string
	SurveyName   string
	Score        int
	Reasons      string   // comma-separated
	Comment      []string // lines, for the HTML part
	CommentText  string   // the same lines joined by newlines, for the text part
	Respondent   string
	Channel      string
	ResponsesURL string
	CaseURL      string
}

// RenderAlert renders a detractor alert (user text is escaped).
func RenderAlert(a Alert) (Rendered, error) {
	if a.Score < 0 || a.Score > 10 {
		return Rendered{}, fmt.Errorf("emails: alert score %d is not between 0 and 10", a.Score)
	}
	t := Texts(a.Lang)

	survey := oneLine(a.SurveyName)
	subject := fmt.Sprintf(t.AlertSubjectNoSurvey, a.Score)
	if survey != "" {
		subject = fmt.Sprintf(t.AlertSubject, a.Score, survey)
	}
	var reasons []string
	for _, r := range a.Reasons {
		if r = oneLine(r); r != "" {
			reasons = append(reasons, r)
		}
	}
	var comment []string
	if c := strings.TrimSpace(strings.ReplaceAll(a.Comment, "\r\n", "\n")); c != "" {
		comment = strings.Split(strings.ReplaceAll(c, "\r", "\n"), "\n")
	}

	d := alertData{
		T:            t,
		Subject:      subject,
		Heading:      fmt.Sprintf(t.AlertIntro, a.Score),
		SurveyName:   survey,
		Score:        a.Score,
		Reasons:      strings.Join(reasons, ", "),
		Comment:      comment,
		CommentText:  strings.Join(comment, "\n"),
		Respondent:   oneLine(a.Respondent),
		Channel:      oneLine(a.Channel),
		ResponsesURL: strings.TrimSpace(a.ResponsesURL),
		CaseURL:      strings.TrimSpace(a.CaseURL),
	}
	return render("alert", subject, d)
}

// render executes name.html and name.txt with data.
func render(name, subject string, data any) (Rendered, error) {
	var h, t bytes.Buffer
	if err := htmlTemplates.ExecuteTemplate(&h, name+".html", data); err != nil {
		return Rendered{}, fmt.Errorf("emails: rendering %s.html: %w", name, err)
	}
	if err := textTemplates.ExecuteTemplate(&t, name+".txt", data); err != nil {
		return Rendered{}, fmt.Errorf("emails: rendering %s.txt: %w", name, err)
	}
	return Rendered{Subject: subject, HTML: h.String(), Text: t.String()}, nil
}

// checkBaseURL returns baseURL without its trailing slash if it is an
// absolute http(s) URL that links can be appended to.
func checkBaseURL(baseURL string) (string, error) {
	u, err := url.Parse(baseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" ||
		u.User != nil || u.RawQuery != "" || u.ForceQuery || u.Fragment != "" {
		return "", fmt.Errorf("emails: base URL %q is not an absolute http(s) URL without query or fragment", baseURL)
	}
	return strings.TrimRight(baseURL, "/"), nil
}

// oneLine makes user text safe for a header and a single line: control
// characters and line breaks become spaces, runs of spaces collapse.
func oneLine(s string) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == '\u2028' || r == '\u2029' {
			return ' '
		}
		return r
	}, s)
	return strings.Join(strings.Fields(s), " ")
}
