package analytics

import (
	"errors"
	"strings"
	"testing"
)

func TestResponseValidate(t *testing.T) {
	sv := &Survey{ID: "s", Reasons: []Reason{{ID: "price", Label: "Price"}, {ID: "rude_service", Label: "Rude"}}}
	many := map[string]string{}
	for i := 0; i <= MaxProperties; i++ {
		many[string(rune('a'+i))] = "v"
	}
	tests := []struct {
		name  string
		edit  func(r *Response)
		field string // "" = valid
	}{
		{"valid", func(r *Response) {}, ""},
		{"every reason", func(r *Response) { r.Reasons = []string{"price", "rude_service"} }, ""},
		{"score 11", func(r *Response) { r.Score = 11 }, "score"},
		{"unknown reason", func(r *Response) { r.Reasons = []string{"weather"} }, "reasons"},
		{"repeated reason", func(r *Response) { r.Reasons = []string{"price", "price"} }, "reasons"},
		{"comment of 2000 characters", func(r *Response) { r.Comment = strings.Repeat("é", MaxComment) }, ""},
		{"comment of 2001 characters", func(r *Response) { r.Comment = strings.Repeat("é", MaxComment+1) }, "comment"},
		{"unknown channel", func(r *Response) { r.Channel = "fax" }, "channel"},
		{"respondent of 200 characters, 400 bytes", func(r *Response) { r.Respondent = strings.Repeat("é", MaxRespondent) }, ""},
		{"respondent too long", func(r *Response) { r.Respondent = strings.Repeat("r", MaxRespondent+1) }, "respondent"},
		{"too many properties", func(r *Response) { r.Properties = many }, "properties"},
		{"empty property name", func(r *Response) { r.Properties = map[string]string{"": "x"} }, "properties"},
		{"property name of 100 characters", func(r *Response) { r.Properties = map[string]string{strings.Repeat("中", MaxPropertyKey): "x"} }, ""},
		{"property name too long", func(r *Response) { r.Properties = map[string]string{strings.Repeat("k", MaxPropertyKey+1): "x"} }, "properties"},
		{"control character in a property name", func(r *Response) { r.Properties = map[string]string{"a\x00b": "x"} }, "properties"},
		{"property value too long", func(r *Response) { r.Properties = map[string]string{"k": strings.Repeat("v", MaxPropertyValue+1)} }, "properties"},
	}
	for _, tt := range tests {
		r := Response{SurveyID: "s", Score: 3, Channel: ChannelAPI}
		tt.edit(&r)
		err := r.Validate(sv)
		var fields FieldErrors
		switch {
		case tt.field == "" && err != nil:
			t.Errorf("%s: %v", tt.name, err)
		case tt.field != "" && (!errors.As(err, &fields) || fields[tt.field] == ""):
			t.Errorf("%s: %v, want a message on %s", tt.name, err, tt.field)
		case tt.field != "" && len(fields) != 1:
			t.Errorf("%s: %v names more than %s", tt.name, err, tt.field)
		}
	}
}

func TestNPSGroups(t *testing.T) {
	for score := uint8(0); score <= MaxScore; score++ {
		p, d := IsPromoter(score), IsDetractor(score)
		if p != (score >= 9) || d != (score <= 6) || p && d {
			t.Errorf("score %d: promoter %v detractor %v", score, p, d)
		}
	}
}
