package main

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"heed/analytics"
)

// recordReader yields the records of an export one at a time (io.EOF at the
// end); a *recordError is one record refused, and reading goes on.
type recordReader interface {
	Next() (*analytics.ImportRecord, error)
	// Unit names what Line counts in the summary ("line", "response").
	Unit() string
}

// recordError is a record that could not be read at all.
type recordError struct {
	line int
	msg  string
}

func (e *recordError) Error() string { return fmt.Sprintf("line %d: %s", e.line, e.msg) }

// newDelightedReader reads Delighted's CSV export or the JSON pages of its
// survey_responses API, told apart by the first character.
func newDelightedReader(r io.Reader, reasonColumns []string) (recordReader, error) {
	br := bufio.NewReaderSize(r, 1<<16)
	for {
		b, err := br.Peek(3)
		if len(b) >= 3 && string(b[:3]) == "\ufeff" {
			br.Discard(3)
			continue
		}
		if len(b) > 0 && (b[0] == ' ' || b[0] == '\t' || b[0] == '\r' || b[0] == '\n') {
			br.Discard(1)
			continue
		}
		if len(b) == 0 {
			if err == nil || err == io.EOF {
				return nil, errors.New("the file is empty")
			}
			return nil, err
		}
		if b[0] == '[' || b[0] == '{' {
			return newDelightedJSON(br), nil
		}
		return newCSVReader(br, delightedColumns, reasonColumns, true)
	}
}

// The fields a CSV column can fill.
const (
	colID = iota + 1
	colScore
	colComment
	colCreated
	colUpdated
	colEmail
	colName
	colRespondent
	colChannel
	colTags
	colSurveyType
	colReasons
	colIgnored
	colProperty
)

// csvColumn is what a column fills: a field, or the property prop.
type csvColumn struct {
	field int
	prop  string
}

// delightedColumns are the headers of Delighted's CSV export, lower-cased
// (matched in any case, '_' as ' '), with the variants seen in exports.
// Any other column is a person property.
var delightedColumns = fields(map[string]int{
	"response id": colID, "id": colID, "survey response id": colID,
	"score": colScore, "nps score": colScore, "rating": colScore,
	"comment": colComment, "comments": colComment,
	"response timestamp": colCreated, "created at": colCreated, "timestamp": colCreated, "date": colCreated,
	"response date": colCreated, "responded at": colCreated,
	"updated at": colUpdated, "response updated at": colUpdated,
	"email": colEmail, "email address": colEmail, "person email": colEmail,
	"name": colName, "person name": colName,
	"tags":        colTags,
	"survey type": colSurveyType,
	"permalink":   colIgnored, "notes": colIgnored, "person id": colIgnored, "person": colIgnored,
	"phone number": colIgnored, "phone": colIgnored,
})

func fields(m map[string]int) map[string]csvColumn {
	out := make(map[string]csvColumn, len(m))
	for k, f := range m {
		out[k] = csvColumn{field: f}
	}
	return out
}

// csvReader reads a CSV export with a header row; columns maps a header
// (lower-cased) to its field.
type csvReader struct {
	cr    *csv.Reader
	field []int    // per column
	prop  []string // the property name of a colProperty column
}

func headerKey(h string) string {
	return strings.ToLower(strings.Join(strings.Fields(strings.ReplaceAll(strings.TrimPrefix(h, "\ufeff"), "_", " ")), " "))
}

// newCSVReader reads the header row. With others, columns not in columns
// are properties named by their header; without, they are ignored.
// reasonColumns (headers) hold select answers.
func newCSVReader(r io.Reader, columns map[string]csvColumn, reasonColumns []string, others bool) (*csvReader, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	header, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("read the header row: %w", err)
	}
	c := &csvReader{cr: cr, field: make([]int, len(header)), prop: make([]string, len(header))}
	reasons := map[string]bool{}
	for _, h := range reasonColumns {
		reasons[headerKey(h)] = true
	}
	has := map[int]bool{}
	found := map[string]bool{}
	for i, h := range header {
		k := headerKey(h)
		found[k] = true
		switch col, ok := columns[k]; {
		case reasons[k]:
			c.field[i] = colReasons
			delete(reasons, k)
		case ok:
			f := col.field
			if has[f] && f != colIgnored && f != colProperty {
				return nil, fmt.Errorf("the header row has two columns for one field: %q", h)
			}
			c.field[i], c.prop[i], has[f] = f, col.prop, true
		case others && k != "":
			c.field[i], c.prop[i] = colProperty, strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))
		}
	}
	for k := range reasons {
		return nil, fmt.Errorf("no column %q in the header row", k)
	}
	if !others { // a --map names every column it reads
		for k := range columns {
			if !found[k] {
				return nil, fmt.Errorf("no column %q in the header row", k)
			}
		}
	}
	if !has[colScore] {
		return nil, errors.New(`no score column in the header row (e.g. "Score")`)
	}
	if !has[colCreated] {
		return nil, errors.New(`no date column in the header row (e.g. "Response Timestamp" or "Created At")`)
	}
	return c, nil
}

func (c *csvReader) Unit() string { return "line" }

func (c *csvReader) Next() (*analytics.ImportRecord, error) {
	rec, err := c.cr.Read()
	if err != nil {
		var perr *csv.ParseError
		if errors.As(err, &perr) {
			return nil, &recordError{perr.StartLine, perr.Err.Error()}
		}
		return nil, err
	}
	line, _ := c.cr.FieldPos(0) // the record's own line, even after quoted newlines
	out := &analytics.ImportRecord{Line: line}
	for i, v := range rec {
		if i >= len(c.field) {
			break
		}
		switch c.field[i] {
		case colID:
			out.SourceID = v
		case colScore:
			out.Score = v
		case colComment:
			out.Comment = v
		case colCreated:
			out.CreatedAt = v
		case colUpdated:
			out.UpdatedAt = v
		case colEmail:
			out.Email = v
		case colName:
			out.Name = v
		case colRespondent:
			out.Respondent = v
		case colChannel:
			out.Channel = v
		case colSurveyType:
			out.SurveyType = v
		case colTags:
			out.Tags = splitTags(v)
		case colReasons:
			if v = strings.TrimSpace(v); v != "" {
				out.Choices = append(out.Choices, analytics.ImportChoice{Text: v})
			}
		case colProperty:
			if v != "" {
				out.Properties = append(out.Properties, analytics.ImportProperty{Key: c.prop[i], Value: v})
			}
		}
	}
	return out, nil
}

func splitTags(v string) []string {
	sep := ","
	if strings.Contains(v, ";") {
		sep = ";"
	}
	var out []string
	for _, t := range strings.Split(v, sep) {
		if t = strings.TrimSpace(t); t != "" {
			out = append(out, t)
		}
	}
	return out
}

// delightedJSON reads the pages of GET /v1/survey_responses.json: one page
// (an array of objects), several pages one after another or inside an
// array, or objects one after another. A top-level array streams; a page
// inside one is read whole (the API's pages hold at most 100 responses).
type delightedJSON struct {
	dec     *json.Decoder
	objects bool // the file is objects one after another
	depth   int  // 1 inside a top-level array
	queue   []json.RawMessage
	n       int
}

func newDelightedJSON(r *bufio.Reader) *delightedJSON {
	b, _ := r.Peek(1)
	dec := json.NewDecoder(r)
	dec.UseNumber()
	return &delightedJSON{dec: dec, objects: len(b) > 0 && b[0] == '{'}
}

func (d *delightedJSON) Unit() string { return "response" }

func (d *delightedJSON) Next() (*analytics.ImportRecord, error) {
	for len(d.queue) == 0 {
		if !d.objects && d.depth == 0 {
			tok, err := d.dec.Token()
			if err == io.EOF {
				return nil, io.EOF
			}
			if err != nil {
				return nil, d.fatal(err)
			}
			if tok != json.Delim('[') {
				return nil, d.fatal(fmt.Errorf("expected a page (an array of responses), found %v", tok))
			}
			d.depth = 1
			continue
		}
		if d.depth == 1 && !d.dec.More() {
			if _, err := d.dec.Token(); err != nil { // the closing ]
				return nil, d.fatal(err)
			}
			d.depth = 0
			continue
		}
		var raw json.RawMessage
		if err := d.dec.Decode(&raw); err != nil {
			if err == io.EOF && d.objects {
				return nil, io.EOF
			}
			return nil, d.fatal(err)
		}
		if len(raw) > 0 && raw[0] == '[' {
			var page []json.RawMessage
			if err := json.Unmarshal(raw, &page); err != nil {
				return nil, d.fatal(err)
			}
			d.queue = page
			continue
		}
		d.queue = append(d.queue, raw)
	}
	raw := d.queue[0]
	d.queue = d.queue[1:]
	d.n++
	var r delightedResponse
	if err := json.Unmarshal(raw, &r); err != nil {
		return nil, &recordError{d.n, "not a survey response: " + err.Error()}
	}
	return r.record(d.n), nil
}

func (d *delightedJSON) fatal(err error) error {
	return fmt.Errorf("read JSON after %d responses: %w", d.n, err)
}

// delightedResponse is one object of the survey_responses API.
type delightedResponse struct {
	ID                jsonText            `json:"id"`
	Person            json.RawMessage     `json:"person"`
	SurveyType        jsonText            `json:"survey_type"`
	Score             jsonText            `json:"score"`
	Comment           jsonText            `json:"comment"`
	CreatedAt         jsonText            `json:"created_at"`
	UpdatedAt         jsonText            `json:"updated_at"`
	PersonProperties  map[string]jsonText `json:"person_properties"`
	Tags              []jsonText          `json:"tags"`
	AdditionalAnswers []struct {
		Value struct {
			SelectOne  *delightedChoice  `json:"select_one"`
			SelectMany []delightedChoice `json:"select_many"`
		} `json:"value"`
	} `json:"additional_answers"`
}

type delightedChoice struct {
	ID   jsonText `json:"id"`
	Text jsonText `json:"text"`
}

// delightedPerson is the person of a response fetched with
// expand[]=person; without it the API gives the person's id alone.
type delightedPerson struct {
	ID    jsonText `json:"id"`
	Email jsonText `json:"email"`
	Name  jsonText `json:"name"`
}

func (r *delightedResponse) record(n int) *analytics.ImportRecord {
	out := &analytics.ImportRecord{Line: n, SourceID: string(r.ID), Score: string(r.Score), Comment: string(r.Comment),
		CreatedAt: string(r.CreatedAt), UpdatedAt: string(r.UpdatedAt), SurveyType: string(r.SurveyType)}
	var p delightedPerson
	if len(r.Person) > 0 && r.Person[0] == '{' && json.Unmarshal(r.Person, &p) == nil {
		out.Email, out.Name = string(p.Email), string(p.Name)
	}
	for k, v := range r.PersonProperties {
		if v != "" {
			out.Properties = append(out.Properties, analytics.ImportProperty{Key: k, Value: string(v)})
		}
	}
	// Map order is random: keep the file's properties in a stable order, so
	// that which are kept past the limit does not vary between runs.
	sortProperties(out.Properties)
	for _, t := range r.Tags {
		out.Tags = append(out.Tags, string(t))
	}
	for _, a := range r.AdditionalAnswers {
		if c := a.Value.SelectOne; c != nil {
			out.Choices = append(out.Choices, analytics.ImportChoice{ID: string(c.ID), Text: string(c.Text)})
		}
		for _, c := range a.Value.SelectMany {
			out.Choices = append(out.Choices, analytics.ImportChoice{ID: string(c.ID), Text: string(c.Text)})
		}
	}
	return out
}

func sortProperties(p []analytics.ImportProperty) {
	for i := 1; i < len(p); i++ {
		for j := i; j > 0 && p[j].Key < p[j-1].Key; j-- {
			p[j], p[j-1] = p[j-1], p[j]
		}
	}
}

// jsonText takes a JSON string, number or boolean as its text; null is "".
type jsonText string

func (t *jsonText) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case len(b) == 0 || string(b) == "null":
		*t = ""
	case b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*t = jsonText(s)
	case b[0] == '{' || b[0] == '[':
		*t = jsonText(b) // kept as JSON text (e.g. a nested property)
	default:
		*t = jsonText(b)
	}
	return nil
}
