package server

import (
	"strings"

	"github.com/labstack/echo/v4"
)

// responseHeaders sets what every answer carries, whichever route or error
// wrote it: nosniff (no body is ever read as another type); on API answers
// no caching (reports, CSVs and people's data stay out of shared caches;
// a handler that may be cached says so itself); and on the link pages
// (/r/, /u/: the token in the URL is a person's) and the dev outbox no
// caching and no Referer, so the token leaves in neither. HTML
// pages set their own frame-ancestors and X-Frame-Options (setPageHeaders,
// getSiteFile); the widget's files must load on other sites and are
// scripts, not frames.
func responseHeaders(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		h := c.Response().Header()
		h.Set("X-Content-Type-Options", "nosniff")
		p := c.Request().URL.Path
		if strings.HasPrefix(p, "/api/") {
			h.Set("Cache-Control", "no-store")
		}
		if strings.HasPrefix(p, "/r/") || strings.HasPrefix(p, "/u/") || strings.HasPrefix(p, "/dev/") {
			h.Set("Cache-Control", "no-store")
			h.Set("Referrer-Policy", "no-referrer")
			h.Set("X-Frame-Options", "DENY")
		}
		return next(c)
	}
}

// setEmailPreviewHeaders marks an email shown as HTML on Heed's own origin
// (the survey email, the digest): no script may run in it, no site may
// frame it. Its images are inline (data:), on https hosts (a logo), or
// Heed's own (the digest's chart).
func setEmailPreviewHeaders(c echo.Context) {
	h := c.Response().Header()
	h.Set("Content-Security-Policy", "default-src 'none'; img-src 'self' data: https:; style-src 'unsafe-inline'; frame-ancestors 'none'")
	h.Set("X-Frame-Options", "DENY")
}
