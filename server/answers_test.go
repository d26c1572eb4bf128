package server

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"testing"
	"time"

	"heed/analytics"
	"heed/emails"
)

// Tests of issue 17's findings on answers and the routes around them.

const testBrowser = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0 Safari/537.36"

// TestForgedEmailAnswerRefused: an email answer's response_id is derivable
// (emails.ResponseID of the send id in one's own link and the contact id,
// a hash of the victim's address). A public or keyed POST naming it, or
// claiming channel email, is refused, and the victim's stored answer is
// the same after ClickHouse merged everything.
func TestForgedEmailAnswerRefused(t *testing.T) {
	ts := newEmailServer(t, "heed_test_server_forged_email", "")
	ctx := context.Background()
	id := ts.createSurvey(t, shopSurvey)
	victim := analytics.ContactID("ann@example.com")
	tok := ts.token(t, id, "ann@example.com", time.Hour)
	form := url.Values{"s": {"2"}, "reasons": {"rude_service"}, "comment": {"Nobody called back"}}
	if r := ts.do(t, "POST", "/r/"+tok, form.Encode(), "Content-Type", "application/x-www-form-urlencoded", "User-Agent", testBrowser); r.status != 200 {
		t.Fatalf("follow-up: %d %s", r.status, r.body)
	}
	ts.db.WaitRows(t, "answers", id, 1)
	rid := emails.ResponseID("send-1", victim).String()
	forged := []struct {
		name, body string
		keyed      bool
	}{
		{"public, everything the victim's", `{"score":10,"channel":"email","response_id":"` + rid + `","respondent":"` + victim + `"}`, false},
		{"public, the derived id alone", `{"score":10,"response_id":"` + rid + `"}`, false},
		{"public, the derived id in upper case", `{"score":10,"response_id":"` + strings.ToUpper(rid) + `"}`, false},
		{"keyed, everything the victim's", `{"score":10,"channel":"email","response_id":"` + rid + `","respondent":"` + victim + `"}`, true},
		{"keyed, the derived id alone", `{"score":10,"channel":"api","response_id":"` + rid + `"}`, true},
	}
	for _, f := range forged {
		var r result
		if f.keyed {
			r = ts.admin(t, "POST", "/api/v1/surveys/"+id+"/responses", f.body)
		} else {
			r = ts.do(t, "POST", "/api/v1/surveys/"+id+"/responses", f.body)
		}
		if r.status != http.StatusUnprocessableEntity || r.json(t)["error"] == nil {
			t.Errorf("%s: %d %s, want 422 in the error shape", f.name, r.status, r.body)
		}
	}
	// A later answer of the same survey: once it is stored, any forged
	// answer accepted before it would be too (one writer, in order).
	ts.respond(t, id, `{"score":9}`)
	ts.db.WaitRows(t, "answers", id, 2)
	if err := ts.db.Exec(ctx, "OPTIMIZE TABLE answers FINAL"); err != nil {
		t.Fatal(err)
	}
	var score uint8
	var comment, channel, respondent string
	if err := ts.db.QueryRow(ctx, "SELECT score, comment, channel, respondent FROM answers WHERE survey_id = ? AND response_id = toUUID(?)", id, rid).
		Scan(&score, &comment, &channel, &respondent); err != nil {
		t.Fatal(err)
	}
	if score != 2 || comment != "Nobody called back" || channel != "email" || respondent != victim {
		t.Fatalf("the victim's answer after merging: score %d, comment %q, channel %q, respondent %q", score, comment, channel, respondent)
	}
	if n := ts.storedRows(t, id); n != 2 {
		t.Fatalf("%d rows after merging, want the victim's and the later answer", n)
	}
}

// TestResponseInputRefusesEmailIdentity: the API's validation of an answer
// (fast tier): channel email, a version 5 response_id and a contact id as
// respondent are refused, with the field named; what clients legitimately
// send still passes.
func TestResponseInputRefusesEmailIdentity(t *testing.T) {
	ts := newFakeServer(t, nil)
	id := ts.createSurvey(t, shopSurvey)
	contact := analytics.ContactID("bob@example.com")
	cases := []struct {
		name, body, field string
		keyed             bool
	}{
		{"channel email", `{"score":9,"channel":"email"}`, "channel", false},
		{"channel email, keyed", `{"score":9,"channel":"email"}`, "channel", true},
		{"a send's derived id", `{"score":9,"response_id":"` + emails.ResponseID("s1", contact).String() + `"}`, "response_id", false},
		{"an import's derived id, keyed", `{"score":9,"response_id":"` + analytics.ImportResponseID(id, "csv", "7").String() + `"}`, "response_id", true},
		{"a contact id as respondent", `{"score":9,"respondent":"` + contact + `"}`, "respondent", false},
		{"a contact id as respondent, keyed", `{"score":9,"respondent":"` + contact + `"}`, "respondent", true},
		{"a random id", `{"score":9,"response_id":"0b6f2f5e-8a8c-4c1e-9d61-6c8e1f0d2a11"}`, "", false},
		{"a time-ordered id, keyed", `{"score":9,"response_id":"01890a5d-ac96-774b-bcce-b302099a8057"}`, "", true},
		{"a customer id", `{"score":9,"respondent":"cust-42"}`, "", false},
		{"upper-case hex is not a contact id", `{"score":9,"respondent":"` + strings.ToUpper(contact) + `"}`, "", false},
		{"channel api", `{"score":9,"channel":"api"}`, "", true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var r result
			if c.keyed {
				r = ts.admin(t, "POST", "/api/v1/surveys/"+id+"/responses", c.body)
			} else {
				r = ts.do(t, "POST", "/api/v1/surveys/"+id+"/responses", c.body)
			}
			if c.field == "" {
				if r.status != http.StatusAccepted {
					t.Fatalf("%d %s, want 202", r.status, r.body)
				}
				return
			}
			e, _ := r.json(t)["error"].(map[string]any)
			fields, _ := e["fields"].(map[string]any)
			if r.status != http.StatusUnprocessableEntity || fields[c.field] == nil {
				t.Fatalf("%d %s, want 422 naming %s", r.status, r.body, c.field)
			}
		})
	}
}

// TestScoreParamCanonical: a score in a link is one canonical number from
// 0 to 10, nothing else.
func TestScoreParamCanonical(t *testing.T) {
	cases := []struct {
		vals []string
		want int
		ok   bool
	}{
		{[]string{"0"}, 0, true},
		{[]string{"5"}, 5, true},
		{[]string{"10"}, 10, true},
		{[]string{"+5"}, 0, false},
		{[]string{"-0"}, 0, false},
		{[]string{"007"}, 0, false},
		{[]string{"05"}, 0, false},
		{[]string{"00"}, 0, false},
		{[]string{"010"}, 0, false},
		{[]string{"11"}, 0, false},
		{[]string{" 5"}, 0, false},
		{[]string{"5 "}, 0, false},
		{[]string{"5.0"}, 0, false},
		{[]string{"0x5"}, 0, false},
		{[]string{"٥"}, 0, false}, // an Arabic-Indic five
		{[]string{""}, 0, false},
		{nil, 0, false},
		{[]string{"5", "5"}, 0, false},
		{[]string{"5", "9"}, 0, false},
	}
	for _, c := range cases {
		got, ok := parseScore(c.vals)
		if ok != c.ok || (ok && got != c.want) {
			t.Errorf("parseScore(%q) = %d, %v; want %d, %v", c.vals, got, ok, c.want, c.ok)
		}
	}
}

// TestLinkScoreLenient: the email links refuse what parseScore refuses,
// and record nothing for it.
func TestLinkScoreLenient(t *testing.T) {
	ts := newEmailServer(t, "", "")
	id := ts.createSurvey(t, shopSurvey)
	tok := ts.token(t, id, "ann@example.com", time.Hour)
	for _, q := range []string{"s=%2B5", "s=007", "s=5&s=5", "s=5&s=9"} {
		if r := ts.do(t, "GET", "/r/"+tok+"?"+q, "", "User-Agent", testBrowser); r.status != http.StatusBadRequest {
			t.Errorf("GET ?%s: %d, want 400", q, r.status)
		}
		form := q + "&reasons=rude_service"
		if r := ts.do(t, "POST", "/r/"+tok, form, "Content-Type", "application/x-www-form-urlencoded", "User-Agent", testBrowser); r.status != http.StatusUnprocessableEntity {
			t.Errorf("POST %s: %d, want 422", form, r.status)
		}
		if r := ts.do(t, "GET", "/r/"+tok+"/thanks?"+q, ""); r.status != http.StatusBadRequest {
			t.Errorf("thanks ?%s: %d, want 400", q, r.status)
		}
	}
	// The fake store writes synchronously through the writer's flush; a
	// good click afterwards is the one answer stored once it is there.
	if r := ts.do(t, "GET", "/r/"+tok+"?s=5", "", "User-Agent", testBrowser); r.status != http.StatusOK {
		t.Fatalf("good click: %d", r.status)
	}
	ts.waitAnswer(t, id, func(a map[string]any) bool { return a["score"] == 5.0 })
	if n := ts.storedRows(t, id); n != 1 {
		t.Fatalf("%d rows stored, want only the good click's", n)
	}
}

// TestForgottenPersonLinksRecordNothing: once a person is forgotten, the
// links of the emails they got record nothing (410), also after their
// address is imported again.
func TestForgottenPersonLinksRecordNothing(t *testing.T) {
	t.Run("fake", func(t *testing.T) { testForgottenLinks(t, "") })
	t.Run("clickhouse", func(t *testing.T) { testForgottenLinks(t, "heed_test_server_forgotten_links") })
}

func testForgottenLinks(t *testing.T, dbName string) {
	ts := newEmailServer(t, dbName, "")
	ctx := context.Background()
	id := ts.createSurvey(t, shopSurvey)
	other := ts.token(t, id, "bob@example.com", time.Hour)
	tok := ts.token(t, id, "ann@example.com", time.Hour)
	ann := analytics.ContactID("ann@example.com")
	if err := ts.store.UpsertContacts(ctx, []analytics.Contact{{ContactID: ann, Email: "ann@example.com"}}); err != nil {
		t.Fatal(err)
	}
	if r := ts.admin(t, "DELETE", "/api/v1/people/ann@example.com", ""); r.status != http.StatusOK {
		t.Fatalf("forget: %d %s", r.status, r.body)
	}
	check := func(when string) {
		t.Helper()
		if r := ts.do(t, "GET", "/r/"+tok+"?s=3", "", "User-Agent", testBrowser); r.status != http.StatusGone {
			t.Errorf("%s: click: %d", when, r.status)
		}
		form := url.Values{"s": {"3"}, "reasons": {"rude_service"}, "comment": {"hello again"}}
		if r := ts.do(t, "POST", "/r/"+tok, form.Encode(), "Content-Type", "application/x-www-form-urlencoded", "User-Agent", testBrowser); r.status != http.StatusGone {
			t.Errorf("%s: follow-up: %d", when, r.status)
		}
		if r := ts.do(t, "POST", "/r/"+tok+"/confirm", `{"s":3}`, "User-Agent", testBrowser); r.status != http.StatusGone || r.json(t)["error"] == nil {
			t.Errorf("%s: confirm: %d %s", when, r.status, r.body)
		}
	}
	check("forgotten")
	// Imported again (the customer's CRM still has them): still forgotten.
	if err := ts.store.UpsertContacts(ctx, []analytics.Contact{{ContactID: ann, Email: "ann@example.com"}}); err != nil {
		t.Fatal(err)
	}
	check("imported again")
	// Unsubscribing still says so, but stores no suppression (which would
	// hold their contact id and address again).
	if r := ts.do(t, "POST", "/u/"+tok, "List-Unsubscribe=One-Click", "Content-Type", "application/x-www-form-urlencoded"); r.status != http.StatusOK {
		t.Fatalf("unsubscribe: %d", r.status)
	}
	if sup, err := ts.store.Suppressed(ctx); err != nil || sup[ann] {
		t.Fatalf("a forgotten person's unsubscribe stored a suppression: %v %v", sup, err)
	}
	// Someone else's link still records, and once that answer is stored,
	// any of Ann's would be too (one writer, in order).
	if r := ts.do(t, "GET", "/r/"+other+"?s=9", "", "User-Agent", testBrowser); r.status != http.StatusOK {
		t.Fatalf("another person's click: %d", r.status)
	}
	as := ts.waitAnswer(t, id, func(a map[string]any) bool { return true })
	if as["respondent"] != analytics.ContactID("bob@example.com") {
		t.Fatalf("answers: %v", as)
	}
}

// TestArchivedWidgetConfigInactive: an archived survey's widget config
// says inactive and carries nothing to show.
func TestArchivedWidgetConfigInactive(t *testing.T) {
	ts := newFakeServer(t, nil)
	id := ts.createSurvey(t, `{"name":"Shop","question":"Would you recommend the shop?","reasons":[{"id":"price","label":"Price"}]}`)
	if cfg := ts.do(t, "GET", "/api/v1/surveys/"+id+"/widget", "").json(t); cfg["active"] != true || cfg["question"] == "" {
		t.Fatalf("active survey's config: %v", cfg)
	}
	if r := ts.admin(t, "POST", "/api/v1/surveys/"+id+"/archive", ""); r.status != http.StatusOK {
		t.Fatalf("archive: %d %s", r.status, r.body)
	}
	r := ts.do(t, "GET", "/api/v1/surveys/"+id+"/widget", "")
	cfg := r.json(t)
	keys := make([]string, 0, len(cfg))
	for k := range cfg {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	if r.status != http.StatusOK || cfg["active"] != false || cfg["id"] != id || strings.Join(keys, ",") != "active,id" {
		t.Fatalf("archived survey's config: %d %v", r.status, cfg)
	}
}

// TestTransferEncodingWithContentLength: a request carrying both framing
// headers (request smuggling) is refused with 400 in the error shape,
// end to end on a real listener, and stores nothing; either one alone
// works.
func TestTransferEncodingWithContentLength(t *testing.T) {
	ts := newFakeServer(t, nil)
	id := ts.createSurvey(t, shopSurvey)
	addr := startReal(t, ts) // the listener heed serve uses
	path := "/api/v1/surveys/" + id + "/responses"
	body := `{"score":9}`
	chunked := fmt.Sprintf("%x\r\n%s\r\n0\r\n\r\n", len(body), body)
	cases := []struct {
		name, headers, body string
		want                int
	}{
		{"both", "Transfer-Encoding: chunked\r\nContent-Length: 4\r\n", chunked, http.StatusBadRequest},
		{"both, content-length first", "Content-Length: 4\r\nTransfer-Encoding: chunked\r\n", chunked, http.StatusBadRequest},
		{"both, odd case", "transfer-encoding: Chunked\r\ncontent-length: 4\r\n", chunked, http.StatusBadRequest},
		{"chunked alone", "Transfer-Encoding: chunked\r\n", chunked, http.StatusAccepted},
		{"content-length alone", fmt.Sprintf("Content-Length: %d\r\n", len(body)), body, http.StatusAccepted},
	}
	accepted := 0
	for _, c := range cases {
		head := "POST " + path + " HTTP/1.1\r\nHost: heed.test\r\nContent-Type: application/json\r\n" + strings.TrimSuffix(c.headers, "\r\n")
		resp, got := rawRequest(t, addr, head, c.body, false)
		if resp.StatusCode != c.want {
			t.Errorf("%s: %d %s, want %d", c.name, resp.StatusCode, got, c.want)
		}
		if c.want == http.StatusBadRequest && !strings.Contains(got, `"code":"bad_request"`) {
			t.Errorf("%s: body %s, want the error shape", c.name, got)
		}
		if resp.StatusCode == http.StatusAccepted {
			accepted++
		}
	}
	// Two requests on one connection: the refused one does not let its
	// body pass as a second request.
	smuggled := "POST " + path + " HTTP/1.1\r\nHost: heed.test\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n" + chunked
	good := "POST " + path + " HTTP/1.1\r\nHost: heed.test\r\nContent-Type: application/json\r\n" + fmt.Sprintf("Content-Length: %d", len(body))
	resp, _ := rawRequest(t, addr, good, body+smuggled, false)
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("a good request before a smuggling one: %d", resp.StatusCode)
	}
	accepted++
	deadline := time.Now().Add(10 * time.Second)
	for ts.storedRows(t, id) < uint64(accepted) && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if n := ts.storedRows(t, id); n != uint64(accepted) {
		t.Fatalf("%d answers stored, want %d", n, accepted)
	}
}

// TestCheckOriginIgnoresHost: the same-origin rule is Heed's configured
// public URL (and the address it is reached at), never the Host header a
// client sends.
func TestCheckOriginIgnoresHost(t *testing.T) {
	ts := newServerWith(t, "", func(c *testConfig) { c.Email.PublicURL = "https://heed.example.com" })
	id := ts.createSurvey(t, `{"name":"Shop","allowed_origins":["https://shop.example"]}`)
	path := "/api/v1/surveys/" + id + "/widget"
	cases := []struct {
		name, origin, host string
		want               int
	}{
		{"Origin equal to a forged Host", "http://evil.example", "evil.example", http.StatusForbidden},
		{"Origin equal to a forged Host with port", "http://evil.example:8080", "evil.example:8080", http.StatusForbidden},
		{"the public URL's origin", "https://heed.example.com", "", http.StatusOK},
		{"the public URL's origin, forged Host", "https://heed.example.com", "evil.example", http.StatusOK},
		{"the address Heed is reached at", ts.url, "", http.StatusOK},
		{"an allowed origin", "https://shop.example", "", http.StatusOK},
		{"no Origin", "", "evil.example", http.StatusOK},
	}
	for _, c := range cases {
		req, err := http.NewRequest("GET", ts.url+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		if c.origin != "" {
			req.Header.Set("Origin", c.origin)
		}
		if c.host != "" {
			req.Host = c.host
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != c.want {
			t.Errorf("%s: %d, want %d", c.name, resp.StatusCode, c.want)
		}
	}
}

// TestWrongMethodIs405: every registered route answers a method it does
// not register with 405, an Allow header naming its methods, and the error
// shape; the site's pages still answer GET.
func TestWrongMethodIs405(t *testing.T) {
	ts := newServerWith(t, "", func(c *testConfig) { c.Server.Dev = true })
	methods := map[string][]string{}
	for k := range ts.access {
		m, p, _ := strings.Cut(k, " ")
		methods[p] = append(methods[p], m)
	}
	candidates := []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete}
	checked := 0
	for p, ms := range methods {
		if p == "/*" {
			continue
		}
		concrete := p
		for _, seg := range strings.Split(p, "/") {
			if strings.HasPrefix(seg, ":") {
				concrete = strings.Replace(concrete, seg, "x1", 1)
			}
		}
		for _, m := range candidates {
			if contains(ms, m) {
				continue
			}
			r := ts.do(t, m, concrete, "")
			e, _ := r.json(t)["error"].(map[string]any)
			allow := r.header.Get("Allow")
			if r.status != http.StatusMethodNotAllowed || e["code"] != CodeMethodNotAllowed {
				t.Errorf("%s %s (route %s): %d %s, want 405", m, concrete, p, r.status, r.body)
				continue
			}
			for _, want := range ms {
				if !strings.Contains(allow, want) {
					t.Errorf("%s %s: Allow %q lacks %s", m, concrete, allow, want)
				}
			}
			checked++
		}
	}
	if checked < len(methods) {
		t.Fatalf("only %d wrong methods checked over %d routes", checked, len(methods))
	}
	for _, page := range []string{"/", "/docs", "/widget.js"} {
		if r := ts.do(t, "GET", page, ""); r.status != http.StatusOK {
			t.Errorf("GET %s: %d", page, r.status)
		}
	}
	if r := ts.do(t, "GET", "/no-such-page", ""); r.status != http.StatusNotFound {
		t.Errorf("GET /no-such-page: %d, want 404", r.status)
	}
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// recordEmailAnswer stores an email answer as the links record one (the
// API refuses channel email): score, reasons and comment by the contact,
// under the id its email's link would give it. It returns that id.
func (ts *testServer) recordEmailAnswer(t *testing.T, surveyID, contactID string, score uint8, reasons []string, comment string) string {
	t.Helper()
	id := emails.ResponseID("send-1", contactID)
	r := analytics.Response{SurveyID: surveyID, ResponseID: id, Score: score, Reasons: reasons, Comment: comment,
		Channel: analytics.ChannelEmail, Respondent: contactID, Properties: map[string]string{"send_id": "send-1"}}
	if err := ts.writer.Add(r); err != nil {
		t.Fatal(err)
	}
	return id.String()
}

// TestFramingScanner: the scanner of the listener follows requests one
// after another on a connection (bodies framed by length and by chunks,
// trailers, a request net/http answers itself), whichever way the bytes
// are split, and notes each request that carried both framing headers.
func TestFramingScanner(t *testing.T) {
	cl := "POST /a HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello"
	chunked := "POST /b HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n0\r\nX-Trailer: 1\r\n\r\n"
	both := "POST /c HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"
	get := "GET / HTTP/1.1\r\nHost: h\r\n\r\n"
	star := "OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n"
	// A body that looks like a head with both headers is a body.
	body := "GET / HTTP/1.1\r\nContent-Length: 1\r\nTransfer-Encoding: x\r\n\r\n"
	lookalike := fmt.Sprintf("POST /d HTTP/1.1\r\nHost: h\r\nContent-Length: %d\r\n\r\n%s", len(body), body)
	cases := []struct {
		name, stream string
		notes        []bool
	}{
		{"length, chunks, both, get", cl + chunked + both + get, []bool{false, false, true, false}},
		{"blank lines between requests", get + "\r\n" + cl, []bool{false, false}},
		{"OPTIONS * has no handler", star + both, []bool{true}},
		{"a body holding a head", lookalike + get, []bool{false, false}},
		{"bare LF lines", "POST /e HTTP/1.1\nHost: h\ncontent-length: 2\ntransfer-encoding: chunked\n\n2\nab\n0\n\n" + get, []bool{true, false}},
	}
	for _, c := range cases {
		for _, step := range []int{1, 2, 7, len(c.stream)} {
			fc := &framingConn{}
			for i := 0; i < len(c.stream); i += step {
				fc.scan([]byte(c.stream[i:min(i+step, len(c.stream))]))
			}
			if fmt.Sprint(fc.notes) != fmt.Sprint(c.notes) || fc.lost {
				t.Errorf("%s, in pieces of %d: notes %v (lost %v), want %v", c.name, step, fc.notes, fc.lost, c.notes)
			}
		}
	}
}
