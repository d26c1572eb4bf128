package server

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestDashboardInBrowser: a manager opens the dashboard with the admin key
// and sees the NPS, the reason detractors cite, and their comments.
func TestDashboardInBrowser(t *testing.T) {
	ts := newTestServer(t, "heed_test_server_dashboard")
	id := ts.createSurvey(t, shopSurvey)
	ts.respond(t, id, `{"score":10}`)
	ts.respond(t, id, `{"score":9}`)
	ts.respond(t, id, `{"score":3,"reasons":["rude_service"],"comment":"The clerk was rude to me"}`)
	ts.waitReport(t, "/api/v1/surveys/"+id+"/report", 3)

	ctx := newBrowser(t)
	// #key= signs in once; the page drops it from the address at once.
	if err := chromedp.Do(ctx, chromedp.Navigate(ts.url+"/dashboard.html#key="+testKey)); err != nil {
		t.Fatal(err)
	}
	waitText := func(selector, want string) string {
		t.Helper()
		deadline := time.Now().Add(15 * time.Second)
		var got string
		for time.Now().Before(deadline) {
			got, _ = chromedp.Run(ctx, chromedp.Evaluate[string](`(document.querySelector('`+selector+`') || {}).textContent || ''`))
			if strings.Contains(got, want) {
				return got
			}
			time.Sleep(100 * time.Millisecond)
		}
		t.Fatalf("%s never showed %q; it shows %q; status: %q", selector, want, got,
			evalString(t, ctx, `(document.getElementById('dash-status') || {}).textContent || ''`))
		return ""
	}
	waitText("#dash-total", "33.3")
	waitText("#dash-reasons", "Rude or unhelpful service")
	waitText("#dash-reasons", "100")
	waitText("#dash-comments", "The clerk was rude to me")
	if evalString(t, ctx, `String(!!document.querySelector('#dash-chart svg, svg#dash-chart'))`) != "true" {
		t.Error("no trend chart")
	}
	if strings.Contains(evalString(t, ctx, `location.href`), testKey) {
		t.Error("the admin key stays in the address bar")
	}
	saveScreenshot(t, ctx, "dashboard.png")

	// A wrong key is told, not a blank page.
	if err := chromedp.Do(ctx, chromedp.Evaluate[chromedp.Void](`sessionStorage.clear()`), chromedp.Navigate(ts.url+"/dashboard.html#key=wrong-key-0000000000")); err != nil {
		t.Fatal(err)
	}
	waitText("#dash-status", "key")
}
