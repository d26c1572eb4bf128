package site

import (
	"bytes"
	"compress/gzip"
	"strings"
	"testing"
)

// Size budgets, in gzipped bytes: every host page pays for the loader.
const (
	loaderBudget = 2048
	uiBudget     = 8192
)

func gzipSize(t *testing.T, b []byte) int {
	t.Helper()
	var buf bytes.Buffer
	w, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	w.Write(b)
	w.Close()
	return buf.Len()
}

func TestWidgetSize(t *testing.T) {
	w, err := BuildWidget()
	if err != nil {
		t.Fatal(err)
	}
	loader, ui := gzipSize(t, w.Loader), gzipSize(t, w.UI)
	// Printed for the closing note: bytes are deterministic, not a timing.
	t.Logf("widget sizes: loader %d B minified, %d B gzip (budget %d); UI %d B minified, %d B gzip (budget %d)",
		len(w.Loader), loader, loaderBudget, len(w.UI), ui, uiBudget)
	if loader > loaderBudget {
		t.Errorf("loader is %d bytes gzipped, over its %d budget", loader, loaderBudget)
	}
	if ui > uiBudget {
		t.Errorf("UI is %d bytes gzipped, over its %d budget", ui, uiBudget)
	}
	if !strings.Contains(string(w.Loader), w.UIPath) || strings.Contains(string(w.Loader), "__HEED_UI_PATH__") {
		t.Error("the loader does not carry the hashed UI path")
	}
	for name, code := range map[string][]byte{"loader": w.Loader, "ui": w.UI} {
		for _, banned := range []string{"eval(", "new Function", "innerHTML"} {
			if strings.Contains(string(code), banned) {
				t.Errorf("%s uses %s (breaks strict CSP or risks injection)", name, banned)
			}
		}
	}
}
