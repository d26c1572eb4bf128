-- Keeping answer_days up to date (MaintainDays): find the survey-days whose
-- marks (answer_marks: the rows and versions written) are not those their
-- latest count was made at, and count them again, many surveys per query.
-- Reports are exact without this; it keeps them fast.

-- name: select-days-guard
-- The server's clock and the mutations of answers: how many are not done,
-- and all of their ids. A count is stored only when none was running before
-- its marks were read and the ids are the same after it (see days.go).
SELECT now(), toUInt64(countIf(is_done = 0)), arrayStringConcat(arraySort(groupArray(mutation_id)), ',')
FROM system.mutations
WHERE database = currentDatabase() AND table = 'answers';

-- name: select-marked-months
-- The first days of the months holding marks or counts (the check of every
-- day, at start).
SELECT DISTINCT toString(toStartOfMonth(day)) FROM (
	SELECT day FROM answer_marks
	UNION ALL
	SELECT day FROM answer_days);

-- name: select-stale-days
-- The survey-days of [first day, day after the last) whose marks differ
-- from those their latest count was made at (no count: marks (0, 0), an
-- empty day), with the marks now (and, as select-stale-touched-days
-- returns them, zeros for the last touch and count: count them all). A
-- union and one GROUP BY on the sort key, not a join: memory for the
-- survey-days of the range only.
-- args: first day, day after the last, first day, day after the last
SELECT survey_id, toString(day), sum(r), sum(v), toUInt32(0), toUInt64(0) FROM (
	SELECT survey_id, day, n_rows AS r, version_sum AS v, toUInt64(0) AS cr, toUInt64(0) AS cv FROM answer_marks
	WHERE day >= toDate(?) AND day < toDate(?)
	UNION ALL
	SELECT survey_id, day, toUInt64(0) AS r, toUInt64(0) AS v, mark_rows AS cr, mark_versions AS cv FROM (
		SELECT survey_id, day, mark_rows, mark_versions FROM answer_days
		WHERE day >= toDate(?) AND day < toDate(?)
		ORDER BY survey_id, day, computed DESC
		LIMIT 1 BY survey_id, day))
GROUP BY survey_id, day
HAVING sum(r) != sum(cr) OR sum(v) != sum(cv);

-- name: select-stale-touched-days
-- select-stale-days for the survey-days marked since a time (before the
-- day given: days stamped ahead of the clocks wait), with when each was last
-- touched (the server's clock, seconds) and last counted (computed, ns):
-- RefreshDays leaves a day still being written to for a while.
-- args: since, day, since, day, since, day
SELECT survey_id, toString(day), sum(r), sum(v), max(touched), max(counted) FROM (
	SELECT survey_id, day, n_rows AS r, version_sum AS v, toUInt64(0) AS cr, toUInt64(0) AS cv,
		toUInt32(0) AS touched, toUInt64(0) AS counted FROM answer_marks
	WHERE (survey_id, day) IN (SELECT survey_id, day FROM answer_touches WHERE written >= toDateTime(?)) AND day < toDate(?)
	UNION ALL
	SELECT survey_id, day, toUInt64(0) AS r, toUInt64(0) AS v, mark_rows AS cr, mark_versions AS cv,
		toUInt32(0) AS touched, computed AS counted FROM (
		SELECT survey_id, day, mark_rows, mark_versions, computed FROM answer_days
		WHERE (survey_id, day) IN (SELECT survey_id, day FROM answer_touches WHERE written >= toDateTime(?)) AND day < toDate(?)
		ORDER BY survey_id, day, computed DESC
		LIMIT 1 BY survey_id, day)
	UNION ALL
	SELECT survey_id, day, toUInt64(0) AS r, toUInt64(0) AS v, toUInt64(0) AS cr, toUInt64(0) AS cv,
		toUInt32(max(written)) AS touched, toUInt64(0) AS counted FROM answer_touches
	WHERE written >= toDateTime(?) AND day < toDate(?)
	GROUP BY survey_id, day)
GROUP BY survey_id, day
HAVING sum(r) != sum(cr) OR sum(v) != sum(cv);

-- name: select-days-groups
-- The counting answers of the given survey-days ('survey YYYY-MM-DD'),
-- within [from, to) (a week at most at a time) and of the given surveys
-- (so that the sort key bounds what is read), grouped as answer_days keeps
-- them for segments. Every row of a response has its survey and first
-- answer time, so filtering rows before grouping by response is exact.
-- args: surveys, from, to, survey-days
SELECT survey_id, toString(toDate(created_at)) AS day, score, reasons, confirmed, channel, keys, vals, count()
FROM (
	SELECT survey_id, created_at, argMax(score, version) AS score, argMax(reasons, version) AS reasons,
		argMax(confirmed, version) AS confirmed, argMax(channel, version) AS channel,
		argMax(property_keys, version) AS keys, argMax(property_values, version) AS vals
	FROM answers
	WHERE survey_id IN (SELECT arrayJoin(?)) AND created_at >= toDateTime(?) AND created_at < toDateTime(?)
		AND concat(survey_id, ' ', toString(toDate(created_at))) IN (SELECT arrayJoin(?))
	GROUP BY survey_id, response_id, created_at)
GROUP BY survey_id, day, score, reasons, confirmed, channel, keys, vals;

-- name: select-days-final
-- select-days-groups read with FINAL, for the days of a large survey
-- (RefreshDays' countBatches): the counting answer of each response is its
-- row of the highest version (rows of a response share the sort key), and
-- the filters hold only key columns, so applying them after the merge is
-- exact.
-- args: surveys, from, to, survey-days
SELECT survey_id, toString(toDate(created_at)) AS day, score, reasons, confirmed, channel,
	property_keys AS keys, property_values AS vals, count()
FROM answers FINAL
WHERE survey_id IN (SELECT arrayJoin(?)) AND created_at >= toDateTime(?) AND created_at < toDateTime(?)
	AND concat(survey_id, ' ', toString(toDate(created_at))) IN (SELECT arrayJoin(?))
GROUP BY survey_id, day, score, reasons, confirmed, channel, keys, vals;

-- name: insert-answer-days
INSERT INTO answer_days (survey_id, day, computed, mark_rows, mark_versions, score, reasons, confirmed, responses,
	seg_score, seg_reasons, seg_confirmed, seg_channel, seg_keys, seg_values, seg_responses);

-- name: insert-answer-marks
-- A mutation's mark (no rows, a fresh version sum): counts of the day made
-- before it no longer serve.
INSERT INTO answer_marks (survey_id, day, n_rows, version_sum);

-- name: insert-answer-touches
-- The same mark, for RefreshDays to find (written: the server's now()).
INSERT INTO answer_touches (survey_id, day);

-- name: select-old-touches
-- The partitions (days of writing) of answer_touches older than a time.
-- args: before
SELECT DISTINCT toYYYYMMDD(written) FROM answer_touches WHERE written < toDateTime(?);

-- name: drop-touches-partition
-- args: partition (YYYYMMDD)
ALTER TABLE answer_touches DROP PARTITION ?;

-- name: select-marks
-- The marks of a survey's days of [first day, day after the last): what a
-- report checks each day's count against.
-- args: survey, first day, day after the last
SELECT toString(day), sum(n_rows), sum(version_sum) FROM answer_marks
WHERE survey_id = ? AND day >= toDate(?) AND day < toDate(?)
GROUP BY day;
