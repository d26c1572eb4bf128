package server

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"heed/analytics"
)

// TestCasesInBrowser: the alert email's link opens the dashboard on the
// case of a detractor answer, open, with the person's email; the manager
// assigns it, adds a note and closes it, and it moves to Closed with its
// time to close.
func TestCasesInBrowser(t *testing.T) {
	needBrowser(t)
	ts := newTestServer(t, "heed_test_server_cases_browser")
	sv := ts.createSurvey(t, shopSurvey)
	ann := analytics.ContactID("ann@example.com")
	if err := ts.Server.store.UpsertContacts(context.Background(), []analytics.Contact{{ContactID: ann, Email: "ann@example.com", Name: "Ann"}}); err != nil {
		t.Fatal(err)
	}
	ts.respond(t, sv, `{"score":9}`)
	other := ts.respond(t, sv, `{"score":5,"comment":"Slow delivery"}`)
	id := ts.recordEmailAnswer(t, sv, ann, 2, []string{"rude_service"}, "The clerk was rude")
	ts.waitReport(t, "/api/v1/surveys/"+sv+"/report", 3)

	ctx := newBrowser(t)
	if err := chromedp.Do(ctx, chromedp.Navigate(ts.url+"/dashboard.html?survey="+sv+"&case="+id+"#key="+testKey)); err != nil {
		t.Fatal(err)
	}
	wait := func(expr, what string) {
		t.Helper()
		deadline := time.Now().Add(15 * time.Second)
		for time.Now().Before(deadline) {
			if evalString(t, ctx, `String(`+expr+`)`) == "true" {
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
		t.Fatalf("never: %s; cases: %q; status %q", what, evalString(t, ctx, `(document.getElementById('dash-cases-section') || {}).textContent || ''`),
			evalString(t, ctx, `document.getElementById('dash-status').textContent`))
	}
	item := `document.querySelector('#dash-case-list li[data-case="` + id + `"]')`
	click := func(selector string) {
		t.Helper()
		if err := chromedp.Do(ctx, chromedp.Evaluate[chromedp.Void](item+`.querySelector('`+selector+`').click()`)); err != nil {
			t.Fatal(err)
		}
	}
	// The link's case: open, shown with its details, the person's email.
	wait(`!!`+item+` && `+item+`.querySelector('details').open && `+item+`.querySelector('.dash-case-assignee-input') !== null`, "the linked case opened")
	wait(`document.querySelectorAll('#dash-case-list li').length === 2 && document.getElementById('dash-cases-tab-open').textContent === 'Open (2)'`, "two open cases")
	text := evalString(t, ctx, item+`.textContent`)
	for _, want := range []string{"The clerk was rude", "Ann <ann@example.com>", "open for", "Nobody assigned", "Rude or unhelpful service"} {
		if !strings.Contains(text, want) {
			t.Errorf("the open case lacks %q: %q", want, text)
		}
	}
	// Assign.
	if err := chromedp.Do(ctx, chromedp.SetValue(chromedp.CSS(`#dash-case-list li[data-case="`+id+`"] .dash-case-assignee-input`), "Cid")); err != nil {
		t.Fatal(err)
	}
	click(".dash-case-assign")
	wait(`!!`+item+` && `+item+`.textContent.includes('Assigned to Cid') && !!`+item+`.querySelector('.dash-case-note-input')`, "assigned to Cid")
	// A note.
	if err := chromedp.Do(ctx, chromedp.SetValue(chromedp.CSS(`#dash-case-list li[data-case="`+id+`"] .dash-case-note-input`), "called back, refund given")); err != nil {
		t.Fatal(err)
	}
	click(".dash-case-add-note")
	wait(`!!`+item+` && `+item+`.textContent.includes('1 note') && `+item+`.textContent.includes('called back, refund given') && !!`+item+`.querySelector('.dash-case-close')`, "the note shown")
	// Close: it moves to Closed, with its time to close.
	click(".dash-case-close")
	wait(`document.getElementById('dash-cases-tab-closed').getAttribute('aria-selected') === 'true' && !!`+item+` && `+item+`.getAttribute('data-status') === 'closed'`, "the case in Closed")
	wait(`document.getElementById('dash-cases-tab-closed').textContent === 'Closed (1)' && document.getElementById('dash-cases-tab-open').textContent === 'Open (1)'`, "the counts moved")
	wait(item+`.textContent.includes('closed in') && document.getElementById('dash-cases-median').textContent.includes('Median time to close')`, "the time to close")
	wait(item+`.textContent.includes('by bootstrap')`, "who closed it")
	saveElementScreenshot(t, ctx, "#dash-cases-section", "dashboard-cases.png")
	// Stored as shown.
	r := ts.admin(t, "GET", "/api/v1/surveys/"+sv+"/cases/"+id, "")
	got := r.json(t)
	if got["status"] != "closed" || got["assignee"] != "Cid" || got["closed_by"] != "bootstrap" || got["notes_count"].(float64) != 1 {
		t.Errorf("stored case: %s", r.body)
	}
	// The Open tab still has the other case.
	if err := chromedp.Do(ctx, chromedp.Evaluate[chromedp.Void](`document.getElementById('dash-cases-tab-open').click()`)); err != nil {
		t.Fatal(err)
	}
	wait(`!!document.querySelector('#dash-case-list li[data-case="`+other+`"]') && document.querySelectorAll('#dash-case-list li').length === 1`, "the other case open")
}
