-- Digests (analytics/digests.go): one row per claim and per outcome of a
-- survey's digest of one period. The row with the highest version is the
-- period's state, and merges keep exactly that row: the version puts the
-- attempt first, then the stage (claim, abandoned mark, outcome), then the
-- earliest claim of an attempt (DigestRecord.Version). A claim is written
-- before the email is sent, so that a crash can never send it twice (at
-- most once: a claim left "sending" is marked abandoned, not resent).
-- (Numbered 0008: another branch adds 0007.)
CREATE TABLE IF NOT EXISTS digests (
    survey_id String,
    schedule String,
    period_start Date,
    version UInt64,
    attempt UInt16,
    status String,
    claim_id String,
    claimed_at DateTime('UTC'),
    recipients Array(String),
    detail String,
    updated_at DateTime('UTC')
) ENGINE = ReplacingMergeTree(version)
ORDER BY (survey_id, schedule, period_start);
