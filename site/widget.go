package site

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"

	"github.com/evanw/esbuild/pkg/api"
)

//go:embed widget/*.js
var widgetSources embed.FS

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

func bundle(name string, define map[string]string) ([]byte, error) {
	src, err := widgetSources.ReadFile(name)
	if err != nil {
		return nil, err
	}
	res := api.Build(api.BuildOptions{
		Stdin:             &api.StdinOptions{Contents: string(src), Sourcefile: name, Loader: api.LoaderJS},
		Bundle:            true,
		Write:             false,
		Format:            api.FormatIIFE,
		Target:            api.ES2018,
		MinifyWhitespace:  true,
		MinifyIdentifiers: true,
		MinifySyntax:      true,
		LegalComments:     api.LegalCommentsNone,
		Charset:           api.CharsetUTF8,
		Define:            define,
	})
	if len(res.Errors) > 0 {
		var msgs []string
		for _, m := range res.Errors {
			msgs = append(msgs, m.Text)
		}
		return nil, fmt.Errorf("bundle %s: %s", name, strings.Join(msgs, "; "))
	}
	if len(res.OutputFiles) != 1 {
		return nil, fmt.Errorf("bundle %s: %d output files", name, len(res.OutputFiles))
	}
	return res.OutputFiles[0].Contents, nil
}
