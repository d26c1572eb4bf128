-- Surveys: each change is a new row with a higher version and the whole
-- survey as JSON in body (see migrations/0001_surveys.sql).

-- name: select-surveys
-- The latest version of every survey; deleted ones are skipped in Go.
SELECT id, argMax(body, version) AS last_body, argMax(deleted, version) AS last_deleted
FROM surveys
GROUP BY id;

-- name: select-surveys-mark
-- What changes whenever a survey is written or deleted (a merge changes it
-- too: then a reload finds nothing new), so an instance reloads its cache
-- only when another one changed a survey. Reads two columns of a small table.
SELECT toString(count()) || ':' || toString(max(version)) FROM surveys;

-- name: insert-survey
INSERT INTO surveys (id, version, deleted, body, updated_at);

-- name: insert-survey-version
INSERT INTO survey_versions (survey_id, version, changed_at, action, changes);

-- name: select-survey-versions
-- A survey's changes, newest first (one row per version, merged or not).
-- args: survey id
SELECT version, any(changed_at), any(action), any(changes)
FROM survey_versions
WHERE survey_id = ?
GROUP BY version
ORDER BY version DESC;

-- name: select-survey-answer-counts
-- Responses per survey and when the latest was first given, for the survey
-- list: response_starts has a row per response (more until merged), narrow.
SELECT survey_id, uniqExact(response_id), max(created_at)
FROM response_starts
GROUP BY survey_id;

-- name: delete-survey-rows
-- A mutation (async, also on 18.16) deleting a deleted survey's rows of one
-- table; {table} comes from a Go list (purgeTables).
-- args: survey id
ALTER TABLE {table} DELETE WHERE survey_id = ?;

-- name: delete-survey-sends
-- Every version of a deleted survey's sends: a send names its survey in
-- its JSON body only. visitParamExtractString (18.16 has no JSONExtract)
-- reads the first "survey_id" key; a send's body starts with its id (a
-- send id pattern: letters, digits, _ and -), then survey_id.
-- args: survey id
ALTER TABLE sends DELETE WHERE visitParamExtractString(body, 'survey_id') = ?;

-- name: delete-survey-bodies
-- Drops a deleted survey's bodies, keeping its tombstone.
-- args: survey id
ALTER TABLE surveys DELETE WHERE id = ? AND deleted = 0;

-- name: select-pending-mutations
-- Mutations of these tables not yet done in this database.
-- args: table names
SELECT count() FROM system.mutations
WHERE database = currentDatabase() AND is_done = 0 AND has(?, table);
