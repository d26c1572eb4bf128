-- Cases (migrations/0010_cases.sql): the state of each case acted upon
-- (the row of the highest version wins) and its notes; a case is a
-- response whose counting answer is a detractor's, or one acted upon.
-- Conditions on the answer's non-key columns (score, confirmed) stay
-- outside FINAL: inside, 18.16 would move them to PREWHERE, before the
-- rows are folded.

-- name: insert-case
INSERT INTO cases (survey_id, response_id, version, opened_at, status, assignee, closed_at, closed_by, updated_at);

-- name: insert-case-note
INSERT INTO case_notes (survey_id, response_id, at, version, author, text);

-- name: select-case-state
-- A case's current state: its row of the highest version, the row a merge
-- keeps (raw rows, not FINAL: the write just made must be read back at
-- once, before any merge; a case has a handful of rows).
-- args: survey, response id
SELECT opened_at, status, assignee, closed_at, closed_by, updated_at
FROM cases
WHERE survey_id = ? AND response_id = toUUID(?)
ORDER BY version DESC
LIMIT 1;

-- name: select-case-answer
-- The counting answer of one response, by its sort key: the time of its
-- first answer from response_starts (sorted by response), then its rows of
-- answers. min() over no rows is 1970-01-01, which no answer has.
-- args: survey, survey, response id, response id
SELECT id, created_at, score, reasons, comment, channel, respondent, confirmed, flags, property_keys, property_values
FROM (
	SELECT toString(response_id) AS id, created_at, score, reasons, comment, channel, respondent, confirmed, flags,
		property_keys, property_values
	FROM answers FINAL
	WHERE survey_id = ?
		AND created_at = (SELECT min(created_at) FROM response_starts WHERE survey_id = ? AND response_id = toUUID(?))
		AND response_id = toUUID(?))
LIMIT 1;

-- name: select-cases
-- The cases opened (first answered) in [from, to), newest first: the
-- counting answers of the range joined with the states of the survey's
-- cases (few: those acted upon), kept when detractor (confirmed, unless
-- min confirmed is 0) or acted upon, and of the status asked ('' for both;
-- a case without a row is open).
-- args: survey, from, to, survey, min confirmed, status, status, limit
SELECT id, created_at, score, reasons, comment, channel, respondent, confirmed, flags,
	acted, status, assignee, closed_at, closed_by, updated_at
FROM (
	SELECT toString(response_id) AS id, created_at, score, reasons, comment, channel, respondent, confirmed, flags
	FROM answers FINAL
	WHERE survey_id = ? AND created_at >= toDateTime(?) AND created_at < toDateTime(?)) AS a
ANY LEFT JOIN (
	SELECT toString(response_id) AS id, toUInt8(1) AS acted, status, assignee, closed_at, closed_by, updated_at
	FROM cases FINAL
	WHERE survey_id = ?) AS c
USING id
WHERE (acted = 1 OR (score <= 6 AND confirmed >= ?))
	AND (? = '' OR if(status = 'closed', 'closed', 'open') = ?)
ORDER BY created_at DESC, id
LIMIT ?;

-- name: select-case-summary
-- The cases opened in [from, to) counted by status, whatever the page, and
-- the time to close of each closed case in seconds (closed_at less the
-- first answer's time), sorted: Go takes the median. Closed cases are
-- what people did by hand, so the array stays small.
-- args: survey, from, to, survey, min confirmed
SELECT countIf(status != 'closed'), countIf(status = 'closed'),
	arraySort(groupArrayIf(greatest(toInt64(toUInt32(closed_at)) - toInt64(toUInt32(created_at)), toInt64(0)), status = 'closed'))
FROM (
	SELECT toString(response_id) AS id, created_at, score, confirmed
	FROM answers FINAL
	WHERE survey_id = ? AND created_at >= toDateTime(?) AND created_at < toDateTime(?)) AS a
ANY LEFT JOIN (
	SELECT toString(response_id) AS id, toUInt8(1) AS acted, status, closed_at
	FROM cases FINAL
	WHERE survey_id = ?) AS c
USING id
WHERE acted = 1 OR (score <= 6 AND confirmed >= ?);

-- name: select-case-notes
-- A case's notes, oldest first.
-- args: survey, response id, most
SELECT at, author, text
FROM case_notes
WHERE survey_id = ? AND response_id = toUUID(?)
ORDER BY at, version
LIMIT ?;

-- name: select-case-note-counts
-- How many notes each listed case has (ids as strings, at least one).
-- args: survey, response ids
SELECT toString(response_id), count()
FROM case_notes
WHERE survey_id = ? AND response_id IN (SELECT arrayJoin(arrayMap(x -> toUUID(x), ?)))
GROUP BY response_id;
