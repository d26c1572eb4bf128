-- Marks: what was written to answers, per survey and day (of created_at),
-- so that a count of answer_days is trusted by what was written, not by
-- how the engine keeps it (system.parts, the rule of 0006, changed with
-- every merge and is per server). See README.md, "The answer store".
--
-- answer_marks sums, per (survey, day), the rows and versions inserted
-- into answers (answer_marks_mv, in the same insert) and the marks Heed
-- writes itself for each mutation of answers (a row of 0 rows and a fresh
-- version sum). A merge moves rows, it inserts none, so the sums stay;
-- UInt64 sums wrap, which is fine for a fingerprint. Read with
-- GROUP BY + sum (rows of one key not merged yet are summed by the reader).
CREATE TABLE IF NOT EXISTS answer_marks (
    survey_id String,
    day Date,
    n_rows UInt64,
    version_sum UInt64
) ENGINE = SummingMergeTree((n_rows, version_sum))
PARTITION BY toYYYYMM(day)
ORDER BY (survey_id, day);

-- answer_touches: which (survey, day)s were marked when (the server's
-- clock at the insert), so that RefreshDays looks at the survey-days marked
-- since its last run instead of every survey. Partitioned by the day of the
-- write: RefreshDays drops partitions older than two days (DROP PARTITION,
-- no mutation); an instance that was away longer checks every day at start.
-- A view on answer_marks would not do: 18.16 does not run the views of a
-- view's target table, so both views read answers, and a mutation's mark
-- is inserted in both tables (written defaults to the server's now()).
CREATE TABLE IF NOT EXISTS answer_touches (
    written DateTime('UTC') DEFAULT now(),
    survey_id String,
    day Date
) ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMMDD(written)
ORDER BY (written, survey_id, day);

-- The mark a count was made at (the sums read before counting). Counts
-- made before this migration read as (0, 1), which no day's marks are
-- (a day of answers has rows; a day of marks only has a random version
-- sum), so they are counted again. parts (0006) is no longer read.
ALTER TABLE answer_days ADD COLUMN IF NOT EXISTS mark_rows UInt64;
ALTER TABLE answer_days ADD COLUMN IF NOT EXISTS mark_versions UInt64 DEFAULT 1;

CREATE MATERIALIZED VIEW IF NOT EXISTS answer_marks_mv TO answer_marks
AS SELECT survey_id, toDate(created_at) AS day, count() AS n_rows, sum(version) AS version_sum
FROM answers GROUP BY survey_id, day;

CREATE MATERIALIZED VIEW IF NOT EXISTS answer_touches_mv TO answer_touches
AS SELECT now() AS written, survey_id, toDate(created_at) AS day
FROM answers GROUP BY survey_id, day;

-- The answers stored before: their marks are what is stored now (the
-- views exist already, so a row inserted meanwhile is marked twice: only
-- another fingerprint). Run again, it adds the same sums again: every day's
-- mark changes and its count is made again, nothing is lost.
INSERT INTO answer_marks (survey_id, day, n_rows, version_sum)
SELECT survey_id, toDate(created_at) AS day, count(), sum(version) FROM answers GROUP BY survey_id, day;
