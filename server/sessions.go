package server

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/alexedwards/argon2id"
	"github.com/labstack/echo/v4"

	"heed/analytics"
	"heed/emails"
)

// Sessions and sign-in. A browser signs in with a one-time link emailed by
// Heed (an invitation is one) or with a password, and gets a session: a
// random token in an HttpOnly, Secure, SameSite=Strict cookie, of which
// the store keeps only the hash. Signing out revokes the session; signing
// out everywhere ends every session of the account (SessionsAfter).

const (
	sessionCookie = "heed_session"
	// sessionTTL is how long a session lasts, used or not.
	sessionTTL = 7 * 24 * time.Hour
	// linkTTL is how long an emailed sign-in link works; inviteTTL an
	// invitation's.
	linkTTL   = 15 * time.Minute
	inviteTTL = InviteTTL
)

// InviteTTL is how long an invitation's link works.
const InviteTTL = 7 * 24 * time.Hour

// Password rules: long enough to resist guessing, short enough that
// hashing one is cheap.
const (
	minPassword = 12
	maxPassword = 256
)

// argonParams follow OWASP's argon2id minimum (19 MiB, 2 passes, 1 lane):
// at most passwordSlots hashes run at once, so sign-in attempts cannot
// take more than passwordSlots × 19 MiB of memory.
var argonParams = &argon2id.Params{Memory: 19 * 1024, Iterations: 2, Parallelism: 1, SaltLength: 16, KeyLength: 32}

const passwordSlots = 2

var passwordSem = make(chan struct{}, passwordSlots)

// dummyHash is compared against when an email has no account or no
// password, so that the answer takes as long as for a wrong password.
var dummyHash = sync.OnceValue(func() string {
	h, err := argon2id.CreateHash(randomToken(16), argonParams)
	if err != nil {
		panic(err)
	}
	return h
})

func hashPassword(ctx context.Context, password string) (string, error) {
	if err := acquire(ctx); err != nil {
		return "", err
	}
	defer func() { <-passwordSem }()
	return argon2id.CreateHash(password, argonParams)
}

// checkPassword reports whether password matches hash (the dummy hash
// when hash is empty, which never matches).
func checkPassword(ctx context.Context, password, hash string) (bool, error) {
	if err := acquire(ctx); err != nil {
		return false, err
	}
	defer func() { <-passwordSem }()
	if hash == "" {
		_, _ = argon2id.ComparePasswordAndHash(password, dummyHash())
		return false, nil
	}
	return argon2id.ComparePasswordAndHash(password, hash)
}

func acquire(ctx context.Context) error {
	select {
	case passwordSem <- struct{}{}:
		return nil
	case <-ctx.Done():
		return newError(http.StatusServiceUnavailable, "too many sign-ins at once; try again")
	}
}

// sessionPrincipal returns the principal of a session cookie; nil when
// the session is unknown, revoked, expired or its account is gone.
func (s *Server) sessionPrincipal(c echo.Context, token string) (*principal, error) {
	if len(token) > 128 {
		return nil, nil
	}
	hash := hashToken(token)
	ct, ok := s.team.cachedSession(hash)
	if !ok {
		t, found, err := s.store.AuthToken(c.Request().Context(), hash)
		if err != nil {
			return nil, fmt.Errorf("check the session: %w", err)
		}
		ct = cachedToken{t: t, ok: found, at: time.Now()}
		s.team.cacheSession(hash, ct)
	}
	t := ct.t
	if !ct.ok || t.Kind != analytics.TokenSession || t.Revoked || time.Now().After(t.ExpiresAt) {
		return nil, nil
	}
	a, ok := s.team.account(t.AccountID)
	if !ok || t.CreatedAt.Before(a.SessionsAfter) {
		return nil, nil
	}
	return &principal{Kind: bySession, Role: a.Role, Account: &a, token: token, session: t}, nil
}

// startSession signs the browser in as a.
func (s *Server) startSession(c echo.Context, a analytics.Account) error {
	token := randomToken(32)
	now := time.Now().UTC().Truncate(time.Second)
	// Sessions end by their creation second (SessionsAfter, a second past
	// the moment of a sign-out everywhere or a password change): one
	// started after such a move, in its second, starts at it and lives.
	if now.Before(a.SessionsAfter) {
		now = a.SessionsAfter.UTC()
	}
	t := analytics.AuthToken{Hash: hashToken(token), Kind: analytics.TokenSession, AccountID: a.ID,
		CreatedAt: now, ExpiresAt: now.Add(sessionTTL)}
	if err := s.store.SaveAuthToken(c.Request().Context(), t); err != nil {
		return fmt.Errorf("start the session: %w", err)
	}
	s.team.cacheSession(t.Hash, cachedToken{t: t, ok: true, at: time.Now()})
	c.SetCookie(&http.Cookie{Name: sessionCookie, Value: token, Path: "/", MaxAge: int(sessionTTL / time.Second),
		HttpOnly: true, Secure: true, SameSite: http.SameSiteStrictMode})
	c.Set(principalKey, &principal{Kind: bySession, Role: a.Role, Account: &a, token: token, session: t})
	return nil
}

func clearSessionCookie(c echo.Context) {
	c.SetCookie(&http.Cookie{Name: sessionCookie, Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, Secure: true, SameSite: http.SameSiteStrictMode})
}

// Errors of sign-in links.
var (
	errLinkUnknown = errors.New("unknown link")
	errLinkUsed    = errors.New("link used or expired")
)

// linkMu makes checking and revoking a link one step in this instance, so
// one link starts one session (two instances racing within milliseconds
// could each start one: both for the person who holds the link).
var linkMu sync.Mutex

// newSignInLink stores a one-time link for a and returns its URL.
func (s *Server) newSignInLink(ctx context.Context, a analytics.Account, ttl time.Duration) (string, error) {
	return SignInLink(ctx, s.store, s.emailing.BaseURL, a, ttl)
}

// SignInLink stores a one-time sign-in link for a, valid for ttl, and
// returns its URL on Heed at baseURL (`heed accounts add` prints one).
func SignInLink(ctx context.Context, store analytics.AccountStore, baseURL string, a analytics.Account, ttl time.Duration) (string, error) {
	token := randomToken(32)
	now := time.Now().UTC().Truncate(time.Second)
	t := analytics.AuthToken{Hash: hashToken(token), Kind: analytics.TokenLink, AccountID: a.ID, CreatedAt: now, ExpiresAt: now.Add(ttl)}
	if err := store.SaveAuthToken(ctx, t); err != nil {
		return "", fmt.Errorf("create the sign-in link: %w", err)
	}
	// In the fragment: it never reaches a server log or a Referer.
	return strings.TrimRight(baseURL, "/") + "/dashboard.html#signin=" + token, nil
}

// useSignInLink spends a link: the account it signs in.
func (s *Server) useSignInLink(ctx context.Context, token string) (analytics.Account, error) {
	if token == "" || len(token) > 128 {
		return analytics.Account{}, errLinkUnknown
	}
	linkMu.Lock()
	defer linkMu.Unlock()
	t, ok, err := s.store.AuthToken(ctx, hashToken(token))
	if err != nil {
		return analytics.Account{}, fmt.Errorf("check the sign-in link: %w", err)
	}
	if !ok || t.Kind != analytics.TokenLink {
		return analytics.Account{}, errLinkUnknown
	}
	if t.Revoked || time.Now().After(t.ExpiresAt) {
		return analytics.Account{}, errLinkUsed
	}
	a, ok := s.team.account(t.AccountID)
	if !ok {
		return analytics.Account{}, errLinkUnknown
	}
	if err := s.store.RevokeAuthToken(ctx, t); err != nil {
		return analytics.Account{}, fmt.Errorf("use the sign-in link: %w", err)
	}
	return a, nil
}

// Per-account limits, counted in the store so that they hold across
// instances: sign-in emails an account gets, and wrong passwords for it
// (from any number of addresses), per window.
const (
	signInMailsPerWindow    = 3
	signInMailWindow        = 15 * time.Minute
	signInFailuresPerWindow = 10
	signInFailureWindow     = 15 * time.Minute
)

// signInAsk is a request for a sign-in link, mailed in the background.
type signInAsk struct {
	email string // normalised
	ip    string
}

// signInQueue bounds the asks waiting for the mailer: beyond, an ask is
// dropped (and logged), so a flood costs no memory.
const signInQueue = 256

// askSignInLink queues a sign-in link for email: the same work whether or
// not the address has an account, so neither the answer nor its time says
// which (the lookup, the link and the mail happen in signInMailer).
func (s *Server) askSignInLink(email, ip string) {
	select {
	case s.signInAsks <- signInAsk{email: email, ip: ip}:
	default:
		s.log.Warn("sign-in link asks queue full; ask dropped")
	}
}

// signInMailer mails the queued sign-in links, one at a time, until the
// server shuts down.
func (s *Server) signInMailer(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case ask := <-s.signInAsks:
			s.mailSignInLink(ctx, ask)
		}
	}
}

// mailSignInLink mails a link to the account of ask, unless it had
// signInMailsPerWindow links within signInMailWindow already: those are
// counted in the store (auth_tokens), so the bound holds across instances.
func (s *Server) mailSignInLink(ctx context.Context, ask signInAsk) {
	a, ok := s.team.accountByEmail(ask.email)
	if !ok {
		return
	}
	// A mail begun is finished even while the server stops.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
	defer cancel()
	entry := func(action string) {
		e := analytics.AuditEntry{At: time.Now().UTC(), Action: action, Target: a.Email, IP: ask.ip}
		if err := s.store.AppendAudit(ctx, []analytics.AuditEntry{e}); err != nil {
			s.log.Error("audit entry not written", "action", action, "err", err)
		}
	}
	n, err := s.store.CountSignInLinks(ctx, a.ID, time.Now().Add(-signInMailWindow), linkTTL)
	if err != nil {
		s.log.Error("sign-in link not sent", "err", err)
		return
	}
	if n >= signInMailsPerWindow {
		s.log.Warn("sign-in link not sent: the account had its links of the window", "account", a.ID, "links", n)
		entry("signin.link_limited")
		return
	}
	link, err := s.newSignInLink(ctx, a, linkTTL)
	if err != nil {
		s.log.Error("sign-in link not sent", "err", err)
		return
	}
	if err := s.emailing.SendSignIn(ctx, emails.SignIn{To: a.Email, Name: a.Name, URL: link, Expires: linkTTL}); err != nil {
		s.log.Error("sign-in link not sent", "err", fmt.Errorf("email the sign-in link: %w", err))
		return
	}
	entry("signin.link_sent")
}

// passwordLocked is the 429 of an address that had signInFailuresPerWindow
// wrong passwords within signInFailureWindow, from any client: counted in
// the audit log (signin.failed entries), so the bound holds across
// instances. Right or wrong, no password is checked until the oldest of
// those failures leaves the window.
func (s *Server) passwordLocked(c echo.Context, email string) error {
	now := time.Now()
	times, err := s.store.AuditTimes(c.Request().Context(), "signin.failed", email, now.Add(-signInFailureWindow), signInFailuresPerWindow)
	if err != nil {
		return fmt.Errorf("count failed sign-ins: %w", err)
	}
	if len(times) < signInFailuresPerWindow {
		return nil
	}
	// Times are to the second: the window ends a second later at most.
	wait := times[len(times)-1].Add(signInFailureWindow + time.Second).Sub(now)
	secs := strconv.Itoa(max(1, int(math.Ceil(wait.Seconds()))))
	c.Response().Header().Set("Retry-After", secs)
	return newError(http.StatusTooManyRequests, "too many failed sign-ins for this account; retry after %s s, or sign in with an emailed link", secs)
}
