package site

import (
	"strings"
	"testing"
)

// TestDashboardBundle: the dashboard's modules bundle from the embedded
// sources into one strict script that a strict CSP allows.
func TestDashboardBundle(t *testing.T) {
	js, err := BuildDashboard()
	if err != nil {
		t.Fatal(err)
	}
	if len(js) == 0 {
		t.Fatal("the dashboard bundle is empty")
	}
	t.Logf("dashboard: %d B minified, %d B gzip", len(js), gzipSize(t, js))
	code := string(js)
	for _, banned := range []string{"eval(", "new Function", "innerHTML"} {
		if strings.Contains(code, banned) {
			t.Errorf("the dashboard uses %s (breaks strict CSP or risks injection)", banned)
		}
	}
	// Every module made it in: a few of each one's texts.
	for _, want := range []string{
		`"use strict"`,          // main.js keeps the classic script strict
		"heed.adminKey",         // state.js
		"dash-status-busy",      // dom.js
		"Week starting",         // format.js
		"Bearer ",               // api.js
		"Wrong or revoked key.", // session.js
		"Loading the report",    // load.js
		"Top reason over time",  // views.js
		"dash-chart-band",       // chart.js
		"Download CSV",          // load.js
		"Checking the key",      // load.js
		"X-CSRF-Token",          // api.js: a session's token
		"/api/v1/sign-in/link",  // signin.js
		"/api/v1/me",            // load.js
		"dash-team-table",       // team.js
		"dash-keys-table",       // keys.js
		"dash-audit-table",      // audit.js
		"/api/v1/me/password",   // account.js
		"aria-current",          // nav.js
	} {
		if !strings.Contains(code, want) {
			t.Errorf("the dashboard bundle lacks %q", want)
		}
	}
}

// TestBundleOnlyEmbedded: imports resolve only to embedded files.
func TestBundleOnlyEmbedded(t *testing.T) {
	for _, entry := range []string{"dashboard/missing.js", "../go.mod"} {
		if _, err := bundle(entry, nil); err == nil {
			t.Errorf("bundle(%q) did not fail", entry)
		}
	}
}
