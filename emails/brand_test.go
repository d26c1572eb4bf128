package emails

import (
	"strings"
	"testing"

	"heed/analytics"
)

func TestBrandOf(t *testing.T) {
	tests := []struct {
		sv               analytics.Survey
		from             string
		name, sender, lg string
	}{
		{analytics.Survey{Name: "Q3", SenderName: " Acme\r\nSupport ", LogoURL: "https://cdn.acme.example/l.png"}, "Ops", "Acme Support", "Acme Support", "https://cdn.acme.example/l.png"},
		{analytics.Survey{Name: "Q3", LogoURL: "http://cdn.acme.example/l.png"}, "Ops", "Ops", "Ops", ""},
		{analytics.Survey{Name: "Q3"}, "", "Q3", "", ""},
		{analytics.Survey{}, "", "Heed", "", ""},
	}
	for _, tt := range tests {
		b := BrandOf(&tt.sv, tt.from)
		if b.Name != tt.name || b.Sender != tt.sender || b.LogoURL != tt.lg {
			t.Errorf("BrandOf(%+v, %q) = %+v", tt.sv, tt.from, b)
		}
	}
	// The email shows the brand and the logo, escaped; a non-https logo is dropped.
	r, err := RenderSurvey(SurveyEmail{BaseURL: testBase, Brand: `Acme <b>&</b>`, LogoURL: "https://cdn.acme.example/l.png"})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(r.HTML, `<img src="https://cdn.acme.example/l.png" alt="Acme &lt;b&gt;&amp;&lt;/b&gt;"`) || strings.Contains(r.HTML, "<b>&</b>") {
		t.Error("the email lacks the escaped brand and logo")
	}
	r, _ = RenderSurvey(SurveyEmail{BaseURL: testBase, Brand: "Acme", LogoURL: "javascript:alert(1)"})
	if strings.Contains(r.HTML, "<img") || strings.Contains(r.HTML, "javascript:") {
		t.Error("a non-https logo was kept")
	}
}
