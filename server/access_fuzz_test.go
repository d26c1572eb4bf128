package server

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"heed/analytics"
)

// FuzzAuthenticate: whatever Authorization and Cookie headers a client
// sends, GET /api/v1/me answers 200 only for an exact credential (the
// bootstrap key or an API key as a Bearer token, any case of "Bearer";
// else the session's cookie), and otherwise a 401 in the API's error
// shape: never a 5xx, never another caller.
func FuzzAuthenticate(f *testing.F) {
	fs := newFuzzServer(f, "")
	ctx := context.Background()
	_, key, err := CreateAPIKey(ctx, fs.store, "fuzz", analytics.RoleViewer, nil, "test")
	if err != nil {
		f.Fatal(err)
	}
	now := time.Now().UTC().Truncate(time.Second)
	acct := analytics.Account{ID: "fuzzacct", Email: "fuzz@example.com", Role: analytics.RoleManager, CreatedAt: now, UpdatedAt: now}
	session := randomToken(32)
	if err := fs.store.SaveAccount(ctx, acct); err != nil {
		f.Fatal(err)
	}
	if err := fs.store.SaveAuthToken(ctx, analytics.AuthToken{Hash: hashToken(session), Kind: analytics.TokenSession,
		AccountID: acct.ID, CreatedAt: now, ExpiresAt: now.Add(time.Hour)}); err != nil {
		f.Fatal(err)
	}
	if err := fs.team.load(ctx); err != nil {
		f.Fatal(err)
	}
	for _, seed := range [][2]string{
		{"Bearer " + testKey, ""}, {"bearer " + key, ""}, {"Bearer " + key + "x", ""}, {"Bearer " + key[:len(key)-1], ""},
		{"Basic " + testKey, ""}, {"Bearer", ""}, {"Bearer  " + testKey, ""}, {"", sessionCookie + "=" + session},
		{"", sessionCookie + "=" + session + "; other=1"}, {"", sessionCookie + "=\"" + session + "\""}, {"", sessionCookie + "=x"},
		{"Bearer heed_" + strings.Repeat("a", 100) + "_b", ""}, {"Bearer heed__", sessionCookie + "=" + session}, {"", ""},
	} {
		f.Add(seed[0], seed[1])
	}
	f.Fuzz(func(t *testing.T, auth, cookie string) {
		req := httptest.NewRequest(http.MethodGet, "/api/v1/me", nil)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		if cookie != "" {
			req.Header.Set("Cookie", cookie)
		}
		var want int
		switch scheme, k, _ := strings.Cut(req.Header.Get("Authorization"), " "); {
		case req.Header.Get("Authorization") != "":
			want = http.StatusUnauthorized
			if strings.EqualFold(scheme, "Bearer") && (k == testKey || k == key) {
				want = http.StatusOK
			}
		default:
			want = http.StatusUnauthorized
			if ck, err := req.Cookie(sessionCookie); err == nil && ck.Value == session {
				want = http.StatusOK
			}
		}
		rec := httptest.NewRecorder()
		fs.Handler().ServeHTTP(rec, req)
		if rec.Code != want {
			t.Fatalf("Authorization %q, Cookie %q: %d, want %d: %s", auth, cookie, rec.Code, want, rec.Body)
		}
		if want != http.StatusOK {
			checkAPIError(t, rec)
		}
	})
}
