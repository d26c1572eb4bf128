package server

import (
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestWebhookHeadersFirst: the signature headers are judged before the
// body is read, so an unsigned (or stale, or garbled) post of 5 MB costs
// nothing: it is answered while its body has not even been sent (with
// Expect: 100-continue, Go's server sends "100 Continue" only once the
// handler reads the body, so a 401 here proves it never did). A signed
// post is still read and verified.
func TestWebhookHeadersFirst(t *testing.T) {
	signer, pub := newWebhookSigner(t)
	ts := newFakeServer(t, func(c *testConfig) { c.Email.WebhookKey = pub })
	addr := startReal(t, ts)
	now := strconv.FormatInt(time.Now().Unix(), 10)
	stale := strconv.FormatInt(time.Now().Add(-time.Hour).Unix(), 10)
	good := signer.sign(t, now, []byte("[]"))
	head := "POST /webhooks/sendgrid HTTP/1.1\r\nHost: heed.test\r\nContent-Type: application/json\r\nExpect: 100-continue\r\nContent-Length: 5000000"
	sigHeaders := func(sig, ts string) string {
		return "\r\nX-Twilio-Email-Event-Webhook-Signature: " + sig + "\r\nX-Twilio-Email-Event-Webhook-Timestamp: " + ts
	}
	for _, tt := range []struct {
		name, headers string
	}{
		{"unsigned", ""},
		{"no timestamp", "\r\nX-Twilio-Email-Event-Webhook-Signature: " + good},
		{"stale timestamp", sigHeaders(signer.sign(t, stale, []byte("[]")), stale)},
		{"signature not base64", sigHeaders("!!!", now)},
		{"signature not ASN.1", sigHeaders("aGVsbG8=", now)},
		{"signature far too long", sigHeaders(strings.Repeat("A", 400), now)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := rawRequest(t, addr, head+tt.headers, "", false)
			if resp.StatusCode != 401 || !strings.Contains(body, `"unauthorized"`) {
				t.Errorf("%d %s, want 401 before the body", resp.StatusCode, body)
			}
		})
	}
	// Signed right: read and verified; a body that is not the one signed
	// does not verify.
	r := ts.do(t, "POST", "/webhooks/sendgrid", "[]", "X-Twilio-Email-Event-Webhook-Signature", good, "X-Twilio-Email-Event-Webhook-Timestamp", now)
	if r.status != 200 {
		t.Errorf("signed: %d %s", r.status, r.body)
	}
	r = ts.do(t, "POST", "/webhooks/sendgrid", "[{}]", "X-Twilio-Email-Event-Webhook-Signature", good, "X-Twilio-Email-Event-Webhook-Timestamp", now)
	if r.status != 401 {
		t.Errorf("another body: %d %s", r.status, r.body)
	}
}
