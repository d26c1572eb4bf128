-- The people who use Heed and the machines that call it (analytics/accounts.go).
-- Each entity keeps every row under one sort key, and its version encodes
-- what must win when a merge folds them: the write's time in ns, with the
-- top bit set on a tombstone (a removed account, a revoked key or token),
-- so a removal wins over any other write, even a later one.
CREATE TABLE IF NOT EXISTS accounts (
    id String,
    email String,
    name String,
    role String,
    password_hash String,
    sessions_after DateTime('UTC'),
    invited_by String,
    created_at DateTime('UTC'),
    updated_at DateTime('UTC'),
    removed UInt8,
    version UInt64
) ENGINE = ReplacingMergeTree(version)
ORDER BY id;

-- API keys: only the SHA-256 of the key is kept.
CREATE TABLE IF NOT EXISTS api_keys (
    id String,
    name String,
    role String,
    surveys Array(String),
    secret_hash String,
    created_by String,
    created_at DateTime('UTC'),
    revoked UInt8,
    version UInt64
) ENGINE = ReplacingMergeTree(version)
ORDER BY id;

-- When each key was last used: the latest time wins.
CREATE TABLE IF NOT EXISTS api_key_uses (
    key_id String,
    used_at DateTime('UTC')
) ENGINE = ReplacingMergeTree(used_at)
ORDER BY key_id;

-- Sessions and one-time sign-in links, by the SHA-256 of the token.
CREATE TABLE IF NOT EXISTS auth_tokens (
    hash String,
    kind String,
    account_id String,
    created_at DateTime('UTC'),
    expires_at DateTime('UTC'),
    revoked UInt8,
    version UInt64
) ENGINE = ReplacingMergeTree(version)
ORDER BY hash;

-- Who did what, when: appended, never changed.
CREATE TABLE IF NOT EXISTS audit_log (
    at DateTime('UTC'),
    seq UInt64,
    actor String,
    role String,
    action String,
    target String,
    detail String,
    ip String
) ENGINE = MergeTree
ORDER BY (at, seq);
