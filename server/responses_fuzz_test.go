package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"maps"
	"mime"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/google/uuid"

	"heed/analytics"
)

const fuzzSurveyJSON = `{"name":"Fuzz","reasons":[{"id":"price","label":"Price"},{"id":"rude_service","label":"Rude"}],
	"follow_ups":{"promoters":{"question":"What did you like?","reasons":[{"id":"helpful_staff","label":"Helpful staff"}]}},
	"allowed_origins":["https://shop.example.com"]}`

// strictDecode decodes an answer as the API documents it: one JSON object
// of known fields, nothing after it.
func strictDecode(body []byte) (*responseInput, bool) {
	var in responseInput
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		return nil, false
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, false
	}
	return &in, true
}

// answerFaults is the README's rules on an answer, written out once more
// for fuzz_survey: the fields a 422 must name ("" none).
func answerFaults(in *responseInput) map[string]bool {
	bad := map[string]bool{}
	runes := utf8.RuneCountInString
	score := -1
	switch {
	case in.Score == nil || *in.Score < 0 || *in.Score > 10:
		bad["score"] = true
	default:
		score = *in.Score
	}
	offered := map[string]bool{"price": score >= 0 && score <= 8, "rude_service": score >= 0 && score <= 8, "helpful_staff": score >= 9}
	seen := map[string]bool{}
	for _, id := range in.Reasons {
		_, known := offered[id]
		if seen[id] || !known || (score >= 0 && !offered[id]) {
			bad["reasons"] = true
		}
		seen[id] = true
	}
	if len(in.Reasons) > 20 {
		bad["reasons"] = true
	}
	if runes(in.Comment) > 2000 {
		bad["comment"] = true
	}
	if !slices.Contains([]string{"", "widget", "email", "link", "api"}, in.Channel) {
		bad["channel"] = true
	}
	if in.Channel == "widget" && in.ElapsedMS == nil {
		bad["elapsed_ms"] = true
	}
	if in.ResponseID != "" {
		if id, err := uuid.Parse(in.ResponseID); runes(in.ResponseID) > 64 || err != nil || id == uuid.Nil {
			bad["response_id"] = true
		}
	}
	if runes(in.Respondent) > 200 {
		bad["respondent"] = true
	}
	if len(in.Properties) > 20 {
		bad["properties"] = true
	}
	for k, v := range in.Properties {
		if k == "" || runes(k) > 100 || strings.ContainsFunc(k, unicode.IsControl) || runes(v) > 500 {
			bad["properties"] = true
		}
	}
	if runes(in.HP) > 500 {
		bad["hp"] = true
	}
	return bad
}

// FuzzCreateResponse posts any body with any Content-Type (and an allowed,
// a foreign or no Origin) to POST /api/v1/surveys/:id/responses through the
// real handler: it never answers 5xx; a 4xx has the API's JSON error body;
// a body that is not one JSON object of known fields is a 400 or 422, never
// stored; a well-formed answer is a 202 exactly when the documented rules
// accept it (else a 422 naming exactly the fields at fault); and what is
// stored re-validates, holds what was posted (reasons sorted, channel api by
// default, the client's response_id in canonical form) under the id the
// 202 returns; a bot-like answer (honeypot, widget under 1 s) is answered
// 202 and not stored.
func FuzzCreateResponse(f *testing.F) {
	fs := newFuzzServer(f, "")
	sv := fs.createSurvey(f, fuzzSurveyJSON)
	path := "/api/v1/surveys/" + sv.ID + "/responses"
	for _, s := range []struct {
		body, ct string
		origin   uint8
	}{
		{`{"score":3,"reasons":["rude_service"],"comment":"Nobody helped me","channel":"api"}`, "application/json", 0},
		{`{"score":10,"reasons":["helpful_staff"],"channel":"widget","elapsed_ms":4000,"properties":{"plan":"pro"}}`, "text/plain;charset=UTF-8", 1},
		{`{"score":9,"reasons":["price"],"response_id":"{7D444840-9DC0-11D1-B245-5FFDCE74FAD2}"}`, "application/json; charset=utf-8", 0},
		{`{"score":3,"response_id":"urn:uuid:7d444840-9dc0-11d1-b245-5ffdce74fad2","respondent":"cust-42"}`, "application/json", 0},
		{`{"score":11,"reasons":["price","price","nope"],"channel":"sms","response_id":"00000000-0000-0000-0000-000000000000"}`, "application/json", 0},
		{`{"score":-1,"channel":"widget"}`, "application/json", 2},
		{`{"score":5,"channel":"widget","elapsed_ms":10}`, "application/json", 0},
		{`{"score":5,"hp":"http://spam.example"}`, "application/json", 0},
		{`{"score":3.5}`, "application/json", 0},
		{`{"score":"3"}`, "application/json", 0},
		{`{"score":3,"extra":1}`, "application/json", 0},
		{`{"score":3}{"score":4}`, "application/json", 0},
		{`{"score":3} x`, "application/json", 0},
		{`[{"score":3}]`, "application/json", 0},
		{`null`, "application/json", 0},
		{``, "application/json", 0},
		{`{"score":3`, "application/json", 0},
		{`{"score":3}`, "text/csv", 0},
		{`{"score":3}`, "", 0},
		{`{"score":3}`, "application/json; charset", 0},
		{`{"score":99999999999999999999}`, "application/json", 0},
		{`{"SCORE":3,"Comment":"case-insensitive keys"}`, "application/json", 0},
		{`{"score":3,"comment":"\ud800 lone surrogate","properties":{"k\u0000":"v"}}`, "application/json", 0},
		{`{"score":3,"properties":{"a":1}}`, "application/json", 0},
		{"{\"score\":3,\"comment\":\"\xff\xfe invalid UTF-8\"}", "application/json", 0},
		{`{"score":0,"comment":"` + strings.Repeat("é", 2001) + `"}`, "application/json", 0},
		{`{"score":0,"respondent":"` + strings.Repeat("r", 201) + `","response_id":"` + strings.Repeat("a", 65) + `"}`, "application/json", 0},
		{`{"score":3,"reasons":null,"properties":null,"elapsed_ms":null}`, "application/json", 0},
		{`{"score":3,"comment":"` + strings.Repeat("x", 70_000) + `"}`, "application/json", 0},
	} {
		f.Add([]byte(s.body), s.ct, s.origin)
	}
	f.Fuzz(func(t *testing.T, body []byte, contentType string, originKind uint8) {
		origin := ""
		switch originKind % 3 {
		case 1:
			origin = "https://shop.example.com"
		case 2:
			origin = "https://evil.example.net"
		}
		fs.writer.take()
		rec := fs.serve("POST", path, body, "Content-Type", contentType, "Origin", origin)
		stored := fs.writer.take()
		if rec.Code >= 500 {
			t.Fatalf("status %d: %s", rec.Code, rec.Body)
		}
		if rec.Code != http.StatusAccepted {
			fields := checkAPIError(t, rec)
			if len(stored) != 0 {
				t.Fatalf("a %d stored %d answers", rec.Code, len(stored))
			}
			media, _, err := mime.ParseMediaType(contentType)
			typeOK := err == nil && (media == "application/json" || media == "text/plain")
			in, decoded := strictDecode(body)
			switch {
			case len(body) > 64<<10:
				if rec.Code != http.StatusRequestEntityTooLarge {
					t.Fatalf("a %d-byte body: %d, want 413", len(body), rec.Code)
				}
			case origin == "https://evil.example.net":
				if rec.Code != http.StatusForbidden {
					t.Fatalf("foreign origin: %d, want 403", rec.Code)
				}
			case !typeOK:
				if rec.Code != http.StatusUnsupportedMediaType {
					t.Fatalf("Content-Type %q: %d, want 415", contentType, rec.Code)
				}
			case !decoded:
				if rec.Code != http.StatusBadRequest && rec.Code != http.StatusUnprocessableEntity {
					t.Fatalf("a body that does not decode: %d, want 400 or 422", rec.Code)
				}
			default:
				want := answerFaults(in)
				got := map[string]bool{}
				for k := range fields {
					got[k] = true
				}
				if rec.Code != http.StatusUnprocessableEntity || !maps.Equal(got, want) {
					t.Fatalf("%s: %d naming %v, want 422 naming %v (%s)", body, rec.Code, slices.Sorted(maps.Keys(got)),
						slices.Sorted(maps.Keys(want)), rec.Body)
				}
			}
			return
		}
		// 202: the answer was well-formed and valid.
		if media, _, err := mime.ParseMediaType(contentType); err != nil || (media != "application/json" && media != "text/plain") {
			t.Fatalf("accepted Content-Type %q", contentType)
		}
		if len(body) > 64<<10 || origin == "https://evil.example.net" {
			t.Fatalf("accepted a %d-byte body from origin %q", len(body), origin)
		}
		var out map[string]string
		if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil || len(out) != 1 {
			t.Fatalf("202 body %s (%v)", rec.Body, err)
		}
		id, err := uuid.Parse(out["response_id"])
		if err != nil || id.String() != out["response_id"] || id == uuid.Nil {
			t.Fatalf("202 with response_id %q", out["response_id"])
		}
		in, ok := strictDecode(body)
		if !ok {
			t.Fatalf("accepted a body that is not one JSON object of known fields: %q", body)
		}
		if faults := answerFaults(in); len(faults) > 0 {
			t.Fatalf("accepted %s, at fault in %v", body, slices.Sorted(maps.Keys(faults)))
		}
		bot := in.HP != "" || (in.Channel == "widget" && *in.ElapsedMS < minAnswerMillis)
		if bot {
			if len(stored) != 0 {
				t.Fatalf("a bot-like answer was stored: %s", body)
			}
			return
		}
		if len(stored) != 1 {
			t.Fatalf("202, but %d answers stored", len(stored))
		}
		r := stored[0]
		if err := r.Validate(sv); err != nil {
			t.Fatalf("stored an answer that does not re-validate: %v (%+v)", err, r)
		}
		wantChannel := in.Channel
		if wantChannel == "" {
			wantChannel = analytics.ChannelAPI
		}
		wantReasons := slices.Sorted(slices.Values(in.Reasons))
		switch {
		case r.ResponseID != id || r.SurveyID != sv.ID:
			t.Fatalf("stored %s/%s, answered %s", r.SurveyID, r.ResponseID, id)
		case in.ResponseID != "" && (r.First || uuid.MustParse(in.ResponseID) != id):
			t.Fatalf("response_id %q stored as %s (first %v)", in.ResponseID, id, r.First)
		case in.ResponseID == "" && !r.First:
			t.Fatal("a new response is not marked first")
		case int(r.Score) != *in.Score || r.Comment != in.Comment || r.Channel != wantChannel || r.Respondent != in.Respondent:
			t.Fatalf("stored %+v for %s", r, body)
		case !slices.Equal(r.Reasons, wantReasons) && len(r.Reasons)+len(wantReasons) > 0:
			t.Fatalf("stored reasons %q, posted %q", r.Reasons, in.Reasons)
		case !reflect.DeepEqual(r.Properties, in.Properties):
			t.Fatalf("stored properties %v, posted %v", r.Properties, in.Properties)
		case r.Unconfirmed:
			t.Fatal("an API answer stored unconfirmed")
		}
	})
}
