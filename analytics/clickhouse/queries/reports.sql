-- NPS reports. {period} is toDate, toMonday or toStartOfMonth, chosen from
-- analytics.Interval in Go (toStartOfWeek does not exist on 18.16).

-- name: select-report
-- How many responses of [from, to) ended with each (score, reasons), per
-- period. The inner query folds every response_id to the answer that counts
-- (see responses.sql), so retries, replays and follow-ups count once
-- whatever the merge state of the ReplacingMergeTree. A response belongs to
-- the period of its first answer: the IN subquery finds the responses with
-- a row in range, the inner query reads all their rows (a follow-up may sit
-- in another period) and HAVING keeps those first answered in range.
-- args: survey, survey, from, to, segment pairs, from, to, min confirmed (1, or 0 to include unconfirmed)
SELECT {period}(first_at) AS period, last_score, last_reasons, count() AS n
FROM (
	SELECT response_id,
		min(created_at) AS first_at,
		max(confirmed) AS any_confirmed,
		if(max(confirmed) = 1, argMaxIf(score, version, confirmed = 1), argMax(score, version)) AS last_score,
		if(max(confirmed) = 1, argMaxIf(reasons, version, confirmed = 1), argMax(reasons, version)) AS last_reasons
	FROM responses
	WHERE survey_id = ?
		AND response_id IN (SELECT response_id FROM responses
			WHERE survey_id = ? AND created_at >= toDateTime(?) AND created_at < toDateTime(?))
		AND hasAll(arrayMap((k, v) -> concat(k, '\0', v), property_keys, property_values), ?)
	GROUP BY response_id
	HAVING first_at >= toDateTime(?) AND first_at < toDateTime(?) AND any_confirmed >= ?
)
GROUP BY period, last_score, last_reasons
ORDER BY period;
