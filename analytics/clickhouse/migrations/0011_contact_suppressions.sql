-- Suppressions that a manager can lift: the suppressions table keeps no
-- version, so a later row cannot be made to win over an earlier one. Here
-- each (contact, reason) keeps its newest row (version: ns of the write),
-- and lifted = 1 marks a suppression lifted. The rows of the old table come
-- over once (the NOT IN keeps a re-run from copying them again); Heed
-- reads and writes only this table from now on.
CREATE TABLE IF NOT EXISTS contact_suppressions (
    contact_id String,
    reason String,
    email String,
    lifted UInt8,
    created_at DateTime('UTC'),
    version UInt64
) ENGINE = ReplacingMergeTree(version)
ORDER BY (contact_id, reason);

INSERT INTO contact_suppressions (contact_id, reason, email, lifted, created_at, version)
SELECT contact_id, reason, email, 0, created_at, toUInt64(toUnixTimestamp(created_at)) * 1000000000 FROM suppressions
WHERE (contact_id, reason) NOT IN (SELECT contact_id, reason FROM contact_suppressions);
