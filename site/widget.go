package site

import (
	"crypto/sha256"
	"encoding/hex"
	"strconv"
)

// Widget is the website widget, minified: a small loader every page pays
// for, and the UI, fetched only when a survey is due, under a content-hashed
// path so it can be cached for a year.
type Widget struct {
	Loader []byte
	UI     []byte
	UIPath string // e.g. /w/ui.3f2a1b9c0d4e.js
}

// BuildWidget bundles and minifies the widget with esbuild's Go API, so
// neither building nor running Heed needs Node. It takes milliseconds and
// runs once at start.
func BuildWidget() (*Widget, error) {
	ui, err := bundle("widget/ui.js", nil)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(ui)
	w := &Widget{UI: ui, UIPath: "/w/ui." + hex.EncodeToString(sum[:6]) + ".js"}
	w.Loader, err = bundle("widget/loader.js", map[string]string{"__HEED_UI_PATH__": strconv.Quote(w.UIPath)})
	if err != nil {
		return nil, err
	}
	return w, nil
}
