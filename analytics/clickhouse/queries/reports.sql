-- NPS reports. {period} is toDate, toMonday or toStartOfMonth, chosen from
-- analytics.Interval in Go (toStartOfWeek does not exist on 18.16).
--
-- A report is exact and reads little: the counts of answer_days serve every
-- day whose marks (answer_marks: the rows and versions written, see
-- days.sql) are still those it was counted at; the other days (today while
-- answered, a day with a late follow-up or a mutation) are counted from the answers
-- themselves. See README.md, "The answer store".

-- name: select-rollup-days
-- The latest count of each day (chosen by (day, max(computed)) in
-- PREWHERE, before anything else is read: with WHERE, 18.16 made the
-- groups' text of every row of the granules read, other surveys' and older
-- counts included, and a 60-day report by channel took 0.6-0.9 s for what
-- takes 0.04 s; not FINAL: FINAL costs 18.16 hundreds of MB here), the
-- marks it was counted at, and its groups that pass min
-- confirmed as text, 'score:reason;reason:n' joined by ',' (reason ids are
-- [a-z0-9_]; decoding arrays row by row costs Heed more than this). LIMIT
-- 1 BY day: the same count stored twice.
-- args: min confirmed, survey, first day, day after the last, survey,
-- first day, day after the last
SELECT toString(day), mark_rows, mark_versions,
	arrayStringConcat(arrayMap((s, r, n, c) -> if(c >= ?, concat(toString(s), ':', arrayStringConcat(r, ';'), ':', toString(n)), ''),
		score, reasons, responses, confirmed), ',')
FROM answer_days
PREWHERE survey_id = ? AND day >= toDate(?) AND day < toDate(?)
	AND (day, computed) IN (SELECT day, max(computed) FROM answer_days
		WHERE survey_id = ? AND day >= toDate(?) AND day < toDate(?) GROUP BY day)
LIMIT 1 BY day;

-- name: select-rollup-segment-days
-- select-rollup-days for a segment: the groups by channel and properties
-- that pass min confirmed and hold every pair.
-- args: min confirmed, segment pairs, survey, first day, day after the
-- last, survey, first day, day after the last
SELECT toString(day), mark_rows, mark_versions,
	arrayStringConcat(arrayMap((s, r, n, c, pk, pv) ->
		if(c >= ? AND hasAll(arrayMap((k, v) -> concat(k, '\0', v), pk, pv), ?),
			concat(toString(s), ':', arrayStringConcat(r, ';'), ':', toString(n)), ''),
		seg_score, seg_reasons, seg_responses, seg_confirmed, seg_keys, seg_values), ',')
FROM answer_days
PREWHERE survey_id = ? AND day >= toDate(?) AND day < toDate(?)
	AND (day, computed) IN (SELECT day, max(computed) FROM answer_days
		WHERE survey_id = ? AND day >= toDate(?) AND day < toDate(?) GROUP BY day)
LIMIT 1 BY day;

-- name: select-rollup-grouped-days
-- select-rollup-segment-days for a grouped report: each group also names
-- its segment, the channel (group key '') or the value of the property
-- named by the key, in hex (a value may hold any character):
-- 'segment:score:reason;reason:n'.
-- args: min confirmed, segment pairs (may be empty), group key, group key,
-- survey, first day, day after the last, survey, first day, day after the
-- last
SELECT toString(day), mark_rows, mark_versions,
	arrayStringConcat(arrayMap((s, r, n, c, ch, pk, pv) ->
		if(c >= ? AND hasAll(arrayMap((k, v) -> concat(k, '\0', v), pk, pv), ?),
			concat(hex(if(? = '', ch, pv[indexOf(pk, ?)])), ':', toString(s), ':', arrayStringConcat(r, ';'), ':', toString(n)), ''),
		seg_score, seg_reasons, seg_responses, seg_confirmed, seg_channel, seg_keys, seg_values), ',')
FROM answer_days
PREWHERE survey_id = ? AND day >= toDate(?) AND day < toDate(?)
	AND (day, computed) IN (SELECT day, max(computed) FROM answer_days
		WHERE survey_id = ? AND day >= toDate(?) AND day < toDate(?) GROUP BY day)
LIMIT 1 BY day;

-- name: select-raw-report
-- Responses per (period, score, reasons) of [from, to) counted from the
-- answers themselves: FINAL keeps each response's counting answer (its
-- row of the highest version: the rows of a response share the sort key).
-- These ranges are short (today, a day with a late follow-up), so FINAL
-- is quick; after a merge rewrote months, longer, and FINAL still reads
-- them in bounded memory where grouping by response would not. Periods
-- begin at midnight in the time zone given (a report in another zone than
-- UTC also reads here the UTC days its period boundaries split).
-- args: time zone, survey, from, to, min confirmed
SELECT {period}(created_at, ?) AS period, score, reasons, count()
FROM (
	SELECT created_at, score, reasons, confirmed FROM answers FINAL
	WHERE survey_id = ? AND created_at >= toDateTime(?) AND created_at < toDateTime(?))
WHERE confirmed >= ?
GROUP BY period, score, reasons;

-- name: select-raw-segment-report
-- select-raw-report for a segment, which the counting answer must hold.
-- args: time zone, survey, from, to, min confirmed, segment pairs
SELECT {period}(created_at, ?) AS period, score, reasons, count()
FROM (
	SELECT created_at, score, reasons, confirmed, property_keys, property_values FROM answers FINAL
	WHERE survey_id = ? AND created_at >= toDateTime(?) AND created_at < toDateTime(?))
WHERE confirmed >= ? AND hasAll(arrayMap((k, v) -> concat(k, '\0', v), property_keys, property_values), ?)
GROUP BY period, score, reasons;

-- name: select-raw-grouped-report
-- select-raw-segment-report for a grouped report, by segment: the channel
-- (group key '') or the value of the property the key names ('' for
-- answers without it).
-- args: time zone, group key, group key, survey, from, to, min confirmed,
-- segment pairs (may be empty)
SELECT {period}(created_at, ?) AS period, if(? = '', channel, property_values[indexOf(property_keys, ?)]) AS seg,
	score, reasons, count()
FROM (
	SELECT created_at, score, reasons, confirmed, channel, property_keys, property_values FROM answers FINAL
	WHERE survey_id = ? AND created_at >= toDateTime(?) AND created_at < toDateTime(?))
WHERE confirmed >= ? AND hasAll(arrayMap((k, v) -> concat(k, '\0', v), property_keys, property_values), ?)
GROUP BY period, seg, score, reasons;

-- name: select-segment-keys
-- The property names a report can group by: those of the counted days of
-- [first day, day after the last), and of the answers of [from, to) (the
-- recent days, maybe not counted yet): a few rows, where the names of
-- every answer of the range would read the whole range. PREWHERE: the
-- arrays of other surveys' rows in the same granules are never read (18.16
-- with WHERE: 0.12-0.2 s for a 60-day range, with PREWHERE 0.01 s).
-- args: survey, first day, day after the last, survey, from, to, most
SELECT DISTINCT k FROM (
	SELECT arrayJoin(arrayJoin(seg_keys)) AS k FROM answer_days
	PREWHERE survey_id = ? AND day >= toDate(?) AND day < toDate(?)
	UNION ALL
	SELECT arrayJoin(property_keys) AS k FROM answers
	PREWHERE survey_id = ? AND created_at >= toDateTime(?) AND created_at < toDateTime(?))
ORDER BY k
LIMIT ?;
