package server

import (
	"net/http"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
)

// publicBodyLimit bounds what anyone on the internet may send.
const publicBodyLimit = "64KiB" // binary units, as the docs say (gommon reads "64K" as 64,000)

// getHead: every GET route answers HEAD too (net/http drops the body).
var getHead = []string{http.MethodGet, http.MethodHead}

// routes registers every route of Heed, each with the access it asks of
// its caller (access.go): the role walk test checks that none is missing.
func (s *Server) routes(e *echo.Echo) {
	e.Use(middleware.Recover())

	s.add(e, mGet, "/healthz", accessPublic, s.getHealth)
	s.add(e, mGet, "/readyz", accessPublic, s.getReady)

	publicLimit := middleware.BodyLimit(publicBodyLimit)
	ipLimit := rateLimit(s.cfg.RateLimit, s.cfg.RateBurst, perIP, "from this address")
	surveyLimit := rateLimit(s.cfg.SurveyRateLimit, s.cfg.SurveyRateBurst, s.perSurvey, "for this survey")
	public := []echo.MiddlewareFunc{ipLimit, surveyLimit, publicLimit}
	adminLimit := middleware.BodyLimit("1MiB")
	const (
		read   = accessRead
		manage = accessManage
		ingest = accessIngest
		admin  = accessAdmin
	)

	// API headers are set by responseHeaders (headers.go), not as the
	// group's middleware: in Echo v4 that adds catch-all routes to the
	// group, which turn a wrong method's 405 into a 404.
	api := e.Group("/api/v1")
	s.add(api, mPost, "/surveys", manage, s.createSurvey, adminLimit)
	s.add(api, mGet, "/surveys", read, s.listSurveys)
	s.add(api, mGet, "/surveys/:id", read, s.getSurvey)
	s.add(api, mPatch, "/surveys/:id", manage, s.updateSurvey, adminLimit)
	// Deleting a survey deletes its answers for good: admins only.
	s.add(api, mDelete, "/surveys/:id", admin, s.deleteSurvey)
	s.add(api, mPost, "/surveys/:id/archive", manage, s.archiveSurvey)
	s.add(api, mPost, "/surveys/:id/unarchive", manage, s.unarchiveSurvey)
	s.add(api, mGet, "/surveys/:id/versions", read, s.getSurveyVersions)
	s.add(api, mGet, "/surveys/:id/report", read, s.getReport)
	s.add(api, mGet, "/surveys/:id/report.csv", read, s.getReportCSV)
	s.add(api, mGet, "/surveys/:id/compare", read, s.compare)
	s.add(api, mGet, "/surveys/:id/response-rates", read, s.getResponseRates)
	s.add(api, mGet, "/surveys/:id/segments", read, s.getSegmentKeys)
	s.add(api, mGet, "/surveys/:id/responses", read, s.listAnswers)
	s.add(api, mGet, "/surveys/:id/responses.csv", read, s.getResponsesCSV)
	// Cases: following up on detractor answers.
	s.add(api, mGet, "/surveys/:id/cases", read, s.listCases)
	s.add(api, mGet, "/surveys/:id/cases/:response_id", read, s.getCase)
	s.add(api, mPatch, "/surveys/:id/cases/:response_id", manage, s.patchCase, middleware.BodyLimit("64KiB"))

	// Public: answers and the website widget (CORS by allowed_origins).
	// A backend may post answers with an ingest key: the per-address and
	// per-survey limits meant for browsers do not apply to it.
	s.add(api, mPost, "/surveys/:id/responses", accessPublic, s.createResponse,
		s.optionalKey(accessIngest), unlessKeyed(ipLimit), unlessKeyed(surveyLimit), publicLimit)
	s.add(api, mPost, "/surveys/:id/dismissals", accessPublic, s.createDismissal, public...)
	s.add(api, mGet, "/surveys/:id/widget", accessPublic, s.getWidgetConfig, ipLimit)
	s.add(api, mGet, "/surveys/:id/eligibility", accessPublic, s.getEligibility, public...)
	for _, p := range []string{"/surveys/:id/responses", "/surveys/:id/dismissals", "/surveys/:id/widget", "/surveys/:id/eligibility"} {
		s.add(api, mOpts, p, accessPublic, s.preflight, ipLimit)
	}

	// Email: contacts, sends, and the links in survey emails.
	s.add(api, mPost, "/contacts", ingest, s.createContacts, middleware.BodyLimit("8MiB"))
	s.add(api, mPost, "/contacts.csv", ingest, s.importContactsCSV, middleware.BodyLimit(contactsCSVLimit))
	s.add(api, mGet, "/contacts", manage, s.listContacts)
	s.add(api, mGet, "/contacts/:id", manage, s.getContact)
	s.add(api, mPost, "/contacts/:id/suppress", manage, s.suppressContact)
	s.add(api, mPost, "/contacts/:id/unsuppress", manage, s.unsuppressContact)
	// People: forget one (every table), or export what Heed holds on them.
	s.add(api, mDelete, "/people/:id", admin, s.forgetPerson)
	s.add(api, mGet, "/people/:id/export", admin, s.exportPerson)
	s.add(api, mPost, "/surveys/:id/sends", manage, s.createSend, adminLimit)
	s.add(api, mGet, "/sends/:id", read, s.getSend)
	s.add(api, mGet, "/surveys/:id/email-preview", read, s.getEmailPreview)
	// Churn: the customers who left, linked to their last answers.
	s.add(api, mPost, "/churn", ingest, s.createChurn, middleware.BodyLimit(churnBodyLimit))
	s.add(api, mDelete, "/churn/:customer", manage, s.deleteChurn)
	s.add(api, mGet, "/surveys/:id/churn", read, s.getChurnReport)
	s.add(api, mGet, "/surveys/:id/churn.csv", read, s.getChurnCSV)
	s.add(api, mGet, "/surveys/:id/digest/preview", read, s.getDigestPreview)
	s.add(api, mGet, "/surveys/:id/digest/chart.png", read, s.getDigestChart)
	s.add(api, mPost, "/surveys/:id/digest/send", manage, s.sendDigest, adminLimit)

	// People who use Heed: signing in, accounts, keys, the audit log.
	signIn := []echo.MiddlewareFunc{ipLimit, s.authGate, publicLimit} // authGate: wrong passwords count (limits.go)
	s.add(api, mPost, "/sign-in/email", accessPublic, s.postSignInEmail, signIn...)
	s.add(api, mPost, "/sign-in/link", accessPublic, s.postSignInLink, signIn...)
	s.add(api, mPost, "/sign-in/password", accessPublic, s.postSignInPassword, signIn...)
	s.add(api, mPost, "/sign-out", accessSignedIn, s.postSignOut)
	s.add(api, mPost, "/sign-out/everywhere", accessSignedIn, s.postSignOutEverywhere)
	s.add(api, mGet, "/me", accessSignedIn, s.getMe)
	s.add(api, mPut, "/me/password", accessSignedIn, s.putMyPassword, publicLimit)
	s.add(api, mGet, "/accounts", admin, s.listAccounts)
	s.add(api, mPost, "/accounts", admin, s.createAccount, publicLimit)
	s.add(api, mPatch, "/accounts/:id", admin, s.patchAccount, publicLimit)
	s.add(api, mDelete, "/accounts/:id", admin, s.deleteAccount)
	s.add(api, mPost, "/accounts/:id/invite", admin, s.reinviteAccount)
	s.add(api, mGet, "/keys", admin, s.listKeys)
	s.add(api, mPost, "/keys", admin, s.createKey, publicLimit)
	s.add(api, mDelete, "/keys/:id", admin, s.deleteKey)
	s.add(api, mGet, "/audit", admin, s.getAudit)

	linkLimit := []echo.MiddlewareFunc{ipLimit, publicLimit}
	s.add(e, mGet, "/r/:token", accessPublic, s.getLink, linkLimit...)
	s.add(e, mPost, "/r/:token", accessPublic, s.postLink, linkLimit...)
	s.add(e, mPost, "/r/:token/confirm", accessPublic, s.confirmLink, linkLimit...)
	s.add(e, mGet, "/r/:token/thanks", accessPublic, s.getThanks, linkLimit...)
	s.add(e, mGet, "/u/:token", accessPublic, s.getUnsubscribe, linkLimit...)
	s.add(e, mPost, "/u/:token", accessPublic, s.postUnsubscribe, linkLimit...)
	// Signed by SendGrid (webhooks.go).
	webhookLimit := rateLimit(s.cfg.WebhookRateLimit, s.cfg.WebhookRateBurst, perIP, "from this address")
	s.add(e, mPost, "/webhooks/sendgrid", accessPublic, s.postSendGridWebhook, webhookLimit, middleware.BodyLimit(webhookBodyLimit))
	if s.cfg.Dev && s.emailing.Outbox != nil {
		s.add(e, mGet, "/dev/outbox", accessPublic, s.getOutbox)
		s.add(e, mGet, "/dev/outbox/:file", accessPublic, s.getOutboxMessage)
	}

	s.add(e, mGet, "/*", accessPublic, s.getSiteFile)
}

// isHead reports whether the request is a HEAD (routes registered with
// getHead answer both).
func isHead(r *http.Request) bool { return r.Method == http.MethodHead }
