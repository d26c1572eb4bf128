-- Accounts, API keys, sign-in tokens and the audit log
-- (migrations/0012_accounts.sql). Tables are small; each entity's rows
-- share a sort key and FINAL keeps the row of the highest version, which a
-- tombstone always has. Conditions on non-key columns stay outside FINAL:
-- inside, 18.16 would move them to PREWHERE, before the rows are folded.

-- name: insert-account
INSERT INTO accounts (id, email, name, role, password_hash, sessions_after, invited_by, created_at, updated_at, removed, version);

-- name: select-accounts
-- Every account not removed.
SELECT id, email, name, role, password_hash, sessions_after, invited_by, created_at, updated_at
FROM (SELECT * FROM accounts FINAL)
WHERE removed = 0
ORDER BY email;

-- name: insert-api-key
INSERT INTO api_keys (id, name, role, surveys, secret_hash, created_by, created_at, revoked, version);

-- name: select-api-keys
-- Every key not revoked, with its last use (1970 when never).
SELECT k.id, name, role, surveys, secret_hash, created_by, created_at, used_at
FROM (
	SELECT id, name, role, surveys, secret_hash, created_by, created_at
	FROM (SELECT * FROM api_keys FINAL)
	WHERE revoked = 0) AS k
ANY LEFT JOIN (
	SELECT key_id AS id, max(used_at) AS used_at
	FROM api_key_uses
	GROUP BY key_id) AS u
USING id
ORDER BY created_at, id;

-- name: insert-api-key-use
INSERT INTO api_key_uses (key_id, used_at);

-- name: insert-auth-token
INSERT INTO auth_tokens (hash, kind, account_id, created_at, expires_at, revoked, version);

-- name: select-auth-token
-- A token's row of the highest version (raw rows, not FINAL: a token
-- written a moment ago must be read back before any merge; a token has
-- one or two rows).
-- args: hash
SELECT kind, account_id, created_at, expires_at, revoked
FROM auth_tokens
WHERE hash = ?
ORDER BY version DESC
LIMIT 1;

-- name: insert-audit
INSERT INTO audit_log (at, seq, actor, role, action, target, detail, ip);

-- name: select-audit
-- The newest entries before a time: all, those of one action, or those
-- of a family (family "key" is "key" and every "key.<...>"). Go passes
-- '' for what is not asked.
-- args: before, action, action, family, family, family dot, family dot, limit
SELECT at, actor, role, action, target, detail, ip
FROM audit_log
WHERE at < toDateTime(?)
	AND (? = '' OR action = ?)
	AND (? = '' OR action = ? OR substring(action, 1, length(?)) = ?)
ORDER BY at DESC, seq DESC
LIMIT ?;

-- name: count-expired-auth-tokens
-- Rows of sessions and links expired before a time (a count first: a
-- mutation rewrites parts, so none is sent for nothing).
-- args: before
SELECT count() FROM auth_tokens WHERE expires_at < toDateTime(?);

-- name: delete-expired-auth-tokens
-- Removes sessions and links expired before a time: every row of a token
-- has its expiry, so a token goes whole (18.16 has no TTL).
-- args: before
ALTER TABLE auth_tokens DELETE WHERE expires_at < toDateTime(?);

-- name: count-recent-sign-in-links
-- The emailed sign-in links of an account created since a time, to bound
-- how many one account gets (every instance counts the same rows).
-- Invitations are links too but last longer: only links whose lifetime is
-- at most the given seconds count. Raw rows, not FINAL: a link written a
-- moment ago counts at once; a used link has a second row (its
-- revocation), so hashes are counted, not rows.
-- args: account id, since, most lifetime (seconds)
SELECT uniqExact(hash)
FROM auth_tokens
WHERE account_id = ? AND kind = 'link' AND created_at >= toDateTime(?) AND expires_at <= created_at + ?;

-- name: select-audit-times
-- When one action was recorded on one target since a time, newest first,
-- at most a limit (the failed password sign-ins of an address). The
-- sort key's `at` bounds the scan.
-- args: since, action, target, limit
SELECT at
FROM audit_log
WHERE at >= toDateTime(?) AND action = ? AND target = ?
ORDER BY at DESC
LIMIT ?;
