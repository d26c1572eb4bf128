package server

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	sgmail "github.com/sendgrid/sendgrid-go/helpers/mail"

	"heed/emails"
)

// blockingMailer holds every message until released, then hands it on.
type blockingMailer struct {
	next    emails.Mailer
	release chan struct{}
	once    sync.Once
}

func (m *blockingMailer) Send(ctx context.Context, msg *sgmail.SGMailV3) error {
	<-m.release
	return m.next.Send(ctx, msg)
}

func (m *blockingMailer) open() { m.once.Do(func() { close(m.release) }) }

// within runs f and returns its result, failing the test when f has not
// returned by a generous deadline (it would block forever otherwise).
func within(t *testing.T, what string, f func() result) result {
	t.Helper()
	done := make(chan result, 1)
	go func() { done <- f() }()
	select {
	case r := <-done:
		return r
	case <-time.After(20 * time.Second):
		t.Fatalf("%s: no answer while the mail is held", what)
		return result{}
	}
}

// signInMails counts the sign-in link emails (not invitations) to an
// address in the outboxes of some instances.
func signInMails(t *testing.T, to string, servers ...*testServer) int {
	t.Helper()
	n := 0
	for _, ts := range servers {
		msgs, err := ts.emailing.Outbox.List()
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range msgs {
			if strings.Contains(m.To, to) && m.Subject == "Your link to sign in to Heed" {
				n++
			}
		}
	}
	return n
}

// auditCount counts the entries of an action family.
func (ts *testServer) auditCount(t *testing.T, action string) int {
	t.Helper()
	r := ts.admin(t, "GET", "/api/v1/audit?limit=1000&action="+action, "")
	if r.status != http.StatusOK {
		t.Fatalf("audit: %d %s", r.status, r.body)
	}
	return len(r.json(t)["entries"].([]any))
}

// TestSignInEmailSameAnswer: POST /sign-in/email answers at once and the
// same for an address with an account and one without, whatever the
// mail does: the link is made and mailed afterwards, so the answer cannot
// tell them apart. Mails go out in order, and none to the unknown address.
func TestSignInEmailSameAnswer(t *testing.T) {
	ts := newFakeServer(t, nil)
	if r := ts.admin(t, "POST", "/api/v1/accounts", `{"email":"maria@example.com","role":"manager"}`); r.status != http.StatusCreated {
		t.Fatalf("invite: %d %s", r.status, r.body)
	}
	held := &blockingMailer{next: ts.emailing.Mailer, release: make(chan struct{})}
	ts.emailing.Mailer = held
	t.Cleanup(held.open)

	unknown := within(t, "unknown address", func() result {
		return ts.do(t, "POST", "/api/v1/sign-in/email", `{"email":"nobody@example.com"}`)
	})
	known := within(t, "address with an account", func() result {
		return ts.do(t, "POST", "/api/v1/sign-in/email", `{"email":"maria@example.com"}`)
	})
	if known.status != http.StatusAccepted || unknown.status != known.status {
		t.Fatalf("statuses: known %d, unknown %d", known.status, unknown.status)
	}
	if a, b := string(known.body), strings.ReplaceAll(string(unknown.body), "nobody@", "maria@"); a != b {
		t.Errorf("answers differ:\n%s\n%s", a, b)
	}
	if n := signInMails(t, "maria@example.com", ts); n != 0 {
		t.Fatalf("%d mails sent while the mailer is held", n)
	}
	held.open()
	waitFor(t, func() bool { return signInMails(t, "maria@example.com", ts) == 1 })
	// Asked for first, the unknown address was handled before the mail.
	if n := signInMails(t, "nobody@example.com", ts); n != 0 {
		t.Errorf("%d mails to an address without an account", n)
	}
	if ts.auditCount(t, "signin.link_sent") != 1 {
		t.Errorf("the link sent is not in the audit log")
	}
}

// twoInstances runs two servers on one store: the test database of
// dbName, or one in-memory store.
func twoInstances(t *testing.T, dbName string, mutate func(*testConfig)) (a, b *testServer) {
	if dbName == "" {
		a = newFakeServer(t, mutate)
	} else {
		a = newServerWith(t, dbName, mutate)
	}
	store := a.Server.store
	b = newServerWith(t, "", func(c *testConfig) {
		if mutate != nil {
			mutate(c)
		}
		c.Store = store
		c.Server.Migrated = true
	})
	return a, b
}

// eachTwoInstances runs f on two instances sharing the in-memory store,
// then a real test database.
func eachTwoInstances(t *testing.T, dbName string, mutate func(*testConfig), f func(t *testing.T, a, b *testServer)) {
	t.Run("fake", func(t *testing.T) { a, b := twoInstances(t, "", mutate); f(t, a, b) })
	t.Run("clickhouse", func(t *testing.T) { a, b := twoInstances(t, dbName, mutate); f(t, a, b) })
}

// TestSignInEmailLimitPerAccount: one account gets at most
// signInMailsPerWindow sign-in emails per window, counted in the store, so
// asking through several instances does not add up; beyond, the answer is
// the same 202 and the audit log says the mail was held back. Invitations
// do not count.
func TestSignInEmailLimitPerAccount(t *testing.T) {
	eachTwoInstances(t, "heed_test_server_signin_mail_limit", nil, func(t *testing.T, a, b *testServer) {
		if r := a.admin(t, "POST", "/api/v1/accounts", `{"email":"maria@example.com","role":"manager"}`); r.status != http.StatusCreated {
			t.Fatalf("invite: %d %s", r.status, r.body)
		}
		waitFor(t, func() bool {
			b.loadTeam(context.Background())
			_, ok := b.team.accountByEmail("maria@example.com")
			return ok
		})
		asks := signInMailsPerWindow + 2
		var first string
		for i := range asks {
			ts := []*testServer{a, b}[i%2]
			r := ts.do(t, "POST", "/api/v1/sign-in/email", `{"email":"maria@example.com"}`)
			if r.status != http.StatusAccepted || (first != "" && string(r.body) != first) {
				t.Fatalf("ask %d: %d %s", i, r.status, r.body)
			}
			first = string(r.body)
			// Each ask is handled before the next: the rule, not a race.
			waitFor(t, func() bool {
				return a.auditCount(t, "signin.link_sent")+a.auditCount(t, "signin.link_limited") == i+1
			})
		}
		if n := signInMails(t, "maria@example.com", a, b); n != signInMailsPerWindow {
			t.Errorf("%d sign-in mails for %d asks, want %d", n, asks, signInMailsPerWindow)
		}
		if n := a.auditCount(t, "signin.link_limited"); n != asks-signInMailsPerWindow {
			t.Errorf("%d asks held back, want %d", n, asks-signInMailsPerWindow)
		}
	})
}

// TestPasswordFailuresPerAccount: after signInFailuresPerWindow wrong
// passwords for one account, from as many addresses and through two
// instances, even the right password is refused (429, Retry-After, the
// one error shape) until the window passes; another address's sign-in is
// not affected.
func TestPasswordFailuresPerAccount(t *testing.T) {
	trust := func(c *testConfig) { c.Server.TrustedProxies = []string{"127.0.0.1"} }
	eachTwoInstances(t, "heed_test_server_signin_failures", trust, func(t *testing.T, a, b *testServer) {
		for _, email := range []string{"maria@example.com", "ann@example.com"} {
			if r := a.admin(t, "POST", "/api/v1/accounts", `{"email":"`+email+`","role":"manager"}`); r.status != http.StatusCreated {
				t.Fatalf("invite: %d %s", r.status, r.body)
			}
			r := a.do(t, "POST", "/api/v1/sign-in/link", `{"token":"`+a.lastSignInToken(t, email)+`"}`)
			cookie := sessionCookie + "=" + sessionOf(t, r)
			csrf := r.json(t)["csrf_token"].(string)
			if r := a.do(t, "PUT", "/api/v1/me/password", `{"password":"correct horse battery staple"}`, "Cookie", cookie, csrfHeader, csrf); r.status/100 != 2 {
				t.Fatalf("set the password: %d %s", r.status, r.body)
			}
		}
		waitFor(t, func() bool {
			b.loadTeam(context.Background())
			acc, ok := b.team.accountByEmail("ann@example.com")
			return ok && acc.HasPassword()
		})
		from := func(ts *testServer, ip, email, password string) result {
			return ts.do(t, "POST", "/api/v1/sign-in/password", `{"email":"`+email+`","password":"`+password+`"}`, "X-Forwarded-For", ip)
		}
		for i := range signInFailuresPerWindow {
			ts := []*testServer{a, b}[i%2]
			if r := from(ts, "203.0.113."+strconv.Itoa(i+1), "Maria@example.com", "guess "+strconv.Itoa(i)); r.status != http.StatusUnauthorized {
				t.Fatalf("guess %d: %d %s", i, r.status, r.body)
			}
		}
		for _, ts := range []*testServer{a, b} {
			r := from(ts, "198.51.100.7", "maria@example.com", "correct horse battery staple")
			if r.status != http.StatusTooManyRequests {
				t.Fatalf("the right password after %d failures: %d %s", signInFailuresPerWindow, r.status, r.body)
			}
			secs, err := strconv.Atoi(r.header.Get("Retry-After"))
			if err != nil || secs < 1 || secs > int(signInFailureWindow/time.Second)+1 {
				t.Errorf("Retry-After %q", r.header.Get("Retry-After"))
			}
			if e, _ := r.json(t)["error"].(map[string]any); e["code"] != CodeRateLimited || e["message"] == "" {
				t.Errorf("429 body %s", r.body)
			}
		}
		if r := from(a, "198.51.100.7", "ann@example.com", "correct horse battery staple"); r.status != http.StatusOK {
			t.Errorf("another account from the same address: %d %s", r.status, r.body)
		}
	})
}

// TestPasswordChangeEndsOtherSessions: changing one's password ends every
// other session of the account, on every instance; the session that
// changed it goes on (reissued: its cookie is replaced).
func TestPasswordChangeEndsOtherSessions(t *testing.T) {
	eachStore(t, "heed_test_server_password_sessions", func(t *testing.T, ts *testServer) {
		if r := ts.admin(t, "POST", "/api/v1/accounts", `{"email":"maria@example.com","role":"manager"}`); r.status != http.StatusCreated {
			t.Fatalf("invite: %d %s", r.status, r.body)
		}
		r := ts.do(t, "POST", "/api/v1/sign-in/link", `{"token":"`+ts.lastSignInToken(t, "maria@example.com")+`"}`)
		here := sessionCookie + "=" + sessionOf(t, r)
		csrf := r.json(t)["csrf_token"].(string)
		r = ts.do(t, "PUT", "/api/v1/me/password", `{"password":"correct horse battery staple"}`, "Cookie", here, csrfHeader, csrf)
		if r.status != http.StatusNoContent {
			t.Fatalf("set the password: %d %s", r.status, r.body)
		}
		here = sessionCookie + "=" + sessionOf(t, r)
		me := ts.do(t, "GET", "/api/v1/me", "", "Cookie", here)
		if me.status != http.StatusOK {
			t.Fatalf("the reissued session: %d %s", me.status, me.body)
		}
		csrf = me.json(t)["csrf_token"].(string)
		other := sessionCookie + "=" + sessionOf(t, ts.do(t, "POST", "/api/v1/sign-in/password", `{"email":"maria@example.com","password":"correct horse battery staple"}`))
		if r := ts.do(t, "GET", "/api/v1/me", "", "Cookie", other); r.status != http.StatusOK {
			t.Fatalf("the other session before the change: %d %s", r.status, r.body)
		}
		r = ts.do(t, "PUT", "/api/v1/me/password", `{"password":"another long password","current_password":"correct horse battery staple"}`, "Cookie", here, csrfHeader, csrf)
		if r.status != http.StatusNoContent {
			t.Fatalf("change the password: %d %s", r.status, r.body)
		}
		if r := ts.do(t, "GET", "/api/v1/me", "", "Cookie", other); r.status != http.StatusUnauthorized {
			t.Errorf("the other session after the change: %d %s", r.status, r.body)
		}
		if r := ts.do(t, "GET", "/api/v1/me", "", "Cookie", here); r.status != http.StatusUnauthorized {
			t.Errorf("the replaced cookie after the change: %d %s", r.status, r.body)
		}
		if r := ts.do(t, "GET", "/api/v1/me", "", "Cookie", sessionCookie+"="+sessionOf(t, r)); r.status != http.StatusOK {
			t.Errorf("the session that changed the password: %d %s", r.status, r.body)
		}
	})
}
