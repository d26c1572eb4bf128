package clickhouse

import (
	"context"
	"fmt"
	"strings"
	"time"

	"heed/analytics"
)

// Accounts, API keys, sign-in tokens and the audit log
// (analytics.AccountStore; migrations/0012_accounts.sql).

// tombstone is the version bit of a removal: set, the row wins over every
// other row of its entity whatever their times (a time in ns stays below
// 2^63 until the year 2262).
const tombstone = uint64(1) << 63

// LoadAccounts returns every account not removed, by email.
func (db *DB) LoadAccounts(ctx context.Context) ([]analytics.Account, error) {
	rows, err := db.conn.Query(ctx, q.SelectAccounts)
	if err != nil {
		return nil, fmt.Errorf("load accounts: %w", err)
	}
	defer rows.Close()
	var out []analytics.Account
	for rows.Next() {
		var a analytics.Account
		var role string
		if err := rows.Scan(&a.ID, &a.Email, &a.Name, &role, &a.PasswordHash, &a.SessionsAfter, &a.InvitedBy, &a.CreatedAt, &a.UpdatedAt); err != nil {
			return nil, fmt.Errorf("load accounts: %w", err)
		}
		a.Role = analytics.Role(role)
		a.SessionsAfter = zeroEpoch(a.SessionsAfter)
		out = append(out, a)
	}
	return out, rows.Err()
}

// SaveAccount writes an account's whole new state.
func (db *DB) SaveAccount(ctx context.Context, a analytics.Account) error {
	v := writeVersion()
	return db.insert(ctx, "save account", q.InsertAccount, 1, func(int) []any {
		return []any{a.ID, a.Email, a.Name, string(a.Role), a.PasswordHash, epochIfZero(a.SessionsAfter), a.InvitedBy,
			a.CreatedAt.UTC(), a.UpdatedAt.UTC(), uint8(0), v}
	})
}

// RemoveAccount writes the account's tombstone: nothing but its id is
// kept in it.
func (db *DB) RemoveAccount(ctx context.Context, id string) error {
	v := tombstone | writeVersion()
	now := time.Now().UTC()
	return db.insert(ctx, "remove account", q.InsertAccount, 1, func(int) []any {
		return []any{id, "", "", "", "", time.Unix(0, 0).UTC(), "", now, now, uint8(1), v}
	})
}

// LoadAPIKeys returns every key not revoked.
func (db *DB) LoadAPIKeys(ctx context.Context) ([]analytics.APIKey, error) {
	rows, err := db.conn.Query(ctx, q.SelectAPIKeys)
	if err != nil {
		return nil, fmt.Errorf("load API keys: %w", err)
	}
	defer rows.Close()
	var out []analytics.APIKey
	for rows.Next() {
		var k analytics.APIKey
		var role string
		if err := rows.Scan(&k.ID, &k.Name, &role, &k.Surveys, &k.SecretHash, &k.CreatedBy, &k.CreatedAt, &k.LastUsedAt); err != nil {
			return nil, fmt.Errorf("load API keys: %w", err)
		}
		k.Role = analytics.Role(role)
		k.LastUsedAt = zeroEpoch(k.LastUsedAt)
		if len(k.Surveys) == 0 {
			k.Surveys = nil
		}
		out = append(out, k)
	}
	return out, rows.Err()
}

// SaveAPIKey writes a new key.
func (db *DB) SaveAPIKey(ctx context.Context, k analytics.APIKey) error {
	v := writeVersion()
	surveys := k.Surveys
	if surveys == nil {
		surveys = []string{}
	}
	return db.insert(ctx, "save API key", q.InsertAPIKey, 1, func(int) []any {
		return []any{k.ID, k.Name, string(k.Role), surveys, k.SecretHash, k.CreatedBy, k.CreatedAt.UTC(), uint8(0), v}
	})
}

// RevokeAPIKey writes the key's tombstone (its hash is not kept).
func (db *DB) RevokeAPIKey(ctx context.Context, id string) error {
	v := tombstone | writeVersion()
	return db.insert(ctx, "revoke API key", q.InsertAPIKey, 1, func(int) []any {
		return []any{id, "", "", []string{}, "", "", time.Now().UTC(), uint8(1), v}
	})
}

// TouchAPIKeys records the keys' last uses.
func (db *DB) TouchAPIKeys(ctx context.Context, used map[string]time.Time) error {
	ids := make([]string, 0, len(used))
	for id := range used {
		ids = append(ids, id)
	}
	return db.insert(ctx, "record API key uses", q.InsertAPIKeyUse, len(ids), func(i int) []any {
		return []any{ids[i], used[ids[i]].UTC()}
	})
}

// SaveAuthToken writes a session or sign-in link.
func (db *DB) SaveAuthToken(ctx context.Context, t analytics.AuthToken) error {
	return db.writeAuthToken(ctx, t, writeVersion())
}

// RevokeAuthToken writes the token's revocation, which wins.
func (db *DB) RevokeAuthToken(ctx context.Context, t analytics.AuthToken) error {
	t.Revoked = true
	return db.writeAuthToken(ctx, t, tombstone|writeVersion())
}

func (db *DB) writeAuthToken(ctx context.Context, t analytics.AuthToken, v uint64) error {
	revoked := uint8(0)
	if t.Revoked {
		revoked = 1
	}
	return db.insert(ctx, "save sign-in token", q.InsertAuthToken, 1, func(int) []any {
		return []any{t.Hash, t.Kind, t.AccountID, t.CreatedAt.UTC(), t.ExpiresAt.UTC(), revoked, v}
	})
}

// AuthToken returns a token's winning row.
func (db *DB) AuthToken(ctx context.Context, hash string) (analytics.AuthToken, bool, error) {
	t := analytics.AuthToken{Hash: hash}
	rows, err := db.conn.Query(ctx, q.SelectAuthToken, hash)
	if err != nil {
		return t, false, fmt.Errorf("sign-in token: %w", err)
	}
	defer rows.Close()
	if !rows.Next() {
		return t, false, rows.Err()
	}
	var revoked uint8
	if err := rows.Scan(&t.Kind, &t.AccountID, &t.CreatedAt, &t.ExpiresAt, &revoked); err != nil {
		return t, false, fmt.Errorf("sign-in token: %w", err)
	}
	t.Revoked = revoked == 1
	return t, true, rows.Err()
}

// PurgeAuthTokens deletes the tokens expired before a time, in a mutation
// (not waited for: a deleted token and an expired one are refused alike).
func (db *DB) PurgeAuthTokens(ctx context.Context, before time.Time) (int, error) {
	var n uint64
	if err := db.conn.QueryRow(ctx, q.CountExpiredAuthTokens, before.Unix()).Scan(&n); err != nil {
		return 0, fmt.Errorf("count expired sign-in tokens: %w", err)
	}
	if n == 0 {
		return 0, nil
	}
	if err := db.conn.Exec(ctx, q.DeleteExpiredAuthTokens, before.Unix()); err != nil {
		return 0, fmt.Errorf("delete expired sign-in tokens: %w", err)
	}
	return int(n), nil
}

// CountSignInLinks counts an account's recent sign-in links.
func (db *DB) CountSignInLinks(ctx context.Context, accountID string, since time.Time, maxTTL time.Duration) (int, error) {
	var n uint64
	if err := db.conn.QueryRow(ctx, q.CountRecentSignInLinks, accountID, since.Unix(), int64(maxTTL/time.Second)).Scan(&n); err != nil {
		return 0, fmt.Errorf("count sign-in links: %w", err)
	}
	return int(n), nil
}

// AuditTimes returns the times of one action on one target since a time.
func (db *DB) AuditTimes(ctx context.Context, action, target string, since time.Time, limit int) ([]time.Time, error) {
	rows, err := db.conn.Query(ctx, q.SelectAuditTimes, since.Unix(), action, target, limit)
	if err != nil {
		return nil, fmt.Errorf("audit times: %w", err)
	}
	defer rows.Close()
	var out []time.Time
	for rows.Next() {
		var at time.Time
		if err := rows.Scan(&at); err != nil {
			return nil, fmt.Errorf("audit times: %w", err)
		}
		out = append(out, at)
	}
	return out, rows.Err()
}

// AppendAudit records audit entries (seq orders those of one second).
func (db *DB) AppendAudit(ctx context.Context, entries []analytics.AuditEntry) error {
	return db.insert(ctx, "append audit entries", q.InsertAudit, len(entries), func(i int) []any {
		e := entries[i]
		at := e.At
		if at.IsZero() {
			at = time.Now()
		}
		return []any{at.UTC(), writeVersion(), e.Actor, string(e.Role), e.Action, e.Target, e.Detail, e.IP}
	})
}

// Audit returns the entries of aq, newest first.
func (db *DB) Audit(ctx context.Context, aq analytics.AuditQuery) ([]analytics.AuditEntry, error) {
	before := aq.Before
	if before.IsZero() {
		before = time.Now().Add(time.Second)
	}
	action, family := aq.Action, ""
	if f, ok := strings.CutSuffix(action, "."); ok {
		action, family = "", f
	}
	familyDot := ""
	if family != "" {
		familyDot = family + "."
	}
	rows, err := db.conn.Query(ctx, q.SelectAudit, before.Unix(), action, action, family, family, familyDot, familyDot, aq.Limit)
	if err != nil {
		return nil, fmt.Errorf("audit log: %w", err)
	}
	defer rows.Close()
	out := []analytics.AuditEntry{}
	for rows.Next() {
		var e analytics.AuditEntry
		var role string
		if err := rows.Scan(&e.At, &e.Actor, &role, &e.Action, &e.Target, &e.Detail, &e.IP); err != nil {
			return nil, fmt.Errorf("audit log: %w", err)
		}
		e.Role = analytics.Role(role)
		out = append(out, e)
	}
	return out, rows.Err()
}

// epochIfZero stores a zero time as 1970-01-01 (DateTime cannot hold Go's
// zero); zeroEpoch reads it back as zero.
func epochIfZero(t time.Time) time.Time {
	if t.IsZero() {
		return time.Unix(0, 0).UTC()
	}
	return t.UTC()
}
