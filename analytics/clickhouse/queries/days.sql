-- Keeping answer_days up to date (MaintainDays): find the months whose
-- parts of answers changed, and count again each day whose parts are no
-- longer those it was counted from. Reports are exact without this; it
-- keeps them fast.

-- name: select-answer-parts
-- Every active part of answers: its month, its name, the range of
-- created_at it holds and when it was written (an insert, a merge, a
-- mutation each write a part). Which parts hold rows of a day tells
-- whether its count still holds (reports.go, answerParts).
SELECT partition, name, toUInt64(min_time), toUInt64(max_time), toUInt64(modification_time) FROM system.parts
WHERE database = currentDatabase() AND table = 'answers' AND active
ORDER BY name;

-- name: select-count-partitions
-- The months answer_days holds counts of.
SELECT DISTINCT partition FROM system.parts
WHERE database = currentDatabase() AND table = 'answer_days' AND active;

-- name: select-month-surveys
-- The surveys with answers in [from, to).
-- args: from, to
SELECT DISTINCT survey_id FROM answers
WHERE created_at >= toDateTime(?) AND created_at < toDateTime(?);

-- name: select-month-counts
-- The parts each survey's days of [first day, day after the last) were
-- last counted from.
-- args: first day, day after the last
SELECT survey_id, toString(day), parts FROM answer_days
WHERE day >= toDate(?) AND day < toDate(?)
ORDER BY survey_id, day, computed DESC
LIMIT 1 BY survey_id, day;

-- name: select-day-groups
-- The counting answers of a survey's days in [from, to) (a week at most at
-- a time), grouped as answer_days keeps them for segments.
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
INSERT INTO answer_days (survey_id, day, computed, parts, score, reasons, confirmed, responses,
	seg_score, seg_reasons, seg_confirmed, seg_channel, seg_keys, seg_values, seg_responses);
