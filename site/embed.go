// Package site is Heed's static site, embedded in the binary: the pages of
// public/ (landing page, docs, dashboard page), the pages reached from
// survey emails (pages/), the widget and the dashboard's scripts, bundled
// at start (bundle.go), and the demo customer page (demo/).
package site

import (
	"embed"
	"io/fs"
)

//go:embed public
var files embed.FS

// Files returns the site's files, rooted at public/.
func Files() fs.FS {
	sub, err := fs.Sub(files, "public")
	if err != nil {
		panic(err) // public/ is embedded at build time
	}
	return sub
}
