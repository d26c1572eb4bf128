-- answer_days, rebuilt: a count now records which parts of answers it was
-- counted from (parts) instead of a fingerprint of their rows (raw_rows,
-- raw_version_sum, counted_at), so that a report checks it against
-- system.parts without reading a row. The counts are derived from answers
-- alone: dropped here, MaintainDays counts them again, and reports read
-- answers meanwhile.
DROP TABLE IF EXISTS answer_days;

-- Days, counted: for each survey and day (of the first answer), the number
-- of responses per (score, reasons, confirmed) of the answer that counts
-- (score, reasons, confirmed, responses: what a plain report reads), and
-- per (score, reasons, confirmed, channel, properties) for segments (the
-- seg_ arrays), as parallel arrays; parts identifies the parts of answers
-- they were counted from (a hash of the names and times of those that may
-- hold rows of the day); computed orders recounts. A report uses a day's
-- count only while the day's parts are still those, and reads the other
-- days from answers themselves, so a report is exact whatever the state of
-- this table.
CREATE TABLE IF NOT EXISTS answer_days (
    survey_id String,
    day Date,
    computed UInt64,
    parts UInt64,
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
