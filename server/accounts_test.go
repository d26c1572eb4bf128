package server

import (
	"errors"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"
)

var signInLink = regexp.MustCompile(`/dashboard\.html#signin=([A-Za-z0-9_-]+)`)

// lastSignInToken returns the token of the newest sign-in email to to.
func (ts *testServer) lastSignInToken(t *testing.T, to string) string {
	t.Helper()
	msgs, err := ts.emailing.Outbox.List()
	if err != nil {
		t.Fatal(err)
	}
	for i := len(msgs) - 1; i >= 0; i-- {
		m := msgs[i]
		if strings.Contains(m.To, to) {
			if match := signInLink.FindStringSubmatch(m.Text); match != nil {
				return match[1]
			}
		}
	}
	t.Fatalf("no sign-in email to %s in the outbox (%d messages)", to, len(msgs))
	return ""
}

// sessionOf returns the session cookie a response set.
func sessionOf(t *testing.T, r result) string {
	t.Helper()
	for _, ck := range (&http.Response{Header: r.header}).Cookies() {
		if ck.Name == sessionCookie && ck.Value != "" {
			if !ck.HttpOnly || !ck.Secure || ck.SameSite != http.SameSiteStrictMode || ck.Path != "/" {
				t.Errorf("session cookie %+v: want HttpOnly, Secure, SameSite=Strict, Path=/", ck)
			}
			return ck.Value
		}
	}
	t.Fatalf("no session cookie set (%d %s)", r.status, r.body)
	return ""
}

// TestSignInFlow: an admin invites a manager; the emailed link signs in
// once (a second use is 410) and gives a session whose changes need the
// CSRF token; a password set then signs in, a wrong one does not (the
// same answer as an unknown email); signing out ends one session, signing
// out everywhere all of them; a removed account's sessions end; a role
// change applies to the sessions at once; the audit log holds it all.
func TestSignInFlow(t *testing.T) {
	eachStore(t, "heed_test_server_signin", func(t *testing.T, ts *testServer) {
		r := ts.admin(t, "POST", "/api/v1/accounts", `{"email":" Maria@Example.com ","name":"Maria","role":"manager"}`)
		if r.status != http.StatusCreated {
			t.Fatalf("invite: %d %s", r.status, r.body)
		}
		id := r.json(t)["id"].(string)
		if r := ts.admin(t, "POST", "/api/v1/accounts", `{"email":"maria@example.com","role":"viewer"}`); r.status != http.StatusConflict {
			t.Errorf("second invitation of one email: %d %s", r.status, r.body)
		}
		for _, body := range []string{`{"email":"x@example.com","role":"ingest"}`, `{"email":"not an email","role":"viewer"}`, `{"email":"y@example.com","role":"owner"}`} {
			if r := ts.admin(t, "POST", "/api/v1/accounts", body); r.status != http.StatusUnprocessableEntity {
				t.Errorf("invite %s: %d %s", body, r.status, r.body)
			}
		}
		token := ts.lastSignInToken(t, "maria@example.com")
		if r := ts.do(t, "POST", "/api/v1/sign-in/link", `{"token":"`+token+`x"}`); r.status != http.StatusUnauthorized {
			t.Errorf("a wrong link: %d %s", r.status, r.body)
		}
		r = ts.do(t, "POST", "/api/v1/sign-in/link", `{"token":"`+token+`"}`)
		if r.status != http.StatusOK {
			t.Fatalf("sign in with the link: %d %s", r.status, r.body)
		}
		session := sessionOf(t, r)
		me := r.json(t)
		csrf, _ := me["csrf_token"].(string)
		if me["role"] != "manager" || csrf == "" {
			t.Fatalf("me after sign-in: %v", me)
		}
		if r := ts.do(t, "POST", "/api/v1/sign-in/link", `{"token":"`+token+`"}`); r.status != http.StatusGone {
			t.Errorf("the link used twice: %d %s", r.status, r.body)
		}
		cookie := sessionCookie + "=" + session
		as := func(method, path, body string, withCSRF bool) result {
			h := []string{"Cookie", cookie}
			if withCSRF {
				h = append(h, csrfHeader, csrf)
			}
			return ts.do(t, method, path, body, h...)
		}
		if r := as("GET", "/api/v1/surveys", "", false); r.status != http.StatusOK {
			t.Errorf("a manager lists surveys: %d %s", r.status, r.body)
		}
		survey := `{"name":"Support","question":"How likely are you to recommend us?"}`
		if r := as("POST", "/api/v1/surveys", survey, false); r.status != http.StatusForbidden || !strings.Contains(string(r.body), csrfHeader) {
			t.Errorf("a change without the CSRF token: %d %s", r.status, r.body)
		}
		if r := as("POST", "/api/v1/surveys", survey, true); r.status != http.StatusCreated {
			t.Errorf("a change with the CSRF token: %d %s", r.status, r.body)
		}
		if r := as("GET", "/api/v1/keys", "", false); r.status != http.StatusForbidden {
			t.Errorf("a manager lists keys: %d %s", r.status, r.body)
		}

		// A password, then signing in with it.
		if r := as("PUT", "/api/v1/me/password", `{"password":"short"}`, true); r.status != http.StatusUnprocessableEntity {
			t.Errorf("a short password: %d %s", r.status, r.body)
		}
		r = as("PUT", "/api/v1/me/password", `{"password":"correct horse battery staple"}`, true)
		if r.status != http.StatusNoContent {
			t.Fatalf("set a password: %d %s", r.status, r.body)
		}
		// The session is reissued (every other one ended): a new cookie
		// and CSRF token.
		cookie = sessionCookie + "=" + sessionOf(t, r)
		csrf = as("GET", "/api/v1/me", "", false).json(t)["csrf_token"].(string)
		if r := as("PUT", "/api/v1/me/password", `{"password":"another long password","current_password":"wrong"}`, true); r.status != http.StatusUnprocessableEntity {
			t.Errorf("change the password with a wrong current one: %d %s", r.status, r.body)
		}
		wrong := ts.do(t, "POST", "/api/v1/sign-in/password", `{"email":"maria@example.com","password":"correct horse battery stapler"}`)
		unknown := ts.do(t, "POST", "/api/v1/sign-in/password", `{"email":"nobody@example.com","password":"correct horse battery staple"}`)
		if wrong.status != http.StatusUnauthorized || string(wrong.body) != string(unknown.body) {
			t.Errorf("wrong password %d %s, unknown email %d %s: want the same 401", wrong.status, wrong.body, unknown.status, unknown.body)
		}
		r = ts.do(t, "POST", "/api/v1/sign-in/password", `{"email":"MARIA@example.com","password":"correct horse battery staple"}`)
		if r.status != http.StatusOK {
			t.Fatalf("sign in with the password: %d %s", r.status, r.body)
		}
		second := sessionCookie + "=" + sessionOf(t, r)
		secondCSRF := r.json(t)["csrf_token"].(string)

		// A role change applies to the running sessions.
		if r := ts.admin(t, "PATCH", "/api/v1/accounts/"+id, `{"role":"viewer"}`); r.status != http.StatusOK {
			t.Fatalf("make Maria a viewer: %d %s", r.status, r.body)
		}
		if r := as("POST", "/api/v1/surveys", survey, true); r.status != http.StatusForbidden {
			t.Errorf("a viewer creates a survey: %d %s", r.status, r.body)
		}

		// Sign out here; the other session lives on, until everywhere.
		if r := as("POST", "/api/v1/sign-out", "", true); r.status != http.StatusNoContent {
			t.Fatalf("sign out: %d %s", r.status, r.body)
		}
		if r := as("GET", "/api/v1/me", "", false); r.status != http.StatusUnauthorized {
			t.Errorf("after signing out: %d %s", r.status, r.body)
		}
		if r := ts.do(t, "GET", "/api/v1/me", "", "Cookie", second); r.status != http.StatusOK {
			t.Errorf("the other session after signing out here: %d %s", r.status, r.body)
		}
		third := sessionCookie + "=" + sessionOf(t, ts.do(t, "POST", "/api/v1/sign-in/password", `{"email":"maria@example.com","password":"correct horse battery staple"}`))
		if r := ts.do(t, "POST", "/api/v1/sign-out/everywhere", "", "Cookie", second, csrfHeader, secondCSRF); r.status != http.StatusNoContent {
			t.Fatalf("sign out everywhere: %d %s", r.status, r.body)
		}
		if r := ts.do(t, "GET", "/api/v1/me", "", "Cookie", third); r.status != http.StatusUnauthorized {
			t.Errorf("another session after signing out everywhere: %d %s", r.status, r.body)
		}

		// A removed account signs in no more.
		fourth := sessionCookie + "=" + sessionOf(t, ts.do(t, "POST", "/api/v1/sign-in/password", `{"email":"maria@example.com","password":"correct horse battery staple"}`))
		if r := ts.admin(t, "DELETE", "/api/v1/accounts/"+id, ""); r.status != http.StatusNoContent {
			t.Fatalf("remove Maria: %d %s", r.status, r.body)
		}
		if r := ts.do(t, "GET", "/api/v1/me", "", "Cookie", fourth); r.status != http.StatusUnauthorized {
			t.Errorf("a removed account's session: %d %s", r.status, r.body)
		}
		if r := ts.do(t, "POST", "/api/v1/sign-in/password", `{"email":"maria@example.com","password":"correct horse battery staple"}`); r.status != http.StatusUnauthorized {
			t.Errorf("a removed account signs in: %d %s", r.status, r.body)
		}

		r = ts.admin(t, "GET", "/api/v1/audit?limit=100", "")
		var actions []string
		for _, e := range r.json(t)["entries"].([]any) {
			actions = append(actions, e.(map[string]any)["action"].(string))
		}
		for _, want := range []string{"account.invite", "signin.link", "survey.create", "account.password", "signin.failed", "signin.password", "account.update", "signout", "signout.everywhere", "account.remove"} {
			if !strings.Contains(" "+strings.Join(actions, " ")+" ", " "+want+" ") {
				t.Errorf("audit log %v lacks %s", actions, want)
			}
		}
	})
}

// TestAPIKeys: a key is shown once and works with its role; a key limited
// to a survey reaches that survey's routes only, and lists only it; a
// revoked key is a 401 at once; the list shows when a key was last used,
// never its hash.
func TestAPIKeys(t *testing.T) {
	eachStore(t, "heed_test_server_keys", func(t *testing.T, ts *testServer) {
		a := ts.createSurvey(t, `{"name":"A","question":"Q?"}`)
		b := ts.createSurvey(t, `{"name":"B","question":"Q?"}`)
		r := ts.admin(t, "POST", "/api/v1/keys", `{"name":"BI tool","role":"viewer","surveys":["`+a+`"]}`)
		if r.status != http.StatusCreated {
			t.Fatalf("create a key: %d %s", r.status, r.body)
		}
		created := r.json(t)
		key, _ := created["key"].(string)
		keyID := created["id"].(string)
		if !strings.HasPrefix(key, "heed_"+keyID+"_") || created["secret_hash"] != nil {
			t.Fatalf("created key %v", created)
		}
		bearer := func(method, path string) result {
			return ts.do(t, method, path, "", "Authorization", "Bearer "+key)
		}
		if r := bearer("GET", "/api/v1/surveys/"+a+"/report"); r.status != http.StatusOK {
			t.Errorf("its survey's report: %d %s", r.status, r.body)
		}
		if r := bearer("GET", "/api/v1/surveys/"+b+"/report"); r.status != http.StatusForbidden {
			t.Errorf("another survey's report: %d %s", r.status, r.body)
		}
		if r := bearer("GET", "/api/v1/sends/x"); r.status != http.StatusForbidden {
			t.Errorf("a route of no survey: %d %s", r.status, r.body)
		}
		r = bearer("GET", "/api/v1/surveys")
		if list := r.json(t)["surveys"].([]any); len(list) != 1 || list[0].(map[string]any)["id"] != a {
			t.Errorf("a limited key lists %v", list)
		}
		if r := bearer("PATCH", "/api/v1/surveys/"+a); r.status != http.StatusForbidden {
			t.Errorf("a viewer key edits: %d %s", r.status, r.body)
		}
		if r := ts.admin(t, "POST", "/api/v1/keys", `{"name":"x","role":"viewer","surveys":["nosuch"]}`); r.status != http.StatusUnprocessableEntity {
			t.Errorf("a key for an unknown survey: %d %s", r.status, r.body)
		}
		if r := ts.admin(t, "POST", "/api/v1/keys", `{"name":"x","role":"root"}`); r.status != http.StatusUnprocessableEntity {
			t.Errorf("a key of an unknown role: %d %s", r.status, r.body)
		}
		r = ts.admin(t, "GET", "/api/v1/keys", "")
		keys := r.json(t)["keys"].([]any)
		if len(keys) != 1 || keys[0].(map[string]any)["last_used_at"] == "0001-01-01T00:00:00Z" || strings.Contains(string(r.body), key) || strings.Contains(string(r.body), hashToken(key)) {
			t.Errorf("key list %s", r.body)
		}
		if r := ts.admin(t, "DELETE", "/api/v1/keys/"+keyID, ""); r.status != http.StatusNoContent {
			t.Fatalf("revoke: %d %s", r.status, r.body)
		}
		if r := bearer("GET", "/api/v1/surveys/"+a+"/report"); r.status != http.StatusUnauthorized {
			t.Errorf("a revoked key: %d %s", r.status, r.body)
		}
		if err := ts.team.load(t.Context()); err != nil {
			t.Fatal(err)
		}
		if r := bearer("GET", "/api/v1/surveys/"+a+"/report"); r.status != http.StatusUnauthorized {
			t.Errorf("a revoked key after a reload: %d %s", r.status, r.body)
		}
		if r := ts.do(t, "GET", "/api/v1/surveys", "", "Authorization", "Bearer heed_"+keyID+"_guess"); r.status != http.StatusUnauthorized {
			t.Errorf("a guessed secret: %d %s", r.status, r.body)
		}
	})
}

// TestIngestKeyPostsAnswers: a backend posting answers with an ingest key
// is not held to the per-address limit meant for browsers; a key of
// another role, of another survey, or a wrong one is refused, never taken
// as anonymous.
func TestIngestKeyPostsAnswers(t *testing.T) {
	ts := newFakeServer(t, func(c *testConfig) { c.Server.RateLimit, c.Server.RateBurst = 0.01, 1 })
	sv := ts.createSurvey(t, `{"name":"A","question":"Q?"}`)
	other := ts.createSurvey(t, `{"name":"B","question":"Q?"}`)
	keyOf := func(role, surveys string) string {
		r := ts.admin(t, "POST", "/api/v1/keys", `{"name":"k","role":"`+role+`","surveys":[`+surveys+`]}`)
		if r.status != http.StatusCreated {
			t.Fatalf("key: %d %s", r.status, r.body)
		}
		return r.json(t)["key"].(string)
	}
	ingest, viewer, elsewhere := keyOf("ingest", ""), keyOf("viewer", ""), keyOf("ingest", `"`+other+`"`)
	post := func(key string) int {
		h := []string{}
		if key != "" {
			h = []string{"Authorization", "Bearer " + key}
		}
		return ts.do(t, "POST", "/api/v1/surveys/"+sv+"/responses", `{"score":9}`, h...).status
	}
	if got := post(""); got != http.StatusAccepted {
		t.Fatalf("first anonymous answer: %d", got)
	}
	if got := post(""); got != http.StatusTooManyRequests {
		t.Errorf("second anonymous answer: %d, want 429", got)
	}
	for i := range 5 {
		if got := post(ingest); got != http.StatusAccepted {
			t.Errorf("answer %d with the ingest key: %d", i, got)
		}
	}
	for key, want := range map[string]int{viewer: http.StatusForbidden, elsewhere: http.StatusForbidden, "heed_nope_nope": http.StatusUnauthorized} {
		if got := post(key); got != want {
			t.Errorf("answer with key %.12s…: %d, want %d", key, got, want)
		}
	}
}

// TestKeyUsesWritten: a key's use is written by the team's flush, so that
// another instance (a fresh load) sees when it was last used; a failed
// write keeps the use for the next flush.
func TestKeyUsesWritten(t *testing.T) {
	ts := newFakeServer(t, nil)
	r := ts.admin(t, "POST", "/api/v1/keys", `{"name":"k","role":"viewer"}`)
	key := r.json(t)["key"].(string)
	if r := ts.do(t, "GET", "/api/v1/surveys", "", "Authorization", "Bearer "+key); r.status != http.StatusOK {
		t.Fatalf("use the key: %d %s", r.status, r.body)
	}
	other := newTeam(ts.fake)
	ts.fake.Err = errors.New("down")
	if err := ts.team.flushUses(t.Context()); err == nil {
		t.Fatal("flush with the store down: no error")
	}
	ts.fake.Err = nil
	if err := ts.team.flushUses(t.Context()); err != nil {
		t.Fatal(err)
	}
	if err := other.load(t.Context()); err != nil {
		t.Fatal(err)
	}
	keys := other.listKeys()
	if len(keys) != 1 || keys[0].LastUsedAt.IsZero() || time.Since(keys[0].LastUsedAt) > 2*time.Minute {
		t.Errorf("another instance sees %+v", keys)
	}
}
