package server

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"heed/analytics"
	"heed/analytics/clickhouse"
)

const shopSurvey = `{"name":"Shop","reasons":[{"id":"rude_service","label":"Rude or unhelpful service"},{"id":"price","label":"Price"}]}`

// TestEndToEnd is the acceptance path: 10, 9 and 3 (rude) give NPS
// 33.3 with rude service cited by every detractor, in JSON and CSV.
func TestEndToEnd(t *testing.T) {
	ts := newTestServer(t, "heed_test_server_e2e")
	id := ts.createSurvey(t, shopSurvey)
	ts.respond(t, id, `{"score":10}`)
	ts.respond(t, id, `{"score":9,"channel":"link"}`)
	ts.respond(t, id, `{"score":3,"reasons":["rude_service"],"comment":"The clerk was rude"}`)

	today := time.Now().UTC()
	q := "?interval=week&from=" + today.AddDate(0, 0, -14).Format(time.DateOnly) + "&to=" + today.AddDate(0, 0, 1).Format(time.DateOnly)
	rep := ts.waitReport(t, "/api/v1/surveys/"+id+"/report"+q, 3)
	total := rep["total"].(map[string]any)
	if total["responses"] != 3.0 || total["nps"] != 33.3 || total["promoters"] != 2.0 || total["detractors"] != 1.0 {
		t.Fatalf("total = %v", total)
	}
	rude := total["reasons"].(map[string]any)["rude_service"].(map[string]any)
	if rude["share_of_detractors"] != 1.0 || rude["count"] != 1.0 {
		t.Fatalf("rude_service = %v", rude)
	}
	ci := total["nps_ci95"].([]any)
	if ci[0] != -51.3 || ci[1] != 84.7 { // adjusted Wald: the example
		t.Fatalf("nps_ci95 = %v", ci)
	}
	if total["small_sample"] != true {
		t.Fatalf("3 answers are not flagged a small sample: %v", total)
	}
	periods := rep["periods"].([]any)
	last := periods[len(periods)-1].(map[string]any)
	if last["responses"] != 3.0 || last["start"] != analytics.Week.Start(today).Format(time.DateOnly) {
		t.Fatalf("last period = %v", last)
	}

	r := ts.admin(t, "GET", "/api/v1/surveys/"+id+"/report.csv"+q, "")
	if r.status != 200 || !strings.HasPrefix(r.header.Get("Content-Type"), "text/csv") ||
		!strings.HasPrefix(r.header.Get("Content-Disposition"), "attachment;") {
		t.Fatalf("csv: %d %v", r.status, r.header)
	}
	rows, err := csv.NewReader(bytes.NewReader(r.body)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1+len(periods) {
		t.Fatalf("csv has %d rows, want header + %d", len(rows), len(periods))
	}
	// The week before had no answers: no change to show.
	want := []string{analytics.Week.Start(today).Format(time.DateOnly), "3", "2", "0", "1", "33.3", "-51.3", "84.7", "true", "", "", "", "", "1", "0.3333", "0", "0"}
	if got := rows[len(rows)-1]; strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("csv last row = %v, want %v", got, want)
	}
	if rows[0][13] != "Rude or unhelpful service (share of detractors)" {
		t.Fatalf("csv header = %v", rows[0])
	}
}

func TestSurveys(t *testing.T) {
	ts := newTestServer(t, "heed_test_server_surveys")
	r := ts.admin(t, "POST", "/api/v1/surveys", `{"name":"  Checkout ","allowed_origins":["https://Shop.Example.com:443/","http://localhost:8081"]}`)
	if r.status != 201 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	sv := r.json(t)
	if sv["name"] != "Checkout" || sv["question"] != analytics.DefaultQuestion {
		t.Fatalf("survey = %v", sv)
	}
	if o := sv["allowed_origins"].([]any); len(o) != 2 || o[0] != "https://shop.example.com" || o[1] != "http://localhost:8081" {
		t.Fatalf("origins = %v", o)
	}
	id := sv["id"].(string)
	if got := ts.admin(t, "GET", "/api/v1/surveys/"+id, "").json(t); got["id"] != id {
		t.Fatalf("get = %v", got)
	}
	list := ts.admin(t, "GET", "/api/v1/surveys", "").json(t)["surveys"].([]any)
	if len(list) != 1 {
		t.Fatalf("list = %v", list)
	}
	r = ts.admin(t, "GET", "/api/v1/surveys/nope", "")
	if r.status != 404 || r.json(t)["error"].(map[string]any)["code"] != "not_found" {
		t.Fatalf("unknown survey: %d %s", r.status, r.body)
	}
	// A new process sees the survey (it is stored, not only cached).
	fresh := analytics.NewSurveys(ts.db)
	if err := fresh.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, ok := fresh.Get(id); !ok {
		t.Fatal("survey not stored in ClickHouse")
	}
}

// TestDedupeByResponseID: the same response_id counts once and the last
// answer wins (the follow-up brings the reason).
func TestDedupeByResponseID(t *testing.T) {
	ts := newTestServer(t, "heed_test_server_dedupe")
	id := ts.createSurvey(t, shopSurvey)
	rid := "7d444840-9dc0-11d1-b245-5ffdce74fad2"
	ts.respond(t, id, `{"score":8,"response_id":"`+rid+`"}`)
	ts.respond(t, id, `{"score":8,"response_id":"`+rid+`"}`) // a client retry
	if got := ts.respond(t, id, `{"score":2,"reasons":["price"],"comment":"too dear","response_id":"`+strings.ToUpper(rid)+`"}`); got != rid {
		t.Fatalf("response_id echoed as %s", got)
	}
	ts.respond(t, id, `{"score":10}`)
	rep := ts.waitReport(t, "/api/v1/surveys/"+id+"/report?interval=day", 2)
	total := rep["total"].(map[string]any)
	if total["responses"] != 2.0 || total["detractors"] != 1.0 || total["passives"] != 0.0 {
		t.Fatalf("total = %v", total)
	}
	if p := total["reasons"].(map[string]any)["price"].(map[string]any); p["share_of_detractors"] != 1.0 {
		t.Fatalf("price = %v", p)
	}
}

func TestEmptyAdminKeyRefused(t *testing.T) {
	for _, key := range []string{"", " padded-admin-key-0123 ", "short"} {
		c := Config{AdminKey: key, Dev: true}
		c.setDefaults()
		if err := c.Validate(); err == nil {
			t.Errorf("admin key %q accepted", key)
		}
	}
}

func TestAuth(t *testing.T) {
	eachStore(t, "heed_test_server_auth", testAuth)
}

func testAuth(t *testing.T, ts *testServer) {
	routes := []struct{ method, path, body string }{
		{"POST", "/api/v1/surveys", shopSurvey},
		{"GET", "/api/v1/surveys", ""},
		{"GET", "/api/v1/surveys/demo", ""},
		{"GET", "/api/v1/surveys/demo/report", ""},
		{"GET", "/api/v1/surveys/demo/report.csv", ""},
	}
	headers := []struct{ name, value string }{
		{"", ""},
		{"Authorization", ""},
		{"Authorization", "Bearer"},
		{"Authorization", "Bearer wrong-key-0123456789"},
		{"Authorization", "Basic " + testKey},
		{"Authorization", "Bearer " + testKey + "x"},
		{"Authorization", "Bearer \u00a0"},
		{"X-Api-Key", testKey},
	}
	for _, rt := range routes {
		for _, h := range headers {
			r := ts.do(t, rt.method, rt.path, rt.body, h.name, h.value)
			if r.status != 401 || r.json(t)["error"].(map[string]any)["code"] != "unauthorized" || r.header.Get("WWW-Authenticate") == "" {
				t.Errorf("%s %s with %s=%q: %d %s", rt.method, rt.path, h.name, h.value, r.status, r.body)
			}
		}
	}
	if n := len(ts.surveys.List()); n != 0 {
		t.Fatalf("unauthorised requests created %d surveys", n)
	}
	// The public route needs no key.
	id := ts.createSurvey(t, shopSurvey)
	ts.respond(t, id, `{"score":5}`)
}

// TestBadRequests: every bad request gets a 4xx JSON error and stores nothing.
func TestBadRequests(t *testing.T) {
	eachStore(t, "heed_test_server_bad", testBadRequests)
}

func testBadRequests(t *testing.T, ts *testServer) {
	id := ts.createSurvey(t, shopSurvey)
	resp := "/api/v1/surveys/" + id + "/responses"
	big := `{"score":5,"comment":"` + strings.Repeat("a", 70*1024) + `"}`
	many := `{"score":5,"properties":{` + func() string {
		var parts []string
		for i := 0; i < 21; i++ {
			parts = append(parts, `"k`+string(rune('a'+i))+`":"v"`)
		}
		return strings.Join(parts, ",")
	}() + `}}`
	tests := []struct {
		name        string
		method      string
		path        string
		body        string
		contentType string
		status      int
		field       string // a field the error must name, if any
	}{
		{"empty body", "POST", resp, "", "application/json", 400, ""},
		{"malformed JSON", "POST", resp, `{"score":`, "", 400, ""},
		{"not an object", "POST", resp, `[1,2]`, "", 400, ""},
		{"trailing data", "POST", resp, `{"score":5} {"score":6}`, "", 400, ""},
		{"no content type", "POST", resp, `{"score":5}`, "-", 415, ""},
		{"form content type", "POST", resp, `score=5`, "application/x-www-form-urlencoded", 415, ""},
		{"missing score", "POST", resp, `{"comment":"hi"}`, "", 422, "score"},
		{"null score", "POST", resp, `{"score":null}`, "", 422, "score"},
		{"score too high", "POST", resp, `{"score":11}`, "", 422, "score"},
		{"negative score", "POST", resp, `{"score":-1}`, "", 422, "score"},
		{"fractional score", "POST", resp, `{"score":7.5}`, "", 422, "score"},
		{"string score", "POST", resp, `{"score":"9"}`, "", 422, "score"},
		{"unknown reason", "POST", resp, `{"score":3,"reasons":["weather"]}`, "", 422, "reasons"},
		{"repeated reason", "POST", resp, `{"score":3,"reasons":["price","price"]}`, "", 422, "reasons"},
		{"reasons not array", "POST", resp, `{"score":3,"reasons":"price"}`, "", 422, "reasons"},
		{"comment too long", "POST", resp, `{"score":3,"comment":"` + strings.Repeat("é", 2001) + `"}`, "", 422, "comment"},
		{"bad channel", "POST", resp, `{"score":3,"channel":"fax"}`, "", 422, "channel"},
		{"bad response_id", "POST", resp, `{"score":3,"response_id":"not-a-uuid"}`, "", 422, "response_id"},
		{"nil response_id", "POST", resp, `{"score":3,"response_id":"00000000-0000-0000-0000-000000000000"}`, "", 422, "response_id"},
		{"respondent too long", "POST", resp, `{"score":3,"respondent":"` + strings.Repeat("r", 201) + `"}`, "", 422, "respondent"},
		{"too many properties", "POST", resp, many, "", 422, "properties"},
		{"non-string property", "POST", resp, `{"score":3,"properties":{"plan":1}}`, "", 422, "properties"},
		{"unknown field", "POST", resp, `{"score":3,"scores":4}`, "", 422, "scores"},
		{"body too large", "POST", resp, big, "", 413, ""},
		{"unknown survey", "POST", "/api/v1/surveys/nope/responses", `{"score":3}`, "", 404, ""},
		{"bad survey id", "POST", "/api/v1/surveys/%2e%2e/responses", `{"score":3}`, "", 404, ""},
		{"wrong method", "DELETE", resp, "", "", 405, ""},
		{"survey without name", "POST", "/api/v1/surveys", `{"question":"Q?"}`, "", 422, "name"},
		{"survey blank name", "POST", "/api/v1/surveys", `{"name":"   "}`, "", 422, "name"},
		{"survey bad reason id", "POST", "/api/v1/surveys", `{"name":"x","reasons":[{"id":"Rude Service","label":"r"}]}`, "", 422, "reasons[0].id"},
		{"survey reason without label", "POST", "/api/v1/surveys", `{"name":"x","reasons":[{"id":"rude"}]}`, "", 422, "reasons[0].label"},
		{"survey duplicate reasons", "POST", "/api/v1/surveys", `{"name":"x","reasons":[{"id":"a","label":"A"},{"id":"a","label":"B"}]}`, "", 422, "reasons"},
		{"survey bad origin", "POST", "/api/v1/surveys", `{"name":"x","allowed_origins":["javascript:alert(1)"]}`, "", 422, "allowed_origins[0]"},
		{"survey origin with path", "POST", "/api/v1/surveys", `{"name":"x","allowed_origins":["https://a.example/page"]}`, "", 422, "allowed_origins[0]"},
		{"report bad from", "GET", "/api/v1/surveys/" + id + "/report?from=2026-13-01", "", "", 422, "from"},
		{"report bad interval", "GET", "/api/v1/surveys/" + id + "/report?interval=year", "", "", 422, "interval"},
		{"report from after to", "GET", "/api/v1/surveys/" + id + "/report?from=2026-02-01&to=2026-01-01", "", "", 422, "from"},
		{"report too many periods", "GET", "/api/v1/surveys/" + id + ".csv/report?from=2000-01-01&to=2100-01-01&interval=day", "", "", 404, ""},
		{"report too many days", "GET", "/api/v1/surveys/" + id + "/report.csv?from=2000-01-01&to=2100-01-01&interval=day", "", "", 422, "interval"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var headers []string
			if tt.method != "GET" || tt.path != resp {
				headers = append(headers, "Authorization", "Bearer "+testKey)
			}
			switch tt.contentType {
			case "":
			case "-":
				headers = append(headers, "Content-Type", "")
			default:
				headers = append(headers, "Content-Type", tt.contentType)
			}
			r := ts.do(t, tt.method, tt.path, tt.body, headers...)
			if r.status != tt.status {
				t.Fatalf("status %d, want %d: %s", r.status, tt.status, r.body)
			}
			if !strings.HasPrefix(r.header.Get("Content-Type"), "application/json") {
				t.Fatalf("Content-Type %q", r.header.Get("Content-Type"))
			}
			e, ok := r.json(t)["error"].(map[string]any)
			if !ok || e["code"] == "" || e["message"] == "" {
				t.Fatalf("not the error shape: %s", r.body)
			}
			if tt.field != "" {
				fields, _ := e["fields"].(map[string]any)
				if _, ok := fields[tt.field]; !ok {
					t.Fatalf("fields %v do not name %q", fields, tt.field)
				}
			}
		})
	}
	// Nothing reached the store: flush the writer, then count raw rows.
	if err := ts.writer.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := ts.storedRows(t, id); n != 0 {
		t.Fatalf("bad requests stored %d rows", n)
	}
	if n := len(ts.surveys.List()); n != 1 {
		t.Fatalf("bad requests created surveys: %d", n)
	}
}

// csvSafe applies the formula rule to a row, as a spreadsheet sees its
// cells once the CSV is read.
func csvSafe(row []string) []string {
	for i, cell := range row {
		if formulaCell(cell) {
			row[i] = "'" + cell
		}
	}
	return row
}

func TestCSVInjection(t *testing.T) {
	cells := []struct{ in, want string }{
		{"=HYPERLINK(\"http://evil\",\"x\")", "'=HYPERLINK(\"http://evil\",\"x\")"},
		{"+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"},
		{"-2+3", "'-2+3"},
		{"@SUM(1+1)", "'@SUM(1+1)"},
		{"\tTab", "'\tTab"},
		{"\rCR", "'\rCR"},
		{"-73.4", "-73.4"},
		{"100", "100"},
		{"Price", "Price"},
		{"", ""},
	}
	for _, c := range cells {
		if got := csvSafe([]string{c.in})[0]; got != c.want {
			t.Errorf("csvSafe(%q) = %q, want %q", c.in, got, c.want)
		}
	}
	// Through the API: labels are user text and become header cells.
	eachStore(t, "heed_test_server_csv", func(t *testing.T, ts *testServer) {
		id := ts.createSurvey(t, `{"name":"x","reasons":[{"id":"a","label":"=HYPERLINK(\"http://evil\")"},{"id":"b","label":"@SUM(A1)"}]}`)
		r := ts.admin(t, "GET", "/api/v1/surveys/"+id+"/report.csv", "")
		rows, err := csv.NewReader(bytes.NewReader(r.body)).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		for _, cell := range rows[0][13:] { // the reason columns follow 13 fixed ones
			if !strings.HasPrefix(cell, "'") {
				t.Errorf("header cell %q not neutralised", cell)
			}
		}
	})
}

func TestHealthAndSite(t *testing.T) {
	eachStore(t, "heed_test_server_health", testHealthAndSite)
}

func testHealthAndSite(t *testing.T, ts *testServer) {
	if r := ts.do(t, "GET", "/healthz", ""); r.status != 200 {
		t.Fatalf("healthz %d", r.status)
	}
	// Public: ready or not, nothing more; the details with the admin key.
	if r := ts.do(t, "GET", "/readyz", ""); r.status != 200 || r.json(t)["status"] != "ready" || len(r.json(t)) != 1 {
		t.Fatalf("readyz %d %s", r.status, r.body)
	}
	if r := ts.admin(t, "GET", "/readyz", ""); r.status != 200 || r.json(t)["status"] != "ready" || r.json(t)["clickhouse_version"] == nil {
		t.Fatalf("readyz with the key %d %s", r.status, r.body)
	}
	if r := ts.do(t, "GET", "/readyz", "", "Authorization", "Bearer wrong"); r.status != 401 {
		t.Fatalf("readyz with a wrong key %d %s", r.status, r.body)
	}
	r := ts.do(t, "GET", "/", "")
	if r.status != 200 || !strings.Contains(string(r.body), "data-survey=") || r.header.Get("ETag") == "" {
		t.Fatalf("landing page: %d %.200s", r.status, r.body)
	}
	if r2 := ts.do(t, "GET", "/", "", "If-None-Match", r.header.Get("ETag")); r2.status != 304 {
		t.Fatalf("conditional GET: %d", r2.status)
	}
	for _, p := range []string{"/docs.html", "/docs", "/style.css"} {
		if r := ts.do(t, "GET", p, ""); r.status != 200 {
			t.Errorf("%s: %d", p, r.status)
		}
	}
	if r := ts.do(t, "GET", "/../../etc/passwd", ""); r.status != 404 {
		t.Errorf("path escape: %d", r.status)
	}
}

// TestNotReady: with ClickHouse unreachable the process stays up, /readyz
// says why, and responses to unknown surveys are 503, not 404.
func TestNotReady(t *testing.T) {
	down, err := clickhouse.Open("clickhouse://127.0.0.1:1/heed_test_down")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { down.Close() })
	ts := newServerWith(t, "", func(c *testConfig) { c.Store = down; c.Writer.FlushInterval = time.Second })
	r := ts.do(t, "GET", "/readyz", "")
	if r.status != 503 {
		t.Fatalf("readyz %d", r.status)
	}
	// Public: reason codes only, no address or error text.
	if f := r.json(t)["error"].(map[string]any)["fields"].(map[string]any); f["clickhouse"] != "unreachable" || f["surveys"] != "not_loaded" {
		t.Fatalf("readyz fields = %v", f)
	}
	if strings.Contains(string(r.body), "127.0.0.1") || strings.Contains(string(r.body), "dial") {
		t.Fatalf("internals in the public readyz: %s", r.body)
	}
	if r := ts.admin(t, "GET", "/readyz", ""); r.status != 503 || !strings.Contains(string(r.body), "127.0.0.1:1") {
		t.Fatalf("readyz with the key: %d %s", r.status, r.body)
	}
	if r := ts.do(t, "POST", "/api/v1/surveys/any/responses", `{"score":1}`); r.status != 503 {
		t.Fatalf("response while not loaded: %d %s", r.status, r.body)
	}
}

// TestResponsesCSV: the raw answers as a spreadsheet: one row per response
// with the answer that counts, its properties as columns, formula cells
// neutralised, the segment applied, and a byte order mark for Excel.
func TestResponsesCSV(t *testing.T) {
	eachStore(t, "heed_test_server_export", func(t *testing.T, ts *testServer) {
		id := ts.createSurvey(t, shopSurvey)
		rid := ts.respond(t, id, `{"score":8,"properties":{"plan":"pro"}}`)
		ts.respond(t, id, `{"score":3,"reasons":["price","rude_service"],"comment":"=HYPERLINK(\"x\")","properties":{"plan":"pro","country":"FR"},"response_id":"`+rid+`"}`)
		ts.respond(t, id, `{"score":10,"respondent":"cust-9","properties":{"plan":"free"}}`)
		ts.waitReport(t, "/api/v1/surveys/"+id+"/report?interval=day", 2)
		r := ts.admin(t, "GET", "/api/v1/surveys/"+id+"/responses.csv", "")
		if r.status != 200 || !strings.HasPrefix(r.header.Get("Content-Type"), "text/csv") || !strings.Contains(r.header.Get("Content-Disposition"), "responses") {
			t.Fatalf("responses.csv: %d %v %s", r.status, r.header, r.body)
		}
		rows, err := csv.NewReader(bytes.NewReader(r.body)).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != 3 {
			t.Fatalf("%d rows, want a header and 2 responses: %v", len(rows), rows)
		}
		header := strings.Join(rows[0], ",")
		if header != "response_id,first_answered_at,score,nps_group,reasons,reason_labels,comment,channel,respondent,confirmed,flags,property.country,property.plan" {
			t.Fatalf("header %s", header)
		}
		byID := map[string][]string{}
		for _, row := range rows[1:] {
			byID[row[0]] = row
		}
		got := byID[rid]
		if got == nil || got[2] != "3" || got[3] != "detractor" || got[4] != "price;rude_service" || got[5] != "Price;Rude or unhelpful service" ||
			got[6] != `'=HYPERLINK("x")` || got[9] != "true" || got[11] != "FR" || got[12] != "pro" {
			t.Fatalf("follow-up row %v", got)
		}
		seg := ts.admin(t, "GET", "/api/v1/surveys/"+id+"/responses.csv?property.plan=free&excel=1", "")
		if !bytes.HasPrefix(seg.body, []byte("\ufeff")) {
			t.Fatalf("no byte order mark with excel=1: %q", seg.body[:10])
		}
		rows, err = csv.NewReader(bytes.NewReader(bytes.TrimPrefix(seg.body, []byte("\ufeff")))).ReadAll()
		if err != nil || len(rows) != 2 || rows[1][8] != "cust-9" {
			t.Fatalf("segment plan=free: %v %v", rows, err)
		}
		if r := ts.admin(t, "GET", "/api/v1/surveys/"+id+"/responses.csv?from=2026-13-01", ""); r.status != 422 {
			t.Fatalf("bad from: %d", r.status)
		}
		if r := ts.do(t, "GET", "/api/v1/surveys/"+id+"/responses.csv", ""); r.status != 401 {
			t.Fatalf("without the key: %d", r.status)
		}
	})
}

// TestCSVCells: every cell the writer encodes reads back, through Go's
// RFC 4180 reader, as the cell itself (formula cells with their quote).
func TestCSVCells(t *testing.T) {
	cells := []string{"plain", "", "with,comma", `with "quotes"`, "line\nbreak", "cr\rhere", " leading space", "\ttab",
		"=1+1", "-73.4", "-2+3", "é ünïcode", `"`, ",", "@", "trailing space "}
	var line []byte
	for i, c := range cells {
		if i > 0 {
			line = append(line, ',')
		}
		line = appendCSVCell(line, c)
	}
	line = append(line, '\r', '\n')
	got, err := csv.NewReader(bytes.NewReader(line)).Read()
	if err != nil {
		t.Fatalf("%q: %v", line, err)
	}
	want := csvSafe(append([]string(nil), cells...))
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("read back\n %q\nwant\n %q\nfrom %q", got, want, line)
	}
}

// TestBrokenExportIsNoFile: an export that fails half-way (the store went
// away) breaks the transfer, so nobody saves a short file that looks whole.
func TestBrokenExportIsNoFile(t *testing.T) {
	ts := newFakeServer(t, nil)
	id := ts.createSurvey(t, shopSurvey)
	ts.fake.ExportFn = func(ctx context.Context, q analytics.ReportQuery, out analytics.AnswerExport) error {
		if err := out.Columns(nil); err != nil {
			return err
		}
		for i := 0; i < 10000; i++ { // past the first flush
			if err := out.Answer(&analytics.ExportedAnswer{ResponseID: "r", FirstAnsweredAt: "2026-01-01T00:00:00Z", Score: 3}); err != nil {
				return err
			}
		}
		return errors.New("ClickHouse went away")
	}
	req, _ := http.NewRequest("GET", ts.url+"/api/v1/surveys/"+id+"/responses.csv", nil)
	req.Header.Set("Authorization", "Bearer "+testKey)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if _, err := io.ReadAll(resp.Body); err == nil {
		t.Fatal("a broken export read as a complete file")
	}
}
