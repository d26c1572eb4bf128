package clickhouse_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"heed/analytics"
	"heed/analytics/clickhouse/chtest"
	"heed/analytics/mock"
)

// TestAccountsTombstonesWin: a removed account, a revoked key and a
// revoked token stay so when a later write of them arrives (a stale cache
// saving a last use, a role change racing a removal), on raw rows and
// after OPTIMIZE TABLE … FINAL: the tombstone's version wins in the
// engine. The in-memory store agrees where it can (it has no merges).
func TestAccountsTombstonesWin(t *testing.T) {
	db := chtest.Open(t, "heed_test_ch_accounts")
	ctx := context.Background()
	now := time.Now().UTC().Truncate(time.Second)
	ann := analytics.Account{ID: "a1", Email: "ann@example.com", Name: "Ann", Role: analytics.RoleManager, CreatedAt: now, UpdatedAt: now}
	bob := analytics.Account{ID: "a2", Email: "bob@example.com", Role: analytics.RoleViewer, PasswordHash: "$argon2id$x",
		SessionsAfter: now, CreatedAt: now, UpdatedAt: now}
	key := analytics.APIKey{ID: "k1", Name: "CRM", Role: analytics.RoleIngest, Surveys: []string{"s1", "s2"}, SecretHash: "ab", CreatedBy: "ann@example.com", CreatedAt: now}
	kept := analytics.APIKey{ID: "k2", Name: "BI", Role: analytics.RoleViewer, SecretHash: "cd", CreatedAt: now.Add(time.Second)}
	tok := analytics.AuthToken{Hash: "h1", Kind: analytics.TokenSession, AccountID: "a1", CreatedAt: now, ExpiresAt: now.Add(time.Hour)}

	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	for _, a := range []analytics.Account{ann, bob} {
		must(db.SaveAccount(ctx, a))
	}
	must(db.RemoveAccount(ctx, ann.ID))
	ann.Role = analytics.RoleAdmin
	must(db.SaveAccount(ctx, ann)) // after the removal: must not bring Ann back
	must(db.SaveAPIKey(ctx, key))
	must(db.SaveAPIKey(ctx, kept))
	must(db.RevokeAPIKey(ctx, key.ID))
	must(db.SaveAPIKey(ctx, key))
	must(db.TouchAPIKeys(ctx, map[string]time.Time{"k2": now.Add(time.Minute), "k1": now}))
	must(db.TouchAPIKeys(ctx, map[string]time.Time{"k2": now})) // older: the latest use stays
	must(db.SaveAuthToken(ctx, tok))
	must(db.RevokeAuthToken(ctx, tok))
	must(db.SaveAuthToken(ctx, tok))

	check := func(stage string) {
		t.Helper()
		accounts, err := db.LoadAccounts(ctx)
		must(err)
		if len(accounts) != 1 || accounts[0].ID != "a2" || accounts[0].PasswordHash != bob.PasswordHash || !accounts[0].SessionsAfter.Equal(now) {
			t.Errorf("%s: accounts %+v, want only Bob as saved", stage, accounts)
		}
		keys, err := db.LoadAPIKeys(ctx)
		must(err)
		if len(keys) != 1 || keys[0].ID != "k2" || !keys[0].LastUsedAt.Equal(now.Add(time.Minute)) || keys[0].Surveys != nil {
			t.Errorf("%s: keys %+v, want only k2, last used a minute after", stage, keys)
		}
		got, ok, err := db.AuthToken(ctx, "h1")
		must(err)
		if !ok || !got.Revoked || got.AccountID != "a1" {
			t.Errorf("%s: token %+v (found %v), want revoked", stage, got, ok)
		}
	}
	check("raw rows")
	for _, table := range []string{"accounts", "api_keys", "api_key_uses", "auth_tokens"} {
		must(db.Exec(ctx, "OPTIMIZE TABLE "+table+" FINAL"))
	}
	check("after OPTIMIZE FINAL")
	k1Surveys := []string{}
	if err := db.QueryRow(ctx, "SELECT surveys FROM api_keys FINAL WHERE id = 'k1'").Scan(&k1Surveys); err != nil || len(k1Surveys) != 0 {
		t.Errorf("a revoked key keeps its surveys after the merge: %v %v", k1Surveys, err)
	}

	// The audit log: newest first, by family, before a time.
	fake := mock.New()
	entries := []analytics.AuditEntry{
		{At: now.Add(-3 * time.Second), Actor: "bootstrap", Role: analytics.RoleAdmin, Action: "key.create", Target: "k1", Detail: "role ingest", IP: "10.0.0.1"},
		{At: now.Add(-2 * time.Second), Actor: "ann@example.com", Role: analytics.RoleManager, Action: "survey.update", Target: "s1"},
		{At: now.Add(-1 * time.Second), Actor: "bootstrap", Role: analytics.RoleAdmin, Action: "key.revoke", Target: "k1"},
		{At: now.Add(-4 * time.Second), Actor: "ann@example.com", Action: "signout"},
		{At: now.Add(-5 * time.Second), Actor: "ann@example.com", Action: "signout.everywhere"},
		{At: now.Add(-6 * time.Second), Actor: "ann@example.com", Action: "signin.link_sent"},
		{At: now.Add(-7 * time.Second), Actor: "ann@example.com", Action: "signinXlink_sent"},
	}
	for _, st := range []analytics.AccountStore{db, fake} {
		must(st.AppendAudit(ctx, entries))
		for _, tc := range []struct {
			q    analytics.AuditQuery
			want []string
		}{
			{analytics.AuditQuery{Limit: 10}, []string{"key.revoke", "survey.update", "key.create", "signout", "signout.everywhere", "signin.link_sent", "signinXlink_sent"}},
			{analytics.AuditQuery{Action: "signout.", Limit: 10}, []string{"signout", "signout.everywhere"}},
			{analytics.AuditQuery{Action: "signin.link_sent", Limit: 10}, []string{"signin.link_sent"}},
			{analytics.AuditQuery{Action: "key.", Limit: 10}, []string{"key.revoke", "key.create"}},
			{analytics.AuditQuery{Action: "key.create", Limit: 10}, []string{"key.create"}},
			{analytics.AuditQuery{Before: now.Add(-time.Second), Limit: 10}, []string{"survey.update", "key.create", "signout", "signout.everywhere", "signin.link_sent", "signinXlink_sent"}},
			{analytics.AuditQuery{Limit: 1}, []string{"key.revoke"}},
		} {
			got, err := st.Audit(ctx, tc.q)
			must(err)
			var actions []string
			for _, e := range got {
				actions = append(actions, e.Action)
			}
			if strings.Join(actions, " ") != strings.Join(tc.want, " ") {
				t.Errorf("%T %+v: %v, want %v", st, tc.q, actions, tc.want)
			}
			if len(got) > 0 && tc.q.Action == "key.create" && (got[0].IP != "10.0.0.1" || got[0].Detail != "role ingest" || !got[0].At.Equal(now.Add(-3*time.Second))) {
				t.Errorf("%T: entry read back as %+v", st, got[0])
			}
		}
	}
}

// TestPurgeAuthTokens: expired sessions and links go whole (their
// revocation rows too), live ones stay; a purge with nothing to delete
// sends no mutation.
func TestPurgeAuthTokens(t *testing.T) {
	db := chtest.Open(t, "heed_test_ch_token_purge")
	ctx := context.Background()
	now := time.Now().UTC().Truncate(time.Second)
	old := analytics.AuthToken{Hash: "old", Kind: analytics.TokenLink, AccountID: "a1", CreatedAt: now.Add(-72 * time.Hour), ExpiresAt: now.Add(-48 * time.Hour)}
	live := analytics.AuthToken{Hash: "live", Kind: analytics.TokenSession, AccountID: "a1", CreatedAt: now, ExpiresAt: now.Add(time.Hour)}
	for _, err := range []error{db.SaveAuthToken(ctx, old), db.RevokeAuthToken(ctx, old), db.SaveAuthToken(ctx, live)} {
		if err != nil {
			t.Fatal(err)
		}
	}
	n, err := db.PurgeAuthTokens(ctx, now.Add(-24*time.Hour))
	if err != nil || n != 2 {
		t.Fatalf("purged %d rows (%v), want the old link's 2", n, err)
	}
	// The mutation runs in the background.
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		_, found, err := db.AuthToken(ctx, "old")
		if err == nil && !found {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the old link is still there (%v)", err)
		}
	}
	if _, found, err := db.AuthToken(ctx, "live"); err != nil || !found {
		t.Errorf("the live session: found %v, %v", found, err)
	}
	if n, err := db.PurgeAuthTokens(ctx, now.Add(-24*time.Hour)); err != nil || n != 0 {
		t.Errorf("a second purge: %d rows, %v", n, err)
	}
}

// TestSignInCounts: the per-account counts behind the sign-in limits
// (server/sessions.go) are what the rows say on raw rows and after
// OPTIMIZE TABLE … FINAL, and the in-memory store says the same: an
// account's sign-in links of the window, a used one once (its revocation
// is a second row), without invitations, older links or other accounts';
// the failed sign-ins of one address since a time, newest first, at most
// the limit.
func TestSignInCounts(t *testing.T) {
	db := chtest.Open(t, "heed_test_ch_signin_counts")
	fake := mock.New()
	ctx := context.Background()
	now := time.Now().UTC().Truncate(time.Second)
	since := now.Add(-15 * time.Minute)
	link := func(hash, account string, at time.Time, ttl time.Duration) analytics.AuthToken {
		return analytics.AuthToken{Hash: hash, Kind: analytics.TokenLink, AccountID: account, CreatedAt: at, ExpiresAt: at.Add(ttl)}
	}
	used := link("l2", "a1", now.Add(-time.Minute), 15*time.Minute)
	tokens := []analytics.AuthToken{
		link("l1", "a1", now, 15*time.Minute),
		used,
		link("old", "a1", since.Add(-time.Second), 15*time.Minute),
		link("invite", "a1", now, 7*24*time.Hour),
		link("bob", "a2", now, 15*time.Minute),
		{Hash: "s1", Kind: analytics.TokenSession, AccountID: "a1", CreatedAt: now, ExpiresAt: now.Add(time.Hour)},
	}
	var entries []analytics.AuditEntry
	for i := range 12 {
		entries = append(entries, analytics.AuditEntry{At: now.Add(-time.Duration(i) * time.Minute), Action: "signin.failed", Target: "ann@example.com"})
	}
	entries = append(entries,
		analytics.AuditEntry{At: now, Action: "signin.failed", Target: "bob@example.com"},
		analytics.AuditEntry{At: now, Action: "signin.password", Target: "ann@example.com"},
		analytics.AuditEntry{At: since.Add(-time.Second), Action: "signin.failed", Target: "cid@example.com"})
	for _, s := range []analytics.AccountStore{db, fake} {
		for _, tok := range tokens {
			if err := s.SaveAuthToken(ctx, tok); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.RevokeAuthToken(ctx, used); err != nil {
			t.Fatal(err)
		}
		if err := s.AppendAudit(ctx, entries); err != nil {
			t.Fatal(err)
		}
	}
	check := func(stage string, s analytics.AccountStore) {
		t.Helper()
		if n, err := s.CountSignInLinks(ctx, "a1", since, 15*time.Minute); err != nil || n != 2 {
			t.Errorf("%s: %d sign-in links of a1 (%v), want 2", stage, n, err)
		}
		times, err := s.AuditTimes(ctx, "signin.failed", "ann@example.com", since, 10)
		if err != nil || len(times) != 10 || !times[0].Equal(now) || !times[9].Equal(now.Add(-9*time.Minute)) {
			t.Errorf("%s: failures of ann %v (%v), want the 10 newest", stage, times, err)
		}
		for _, who := range []string{"bob@example.com", "cid@example.com"} {
			times, err := s.AuditTimes(ctx, "signin.failed", who, since, 10)
			if want := map[string]int{"bob@example.com": 1}[who]; err != nil || len(times) != want {
				t.Errorf("%s: failures of %s %v (%v), want %d", stage, who, times, err, want)
			}
		}
	}
	check("in memory", fake)
	check("raw rows", db)
	for _, table := range []string{"auth_tokens", "audit_log"} {
		if err := db.Exec(ctx, "OPTIMIZE TABLE "+table+" FINAL"); err != nil {
			t.Fatal(err)
		}
	}
	check("after OPTIMIZE FINAL", db)
}
