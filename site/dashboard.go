package site

// BuildDashboard bundles and minifies the managers' dashboard, the ES
// modules under dashboard/ with main.js as the entry, into the one script
// dashboard.html loads as /dashboard.js. Like BuildWidget it uses esbuild's
// Go API, reads only the embedded sources, and runs once at start.
func BuildDashboard() ([]byte, error) {
	return bundle("dashboard/main.js", nil)
}
