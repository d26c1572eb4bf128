-- One row per accepted answer. A follow-up (reasons, comment) for the same
-- response_id is a new row with a higher version; created_at stays the time of
-- the first answer when the server still knows it, so the rows share a sort
-- key and ReplacingMergeTree folds them. Reports never rely on merges: they
-- group by response_id and take argMax(..., version), so retries, replays and
-- follow-ups count once whatever the merge state.
CREATE TABLE IF NOT EXISTS responses (
    survey_id String,
    created_at DateTime('UTC'),
    response_id UUID,
    version UInt64,
    score UInt8,
    reasons Array(String),
    comment String,
    channel String,
    respondent String,
    property_keys Array(String),
    property_values Array(String)
) ENGINE = ReplacingMergeTree(version)
PARTITION BY toYYYYMM(created_at)
ORDER BY (survey_id, created_at, response_id);
