-- answer_firsts again, as response_starts, with 64-row granules instead of
-- 256. The writer looks a batch's follow-ups up here (select-first-answers)
-- and reads one granule per part for each id: under steady answers to
-- 10,000 surveys a batch's lookup read about 1 M rows of 256-row granules
-- and took 2-3 s on the 2-core machine, most of the writer's time and a
-- core taken from the reports. 64-row granules read a quarter of that;
-- the primary key in memory grows to about 1 MB per million responses
-- (32-row granules would read half again, for twice that memory).
--
-- The view fills the new table from now on and the old rows are copied
-- (read through merge() and kept by _table, so that this migration run
-- again after the old table was dropped copies nothing; rows copied twice
-- fold, and lookups take min(created_at) anyway); then the old view and
-- table are dropped. A Heed of an earlier version still running then fails
-- its lookups (its answers wait in its spool) rather than miss the
-- responses begun after this: stop earlier instances before upgrading.
CREATE TABLE IF NOT EXISTS response_starts (
    survey_id String,
    response_id UUID,
    created_at DateTime('UTC')
) ENGINE = ReplacingMergeTree
ORDER BY (survey_id, response_id)
SETTINGS index_granularity = 64;

CREATE MATERIALIZED VIEW IF NOT EXISTS response_starts_mv TO response_starts
AS SELECT survey_id, response_id, created_at FROM answers;

INSERT INTO response_starts (survey_id, response_id, created_at)
SELECT survey_id, response_id, created_at FROM merge(currentDatabase(), '^(answer_firsts|response_starts)$')
WHERE _table = 'answer_firsts';

DROP TABLE IF EXISTS answer_firsts_mv;

DROP TABLE IF EXISTS answer_firsts;
