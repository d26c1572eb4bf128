package server

import (
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"

	"github.com/labstack/echo/v4"

	"heed/site"
)

// siteFile is one embedded file, read once at start with its ETag.
type siteFile struct {
	body         []byte
	etag         string
	contentType  string
	cacheControl string
}

// Cache policies: pages revalidate on every use; the widget loader (a
// fixed URL on customers' pages) may be reused for five minutes; hashed
// files never change.
const (
	cacheRevalidate = "no-cache"
	cacheLoader     = "public, max-age=300"
	cacheImmutable  = "public, max-age=31536000, immutable"
	cacheIcon       = "public, max-age=86400"
)

func newSiteFile(body []byte, contentType, cacheControl string) siteFile {
	sum := sha256.Sum256(body)
	return siteFile{body: body, etag: `"` + hex.EncodeToString(sum[:12]) + `"`, contentType: contentType, cacheControl: cacheControl}
}

type siteFiles map[string]siteFile

// newSiteFiles loads the embedded site into memory (it is small, and the
// content hash gives each file a strong ETag) and builds the widget and the
// dashboard script.
func newSiteFiles() (*siteFiles, error) {
	files := siteFiles{}
	w, err := site.BuildWidget()
	if err != nil {
		return nil, err
	}
	const js = "text/javascript; charset=utf-8"
	files["/widget.js"] = newSiteFile(w.Loader, js, cacheLoader)
	files[w.UIPath] = newSiteFile(w.UI, js, cacheImmutable)
	dash, err := site.BuildDashboard()
	if err != nil {
		return nil, err
	}
	files["/dashboard.js"] = newSiteFile(dash, js, cacheRevalidate)
	root := site.Files()
	err = fs.WalkDir(root, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		body, err := fs.ReadFile(root, p)
		if err != nil {
			return err
		}
		ct := mime.TypeByExtension(path.Ext(p))
		if ct == "" {
			ct = http.DetectContentType(body)
		}
		cache := cacheRevalidate
		if p == "favicon.svg" {
			cache = cacheIcon
		}
		files["/"+p] = newSiteFile(body, ct, cache)
		return nil
	})
	return &files, err
}

// getSiteFile serves the embedded site and the widget, with an ETag and
// the file's cache policy.
func (s *Server) getSiteFile(c echo.Context) error {
	p := path.Clean("/" + c.Param("*"))
	if p == "/" {
		p = "/index.html"
	}
	if p == "/favicon.ico" {
		// Browsers ask for it on pages without <link rel="icon"> (emails
		// opened from the outbox, JSON responses): the SVG icon answers.
		c.Response().Header().Set("Cache-Control", cacheIcon)
		return c.Redirect(http.StatusMovedPermanently, "/favicon.svg")
	}
	f, ok := (*s.site)[p]
	if !ok {
		f, ok = (*s.site)[p+".html"] // /docs -> /docs.html
	}
	if !ok {
		if allow := s.otherMethods(c); allow != "" {
			c.Response().Header().Set(echo.HeaderAllow, allow)
			return newError(http.StatusMethodNotAllowed, "%s is not allowed on this route; it takes %s", c.Request().Method, allow)
		}
		return newError(http.StatusNotFound, "no such page: %s", shown(p))
	}
	h := c.Response().Header()
	h.Set("ETag", f.etag)
	h.Set("Cache-Control", f.cacheControl)
	h.Set("X-Content-Type-Options", "nosniff")
	if strings.HasPrefix(f.contentType, "text/javascript") {
		// Customers' pages load the widget from another origin, some with
		// Cross-Origin-Embedder-Policy.
		h.Set("Cross-Origin-Resource-Policy", "cross-origin")
	}
	if strings.HasPrefix(f.contentType, "text/html") {
		h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "strict-origin-when-cross-origin")
	}
	if match := c.Request().Header.Get("If-None-Match"); match != "" && strings.Contains(match, f.etag) {
		return c.NoContent(http.StatusNotModified)
	}
	if isHead(c.Request()) {
		h.Set(echo.HeaderContentType, f.contentType)
		return c.NoContent(http.StatusOK)
	}
	return c.Blob(http.StatusOK, f.contentType, f.body)
}

// otherMethods returns the Allow header of the route the request's path
// names when that route does not take its method ("" when the path names
// no route but the site's). A GET or HEAD of a POST-only route lands here,
// on the catch-all: Echo falls back to it rather than answering 405. The
// router is asked with a method no route registers, so it returns the
// route matching the path with Echo's own precedence, and its methods.
func (s *Server) otherMethods(c echo.Context) string {
	probe := s.echo.NewContext(c.Request(), nil)
	s.echo.Router().Find("HEED-PROBE", echo.GetPath(c.Request()), probe)
	if probe.Path() == "/*" || probe.Path() == "" {
		return ""
	}
	allow, _ := probe.Get(echo.ContextKeyHeaderAllow).(string)
	return allow
}
