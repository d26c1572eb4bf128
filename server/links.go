package server

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"heed/analytics"
	"heed/emails"
	"heed/site"
)

// Links from survey emails: /r/{token}?s=N records a score with one click
// and shows the follow-up; /u/{token} unsubscribes.
//
// Scanner protection: mail security gateways open every link of an email
// before the person sees it. A score recorded by the GET alone is stored
// unconfirmed, with flags when the click looked like a scanner (a known
// scanner user agent, a HEAD request, a click within seconds of sending).
// The answer page's script confirms it (scanners do not run scripts), and
// so does the follow-up. Reports count confirmed answers unless asked with
// include_unconfirmed=true, and a confirmed answer always beats a later
// unconfirmed one.

// tooSoon: a click this soon after sending is a scanner, not a person.
const tooSoon = 10 * time.Second

// scannerAgents are substrings of the User-Agent of known link scanners and
// HTTP libraries (lower case).
var scannerAgents = []string{
	"bot", "crawler", "spider", "scan", "preview", "proofpoint", "mimecast", "barracuda",
	"symantec", "messagelabs", "trendmicro", "trend micro", "forcepoint", "fortinet", "ironport",
	"sophos", "safelinks", "urldefense", "microsoft office", "ms-office", "msoffice", "outlook-ios",
	"curl/", "wget/", "python-requests", "go-http-client", "headlesschrome", "phantomjs",
}

// scannerFlags says why a click looks like a link scanner ("" = a person).
func scannerFlags(r *http.Request, claims emails.Claims, now time.Time) string {
	var flags []string
	ua := strings.ToLower(r.UserAgent())
	for _, s := range scannerAgents {
		if ua == "" || strings.Contains(ua, s) {
			flags = append(flags, "scanner_agent")
			break
		}
	}
	if isHead(r) {
		flags = append(flags, "head")
	}
	if now.Sub(claims.SentAt) < tooSoon {
		flags = append(flags, "too_soon")
	}
	return strings.Join(flags, ",")
}

// linkPage renders a message page (expired link, unsubscribed, ...).
func linkPage(c echo.Context, status int, lang, title, text, formURL, button string) error {
	return brandPage(c, status, lang, emails.Brand{}, title, text, formURL, button)
}

// brandPage is linkPage headed by a survey's brand.
func brandPage(c echo.Context, status int, lang string, b emails.Brand, title, text, formURL, button string) error {
	return renderPage(c, status, "message.html", map[string]string{
		"Lang": emails.Texts(lang).Lang, "Title": title, "Text": text, "FormURL": formURL, "Button": button,
		"Brand": b.Name, "LogoURL": b.LogoURL})
}

func renderPage(c echo.Context, status int, name string, data any) error {
	var buf bytes.Buffer
	if err := site.Pages.ExecuteTemplate(&buf, name, data); err != nil {
		return err
	}
	setPageHeaders(c)
	return c.HTMLBlob(status, buf.Bytes())
}

func setPageHeaders(c echo.Context) {
	h := c.Response().Header()
	// img-src https: lets a survey's logo (logo_url, any https host) show.
	h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data: https:; frame-ancestors 'none'; form-action 'self'")
	h.Set("Cache-Control", "no-store")
	h.Set("Referrer-Policy", "no-referrer") // the token is in the URL
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY") // frame-ancestors, for browsers without CSP 2
}

// linkClaims verifies the token of a link; a bad one gets a friendly page
// and a 4xx, never a 500.
func (s *Server) linkClaims(c echo.Context) (emails.Claims, *analytics.Survey, error) {
	claims, err := s.emailing.Signer.Verify(c.Param("token"), time.Now())
	t := emails.Texts("")
	switch {
	case errors.Is(err, emails.ErrTokenExpired):
		return claims, nil, linkPage(c, http.StatusGone, "", t.LinkExpired, "", "", "")
	case err != nil:
		return claims, nil, linkPage(c, http.StatusBadRequest, "", t.LinkInvalid, "", "", "")
	}
	sv, ok := s.surveys.Lookup(c.Request().Context(), claims.SurveyID)
	if !ok {
		return claims, nil, linkPage(c, http.StatusNotFound, "", t.LinkInvalid, "", "", "")
	}
	if sv.Archived() {
		return claims, nil, linkPage(c, http.StatusGone, sv.Language, closedText(sv.Language), "", "", "")
	}
	switch forgotten, err := s.forgotten(c.Request().Context(), claims); {
	case err != nil:
		return claims, nil, err
	case forgotten:
		// As an expired link: the page says nothing of the erasure.
		return claims, nil, linkPage(c, http.StatusGone, sv.Language, emails.Texts(sv.Language).LinkExpired, "", "", "")
	}
	return claims, sv, nil
}

// forgotten reports whether the link's person was forgotten (DELETE
// /api/v1/people/:id): their contact id, or the address of a contact
// imported again under it, is on the erased list. Their old links then
// record nothing: an answer would store again what was erased. The list
// is in the database, so every instance sees an erasure at once.
func (s *Server) forgotten(ctx context.Context, claims emails.Claims) (bool, error) {
	h := s.emailing.Erasure
	if h == nil {
		return false, nil // no key: nobody can have been forgotten through this server's key
	}
	hashes := []string{h.ID(claims.ContactID)}
	switch contact, err := s.store.Contact(ctx, claims.ContactID); {
	case err == nil:
		hashes = append(hashes, h.Email(contact.Email))
	case !errors.Is(err, analytics.ErrNotFound):
		return false, err
	}
	return s.store.AnyErased(ctx, hashes)
}

// errPageShown marks a request already answered with a page.
var errPageShown = errors.New("page shown")

func (s *Server) linkRequest(c echo.Context) (emails.Claims, *analytics.Survey, error) {
	claims, sv, err := s.linkClaims(c)
	if err != nil {
		return claims, nil, err
	}
	if sv == nil {
		return claims, nil, errPageShown
	}
	return claims, sv, nil
}

// emailAnswer builds the response a link click or follow-up records. It
// carries the contact's properties (plan, country...), which become segment
// filters in reports, and the send id.
func (s *Server) emailAnswer(c echo.Context, claims emails.Claims, score int) analytics.Response {
	props := map[string]string{}
	switch contact, err := s.store.Contact(c.Request().Context(), claims.ContactID); {
	case err == nil:
		for k, v := range contact.Properties {
			if len(props) < analytics.MaxProperties-1 { // room for send_id
				props[k] = v
			}
		}
	case !errors.Is(err, analytics.ErrNotFound):
		s.log.Warn("answer without contact properties", "contact", claims.ContactID, "err", err)
	}
	props["send_id"] = claims.SendID
	// The response counts in the period its send began (a signed claim):
	// every instance gives its rows that time, whichever answer it gets
	// first. The store still prefers a stored first answer, which links
	// signed before the claim existed made at the click's time.
	now := time.Now()
	at := claims.SendStart
	if at.IsZero() {
		at = now
	}
	return analytics.Response{
		SurveyID:   claims.SurveyID,
		ResponseID: emails.ResponseID(claims.SendID, claims.ContactID),
		CreatedAt:  at,
		Version:    uint64(now.UnixNano()),
		Score:      uint8(score),
		Channel:    analytics.ChannelEmail,
		Respondent: claims.ContactID,
		Properties: props,
	}
}

// parseScore reads the score of a link (?s=, the follow-up form's s): one
// value, written canonically ("0" to "10"). strconv.Atoi would also take
// "+5" and "007", and a repeated s would let the first value win where a
// proxy or the page's script might read another: every score has exactly
// one spelling, so logs, caches and scanners see the score that counts.
func parseScore(vals []string) (int, bool) {
	if len(vals) != 1 {
		return 0, false
	}
	switch v := vals[0]; {
	case v == "10":
		return 10, true
	case len(v) == 1 && v[0] >= '0' && v[0] <= '9':
		return int(v[0] - '0'), true
	}
	return 0, false
}

// getLink handles GET and HEAD /r/:token?s=N: record the score at once
// (unconfirmed) and show the follow-up.
func (s *Server) getLink(c echo.Context) error {
	claims, sv, err := s.linkRequest(c)
	if err != nil {
		return ignoreShown(err)
	}
	t := emails.Texts(sv.Language)
	score, ok := parseScore(c.QueryParams()["s"])
	if !ok {
		return linkPage(c, http.StatusBadRequest, sv.Language, t.LinkInvalid, "", "", "")
	}
	r := s.emailAnswer(c, claims, score)
	r.Unconfirmed = true
	r.Flags = scannerFlags(c.Request(), claims, time.Now())
	if err := s.writer.Add(r); err != nil {
		return s.writerError(c, err)
	}
	if isHead(c.Request()) {
		setPageHeaders(c)
		return c.NoContent(http.StatusOK)
	}
	base := "/r/" + c.Param("token")
	// The score's group's follow-up: its own question as written, else the
	// standard one in the reader's language.
	question, reasons := sv.FollowUp(uint8(score))
	why := question
	if why == "" {
		why = t.Why
	}
	b := emails.BrandOf(sv, s.emailing.From.Name)
	return renderPage(c, http.StatusOK, "answer.html", map[string]any{
		"Lang": t.Lang, "T": t, "Score": score, "ThanksScore": fmt.Sprintf(t.ThanksScore, score),
		"Why": why, "OwnQuestion": question != "",
		"Reasons": reasons, "PostURL": base, "ConfirmURL": base + "/confirm",
		"Shown": strconv.FormatInt(time.Now().UnixNano(), 10), "Brand": b.Name, "LogoURL": b.LogoURL})
}

// getThanks handles GET /r/:token/thanks?s=N, where the follow-up form
// lands (Post/Redirect/Get: a reload shows the page again and posts
// nothing). The token is the email's signed one; the page records nothing.
func (s *Server) getThanks(c echo.Context) error {
	_, sv, err := s.linkRequest(c)
	if err != nil {
		return ignoreShown(err)
	}
	t := emails.Texts(sv.Language)
	score, ok := parseScore(c.QueryParams()["s"])
	if !ok {
		return linkPage(c, http.StatusBadRequest, sv.Language, t.LinkInvalid, "", "", "")
	}
	b := emails.BrandOf(sv, s.emailing.From.Name)
	return renderPage(c, http.StatusOK, "thanks.html", map[string]any{
		"Lang": t.Lang, "T": t, "ThanksScore": fmt.Sprintf(t.ThanksScore, score), "Brand": b.Name, "LogoURL": b.LogoURL})
}

func ignoreShown(err error) error {
	if errors.Is(err, errPageShown) {
		return nil
	}
	return err
}

type confirmInput struct {
	Score *int `json:"s" validate:"required,min=0,max=10"`
	// Shown is when the page was served (ns, as text: JavaScript numbers
	// cannot hold it).
	Shown string `json:"t" validate:"omitempty,max=20,numeric"`
}

// confirmVersion orders a confirmation by when its page was shown, not by
// when the confirmation arrived: the page's follow-up form, sent after the
// page was shown, must win over a confirmation that arrives after it (a
// slow request), or its reasons and comment would be lost. A time before
// the email was sent or after now is not believed (now is used).
func confirmVersion(shown string, claims emails.Claims, now time.Time) uint64 {
	t, err := strconv.ParseInt(shown, 10, 64)
	if err != nil || t < claims.SentAt.UnixNano() || t > now.UnixNano() {
		return uint64(now.UnixNano())
	}
	return uint64(t)
}

// confirmLink handles POST /r/:token/confirm, sent by the answer page's
// script: a person saw the page, so the score is confirmed.
func (s *Server) confirmLink(c echo.Context) error {
	// The statuses of the link pages (linkClaims): 410 expired, 400 any
	// other bad token, 404 a deleted survey, in JSON for the page's script.
	claims, err := s.emailing.Signer.Verify(c.Param("token"), time.Now())
	switch {
	case errors.Is(err, emails.ErrTokenExpired):
		return newError(http.StatusGone, "this link has expired")
	case err != nil:
		return newError(http.StatusBadRequest, "this link is not valid")
	}
	sv, ok := s.surveys.Lookup(c.Request().Context(), claims.SurveyID)
	if !ok {
		return newError(http.StatusNotFound, "no such survey")
	}
	if sv.Archived() {
		return archivedError(sv)
	}
	switch forgotten, err := s.forgotten(c.Request().Context(), claims); {
	case err != nil:
		return err
	case forgotten:
		return newError(http.StatusGone, "this link has expired")
	}
	var in confirmInput
	if err := decodeJSON(c, &in, false); err != nil {
		return err
	}
	if err := s.validate.Struct(in); err != nil {
		return err
	}
	if strings.Contains(scannerFlags(c.Request(), claims, time.Now()), "scanner_agent") {
		// A headless scanner runs the page's script too: not a person.
		return c.JSON(http.StatusAccepted, map[string]bool{"confirmed": false})
	}
	r := s.emailAnswer(c, claims, *in.Score)
	r.Version = confirmVersion(in.Shown, claims, time.Now())
	if err := s.writer.Add(r); err != nil {
		return s.writerError(c, err)
	}
	s.alerts.Answered(sv, r) // a detractor who skips the follow-up is heard too
	return c.JSON(http.StatusAccepted, map[string]bool{"confirmed": true})
}

// postLink handles POST /r/:token: the follow-up form (reasons, comment).
// It confirms the answer too.
func (s *Server) postLink(c echo.Context) error {
	claims, sv, err := s.linkRequest(c)
	if err != nil {
		return ignoreShown(err)
	}
	t := emails.Texts(sv.Language)
	form, err := c.FormParams()
	if err != nil {
		status := http.StatusBadRequest
		if be, ok := bodyErr(err); ok { // 408 for a body too slow
			status = be.apiError().Status
		} else if tooLarge(err) {
			status = http.StatusRequestEntityTooLarge
		}
		return linkPage(c, status, sv.Language, t.LinkInvalid, "", "", "")
	}
	score, ok := parseScore(form["s"])
	if !ok {
		return linkPage(c, http.StatusUnprocessableEntity, sv.Language, t.LinkInvalid, "", "", "")
	}
	// What the person sent is checked before anything is looked up; the
	// properties are the contact's, copied by the server, not theirs.
	followUp := analytics.Response{Score: uint8(score), Reasons: sortedCopy(form["reasons"]), Comment: form.Get("comment"), Channel: analytics.ChannelEmail}
	if err := followUp.Validate(sv); err != nil {
		return linkPage(c, http.StatusUnprocessableEntity, sv.Language, t.LinkInvalid, "", "", "")
	}
	r := s.emailAnswer(c, claims, score)
	r.Reasons, r.Comment = followUp.Reasons, followUp.Comment
	if err := s.writer.Add(r); err != nil {
		return s.writerError(c, err)
	}
	s.alerts.Answered(sv, r)
	// 303: the browser GETs the thank-you page, so a reload posts nothing.
	return c.Redirect(http.StatusSeeOther, "/r/"+c.Param("token")+"/thanks?s="+strconv.Itoa(score))
}

// unsubscribeClaims verifies an unsubscribe link. Unlike score links, an
// expired one still works (a person must always be able to leave), and the
// survey need not exist any more.
func (s *Server) unsubscribeClaims(c echo.Context) (emails.Claims, string, emails.Brand, error) {
	claims, err := s.emailing.Signer.Verify(c.Param("token"), time.Now())
	if err != nil && !errors.Is(err, emails.ErrTokenExpired) {
		if err := linkPage(c, http.StatusBadRequest, "", emails.Texts("").LinkInvalid, "", "", ""); err != nil {
			return claims, "", emails.Brand{}, err
		}
		return claims, "", emails.Brand{}, errPageShown
	}
	lang, b := "", emails.Brand{}
	if sv, ok := s.surveys.Lookup(c.Request().Context(), claims.SurveyID); ok {
		lang, b = sv.Language, emails.BrandOf(sv, s.emailing.From.Name)
	}
	return claims, lang, b, nil
}

// getUnsubscribe handles GET /u/:token: a page with a confirm button, so a
// link scanner's GET unsubscribes nobody.
func (s *Server) getUnsubscribe(c echo.Context) error {
	_, lang, b, err := s.unsubscribeClaims(c)
	if err != nil {
		return ignoreShown(err)
	}
	t := emails.Texts(lang)
	return brandPage(c, http.StatusOK, lang, b, t.UnsubscribeConfirm, "", "/u/"+c.Param("token"), t.UnsubscribeButton)
}

// postUnsubscribe handles POST /u/:token: the page's button, and RFC 8058
// one-click unsubscribe from mail clients (body List-Unsubscribe=One-Click).
func (s *Server) postUnsubscribe(c echo.Context) error {
	claims, lang, b, err := s.unsubscribeClaims(c)
	if err != nil {
		return ignoreShown(err)
	}
	t := emails.Texts(lang)
	// A forgotten person is never emailed again already; a suppression
	// row would store their contact id (and address) again.
	switch forgotten, err := s.forgotten(c.Request().Context(), claims); {
	case err != nil:
		return err
	case forgotten:
		return brandPage(c, http.StatusOK, lang, b, t.Unsubscribed, "", "", "")
	}
	email := ""
	if contact, err := s.store.Contact(c.Request().Context(), claims.ContactID); err == nil {
		email = contact.Email
	}
	if err := s.store.Suppress(c.Request().Context(), claims.ContactID, email, analytics.SuppressUnsubscribe); err != nil {
		return err
	}
	return brandPage(c, http.StatusOK, lang, b, t.Unsubscribed, "", "", "")
}
