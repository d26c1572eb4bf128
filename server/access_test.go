package server

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"heed/analytics"
)

// credential is one way of calling the API in the role walk.
type credential struct {
	name string
	role analytics.Role // "" for none
	// headers returns the request's credential headers.
	headers func(t *testing.T) []string
}

// walkCredentials are every kind of caller: nobody, the bootstrap key, an
// API key of each role, and a manager's and a viewer's sessions, with
// their CSRF token.
func walkCredentials(t *testing.T, ts *testServer) []credential {
	t.Helper()
	ctx := context.Background()
	creds := []credential{
		{name: "none", headers: func(*testing.T) []string { return nil }},
		{name: "bootstrap key", role: analytics.RoleAdmin, headers: func(*testing.T) []string {
			return []string{"Authorization", "Bearer " + testKey}
		}},
	}
	for _, role := range analytics.Roles {
		_, key, err := CreateAPIKey(ctx, ts.store, "walk "+string(role), role, nil, "test")
		if err != nil {
			t.Fatal(err)
		}
		creds = append(creds, credential{name: string(role) + " key", role: role, headers: func(*testing.T) []string {
			return []string{"Authorization", "Bearer " + key}
		}})
	}
	for _, role := range []analytics.Role{analytics.RoleManager, analytics.RoleViewer} {
		n := 0
		creds = append(creds, credential{name: string(role) + " session", role: role, headers: func(t *testing.T) []string {
			// A new account each time: the walk signs out everywhere.
			n++
			a := ts.addAccount(t, fmt.Sprintf("%s%d@walk.example.com", role, n), role)
			token := ts.newSession(t, a)
			return []string{"Cookie", sessionCookie + "=" + token, csrfHeader, csrfToken(token)}
		}})
	}
	if err := ts.team.load(ctx); err != nil {
		t.Fatal(err)
	}
	return creds
}

// addAccount stores an account and loads it into the server's cache.
func (ts *testServer) addAccount(t *testing.T, email string, role analytics.Role) analytics.Account {
	t.Helper()
	now := time.Now().UTC().Truncate(time.Second)
	a := analytics.Account{ID: strings.ToLower(randomToken(9)), Email: email, Role: role, CreatedAt: now, UpdatedAt: now}
	if err := ts.store.SaveAccount(context.Background(), a); err != nil {
		t.Fatal(err)
	}
	ts.team.put(a)
	return a
}

// newSession stores a fresh session of a and returns its cookie value.
func (ts *testServer) newSession(t *testing.T, a analytics.Account) string {
	t.Helper()
	token := randomToken(32)
	now := time.Now().UTC().Truncate(time.Second)
	if err := ts.store.SaveAuthToken(context.Background(), analytics.AuthToken{Hash: hashToken(token), Kind: analytics.TokenSession,
		AccountID: a.ID, CreatedAt: now, ExpiresAt: now.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	return token
}

var pathParam = regexp.MustCompile(`:[a-z_]+|\*`)

// TestRoleWalk walks every route Echo registers and proves that each
// caller gets exactly what its role allows: nobody a 401, a role without
// the route's access a 403 (both JSON), and a role with it something else
// (the handler's own answer to placeholder input: 404, 422, 200...).
// It runs on both stores: the rules are the server's, and the real
// ClickHouse holds the accounts, keys and sessions.
func TestRoleWalk(t *testing.T) {
	for _, store := range []struct{ name, db string }{{"fake", ""}, {"clickhouse", "heed_test_server_rolewalk"}} {
		t.Run(store.name, func(t *testing.T) { roleWalk(t, store.db) })
	}
}

func roleWalk(t *testing.T, db string) {
	{
		ts := newServerWith(t, db, func(c *testConfig) { c.Server.Dev = true })
		creds := walkCredentials(t, ts)
		routes := ts.echo.Routes()
		if len(routes) < 80 {
			t.Fatalf("only %d routes registered", len(routes))
		}
		for _, r := range routes {
			a, declared := ts.access[r.Method+" "+r.Path]
			if !declared {
				t.Errorf("%s %s declares no access", r.Method, r.Path)
				continue
			}
			path := pathParam.ReplaceAllStringFunc(r.Path, func(p string) string { return "nosuch" })
			body := ""
			if r.Method == http.MethodPost || r.Method == http.MethodPatch || r.Method == http.MethodPut {
				body = "{}"
			}
			for _, cr := range creds {
				got := ts.do(t, r.Method, path, body, cr.headers(t)...)
				what := r.Method + " " + r.Path + " as " + cr.name
				switch {
				case a == accessPublic:
					if got.status == http.StatusUnauthorized && strings.Contains(string(got.body), "Bearer") {
						t.Errorf("%s: public route asked for a credential: %s", what, got.body)
					}
				case cr.role == "":
					wantError(t, what, got, http.StatusUnauthorized)
				case !roleAllows(cr.role, a):
					wantError(t, what, got, http.StatusForbidden)
				default:
					if got.status == http.StatusUnauthorized || got.status == http.StatusForbidden {
						t.Errorf("%s (%s access): %d %s", what, a, got.status, got.body)
					}
				}
			}
		}
	}
}

func wantError(t *testing.T, what string, got result, status int) {
	t.Helper()
	if got.status != status {
		t.Errorf("%s: got %d, want %d: %s", what, got.status, status, got.body)
		return
	}
	if len(got.body) == 0 {
		return // HEAD
	}
	if !strings.HasPrefix(got.header.Get("Content-Type"), "application/json") {
		t.Errorf("%s: %d is not JSON (%s)", what, status, got.header.Get("Content-Type"))
	}
	var e struct {
		Error Error `json:"error"`
	}
	if json.Unmarshal(got.body, &e) != nil || e.Error.Code == "" {
		t.Errorf("%s: not an API error: %s", what, got.body)
	}
}

// docsAccess is how docs.html names each access level.
var docsAccess = map[access]string{accessRead: "Viewer", accessManage: "Manager", accessIngest: "Ingest, manager",
	accessAdmin: "Admin", accessSignedIn: "Signed in"}

var docsRow = regexp.MustCompile(`<tr><td><code>([A-Z]+)</code></td><td>(?:<a href="#[a-z0-9-]+">)?<code>([^<?]+)[^<]*</code>(?:</a>)?</td><td>([^<]+)</td>`)

// TestDocsRouteTable: the table of routes in docs.html lists every API
// route with the access the server asks for, and nothing that is not a
// route.
func TestDocsRouteTable(t *testing.T) {
	ts := newFakeServer(t, func(c *testConfig) { c.Server.Dev = true })
	r := ts.do(t, "GET", "/docs.html", "")
	documented := map[string]bool{}
	for _, m := range docsRow.FindAllStringSubmatch(string(r.body), -1) {
		key := m[1] + " " + m[2]
		documented[key] = true
		a, ok := ts.access[key]
		switch {
		case !ok:
			t.Errorf("docs list %s, which is no route", key)
		case a == accessPublic:
			if m[3] == "Admin" || m[3] == "Viewer" || m[3] == "Manager" || m[3] == "Ingest" {
				t.Errorf("docs say %s needs %s; it is public", key, m[3])
			}
		case docsAccess[a] != m[3]:
			t.Errorf("docs say %s needs %q; the server asks for %q", key, m[3], docsAccess[a])
		}
	}
	if len(documented) < 40 {
		t.Fatalf("only %d routes found in the docs table", len(documented))
	}
	for key, a := range ts.access {
		method, path, _ := strings.Cut(key, " ")
		if method == "HEAD" || method == "OPTIONS" || path == "/*" {
			continue
		}
		if !documented[key] {
			t.Errorf("docs lack %s (%s)", key, a)
		}
	}
}
