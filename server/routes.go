package server

import (
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
)

// publicBodyLimit bounds what anyone on the internet may send.
const publicBodyLimit = "64KiB" // binary units, as the docs say (gommon reads "64K" as 64,000)

// getHead: every GET route answers HEAD too (net/http drops the body).
var getHead = []string{http.MethodGet, http.MethodHead}

// routes registers every route of Heed.
func (s *Server) routes(e *echo.Echo) {
	e.Use(middleware.Recover())

	e.Match(getHead, "/healthz", s.getHealth)
	e.Match(getHead, "/readyz", s.getReady)

	publicLimit := middleware.BodyLimit(publicBodyLimit)
	ipLimit := rateLimit(s.cfg.RateLimit, s.cfg.RateBurst, perIP, "from this address")
	surveyLimit := rateLimit(s.cfg.SurveyRateLimit, s.cfg.SurveyRateBurst, s.perSurvey, "for this survey")
	public := []echo.MiddlewareFunc{ipLimit, surveyLimit, publicLimit}
	admin := s.requireAdmin
	adminLimit := middleware.BodyLimit("1MiB")

	// (Not as the group's middleware: in Echo v4 that adds catch-all routes
	// to the group, which turn a wrong method's 405 into a 404.)
	e.Use(apiHeaders)
	api := e.Group("/api/v1")
	api.POST("/surveys", s.createSurvey, admin, adminLimit)
	api.Match(getHead, "/surveys", s.listSurveys, admin)
	api.Match(getHead, "/surveys/:id", s.getSurvey, admin)
	api.PATCH("/surveys/:id", s.updateSurvey, admin, adminLimit)
	api.DELETE("/surveys/:id", s.deleteSurvey, admin)
	api.POST("/surveys/:id/archive", s.archiveSurvey, admin)
	api.POST("/surveys/:id/unarchive", s.unarchiveSurvey, admin)
	api.Match(getHead, "/surveys/:id/versions", s.getSurveyVersions, admin)
	api.Match(getHead, "/surveys/:id/report", s.getReport, admin)
	api.Match(getHead, "/surveys/:id/report.csv", s.getReportCSV, admin)
	api.Match(getHead, "/surveys/:id/compare", s.compare, admin)
	api.Match(getHead, "/surveys/:id/response-rates", s.getResponseRates, admin)
	api.Match(getHead, "/surveys/:id/segments", s.getSegmentKeys, admin)
	api.Match(getHead, "/surveys/:id/responses", s.listAnswers, admin)
	api.Match(getHead, "/surveys/:id/responses.csv", s.getResponsesCSV, admin)
	// Cases: following up on detractor answers.
	api.Match(getHead, "/surveys/:id/cases", s.listCases, admin)
	api.Match(getHead, "/surveys/:id/cases/:response_id", s.getCase, admin)
	api.PATCH("/surveys/:id/cases/:response_id", s.patchCase, admin, middleware.BodyLimit("64KiB"))

	// Public: answers and the website widget (CORS by allowed_origins).
	api.POST("/surveys/:id/responses", s.createResponse, public...)
	api.POST("/surveys/:id/dismissals", s.createDismissal, public...)
	api.Match(getHead, "/surveys/:id/widget", s.getWidgetConfig, ipLimit)
	api.Match(getHead, "/surveys/:id/eligibility", s.getEligibility, public...)
	for _, p := range []string{"/surveys/:id/responses", "/surveys/:id/dismissals", "/surveys/:id/widget", "/surveys/:id/eligibility"} {
		api.OPTIONS(p, s.preflight, ipLimit)
	}

	// Email: contacts, sends, and the links in survey emails.
	api.POST("/contacts", s.createContacts, admin, middleware.BodyLimit("8MiB"))
	api.POST("/contacts.csv", s.importContactsCSV, admin, middleware.BodyLimit(contactsCSVLimit))
	api.Match(getHead, "/contacts", s.listContacts, admin)
	api.Match(getHead, "/contacts/:id", s.getContact, admin)
	api.POST("/contacts/:id/suppress", s.suppressContact, admin)
	api.POST("/contacts/:id/unsuppress", s.unsuppressContact, admin)
	// People: forget one (every table), or export what Heed holds on them.
	api.DELETE("/people/:id", s.forgetPerson, admin)
	api.Match(getHead, "/people/:id/export", s.exportPerson, admin)
	api.POST("/surveys/:id/sends", s.createSend, admin, adminLimit)
	api.Match(getHead, "/sends/:id", s.getSend, admin)
	api.Match(getHead, "/surveys/:id/email-preview", s.getEmailPreview, admin)
	// Churn: the customers who left, linked to their last answers.
	api.POST("/churn", s.createChurn, admin, middleware.BodyLimit(churnBodyLimit))
	api.DELETE("/churn/:customer", s.deleteChurn, admin)
	api.Match(getHead, "/surveys/:id/churn", s.getChurnReport, admin)
	api.Match(getHead, "/surveys/:id/churn.csv", s.getChurnCSV, admin)
	api.Match(getHead, "/surveys/:id/digest/preview", s.getDigestPreview, admin)
	api.Match(getHead, "/surveys/:id/digest/chart.png", s.getDigestChart, admin)
	api.POST("/surveys/:id/digest/send", s.sendDigest, admin, adminLimit)
	linkLimit := []echo.MiddlewareFunc{ipLimit, publicLimit}
	e.Match(getHead, "/r/:token", s.getLink, linkLimit...)
	e.POST("/r/:token", s.postLink, linkLimit...)
	e.POST("/r/:token/confirm", s.confirmLink, linkLimit...)
	e.Match(getHead, "/r/:token/thanks", s.getThanks, linkLimit...)
	e.Match(getHead, "/u/:token", s.getUnsubscribe, linkLimit...)
	e.POST("/u/:token", s.postUnsubscribe, linkLimit...)
	e.POST("/webhooks/sendgrid", s.postSendGridWebhook, middleware.BodyLimit("5MiB"))
	if s.cfg.Dev && s.emailing.Outbox != nil {
		e.Match(getHead, "/dev/outbox", s.getOutbox)
		e.Match(getHead, "/dev/outbox/:file", s.getOutboxMessage)
	}

	e.Match(getHead, "/*", s.getSiteFile)
}

// isHead reports whether the request is a HEAD (routes registered with
// getHead answer both).
func isHead(r *http.Request) bool { return r.Method == http.MethodHead }

// apiHeaders marks every API answer as not to be cached (reports, CSVs
// and people's data stay out of shared caches; a handler that may be
// cached says so itself) and not to be sniffed as another type.
func apiHeaders(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if strings.HasPrefix(c.Request().URL.Path, "/api/") {
			h := c.Response().Header()
			h.Set("Cache-Control", "no-store")
			h.Set("X-Content-Type-Options", "nosniff")
		}
		return next(c)
	}
}
