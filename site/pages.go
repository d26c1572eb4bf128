package site

import (
	"embed"
	"html/template"
)

//go:embed pages/*.html
var pageFiles embed.FS

// Pages are the server-rendered pages reached from survey emails: the
// answer page (answer.html) and short messages such as "unsubscribed" or
// "this link has expired" (message.html).
var Pages = template.Must(template.ParseFS(pageFiles, "pages/*.html"))
