package server

import (
	"encoding/json"
	"io"
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

// postSendGridWebhook handles POST /webhooks/sendgrid: SendGrid's signed
// Event Webhook. The ECDSA signature is checked on the raw body with
// sendgrid-go's eventwebhook helper; events are stored once per sg_event_id;
// bounces, spam reports and unsubscribes suppress the contact.
func (s *Server) postSendGridWebhook(c echo.Context) error {
	if s.emailing.Webhook == nil {
		return newError(http.StatusForbidden, "the SendGrid webhook is off: set HEED_SENDGRID_WEBHOOK_KEY")
	}
	body, err := io.ReadAll(c.Request().Body)
	if err != nil {
		return newError(http.StatusRequestEntityTooLarge, "request body too large")
	}
	sig := c.Request().Header.Get("X-Twilio-Email-Event-Webhook-Signature")
	ts := c.Request().Header.Get("X-Twilio-Email-Event-Webhook-Timestamp")
	sec, err := strconv.ParseInt(ts, 10, 64)
	if sig == "" || err != nil {
		return newError(http.StatusUnauthorized, "missing or malformed webhook signature headers")
	}
	if age := time.Since(time.Unix(sec, 0)); age > webhookMaxAge || age < -webhookMaxAge {
		return newError(http.StatusUnauthorized, "webhook timestamp outside the 5 minute window")
	}
	ok, err := eventwebhook.VerifySignature(s.emailing.Webhook, body, sig, ts)
	if err != nil || !ok {
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
		events = append(events, analytics.EmailEvent{ID: e.ID, Event: e.Event, Email: e.Email, ContactID: contact,
			SendID: e.SendID, SurveyID: e.SurveyID, Reason: e.Reason, At: time.Unix(e.Timestamp, 0)})
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
