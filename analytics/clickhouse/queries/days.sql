-- Keeping answer_days up to date (MaintainDays): find the months whose
-- answers changed, compare each day's fingerprint with its count's, count
-- the stale days again. Reports are exact without this; it keeps them fast.

-- name: select-answer-partitions
-- Each month of answers with the time (the server's, in seconds) its
-- newest part was written: an insert, a merge or a mutation writes a part.
SELECT partition, toUInt64(max(modification_time)) FROM system.parts
WHERE database = currentDatabase() AND table = 'answers' AND active
GROUP BY partition;

-- name: select-server-time
-- The server's clock, which also stamps parts.
SELECT toUInt64(now());

-- name: select-all-day-fingerprints
-- The fingerprint of each survey's days in [from, to).
-- args: from, to
SELECT survey_id, toString(toDate(created_at)) AS day, count(), sum(version) FROM answers
WHERE created_at >= toDateTime(?) AND created_at < toDateTime(?)
GROUP BY survey_id, day;

-- name: select-all-rollup-fingerprints
-- The latest count of each survey's days in [first day, day after the last).
-- args: first day, day after the last
SELECT survey_id, toString(day), raw_rows, raw_version_sum FROM answer_days
WHERE day >= toDate(?) AND day < toDate(?)
ORDER BY survey_id, day, computed DESC
LIMIT 1 BY survey_id, day;

-- name: select-day-groups
-- The counting answers of a survey's days in [from, to) (a few days at a
-- time), grouped as answer_days keeps them for segments.
-- args: survey, from, to
SELECT toString(toDate(created_at)) AS day, score, reasons, confirmed, channel, keys, vals, count()
FROM (
	SELECT created_at, argMax(score, version) AS score, argMax(reasons, version) AS reasons,
		argMax(confirmed, version) AS confirmed, argMax(channel, version) AS channel,
		argMax(property_keys, version) AS keys, argMax(property_values, version) AS vals
	FROM answers
	WHERE survey_id = ? AND created_at >= toDateTime(?) AND created_at < toDateTime(?)
	GROUP BY response_id, created_at)
GROUP BY day, score, reasons, confirmed, channel, keys, vals;

-- name: insert-answer-days
INSERT INTO answer_days (survey_id, day, computed, counted_at, raw_rows, raw_version_sum, score, reasons, confirmed,
	responses, seg_score, seg_reasons, seg_confirmed, seg_channel, seg_keys, seg_values, seg_responses);
