package server

import (
	"html/template"
	"net/http"
	"os"

	"github.com/labstack/echo/v4"
)

// The outbox pages (dev mode without a SendGrid key): read the emails Heed
// would have sent, and click their links.

var outboxList = template.Must(template.New("outbox").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Outbox</title><link rel="stylesheet" href="/style.css"></head>
<body class="answer-page"><main id="main" class="answer"><h1>Outbox</h1>
<p>Emails Heed would have sent through SendGrid (no <code>SENDGRID_API_KEY</code> is set). Newest first.</p>
{{if not .}}<p>Nothing yet. Send a survey: <code>POST /api/v1/surveys/demo/sends</code> or <code>heed send --survey demo</code>.</p>{{end}}
<ul>{{range .}}<li><a href="/dev/outbox/{{.File}}">{{.Subject}}</a> to {{.To}} <small>{{.At.Format "2006-01-02 15:04:05"}}</small></li>{{end}}</ul>
</main></body></html>`))

// getOutbox handles GET /dev/outbox.
func (s *Server) getOutbox(c echo.Context) error {
	msgs, err := s.emailing.Outbox.List()
	if err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	c.Response().WriteHeader(http.StatusOK)
	return outboxList.Execute(c.Response(), msgs)
}

// getOutboxMessage handles GET /dev/outbox/:file: the email's HTML as the
// recipient would see it, inline images included (?format=text for the
// text part).
func (s *Server) getOutboxMessage(c echo.Context) error {
	m, err := s.emailing.Outbox.Get(c.Param("file"))
	if os.IsNotExist(err) {
		return newError(http.StatusNotFound, "no such message")
	}
	if err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	if c.QueryParam("format") == "text" {
		return c.String(http.StatusOK, m.Text)
	}
	return c.HTML(http.StatusOK, m.InlineHTML())
}
