-- NPS reports. {period} is toDate, toMonday or toStartOfMonth, chosen from
-- analytics.Interval in Go (toStartOfWeek does not exist on 18.16).
--
-- A report is exact and reads little: the counts of answer_days serve every
-- day whose answers are as they were when counted (no part of the month
-- written since, or the same fingerprint: raw row count and sum of
-- versions); the other days ("stale": today, a day with a late follow-up,
-- one merged since) are counted from the answers themselves. See
-- README.md, "The answer store".

-- name: select-day-fingerprints
-- The fingerprint of each day's raw answer rows, now.
-- args: survey, from, to
SELECT toString(toDate(created_at)) AS day, count(), sum(version) FROM answers
WHERE survey_id = ? AND created_at >= toDateTime(?) AND created_at < toDateTime(?)
GROUP BY day;

-- name: select-rollup-fingerprints
-- The fingerprint each counted day was made from, and when. The latest
-- count of a day wins (LIMIT 1 BY, not FINAL: FINAL costs 18.16 hundreds
-- of MB here).
-- args: survey, first day, day after the last
SELECT toString(day), raw_rows, raw_version_sum, toUInt64(counted_at) FROM answer_days
WHERE survey_id = ? AND day >= toDate(?) AND day < toDate(?)
ORDER BY day, computed DESC
LIMIT 1 BY day;

-- name: select-rollup-report
-- Responses per (period, score, reasons) from the counted days, leaving out
-- the stale ones (a list of 'YYYY-MM-DD' that starts with '' so that it is
-- never empty: an empty literal has no type on 18.16).
-- args: survey, first day, day after the last, stale days, min confirmed (1, or 0 with unconfirmed)
SELECT {period}(day) AS period, s, r, sum(n)
FROM (
	SELECT day, score, reasons, confirmed, responses FROM answer_days
	WHERE survey_id = ? AND day >= toDate(?) AND day < toDate(?)
	ORDER BY day, computed DESC
	LIMIT 1 BY day)
ARRAY JOIN score AS s, reasons AS r, confirmed AS c, responses AS n
WHERE NOT has(?, toString(day)) AND c >= ?
GROUP BY period, s, r;

-- name: select-rollup-segment-report
-- select-rollup-report for a segment: the counts by channel and properties.
-- args: survey, first day, day after the last, stale days, min confirmed, segment pairs
SELECT {period}(day) AS period, s, r, sum(n)
FROM (
	SELECT day, seg_score, seg_reasons, seg_confirmed, seg_keys, seg_values, seg_responses FROM answer_days
	WHERE survey_id = ? AND day >= toDate(?) AND day < toDate(?)
	ORDER BY day, computed DESC
	LIMIT 1 BY day)
ARRAY JOIN seg_score AS s, seg_reasons AS r, seg_confirmed AS c, seg_keys AS pk, seg_values AS pv, seg_responses AS n
WHERE NOT has(?, toString(day)) AND c >= ? AND hasAll(arrayMap((k, v) -> concat(k, '\0', v), pk, pv), ?)
GROUP BY period, s, r;

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
