-- Surveys: each change is a new row with a higher version and the whole
-- survey as JSON in body (see migrations/0001_surveys.sql).

-- name: select-surveys
-- The latest version of every survey; deleted ones are skipped in Go.
SELECT id, argMax(body, version) AS last_body, argMax(deleted, version) AS last_deleted
FROM surveys
GROUP BY id;

-- name: insert-survey
INSERT INTO surveys (id, version, deleted, body, updated_at);
