package emails

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
)

const testBase = "https://heed.example.com"

// checkClean fails when a rendered part shows a template or fmt mistake.
func checkClean(t *testing.T, part, s string) {
	t.Helper()
	for _, bad := range []string{"{{", "}}", "<no value>", "%!", "ZgotmplZ"} {
		if strings.Contains(s, bad) {
			t.Errorf("%s contains %q:\n%s", part, bad, s)
		}
	}
}

func TestRenderSurvey(t *testing.T) {
	tests := []struct {
		lang         string
		wantQuestion string // how the default question looks in the HTML part
	}{
		{"en", "How likely are you to recommend us to a friend or colleague?"},
		{"es", "¿Qué probabilidad hay de que nos recomiendes a un amigo o colega?"},
		{"fr", "Quelle est la probabilité que vous nous recommandiez à un ami ou à un collègue\u00a0?"},
		{"de", "Wie wahrscheinlich ist es, dass Sie uns einem Freund oder Kollegen weiterempfehlen?"},
		{"it", "How likely are you to recommend us to a friend or colleague?"}, // falls back to English
		{"", "How likely are you to recommend us to a friend or colleague?"},
	}
	for _, tt := range tests {
		for _, sender := range []string{"", "Acme Support"} {
			for _, reminder := range []bool{false, true} {
				name := fmt.Sprintf("%s/sender=%q/reminder=%v", tt.lang, sender, reminder)
				t.Run(name, func(t *testing.T) {
					r, err := RenderSurvey(SurveyEmail{Lang: tt.lang, Sender: sender, BaseURL: testBase, Reminder: reminder})
					if err != nil {
						t.Fatal(err)
					}
					for part, s := range map[string]string{"HTML": r.HTML, "Text": r.Text} {
						for n := 0; n <= 10; n++ {
							link := fmt.Sprintf("%s/r/-token-?s=%d", testBase, n)
							// The character after the link tells ?s=1 from ?s=10.
							if c := strings.Count(s, link+`"`) + strings.Count(s, link+"\n"); c != 1 {
								t.Errorf("%s has score link %s %d times, want 1", part, link, c)
							}
						}
						if c := strings.Count(s, "/r/"); c != 11 {
							t.Errorf("%s has %d score links, want 11", part, c)
						}
						if !strings.Contains(s, testBase+"/u/-token-") {
							t.Errorf("%s has no unsubscribe link", part)
						}
						if !strings.Contains(s, tt.wantQuestion) {
							t.Errorf("%s lacks the question %q", part, tt.wantQuestion)
						}
						if sender != "" && !strings.Contains(s, sender) {
							t.Errorf("%s does not name the sender", part)
						}
						checkClean(t, part, s)
					}
					if strings.Contains(r.HTML, "-name-") || strings.Contains(r.Text, "-name-") {
						t.Error("the email uses -name-")
					}
					if r.Subject == "" || strings.ContainsAny(r.Subject, "\r\n") {
						t.Errorf("bad subject %q", r.Subject)
					}
					checkClean(t, "Subject", r.Subject)
					if sender != "" && !strings.Contains(r.Subject, sender) {
						t.Errorf("subject %q does not name the sender", r.Subject)
					}
					if !strings.Contains(r.HTML, Texts(tt.lang).Preheader) {
						t.Error("HTML has no preheader")
					}
					for _, label := range []string{Texts(tt.lang).NotLikely, Texts(tt.lang).VeryLikely} {
						if !strings.Contains(r.HTML, label) {
							t.Errorf("HTML lacks the label %q", label)
						}
					}
				})
			}
		}
	}
}

func TestRenderSurveyQuestion(t *testing.T) {
	for _, lang := range []string{"en", "es", "fr", "de"} {
		t.Run(lang, func(t *testing.T) {
			r, err := RenderSurvey(SurveyEmail{Lang: lang, Question: "<b>Q & A</b>", Sender: `"Bob" <b>&</b>`, BaseURL: testBase})
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(r.HTML, "&lt;b&gt;Q &amp; A&lt;/b&gt;") {
				t.Error("HTML lacks the escaped question")
			}
			if !strings.Contains(r.HTML, "&lt;b&gt;&amp;&lt;/b&gt;") {
				t.Error("HTML lacks the escaped sender")
			}
			if strings.Contains(r.HTML, "<b>") {
				t.Error("HTML has unescaped user text")
			}
			if strings.Contains(r.HTML, Texts(lang).DefaultQuestion) {
				t.Error("HTML shows the default question")
			}
			if !strings.Contains(r.Text, "<b>Q & A</b>") {
				t.Error("Text lacks the question as is")
			}
		})
	}
}

func TestRenderSurveyReminder(t *testing.T) {
	for _, lang := range []string{"en", "es", "fr", "de"} {
		for _, sender := range []string{"", "Acme"} {
			e := SurveyEmail{Lang: lang, Sender: sender, BaseURL: testBase}
			first, err := RenderSurvey(e)
			if err != nil {
				t.Fatal(err)
			}
			e.Reminder = true
			again, err := RenderSurvey(e)
			if err != nil {
				t.Fatal(err)
			}
			if first.Subject == again.Subject {
				t.Errorf("%s/%q: the reminder's subject is the first email's: %q", lang, sender, first.Subject)
			}
			if first.Text == again.Text {
				t.Errorf("%s/%q: the reminder's intro is the first email's", lang, sender)
			}
		}
	}
}

func TestRenderSurveyHeaderInjection(t *testing.T) {
	for _, sender := range []string{"Acme\r\nBcc: x@evil", "Acme\nBcc: x@evil", "Acme\rBcc: x@evil", "Acme\u2028Bcc: x@evil", "Acme\u0085Bcc: x@evil"} {
		for _, reminder := range []bool{false, true} {
			r, err := RenderSurvey(SurveyEmail{Sender: sender, Question: "Q\r\nX-Evil: 1", BaseURL: testBase, Reminder: reminder})
			if err != nil {
				t.Fatal(err)
			}
			if strings.ContainsAny(r.Subject, "\r\n\u2028\u0085") {
				t.Errorf("subject %q has a line break", r.Subject)
			}
			if !strings.Contains(r.Subject, "Acme Bcc: x@evil") {
				t.Errorf("subject %q lost the sender", r.Subject)
			}
		}
	}
	a, err := RenderAlert(Alert{SurveyName: "S\r\nBcc: x@evil", Score: 2})
	if err != nil {
		t.Fatal(err)
	}
	if strings.ContainsAny(a.Subject, "\r\n") {
		t.Errorf("alert subject %q has a line break", a.Subject)
	}
}

func TestRenderSurveyBaseURL(t *testing.T) {
	r, err := RenderSurvey(SurveyEmail{BaseURL: "http://localhost:8080/heed/"})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(r.HTML, `href="http://localhost:8080/heed/r/-token-?s=7"`) {
		t.Error("a trailing slash on the base URL is not dropped")
	}
	for _, bad := range []string{"", "heed.example.com", "/r", "javascript:alert(1)", "ftp://heed.example.com", "https://heed.example.com/?x=1", "https://heed.example.com/#x"} {
		if _, err := RenderSurvey(SurveyEmail{BaseURL: bad}); err == nil {
			t.Errorf("base URL %q: no error", bad)
		}
	}
}

func TestRenderAlert(t *testing.T) {
	tests := []struct {
		name  string
		alert Alert
		want  []string // in both parts
		html  []string // in the HTML part only
		text  []string // in the text part only
		not   []string // in neither part
	}{
		{
			name: "full",
			alert: Alert{
				Lang: "en", SurveyName: "Support <Q3>", Score: 3,
				Reasons:    []string{"Price", "Wait & time"},
				Comment:    "Too slow.\r\n<script>alert(1)</script>",
				Respondent: "ann@example.com", Channel: "email",
				ResponsesURL: "https://heed.example.com/surveys/7/responses",
			},
			want: []string{"A customer answered 3", "3", "ann@example.com", "email", `https://heed.example.com/surveys/7/responses`, "View responses"},
			html: []string{"Support &lt;Q3&gt;", "Price, Wait &amp; time", "Too slow.<br>&lt;script&gt;alert(1)&lt;/script&gt;"},
			text: []string{"Support <Q3>", "Price, Wait & time", "Comment: Too slow.\n<script>alert(1)</script>", "Score: 3/10"},
			not:  []string{"\r"},
		},
		{
			name:  "empty",
			alert: Alert{Lang: "fr", Score: 0},
			want:  []string{"Un client a répondu 0", "—"},
			not:   []string{"Voir les réponses"},
		},
		{
			name:  "german",
			alert: Alert{Lang: "de", SurveyName: "Onboarding", Score: 6, Reasons: []string{"Preis"}, ResponsesURL: testBase + "/surveys/1"},
			want:  []string{"Ein Kunde hat mit 6 geantwortet", "Preis", "Antworten ansehen"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := RenderAlert(tt.alert)
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(r.HTML, "<script>") {
				t.Error("HTML has an unescaped <script>")
			}
			check := func(part, s string, want []string) {
				for _, w := range want {
					if !strings.Contains(s, w) {
						t.Errorf("%s lacks %q:\n%s", part, w, s)
					}
				}
				for _, n := range tt.not {
					if strings.Contains(s, n) {
						t.Errorf("%s has %q", part, n)
					}
				}
				checkClean(t, part, s)
			}
			check("HTML", r.HTML, append(tt.want, tt.html...))
			check("Text", r.Text, append(tt.want, tt.text...))
			if !strings.Contains(r.Subject, fmt.Sprint(tt.alert.Score)) || !strings.Contains(r.Subject, tt.alert.SurveyName) {
				t.Errorf("subject %q lacks the score or the survey", r.Subject)
			}
			checkClean(t, "Subject", r.Subject)
		})
	}
	for _, score := range []int{-1, 11} {
		if _, err := RenderAlert(Alert{Score: score}); err == nil {
			t.Errorf("score %d: no error", score)
		}
	}
}

func TestLinks(t *testing.T) {
	tests := []struct{ got, want string }{
		{ScoreURL(testBase, "abc.DEF_-1", 0), "https://heed.example.com/r/abc.DEF_-1?s=0"},
		{ScoreURL(testBase, "-token-", 10), "https://heed.example.com/r/-token-?s=10"},
		{ScoreURL(testBase+"/", "t", 7), "https://heed.example.com/r/t?s=7"},
		{UnsubscribeURL(testBase, "abc.DEF_-1"), "https://heed.example.com/u/abc.DEF_-1"},
		{UnsubscribeURL(testBase+"/", "-token-"), "https://heed.example.com/u/-token-"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("got %q, want %q", tt.got, tt.want)
		}
	}
}

// TestSubstitution renders once and substitutes the token as SendGrid does:
// each recipient must end up with exactly their own links.
func TestSubstitution(t *testing.T) {
	r, err := RenderSurvey(SurveyEmail{BaseURL: testBase})
	if err != nil {
		t.Fatal(err)
	}
	const token = "AQID.xyz_-9"
	for part, s := range map[string]string{"HTML": r.HTML, "Text": r.Text} {
		s = strings.ReplaceAll(s, TokenPlaceholder, token)
		for n := 0; n <= 10; n++ {
			if !strings.Contains(s, ScoreURL(testBase, token, n)) {
				t.Errorf("%s lacks %s", part, ScoreURL(testBase, token, n))
			}
		}
		if !strings.Contains(s, UnsubscribeURL(testBase, token)) {
			t.Errorf("%s lacks the unsubscribe link", part)
		}
		if strings.Count(s, token) != 12 {
			t.Errorf("%s has the token %d times, want 12", part, strings.Count(s, token))
		}
	}
}

func TestTexts(t *testing.T) {
	// Formats and how many of each verb they take.
	formats := map[string]map[string]int{
		"Subject":              {"%s": 1},
		"ReminderSubject":      {"%s": 1},
		"Intro":                {"%s": 1},
		"ReminderIntro":        {"%s": 1},
		"AlertSubjectNoSurvey": {"%d": 1},
		"AlertIntro":           {"%d": 1},
		"ThanksScore":          {"%d": 1},
	}
	for _, lang := range []string{"en", "es", "fr", "de"} {
		tx := Texts(lang)
		if tx.Lang != lang {
			t.Errorf("Texts(%q).Lang = %q", lang, tx.Lang)
		}
		v := reflect.ValueOf(tx)
		for i := range v.NumField() {
			field, s := v.Type().Field(i).Name, v.Field(i).String()
			if strings.TrimSpace(s) == "" {
				t.Errorf("%s.%s is empty", lang, field)
			}
			if strings.ContainsAny(s, "<>\r\n") {
				t.Errorf("%s.%s has markup or a line break: %q", lang, field, s)
			}
			want, isFormat := formats[field]
			switch {
			case field == "AlertSubject":
				got := fmt.Sprintf(s, 4, "Survey X")
				if !strings.Contains(got, "4") || !strings.Contains(got, "Survey X") || strings.Contains(got, "%!") {
					t.Errorf("%s.AlertSubject gives %q", lang, got)
				}
			case isFormat:
				for verb, n := range want {
					if c := strings.Count(s, verb); c != n || strings.Count(s, "%") != n {
						t.Errorf("%s.%s = %q: want %d %s and no other %%", lang, field, s, n, verb)
					}
				}
			case strings.Contains(s, "%"):
				t.Errorf("%s.%s = %q is not a format but has a %%", lang, field, s)
			}
		}
	}
	for lang, want := range map[string]string{"": "en", "xx": "en", "EN": "en", "fr-CA": "fr", "es_MX": "es", " de ": "de", "english": "en"} {
		if got := Texts(lang).Lang; got != want {
			t.Errorf("Texts(%q) is in %q, want %q", lang, got, want)
		}
	}
}
