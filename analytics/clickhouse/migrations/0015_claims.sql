-- Claims (analytics/claims.go): work that one Heed instance at a time must
-- do (a send, a reminder, a digest of a period), claimed in the database
-- every instance shares. Every row of one holder's claim of a job shares
-- the sort key (job, holder), and the version (the write's time in ns)
-- orders them: a merge keeps the last renewal or the release, as reads do.
-- at and expires are ns since the epoch; a release has expires 0.
-- (Numbered 0015: 0014 is taken by the answer-marks work.)
CREATE TABLE IF NOT EXISTS claims (
    job String,
    holder String,
    at UInt64,
    expires UInt64,
    version UInt64
) ENGINE = ReplacingMergeTree(version)
ORDER BY (job, holder);
