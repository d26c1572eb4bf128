package site

import (
	"bytes"
	_ "embed"
	"html/template"
)

//go:embed demo/index.html
var demoHTML string

//go:embed demo/demo.css
var demoCSS []byte

var demoTemplate = template.Must(template.New("demo").Parse(demoHTML))

// DemoPage renders the demo customer page that embeds the widget of
// surveyID served by Heed at heedURL; demoOrigin is where the page lives.
func DemoPage(heedURL, demoOrigin, surveyID string) ([]byte, error) {
	var buf bytes.Buffer
	err := demoTemplate.Execute(&buf, struct{ HeedURL, DemoOrigin, SurveyID string }{heedURL, demoOrigin, surveyID})
	return buf.Bytes(), err
}

// DemoCSS is the demo page's stylesheet.
func DemoCSS() []byte { return demoCSS }
