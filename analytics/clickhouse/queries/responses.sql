-- Answers. Each accepted answer is a row; a follow-up, a retry or a replay
-- of the same response_id is another row. The answer that counts for a
-- response is its last confirmed one when it has one, else its last one: so
-- a link scanner's later click never overrides what the person confirmed.
-- A segment is a list of 'key\0value' pairs that every counted row holds.

-- name: insert-responses
INSERT INTO responses (survey_id, created_at, response_id, version, score,
	reasons, comment, channel, respondent, property_keys, property_values, confirmed, flags);

-- name: select-answers
-- The answers first given in [from, to), newest first: the subquery finds
-- the responses with a row in range, the outer query reads all their rows (a
-- follow-up may sit in another period) and HAVING keeps those first
-- answered in range.
-- args: survey, survey, from, to, segment pairs, from, to, limit
SELECT toString(response_id) AS id,
	min(created_at) AS first_at,
	if(max(confirmed) = 1, argMaxIf(score, version, confirmed = 1), argMax(score, version)) AS last_score,
	if(max(confirmed) = 1, argMaxIf(reasons, version, confirmed = 1), argMax(reasons, version)) AS last_reasons,
	if(max(confirmed) = 1, argMaxIf(comment, version, confirmed = 1), argMax(comment, version)) AS last_comment,
	argMax(channel, version) AS last_channel,
	argMax(respondent, version) AS last_respondent,
	max(confirmed) AS any_confirmed,
	argMax(flags, version) AS last_flags
FROM responses
WHERE survey_id = ?
	AND response_id IN (SELECT response_id FROM responses
		WHERE survey_id = ? AND created_at >= toDateTime(?) AND created_at < toDateTime(?))
	AND hasAll(arrayMap((k, v) -> concat(k, '\0', v), property_keys, property_values), ?)
GROUP BY response_id
HAVING first_at >= toDateTime(?) AND first_at < toDateTime(?)
ORDER BY first_at DESC, id
LIMIT ?;

-- name: select-last-contact
-- When a respondent last answered and last dismissed a survey; max() over
-- no rows is 1970-01-01 on every version, which Go reads as "never".
-- args: survey, respondent, survey, respondent
SELECT
	(SELECT max(created_at) FROM responses WHERE survey_id = ? AND respondent = ?),
	(SELECT max(created_at) FROM dismissals WHERE survey_id = ? AND respondent = ?);

-- name: select-answered-respondents
-- Respondents with a confirmed answer since a time (reminders skip them,
-- initial sends count them as asked).
-- args: survey, since
SELECT DISTINCT respondent FROM responses
WHERE survey_id = ? AND created_at >= toDateTime(?) AND respondent != '' AND confirmed = 1;
