package server

import (
	"context"
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"heed/analytics"
	"heed/analytics/clickhouse/chtest"
	"heed/emails"
)

// hostile is one request of TestHostileRequests. want 0 accepts any 4xx.
type hostile struct {
	name, method, path, body string
	headers                  []string // name, value, ...
	want                     int
	html                     bool // a link page: HTML, not JSON
	// raw, when set, sends head (request line and headers) and body on a
	// socket as they are, closing the writing side when closeWrite is set:
	// the slow and short bodies a client library will not send.
	raw, closeWrite bool
}

// TestHostileRequests: requests a hostile client sends to every public and
// admin route (issue 12's findings among them: lengths in characters,
// control characters, a slow body, wrong shapes, expired links, bad
// signatures, wrong keys, bodies just over each limit) get only 4xx
// answers, in the one JSON error shape (HTML on the link pages), with no
// internals; and the stored data of every table is the same, byte for
// byte, afterwards. The server is the production one on a real listener
// (its timeouts and body limits as in production), on the real ClickHouse.
func TestHostileRequests(t *testing.T) {
	signer, pub := newWebhookSigner(t)
	ts := newServerWith(t, "heed_test_server_hostile", func(c *testConfig) {
		c.Server.Dev, c.Email.WebhookKey = true, pub
		c.Server.ReadTimeout = 300 * time.Millisecond
		c.Server.AuthFailures, c.Server.TrustedProxies = 5, []string{"127.0.0.1"}
	})
	addr := startReal(t, ts)
	ts.url = "http://" + addr

	// Something in every table the routes touch.
	id := ts.createSurvey(t, `{"name":"Shop","reasons":[{"id":"rude_service","label":"Rude"},{"id":"price","label":"Price"}],"allowed_origins":["https://shop.example.com"]}`)
	closed := ts.createSurvey(t, shopSurvey)
	mustStatus(t, ts.admin(t, "POST", "/api/v1/surveys/"+closed+"/archive", ""), 200)
	mustStatus(t, ts.admin(t, "POST", "/api/v1/contacts", `[{"email":"ann@example.com","name":"Ann","properties":{"plan":"pro"}}]`), 200)
	detractor := ts.respond(t, id, `{"score":2,"reasons":["rude_service"],"comment":"rude","respondent":"cust-1","properties":{"plan":"pro"}}`)
	ts.respond(t, id, `{"score":10,"respondent":"cust-2"}`)
	mustStatus(t, ts.admin(t, "POST", "/api/v1/churn", `[{"respondent":"cust-1","churned_at":"2026-01-02","reason":"price"}]`), 200)
	ts.db.WaitRows(t, "answers", id, 2)
	// The case is found once the answer's first-answer row is written too.
	waitFor(t, func() bool { return ts.admin(t, "GET", "/api/v1/surveys/"+id+"/cases/"+detractor, "").status == 200 })
	mustStatus(t, ts.admin(t, "PATCH", "/api/v1/surveys/"+id+"/cases/"+detractor, `{"note":"called back"}`), 200)
	before := snapshot(t, ts.db)

	now := time.Now().UTC()
	contact := analytics.ContactID("ann@example.com")
	tok := ts.emailing.Signer.Sign(emails.Claims{SendID: "s1", SurveyID: id, ContactID: contact, SentAt: now.Add(-time.Hour), Expires: now.Add(time.Hour)})
	expired := ts.emailing.Signer.Sign(emails.Claims{SendID: "s1", SurveyID: id, ContactID: contact, SentAt: now.Add(-48 * time.Hour), Expires: now.Add(-time.Minute)})
	tsNow, tsOld := strconv.FormatInt(now.Unix(), 10), strconv.FormatInt(now.Add(-time.Hour).Unix(), 10)
	sigOf := func(ts string, body string) string { return signer.sign(t, ts, []byte(body)) }

	answers := "/api/v1/surveys/" + id + "/responses"
	sv := "/api/v1/surveys/" + id
	huge := strings.Repeat("x", 120<<10)
	over := func(limit int, head string) string { // a JSON object of limit+1 bytes
		return head + strings.Repeat("a", limit+1-len(head)-2) + `"}`
	}
	deep := `{"properties":` + strings.Repeat("[", 20000) + strings.Repeat("]", 20000) + `}`
	key, text, form := []string{"Authorization", "Bearer " + testKey}, []string{"Content-Type", "text/plain"}, []string{"Content-Type", "application/x-www-form-urlencoded"}
	with := func(hs ...[]string) []string {
		var out []string
		for _, h := range hs {
			out = append(out, h...)
		}
		return out
	}
	webhook := func(sig, ts string) []string {
		return []string{"X-Twilio-Email-Event-Webhook-Signature", sig, "X-Twilio-Email-Event-Webhook-Timestamp", ts}
	}
	rawHead := func(path string, length int, extra string) string {
		return "POST " + path + " HTTP/1.1\r\nHost: heed.test\r\nContent-Type: application/json\r\nContent-Length: " + strconv.Itoa(length) + extra
	}
	q := url.QueryEscape

	tests := []hostile{
		// Answers: lengths in characters, control characters, numbers.
		{name: "respondent of 201 characters", method: "POST", path: answers, body: `{"score":9,"respondent":"` + strings.Repeat("é", 201) + `"}`, want: 422},
		{name: "respondent with NUL", method: "POST", path: answers, body: `{"score":9,"respondent":"a\u0000b"}`, want: 422},
		{name: "respondent with ESC", method: "POST", path: answers, body: `{"score":9,"respondent":"\u001b[2Jx"}`, want: 422},
		{name: "respondent with a bidi override", method: "POST", path: answers, body: `{"score":9,"respondent":"cust\u202e1"}`, want: 422},
		{name: "property name of 101 characters", method: "POST", path: answers, body: `{"score":9,"properties":{"` + strings.Repeat("中", 101) + `":"x"}}`, want: 422},
		{name: "property name with ESC", method: "POST", path: answers, body: `{"score":9,"properties":{"pl\u001ban":"x"}}`, want: 422},
		{name: "property value with an isolate", method: "POST", path: answers, body: `{"score":9,"properties":{"plan":"pro\u2066"}}`, want: 422},
		{name: "property value of 501 characters", method: "POST", path: answers, body: `{"score":9,"properties":{"plan":"` + strings.Repeat("é", 501) + `"}}`, want: 422},
		{name: "21 properties", method: "POST", path: answers, body: `{"score":9,"properties":{` + manyProps(21) + `}}`, want: 422},
		{name: "properties not strings", method: "POST", path: answers, body: `{"score":9,"properties":{"plan":1}}`, want: 422},
		{name: "negative score", method: "POST", path: answers, body: `{"score":-1}`, want: 422},
		{name: "score 11", method: "POST", path: answers, body: `{"score":11}`, want: 422},
		{name: "score 1e400", method: "POST", path: answers, body: `{"score":1e400}`, want: 422},
		{name: "score of 20 digits", method: "POST", path: answers, body: `{"score":99999999999999999999}`, want: 422},
		{name: "score NaN", method: "POST", path: answers, body: `{"score":NaN}`, want: 400},
		{name: "score as text", method: "POST", path: answers, body: `{"score":"9"}`, want: 422},
		{name: "score 9.5", method: "POST", path: answers, body: `{"score":9.5}`, want: 422},
		{name: "no score", method: "POST", path: answers, body: `{"comment":"hi"}`, want: 422},
		{name: "null body", method: "POST", path: answers, body: `null`, want: 422},
		{name: "unknown reason", method: "POST", path: answers, body: `{"score":2,"reasons":["nope"]}`, want: 422},
		{name: "a reason 1000 times", method: "POST", path: answers, body: `{"score":2,"reasons":[` + strings.Repeat(`"price",`, 999) + `"price"]}`, want: 422},
		{name: "comment of 2001 characters", method: "POST", path: answers, body: `{"score":9,"comment":"` + strings.Repeat("ü", 2001) + `"}`, want: 422},
		{name: "unknown channel", method: "POST", path: answers, body: `{"score":9,"channel":"sms"}`, want: 422},
		{name: "widget without elapsed_ms", method: "POST", path: answers, body: `{"score":9,"channel":"widget"}`, want: 422},
		{name: "response_id not a UUID", method: "POST", path: answers, body: `{"score":9,"response_id":"'; DROP TABLE answers; --"}`, want: 422},
		{name: "nil response_id", method: "POST", path: answers, body: `{"score":9,"response_id":"00000000-0000-0000-0000-000000000000"}`, want: 422},
		{name: "unknown field", method: "POST", path: answers, body: `{"score":9,"admin":true}`, want: 422},
		{name: "truncated JSON", method: "POST", path: answers, body: `{"score":9,"comment":"a`, want: 400},
		{name: "trailing data", method: "POST", path: answers, body: `{"score":9}{"score":1}`, want: 400},
		{name: "deep nesting", method: "POST", path: answers, body: deep, want: 400},
		{name: "an array body", method: "POST", path: answers, body: `[{"score":9}]`, want: 400},
		{name: "empty body", method: "POST", path: answers, body: "", headers: []string{"Content-Type", "application/json"}, want: 400},
		{name: "one byte over 64 KiB", method: "POST", path: answers, body: over(64<<10, `{"score":9,"comment":"`), want: 413},
		{name: "HTML content type", method: "POST", path: answers, body: `{"score":9}`, headers: []string{"Content-Type", "text/html"}, want: 415},
		{name: "form content type", method: "POST", path: answers, body: `score=9`, headers: form, want: 415},
		{name: "text/plain not JSON", method: "POST", path: answers, body: `score=9`, headers: text, want: 400},
		{name: "origin not allowed", method: "POST", path: answers, body: `{"score":9}`, headers: []string{"Origin", "https://evil.example"}, want: 403},
		{name: "archived survey", method: "POST", path: "/api/v1/surveys/" + closed + "/responses", body: `{"score":9}`, want: 409},
		{name: "unknown survey", method: "POST", path: "/api/v1/surveys/nope/responses", body: `{"score":9}`, want: 404},
		{name: "id of 120 KB", method: "POST", path: "/api/v1/surveys/" + huge + "/responses", body: `{"score":9}`, want: 404},
		{name: "dot-dot in the path", method: "POST", path: "/api/v1/surveys/../surveys/" + id + "/responses", body: `{"score":9}`},
		{name: "encoded slashes in the id", method: "POST", path: "/api/v1/surveys/%2e%2e%2f" + id + "/responses", body: `{"score":9}`, want: 404},
		{name: "wrong method on answers", method: "PUT", path: answers, body: `{"score":9}`, want: 405},
		{name: "slow body", raw: true, path: rawHead(answers, 200, ""), body: `{"score":9,`, want: 408},
		{name: "body shorter than Content-Length", raw: true, closeWrite: true, path: rawHead(answers, 200, ""), body: `{"score":9}`, want: 400},

		// Dismissals, eligibility, widget config.
		{name: "dismissal respondent with NUL", method: "POST", path: sv + "/dismissals", body: `{"respondent":"a\u0000"}`, want: 422},
		{name: "dismissal respondent of 201", method: "POST", path: sv + "/dismissals", body: `{"respondent":"` + strings.Repeat("中", 201) + `"}`, want: 422},
		{name: "dismissal of an archived survey", method: "POST", path: "/api/v1/surveys/" + closed + "/dismissals", body: `{}`, want: 409},
		{name: "dismissal body over 64 KiB", method: "POST", path: sv + "/dismissals", body: over(64<<10, `{"respondent":"`), want: 413},
		{name: "eligibility without respondent", method: "GET", path: sv + "/eligibility", want: 422},
		{name: "eligibility respondent of 201", method: "GET", path: sv + "/eligibility?respondent=" + q(strings.Repeat("é", 201)), want: 422},
		{name: "eligibility respondent bidi", method: "GET", path: sv + "/eligibility?respondent=" + q("a\u202d"), want: 422},
		{name: "eligibility of a 120 KB id", method: "GET", path: "/api/v1/surveys/" + huge + "/eligibility?respondent=a", want: 404},
		{name: "widget of a 120 KB id", method: "GET", path: "/api/v1/surveys/" + huge + "/widget", want: 404},
		{name: "widget from another origin", method: "GET", path: sv + "/widget", headers: []string{"Origin", "https://evil.example"}, want: 403},
		{name: "preflight of an unknown survey", method: "OPTIONS", path: "/api/v1/surveys/nope/responses", want: 404},

		// Email links.
		{name: "link with a garbage token", method: "GET", path: "/r/garbage?s=3", want: 400, html: true},
		{name: "link with a 120 KB token", method: "GET", path: "/r/" + huge + "?s=3", want: 400, html: true},
		{name: "link with a forged signature", method: "GET", path: "/r/" + tok[:len(tok)-3] + "AAA?s=3", want: 400, html: true},
		{name: "expired link", method: "GET", path: "/r/" + expired + "?s=3", want: 410, html: true},
		{name: "link score 11", method: "GET", path: "/r/" + tok + "?s=11", want: 400, html: true},
		{name: "link score -1", method: "GET", path: "/r/" + tok + "?s=-1", want: 400, html: true},
		{name: "link without score", method: "GET", path: "/r/" + tok, want: 400, html: true},
		{name: "expired follow-up", method: "POST", path: "/r/" + expired, body: "s=3", headers: form, want: 410, html: true},
		{name: "follow-up score 99", method: "POST", path: "/r/" + tok, body: "s=99", headers: form, want: 422, html: true},
		{name: "follow-up unknown reason", method: "POST", path: "/r/" + tok, body: "s=3&reasons=nope", headers: form, want: 422, html: true},
		{name: "follow-up comment of 2001", method: "POST", path: "/r/" + tok, body: "s=3&comment=" + strings.Repeat("a", 2001), headers: form, want: 422, html: true},
		{name: "follow-up over 64 KiB", method: "POST", path: "/r/" + tok, body: "s=3&comment=" + strings.Repeat("a", 64<<10), headers: form, want: 413},
		{name: "expired confirm", method: "POST", path: "/r/" + expired + "/confirm", body: `{"s":3}`, want: 410},
		{name: "garbage confirm", method: "POST", path: "/r/garbage/confirm", body: `{"s":3}`, want: 400},
		{name: "confirm score 11", method: "POST", path: "/r/" + tok + "/confirm", body: `{"s":11}`, want: 422},
		{name: "confirm with a form", method: "POST", path: "/r/" + tok + "/confirm", body: "s=3", headers: form, want: 415},
		{name: "confirm t not a number", method: "POST", path: "/r/" + tok + "/confirm", body: `{"s":3,"t":"1e9"}`, want: 422},
		{name: "expired thanks", method: "GET", path: "/r/" + expired + "/thanks?s=3", want: 410, html: true},
		{name: "unsubscribe page, garbage", method: "GET", path: "/u/garbage", want: 400, html: true},
		{name: "unsubscribe, garbage", method: "POST", path: "/u/garbage", body: "List-Unsubscribe=One-Click", headers: form, want: 400, html: true},
		{name: "unsubscribe, 120 KB token", method: "POST", path: "/u/" + huge, want: 400, html: true},

		// The SendGrid webhook.
		{name: "webhook unsigned", method: "POST", path: "/webhooks/sendgrid", body: `[{"sg_event_id":"e1","event":"bounce","email":"ann@example.com"}]`, want: 401},
		{name: "webhook stale timestamp", method: "POST", path: "/webhooks/sendgrid", body: `[]`, headers: webhook(sigOf(tsOld, `[]`), tsOld), want: 401},
		{name: "webhook signature of another body", method: "POST", path: "/webhooks/sendgrid", body: `[{"sg_event_id":"e2","event":"spamreport","email":"ann@example.com"}]`, headers: webhook(sigOf(tsNow, `[]`), tsNow), want: 401},
		{name: "webhook signature garbage", method: "POST", path: "/webhooks/sendgrid", body: `[]`, headers: webhook("bm90IGEgc2lnbmF0dXJl", tsNow), want: 401},
		{name: "webhook timestamp not a number", method: "POST", path: "/webhooks/sendgrid", body: `[]`, headers: webhook(sigOf(tsNow, `[]`), "yesterday"), want: 401},
		{name: "webhook over 5 MiB", raw: true, path: rawHead("/webhooks/sendgrid", 5<<20+1, ""), body: "[", want: 413},
		{name: "webhook with GET", method: "GET", path: "/webhooks/sendgrid"},

		// Admin routes: keys.
		{name: "admin without key", method: "GET", path: "/api/v1/surveys", want: 401},
		{name: "admin with Basic auth", method: "GET", path: "/api/v1/surveys", headers: []string{"Authorization", "Basic YWRtaW46YWRtaW4="}, want: 401},
		{name: "admin key in another case", method: "GET", path: "/api/v1/surveys", headers: []string{"Authorization", "Bearer " + strings.ToUpper(testKey)}, want: 401},
		{name: "readyz with a wrong key", method: "GET", path: "/readyz", headers: []string{"Authorization", "Bearer nope"}, want: 401},

		// Admin routes: bodies and parameters.
		{name: "survey without name", method: "POST", path: "/api/v1/surveys", body: `{}`, headers: key, want: 422},
		{name: "survey name of 201", method: "POST", path: "/api/v1/surveys", body: `{"name":"` + strings.Repeat("名", 201) + `"}`, headers: key, want: 422},
		{name: "sender name with bidi", method: "POST", path: "/api/v1/surveys", body: `{"name":"x","sender_name":"Ann\u202eX"}`, headers: key, want: 422},
		{name: "logo over http", method: "POST", path: "/api/v1/surveys", body: `{"name":"x","logo_url":"http://shop.example/logo.png"}`, headers: key, want: 422},
		{name: "origin with a path", method: "POST", path: "/api/v1/surveys", body: `{"name":"x","allowed_origins":["https://a.example/x"]}`, headers: key, want: 422},
		{name: "21 reasons", method: "POST", path: "/api/v1/surveys", body: `{"name":"x","reasons":[` + manyReasons(21) + `]}`, headers: key, want: 422},
		{name: "survey over 1 MiB", method: "POST", path: "/api/v1/surveys", body: over(1<<20, `{"name":"`), headers: key, want: 413},
		{name: "survey as an array", method: "POST", path: "/api/v1/surveys", body: `[]`, headers: key, want: 400},
		{name: "patch on a stale version", method: "PATCH", path: sv, body: `{"version":99,"name":"y"}`, headers: key, want: 409},
		{name: "delete without confirm", method: "DELETE", path: sv, headers: key},
		{name: "report from not a date", method: "GET", path: sv + "/report?from=yesterday", headers: key, want: 422},
		{name: "report in Local time", method: "GET", path: sv + "/report?tz=Local", headers: key, want: 422},
		{name: "report by year", method: "GET", path: sv + "/report?interval=year", headers: key, want: 422},
		{name: "report property name of 101", method: "GET", path: sv + "/report?property." + q(strings.Repeat("中", 101)) + "=x", headers: key, want: 422},
		{name: "report property value with NUL", method: "GET", path: sv + "/report?property.plan=a%00", headers: key, want: 422},
		{name: "report grouped by nothing known", method: "GET", path: sv + "/report?group_by=" + q("' OR 1=1"), headers: key, want: 422},
		{name: "responses limit 0", method: "GET", path: sv + "/responses?limit=0", headers: key, want: 422},
		{name: "responses.csv from after to", method: "GET", path: sv + "/responses.csv?from=2026-02-01&to=2026-01-01", headers: key, want: 422},
		{name: "contacts as an object", method: "POST", path: "/api/v1/contacts", body: `{"email":"bob@example.com"}`, headers: key, want: 400},
		{name: "no contacts", method: "POST", path: "/api/v1/contacts", body: `[]`, headers: key, want: 422},
		{name: "contacts CSV as JSON", method: "POST", path: "/api/v1/contacts.csv", body: `[]`, headers: key, want: 415},
		{name: "contacts CSV without email column", method: "POST", path: "/api/v1/contacts.csv", body: "name\nBob\n", headers: with(key, []string{"Content-Type", "text/csv"}), want: 422},
		{name: "contact id with NUL", method: "GET", path: "/api/v1/contacts/a%00b", headers: key, want: 404},
		{name: "suppress an unknown contact", method: "POST", path: "/api/v1/contacts/0123456789abcdef/suppress", headers: key, want: 404},
		{name: "contacts search with ESC", method: "GET", path: "/api/v1/contacts?q=%1B", headers: key, want: 422},
		{name: "send filter name with NUL", method: "POST", path: sv + "/sends", body: `{"where":{"pl\u0000an":"pro"}}`, headers: key, want: 422},
		{name: "send two ways", method: "POST", path: sv + "/sends", body: `{"all":true,"emails":["ann@example.com"]}`, headers: key, want: 422},
		{name: "send of an archived survey", method: "POST", path: "/api/v1/surveys/" + closed + "/sends", body: `{"all":true}`, headers: key, want: 409},
		{name: "unknown send", method: "GET", path: "/api/v1/sends/nope", headers: key, want: 404},
		{name: "churn as an object", method: "POST", path: "/api/v1/churn", body: `{"respondent":"cust-1"}`, headers: key, want: 400},
		{name: "churn in the future", method: "POST", path: "/api/v1/churn", body: `[{"respondent":"cust-2","churned_at":"2999-01-01"}]`, headers: key, want: 422},
		{name: "churn respondent with bidi", method: "POST", path: "/api/v1/churn", body: `[{"respondent":"c\u2067","churned_at":"2026-01-01"}]`, headers: key, want: 422},
		{name: "churn revenue NaN", method: "POST", path: "/api/v1/churn", body: `[{"respondent":"cust-2","churned_at":"2026-01-01","revenue":NaN}]`, headers: key, want: 400},
		{name: "churn revenue negative", method: "POST", path: "/api/v1/churn", body: `[{"respondent":"cust-2","churned_at":"2026-01-01","revenue":-5}]`, headers: key, want: 422},
		{name: "withdraw unknown churn", method: "DELETE", path: "/api/v1/churn/nobody", headers: key, want: 404},
		{name: "case of no response", method: "PATCH", path: sv + "/cases/7d444840-9dc0-11d1-b245-5ffdce74fad2", body: `{"status":"closed"}`, headers: key, want: 404},
		{name: "case id not a UUID", method: "GET", path: sv + "/cases/" + huge, headers: key, want: 404},
		{name: "case note empty", method: "PATCH", path: sv + "/cases/" + detractor, body: `{"note":"  "}`, headers: key, want: 422},
		{name: "case assignee with ESC", method: "PATCH", path: sv + "/cases/" + detractor, body: `{"assignee":"\u001b[31mBo"}`, headers: key, want: 422},
		{name: "case status unknown", method: "PATCH", path: sv + "/cases/" + detractor, body: `{"status":"deleted"}`, headers: key, want: 422},
		{name: "case note over 64 KiB", method: "PATCH", path: sv + "/cases/" + detractor, body: over(64<<10, `{"note":"`), headers: key, want: 413},
		{name: "cases status unknown", method: "GET", path: sv + "/cases?status=all", headers: key, want: 422},
		{name: "digest test to a bad address", method: "POST", path: sv + "/digest/send", body: `{"emails":["not-an-address"]}`, headers: key, want: 422},
		{name: "admin slow body", raw: true, path: rawHead("/api/v1/surveys", 100, "\r\nAuthorization: Bearer "+testKey), body: `{"name":`, want: 408},
		{name: "admin body shorter than Content-Length", raw: true, closeWrite: true, path: rawHead("/api/v1/churn", 100, "\r\nAuthorization: Bearer "+testKey), body: `[]`, want: 400},

		// People, sessions and keys (refused before anything is audited).
		{name: "sign-in without email", method: "POST", path: "/api/v1/sign-in/password", body: `{"password":"x"}`, want: 422},
		{name: "sign-in email of 300", method: "POST", path: "/api/v1/sign-in/email", body: `{"email":"` + strings.Repeat("a", 300) + `@example.com"}`, want: 422},
		{name: "sign-in over 64 KiB", method: "POST", path: "/api/v1/sign-in/password", body: over(64<<10, `{"email":"`), want: 413},
		{name: "sign-in as a form", method: "POST", path: "/api/v1/sign-in/link", body: "token=x", headers: form, want: 415},
		{name: "me without a credential", method: "GET", path: "/api/v1/me", want: 401},
		{name: "account with a bad role", method: "POST", path: "/api/v1/accounts", body: `{"email":"cy@example.com","role":"owner"}`, headers: key, want: 422},
		{name: "key without a name", method: "POST", path: "/api/v1/keys", body: `{"role":"viewer"}`, headers: key, want: 422},
		{name: "audit limit 0", method: "GET", path: "/api/v1/audit?limit=0", headers: key, want: 422},

		{name: "forget a person id with NUL", method: "DELETE", path: "/api/v1/people/a%00b", headers: key, want: 422},
		{name: "export a person id with bidi", method: "GET", path: "/api/v1/people/" + q("a\u202eb") + "/export", headers: key, want: 422},

		// Site and dev pages.
		{name: "outbox file with NUL", method: "GET", path: "/dev/outbox/a%00b", want: 404},
		{name: "outbox path escape", method: "GET", path: "/dev/outbox/..%2f..%2fetc%2fpasswd", want: 404},
		{name: "site path escape", method: "GET", path: "/../../etc/passwd", want: 404},
		{name: "site file of 120 KB", method: "GET", path: "/" + huge, want: 404},
	}
	// Wrong keys, from one address: 401 until the limit, then 429.
	for i := 0; i < 7; i++ {
		want := 401
		if i >= 5 {
			want = 429
		}
		tests = append(tests, hostile{name: fmt.Sprintf("wrong key %d", i+1), method: "GET", path: sv + "/report",
			headers: []string{"Authorization", "Bearer wrong-key-" + strconv.Itoa(i), "X-Forwarded-For", "198.51.100.66"}, want: want})
	}
	if len(tests) < 80 {
		t.Fatalf("only %d hostile requests", len(tests))
	}

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var status int
			var ctype, body string
			if tt.raw {
				resp, b := rawRequest(t, addr, tt.path, tt.body, tt.closeWrite)
				status, ctype, body = resp.StatusCode, resp.Header.Get("Content-Type"), b
			} else {
				r := ts.do(t, tt.method, tt.path, tt.body, tt.headers...)
				status, ctype, body = r.status, r.header.Get("Content-Type"), string(r.body)
			}
			switch {
			case status < 400 || status > 499:
				t.Errorf("%d, want a 4xx: %.300s", status, body)
			case tt.want != 0 && status != tt.want:
				t.Errorf("%d, want %d: %.300s", status, tt.want, body)
			}
			if tt.html {
				if !strings.HasPrefix(ctype, "text/html") {
					t.Errorf("a link page as %q", ctype)
				}
			} else if !strings.HasPrefix(ctype, "application/json") || !strings.Contains(body, `"error":{"code":`) {
				t.Errorf("not the JSON error shape (%q): %.300s", ctype, body)
			}
			for _, leak := range []string{"127.0.0.1", "i/o timeout", "tcp", "goroutine", "clickhouse:", "DB::Exception"} {
				if strings.Contains(body, leak) {
					t.Errorf("internals (%q) in the answer: %.300s", leak, body)
				}
			}
		})
	}

	// Whatever the server accepted is written on shutdown: compare then.
	if err := ts.stop(); err != nil {
		t.Fatal(err)
	}
	after := snapshot(t, ts.db)
	for table, sum := range before {
		if after[table] != sum {
			t.Errorf("table %s changed: %s -> %s", table, sum, after[table])
		}
	}
	for table := range after {
		if _, ok := before[table]; !ok {
			t.Errorf("table %s appeared", table)
		}
	}
}

func mustStatus(t *testing.T, r result, want int) {
	t.Helper()
	if r.status != want {
		t.Fatalf("setup: %d, want %d: %s", r.status, want, r.body)
	}
}

func manyProps(n int) string {
	var b strings.Builder
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, `"k%d":"v"`, i)
	}
	return b.String()
}

func manyReasons(n int) string {
	var b strings.Builder
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, `{"id":"r%d","label":"R"}`, i)
	}
	return b.String()
}

// snapshot fingerprints every table of the test database: its row count
// and two order-free sums of the rows' hashes (every column, so a changed
// byte anywhere shows). Parts are merged first (OPTIMIZE FINAL), so that a
// background merge of what the setup wrote cannot look like a change.
func snapshot(t *testing.T, db *chtest.DB) map[string]string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var tables []string
	if err := db.QueryRow(ctx, "SELECT groupArray(name) FROM system.tables WHERE database = currentDatabase() AND engine != 'View'").Scan(&tables); err != nil {
		t.Fatal(err)
	}
	sort.Strings(tables)
	out := map[string]string{}
	for _, table := range tables {
		quoted := "`" + strings.ReplaceAll(table, "`", "\\`") + "`"
		_ = db.Exec(ctx, "OPTIMIZE TABLE "+quoted+" FINAL") // not every engine merges
		var n, sum, xor uint64
		if err := db.QueryRow(ctx, "SELECT count(), sum(cityHash64(toString(tuple(*)))), groupBitXor(cityHash64(toString(tuple(*)))) FROM "+quoted).Scan(&n, &sum, &xor); err != nil {
			t.Fatalf("fingerprint %s: %v", table, err)
		}
		out[table] = fmt.Sprintf("%d rows, %x/%x", n, sum, xor)
	}
	if len(out) < 10 {
		t.Fatalf("only %d tables: %v", len(out), tables)
	}
	return out
}
