package server

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"heed/emails"
)

// Browser tests of the pages reached from survey emails, the email itself,
// the dashboard's look, the favicon, and axe-core's WCAG 2.1 A/AA rules on
// each of them.

// axeSource is axe-core's browser build, fetched by `make axe` (a
// prerequisite of make test) into .data/axe/.
func axeSource(t *testing.T) string {
	t.Helper()
	path := os.Getenv("HEED_AXE_JS")
	if path == "" {
		matches, _ := filepath.Glob(filepath.Join("..", ".data", "axe", "*", "package", "axe.min.js"))
		if len(matches) > 0 {
			path = matches[len(matches)-1]
		}
	}
	b, err := os.ReadFile(path)
	if err != nil || path == "" {
		t.Fatalf("axe-core is missing (%q: %v): run `make axe` (make test fetches it from the npm registry)", path, err)
	}
	return string(b)
}

// checkAxe injects axe-core with Runtime.evaluate (so the page's CSP does
// not apply) and fails on any WCAG 2.1 A or AA violation.
func checkAxe(t *testing.T, ctx context.Context, page string) {
	t.Helper()
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[chromedp.Void](axeSource(t)+"\n;void 0")); err != nil {
		t.Fatalf("%s: injecting axe: %v", page, err)
	}
	out, err := chromedp.Run(ctx, chromedp.Evaluate[string](`axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a','wcag2aa','wcag21a','wcag21aa']}, resultTypes: ['violations']})
		.then(r => JSON.stringify(r.violations.map(v => v.id + ' (' + v.impact + '): ' + v.help + ' at ' + v.nodes.map(n => n.target.join(' ')).join(', '))))`, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("%s: axe: %v", page, err)
	}
	var violations []string
	json.Unmarshal([]byte(out), &violations)
	for _, v := range violations {
		t.Errorf("%s: axe: %s", page, v)
	}
}

// consoleErrors collects the errors and exceptions the pages of ctx log.
func consoleErrors(ctx context.Context) func() []string {
	var mu sync.Mutex
	var errs []string
	messages := chromedp.Console(ctx)
	go func() {
		for m, err := range messages {
			if err != nil {
				return
			}
			if m.Type == chromedp.ConsoleError || m.IsException() {
				mu.Lock()
				errs = append(errs, m.String()+" "+m.URL)
				mu.Unlock()
			}
		}
	}()
	return func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), errs...)
	}
}

// styleNumbers reads numeric computed styles (px) and box sizes of the
// first element matching selector.
func styleNumbers(t *testing.T, ctx context.Context, selector string) map[string]float64 {
	t.Helper()
	out := evalString(t, ctx, `(() => { const e = document.querySelector(`+strconv.Quote(selector)+`); if (!e) return '{}';
		const cs = getComputedStyle(e), r = e.getBoundingClientRect();
		return JSON.stringify({fontSize: parseFloat(cs.fontSize), width: r.width, height: r.height, top: r.top, left: r.left, right: r.right}); })()`)
	m := map[string]float64{}
	json.Unmarshal([]byte(out), &m)
	if len(m) == 0 {
		t.Fatalf("no %s on the page", selector)
	}
	return m
}

// contrastJS computes the WCAG contrast ratio of an element's text colour
// on the first opaque background behind it.
const contrastJS = `(sel) => { const e = document.querySelector(sel);
	const rgb = s => s.match(/[\d.]+/g).map(Number);
	const lum = c => { const [r, g, b] = c.slice(0, 3).map(v => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); }); return 0.2126 * r + 0.7152 * g + 0.0722 * b; };
	let bg = null; for (let n = e; n && !bg; n = n.parentElement) { const c = rgb(getComputedStyle(n).backgroundColor); if (c.length < 4 || c[3] > 0) bg = c; }
	if (!bg) bg = [255, 255, 255];
	const a = lum(rgb(getComputedStyle(e).color)), b = lum(bg);
	return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05); }`

func contrast(t *testing.T, ctx context.Context, selector string) float64 {
	t.Helper()
	out := evalString(t, ctx, `String((`+contrastJS+`)(`+strconv.Quote(selector)+`))`)
	f, err := strconv.ParseFloat(out, 64)
	if err != nil {
		t.Fatalf("contrast of %s: %q", selector, out)
	}
	return f
}

// TestEmailPagesInBrowser: a branded survey's email, answer page,
// thank-you page and unsubscribe page, in Chromium: the brand is shown, the
// email's scores wrap 6 + 5 on phones without media queries, its footer
// passes AA contrast, the pages' controls are the site's (16 px text, 24 px
// checkboxes, 44 px targets), the follow-up is Post/Redirect/Get, and axe
// finds no WCAG 2.1 A/AA violation anywhere.
func TestEmailPagesInBrowser(t *testing.T) {
	needBrowser(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	ts := newServerWith(t, "heed_test_server_emailpages", func(c *testConfig) {
		c.Listener, c.Server.Dev = ln, true
		c.Email.PublicURL, c.Email.SigningKeys = base, "t1:0123456789abcdef0123456789abcdef"
	})
	// A bad brand is refused with the field named.
	for _, bad := range []string{`"logo_url":"http://acme.example/logo.png"`, `"logo_url":"javascript:alert(1)"`, `"sender_name":"` + strings.Repeat("x", 101) + `"`} {
		r := ts.admin(t, "POST", "/api/v1/surveys", `{"name":"Bad",`+bad+`}`)
		field := strings.Trim(strings.SplitN(bad, ":", 2)[0], `"`)
		if r.status != 422 || !strings.Contains(string(r.body), field) {
			t.Errorf("%s: %d %s", bad, r.status, r.body)
		}
	}
	logo := "https://cdn.acme.example/logo.png"
	id := ts.createSurvey(t, `{"name":"Shop","sender_name":"Acme Support","logo_url":"`+logo+`","reasons":[{"id":"rude_service","label":"Rude or unhelpful service"},{"id":"price","label":"Price"}]}`)
	if sv := ts.admin(t, "GET", "/api/v1/surveys/"+id, "").json(t); sv["sender_name"] != "Acme Support" || sv["logo_url"] != logo {
		t.Fatalf("survey = %v", sv)
	}
	ts.admin(t, "POST", "/api/v1/contacts", `[{"email":"reader@example.com","name":"Reader"}]`)
	if r := ts.admin(t, "POST", "/api/v1/surveys/"+id+"/sends", `{"all":true}`); r.status != 202 {
		t.Fatalf("send: %d %s", r.status, r.body)
	}
	var msgs []emails.OutboxMessage
	for deadline := time.Now().Add(15 * time.Second); len(msgs) < 1 && time.Now().Before(deadline); {
		msgs, _ = ts.emailing.Outbox.List()
		time.Sleep(50 * time.Millisecond)
	}
	if len(msgs) != 1 {
		t.Fatalf("outbox = %+v", msgs)
	}
	msg := msgs[0]
	link := msg.HTML[strings.Index(msg.HTML, base+"/r/"):]
	token := strings.TrimPrefix(link[:strings.Index(link, "?")], base+"/r/")

	ctx := newBrowser(t)
	// The email, as a phone shows it (no media query is relied on: the
	// layout is the same without the <style> block).
	for _, width := range []int64{320, 360, 375} {
		if err := chromedp.Do(ctx, chromedp.EmulateViewport(width, 740, chromedp.EmulateMobile), chromedp.Navigate(base+"/dev/outbox/"+msg.File)); err != nil {
			t.Fatal(err)
		}
		pageHas(t, ctx, `a[href*="?s=10"]`)
		for _, withStyle := range []bool{true, false} {
			if !withStyle {
				evalString(t, ctx, `(document.querySelectorAll('style').forEach(s => s.remove()), '')`)
			}
			var tops []float64
			for n := 0; n <= 10; n++ {
				m := styleNumbers(t, ctx, `a[href*="?s=`+strconv.Itoa(n)+`"]`)
				if m["left"] < 0 || m["right"] > float64(width) || m["height"] < 38 || m["width"] < 36 {
					t.Errorf("%d px: score %d is off screen or small: %v", width, n, m)
				}
				tops = append(tops, m["top"])
			}
			for n := 1; n <= 10; n++ {
				sameRow := tops[n] == tops[0]
				if (n <= 5) != sameRow || (n > 5 && tops[n] != tops[6]) {
					t.Errorf("%d px (style %v): scores do not wrap 0-5 / 6-10: tops %v", width, withStyle, tops)
					break
				}
			}
		}
		if width == 360 {
			saveScreenshot(t, ctx, "email-360px.png")
		}
	}
	// On a wide screen the scale is one row.
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1024, 768), chromedp.Navigate(base+"/dev/outbox/"+msg.File)); err != nil {
		t.Fatal(err)
	}
	pageHas(t, ctx, `a[href*="?s=10"]`)
	if a, b := styleNumbers(t, ctx, `a[href*="?s=0"]`), styleNumbers(t, ctx, `a[href*="?s=10"]`); a["top"] != b["top"] {
		t.Errorf("wide email: 0 and 10 on different rows")
	}
	if got := evalString(t, ctx, `document.querySelector('.heed-brand').textContent + '|' + document.querySelector('img[alt="Acme Support"]').getAttribute('src')`); got != "Acme Support|"+logo {
		t.Errorf("email brand = %q", got)
	}
	footer := `a[href*="/u/"]`
	if c := contrast(t, ctx, footer); c < 4.5 {
		t.Errorf("email footer contrast %.2f:1, want >= 4.5", c)
	}
	evalString(t, ctx, `(document.querySelector('img[alt="Acme Support"]').remove(), '')`) // not reachable from the test
	checkAxe(t, ctx, "survey email")

	// The answer page.
	if err := chromedp.Do(ctx, chromedp.Navigate(base+"/r/"+token+"?s=3")); err != nil {
		t.Fatal(err)
	}
	pageHas(t, ctx, `input[name=reasons][value=rude_service]`)
	if got := evalString(t, ctx, `document.querySelector('.answer-brand-name').textContent + '|' + document.querySelector('img.answer-logo').getAttribute('alt') + '|' + document.querySelector('img.answer-logo').src`); got != "Acme Support|Acme Support|"+logo {
		t.Errorf("answer page brand = %q", got)
	}
	if w := styleNumbers(t, ctx, `img.answer-logo`)["width"]; w > 160 {
		t.Errorf("logo is %.0f px wide", w)
	}
	for sel, min := range map[string]map[string]float64{
		`form.answer-form button[type=submit]`:    {"fontSize": 16, "height": 44},
		`.answer-reason`:                          {"fontSize": 16, "height": 44},
		`input[name=reasons][value=rude_service]`: {"width": 24, "height": 24},
		`textarea#comment`:                        {"fontSize": 16},
	} {
		got := styleNumbers(t, ctx, sel)
		for k, v := range min {
			if got[k] < v {
				t.Errorf("answer page %s: %s = %.1f, want >= %.0f", sel, k, got[k], v)
			}
		}
	}
	if got := evalString(t, ctx, `getComputedStyle(document.querySelector('form.answer-form button')).fontFamily`); strings.HasPrefix(got, "Arial") {
		t.Errorf("button font = %s", got)
	}
	// Keyboard focus on a reason shows a ring around its chip.
	evalString(t, ctx, `(document.activeElement.blur(), '')`)
	if err := chromedp.Do(ctx, chromedp.KeyEvent(kb.Tab)); err != nil {
		t.Fatal(err)
	}
	if got := evalString(t, ctx, `document.activeElement.value + ' ' + getComputedStyle(document.activeElement.closest('label')).outlineStyle`); got != "rude_service solid" {
		t.Errorf("focused reason: %q, want rude_service with a solid ring", got)
	}
	evalString(t, ctx, `(document.querySelector('img.answer-logo').remove(), '')`)
	checkAxe(t, ctx, "answer page")
	if err := chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(`input[name=reasons][value=rude_service]`)),
		chromedp.SendKeys(chromedp.CSS(`#comment`), "Nobody called back"),
	); err != nil {
		t.Fatal(err)
	}
	saveScreenshot(t, ctx, "email-answer-page.png")
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`form.answer-form button[type=submit]`))); err != nil {
		t.Fatal(err)
	}
	pageHas(t, ctx, `main.answer-thanks`)
	ts.waitAnswer(t, id, func(a map[string]any) bool { return a["comment"] == "Nobody called back" })
	if got := evalString(t, ctx, `location.pathname + location.search`); got != "/r/"+token+"/thanks?s=3" {
		t.Errorf("after the follow-up the address is %s", got)
	}
	if got := evalString(t, ctx, `document.querySelector('main').innerText`); !strings.Contains(got, "Thank you") || !strings.Contains(got, "score of 3") || !strings.Contains(got, "close this page") {
		t.Errorf("thank-you page says %q", got)
	}
	// A reload GETs the page again: no form is re-posted.
	if err := chromedp.Do(ctx, chromedp.Reload()); err != nil {
		t.Fatal(err)
	}
	pageHas(t, ctx, `main.answer-thanks`)
	if got := evalString(t, ctx, `performance.getEntriesByType('navigation')[0].type + ' ' + !!document.querySelector('form')`); got != "reload false" {
		t.Errorf("after reload: %s", got)
	}
	evalString(t, ctx, `(document.querySelector('img.answer-logo').remove(), '')`)
	checkAxe(t, ctx, "thank-you page")
	saveScreenshot(t, ctx, "email-thanks-page.png")

	// The POST answers 303 to the GET page.
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noFollow.PostForm(base+"/r/"+token, url.Values{"s": {"3"}, "reasons": {"rude_service"}, "comment": {"Nobody called back"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/r/"+token+"/thanks?s=3" {
		t.Errorf("follow-up POST: %d Location %q, want 303 to the thank-you page", resp.StatusCode, resp.Header.Get("Location"))
	}
	if r := ts.do(t, "GET", "/r/"+token[:len(token)-2]+"xx/thanks?s=3", ""); r.status != 400 {
		t.Errorf("thank-you page with a forged token: %d", r.status)
	}

	// The unsubscribe page.
	if err := chromedp.Do(ctx, chromedp.Navigate(base+"/u/"+token)); err != nil {
		t.Fatal(err)
	}
	pageHas(t, ctx, `form button.button`)
	if got := styleNumbers(t, ctx, `form button.button`); got["fontSize"] < 16 || got["height"] < 44 {
		t.Errorf("unsubscribe button: %v", got)
	}
	evalString(t, ctx, `(document.querySelector('img.answer-logo').remove(), '')`)
	checkAxe(t, ctx, "unsubscribe page")
	saveScreenshot(t, ctx, "unsubscribe-page.png")
}

// TestFaviconAndConsole: every page links the icon, /favicon.ico answers
// (a cached redirect to it), and no page logs an error.
func TestFaviconAndConsole(t *testing.T) {
	needBrowser(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	ts := newServerWith(t, "heed_test_server_favicon", func(c *testConfig) {
		c.Listener = ln
		c.Email.PublicURL, c.Email.SigningKeys = base, "t1:0123456789abcdef0123456789abcdef"
	})
	id := ts.createSurvey(t, shopSurvey)
	tok := ts.emailing.Signer.Sign(emails.Claims{SendID: "s1", SurveyID: id, ContactID: "c1", SentAt: time.Now().Add(-time.Minute), Expires: time.Now().Add(time.Hour)})

	r := ts.do(t, "GET", "/favicon.svg", "")
	if r.status != 200 || !strings.HasPrefix(r.header.Get("Content-Type"), "image/svg+xml") || !strings.Contains(r.header.Get("Cache-Control"), "max-age") {
		t.Fatalf("/favicon.svg: %d %v", r.status, r.header)
	}
	if r := ts.do(t, "GET", "/favicon.ico", ""); r.status != 200 { // the client follows the redirect
		t.Fatalf("/favicon.ico: %d", r.status)
	}

	ctx := newBrowser(t)
	errs := consoleErrors(ctx)
	for _, p := range []string{"/", "/docs.html", "/dashboard.html", "/r/" + tok + "?s=9", "/r/" + tok + "/thanks?s=9", "/u/" + tok} {
		if err := chromedp.Do(ctx, chromedp.Navigate(base+p)); err != nil {
			t.Fatal(err)
		}
		if got := evalString(t, ctx, `(document.querySelector('link[rel=icon]') || {}).href || ''`); got != base+"/favicon.svg" {
			t.Errorf("%s: icon link %q", p, got)
		}
		// The icon loads (a failed load would be a console error too).
		got, err := chromedp.Run(ctx, chromedp.Evaluate[string](`fetch('/favicon.ico').then(r => r.status + ' ' + r.headers.get('content-type'))`, chromedp.EvalAwaitPromise))
		if err != nil || !strings.HasPrefix(got, "200 image/svg+xml") {
			t.Errorf("%s: /favicon.ico from the page: %s %v", p, got, err)
		}
	}
	time.Sleep(300 * time.Millisecond) // console events arrive asynchronously
	if e := errs(); len(e) > 0 {
		t.Errorf("console errors: %v", e)
	}
}

// TestDashboardLookInBrowser: signed in with Enter, with data: the heading
// gets focus without a visible ring, the cards keep their distance from the
// footer, and axe finds no WCAG 2.1 A/AA violation.
func TestDashboardLookInBrowser(t *testing.T) {
	needBrowser(t)
	ts := newTestServer(t, "heed_test_server_dashlook")
	id := ts.createSurvey(t, shopSurvey)
	ts.respond(t, id, `{"score":10}`)
	ts.respond(t, id, `{"score":3,"reasons":["rude_service"],"comment":"The clerk was rude to me"}`)
	ts.waitReport(t, "/api/v1/surveys/"+id+"/report", 2)
	ctx := newBrowser(t)
	if err := chromedp.Do(ctx, chromedp.Navigate(ts.url+"/dashboard.html")); err != nil {
		t.Fatal(err)
	}
	pageHas(t, ctx, `#dash-key`)
	// The key is the second way in, under "Use an API key".
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`#dash-key-option summary`)),
		chromedp.SendKeys(chromedp.CSS(`#dash-key`), testKey), chromedp.KeyEvent(kb.Enter)); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(15 * time.Second)
	// The comment shown, and every load done (a region still loading is
	// faded, which axe counts as low contrast).
	for !strings.Contains(evalString(t, ctx, `(document.querySelector('#dash-comments') || {}).textContent || ''`), "rude to me") ||
		evalString(t, ctx, `document.getElementById('dash-app').getAttribute('aria-busy')`) != "false" {
		if time.Now().After(deadline) {
			t.Fatal("the dashboard never showed the comment")
		}
		time.Sleep(100 * time.Millisecond)
	}
	if got := evalString(t, ctx, `(() => { const h = document.activeElement; return h.id + ' ' + getComputedStyle(h).outlineStyle; })()`); got != "dash-heading none" {
		t.Errorf("after signing in: focus and outline %q, want dash-heading none", got)
	}
	if got := styleNumbers(t, ctx, `#main`); got["height"] == 0 {
		t.Fatal("no #main")
	}
	if pad := evalString(t, ctx, `getComputedStyle(document.querySelector('#main')).paddingBottom`); pad == "0px" {
		t.Errorf("#main has no bottom padding")
	}
	gap := evalString(t, ctx, `String(document.querySelector('footer') ? document.querySelector('footer').getBoundingClientRect().top - document.querySelector('#main').lastElementChild.getBoundingClientRect().bottom : 99)`)
	if g, _ := strconv.ParseFloat(gap, 64); g < 24 {
		t.Errorf("the last section is %s px from the footer", gap)
	}
	checkAxe(t, ctx, "dashboard")
	saveScreenshot(t, ctx, "dashboard-signed-in.png")
}

// TestWidgetChangeScore: a visitor taps 2, goes back with "Change score",
// picks 9 and sends the follow-up: one response, scored 9.
func TestWidgetChangeScore(t *testing.T) {
	needBrowser(t)
	ts := newTestServer(t, "heed_test_server_widgetchange")
	var surveyID string
	host := hostSite(t, ts.url, &surveyID)
	surveyID = widgetSurvey(t, ts, host.URL)
	ctx := newBrowser(t)
	if err := chromedp.Do(ctx, chromedp.Navigate(host.URL+"/plain")); err != nil {
		t.Fatal(err)
	}
	waitWidget(t, ctx)
	time.Sleep(1100 * time.Millisecond) // a person reads first
	click := func(sel string) {
		t.Helper()
		if _, err := chromedp.Run(ctx, chromedp.Poll[bool](inWidget(`(() => { const b = root.querySelector(`+strconv.Quote(sel)+`); if (!b) return false; b.click(); return true; })()`), chromedp.WithPollingTimeout(10*time.Second))); err != nil {
			t.Fatalf("no %s: %v", sel, err)
		}
	}
	click(`button[data-score="2"]`)
	ts.waitAnswer(t, surveyID, func(a map[string]any) bool { return a["score"] == 2.0 })
	saveScreenshot(t, ctx, "widget-change-score.png")
	click(`button.chg`)
	if got := evalString(t, ctx, inWidget(`root.activeElement.getAttribute('data-score') + ' ' + root.querySelector('.sel').dataset.score`)); got != "2 2" {
		t.Errorf("back on the scale: focus and selection %q, want 2 2", got)
	}
	click(`button[data-score="9"]`)
	click(`button.send`)
	ts.waitAnswer(t, surveyID, func(a map[string]any) bool { return a["score"] == 9.0 })
	rep := ts.waitReport(t, "/api/v1/surveys/"+surveyID+"/report", 1)
	total := rep["total"].(map[string]any)
	if total["responses"] != 1.0 || total["promoters"] != 1.0 || total["detractors"] != 0.0 {
		t.Fatalf("report total = %v, want one promoter", total)
	}
	if list := ts.answers(t, surveyID); len(list) != 1 || list[0]["score"] != 9.0 {
		t.Fatalf("answers = %v, want one scored 9", list)
	}
}
