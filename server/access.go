package server

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"heed/analytics"
)

// Who may call what. Every route declares an access level when it is
// registered (Server.add); require checks the caller's credential against
// it. A caller is one of:
//   - the bootstrap key (HEED_ADMIN_KEY) as "Authorization: Bearer <key>":
//     an admin;
//   - an API key (heed_<id>_<secret>) as a Bearer token: its role, and
//     only its surveys when it is limited to some;
//   - a signed-in account's session cookie: the account's role, with a
//     CSRF token on every request that changes something.

// access is what a route asks of its caller.
type access int

const (
	accessPublic   access = iota // anyone, no credential
	accessSignedIn               // any account or key
	accessRead                   // viewer, manager, admin: reports, answers, CSVs
	accessManage                 // manager, admin: surveys, sends, contacts, cases
	accessIngest                 // ingest, manager, admin: posting contacts and churn
	accessAdmin                  // admin: accounts, keys, audit, erasure
)

func (a access) String() string {
	return [...]string{"public", "signed in", "read", "manage", "ingest", "admin"}[a]
}

// roles lists the roles that have a, for error messages and docs.
func (a access) roles() string {
	var names []string
	for _, r := range analytics.Roles {
		if roleAllows(r, a) {
			names = append(names, string(r))
		}
	}
	return strings.Join(names, " or ")
}

// roleAllows is the one table of what each role may do.
func roleAllows(r analytics.Role, a access) bool {
	switch a {
	case accessPublic, accessSignedIn:
		return r.Valid()
	case accessRead:
		return r == analytics.RoleAdmin || r == analytics.RoleManager || r == analytics.RoleViewer
	case accessManage:
		return r == analytics.RoleAdmin || r == analytics.RoleManager
	case accessIngest:
		return r == analytics.RoleAdmin || r == analytics.RoleManager || r == analytics.RoleIngest
	case accessAdmin:
		return r == analytics.RoleAdmin
	}
	return false
}

// Kinds of principal.
const (
	byBootstrap = "bootstrap" // HEED_ADMIN_KEY
	byKey       = "key"
	bySession   = "session"
)

// principal is the caller of a request that passed require.
type principal struct {
	Kind    string
	Role    analytics.Role
	Account *analytics.Account // a session's account
	Key     *analytics.APIKey  // an API key
	// token is the session's cookie value: its CSRF token derives from it.
	token   string
	session analytics.AuthToken
}

// actor names the principal in the audit log.
func (p *principal) actor() string {
	switch {
	case p == nil:
		return ""
	case p.Account != nil:
		return p.Account.Email
	case p.Key != nil:
		return "key:" + p.Key.ID
	}
	return byBootstrap
}

const principalKey = "heed.principal"

// caller returns the request's principal (nil on public routes).
func caller(c echo.Context) *principal {
	p, _ := c.Get(principalKey).(*principal)
	return p
}

// routeAccess is what add recorded: "METHOD /path" -> access. The role
// walk test checks that every route Echo has is in it.
type routeAccess map[string]access

// router registers routes with their access level.
type router interface {
	Add(method, path string, h echo.HandlerFunc, m ...echo.MiddlewareFunc) *echo.Route
}

// add registers h for methods on path, behind require(a) (for any access
// but public) and then m.
func (s *Server) add(r router, methods []string, path string, a access, h echo.HandlerFunc, m ...echo.MiddlewareFunc) {
	if a != accessPublic {
		// The per-address limit of credentialed routes first, so wrong
		// credentials are limited too (limits.go).
		m = append([]echo.MiddlewareFunc{s.keyedLimit, s.require(a)}, m...)
	}
	for _, method := range methods {
		rt := r.Add(method, path, h, m...)
		s.access[method+" "+rt.Path] = a
	}
}

// Single methods, for add.
var (
	mGet    = getHead
	mPost   = []string{http.MethodPost}
	mPut    = []string{http.MethodPut}
	mPatch  = []string{http.MethodPatch}
	mDelete = []string{http.MethodDelete}
	mOpts   = []string{http.MethodOptions}
)

// require lets a request through when its caller has a.
func (s *Server) require(a access) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			if err := s.authBlocked(c); err != nil {
				return err
			}
			p, err := s.authenticate(c)
			if err != nil {
				return err
			}
			if p == nil {
				return newError(http.StatusUnauthorized, "sign in, or send an API key as: Authorization: Bearer <key>")
			}
			if !roleAllows(p.Role, a) {
				return newError(http.StatusForbidden, "your role (%s) cannot do this; it needs %s", p.Role, a.roles())
			}
			if p.Key != nil && len(p.Key.Surveys) > 0 && !keyReaches(c, p.Key) {
				return newError(http.StatusForbidden, "this API key is limited to the surveys %s", strings.Join(p.Key.Surveys, ", "))
			}
			if p.Kind == bySession && !safeMethod(c.Request().Method) {
				got := c.Request().Header.Get(csrfHeader)
				want := csrfToken(p.token)
				if subtle.ConstantTimeCompare([]byte(got), []byte(want)) != 1 {
					return newError(http.StatusForbidden, "missing or wrong %s header; reload the dashboard and try again", csrfHeader)
				}
			}
			c.Set(principalKey, p)
			return next(c)
		}
	}
}

// keyReaches reports whether a key limited to some surveys may use this
// route: one of its surveys' routes, or the list of surveys (which shows
// only its surveys).
func keyReaches(c echo.Context, k *analytics.APIKey) bool {
	path := c.Path()
	if path == "/api/v1/surveys" && safeMethod(c.Request().Method) {
		return true
	}
	if strings.HasPrefix(path, "/api/v1/surveys/:id") {
		return k.AllowsSurvey(c.Param("id"))
	}
	return false
}

func safeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}

// csrfHeader carries a session's CSRF token (GET /api/v1/me gives it).
const csrfHeader = "X-CSRF-Token"

// csrfToken derives a session's CSRF token from its cookie, which scripts
// cannot read (HttpOnly): a page of another site can neither read the
// token nor compute it.
func csrfToken(session string) string {
	sum := sha256.Sum256([]byte("heed-csrf\x00" + session))
	return hex.EncodeToString(sum[:16])
}

// authenticate finds the request's credential: a Bearer token (the
// bootstrap key or an API key), else a session cookie. nil, nil: none.
// A credential that is sent but wrong is a 401, and counts as a failed
// attempt of its address.
func (s *Server) authenticate(c echo.Context) (*principal, error) {
	if h := c.Request().Header.Get(echo.HeaderAuthorization); h != "" {
		scheme, key, ok := strings.Cut(h, " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") || key == "" {
			return nil, newError(http.StatusUnauthorized, "send the key as: Authorization: Bearer <key>")
		}
		if p := s.bearer(key); p != nil {
			return p, nil
		}
		if !s.team.isLoaded() {
			return nil, notLoaded()
		}
		s.failedAuth(c)
		return nil, newError(http.StatusUnauthorized, "wrong or revoked key")
	}
	if ck, err := c.Cookie(sessionCookie); err == nil && ck.Value != "" {
		p, err := s.sessionPrincipal(c, ck.Value)
		if err != nil {
			return nil, err
		}
		if p == nil && !s.team.isLoaded() {
			return nil, notLoaded()
		}
		if p == nil {
			clearSessionCookie(c)
			return nil, newError(http.StatusUnauthorized, "your session has ended; sign in again")
		}
		return p, nil
	}
	return nil, nil
}

// bearer returns the principal of a Bearer token, nil when it is none.
// Both sides of every compare are hashes of equal length, compared in
// constant time: neither the key nor its length leaks through timing.
func (s *Server) bearer(key string) *principal {
	got := sha256.Sum256([]byte(key))
	want := sha256.Sum256([]byte(s.cfg.AdminKey))
	if s.cfg.AdminKey != "" && subtle.ConstantTimeCompare(got[:], want[:]) == 1 {
		return &principal{Kind: byBootstrap, Role: analytics.RoleAdmin}
	}
	k, ok := s.team.keyFor(key)
	if !ok {
		return nil
	}
	return &principal{Kind: byKey, Role: k.Role, Key: &k}
}

func notLoaded() error {
	return newError(http.StatusServiceUnavailable, "accounts are not loaded yet (ClickHouse unreachable?); retry shortly")
}

// optionalKey lets a backend post answers with a key: a key with access a
// (and, if limited, to this survey) marks the request as the key's, so
// unlessKeyed skips the per-address limits meant for browsers; a key sent
// but wrong is a 401, never a silent fall back to anonymous.
func (s *Server) optionalKey(a access) echo.MiddlewareFunc {
	req := s.require(a)
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		keyed := req(next)
		return func(c echo.Context) error {
			if c.Request().Header.Get(echo.HeaderAuthorization) == "" {
				return next(c)
			}
			return keyed(c)
		}
	}
}

// unlessKeyed applies mw to anonymous requests only.
func unlessKeyed(mw echo.MiddlewareFunc) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		limited := mw(next)
		return func(c echo.Context) error {
			if caller(c) != nil {
				return next(c)
			}
			return limited(c)
		}
	}
}
