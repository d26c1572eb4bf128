-- NPS reports. {period} is toDate, toMonday or toStartOfMonth, chosen from
-- analytics.Interval in Go (toStartOfWeek does not exist on 18.16).
--
-- A report is exact and reads little: the counts of answer_days serve every
-- day whose answers are as they were when counted (no part of the month
-- written since, or the same fingerprint: raw row count and sum of
-- versions); the other days ("stale": today, a day with a late follow-up,
-- one merged since) are counted from the answers themselves. See
-- README.md, "The answer store". {period} is for the raw statements; the
-- counted days come back per day and Go puts them in their periods.

-- name: select-day-fingerprints
-- The fingerprint of each day's raw answer rows, now.
-- args: survey, from, to
SELECT toString(toDate(created_at)) AS day, count(), sum(version) FROM answers
WHERE survey_id = ? AND created_at >= toDateTime(?) AND created_at < toDateTime(?)
GROUP BY day;

-- name: select-rollup-days
-- The latest count of each day (LIMIT 1 BY, not FINAL: FINAL costs 18.16
-- hundreds of MB here) with the fingerprint it was made from, and its
-- groups that pass min confirmed: a day's counts and its fingerprint come
-- from the same row, so a recount between two reads can never pair one
-- day's fingerprint with another count.
-- args: min confirmed, survey, first day, day after the last
SELECT toString(day), raw_rows, raw_version_sum, toUInt64(counted_at),
	arrayMap(c -> c >= ?, confirmed) AS keep,
	arrayFilter((x, k) -> k, score, keep), arrayFilter((x, k) -> k, reasons, keep), arrayFilter((x, k) -> k, responses, keep)
FROM answer_days
WHERE survey_id = ? AND day >= toDate(?) AND day < toDate(?)
ORDER BY day, computed DESC
LIMIT 1 BY day;

-- name: select-rollup-segment-days
-- select-rollup-days for a segment: the groups by channel and properties
-- that pass min confirmed and hold every pair.
-- args: min confirmed, segment pairs, survey, first day, day after the last
SELECT toString(day), raw_rows, raw_version_sum, toUInt64(counted_at),
	arrayMap((c, pk, pv) -> c >= ? AND hasAll(arrayMap((k, v) -> concat(k, '\0', v), pk, pv), ?),
		seg_confirmed, seg_keys, seg_values) AS keep,
	arrayFilter((x, k) -> k, seg_score, keep), arrayFilter((x, k) -> k, seg_reasons, keep), arrayFilter((x, k) -> k, seg_responses, keep)
FROM answer_days
WHERE survey_id = ? AND day >= toDate(?) AND day < toDate(?)
ORDER BY day, computed DESC
LIMIT 1 BY day;

-- name: select-raw-report
-- Responses per (period, score, reasons) of [from, to) counted from the
-- answers themselves: FINAL keeps each response's counting answer (its
-- row of the highest version: the rows of a response share the sort key).
-- These ranges are short (today, a day with a late follow-up), so FINAL
-- is quick; after a merge rewrote months, longer, and FINAL still reads
-- them in bounded memory where grouping by response would not.
-- args: survey, from, to, min confirmed
SELECT {period}(created_at) AS period, score, reasons, count()
FROM (
	SELECT created_at, score, reasons, confirmed FROM answers FINAL
	WHERE survey_id = ? AND created_at >= toDateTime(?) AND created_at < toDateTime(?))
WHERE confirmed >= ?
GROUP BY period, score, reasons;

-- name: select-raw-segment-report
-- select-raw-report for a segment, which the counting answer must hold.
-- args: survey, from, to, min confirmed, segment pairs
SELECT {period}(created_at) AS period, score, reasons, count()
FROM (
	SELECT created_at, score, reasons, confirmed, property_keys, property_values FROM answers FINAL
	WHERE survey_id = ? AND created_at >= toDateTime(?) AND created_at < toDateTime(?))
WHERE confirmed >= ? AND hasAll(arrayMap((k, v) -> concat(k, '\0', v), property_keys, property_values), ?)
GROUP BY period, score, reasons;
