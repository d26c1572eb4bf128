package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"

	"heed/analytics"
	"heed/analytics/clickhouse/chtest"
)

// TestKeysAndAccountsCommands: `heed keys create` prints the key once and
// stores only its hash, with its role and surveys; list shows it (never
// the key), revoke removes it; `heed accounts add` stores the account and
// prints a one-time link whose token the store knows only by hash; bad
// input is refused with a message naming the flag; each change is in the
// audit log as done by the command line.
func TestKeysAndAccountsCommands(t *testing.T) {
	name := "heed_test_cmd_accounts"
	db := chtest.Open(t, name)
	ctx := context.Background()
	url := chtest.URL(name)
	heed := func(args ...string) (string, string, error) {
		var out, errOut bytes.Buffer
		err := run(ctx, append(args, "--clickhouse-url", url), &out, &errOut)
		return out.String(), errOut.String(), err
	}
	out, _, err := heed("keys", "create", "--name", "CRM sync", "--role", "ingest")
	if err != nil {
		t.Fatal(err)
	}
	key := strings.TrimSpace(out)
	keys, err := db.LoadAPIKeys(ctx)
	if err != nil || len(keys) != 1 {
		t.Fatalf("keys %v %v", keys, err)
	}
	sum := sha256.Sum256([]byte(key))
	if k := keys[0]; k.SecretHash != hex.EncodeToString(sum[:]) || k.Role != analytics.RoleIngest || k.Name != "CRM sync" || !strings.HasPrefix(key, "heed_"+k.ID+"_") {
		t.Errorf("stored key %+v for %q", k, key)
	}
	for _, bad := range [][]string{
		{"keys", "create", "--name", "x", "--role", "root"},
		{"keys", "create", "--role", "viewer"},
		{"keys", "create", "--name", "x", "--role", "viewer", "--surveys", "nosuch"},
		{"keys", "revoke", "nosuch"},
		{"keys", "frobnicate"},
		{"accounts", "add", "not-an-email", "--role", "admin"},
		{"accounts", "add", "x@example.com", "--role", "ingest"},
	} {
		if _, _, err := heed(bad...); err == nil {
			t.Errorf("heed %v: no error", bad)
		}
	}
	out, _, err = heed("keys", "list")
	if err != nil || !strings.Contains(out, keys[0].ID) || !strings.Contains(out, "never") || strings.Contains(out, key) {
		t.Errorf("keys list (%v):\n%s", err, out)
	}
	if _, _, err := heed("keys", "revoke", keys[0].ID); err != nil {
		t.Fatal(err)
	}
	if keys, _ := db.LoadAPIKeys(ctx); len(keys) != 0 {
		t.Errorf("after revoke: %v", keys)
	}

	out, _, err = heed("accounts", "add", "Boss@Example.com", "--role", "admin", "--name", "The Boss", "--public-url", "https://heed.example.com")
	if err != nil {
		t.Fatal(err)
	}
	link := strings.TrimSpace(out)
	token, ok := strings.CutPrefix(link, "https://heed.example.com/dashboard.html#signin=")
	if !ok {
		t.Fatalf("link %q", link)
	}
	sum = sha256.Sum256([]byte(token))
	tok, found, err := db.AuthToken(ctx, hex.EncodeToString(sum[:]))
	accounts, _ := db.LoadAccounts(ctx)
	if err != nil || !found || tok.Kind != analytics.TokenLink || len(accounts) != 1 || tok.AccountID != accounts[0].ID ||
		accounts[0].Email != "boss@example.com" || accounts[0].Role != analytics.RoleAdmin {
		t.Errorf("token %+v (%v %v), accounts %+v", tok, found, err, accounts)
	}
	if _, _, err := heed("accounts", "add", "boss@example.com", "--role", "viewer"); err == nil {
		t.Error("a second account for one email")
	}
	out, _, _ = heed("accounts", "list")
	if !strings.Contains(out, "boss@example.com") || !strings.Contains(out, "admin") {
		t.Errorf("accounts list:\n%s", out)
	}
	entries, err := db.Audit(ctx, analytics.AuditQuery{Limit: 10})
	if err != nil || len(entries) != 3 || entries[0].Action != "account.invite" || entries[0].Actor != "cli" {
		t.Errorf("audit %+v %v", entries, err)
	}
}
