package server

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/asn1"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"net/http"
	"strconv"
	"testing"
	"time"
)

// fuzzWebhookKey makes an Event Webhook key pair: the private key and the
// public key as SendGrid shows it (base64 PKIX).
func fuzzWebhookKey(tb testing.TB) (*ecdsa.PrivateKey, string) {
	tb.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		tb.Fatal(err)
	}
	pub, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		tb.Fatal(err)
	}
	return key, base64.StdEncoding.EncodeToString(pub)
}

// signWebhook signs timestamp+body as SendGrid does.
func signWebhook(tb testing.TB, key *ecdsa.PrivateKey, ts string, body []byte) string {
	h := sha256.New()
	h.Write([]byte(ts))
	h.Write(body)
	r, s, err := ecdsa.Sign(rand.Reader, key, h.Sum(nil))
	if err != nil {
		tb.Fatal(err)
	}
	der, _ := asn1.Marshal(struct{ R, S *big.Int }{r, s})
	return base64.StdEncoding.EncodeToString(der)
}

// FuzzSendGridWebhook posts any body to POST /webhooks/sendgrid with
// signature headers of four kinds: fuzzed (signature and timestamp as
// given), signed with the configured key, signed with another key, and
// signed with the configured key over a body then changed in one byte.
// Nothing panics or answers 5xx; every refusal is a 4xx with the API's
// error body; only a body signed with the configured key within the 5
// minute window gets past the signature (200 with the count of events
// that have an id and a type, or 400 for a body that is not a JSON array of
// events); everything else is a 401 and stores nothing.
func FuzzSendGridWebhook(f *testing.F) {
	key, pub := fuzzWebhookKey(f)
	other, _ := fuzzWebhookKey(f)
	fs := newFuzzServer(f, pub)
	events := `[{"sg_event_id":"ev-1","event":"delivered","email":"a@example.com","timestamp":1800000000,"heed_send_id":"send-9"},
		{"sg_event_id":"ev-2","event":"bounce","type":"blocked","email":"B@Example.com","timestamp":1},
		{"sg_event_id":"ev-3","event":"dropped","reason":"Bounced Address","heed_contact_id":"c0ffee"},
		{"event":"open"},{"sg_event_id":"ev-4","event":"spamreport","email":"not an address"}]`
	validSig := signWebhook(f, key, "1800000000", []byte(events))
	for _, s := range []struct {
		body     string
		sig, ts  string
		offset   int64
		kind     uint8
		position int
	}{
		{events, "", "", 0, 1, 0},
		{events, "", "", 0, 2, 0},
		{events, "", "", 0, 3, 17},
		{events, "", "", 400, 1, 0},
		{events, "", "", -400, 1, 0},
		{events, validSig, "1800000000", 0, 0, 0}, // a real signature, for another time
		{events, "bm90IGEgc2ln", "", 0, 0, 0},
		{events, "MAYCAQECAQE=", "", 0, 0, 0}, // DER of r = s = 1
		{events, "MAYCAQACAQA=", "", 0, 0, 0}, // r = s = 0
		{events, "", "", 0, 0, 0},
		{events, "!!!", "not a number", 0, 0, 0},
		{`{not json`, "", "", 0, 1, 0},
		{`{"sg_event_id":"x","event":"bounce"}`, "", "", 0, 1, 0},
		{`[{"sg_event_id":1}]`, "", "", 0, 1, 0},
		{`[]`, "", "", 0, 1, 0},
		{``, "", "", 0, 1, 0},
		{`null`, "", "", 0, 1, 0},
		{`[{"sg_event_id":"e","event":"bounce","timestamp":9223372036854775807,"email":"x@example.com"}]`, "", "", 0, 1, 0},
	} {
		f.Add([]byte(s.body), s.sig, s.ts, s.offset, s.kind, s.position)
	}
	f.Fuzz(func(t *testing.T, body []byte, sig, ts string, offset int64, kind uint8, position int) {
		now := time.Now()
		offset %= 1000 // seconds from now, either side of the 5 minute window
		if kind%4 != 0 || ts == "" {
			ts = strconv.FormatInt(now.Unix()+offset, 10)
		}
		mutated := false
		switch kind % 4 {
		case 1:
			sig = signWebhook(t, key, ts, body)
		case 2:
			sig = signWebhook(t, other, ts, body)
		case 3:
			sig = signWebhook(t, key, ts, body)
			if len(body) == 0 {
				body = []byte{' '}
			} else {
				i := position % len(body)
				if i < 0 {
					i += len(body)
				}
				changed := append([]byte(nil), body...)
				changed[i] ^= 1 << (uint(position) % 8)
				body = changed
			}
			mutated = true
		}
		before, _ := fs.store.Suppressed(context.Background())
		rec := fs.serve("POST", "/webhooks/sendgrid", body, "Content-Type", "application/json",
			"X-Twilio-Email-Event-Webhook-Signature", sig, "X-Twilio-Email-Event-Webhook-Timestamp", ts)
		if rec.Code >= 500 {
			t.Fatalf("status %d: %s", rec.Code, rec.Body)
		}
		if rec.Code != http.StatusOK {
			checkAPIError(t, rec)
			if after, _ := fs.store.Suppressed(context.Background()); len(after) != len(before) {
				t.Fatalf("a refused request (%d) suppressed contacts", rec.Code)
			}
		}
		rightKey := kind%4 == 1 && !mutated
		inWindow := offset > -290 && offset < 290
		switch {
		case !rightKey:
			if rec.Code != http.StatusUnauthorized {
				t.Fatalf("kind %d (sig %q, ts %q): %d, want 401: %s", kind%4, sig, ts, rec.Code, rec.Body)
			}
		case offset < -310 || offset > 310:
			if rec.Code != http.StatusUnauthorized {
				t.Fatalf("signed %d s off: %d, want 401", offset, rec.Code)
			}
		case inWindow:
			var in []sgEvent
			if err := json.Unmarshal(body, &in); err != nil {
				if rec.Code != http.StatusBadRequest {
					t.Fatalf("signed body that is no event array: %d, want 400", rec.Code)
				}
				return
			}
			want := 0
			for _, e := range in {
				if e.ID != "" && e.Event != "" {
					want++
				}
			}
			var out map[string]int
			if rec.Code != http.StatusOK || json.Unmarshal(rec.Body.Bytes(), &out) != nil || len(out) != 1 || out["stored"] != want {
				t.Fatalf("signed events: %d %s, want 200 {\"stored\":%d}", rec.Code, rec.Body, want)
			}
		}
	})
}
