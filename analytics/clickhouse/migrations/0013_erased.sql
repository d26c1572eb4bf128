-- The erased list (analytics/people.go): what stays of a forgotten person,
-- so that they are never emailed again, even once imported again: a salted
-- hash (HMAC-SHA256 under HEED_ERASURE_KEY) of each of their email
-- addresses and ids, never the address or id itself. kind says which;
-- key_id names the key (not the key), so that a send can tell hashes it
-- cannot recognise (made under another key) and refuse to run.
-- (Numbered 0013: the accounts branch adds 0012; the runner takes gaps.)
CREATE TABLE IF NOT EXISTS erased (
    hash String,
    kind String,
    key_id String,
    erased_at DateTime('UTC')
) ENGINE = ReplacingMergeTree
ORDER BY hash;
