-- Answers (migrations/0005_answers.sql). Every row of a response carries
-- the time of its first answer (created_at) and a version whose top bit says
-- "confirmed": so FINAL, like every merge, keeps for each response the
-- answer that counts: its last confirmed answer, else its last answer.
-- A segment is a list of 'key\0value' pairs the counting answer must hold.

-- name: insert-responses
-- The response_starts_mv view copies (survey, response, first time) into
-- response_starts in the same insert.
INSERT INTO answers (survey_id, created_at, response_id, version, score,
	reasons, comment, channel, respondent, property_keys, property_values, confirmed, flags);

-- name: select-answer-superseded
-- Whether a response has a stored answer that counts over the given
-- (stored) version: its first answer's time from response_starts (by primary
-- key), then its rows by the sort key of answers, a point read either way.
-- args: survey, response id, survey, response id, version
SELECT count() FROM answers
WHERE survey_id = ? AND response_id = toUUID(?)
	AND created_at IN (SELECT min(created_at) FROM response_starts WHERE survey_id = ? AND response_id = toUUID(?))
	AND version > ?;

-- name: select-first-answers
-- When the listed responses (of any surveys: a batch's, in one query) were
-- first answered, by primary key: (survey, id) pairs IN a subquery use the
-- index where has() would not (ids as strings: a bound list of UUIDs needs
-- toUUID; 18.16 wants the pairs as two columns, not one of tuples). One
-- query for a batch, not one a survey: with 10,000 surveys the lookups per
-- survey were most of the writer's time (500 responses of 400 surveys of
-- 10 M answers: 55-63 ms, against 1.2 s one survey at a time, on 18.16).
-- args: surveys, response ids (parallel lists)
SELECT survey_id, toString(response_id), min(created_at) FROM response_starts
WHERE (survey_id, response_id) IN (
	SELECT tupleElement(t, 1), tupleElement(t, 2)
	FROM (SELECT arrayJoin(arrayMap((s, x) -> (s, toUUID(x)), ?, ?)) AS t))
GROUP BY survey_id, response_id;

-- name: select-stored-answers
-- Which of the listed responses have an answer first given in [from, to]
-- (an import's batch: its answers keep their own times, so a stored copy
-- lies in that range, read by the sort key; IN a set, not has(), which
-- would scan the list for every row).
-- args: survey, from, to, response ids
SELECT DISTINCT toString(response_id) FROM answers
WHERE survey_id = ? AND created_at >= toDateTime(?) AND created_at <= toDateTime(?)
	AND response_id IN (SELECT arrayJoin(arrayMap(x -> toUUID(x), ?)));

-- name: select-latest-answers
-- The newest counting answers first given in [from, to): the caller widens
-- the window until it has enough, so a list reads the newest rows only.
-- The segment is applied to the folded rows, outside FINAL.
-- args: survey, from, to, segment pairs, limit
SELECT id, created_at, score, reasons, comment, channel, respondent, confirmed, flags, property_keys, property_values
FROM (
	SELECT toString(response_id) AS id, created_at, score, reasons, comment, channel, respondent, confirmed, flags,
		property_keys, property_values
	FROM answers FINAL
	WHERE survey_id = ? AND created_at >= toDateTime(?) AND created_at < toDateTime(?))
WHERE hasAll(arrayMap((k, v) -> concat(k, '\0', v), property_keys, property_values), ?)
ORDER BY created_at DESC, id
LIMIT ?;

-- name: select-respondent-answers
-- The counting answers of one respondent first given in [from, to), newest
-- first: every answer of a response has its respondent, so the filter may
-- come before FINAL. (respondent is not in the sort key: this reads the
-- survey's range.)
-- args: survey, respondent, from, to, segment pairs, limit
SELECT id, created_at, score, reasons, comment, channel, respondent, confirmed, flags, property_keys, property_values
FROM (
	SELECT toString(response_id) AS id, created_at, score, reasons, comment, channel, respondent, confirmed, flags,
		property_keys, property_values
	FROM answers FINAL
	WHERE survey_id = ? AND respondent = ? AND created_at >= toDateTime(?) AND created_at < toDateTime(?))
WHERE hasAll(arrayMap((k, v) -> concat(k, '\0', v), property_keys, property_values), ?)
ORDER BY created_at DESC, id
LIMIT ?;

-- name: select-export-answers
-- Every counting answer first given in [from, to), for responses.csv,
-- streamed as ClickHouse reads it (in time order within each month), in
-- scalar columns only (decoding arrays row by row costs Heed more than the
-- rest): the id as a UUID and the time as Unix seconds (toString of them
-- costs 18.16 about 2 s of CPU per 10 M rows; Heed writes them), the reasons
-- joined by ';' (ids are [a-z0-9_]), the values of the export's property
-- names (in their order) joined by NUL, a NUL inside a value shown as
-- U+FFFD. The names end with '' (no property has it), so that the list is
-- never an empty literal, which has no type on 18.16.
-- args: property names, survey, from, to, segment pairs
SELECT response_id, toUInt32(created_at), score, arrayStringConcat(reasons, ';'), comment, channel, respondent, confirmed, flags,
	arrayStringConcat(arrayMap(k -> replaceAll(property_values[indexOf(property_keys, k)], '\0', '\xEF\xBF\xBD'), ?), '\0')
FROM (
	SELECT response_id, created_at, score, reasons, comment, channel, respondent, confirmed, flags, property_keys, property_values
	FROM answers FINAL
	WHERE survey_id = ? AND created_at >= toDateTime(?) AND created_at < toDateTime(?))
WHERE hasAll(arrayMap((k, v) -> concat(k, '\0', v), property_keys, property_values), ?);

-- name: select-answer-property-keys
-- The property names of the answers first given in [from, to): the
-- columns of responses.csv. (Raw rows: a name only a replaced answer had
-- gives an empty column, never a wrong one.)
-- args: survey, from, to, most
SELECT DISTINCT arrayJoin(property_keys) AS k FROM answers
WHERE survey_id = ? AND created_at >= toDateTime(?) AND created_at < toDateTime(?)
ORDER BY k
LIMIT ?;

-- name: select-last-contact
-- When a respondent last answered (the time in a version's low 63 bits)
-- and last dismissed a survey; over no rows both are 1970-01-01, which Go
-- reads as "never".
-- args: survey, respondent, survey, respondent
SELECT
	(SELECT toDateTime(intDiv(max(bitAnd(version, 9223372036854775807)), 1000000000), 'UTC') FROM answers
		WHERE survey_id = ? AND respondent = ?),
	(SELECT max(created_at) FROM dismissals WHERE survey_id = ? AND respondent = ?);

-- name: select-answered-respondents
-- Respondents with a confirmed answer to a response begun since a time
-- (reminders skip them, initial sends count them as asked).
-- args: survey, since
SELECT DISTINCT respondent FROM answers
WHERE survey_id = ? AND created_at >= toDateTime(?) AND respondent != '' AND confirmed = 1;
