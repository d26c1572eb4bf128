// Package site is Heed's static site (landing page, docs, and later the
// answer page, widget and dashboard), embedded in the binary.
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
