-- NPS reports. {period} is toDate, toMonday or toStartOfMonth, chosen from
-- analytics.Interval in Go (toStartOfWeek does not exist on 18.16).
--
-- A report is exact and reads little: the counts of answer_days serve every
-- day whose answers still have the fingerprint (raw row count, sum of
-- versions) the counts were made from; the other days ("stale": today, a
-- day with a late follow-up, one merged since) are counted from answers
-- with FINAL. See README.md, "The answer store".

-- name: select-day-fingerprints
-- The fingerprint of each day's raw answer rows, now.
-- args: survey, from, to
SELECT toString(toDate(created_at)) AS day, count(), sum(version) FROM answers
WHERE survey_id = ? AND created_at >= toDateTime(?) AND created_at < toDateTime(?)
GROUP BY day;

-- name: select-rollup-fingerprints
-- The fingerprint each counted day was made from.
-- args: survey, first day, day after the last
SELECT toString(day), raw_rows, raw_version_sum FROM answer_days FINAL
WHERE survey_id = ? AND day >= toDate(?) AND day < toDate(?);

-- name: select-rollup-report
-- Responses per (period, score, reasons) from the counted days, leaving out
-- the stale ones (a list of 'YYYY-MM-DD' that starts with '' so that it is
-- never empty: an empty literal has no type on 18.16).
-- args: survey, first day, day after the last, stale days, min confirmed (1, or 0 with unconfirmed), segment pairs
SELECT {period}(day) AS period, s, r, sum(n)
FROM answer_days FINAL
ARRAY JOIN score AS s, reasons AS r, confirmed AS c, property_keys AS pk, property_values AS pv, responses AS n
WHERE survey_id = ? AND day >= toDate(?) AND day < toDate(?) AND NOT has(?, toString(day))
	AND c >= ? AND hasAll(arrayMap((k, v) -> concat(k, '\0', v), pk, pv), ?)
GROUP BY period, s, r;

-- name: select-raw-report
-- Responses per (period, score, reasons) of [from, to) counted from the
-- answers themselves: FINAL keeps each response's counting answer; the
-- filters apply to it, outside FINAL.
-- args: survey, from, to, min confirmed, segment pairs
SELECT {period}(created_at) AS period, score, reasons, count()
FROM (
	SELECT created_at, score, reasons, confirmed, property_keys, property_values FROM answers FINAL
	WHERE survey_id = ? AND created_at >= toDateTime(?) AND created_at < toDateTime(?))
WHERE confirmed >= ? AND hasAll(arrayMap((k, v) -> concat(k, '\0', v), property_keys, property_values), ?)
GROUP BY period, score, reasons;
