package server

import (
	"crypto/ecdsa"
	"crypto/sha256"
	"encoding/asn1"
	"encoding/base64"
	"encoding/json"
	"io"
	"math/big"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/sendgrid/sendgrid-go/helpers/eventwebhook"

	"heed/analytics"
)

// webhookMaxAge rejects replays of old signed requests.
const webhookMaxAge = 5 * time.Minute

// sgEvent is the part of a SendGrid event Heed reads. Custom args set at
// send time (heed_send_id...) come back as top-level fields.
type sgEvent struct {
	ID        string `json:"sg_event_id"`
	Event     string `json:"event"`
	Email     string `json:"email"`
	Timestamp int64  `json:"timestamp"`
	Reason    string `json:"reason"`
	Type      string `json:"type"` // bounce: "bounce" (permanent) or "blocked" (temporary)
	SendID    string `json:"heed_send_id"`
	SurveyID  string `json:"heed_survey_id"`
	ContactID string `json:"heed_contact_id"`
}

// suppressing maps events that must stop all survey email to a reason.
var suppressing = map[string]string{
	"bounce":            analytics.SuppressBounce,
	"spamreport":        analytics.SuppressSpamReport,
	"unsubscribe":       analytics.SuppressUnsubscribe,
	"group_unsubscribe": analytics.SuppressUnsubscribe,
	"dropped":           analytics.SuppressDropped,
}

// permanent tells events that must stop email for good from passing ones:
// a "blocked" bounce is temporary, and a drop suppresses only when SendGrid
// dropped the address itself (not, say, a malformed message).
func permanent(e sgEvent) bool {
	switch e.Event {
	case "bounce":
		return e.Type != "blocked"
	case "dropped":
		return e.Reason == "Bounced Address" || e.Reason == "Unsubscribed Address" || e.Reason == "Spam Reporting Address"
	}
	return true
}

// webhookBodyLimit bounds an Event Webhook post (SendGrid batches events).
const webhookBodyLimit = "5MiB"

// maxWebhookSignature bounds the signature header: an ECDSA P-256
// signature in ASN.1 is about 72 bytes, 96 in base64.
const maxWebhookSignature = 200

// webhookSignature reads the signature headers and checks all that can be
// checked before the body: both present, the signature an ASN.1 (r, s)
// pair in base64, the timestamp within webhookMaxAge of now. So a request
// that is not signed at all costs no body read.
func webhookSignature(r *http.Request, now time.Time) (sig webhookSig, ts string, err error) {
	b64 := r.Header.Get(eventwebhook.VerificationHTTPHeader)
	ts = r.Header.Get(eventwebhook.TimestampHTTPHeader)
	sec, perr := strconv.ParseInt(ts, 10, 64)
	if b64 == "" || len(b64) > maxWebhookSignature || perr != nil {
		return sig, ts, newError(http.StatusUnauthorized, "missing or malformed webhook signature headers")
	}
	raw, derr := base64.StdEncoding.DecodeString(b64)
	if rest, aerr := asn1.Unmarshal(raw, &sig); derr != nil || aerr != nil || len(rest) > 0 || sig.R == nil || sig.S == nil {
		return sig, ts, newError(http.StatusUnauthorized, "missing or malformed webhook signature headers")
	}
	if age := now.Sub(time.Unix(sec, 0)); age > webhookMaxAge || age < -webhookMaxAge {
		return sig, ts, newError(http.StatusUnauthorized, "webhook timestamp outside the 5 minute window")
	}
	return sig, ts, nil
}

// webhookSig is an ECDSA signature as SendGrid sends it (ASN.1).
type webhookSig struct{ R, S *big.Int }

// postSendGridWebhook handles POST /webhooks/sendgrid: SendGrid's signed
// Event Webhook. The signature headers are checked before the body is read
// (webhookSignature); the body, at most webhookBodyLimit, is hashed as it
// is read and verified as sendgrid-go's eventwebhook does (ECDSA over
// SHA-256 of timestamp + body). Events are stored once per sg_event_id;
// bounces, spam reports and unsubscribes suppress the contact.
func (s *Server) postSendGridWebhook(c echo.Context) error {
	if s.emailing.Webhook == nil {
		return newError(http.StatusForbidden, "the SendGrid webhook is off: set HEED_SENDGRID_WEBHOOK_KEY")
	}
	sig, ts, err := webhookSignature(c.Request(), time.Now())
	if err != nil {
		return err
	}
	h := sha256.New()
	h.Write([]byte(ts))
	body, err := io.ReadAll(io.TeeReader(c.Request().Body, h))
	if err != nil {
		if tooLarge(err) {
			return newError(http.StatusRequestEntityTooLarge, "request body too large")
		}
		return err // a bodyError: the error handler words it
	}
	if !ecdsa.Verify(s.emailing.Webhook, h.Sum(nil), sig.R, sig.S) {
		return newError(http.StatusUnauthorized, "webhook signature does not verify")
	}
	var in []sgEvent
	if err := json.Unmarshal(body, &in); err != nil {
		return newError(http.StatusBadRequest, "the body must be a JSON array of events")
	}
	ctx := c.Request().Context()
	events := make([]analytics.EmailEvent, 0, len(in))
	for _, e := range in {
		if e.ID == "" || e.Event == "" {
			continue // nothing to deduplicate on: not a SendGrid event
		}
		contact := e.ContactID
		if contact == "" && e.Email != "" {
			contact = analytics.ContactID(e.Email)
		}
		// Signed, but text from afar all the same: stored as Heed stores
		// text (analytics.CleanLine).
		events = append(events, analytics.EmailEvent{ID: analytics.CleanLine(e.ID), Event: analytics.CleanLine(e.Event),
			Email: analytics.CleanLine(e.Email), ContactID: analytics.CleanLine(contact), SendID: analytics.CleanLine(e.SendID),
			SurveyID: analytics.CleanLine(e.SurveyID), Reason: analytics.CleanLine(e.Reason), At: time.Unix(e.Timestamp, 0)})
		if reason, ok := suppressing[e.Event]; ok && contact != "" && permanent(e) {
			if err := s.store.Suppress(ctx, contact, e.Email, reason); err != nil {
				return err
			}
		}
	}
	if err := s.store.InsertEmailEvents(ctx, events); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]int{"stored": len(events)})
}
