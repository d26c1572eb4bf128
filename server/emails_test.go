package server

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"heed/analytics"
	"heed/emails"
)

// newEmailServer is a test server with the outbox (no SendGrid key), a
// webhook key, and alerts without delay.
func newEmailServer(t *testing.T, dbName string, webhookKey string) *testServer {
	t.Helper()
	return newServerWith(t, dbName, func(c *testConfig) {
		c.Server.Dev, c.Email.PublicURL, c.Email.WebhookKey = true, "http://heed.test", webhookKey
		c.Email.SigningKeys, c.Email.FromEmail, c.Email.FromName, c.AlertDelay = "t1:0123456789abcdef0123456789abcdef", "support@acme.example", "Acme", time.Millisecond
	})
}

func (ts *testServer) token(t *testing.T, surveyID, email string, sentAgo time.Duration) string {
	now := time.Now().UTC()
	return ts.emailing.Signer.Sign(emails.Claims{SendID: "send-1", SurveyID: surveyID, ContactID: analytics.ContactID(email),
		SentAt: now.Add(-sentAgo), Expires: now.Add(time.Hour)})
}

func (ts *testServer) answers(t *testing.T, surveyID string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, a := range ts.admin(t, "GET", "/api/v1/surveys/"+surveyID+"/responses", "").json(t)["responses"].([]any) {
		out = append(out, a.(map[string]any))
	}
	return out
}

// waitAnswer polls until the survey's single answer satisfies ok.
func (ts *testServer) waitAnswer(t *testing.T, surveyID string, ok func(a map[string]any) bool) map[string]any {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		as := ts.answers(t, surveyID)
		if len(as) == 1 && ok(as[0]) {
			return as[0]
		}
		if time.Now().After(deadline) {
			t.Fatalf("answers = %v", as)
		}
		time.Sleep(30 * time.Millisecond)
	}
}

func TestEmailLinks(t *testing.T) {
	ts := newEmailServer(t, "heed_test_server_links", "")
	id := ts.createSurvey(t, shopSurvey)
	browser := "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0 Safari/537.36"
	tok := ts.token(t, id, "ann@example.com", time.Hour)

	// One click records the score at once, unconfirmed, and shows the follow-up.
	r := ts.do(t, "GET", "/r/"+tok+"?s=3", "", "User-Agent", browser)
	if r.status != 200 || !strings.Contains(string(r.body), `value="rude_service"`) || !strings.Contains(string(r.body), "/answer.js") ||
		r.header.Get("Referrer-Policy") != "no-referrer" {
		t.Fatalf("answer page: %d %.300s", r.status, r.body)
	}
	a := ts.waitAnswer(t, id, func(a map[string]any) bool { return a["score"] == 3.0 })
	if a["confirmed"] != false || a["flags"] != nil || a["channel"] != "email" {
		t.Fatalf("GET-only answer = %v", a)
	}
	report := func(include bool) map[string]any {
		return ts.admin(t, "GET", "/api/v1/surveys/"+id+"/report?include_unconfirmed="+strconv.FormatBool(include), "").json(t)["total"].(map[string]any)
	}
	if report(false)["responses"] != 0.0 || report(true)["responses"] != 1.0 {
		t.Fatalf("unconfirmed counted by default: %v / %v", report(false), report(true))
	}
	// The page's script confirms; the follow-up form brings reasons and comment.
	// A scanner's user agent cannot confirm; a person's browser can.
	if r := ts.do(t, "POST", "/r/"+tok+"/confirm", `{"s":3}`, "User-Agent", "Mozilla/5.0 (compatible; Barracuda Sentinel)"); r.status != 202 || r.json(t)["confirmed"] != false {
		t.Fatalf("scanner confirm: %d %s", r.status, r.body)
	}
	if r := ts.do(t, "POST", "/r/"+tok+"/confirm", `{"s":3}`, "User-Agent", browser); r.status != 202 || r.json(t)["confirmed"] != true {
		t.Fatalf("confirm: %d %s", r.status, r.body)
	}
	ts.waitAnswer(t, id, func(a map[string]any) bool { return a["confirmed"] == true })
	form := url.Values{"s": {"3"}, "reasons": {"rude_service"}, "comment": {"Nobody called back"}}
	r = ts.do(t, "POST", "/r/"+tok, form.Encode(), "Content-Type", "application/x-www-form-urlencoded")
	if r.status != 200 {
		t.Fatalf("follow-up: %d %s", r.status, r.body)
	}
	ts.waitAnswer(t, id, func(a map[string]any) bool { return a["comment"] == "Nobody called back" })
	// A scanner re-opening another score later changes nothing. Wait until
	// both clicks are stored (two more raw rows), so the check below sees them.
	rows := ts.storedRows(t, id)
	ts.do(t, "GET", "/r/"+tok+"?s=10", "", "User-Agent", "Mozilla/5.0 (compatible; Barracuda Sentinel)")
	ts.do(t, "HEAD", "/r/"+tok+"?s=0", "")
	ts.db.WaitRows(t, "answers", id, rows+2)
	total := report(false)
	if total["responses"] != 1.0 || total["detractors"] != 1.0 {
		t.Fatalf("scanner overrode the confirmed answer: %v", total)
	}

	// Scanner flags on a fresh recipient.
	flagsOf := func(email, method, ua string, ago time.Duration) string {
		tok := ts.token(t, id, email, ago)
		ts.do(t, method, "/r/"+tok+"?s=9", "", "User-Agent", ua)
		deadline := time.Now().Add(10 * time.Second)
		for time.Now().Before(deadline) {
			for _, a := range ts.answers(t, id) {
				if a["respondent"] == analytics.ContactID(email) {
					f, _ := a["flags"].(string)
					return f
				}
			}
			time.Sleep(30 * time.Millisecond)
		}
		t.Fatalf("no answer for %s", email)
		return ""
	}
	flags := []struct{ email, method, ua, want string }{
		{"b@example.com", "GET", "Mozilla/5.0 (compatible; Barracuda Sentinel)", "scanner_agent"},
		{"c@example.com", "HEAD", browser, "head"},
		{"d@example.com", "GET", "", "scanner_agent"},
	}
	for _, f := range flags {
		if got := flagsOf(f.email, f.method, f.ua, time.Hour); got != f.want {
			t.Errorf("%s %q: flags %q, want %q", f.method, f.ua, got, f.want)
		}
	}
	if got := flagsOf("e@example.com", "GET", browser, time.Second); got != "too_soon" {
		t.Errorf("click a second after sending: flags %q", got)
	}

	// The person behind an email answer: the contact's email and name, and
	// a list of that person's answers alone.
	if err := ts.Server.store.UpsertContacts(context.Background(), []analytics.Contact{{ContactID: analytics.ContactID("ann@example.com"), Email: "ann@example.com", Name: "Ann"}}); err != nil {
		t.Fatal(err)
	}
	r = ts.admin(t, "GET", "/api/v1/surveys/"+id+"/responses?respondent="+analytics.ContactID("ann@example.com"), "")
	mine := r.json(t)["responses"].([]any)
	if len(mine) != 1 || mine[0].(map[string]any)["email"] != "ann@example.com" || mine[0].(map[string]any)["name"] != "Ann" ||
		mine[0].(map[string]any)["comment"] != "Nobody called back" {
		t.Errorf("ann's answers: %s", r.body)
	}
	if r := ts.admin(t, "GET", "/api/v1/surveys/"+id+"/responses?respondent="+strings.Repeat("é", 201), ""); r.status != 422 {
		t.Errorf("a respondent too long: %d", r.status)
	}

	// Bad links: a friendly page and a 4xx, never a 500.
	expired := ts.emailing.Signer.Sign(emails.Claims{SendID: "s", SurveyID: id, ContactID: "x", Expires: time.Now().Add(-time.Minute)})
	bad := []struct {
		method, path string
		status       int
	}{
		{"GET", "/r/" + tok[:len(tok)-2] + "xx?s=3", 400},
		{"GET", "/r/" + expired + "?s=3", 410},
		{"GET", "/r/" + tok + "?s=11", 400},
		{"GET", "/r/" + tok, 400},
		{"GET", "/r/not-a-token?s=1", 400},
		{"POST", "/r/" + expired, 410},
		{"POST", "/r/" + expired + "/confirm", 410}, // 410 on every link route (issue 12: it was 400 here)
		{"GET", "/r/" + expired + "/thanks?s=3", 410},
		{"POST", "/r/not-a-token/confirm", 400},
		{"GET", "/u/garbage", 400},
		{"POST", "/r/" + tok + "/confirm", 415},
	}
	for _, b := range bad {
		r := ts.do(t, b.method, b.path, "")
		if r.status != b.status {
			t.Errorf("%s %s: %d, want %d: %.200s", b.method, b.path, r.status, b.status, r.body)
		}
	}
	if r := ts.do(t, "POST", "/r/"+tok, url.Values{"s": {"3"}, "reasons": {"weather"}}.Encode(), "Content-Type", "application/x-www-form-urlencoded"); r.status != 422 {
		t.Errorf("unknown reason in the follow-up: %d", r.status)
	}
}

func TestUnsubscribe(t *testing.T) {
	ts := newEmailServer(t, "heed_test_server_unsub", "")
	id := ts.createSurvey(t, shopSurvey)
	ctx := context.Background()
	tok := ts.token(t, id, "zoe@example.com", time.Hour)
	// A GET (what a link scanner does) only shows the confirm button.
	r := ts.do(t, "GET", "/u/"+tok, "")
	if r.status != 200 || !strings.Contains(string(r.body), `<form method="post"`) {
		t.Fatalf("unsubscribe page: %d %s", r.status, r.body)
	}
	if sup, _ := ts.db.Suppressed(ctx); len(sup) != 0 {
		t.Fatal("a GET unsubscribed")
	}
	// RFC 8058 one-click POST from the mail client.
	r = ts.do(t, "POST", "/u/"+tok, "List-Unsubscribe=One-Click", "Content-Type", "application/x-www-form-urlencoded")
	if r.status != 200 {
		t.Fatalf("one-click: %d", r.status)
	}
	if sup, _ := ts.db.Suppressed(ctx); !sup[analytics.ContactID("zoe@example.com")] {
		t.Fatal("not suppressed")
	}
	// An expired link still unsubscribes: a person must always be able to leave.
	old := ts.emailing.Signer.Sign(emails.Claims{SendID: "s", SurveyID: "gone", ContactID: analytics.ContactID("old@example.com"), Expires: time.Now().Add(-24 * time.Hour)})
	if r := ts.do(t, "POST", "/u/"+old, "List-Unsubscribe=One-Click", "Content-Type", "application/x-www-form-urlencoded"); r.status != 200 {
		t.Fatalf("expired one-click unsubscribe: %d", r.status)
	}
	if sup, _ := ts.db.Suppressed(ctx); !sup[analytics.ContactID("old@example.com")] {
		t.Fatal("expired link did not unsubscribe")
	}
}

// webhookSigner signs Event Webhook payloads as SendGrid does.
type webhookSigner struct{ key *ecdsa.PrivateKey }

func newWebhookSigner(t *testing.T) (*webhookSigner, string) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	pub, _ := x509.MarshalPKIXPublicKey(&key.PublicKey)
	return &webhookSigner{key}, base64.StdEncoding.EncodeToString(pub)
}

func (w *webhookSigner) sign(t *testing.T, ts string, payload []byte) string {
	return signWebhook(t, w.key, ts, payload)
}

func TestSendGridWebhook(t *testing.T) {
	signer, pub := newWebhookSigner(t)
	ts := newEmailServer(t, "heed_test_server_webhook", pub)
	ctx := context.Background()
	id := ts.createSurvey(t, shopSurvey)
	events := func(evs ...string) []byte {
		var parts []string
		for i, e := range evs {
			kind, email, _ := strings.Cut(e, ":")
			parts = append(parts, fmt.Sprintf(`{"sg_event_id":"ev-%s-%d","event":"%s","email":"%s","timestamp":%d,"heed_send_id":"send-9","heed_survey_id":"%s"}`,
				kind, i, kind, email, time.Now().Unix(), id))
		}
		return []byte("[" + strings.Join(parts, ",") + "]")
	}
	post := func(body []byte, ts0 string, sig string) result {
		return ts.do(t, "POST", "/webhooks/sendgrid", string(body), "X-Twilio-Email-Event-Webhook-Timestamp", ts0,
			"X-Twilio-Email-Event-Webhook-Signature", sig)
	}
	now := strconv.FormatInt(time.Now().Unix(), 10)
	old := strconv.FormatInt(time.Now().Add(-10*time.Minute).Unix(), 10)
	good := events("delivered:a@example.com", "open:a@example.com", "bounce:b@example.com")
	tests := []struct {
		name   string
		body   []byte
		ts     string
		sig    string
		status int
	}{
		{"valid", good, now, signer.sign(t, now, good), 200},
		{"duplicate delivery of the same events", good, now, signer.sign(t, now, good), 200},
		{"tampered body", append([]byte(" "), good...), now, signer.sign(t, now, good), 401},
		{"too old", good, old, signer.sign(t, old, good), 401},
		{"unsigned", good, now, "", 401},
		{"garbage signature", good, now, "bm90IGEgc2ln", 401},
		{"signed by another key", good, now, func() string { o, _ := newWebhookSigner(t); return o.sign(t, now, good) }(), 401},
		{"signed garbage body", []byte("{not json"), now, signer.sign(t, now, []byte("{not json")), 400},
	}
	for _, tt := range tests {
		if r := post(tt.body, tt.ts, tt.sig); r.status != tt.status {
			t.Errorf("%s: %d %s, want %d", tt.name, r.status, r.body, tt.status)
		}
	}
	counts, err := ts.db.EmailEventCounts(ctx, "send-9")
	if err != nil || counts["delivered"] != 1 || counts["open"] != 1 || counts["bounce"] != 1 {
		t.Fatalf("event counts %v %v (duplicates must count once)", counts, err)
	}
	// Temporary trouble suppresses nobody: a blocked bounce, a drop for
	// another reason than the address.
	temp := []byte(fmt.Sprintf(`[{"sg_event_id":"t1","event":"bounce","type":"blocked","email":"c@example.com","timestamp":%d},
		{"sg_event_id":"t2","event":"dropped","reason":"Invalid","email":"d@example.com","timestamp":%d}]`, time.Now().Unix(), time.Now().Unix()))
	if r := post(temp, now, signer.sign(t, now, temp)); r.status != 200 {
		t.Fatalf("temporary events: %d", r.status)
	}
	if sup, _ := ts.db.Suppressed(ctx); sup[analytics.ContactID("c@example.com")] || sup[analytics.ContactID("d@example.com")] {
		t.Fatal("a temporary failure suppressed a contact")
	}
	// The bounce suppressed b@: the next send skips them.
	r := ts.admin(t, "POST", "/api/v1/contacts", `[{"email":"a@example.com"},{"email":"b@example.com"}]`)
	if r.status != 200 {
		t.Fatalf("contacts: %d %s", r.status, r.body)
	}
	r = ts.admin(t, "POST", "/api/v1/surveys/"+id+"/sends", `{"all":true,"dry_run":true}`)
	sum := r.json(t)["summary"].(map[string]any)
	if r.status != 200 || sum["skipped_suppressed"] != 1.0 || sum["selected"] != 2.0 || sum["would_send"] != 1.0 {
		t.Fatalf("send after bounce: %d %s", r.status, r.body)
	}
	// Without a configured key the webhook refuses everything.
	plain := newEmailServer(t, "heed_test_server_webhook2", "")
	if r := plain.do(t, "POST", "/webhooks/sendgrid", string(good), "X-Twilio-Email-Event-Webhook-Timestamp", now,
		"X-Twilio-Email-Event-Webhook-Signature", signer.sign(t, now, good)); r.status != 403 {
		t.Fatalf("webhook without a key: %d", r.status)
	}
}

func TestContactsAndSendsAPI(t *testing.T) {
	ts := newEmailServer(t, "heed_test_server_sends", "")
	id := ts.createSurvey(t, `{"name":"Mail","reasons":[{"id":"rude_service","label":"Rude"}],"alert_emails":["boss@acme.example"]}`)
	r := ts.admin(t, "POST", "/api/v1/contacts", `[
		{"email":"Ann <ANN@Example.com>","properties":{"plan":"pro"}},
		{"email":"bob@example.com","name":"Bob","properties":{"plan":"free"}},
		{"email":"ann@example.com","name":"Ann B.","properties":{"plan":"pro"}},
		{"email":"not an email"},
		{"email":"x@example.com","properties":{"":"empty key"}}]`)
	sum := r.json(t)
	if r.status != 200 || sum["imported"] != 2.0 || sum["duplicates"] != 1.0 || len(sum["invalid"].([]any)) != 2 {
		t.Fatalf("contacts: %d %s", r.status, r.body)
	}
	for _, bad := range []string{`[]`, `{"email":"a@b.c"}`, `[{"email":1}]`} {
		if r := ts.admin(t, "POST", "/api/v1/contacts", bad); r.status < 400 || r.status >= 500 {
			t.Errorf("contacts %s: %d", bad, r.status)
		}
	}
	for _, bad := range []string{`{}`, `{"all":true,"where":{"plan":"pro"}}`, `{"emails":["nope"]}`, `{"all":true,"send_id":"a b"}`, `{"all":true,"reminder_days":99}`} {
		if r := ts.admin(t, "POST", "/api/v1/surveys/"+id+"/sends", bad); r.status != 422 {
			t.Errorf("send %s: %d %s", bad, r.status, r.body)
		}
	}
	r = ts.admin(t, "POST", "/api/v1/surveys/"+id+"/sends", `{"where":{"plan":"pro"},"send_id":"pro-1"}`)
	if r.status != 202 || r.json(t)["send_id"] != "pro-1" {
		t.Fatalf("send: %d %s", r.status, r.body)
	}
	var msgs []emails.OutboxMessage
	deadline := time.Now().Add(15 * time.Second)
	for len(msgs) == 0 && time.Now().Before(deadline) {
		msgs, _ = ts.emailing.Outbox.List()
		time.Sleep(30 * time.Millisecond)
	}
	if len(msgs) != 1 || msgs[0].To != "ann@example.com" || !strings.Contains(msgs[0].HTML, "http://heed.test/r/") || strings.Contains(msgs[0].HTML, emails.TokenPlaceholder) {
		t.Fatalf("outbox = %+v", msgs)
	}
	st := ts.admin(t, "GET", "/api/v1/sends/pro-1", "").json(t)
	if st["contacts"].(map[string]any)["initial"].(map[string]any)["sent"] != 1.0 {
		t.Fatalf("send status: %v", st)
	}
	if r := ts.admin(t, "GET", "/api/v1/sends/nope", ""); r.status != 404 {
		t.Fatalf("unknown send: %d", r.status)
	}
	// The outbox pages (dev mode) list and show it.
	if r := ts.do(t, "GET", "/dev/outbox", ""); r.status != 200 || !strings.Contains(string(r.body), msgs[0].File) {
		t.Fatalf("outbox page: %d", r.status)
	}
	for _, bad := range []string{"x%00.json", strings.Repeat("a", 5000) + ".json", "..%2Fsecret.json", "nope"} {
		if r := ts.do(t, "GET", "/dev/outbox/"+bad, ""); r.status != 404 {
			t.Errorf("outbox message %.40q: %d, want 404", bad, r.status)
		}
	}
	// Preview.
	if r := ts.admin(t, "GET", "/api/v1/surveys/"+id+"/email-preview?lang=de", ""); r.status != 200 || !strings.Contains(string(r.body), "/r/-token-?s=10") {
		t.Fatalf("preview: %d %.200s", r.status, r.body)
	}

	// Ann answers 2 with a reason: the alert reaches the boss.
	link := msgs[0].HTML[strings.Index(msgs[0].HTML, "http://heed.test/r/"):]
	tok := strings.TrimPrefix(link[:strings.Index(link, "?")], "http://heed.test/r/")
	form := url.Values{"s": {"2"}, "reasons": {"rude_service"}, "comment": {"Rude on the phone"}}
	if r := ts.do(t, "POST", "/r/"+tok, form.Encode(), "Content-Type", "application/x-www-form-urlencoded"); r.status != 200 {
		t.Fatalf("follow-up: %d", r.status)
	}
	deadline = time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		msgs, _ = ts.emailing.Outbox.List()
		if len(msgs) == 2 {
			break
		}
		time.Sleep(30 * time.Millisecond)
	}
	if len(msgs) != 2 || msgs[0].To != "boss@acme.example" || !strings.Contains(msgs[0].HTML, "Rude on the phone") || !strings.Contains(msgs[0].HTML, "ann@example.com") {
		t.Fatalf("alert = %+v", msgs[0])
	}
	// Contact properties are segment filters in reports (once the answer
	// is stored: the alert may go out before the writer's flush).
	ts.waitAnswer(t, id, func(a map[string]any) bool { return a["comment"] == "Rude on the phone" })
	segments := []struct {
		query string
		want  float64
	}{{"property.plan=pro", 1}, {"property.plan=free", 0}, {"property.plan=pro&property.send_id=pro-1", 1}, {"property.country=FR", 0}}
	for _, sg := range segments {
		r := ts.admin(t, "GET", "/api/v1/surveys/"+id+"/report?"+sg.query, "")
		if got := r.json(t)["total"].(map[string]any)["responses"]; got != sg.want {
			t.Errorf("report?%s: %v responses, want %v", sg.query, got, sg.want)
		}
	}
	if r := ts.admin(t, "GET", "/api/v1/surveys/"+id+"/responses?property.plan=free", ""); len(r.json(t)["responses"].([]any)) != 0 {
		t.Errorf("responses list ignores the segment: %s", r.body)
	}
	if r := ts.admin(t, "GET", "/api/v1/surveys/"+id+"/report?property.=x", ""); r.status != 422 {
		t.Errorf("empty property name: %d", r.status)
	}
	_ = http.StatusOK
}

func TestReminders(t *testing.T) {
	ts := newEmailServer(t, "heed_test_server_remind", "")
	ctx := context.Background()
	id := ts.createSurvey(t, shopSurvey)
	ts.admin(t, "POST", "/api/v1/contacts", `[{"email":"a@example.com"},{"email":"b@example.com"},{"email":"c@example.com"},{"email":"d@example.com"}]`)
	// A send made 8 days ago with a 7-day reminder: a, b and c were emailed.
	send := analytics.Send{ID: "old", SurveyID: id, ReminderDays: 7, CreatedAt: time.Now().UTC().AddDate(0, 0, -8),
		Filter: analytics.ContactFilter{ContactIDs: []string{analytics.ContactID("a@example.com"), analytics.ContactID("b@example.com"), analytics.ContactID("c@example.com")}}}
	if err := ts.db.SaveSend(ctx, send); err != nil {
		t.Fatal(err)
	}
	var log []analytics.SendLogEntry
	for _, e := range []string{"a@example.com", "b@example.com", "c@example.com"} {
		log = append(log, analytics.SendLogEntry{SendID: "old", Kind: analytics.KindInitial, ContactID: analytics.ContactID(e), Status: analytics.SendSent, SurveyID: id, Email: e})
	}
	ts.db.LogSends(ctx, log)
	// a answered; b unsubscribed; only c is reminded.
	ts.do(t, "POST", "/r/"+ts.emailing.Signer.Sign(emails.Claims{SendID: "old", SurveyID: id, ContactID: analytics.ContactID("a@example.com"), Expires: time.Now().Add(time.Hour)}),
		url.Values{"s": {"9"}}.Encode(), "Content-Type", "application/x-www-form-urlencoded")
	ts.db.Suppress(ctx, analytics.ContactID("b@example.com"), "b@example.com", analytics.SuppressUnsubscribe)
	// c's gateway scanned the email: an unconfirmed click, not an answer.
	ts.do(t, "GET", "/r/"+ts.emailing.Signer.Sign(emails.Claims{SendID: "old", SurveyID: id, ContactID: analytics.ContactID("c@example.com"), Expires: time.Now().Add(time.Hour)})+"?s=10",
		"", "User-Agent", "Mozilla/5.0 (compatible; Mimecast)")
	if err := ts.writer.Close(ctx); err != nil { // make the answer visible now
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ { // twice: the second run sends nothing
		if err := ts.sendReminders(ctx); err != nil {
			t.Fatal(err)
		}
	}
	msgs, _ := ts.emailing.Outbox.List()
	if len(msgs) != 1 || msgs[0].To != "c@example.com" || !strings.Contains(strings.ToLower(msgs[0].Subject), "reminder") {
		t.Fatalf("reminders = %+v", msgs)
	}
}

// TestSendIDOfAnotherSurvey: the API refuses a send_id that belongs to
// another survey (the same rule as heed send, in emails.Sends.Open).
func TestSendIDOfAnotherSurvey(t *testing.T) {
	ts := newFakeServer(t, nil)
	a, b := ts.createSurvey(t, shopSurvey), ts.createSurvey(t, shopSurvey)
	if r := ts.admin(t, "POST", "/api/v1/surveys/"+a+"/sends", `{"all":true,"send_id":"spring"}`); r.status != 202 {
		t.Fatalf("first send: %d %s", r.status, r.body)
	}
	for _, body := range []string{`{"all":true,"send_id":"spring"}`, `{"all":true,"send_id":"spring","dry_run":true}`} {
		r := ts.admin(t, "POST", "/api/v1/surveys/"+b+"/sends", body)
		if r.status != 422 || r.json(t)["error"].(map[string]any)["fields"].(map[string]any)["send_id"] != "belongs to another survey" {
			t.Errorf("%s: %d %s", body, r.status, r.body)
		}
	}
	if send, err := ts.fake.GetSend(context.Background(), "spring"); err != nil || send.SurveyID != a {
		t.Fatalf("send = %+v, %v", send, err)
	}
}

// TestConfirmedAnswerSurvivesMerges reproduces the loss the old layout
// had: a customer clicks 2 in the email, picks a reason and writes a
// comment (confirmed); the same link is opened again later (score 10,
// unconfirmed). Before and after ClickHouse merges everything (OPTIMIZE ...
// FINAL), the report counts one detractor and the answer keeps its score,
// reason and comment, in the table itself.
func TestConfirmedAnswerSurvivesMerges(t *testing.T) {
	ts := newEmailServer(t, "heed_test_server_merge", "")
	id := ts.createSurvey(t, shopSurvey)
	browser := "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0 Safari/537.36"
	tok := ts.token(t, id, "ann@example.com", time.Hour)
	if r := ts.do(t, "GET", "/r/"+tok+"?s=2", "", "User-Agent", browser); r.status != 200 {
		t.Fatalf("click: %d", r.status)
	}
	form := url.Values{"s": {"2"}, "reasons": {"rude_service"}, "comment": {"really bad"}}
	if r := ts.do(t, "POST", "/r/"+tok, form.Encode(), "Content-Type", "application/x-www-form-urlencoded", "User-Agent", browser); r.status != 200 {
		t.Fatalf("follow-up: %d", r.status)
	}
	ts.db.WaitRows(t, "answers", id, 2)
	// Later, the same link again (a second click, a headless browser).
	if r := ts.do(t, "GET", "/r/"+tok+"?s=10", "", "User-Agent", browser); r.status != 200 {
		t.Fatalf("second click: %d", r.status)
	}
	ts.db.WaitRows(t, "answers", id, 3)
	check := func(when string) {
		t.Helper()
		total := ts.admin(t, "GET", "/api/v1/surveys/"+id+"/report?interval=day", "").json(t)["total"].(map[string]any)
		rude := total["reasons"].(map[string]any)["rude_service"].(map[string]any)
		if total["responses"] != 1.0 || total["detractors"] != 1.0 || rude["count"] != 1.0 {
			t.Fatalf("%s: report total %v", when, total)
		}
		as := ts.answers(t, id)
		if len(as) != 1 || as[0]["score"] != 2.0 || as[0]["comment"] != "really bad" || as[0]["confirmed"] != true {
			t.Fatalf("%s: answers %v", when, as)
		}
	}
	check("before merging")
	ctx := context.Background()
	if err := ts.db.Exec(ctx, "OPTIMIZE TABLE answers FINAL"); err != nil {
		t.Fatal(err)
	}
	if n := ts.storedRows(t, id); n != 1 {
		t.Fatalf("after OPTIMIZE FINAL the table holds %d rows of the response, want 1", n)
	}
	var score uint8
	var reasons []string
	var comment string
	if err := ts.db.QueryRow(ctx, "SELECT score, reasons, comment FROM answers WHERE survey_id = ?", id).Scan(&score, &reasons, &comment); err != nil {
		t.Fatal(err)
	}
	if score != 2 || len(reasons) != 1 || reasons[0] != "rude_service" || comment != "really bad" {
		t.Fatalf("the row kept by the merge: score %d, reasons %v, comment %q", score, reasons, comment)
	}
	check("after OPTIMIZE FINAL")
	// The counted days give the same answer as the raw rows.
	if _, err := ts.db.RefreshDays(ctx); err != nil {
		t.Fatal(err)
	}
	check("from the counted days")
}

// TestLateConfirmKeepsFollowUp: the answer page's confirmation may arrive
// after the follow-up sent from the same page (a slow request); the
// follow-up's reasons and comment must stay the answer that counts.
func TestLateConfirmKeepsFollowUp(t *testing.T) {
	ts := newEmailServer(t, "heed_test_server_lateconfirm", "")
	id := ts.createSurvey(t, shopSurvey)
	browser := "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0 Safari/537.36"
	tok := ts.token(t, id, "late@example.com", time.Hour)
	page := ts.do(t, "GET", "/r/"+tok+"?s=2", "", "User-Agent", browser)
	m := regexp.MustCompile(`data-shown="(\d+)"`).FindSubmatch(page.body)
	if page.status != 200 || m == nil {
		t.Fatalf("answer page: %d %.300s", page.status, page.body)
	}
	form := url.Values{"s": {"2"}, "reasons": {"rude_service"}, "comment": {"Kept waiting"}}
	if r := ts.do(t, "POST", "/r/"+tok, form.Encode(), "Content-Type", "application/x-www-form-urlencoded", "User-Agent", browser); r.status != 200 {
		t.Fatalf("follow-up: %d", r.status)
	}
	ts.waitAnswer(t, id, func(a map[string]any) bool { return a["comment"] == "Kept waiting" })
	rows := ts.storedRows(t, id)
	if r := ts.do(t, "POST", "/r/"+tok+"/confirm", `{"s":2,"t":"`+string(m[1])+`"}`, "User-Agent", browser); r.status != 202 || r.json(t)["confirmed"] != true {
		t.Fatalf("confirm: %d %s", r.status, r.body)
	}
	ts.db.WaitRows(t, "answers", id, rows+1)
	if err := ts.db.Exec(context.Background(), "OPTIMIZE TABLE answers FINAL"); err != nil {
		t.Fatal(err)
	}
	as := ts.answers(t, id)
	if len(as) != 1 || as[0]["comment"] != "Kept waiting" || as[0]["confirmed"] != true {
		t.Fatalf("the late confirmation replaced the follow-up: %v", as)
	}
	// A made-up time (the future, or before the email was sent) is not believed.
	for _, shown := range []string{"99999999999999999", "1", "x"} {
		if r := ts.do(t, "POST", "/r/"+tok+"/confirm", `{"s":2,"t":"`+shown+`"}`, "User-Agent", browser); shown == "x" && r.status != 422 || shown != "x" && r.status != 202 {
			t.Errorf("confirm with t=%s: %d %s", shown, r.status, r.body)
		}
	}
}
