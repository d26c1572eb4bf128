package server

import (
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestDashboardSessionContract: what the dashboard's scripts rely on
// (site/dashboard: load.js, signin.js, api.js, nav.js), on the fast tier.
// GET /api/v1/me answers 401 to nobody, and with a key or a session gives
// kind, role and can{read,manage,ingest,admin} (a session also its account,
// has_password and csrf_token); POST /api/v1/sign-in/link answers the same
// JSON and sets an HttpOnly, Secure, SameSite=Strict cookie, and answers
// 410 to a used link and 401 to an unknown one; with the cookie, a change
// needs X-CSRF-Token (403 without), and a viewer's change is 403 with it;
// signing out ends the session.
func TestDashboardSessionContract(t *testing.T) {
	ts := newFakeServer(t, nil)
	sv := ts.createSurvey(t, shopSurvey)

	if r := ts.do(t, "GET", "/api/v1/me", ""); r.status != http.StatusUnauthorized {
		t.Fatalf("nobody's /me: %d %s", r.status, r.body)
	}
	boot := ts.admin(t, "GET", "/api/v1/me", "").json(t)
	if boot["kind"] != "bootstrap" || boot["role"] != "admin" || boot["csrf_token"] != nil || !wantCan(boot, true, true, true, true) {
		t.Errorf("the bootstrap key's /me = %v", boot)
	}

	link := func(email string) string {
		t.Helper()
		re := regexp.MustCompile(`#signin=([A-Za-z0-9_-]+)`)
		deadline := time.Now().Add(10 * time.Second)
		for time.Now().Before(deadline) {
			msgs, _ := ts.emailing.Outbox.List()
			for _, msg := range msgs { // newest first
				if m := re.FindStringSubmatch(msg.Text); m != nil && strings.Contains(msg.To, email) {
					return m[1]
				}
			}
			time.Sleep(20 * time.Millisecond)
		}
		t.Fatalf("no sign-in link for %s", email)
		return ""
	}
	signIn := func(email, role string) (cookie, csrf string) {
		t.Helper()
		if r := ts.admin(t, "POST", "/api/v1/accounts", `{"email":"`+email+`","name":"Someone","role":"`+role+`"}`); r.status != http.StatusCreated {
			t.Fatalf("invite %s: %d %s", email, r.status, r.body)
		}
		token := link(email)
		r := ts.do(t, "POST", "/api/v1/sign-in/link", `{"token":"`+token+`"}`)
		if r.status != http.StatusOK {
			t.Fatalf("sign in %s: %d %s", email, r.status, r.body)
		}
		var set *http.Cookie
		for _, c := range (&http.Response{Header: r.header}).Cookies() {
			if c.Name == sessionCookie {
				set = c
			}
		}
		if set == nil || !set.HttpOnly || !set.Secure || set.SameSite != http.SameSiteStrictMode || set.Path != "/" {
			t.Fatalf("the session cookie: %+v", set)
		}
		me := r.json(t)
		account, _ := me["account"].(map[string]any)
		if me["kind"] != "session" || me["role"] != role || account["email"] != email || me["has_password"] != false || me["csrf_token"] == "" {
			t.Errorf("the sign-in's answer (the dashboard's /me) = %v", me)
		}
		// The link works once: 410 again, 401 for one that never was.
		if r := ts.do(t, "POST", "/api/v1/sign-in/link", `{"token":"`+token+`"}`); r.status != http.StatusGone {
			t.Errorf("a used link: %d %s", r.status, r.body)
		}
		cookie = sessionCookie + "=" + set.Value
		again := ts.do(t, "GET", "/api/v1/me", "", "Cookie", cookie).json(t)
		if again["csrf_token"] != me["csrf_token"] {
			t.Errorf("/me's csrf_token %v differs from the sign-in's %v", again["csrf_token"], me["csrf_token"])
		}
		return cookie, me["csrf_token"].(string)
	}
	if r := ts.do(t, "POST", "/api/v1/sign-in/link", `{"token":"never-issued"}`); r.status != http.StatusUnauthorized {
		t.Errorf("an unknown link: %d %s", r.status, r.body)
	}

	patch := `{"name":"Renamed"}`
	mgr, mgrCSRF := signIn("mona@example.com", "manager")
	if me := ts.do(t, "GET", "/api/v1/me", "", "Cookie", mgr).json(t); !wantCan(me, true, true, true, false) {
		t.Errorf("a manager's can = %v", me["can"])
	}
	if r := ts.do(t, "PATCH", "/api/v1/surveys/"+sv, patch, "Cookie", mgr); r.status != http.StatusForbidden {
		t.Errorf("a session's change without X-CSRF-Token: %d %s", r.status, r.body)
	}
	if r := ts.do(t, "PATCH", "/api/v1/surveys/"+sv, patch, "Cookie", mgr, csrfHeader, mgrCSRF); r.status != http.StatusOK {
		t.Errorf("a manager's change with the token: %d %s", r.status, r.body)
	}
	if r := ts.do(t, "GET", "/api/v1/keys", "", "Cookie", mgr); r.status != http.StatusForbidden {
		t.Errorf("a manager's GET /api/v1/keys: %d %s", r.status, r.body)
	}

	vic, vicCSRF := signIn("vic@example.com", "viewer")
	if me := ts.do(t, "GET", "/api/v1/me", "", "Cookie", vic).json(t); !wantCan(me, true, false, false, false) {
		t.Errorf("a viewer's can = %v", me["can"])
	}
	if r := ts.do(t, "PATCH", "/api/v1/surveys/"+sv, patch, "Cookie", vic, csrfHeader, vicCSRF); r.status != http.StatusForbidden {
		t.Errorf("a viewer's change: %d %s", r.status, r.body)
	}
	if r := ts.do(t, "GET", "/api/v1/surveys/"+sv+"/report", "", "Cookie", vic); r.status != http.StatusOK {
		t.Errorf("a viewer's report: %d %s", r.status, r.body)
	}

	// Signing out: 204, then the cookie is worth nothing.
	if r := ts.do(t, "POST", "/api/v1/sign-out", "", "Cookie", vic, csrfHeader, vicCSRF); r.status != http.StatusNoContent {
		t.Fatalf("sign out: %d %s", r.status, r.body)
	}
	if r := ts.do(t, "GET", "/api/v1/me", "", "Cookie", vic); r.status != http.StatusUnauthorized {
		t.Errorf("/me after signing out: %d %s", r.status, r.body)
	}
}

// wantCan checks /me's can.
func wantCan(me map[string]any, read, manage, ingest, admin bool) bool {
	can, _ := me["can"].(map[string]any)
	return can["read"] == read && can["manage"] == manage && can["ingest"] == ingest && can["admin"] == admin && len(can) == 4
}
