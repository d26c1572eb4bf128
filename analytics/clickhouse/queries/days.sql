-- Keeping answer_days up to date (MaintainDays): find the months whose
-- answers changed, compare each day's fingerprint with its counts', count
-- the stale days again. Reports are exact without this; it keeps them fast.

-- name: select-answer-partitions
-- Each month of answers with the time its newest part was written (an
-- insert, a merge or a mutation writes a part).
SELECT partition, toUInt64(max(modification_time)) FROM system.parts
WHERE database = currentDatabase() AND table = 'answers' AND active
GROUP BY partition;

-- name: select-all-day-fingerprints
-- The fingerprint of each survey's days in [from, to).
-- args: from, to
SELECT survey_id, toString(toDate(created_at)) AS day, count(), sum(version) FROM answers
WHERE created_at >= toDateTime(?) AND created_at < toDateTime(?)
GROUP BY survey_id, day;

-- name: select-all-rollup-fingerprints
-- args: first day, day after the last
SELECT survey_id, toString(day), raw_rows, raw_version_sum FROM answer_days FINAL
WHERE day >= toDate(?) AND day < toDate(?);

-- name: select-day-groups
-- The counting answers of a survey's days in [from, to), grouped as
-- answer_days keeps them.
-- args: survey, from, to
SELECT toString(toDate(created_at)) AS day, score, reasons, confirmed, channel, property_keys, property_values, count()
FROM answers FINAL
WHERE survey_id = ? AND created_at >= toDateTime(?) AND created_at < toDateTime(?)
GROUP BY day, score, reasons, confirmed, channel, property_keys, property_values;

-- name: insert-answer-days
INSERT INTO answer_days (survey_id, day, computed, raw_rows, raw_version_sum, score, reasons, confirmed,
	channel, property_keys, property_values, responses);
