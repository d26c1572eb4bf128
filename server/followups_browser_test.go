package server

import (
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"heed/emails"
)

// TestWidgetFollowUpsInBrowser: in headless Chromium, the widget asks a 3
// the detractors' question with their reasons, an 8 the standard question
// with the top-level reason, and a 10 the promoters' question with theirs;
// the promoter's pick is stored.
func TestWidgetFollowUpsInBrowser(t *testing.T) {
	needBrowser(t)
	ts := newTestServer(t, "heed_test_server_widget_groups")
	var surveyID string
	host := hostSite(t, ts.url, &surveyID)
	surveyID = ts.createSurvey(t, strings.Replace(groupsSurvey, `"language":"en",`, `"language":"en","allowed_origins":["`+host.URL+`"],`, 1))
	ctx := newBrowser(t)

	tests := []struct {
		score    int
		question string
		reasons  string // the checkboxes' values, in order
	}{
		{3, "What went wrong?", "rude_service,price"},
		{8, "What is the main reason for your score?", "other"},
		{10, "What did you like most?", "helpful_staff,quality"},
	}
	for _, tt := range tests {
		// A fresh visit: forget the answer this browser gave before.
		freshVisit(t, ctx, host.URL+"/")
		waitWidget(t, ctx)
		time.Sleep(1100 * time.Millisecond) // a person reads first (the bot check wants >= 1 s)
		if err := chromedp.Do(ctx, chromedp.Evaluate[chromedp.Void](inWidget(fmt.Sprintf(`root.querySelector('button[data-score="%d"]').click()`, tt.score)))); err != nil {
			t.Fatal(err)
		}
		if _, err := chromedp.Run(ctx, chromedp.Poll[bool](inWidget(`!!root.querySelector('form textarea')`), chromedp.WithPollingTimeout(10*time.Second))); err != nil {
			t.Fatalf("score %d: no follow-up step: %v", tt.score, err)
		}
		if got := evalString(t, ctx, inWidget(`root.querySelector('#heed-title').textContent`)); got != tt.question {
			t.Errorf("score %d: question %q, want %q", tt.score, got, tt.question)
		}
		if got := evalString(t, ctx, inWidget(`[...root.querySelectorAll('input[name=reason]')].map(c => c.value).join(',')`)); got != tt.reasons {
			t.Errorf("score %d: reasons %q, want %q", tt.score, got, tt.reasons)
		}
		saveScreenshot(t, ctx, fmt.Sprintf("widget-follow-up-%d.png", tt.score))
	}

	// The promoter (the last score) picks a reason of theirs and sends.
	if err := chromedp.Do(ctx,
		chromedp.Evaluate[chromedp.Void](inWidget(`root.querySelector('input[value="helpful_staff"]').click()`)),
		chromedp.Evaluate[chromedp.Void](inWidget(`root.querySelector('button[type=submit]').click()`)),
	); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		var promoter map[string]any
		for _, a := range ts.answers(t, surveyID) {
			if a["score"] == 10.0 {
				promoter = a
			}
		}
		if promoter != nil && fmt.Sprint(promoter["reasons"]) == "[helpful_staff]" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the promoter's reason was not stored: %v", ts.answers(t, surveyID))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestEmailFollowUpsInBrowser: a survey email opened from the outbox; a
// click on 10 opens the answer page with the promoters' question and
// reasons only, and the pick is stored.
func TestEmailFollowUpsInBrowser(t *testing.T) {
	needBrowser(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	ts := newServerWith(t, "heed_test_server_email_groups", func(c *testConfig) {
		c.Listener, c.Server.Dev = ln, true
		c.Email.PublicURL, c.Email.SigningKeys = base, "t1:0123456789abcdef0123456789abcdef"
	})
	id := ts.createSurvey(t, groupsSurvey)
	ts.admin(t, "POST", "/api/v1/contacts", `[{"email":"fan@example.com","name":"Fan"}]`)
	if r := ts.admin(t, "POST", "/api/v1/surveys/"+id+"/sends", `{"all":true}`); r.status != 202 {
		t.Fatalf("send: %d %s", r.status, r.body)
	}
	var msgs []emails.OutboxMessage
	deadline := time.Now().Add(15 * time.Second)
	for len(msgs) < 1 && time.Now().Before(deadline) {
		msgs, _ = ts.emailing.Outbox.List()
		time.Sleep(50 * time.Millisecond)
	}
	if len(msgs) != 1 {
		t.Fatalf("outbox = %+v", msgs)
	}

	ctx := newBrowser(t)
	if err := chromedp.Do(ctx, chromedp.Navigate(base+"/dev/outbox/"+msgs[0].File)); err != nil {
		t.Fatal(err)
	}
	pageHas(t, ctx, `a[href*="?s=10"]`)
	if err := chromedp.Do(ctx, chromedp.Evaluate[chromedp.Void](`(() => { const a = document.querySelector('a[href*="?s=10"]'); a.removeAttribute('target'); a.click(); })()`)); err != nil {
		t.Fatal(err)
	}
	pageHas(t, ctx, `input[name=reasons][value=helpful_staff]`)
	if got := evalString(t, ctx, `document.querySelector('.answer-reasons legend').textContent`); got != "What did you like most?" {
		t.Errorf("legend = %q", got)
	}
	if got := evalString(t, ctx, `[...document.querySelectorAll('input[name=reasons]')].map(c => c.value).join(',')`); got != "helpful_staff,quality" {
		t.Errorf("reasons offered = %q, want only the promoters'", got)
	}
	saveScreenshot(t, ctx, "email-answer-page-promoter.png")
	// The page's script confirms the score first.
	ts.waitAnswer(t, id, func(a map[string]any) bool { return a["confirmed"] == true && a["score"] == 10.0 })
	if err := chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(`input[name=reasons][value=helpful_staff]`)),
		chromedp.Click(chromedp.CSS(`form.answer-form button[type=submit]`)),
	); err != nil {
		t.Fatal(err)
	}
	pageHas(t, ctx, `main:not([data-confirm-url])`) // the thank-you page
	if got := evalString(t, ctx, `document.body.innerText`); !strings.Contains(got, "Thank you") {
		t.Errorf("after sending: %q", got)
	}
	ts.waitAnswer(t, id, func(a map[string]any) bool {
		return a["score"] == 10.0 && a["confirmed"] == true && fmt.Sprint(a["reasons"]) == "[helpful_staff]"
	})
}

// TestDashboardFollowUpsInBrowser: the dashboard shows a detractor reason
// as a share of detractors and a promoter reason as a share of promoters.
func TestDashboardFollowUpsInBrowser(t *testing.T) {
	needBrowser(t)
	ts := newFakeServer(t, nil)
	id := ts.createSurvey(t, groupsSurvey)
	ts.respond(t, id, `{"score":3,"reasons":["rude_service"]}`)
	ts.respond(t, id, `{"score":10,"reasons":["helpful_staff"]}`)
	ts.respond(t, id, `{"score":9}`)
	ts.waitReport(t, "/api/v1/surveys/"+id+"/report", 3)

	ctx := newBrowser(t)
	if err := chromedp.Do(ctx, chromedp.Navigate(ts.url+"/dashboard.html#key="+testKey)); err != nil {
		t.Fatal(err)
	}
	bar := func(label string) string {
		return `[...document.querySelectorAll('#dash-reasons .dash-bar')].map(b => b.textContent).find(s => s.startsWith(` + "'" + label + "'" + `)) || ''`
	}
	want := map[string]string{
		"Rude or unhelpful service": "100% of detractors (1 of 1)",
		"Helpful staff":             "50% of promoters (1 of 2)",
		"Quality":                   "0% of promoters",
	}
	for label, text := range want {
		_, err := chromedp.Run(ctx, chromedp.Poll[string](`(() => { const s = `+bar(label)+`; return s.includes(`+"'"+text+"'"+`) ? s : null; })()`,
			chromedp.WithPollingTimeout(15*time.Second)))
		if err != nil {
			t.Errorf("%s: the bar never said %q (%v); reasons: %q", label, text, err, evalString(t, ctx, `(document.getElementById('dash-reasons') || {}).textContent || ''`))
		}
	}
	if got := evalString(t, ctx, `document.querySelector('.dash-reasons-lead').textContent`); got != "1 detractor, 2 promoters in this range." {
		t.Errorf("lead = %q", got)
	}
	saveScreenshot(t, ctx, "dashboard-groups.png")
}
