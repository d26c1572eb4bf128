-- The answer store, rebuilt so that ClickHouse's own rules and Heed's agree
-- (see README.md, "The answer store"):
--   * every row of one response has the same sort key: created_at is the
--     time of the response's FIRST answer on every row (InsertResponses
--     looks it up), so merges and FINAL fold a response into one row;
--   * version orders what must win: bit 63 is set for a confirmed answer,
--     the low bits are the answer's time in nanoseconds, so a confirmed
--     answer beats any unconfirmed one (a link scanner's later click) and
--     otherwise the last answer wins, in every merge.
-- Sharding (later) is by response: every row of a response on one shard.
CREATE TABLE IF NOT EXISTS answers (
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
    property_values Array(String),
    confirmed UInt8,
    flags String
) ENGINE = ReplacingMergeTree(version)
PARTITION BY toYYYYMM(created_at)
ORDER BY (survey_id, created_at, response_id);

-- Where a response began: InsertResponses finds the first answer of a
-- follow-up here by primary key (the answers table is sorted by time). Fed
-- by the view below, in the same insert as the answers; small granules
-- because every lookup reads a handful of scattered ids.
CREATE TABLE IF NOT EXISTS answer_firsts (
    survey_id String,
    response_id UUID,
    created_at DateTime('UTC')
) ENGINE = ReplacingMergeTree
ORDER BY (survey_id, response_id)
SETTINGS index_granularity = 256;

CREATE MATERIALIZED VIEW IF NOT EXISTS answer_firsts_mv TO answer_firsts
AS SELECT survey_id, response_id, created_at FROM answers;

-- Days, counted: for each survey and day (of the first answer), the number
-- of responses per (score, reasons, confirmed) of the answer that counts
-- (score, reasons, confirmed, responses: what a plain report reads), and
-- per (score, reasons, confirmed, channel, properties) for segments (the
-- seg_ arrays), as parallel arrays. raw_rows and raw_version_sum
-- fingerprint the answers rows the counts came from, read just after
-- counted_at (the server's clock); computed orders recounts. A report uses
-- a day only while its answers still have that fingerprint (or no part of
-- their month was written since counted_at), and reads the other days from
-- answers, so a report is exact whatever the state of this table.
CREATE TABLE IF NOT EXISTS answer_days (
    survey_id String,
    day Date,
    computed UInt64,
    counted_at DateTime('UTC'),
    raw_rows UInt64,
    raw_version_sum UInt64,
    score Array(UInt8),
    reasons Array(Array(String)),
    confirmed Array(UInt8),
    responses Array(UInt64),
    seg_score Array(UInt8),
    seg_reasons Array(Array(String)),
    seg_confirmed Array(UInt8),
    seg_channel Array(String),
    seg_keys Array(Array(String)),
    seg_values Array(Array(String)),
    seg_responses Array(UInt64)
) ENGINE = ReplacingMergeTree(computed)
PARTITION BY toYYYYMM(day)
ORDER BY (survey_id, day);

-- Move the answers of the previous layout (responses, kept as it was):
-- each row gets its response's first answer time and the new version. Run
-- again after a crash, it inserts the same rows again, which fold away.
-- ALL, not ANY: current ClickHouse's ANY keeps one row per key of the left
-- side too (the right side has one row per response either way).
INSERT INTO answers (survey_id, created_at, response_id, version, score, reasons, comment, channel,
    respondent, property_keys, property_values, confirmed, flags)
SELECT survey_id, first_at, response_id, bitOr(version, if(confirmed = 1, 9223372036854775808, 0)),
    score, reasons, comment, channel, respondent, property_keys, property_values, confirmed, flags
FROM responses
ALL INNER JOIN (SELECT survey_id, response_id, min(created_at) AS first_at FROM responses GROUP BY survey_id, response_id) AS firsts
USING (survey_id, response_id);
