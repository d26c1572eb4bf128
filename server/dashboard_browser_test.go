package server

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/google/uuid"

	"heed/analytics"
)

// TestDashboardInBrowser: a manager opens the dashboard with the admin key
// and sees the NPS, the reason detractors cite, and their comments.
func TestDashboardInBrowser(t *testing.T) {
	needBrowser(t)
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

// TestDashboardStatisticsInBrowser: three weeks of answers five to three
// weeks ago, steady then a real fall (NPS 45, 43, then -15, with rude
// service rising among detractors), and who of them left. The trend marks
// the fall and not the noise, the reason bar says rude service rose
// significantly, a segment can be picked and is in the address, the churn
// view shows who left by group and reason, and a person's answers open
// from their comment.
func TestDashboardStatisticsInBrowser(t *testing.T) {
	needBrowser(t)
	ts := newTestServer(t, "heed_test_server_dashstats")
	id := ts.createSurvey(t, shopSurvey)
	now := time.Now().UTC()
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	monday := today.AddDate(0, 0, -((int(today.Weekday()) + 6) % 7))
	var rows []analytics.Response
	n := 0
	add := func(week int, score uint8, count int, reasons ...string) {
		for i := 0; i < count; i++ {
			n++
			at := monday.AddDate(0, 0, 7*week).Add(time.Duration(n) * time.Minute)
			channel := []string{analytics.ChannelWidget, analytics.ChannelAPI}[n%2]
			rows = append(rows, analytics.Response{SurveyID: id, ResponseID: uuid.NewSHA1(uuid.Nil, []byte(fmt.Sprint(id, n))), CreatedAt: at,
				Version: uint64(at.UnixNano()), Score: score, Reasons: reasons, Channel: channel, Respondent: fmt.Sprintf("cust-%d", n),
				Properties: map[string]string{"plan": []string{"free", "pro"}[n%2]}})
		}
	}
	for _, w := range []struct{ week, p, pa, d, rude int }{{-5, 60, 25, 15, 3}, {-4, 58, 27, 15, 3}, {-3, 30, 25, 45, 30}} {
		add(w.week, 10, w.p)
		add(w.week, 8, w.pa)
		add(w.week, 2, w.rude, "rude_service")
		add(w.week, 4, w.d-w.rude, "price")
	}
	rows[len(rows)-1].Comment = "Nobody answered the phone"
	if err := ts.Server.store.InsertResponses(context.Background(), rows); err != nil {
		t.Fatal(err)
	}
	// Who left, three days after answering: the 36 detractors citing rude
	// service, and 4 promoters.
	var churn []analytics.Churn
	promoters := 0
	for _, r := range rows {
		rude := len(r.Reasons) == 1 && r.Reasons[0] == "rude_service"
		if rude || (r.Score == 10 && promoters < 4) {
			if !rude {
				promoters++
			}
			churn = append(churn, analytics.Churn{Customer: r.Respondent, ChurnedAt: r.CreatedAt.AddDate(0, 0, 3).Truncate(24 * time.Hour)})
		}
	}
	if err := ts.Server.store.UpsertChurn(context.Background(), churn); err != nil {
		t.Fatal(err)
	}
	// What heed serve's MaintainDays does within seconds: count the days
	// (the segment picker reads their property names).
	if _, err := ts.db.RefreshDays(context.Background()); err != nil {
		t.Fatal(err)
	}
	ctx := newBrowser(t)
	if err := chromedp.Do(ctx, chromedp.Navigate(ts.url+"/dashboard.html#key="+testKey)); err != nil {
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
		t.Fatalf("never: %s; status %q", what, evalString(t, ctx, `document.getElementById('dash-status').textContent`))
	}
	wait(`document.querySelectorAll('#dash-chart .dash-chart-point').length === 3`, "three weeks on the chart")
	fall := monday.AddDate(0, 0, -21).Format(time.DateOnly)
	marks := evalString(t, ctx, `[...document.querySelectorAll('#dash-chart .dash-chart-sig')].map((m) => m.getAttribute('data-start') + ':' + m.getAttribute('class')).join(',')`)
	if marks != fall+":dash-chart-sig dash-chart-sig-down" {
		t.Errorf("significance marks %q, want only the fall in the week of %s", marks, fall)
	}
	if got := evalString(t, ctx, `document.querySelector('#dash-table').textContent`); !strings.Contains(got, "within noise") || !strings.Contains(got, "significant at 95%") {
		t.Errorf("the table does not say which change is noise: %q", got)
	}
	if got := evalString(t, ctx, `document.querySelector('#dash-reasons').textContent`); !strings.Contains(got, "significant at 95%") || !strings.Contains(got, "of detractors (36 of 75)") {
		t.Errorf("reasons: %q", got)
	}
	// A segment: by plan, then the address holds it and a reload keeps it.
	wait(`[...document.querySelectorAll('#dash-group option')].some((o) => o.value === 'property:plan')`, "plan offered as a segment")
	if err := chromedp.Do(ctx, chromedp.SetValue(chromedp.CSS(`#dash-group`), "property:plan"),
		chromedp.Evaluate[chromedp.Void](`document.getElementById('dash-group').dispatchEvent(new Event('change'))`)); err != nil {
		t.Fatal(err)
	}
	wait(`!document.getElementById('dash-segments-section').hidden && document.querySelectorAll('#dash-segment-table tbody tr').length === 2`, "a row per plan")
	if !strings.Contains(evalString(t, ctx, `location.search`), "group=property%3Aplan") {
		t.Errorf("the segment is not in the address: %s", evalString(t, ctx, `location.href`))
	}
	// The churn view, with a 7-day window (closed for everyone: every
	// answer is three weeks old at least): 36 of 75 detractors left (48%),
	// 4 of 148 promoters (3%); rude service was the last word of 36 of the
	// 40 (90%).
	if err := chromedp.Do(ctx, chromedp.SetValue(chromedp.CSS(`#dash-churn-window`), "7"),
		chromedp.Evaluate[chromedp.Void](`document.getElementById('dash-churn-window').dispatchEvent(new Event('change'))`)); err != nil {
		t.Fatal(err)
	}
	wait(`!document.getElementById('dash-churn-section').hidden && document.getElementById('dash-churn').textContent.includes('left within 7 days')`, "the churn view")
	churnText := evalString(t, ctx, `document.getElementById('dash-churn').textContent`)
	for _, want := range []string{"Of 300 customers", "48% left (36 of 75)", "3% left (4 of 148)", "Rude or unhelpful service90% of those who left (36)"} {
		if !strings.Contains(churnText, want) {
			t.Errorf("the churn view lacks %q: %q", want, churnText)
		}
	}
	if !strings.Contains(evalString(t, ctx, `location.search`), "window=7") {
		t.Errorf("the churn window is not in the address: %s", evalString(t, ctx, `location.href`))
	}
	wait(`document.getElementById('dash-app').getAttribute('aria-busy') === 'false'`, "the page loaded")
	saveElementScreenshot(t, ctx, "#dash-app", "dashboard-statistics.png")
	checkAxe(t, ctx, "the dashboard with segments and churn")
	if err := chromedp.Do(ctx, chromedp.Reload()); err != nil {
		t.Fatal(err)
	}
	wait(`document.getElementById('dash-group').value === 'property:plan' && document.querySelectorAll('#dash-segment-table tbody tr').length === 2`, "the segment kept by a reload")
	// One person's answers, from their comment.
	wait(`!!document.querySelector('#dash-comments button[data-respondent]')`, "a link to a person's answers")
	if err := chromedp.Do(ctx, chromedp.Evaluate[chromedp.Void](`[...document.querySelectorAll('#dash-comments button[data-respondent]')].find((b) => b.closest('li').textContent.includes('Nobody answered the phone')).click()`)); err != nil {
		t.Fatal(err)
	}
	who := fmt.Sprintf("cust-%d", n)
	wait(`document.getElementById('dash-comments-title').textContent.includes('`+who+`') && document.querySelectorAll('#dash-comments li.dash-comment').length === 1`, "that person's one answer")
	if !strings.Contains(evalString(t, ctx, `location.search`), "person="+who) {
		t.Errorf("the person is not in the address: %s", evalString(t, ctx, `location.href`))
	}
}

// TestDashboardCreatesSurvey: from an empty database a manager creates a
// survey in the dashboard, with its own reasons for detractors and for
// promoters, sees the preview follow the form, gets the embed snippet,
// uploads a contacts CSV, counts the recipients and starts a send, whose
// emails land in the outbox.
func TestDashboardCreatesSurvey(t *testing.T) {
	needBrowser(t)
	ts := newEmailServer(t, "heed_test_server_dashcreate", "")
	ctx := newBrowser(t)
	if err := chromedp.Do(ctx, chromedp.Navigate(ts.url+"/dashboard.html#key="+testKey)); err != nil {
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
		t.Fatalf("never: %s; status %q; form error %q; send %q; page %.300q", what, evalString(t, ctx, `(document.getElementById('dash-status') || {}).textContent || ''`),
			evalString(t, ctx, `(document.getElementById('dash-survey-form-error') || {}).textContent || ''`),
			evalString(t, ctx, `(document.getElementById('dash-send-result') || {}).textContent || ''`), evalString(t, ctx, `document.body.textContent`))
	}
	wait(`!document.getElementById('dash-manage-section').hidden && document.getElementById('dash-edit-survey').hidden`, "settings without a survey")
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`#dash-new-survey`))); err != nil {
		t.Fatal(err)
	}
	wait(`!document.getElementById('dash-survey-form').hidden`, "the survey form")
	fill := []struct{ sel, text string }{
		{`#dash-sf-name`, "Support NPS"},
		{`#dash-sf-det-q`, "What went wrong?"},
		{`#dash-sf-det-r`, "Rude or unhelpful service\nprice: Price"},
		{`#dash-sf-pro-q`, "What did you like most?"},
		{`#dash-sf-pro-r`, "Helpful staff"},
		{`#dash-sf-alerts`, "lead@example.com"},
		{`#dash-sf-sender`, "Acme Support"},
		{`#dash-sf-retention`, "400"}, // after the field's 0: "0400"
	}
	for _, f := range fill {
		if err := chromedp.Do(ctx, chromedp.SendKeys(chromedp.CSS(f.sel), f.text)); err != nil {
			t.Fatal(err)
		}
	}
	// Ticked by the element's own click (a mouse click at coordinates can
	// land beside a box the live preview has just moved), then checked.
	for _, box := range []string{`#dash-sf-det-own`, `#dash-sf-pro-own`} {
		if err := chromedp.Do(ctx, chromedp.Evaluate[chromedp.Void](`document.querySelector('`+box+`').click()`)); err != nil {
			t.Fatal(err)
		}
		wait(`document.querySelector('`+box+`').checked`, box+" ticked")
	}
	wait(`document.getElementById('dash-survey-preview').textContent.includes('What did you like most?Helpful staff')`, "the preview of the promoters' follow-up")
	wait(`document.getElementById('dash-preview-email').textContent.startsWith('Email from Acme Support')`, "the email's preview")
	saveElementScreenshot(t, ctx, "#dash-manage-section", "dashboard-survey-form.png")
	checkAxe(t, ctx, "the dashboard's survey form")
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`#dash-survey-form-submit`))); err != nil {
		t.Fatal(err)
	}
	wait(`document.getElementById('dash-survey-form').hidden && [...document.querySelectorAll('#dash-survey option')].some((o) => o.textContent === 'Support NPS')`, "the new survey in the picker")
	var list struct {
		Surveys []analytics.Survey `json:"surveys"`
	}
	r := ts.admin(t, "GET", "/api/v1/surveys", "")
	if err := json.Unmarshal(r.body, &list); err != nil || len(list.Surveys) != 1 {
		t.Fatalf("surveys: %s", r.body)
	}
	sv := list.Surveys[0]
	if sv.FollowUps == nil || sv.FollowUps.Detractors == nil || sv.FollowUps.Promoters == nil || sv.FollowUps.Passives != nil ||
		sv.FollowUps.Detractors.Question != "What went wrong?" || len(sv.FollowUps.Detractors.Reasons) != 2 ||
		sv.FollowUps.Detractors.Reasons[0].ID != "rude_or_unhelpful_service" || sv.FollowUps.Detractors.Reasons[1].ID != "price" ||
		sv.FollowUps.Promoters.Reasons[0].Label != "Helpful staff" || len(sv.AlertEmails) != 1 || sv.SenderName != "Acme Support" ||
		sv.RetentionDays != 400 {
		t.Fatalf("the survey stored: %+v %+v", sv, sv.FollowUps)
	}
	wait(`document.getElementById('dash-embed-code').textContent.includes('data-survey="`+sv.ID+`"')`, "the embed snippet")
	// Edit: the question changes, the history says so; archive, unarchive.
	wait(`!document.getElementById('dash-edit-survey').hidden && document.getElementById('dash-app').getAttribute('aria-busy') === 'false'`, "the survey loaded")
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`#dash-edit-survey`))); err != nil {
		t.Fatal(err)
	}
	wait(`!document.getElementById('dash-survey-form').hidden && document.getElementById('dash-sf-name').value === 'Support NPS' && document.getElementById('dash-sf-det-own').checked`, "the form filled with the survey")
	if err := chromedp.Do(ctx, chromedp.SendKeys(chromedp.CSS(`#dash-sf-question`), "Would you recommend our support?"),
		chromedp.Click(chromedp.CSS(`#dash-survey-form-submit`))); err != nil {
		t.Fatal(err)
	}
	wait(`(document.getElementById('dash-history-list') || {textContent: ''}).textContent.includes('Would you recommend our support?')`, "the change in the history")
	if got := ts.admin(t, "GET", "/api/v1/surveys/"+sv.ID, "").json(t); got["question"] != "Would you recommend our support?" {
		t.Fatalf("the edit was not stored: %v", got)
	}
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`#dash-archive-survey`))); err != nil {
		t.Fatal(err)
	}
	wait(`document.getElementById('dash-survey-status').textContent.startsWith('Archived') && document.getElementById('dash-archive-survey').textContent === 'Unarchive'`, "the survey archived")
	if r := ts.do(t, "POST", "/api/v1/surveys/"+sv.ID+"/responses", `{"score":9}`); r.status != 409 {
		t.Errorf("an archived survey took an answer: %d %s", r.status, r.body)
	}
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`#dash-archive-survey`))); err != nil {
		t.Fatal(err)
	}
	wait(`document.getElementById('dash-survey-status').textContent.startsWith('Active')`, "the survey active again")
	// Contacts: two good rows, one bad address on line 4.
	csvPath := filepath.Join(t.TempDir(), "contacts.csv")
	if err := os.WriteFile(csvPath, []byte("email,name,plan\nann@example.com,Ann,pro\nbob@example.com,Bob,free\nnot-an-address,X,pro\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.SetUploadFiles(chromedp.CSS(`#dash-contacts-file`), []string{csvPath}),
		chromedp.Click(chromedp.CSS(`#dash-contacts-upload`))); err != nil {
		t.Fatal(err)
	}
	wait(`(document.getElementById('dash-contacts-summary') || {}).textContent === 'Imported 2 new, updated 0, merged 0 duplicate rows, 1 invalid.' && document.getElementById('dash-contacts-result').textContent.includes('Line 4')`, "the contacts summary")
	// Who: contacts with plan=pro (Ann), counted first, then sent.
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`#dash-send-by`))); err != nil {
		t.Fatal(err)
	}
	wait(`!document.getElementById('dash-send-where-box').hidden`, "the property field")
	if err := chromedp.Do(ctx, chromedp.SendKeys(chromedp.CSS(`#dash-send-where`), "plan=pro"), chromedp.Click(chromedp.CSS(`#dash-send-count`))); err != nil {
		t.Fatal(err)
	}
	wait(`((document.getElementById('dash-send-summary') || {}).textContent || '').startsWith('1 contact would get the email now') && !document.getElementById('dash-send-start').disabled`, "the dry run's count")
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`#dash-send-start`))); err != nil {
		t.Fatal(err)
	}
	wait(`((document.getElementById('dash-send-progress') || {}).textContent || '').includes('1 email sent')`, "the send's progress")
	saveElementScreenshot(t, ctx, "#dash-sends-section", "dashboard-contacts-send.png")
	msgs, err := ts.emailing.Outbox.List()
	if err != nil || len(msgs) != 1 || !strings.Contains(msgs[0].To, "ann@example.com") {
		t.Fatalf("outbox: %v %v", msgs, err)
	}
	// Ann opens the email and answers 2, then says why.
	// The email, as the outbox page shows it (dev mode); its links name
	// the public URL, so the test follows one on the test server.
	if err := chromedp.Do(ctx, chromedp.Navigate(ts.url+"/dev/outbox/"+msgs[0].File)); err != nil {
		t.Fatal(err)
	}
	wait(`document.readyState === 'complete' && document.body.textContent.includes('Would you recommend our support?')`, "the email in the outbox")
	saveScreenshot(t, ctx, "outbox-email.png")
	link := regexp.MustCompile(`href="http://heed\.test(/r/[^"?]+)\?s=2"`).FindStringSubmatch(msgs[0].HTML)
	if link == nil {
		t.Fatalf("no score link in the email: %.500s", msgs[0].HTML)
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(ts.url+link[1]+"?s=2")); err != nil {
		t.Fatal(err)
	}
	wait(`!!document.querySelector('input[value="rude_or_unhelpful_service"]')`, "the detractors' reasons on the answer page")
	if evalString(t, ctx, `String(!!document.querySelector('input[value="helpful_staff"]'))`) != "false" {
		t.Error("a detractor is offered the promoters' reasons")
	}
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`input[value="rude_or_unhelpful_service"]`)),
		chromedp.SendKeys(chromedp.CSS(`#comment`), "Nobody called me back"),
		chromedp.Click(chromedp.CSS(`form.answer-form button[type=submit]`))); err != nil {
		t.Fatal(err)
	}
	ts.waitAnswer(t, sv.ID, func(a map[string]any) bool { return a["comment"] == "Nobody called me back" && a["confirmed"] == true })
	// The manager sees it in the dashboard, with who wrote it.
	if err := chromedp.Do(ctx, chromedp.Navigate(ts.url+"/dashboard.html?survey="+sv.ID)); err != nil {
		t.Fatal(err)
	}
	wait(`document.getElementById('dash-comments').textContent.includes('Nobody called me back') && document.getElementById('dash-comments').textContent.includes('Ann <ann@example.com>')`, "Ann's answer in the dashboard")
	wait(`document.getElementById('dash-reasons').textContent.includes('Rude or unhelpful service100% of detractors (1 of 1)')`, "her reason in the report")
	// Close the loop: Ann's answer is an open case; the manager assigns it,
	// notes the call and closes it.
	caseID, _ := ts.answers(t, sv.ID)[0]["response_id"].(string)
	item := `document.querySelector('#dash-case-list li[data-case="` + caseID + `"]')`
	wait(`!!`+item+` && document.getElementById('dash-cases-tab-open').textContent === 'Open (1)'`, "Ann's open case")
	caseDo := func(selector string) {
		t.Helper()
		if err := chromedp.Do(ctx, chromedp.Evaluate[chromedp.Void](item+`.querySelector('details').open = true; `+item+`.querySelector('`+selector+`').click()`)); err != nil {
			t.Fatal(err)
		}
	}
	if err := chromedp.Do(ctx, chromedp.Evaluate[chromedp.Void](item+`.querySelector('details').open = true`),
		chromedp.SetValue(chromedp.CSS(`#dash-case-list li[data-case="`+caseID+`"] .dash-case-assignee-input`), "Maya")); err != nil {
		t.Fatal(err)
	}
	caseDo(".dash-case-assign")
	wait(item+`.textContent.includes('Assigned to Maya') && !!`+item+`.querySelector('.dash-case-note-input')`, "the case assigned")
	if err := chromedp.Do(ctx, chromedp.SetValue(chromedp.CSS(`#dash-case-list li[data-case="`+caseID+`"] .dash-case-note-input`), "Called Ann back, refund given")); err != nil {
		t.Fatal(err)
	}
	caseDo(".dash-case-add-note")
	wait(item+`.textContent.includes('Called Ann back, refund given') && !!`+item+`.querySelector('.dash-case-close')`, "the note")
	caseDo(".dash-case-close")
	wait(`document.getElementById('dash-cases-tab-closed').textContent === 'Closed (1)' && !!`+item+` && `+item+`.getAttribute('data-status') === 'closed'`, "the case closed")
	saveElementScreenshot(t, ctx, "#dash-cases-section", "dashboard-case-closed.png")
	// People: Ann's page, with her answer and email; stop emailing her,
	// then email her again.
	// Clicked by the elements' own click(): a mouse click at coordinates
	// can miss a button the page is still scrolling or laying out.
	click := func(sel string) {
		t.Helper()
		if err := chromedp.Do(ctx, chromedp.Evaluate[chromedp.Void](`document.querySelector('`+sel+`').click()`)); err != nil {
			t.Fatal(err)
		}
	}
	if err := chromedp.Do(ctx, chromedp.SendKeys(chromedp.CSS(`#dash-people-q`), "ANN")); err != nil {
		t.Fatal(err)
	}
	click(`#dash-people-search`)
	wait(`!!document.querySelector('#dash-people-list button[data-contact]')`, "Ann found")
	click(`#dash-people-list button[data-contact]`)
	wait(`(document.getElementById('dash-person-answers') || {textContent: ''}).textContent.includes('Nobody called me back') && document.getElementById('dash-person-emails').textContent.includes('Survey email · sent')`, "Ann's answers and emails")
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`#dash-person-suppress`))); err != nil {
		t.Fatal(err)
	}
	wait(`(document.getElementById('dash-person-status') || {textContent: ''}).textContent.startsWith('Not emailed: suppressed by a manager')`, "Ann suppressed")
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`#dash-person-suppress`))); err != nil {
		t.Fatal(err)
	}
	wait(`(document.getElementById('dash-person-status') || {textContent: ''}).textContent.startsWith('Gets survey emails.')`, "Ann emailed again")
	saveElementScreenshot(t, ctx, "#dash-sends-section", "dashboard-person.png")
	checkAxe(t, ctx, "the dashboard with every section")
	saveElementScreenshot(t, ctx, "#dash-app", "dashboard-manager-path.png")
	// Delete asks for the id, typed; a wrong one deletes nothing.
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`#dash-delete-survey`)), chromedp.SendKeys(chromedp.CSS(`#dash-delete-input`), "nope"),
		chromedp.Click(chromedp.CSS(`#dash-delete-confirm`))); err != nil {
		t.Fatal(err)
	}
	wait(`document.getElementById('dash-delete-error').textContent !== ''`, "the wrong confirmation refused")
	if err := chromedp.Do(ctx, chromedp.SetValue(chromedp.CSS(`#dash-delete-input`), sv.ID), chromedp.Click(chromedp.CSS(`#dash-delete-confirm`))); err != nil {
		t.Fatal(err)
	}
	wait(`![...document.querySelectorAll('#dash-survey option')].some((o) => o.value === '`+sv.ID+`')`, "the survey gone from the picker")
	if r := ts.admin(t, "GET", "/api/v1/surveys/"+sv.ID, ""); r.status != 404 {
		t.Errorf("the deleted survey: %d", r.status)
	}
}
