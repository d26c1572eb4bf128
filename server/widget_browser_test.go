package server

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"heed/analytics"
	"heed/emails"
)

// Browser tests drive Debian's headless Chromium (make test installs it).

// needBrowser begins every browser test: the fast tier (-short) skips it
// before it starts a server or looks for Chromium, ClickHouse or axe-core;
// the full tier (make test, which installs Chromium) fails loudly without
// Chromium (TestBrowserTestsSkipInFastTier checks every test has it).
func needBrowser(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("a browser test: not in the fast tier (-short)")
	}
	chromiumPath(t)
}

func chromiumPath(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Fatal("Chromium is not installed: run `make test` (it installs Debian's chromium) or apt-get install chromium")
	return ""
}

func newBrowser(t *testing.T) context.Context {
	t.Helper()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromiumPath(t)),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1024, 768),
		// A person's browser: "HeadlessChrome" is what link scanners run.
		chromedp.UserAgent("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36"),
	}
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancel)
	ctx, cancel2 := chromedp.NewContext(actx)
	t.Cleanup(cancel2)
	// The first call starts the browser; it must not carry a timeout (that
	// would stop the browser with it), later calls may.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatal(err)
	}
	ctx, cancel3 := context.WithTimeout(ctx, 2*time.Minute)
	t.Cleanup(cancel3)
	return ctx
}

// hostileCSS is a customer stylesheet that would wreck a widget living in
// the light DOM.
const hostileCSS = `* { all: revert; font-size: 40px } button { display: none }
div { background: #f0f; padding: 30px; border: 5px dashed red } p { color: rgb(1, 2, 3); font-family: monospace }`

// hostSite is a customer's site on an origin other than Heed's, with a
// strict CSP that allows Heed's origin only for scripts and fetches.
// surveyID is read per request: the survey is created once the host's
// origin (its port) is known.
func hostSite(t *testing.T, heedURL string, surveyID *string) *httptest.Server {
	t.Helper()
	page := func(withWidget bool) string {
		script := ""
		if withWidget {
			script = fmt.Sprintf(`<script async src="%s/widget.js" data-survey="%s"></script>`, heedURL, *surveyID)
		}
		return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Host</title>
<link rel="stylesheet" href="/host.css">` + script + `</head><body>
<h1 id="host-title">Acme shop</h1><p id="host-text">Your order is on its way.</p>
<button id="host-button">Track order</button><input id="host-input" value="x"><div id="host-box">box</div>
</body></html>`
	}
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/host.css" {
			w.Header().Set("Content-Type", "text/css")
			w.Write([]byte(hostileCSS))
			return
		}
		if r.URL.Path == "/identify.js" { // the site tells Heed who the visitor is
			w.Header().Set("Content-Type", "text/javascript")
			fmt.Fprintf(w, "window.heed = window.heed || []; heed.push(['identify', {id: %q, plan: 'pro'}]);", r.URL.Query().Get("id"))
			return
		}
		if r.URL.Path == "/identified" {
			w.Header().Set("Content-Security-Policy", "default-src 'self'; script-src 'self' "+heedURL+"; connect-src "+heedURL)
			fmt.Fprintf(w, `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Account</title>
<script src="/identify.js?id=%s"></script><script async src="%s/widget.js" data-survey="%s"></script></head><body><p>Account</p></body></html>`,
				url.QueryEscape(r.URL.Query().Get("id")), heedURL, *surveyID)
			return
		}
		w.Header().Set("Content-Security-Policy", "default-src 'self'; script-src 'self' "+heedURL+"; connect-src "+heedURL+"; style-src 'self'")
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		if r.URL.Path == "/plain" { // a well-behaved mobile page
			fmt.Fprintf(w, `<!doctype html><html lang="es"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Tienda</title><script async src="%s/widget.js" data-survey="%s"></script></head><body><p>Gracias por su pedido.</p></body></html>`, heedURL, *surveyID)
			return
		}
		w.Write([]byte(page(r.URL.Path != "/control")))
	}))
	t.Cleanup(hs.Close)
	return hs
}

// hostStyles reads the computed styles of the host page's own elements.
const hostStyles = `(() => {
	const props = ['font-size','font-family','color','display','margin-top','padding-top','background-color','position','border-top-style','visibility'];
	const out = {};
	for (const sel of ['body','#host-title','#host-text','#host-button','#host-input','#host-box']) {
		const cs = getComputedStyle(document.querySelector(sel));
		out[sel] = props.map(p => p + '=' + cs.getPropertyValue(p)).join(';');
	}
	return JSON.stringify(out);
})()`

const widgetOpen = `(() => { const h = document.querySelector('div[data-heed-widget]');
	return !!(h && h.shadowRoot && h.shadowRoot.querySelector('[role=dialog]')); })()`

// inWidget evaluates expr with `root` bound to the widget's shadow root.
func inWidget(expr string) string {
	return `(() => { const root = document.querySelector('div[data-heed-widget]').shadowRoot; return (` + expr + `); })()`
}

func saveScreenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatal(err)
	}
	writeScreenshot(t, png, name)
}

// saveElementScreenshot saves a picture of one element, whole.
func saveElementScreenshot(t *testing.T, ctx context.Context, selector, name string) {
	t.Helper()
	png, err := chromedp.Run(ctx, chromedp.Screenshot(chromedp.CSS(selector)))
	if err != nil {
		t.Fatal(err)
	}
	writeScreenshot(t, png, name)
}

func writeScreenshot(t *testing.T, png []byte, name string) {
	t.Helper()
	dir := filepath.Join("..", ".data", "test-output")
	os.MkdirAll(dir, 0o755)
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatal(err)
	}
	abs, _ := filepath.Abs(path)
	t.Logf("screenshot: %s", abs)
}

// widgetSurvey creates a survey whose widget may run on origin.
func widgetSurvey(t *testing.T, ts *testServer, origin string) string {
	t.Helper()
	return ts.createSurvey(t, `{"name":"Widget","language":"en","reasons":[{"id":"rude_service","label":"Rude or unhelpful service"},{"id":"price","label":"Price"}],"allowed_origins":["`+origin+`"]}`)
}

func waitWidget(t *testing.T, ctx context.Context) {
	t.Helper()
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](widgetOpen, chromedp.WithPollingTimeout(20*time.Second))); err != nil {
		t.Fatalf("the widget did not appear: %v", err)
	}
}

// widgetAbsent checks the widget stays away for a few seconds.
func widgetAbsent(t *testing.T, ctx context.Context) {
	t.Helper()
	deadline := time.Now().Add(3 * time.Second)
	for time.Now().Before(deadline) {
		open, err := chromedp.Run(ctx, chromedp.Evaluate[bool](widgetOpen))
		if err != nil {
			t.Fatal(err)
		}
		if open {
			t.Fatal("the widget appeared")
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// freshVisit opens url with what the browser stored forgotten (answers
// given before). Navigating replaces the page's JavaScript context; an
// evaluation that races the new one fails with "Cannot find context with
// specified id" (seen once in CI), so the visit is tried again.
func freshVisit(t *testing.T, ctx context.Context, url string) {
	t.Helper()
	for attempt := 1; ; attempt++ {
		err := chromedp.Do(ctx, chromedp.Navigate(url), chromedp.Evaluate[chromedp.Void](`localStorage.clear()`), chromedp.Reload())
		if err == nil {
			return
		}
		if attempt == 3 || !strings.Contains(err.Error(), "Cannot find context") {
			t.Fatal(err)
		}
	}
}

func evalString(t *testing.T, ctx context.Context, expr string) string {
	t.Helper()
	out, err := chromedp.Run(ctx, chromedp.Evaluate[string](expr))
	if err != nil {
		t.Fatalf("%s: %v", expr, err)
	}
	return out
}

// TestWidgetInBrowser: on a hostile customer page with a strict CSP, on
// another origin, a visitor answers 9 with one reason and a comment using
// only the keyboard; exactly one answer with those values is stored, and
// the host page looks exactly as it did without the widget.
func TestWidgetInBrowser(t *testing.T) {
	needBrowser(t)
	ts := newTestServer(t, "heed_test_server_widget")
	var surveyID string
	host := hostSite(t, ts.url, &surveyID)
	surveyID = widgetSurvey(t, ts, host.URL)
	ctx := newBrowser(t)

	// The same page without the widget: the reference look and globals.
	if err := chromedp.Do(ctx, chromedp.Navigate(host.URL+"/control")); err != nil {
		t.Fatal(err)
	}
	want := evalString(t, ctx, hostStyles)
	wantGlobals := evalString(t, ctx, `JSON.stringify(Object.keys(window).sort())`)

	if err := chromedp.Do(ctx, chromedp.Navigate(host.URL+"/")); err != nil {
		t.Fatal(err)
	}
	waitWidget(t, ctx)
	if got := evalString(t, ctx, hostStyles); got != want {
		t.Errorf("the widget changed the host page's styles:\n got %s\nwant %s", got, want)
	}
	var globals []string
	json.Unmarshal([]byte(evalString(t, ctx, `JSON.stringify(Object.keys(window).filter(k => !`+wantGlobals+`.includes(k)))`)), &globals)
	if strings.Join(globals, ",") != "heed" {
		t.Errorf("globals added by the widget: %v, want only heed", globals)
	}
	// The hostile `button {display:none}` must not hide the score buttons.
	if got := evalString(t, ctx, inWidget(`getComputedStyle(root.querySelector('button[data-score="9"]')).display`)); got == "none" {
		t.Fatal("score buttons hidden by the host's CSS")
	}
	time.Sleep(500 * time.Millisecond) // let the entrance animation finish
	saveScreenshot(t, ctx, "widget-question.png")

	// Keyboard only. The widget focuses its question when it opens (a key
	// meant to scroll the page must not answer); Tab reaches score 0. A
	// person needs a moment to read (the bot check wants >= 1 s).
	if got := evalString(t, ctx, inWidget(`root.activeElement ? root.activeElement.getAttribute('data-score') || root.activeElement.tagName : 'none'`)); got != "H2" {
		t.Fatalf("focus on open is %q, want the question", got)
	}
	if err := chromedp.Do(ctx, chromedp.KeyEvent(" ")); err != nil { // a scroll key
		t.Fatal(err)
	}
	time.Sleep(1200 * time.Millisecond)
	actions := []chromedp.Action[chromedp.Void]{chromedp.KeyEvent(kb.Tab)}
	for i := 0; i < 9; i++ {
		actions = append(actions, chromedp.KeyEvent(kb.ArrowRight))
	}
	actions = append(actions, chromedp.KeyEvent(kb.Enter))
	if err := chromedp.Do(ctx, actions...); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](inWidget(`!!root.querySelector('input[type=checkbox][value="rude_service"]')`), chromedp.WithPollingTimeout(10*time.Second))); err != nil {
		t.Fatalf("no reasons step: %v", err)
	}
	// Tab to the first reason, tick it, Tab past the second to the comment.
	tabTo := func(selector string) {
		t.Helper()
		for i := 0; i < 10; i++ {
			if evalString(t, ctx, inWidget(`String(root.activeElement === root.querySelector('`+selector+`'))`)) == "true" {
				return
			}
			if err := chromedp.Do(ctx, chromedp.KeyEvent(kb.Tab)); err != nil {
				t.Fatal(err)
			}
		}
		t.Fatalf("Tab never reached %s", selector)
	}
	tabTo(`input[type=checkbox][value="rude_service"]`)
	if err := chromedp.Do(ctx, chromedp.KeyEvent(" ")); err != nil {
		t.Fatal(err)
	}
	tabTo("textarea")
	if err := chromedp.Do(ctx, chromedp.KeyEvent("The agent was rude to me")); err != nil {
		t.Fatal(err)
	}
	tabTo(`button[type=submit]`)
	saveScreenshot(t, ctx, "widget-reasons.png")
	if err := chromedp.Do(ctx, chromedp.KeyEvent(kb.Enter)); err != nil {
		t.Fatal(err)
	}

	// Exactly one answer, with those values, through the API.
	var answers []map[string]any
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		r := ts.admin(t, "GET", "/api/v1/surveys/"+surveyID+"/responses", "")
		answers = nil
		for _, a := range r.json(t)["responses"].([]any) {
			answers = append(answers, a.(map[string]any))
		}
		if len(answers) == 1 && answers[0]["comment"] != "" {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if len(answers) != 1 {
		t.Fatalf("answers = %v, want exactly one", answers)
	}
	a := answers[0]
	if a["score"] != 9.0 || a["comment"] != "The agent was rude to me" || a["channel"] != "widget" || fmt.Sprint(a["reasons"]) != "[rude_service]" {
		t.Fatalf("answer = %v", a)
	}
	rep := ts.admin(t, "GET", "/api/v1/surveys/"+surveyID+"/report", "").json(t)["total"].(map[string]any)
	if rep["responses"] != 1.0 || rep["promoters"] != 1.0 {
		t.Fatalf("report total = %v", rep)
	}
	saveScreenshot(t, ctx, "widget-thanks.png")
	if got := evalString(t, ctx, hostStyles); got != want {
		t.Errorf("after answering, host styles changed:\n got %s\nwant %s", got, want)
	}
}

// TestWidgetRecontactAndOrigins: after an answer a reload does not ask
// again, and a site whose origin is not allowed gets no widget and no
// stored answer.
func TestWidgetRecontactAndOrigins(t *testing.T) {
	needBrowser(t)
	ts := newTestServer(t, "heed_test_server_widget2")
	var surveyID string
	host := hostSite(t, ts.url, &surveyID)
	surveyID = widgetSurvey(t, ts, host.URL)
	ctx := newBrowser(t)
	if err := chromedp.Do(ctx, chromedp.Navigate(host.URL+"/")); err != nil {
		t.Fatal(err)
	}
	waitWidget(t, ctx)
	time.Sleep(1100 * time.Millisecond)
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[any](inWidget(`root.querySelector('button[data-score="4"]').click()`))); err != nil {
		t.Fatal(err)
	}
	// Wait until the answer is stored, then reload.
	deadline := time.Now().Add(20 * time.Second)
	for {
		r := ts.admin(t, "GET", "/api/v1/surveys/"+surveyID+"/responses", "")
		if len(r.json(t)["responses"].([]any)) == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the score was not stored")
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err := chromedp.Do(ctx, chromedp.Reload()); err != nil {
		t.Fatal(err)
	}
	widgetAbsent(t, ctx)

	// Another origin, not in allowed_origins: no widget.
	var otherID = surveyID
	other := hostSite(t, ts.url, &otherID)
	if err := chromedp.Do(ctx, chromedp.Navigate(other.URL+"/")); err != nil {
		t.Fatal(err)
	}
	widgetAbsent(t, ctx)
	// And the API refuses its answers outright.
	r := ts.do(t, "POST", "/api/v1/surveys/"+surveyID+"/responses", `{"score":1}`, "Origin", other.URL, "Content-Type", "text/plain")
	if r.status != http.StatusForbidden || r.json(t)["error"].(map[string]any)["code"] != CodeForbidden {
		t.Fatalf("foreign origin: %d %s", r.status, r.body)
	}
	if r.header.Get("Access-Control-Allow-Origin") != "" {
		t.Fatal("CORS allowed a foreign origin")
	}
	r = ts.do(t, "POST", "/api/v1/surveys/"+surveyID+"/responses", `{"score":1,"channel":"api"}`, "Origin", host.URL, "Content-Type", "text/plain")
	if r.status != http.StatusAccepted || r.header.Get("Access-Control-Allow-Origin") != host.URL {
		t.Fatalf("allowed origin: %d %v", r.status, r.header)
	}
}

// TestWidgetNarrowTouchScreen: at 320 px wide with touch, every score
// button is on screen and big enough to tap, and the Spanish texts are used.
func TestWidgetNarrowTouchScreen(t *testing.T) {
	needBrowser(t)
	ts := newTestServer(t, "heed_test_server_widget320")
	var surveyID string
	host := hostSite(t, ts.url, &surveyID)
	surveyID = ts.createSurvey(t, `{"name":"Movil","language":"es","reasons":[{"id":"price","label":"Precio"}],"allowed_origins":["`+host.URL+`"]}`)
	ctx := newBrowser(t)
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(320, 640, chromedp.EmulateMobile, chromedp.EmulateTouch), chromedp.Navigate(host.URL+"/plain")); err != nil {
		t.Fatal(err)
	}
	waitWidget(t, ctx)
	time.Sleep(500 * time.Millisecond)
	// Each button: inside the viewport, at least 40 px tall and 24 px wide.
	bad := evalString(t, ctx, inWidget(`JSON.stringify([...root.querySelectorAll('button[data-score]')].map(b => {
		const r = b.getBoundingClientRect();
		return (r.left >= 0 && r.right <= innerWidth && r.top >= 0 && r.bottom <= innerHeight && r.height >= 40 && r.width >= 24) ? null : b.dataset.score + ':' + JSON.stringify(r);
	}).filter(Boolean))`))
	if bad != "[]" {
		t.Errorf("score buttons off screen or too small at 320 px: %s", bad)
	}
	if q := evalString(t, ctx, inWidget(`root.querySelector('#heed-title').textContent`)); !strings.Contains(q, "recomiende") && !strings.Contains(q, "recomendar") {
		t.Errorf("question not in Spanish: %q", q)
	}
	if w := evalString(t, ctx, `String(innerWidth)`); w != "320" {
		t.Fatalf("viewport is %s px wide, want 320", w)
	}
	saveScreenshot(t, ctx, "widget-320px.png")
}

// TestEmailAnswerInBrowser: a demo email from the outbox, opened in
// Chromium; the reader clicks 3, picks rude_service, writes a comment; the
// report shows one confirmed detractor citing rude service. A click that
// only GETs the link (a scanner) stays unconfirmed.
func TestEmailAnswerInBrowser(t *testing.T) {
	needBrowser(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	ts := newServerWith(t, "heed_test_server_emailbrowser", func(c *testConfig) {
		c.Listener, c.Server.Dev = ln, true
		c.Email.PublicURL, c.Email.SigningKeys = base, "t1:0123456789abcdef0123456789abcdef"
	})

	id := ts.createSurvey(t, shopSurvey)
	ts.admin(t, "POST", "/api/v1/contacts", `[{"email":"reader@example.com","name":"Reader"},{"email":"scanned@example.com"}]`)
	if r := ts.admin(t, "POST", "/api/v1/surveys/"+id+"/sends", `{"all":true}`); r.status != 202 {
		t.Fatalf("send: %d %s", r.status, r.body)
	}
	var msgs []emails.OutboxMessage
	deadline := time.Now().Add(15 * time.Second)
	for len(msgs) < 2 && time.Now().Before(deadline) {
		msgs, _ = ts.emailing.Outbox.List()
		time.Sleep(50 * time.Millisecond)
	}
	var reader, scanned emails.OutboxMessage
	for _, m := range msgs {
		switch m.To {
		case "reader@example.com":
			reader = m
		case "scanned@example.com":
			scanned = m
		}
	}
	if reader.File == "" || scanned.File == "" {
		t.Fatalf("outbox = %+v", msgs)
	}

	ctx := newBrowser(t)
	if err := chromedp.Do(ctx, chromedp.Navigate(base+"/dev/outbox")); err != nil {
		t.Fatal(err)
	}
	// Open the email from the outbox list, then click score 3 in it.
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`a[href="/dev/outbox/`+reader.File+`"]`))); err != nil {
		t.Fatal(err)
	}
	pageHas(t, ctx, `a[href*="?s=3"]`)
	saveScreenshot(t, ctx, "email.png")
	if err := chromedp.Do(ctx, chromedp.Evaluate[chromedp.Void](`(() => { const a = document.querySelector('a[href*="?s=3"]'); a.removeAttribute('target'); a.click(); })()`)); err != nil {
		t.Fatal(err)
	}
	pageHas(t, ctx, `input[name=reasons][value=rude_service]`)
	// The page's script confirms the score.
	ts.waitAnswer(t, id, func(a map[string]any) bool { return a["confirmed"] == true && a["score"] == 3.0 })
	if err := chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(`input[name=reasons][value=rude_service]`)),
		chromedp.SendKeys(chromedp.CSS(`#comment`), "The agent hung up on me"),
	); err != nil {
		t.Fatal(err)
	}
	saveScreenshot(t, ctx, "email-answer-page.png")
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`form.answer-form button[type=submit]`))); err != nil {
		t.Fatal(err)
	}
	ts.waitAnswer(t, id, func(a map[string]any) bool { return a["comment"] == "The agent hung up on me" })

	// A scanner only GETs the other email's score link: unconfirmed.
	link := scanned.HTML[strings.Index(scanned.HTML, base+"/r/"):]
	link = link[:strings.Index(link, `"`)]
	resp, err := http.Get(strings.ReplaceAll(strings.Replace(link, "s=0", "s=10", 1), "&amp;", "&"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	deadline = time.Now().Add(15 * time.Second)
	var list []map[string]any
	for time.Now().Before(deadline) {
		if list = ts.answers(t, id); len(list) == 2 {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	for _, a := range list {
		if a["respondent"] == analytics.ContactID("scanned@example.com") && a["confirmed"] != false {
			t.Fatalf("GET-only click confirmed: %v", a)
		}
	}
	total := ts.admin(t, "GET", "/api/v1/surveys/"+id+"/report", "").json(t)["total"].(map[string]any)
	rude := total["reasons"].(map[string]any)["rude_service"].(map[string]any)
	if total["responses"] != 1.0 || total["detractors"] != 1.0 || rude["share_of_detractors"] != 1.0 {
		t.Fatalf("report (confirmed only) = %v", total)
	}
	all := ts.admin(t, "GET", "/api/v1/surveys/"+id+"/report?include_unconfirmed=true", "").json(t)["total"].(map[string]any)
	if all["responses"] != 2.0 {
		t.Fatalf("report with unconfirmed = %v", all)
	}
}

// pageHas waits until the current page (which may still be navigating)
// has an element matching selector.
func pageHas(t *testing.T, ctx context.Context, selector string) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	var lastErr error
	for time.Now().Before(deadline) {
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`!!document.querySelector(`+strconv.Quote(selector)+`)`))
		if err == nil && ok {
			return
		}
		lastErr = err
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("the page never showed %s (%v)", selector, lastErr)
}

// TestWidgetPoliteness: URL rules, sampling and the cross-device recontact
// rule (identify + the server's eligibility check) keep the widget away.
func TestWidgetPoliteness(t *testing.T) {
	needBrowser(t)
	ts := newTestServer(t, "heed_test_server_polite")
	var surveyID string
	host := hostSite(t, ts.url, &surveyID)
	ctx := newBrowser(t)
	survey := func(widget string) string {
		return ts.createSurvey(t, `{"name":"P","allowed_origins":["`+host.URL+`"],"widget":`+widget+`}`)
	}
	visit := func(path string) {
		t.Helper()
		if err := chromedp.Do(ctx, chromedp.Navigate(host.URL+path)); err != nil {
			t.Fatal(err)
		}
	}

	surveyID = survey(`{"url_exclude":["/checkout*"]}`)
	visit("/checkout/pay")
	widgetAbsent(t, ctx)
	visit("/orders/1")
	waitWidget(t, ctx)

	surveyID = survey(`{"sample_percent":0}`)
	visit("/")
	widgetAbsent(t, ctx)

	// cust-7 answered on another device (through the API here): not asked
	// again; cust-8 is. (cust-8 first: a refusal is remembered by this
	// browser for a day, whoever it was for.)
	surveyID = survey(`{}`)
	if r := ts.do(t, "POST", "/api/v1/surveys/"+surveyID+"/responses", `{"score":8,"respondent":"cust-7"}`); r.status != 202 {
		t.Fatalf("answer: %d", r.status)
	}
	deadline := time.Now().Add(10 * time.Second)
	for len(ts.answers(t, surveyID)) == 0 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	visit("/identified?id=cust-8")
	waitWidget(t, ctx)
	visit("/identified?id=cust-7")
	widgetAbsent(t, ctx)
	// And it was the server's refusal that kept it away.
	if got := evalString(t, ctx, `String((JSON.parse(localStorage.getItem('heed:`+surveyID+`') || '{}').u || 0) > Date.now())`); got != "true" {
		t.Fatal("the widget stayed away without the server's refusal")
	}
}
