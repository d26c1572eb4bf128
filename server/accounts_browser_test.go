package server

import (
	"context"
	"encoding/json"
	"net"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"heed/analytics"
)

// person is one browser (a fresh profile: no cookies, no storage) on the
// dashboard, with the waits the steps need.
type person struct {
	t    *testing.T
	ctx  context.Context
	name string
}

func newPerson(t *testing.T, name string) *person {
	t.Helper()
	return &person{t: t, ctx: newBrowser(t), name: name}
}

func (p *person) open(url string) {
	p.t.Helper()
	if err := chromedp.Do(p.ctx, chromedp.Navigate(url)); err != nil {
		p.t.Fatal(err)
	}
}

func (p *person) eval(expr string) string {
	p.t.Helper()
	return evalString(p.t, p.ctx, expr)
}

// await runs a promise-returning expression and gives its string.
func (p *person) await(expr string) string {
	p.t.Helper()
	out, err := chromedp.Run(p.ctx, chromedp.Evaluate[string](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		p.t.Fatalf("%s: %s: %v", p.name, expr, err)
	}
	return out
}

// wait polls a JS condition until it holds (the deadline only stops a hang).
func (p *person) wait(expr, what string) {
	p.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if p.eval(`String(!!(`+expr+`))`) == "true" {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	p.t.Fatalf("%s never: %s (%s); status %q; page %.400q", p.name, what, expr,
		p.eval(`(document.getElementById('dash-status') || {}).textContent || ''`), p.eval(`document.querySelector('main').innerText`))
}

func (p *person) click(selector string) {
	p.t.Helper()
	if err := chromedp.Do(p.ctx, chromedp.Click(chromedp.CSS(selector))); err != nil {
		p.t.Fatalf("%s: click %s: %v", p.name, selector, err)
	}
}

// navTo clicks a view's link until the view shows (a click may miss while
// the page still moves: the report loading above it), and at most a few
// times: each click is the same view.
func (p *person) navTo(view, cond string) {
	p.t.Helper()
	for i := 0; i < 5; i++ {
		p.click(`#dash-nav-` + view)
		deadline := time.Now().Add(4 * time.Second)
		for time.Now().Before(deadline) {
			if p.eval(`String(!!(`+cond+`))`) == "true" {
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	p.wait(cond, "the "+view+" view")
}

func (p *person) typeIn(selector, text string) {
	p.t.Helper()
	if err := chromedp.Do(p.ctx, chromedp.SendKeys(chromedp.CSS(selector), text)); err != nil {
		p.t.Fatalf("%s: type in %s: %v", p.name, selector, err)
	}
}

// setValue sets a field's value as typing would end (input and change).
func (p *person) setValue(selector, value string) {
	p.t.Helper()
	p.eval(`((e) => { e.value = ` + strconv.Quote(value) + `; e.dispatchEvent(new Event('input', {bubbles: true})); e.dispatchEvent(new Event('change', {bubbles: true})); return ''; })(document.querySelector(` + strconv.Quote(selector) + `))`)
}

// visible: the element exists and is rendered (not hidden, nor in a
// closed <details>).
func visible(selector string) string {
	return `((e) => !!e && !e.closest('[hidden]') && e.checkVisibility({visibilityProperty: true}))(document.querySelector(` + strconv.Quote(selector) + `))`
}

// fetchStatus is the status of a fetch from the page (the session's
// cookie goes with it); csrf adds the session's CSRF token (from /me).
func (p *person) fetchStatus(method, path, body string, csrf bool) int {
	p.t.Helper()
	init := `{method: ` + strconv.Quote(method) + `, headers: h}`
	if body != "" {
		init = `{method: ` + strconv.Quote(method) + `, headers: h, body: ` + strconv.Quote(body) + `}`
	}
	js := `fetch('/api/v1/me').then((r) => r.ok ? r.json() : {}).then((me) => {
		const h = {'Content-Type': 'application/json'};
		if (` + strconv.FormatBool(csrf) + `) h['X-CSRF-Token'] = me.csrf_token;
		return fetch(` + strconv.Quote(path) + `, ` + init + `); }).then((r) => String(r.status))`
	n, err := strconv.Atoi(p.await(js))
	if err != nil {
		p.t.Fatal(err)
	}
	return n
}

// emailedLink finds the newest sign-in link emailed to address.
func emailedLink(t *testing.T, ts *testServer, address string) string {
	t.Helper()
	re := regexp.MustCompile(`https?://[^\s"<>]+/dashboard\.html#signin=[A-Za-z0-9_-]+`)
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		msgs, _ := ts.emailing.Outbox.List()
		link := ""
		var at time.Time
		for _, m := range msgs {
			if strings.Contains(m.To, address) && !m.At.Before(at) {
				if l := re.FindString(m.Text); l != "" {
					link, at = l, m.At
				}
			}
		}
		if link != "" {
			return link
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("no sign-in link was emailed to %s", address)
	return ""
}

// signInWithLink opens an emailed link in p's fresh browser and clicks
// Sign in: the token leaves the address at once, and nothing is spent
// until the click.
func (p *person) signInWithLink(link string) {
	p.t.Helper()
	p.open(link)
	p.wait(visible(`#dash-link-submit`), "the link's Sign in button")
	if href := p.eval(`location.href`); strings.Contains(href, "signin") {
		p.t.Errorf("%s: the sign-in token stays in the address: %s", p.name, href)
	}
	p.click(`#dash-link-submit`)
}

// TestAccountsInBrowser: an admin signs in to the dashboard with the
// bootstrap key and invites a manager from the Team view; the manager
// opens the emailed link in a fresh browser, clicks Sign in, reads the
// report, renames the survey, and sees no keys (nor may fetch them); the
// session cookie is HttpOnly, Secure and SameSite=Strict. The used link
// says so when opened again. The manager sets a password and signs in
// with it. A viewer, invited through the API, reads the report without
// edit controls and is refused an edit (403). The admin makes an API key
// (shown once), revokes it, reads the audit log by family, and removes
// the viewer, whose next load returns to the sign-in screen. axe checks
// every new view.
func TestAccountsInBrowser(t *testing.T) {
	needBrowser(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	ts := newServerWith(t, "heed_test_server_accounts_browser", func(c *testConfig) {
		c.Listener, c.Server.Dev = ln, true
		c.Email.PublicURL, c.Email.SigningKeys = base, "t1:0123456789abcdef0123456789abcdef"
	})
	sv := ts.createSurvey(t, shopSurvey)
	ts.respond(t, sv, `{"score":10}`)
	ts.respond(t, sv, `{"score":9}`)
	ts.respond(t, sv, `{"score":3,"reasons":["rude_service"],"comment":"The clerk was rude to me"}`)
	ts.waitReport(t, "/api/v1/surveys/"+sv+"/report", 3)
	npsShown := `(document.querySelector('#dash-total .dash-card-nps .dash-card-value') || {}).textContent === '33.3'`

	// The admin: the sign-in screen, then the key option.
	if !t.Run("admin invites a manager", func(t *testing.T) {
		admin := newPerson(t, "admin")
		admin.open(base + "/dashboard.html")
		admin.wait(visible(`#dash-password-form`)+` && `+visible(`#dash-email-submit`)+` && !`+visible(`#dash-key`), "the sign-in screen, the key folded away")
		saveScreenshot(t, admin.ctx, "dashboard-signin.png")
		checkAxe(t, admin.ctx, "the sign-in screen")
		admin.click(`#dash-key-option summary`)
		admin.wait(visible(`#dash-key`), "the key field")
		admin.typeIn(`#dash-key`, testKey)
		admin.click(`#dash-signin-submit`)
		admin.wait(npsShown, "the admin's report")
		admin.wait(visible(`#dash-nav-team`)+` && `+visible(`#dash-nav-keys`)+` && `+visible(`#dash-nav-audit`)+` && !`+visible(`#dash-nav-account`), "the admin's views (no account: a key)")
		admin.navTo("team", `location.search.includes('view=team') && `+visible(`#dash-invite-form`)+` && !`+visible(`#dash-app`))
		admin.wait(`document.getElementById('dash-team-list').textContent.includes('Nobody has an account yet')`, "the empty team")
		admin.typeIn(`#dash-invite-email`, "mona@example.com")
		admin.typeIn(`#dash-invite-name`, "Mona Manager")
		if got := admin.eval(`document.getElementById('dash-invite-role').value`); got != "manager" {
			t.Errorf("the invite form's role is %q, want manager first", got)
		}
		admin.click(`#dash-invite-submit`)
		admin.wait(`!!document.querySelector('#dash-team-table tr[data-email="mona@example.com"]') && document.getElementById('dash-team-status').textContent.includes('Invited mona@example.com as a manager')`, "Mona in the team")
		if role := admin.eval(`document.querySelector('#dash-team-table tr[data-email="mona@example.com"] select').value`); role != "manager" {
			t.Errorf("Mona's role = %q", role)
		}
		saveElementScreenshot(t, admin.ctx, "#dash-team", "dashboard-team.png")
		checkAxe(t, admin.ctx, "the Team view")
		// The view is in the address: a reload opens it again.
		admin.open(base + "/dashboard.html?view=team")
		admin.wait(visible(`#dash-team-table`)+` && document.getElementById('dash-nav-team').getAttribute('aria-current') === 'page'`, "the Team view after a reload")
	}) {
		return
	}

	manager := emailedLink(t, ts, "mona@example.com")
	if !strings.HasPrefix(manager, base+"/dashboard.html#signin=") {
		t.Fatalf("the invitation's link = %q", manager)
	}

	if !t.Run("manager signs in, reads, edits, sees no keys", func(t *testing.T) {
		mona := newPerson(t, "manager")
		mona.signInWithLink(manager)
		mona.wait(npsShown, "the manager's report")
		mona.wait(`document.getElementById('dash-whoami').textContent.includes('Mona Manager') && document.getElementById('dash-whoami').textContent.includes('manager')`, "who is signed in")
		mona.wait(`document.getElementById('dash-comments').textContent.includes('The clerk was rude to me')`, "the comments")
		for _, hidden := range []string{`#dash-nav-team`, `#dash-nav-keys`, `#dash-nav-audit`, `#dash-delete-survey`} {
			if mona.eval(`String(`+visible(hidden)+`)`) != "false" {
				t.Errorf("a manager sees %s", hidden)
			}
		}
		if mona.eval(`String(`+visible(`#dash-nav-account`)+`)`) != "true" {
			t.Error("a manager has no My account")
		}
		// The session cookie: not for scripts, Secure, SameSite=Strict.
		if c := mona.eval(`document.cookie`); strings.Contains(c, "heed_session") {
			t.Errorf("scripts see the session cookie: %q", c)
		}
		cookies, err := chromedp.Call(mona.ctx, network.GetCookies, network.GetCookiesParams{URLs: []string{base + "/"}})
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, c := range cookies.Cookies {
			if c.Name == sessionCookie {
				found = true
				if !c.HTTPOnly || !c.Secure || c.SameSite != network.CookieSameSiteStrict {
					t.Errorf("the session cookie is not HttpOnly, Secure and SameSite=Strict: %+v", c)
				}
			}
		}
		if !found {
			t.Errorf("Chromium kept no %s cookie for %s: %+v", sessionCookie, base, cookies.Cookies)
		}
		if n := mona.fetchStatus("GET", "/api/v1/keys", "", false); n != 403 {
			t.Errorf("a manager's GET /api/v1/keys = %d, want 403", n)
		}
		// A view the role does not have, by its address: the reports instead.
		mona.open(base + "/dashboard.html?view=keys")
		mona.wait(npsShown+` && !`+visible(`#dash-keys`)+` && document.getElementById('dash-status').textContent.includes('not open to your role')`, "the reports instead of the keys")
		// Rename the survey in its settings.
		mona.wait(visible(`#dash-edit-survey`)+` && document.getElementById('dash-app').getAttribute('aria-busy') === 'false'`, "the survey's edit button")
		mona.click(`#dash-edit-survey`)
		mona.wait(visible(`#dash-survey-form`)+` && document.getElementById('dash-sf-name').value === 'Shop'`, "the survey form")
		mona.setValue(`#dash-sf-name`, "")
		mona.typeIn(`#dash-sf-name`, "Shop (renamed by Mona)")
		mona.click(`#dash-survey-form-submit`)
		mona.wait(`[...document.querySelectorAll('#dash-survey option')].some((o) => o.textContent === 'Shop (renamed by Mona)') && document.getElementById('dash-survey-form').hidden`, "the renamed survey")
		if got := ts.admin(t, "GET", "/api/v1/surveys/"+sv, "").json(t); got["name"] != "Shop (renamed by Mona)" {
			t.Fatalf("the rename was not stored: %v", got["name"])
		}
		mona.eval(`(window.scrollTo({top: 0, behavior: 'instant'}), '')`)
		saveScreenshot(t, mona.ctx, "dashboard-manager.png")
		// My account: a password, then sign out and in with it.
		mona.navTo("account", visible(`#dash-password-set`)+` && !`+visible(`#dash-password-current`)+` && document.getElementById('dash-account-facts').textContent.includes('mona@example.com')`)
		checkAxe(t, mona.ctx, "My account")
		saveElementScreenshot(t, mona.ctx, "main", "dashboard-account.png")
		mona.typeIn(`#dash-password-new`, "short")
		mona.click(`#dash-password-save`)
		mona.wait(`document.getElementById('dash-password-error').textContent.includes('12 characters')`, "a short password refused")
		mona.setValue(`#dash-password-new`, "correct horse battery")
		mona.click(`#dash-password-save`)
		mona.wait(`document.getElementById('dash-password-result').textContent.includes('Your password is set') && `+visible(`#dash-password-current`), "the password set")
		mona.click(`#dash-account-signout`)
		mona.wait(visible(`#dash-password-form`)+` && document.getElementById('dash-status').textContent.includes('Signed out')`, "signed out")
		if n := mona.fetchStatus("GET", "/api/v1/surveys", "", false); n != 401 {
			t.Errorf("after signing out, GET /api/v1/surveys = %d, want 401", n)
		}
		mona.typeIn(`#dash-email`, "mona@example.com")
		mona.typeIn(`#dash-password`, "wrong password here")
		mona.click(`#dash-password-submit`)
		mona.wait(`document.getElementById('dash-status').textContent.includes('Wrong email or password') && document.getElementById('dash-password').getAttribute('aria-invalid') === 'true'`, "a wrong password told")
		mona.typeIn(`#dash-password`, "correct horse battery")
		mona.click(`#dash-password-submit`)
		mona.wait(npsShown+` && document.getElementById('dash-whoami').textContent.includes('Mona')`, "signed in with the password")
		// A reload keeps the session (the cookie): no sign-in screen.
		mona.open(base + "/dashboard.html")
		mona.wait(npsShown+` && !`+visible(`#dash-signin`), "the session after a reload")
		// Sign out everywhere: this session ends too.
		mona.navTo("account", visible(`#dash-account-everywhere`))
		mona.click(`#dash-account-everywhere`)
		mona.wait(visible(`#dash-password-form`)+` && document.getElementById('dash-status').textContent.includes('Signed out everywhere') && !location.search.includes('view=')`, "signed out everywhere")
		if n := mona.fetchStatus("GET", "/api/v1/me", "", false); n != 401 {
			t.Errorf("after signing out everywhere, /api/v1/me = %d, want 401", n)
		}
	}) {
		return
	}

	t.Run("a used link says so", func(t *testing.T) {
		again := newPerson(t, "used link")
		again.signInWithLink(manager)
		again.wait(`document.getElementById('dash-status').textContent.includes('This link was used or has expired') && `+visible(`#dash-email`)+` && document.activeElement === document.getElementById('dash-email')`, "the used link's error, with the email form")
		saveScreenshot(t, again.ctx, "dashboard-link-used.png")
		checkAxe(t, again.ctx, "the used link's error")
	})

	// A viewer, invited through the API.
	if r := ts.admin(t, "POST", "/api/v1/accounts", `{"email":"vic@example.com","name":"Vic Viewer","role":"viewer"}`); r.status != 201 {
		t.Fatalf("invite the viewer: %d %s", r.status, r.body)
	}
	viewerLink := emailedLink(t, ts, "vic@example.com")
	vic := newPerson(t, "viewer") // kept open: removed later, the session ends
	t.Run("viewer reads, cannot edit", func(t *testing.T) {
		vic.t = t
		vic.signInWithLink(viewerLink)
		vic.wait(npsShown, "the viewer's report")
		vic.wait(`document.getElementById('dash-cases-section').hidden === false`, "the follow-ups")
		for _, hidden := range []string{`#dash-edit-survey`, `#dash-new-survey`, `#dash-archive-survey`, `#dash-delete-survey`, `#dash-sends-section`, `#dash-nav-team`, `#dash-nav-keys`, `#dash-nav-audit`} {
			if vic.eval(`String(`+visible(hidden)+`)`) != "false" {
				t.Errorf("a viewer sees %s", hidden)
			}
		}
		// A detractor's case opens, without its actions.
		vic.wait(`!!document.querySelector('#dash-case-list summary')`, "a case")
		vic.click(`#dash-case-list summary`)
		vic.wait(`document.querySelector('#dash-case-list .dash-case-body').textContent.includes('Notes')`, "the case's details")
		if vic.eval(`String(!!document.querySelector('#dash-case-list .dash-case-close, #dash-case-list .dash-case-assign'))`) != "false" {
			t.Error("a viewer gets the case's actions")
		}
		if body := vic.eval(`document.querySelector('#dash-case-list .dash-case-body').textContent`); strings.Contains(body, "null") {
			t.Errorf("the case's details show %q", body)
		}
		vic.wait(`document.getElementById('dash-app').getAttribute('aria-busy') === 'false'`, "every load done (a loading region is faded)")
		vic.eval(`(window.scrollTo({top: 0, behavior: 'instant'}), '')`)
		saveScreenshot(t, vic.ctx, "dashboard-viewer.png")
		saveElementScreenshot(t, vic.ctx, "#dash-cases-section", "dashboard-viewer-case.png")
		checkAxe(t, vic.ctx, "the viewer's reports")
		if n := vic.fetchStatus("PATCH", "/api/v1/surveys/"+sv, `{"name":"Vic was here"}`, true); n != 403 {
			t.Errorf("a viewer's PATCH of the survey (with the CSRF token) = %d, want 403", n)
		}
		if got := ts.admin(t, "GET", "/api/v1/surveys/"+sv, "").json(t); got["name"] != "Shop (renamed by Mona)" {
			t.Errorf("the viewer's edit was stored: %v", got["name"])
		}
	})

	t.Run("admin keys, audit, removes the viewer", func(t *testing.T) {
		admin := newPerson(t, "admin again")
		admin.open(base + "/dashboard.html?view=keys#key=" + testKey)
		admin.wait(visible(`#dash-key-form`)+` && document.getElementById('dash-keys-list').textContent.includes('No API keys yet')`, "the keys view")
		admin.wait(`document.querySelectorAll('#dash-key-survey-list input[type=checkbox]').length === 1`, "the survey to limit a key to")
		admin.typeIn(`#dash-key-name`, "BI reports")
		admin.setValue(`#dash-key-role`, "viewer")
		admin.click(`#dash-key-survey-list input[type=checkbox]`)
		admin.click(`#dash-key-submit`)
		admin.wait(visible(`#dash-key-new`)+` && document.getElementById('dash-key-new-value').textContent.startsWith('heed_') && !!document.querySelector('#dash-keys-table tr[data-key]')`, "the new key, shown once")
		key := admin.eval(`document.getElementById('dash-key-new-value').textContent`)
		row := admin.eval(`document.querySelector('#dash-keys-table tbody tr').textContent`)
		for _, want := range []string{"BI reports", "Viewer", "Shop (renamed by Mona) (" + sv + ")", "the admin key", "Never"} {
			if !strings.Contains(row, want) {
				t.Errorf("the key's row lacks %q: %q", want, row)
			}
		}
		if strings.Contains(row, key) {
			t.Error("the key list shows the secret")
		}
		saveElementScreenshot(t, admin.ctx, "#dash-keys", "dashboard-keys.png")
		checkAxe(t, admin.ctx, "the API keys view")
		// The key reads its survey's report, until revoked.
		report := "/api/v1/surveys/" + sv + "/report"
		if r := ts.do(t, "GET", report, "", "Authorization", "Bearer "+key); r.status != 200 {
			t.Errorf("the new viewer key reading its survey: %d %s", r.status, r.body)
		}
		admin.click(`#dash-key-done`)
		admin.wait(`!`+visible(`#dash-key-new`)+` && document.getElementById('dash-key-new-value').textContent === ''`, "the key forgotten")
		admin.click(`#dash-keys-table .dash-revoke`)
		admin.wait(visible(`#dash-keys-table .dash-confirm-yes`), "the revoke question")
		admin.click(`#dash-keys-table .dash-confirm-yes`)
		admin.wait(`document.getElementById('dash-keys-list').textContent.includes('No API keys yet') && document.getElementById('dash-keys-status').textContent.includes('Revoked')`, "the key revoked")
		if r := ts.do(t, "GET", report, "", "Authorization", "Bearer "+key); r.status != 401 {
			t.Errorf("a revoked key: %d %s", r.status, r.body)
		}
		// The audit log, newest first, then only the keys. Older entries
		// a page away, two a second (a page may end inside a second).
		var older []analytics.AuditEntry
		hourAgo := time.Now().UTC().Add(-time.Hour).Truncate(time.Second)
		for i := 0; i < 61; i++ {
			older = append(older, analytics.AuditEntry{At: hourAgo.Add(time.Duration(i/2) * time.Second), Actor: "old@example.com", Role: "manager",
				Action: "survey.update", Target: "old-" + strconv.Itoa(i), IP: "192.0.2.1"})
		}
		if err := ts.Server.store.AppendAudit(context.Background(), older); err != nil {
			t.Fatal(err)
		}
		total := len(ts.admin(t, "GET", "/api/v1/audit?limit=1000", "").json(t)["entries"].([]any))
		admin.navTo("audit", `!!document.querySelector('#dash-audit-table tr[data-action="key.revoke"]') && !!document.querySelector('#dash-audit-table tr[data-action="account.invite"]')`)
		if first := admin.eval(`document.querySelector('#dash-audit-table tbody tr').getAttribute('data-action')`); first != "key.revoke" {
			t.Errorf("the newest entry is %q, want key.revoke", first)
		}
		saveScreenshot(t, admin.ctx, "dashboard-audit.png")
		checkAxe(t, admin.ctx, "the audit log")
		rows := `document.querySelectorAll('#dash-audit-table tbody tr').length`
		if got := admin.eval(`String(` + rows + `)`); got != "50" {
			t.Errorf("the first page has %s entries, want 50", got)
		}
		for page := 0; page < 3 && admin.eval(`String(`+visible(`#dash-audit-older`)+`)`) == "true"; page++ {
			n := admin.eval(`String(` + rows + `)`)
			admin.click(`#dash-audit-older`)
			admin.wait(rows+` > `+n+` || document.getElementById('dash-audit-status').textContent.includes('No older')`, "older entries")
		}
		shown := admin.eval(`JSON.stringify([...document.querySelectorAll('#dash-audit-table tbody tr')].map((r) => r.textContent))`)
		var texts []string
		json.Unmarshal([]byte(shown), &texts)
		seen := map[string]bool{}
		for _, x := range texts {
			if seen[x] {
				t.Errorf("the audit log shows an entry twice: %q", x)
			}
			seen[x] = true
		}
		if len(texts) != total || admin.eval(`String(`+visible(`#dash-audit-older`)+`)`) != "false" {
			t.Errorf("after paging: %d entries shown of %d, older button visible: %s", len(texts), total, admin.eval(`String(`+visible(`#dash-audit-older`)+`)`))
		}
		admin.setValue(`#dash-audit-action`, "key.")
		admin.wait(`location.search.includes('action=key.') && document.querySelectorAll('#dash-audit-table tbody tr').length === 2 && [...document.querySelectorAll('#dash-audit-table tbody tr')].every((r) => r.getAttribute('data-action').startsWith('key.'))`, "only the keys' entries")
		// Remove the viewer.
		admin.navTo("team", `!!document.querySelector('#dash-team-table tr[data-email="vic@example.com"] .dash-remove')`)
		// A role changed, an invitation sent again.
		admin.setValue(`#dash-team-table tr[data-email="vic@example.com"] select`, "manager")
		admin.wait(`document.getElementById('dash-team-status').textContent === 'vic@example.com is now a manager.'`, "the role changed")
		roles := map[string]any{}
		for _, a := range ts.admin(t, "GET", "/api/v1/accounts", "").json(t)["accounts"].([]any) {
			roles[a.(map[string]any)["email"].(string)] = a.(map[string]any)["role"]
		}
		if roles["vic@example.com"] != "manager" || roles["mona@example.com"] != "manager" {
			t.Errorf("the roles stored: %v", roles)
		}
		before, _ := ts.emailing.Outbox.List()
		admin.click(`#dash-team-table tr[data-email="vic@example.com"] .dash-reinvite`)
		admin.wait(`document.getElementById('dash-team-status').textContent.includes('A new invitation is on its way to vic@example.com')`, "the invitation sent again")
		if after, _ := ts.emailing.Outbox.List(); len(after) != len(before)+1 || !strings.Contains(after[0].To, "vic@example.com") {
			t.Errorf("the outbox after resending: %d then %d messages", len(before), len(after))
		}
		admin.click(`#dash-team-table tr[data-email="vic@example.com"] .dash-remove`)
		admin.wait(visible(`#dash-team-table tr[data-email="vic@example.com"] .dash-confirm-yes`), "the remove question")
		admin.click(`#dash-team-table tr[data-email="vic@example.com"] .dash-confirm-yes`)
		admin.wait(`!document.querySelector('#dash-team-table tr[data-email="vic@example.com"]') && document.getElementById('dash-team-status').textContent.includes('Removed vic@example.com')`, "the viewer removed")
		// Back returns to the audit log (the views are history entries).
		if err := chromedp.Do(admin.ctx, chromedp.NavigateBack()); err != nil {
			t.Fatal(err)
		}
		admin.wait(visible(`#dash-audit-table`)+` && location.search.includes('view=audit')`, "Back to the audit log")
	})
	// The removed viewer's next load: the session has ended, sign in again.
	vic.t = t
	vic.navTo("reports", visible(`#dash-app`)+` || `+visible(`#dash-password-form`))
	vic.setValue(`#dash-interval`, "day")
	vic.wait(visible(`#dash-password-form`)+` && document.getElementById('dash-status').textContent.includes('Your session has ended')`, "the removed viewer back at the sign-in screen")
}
