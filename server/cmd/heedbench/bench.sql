-- Statements of make bench itself (not of Heed), loaded like Heed's own
-- (clickhouse.LoadStatements). {database} is checked as an identifier.

-- name: drop-database
DROP DATABASE IF EXISTS `{database}`;

-- name: count-raw-rows
-- Raw rows of a survey, before any dedupe: what was stored.
SELECT count() FROM answers WHERE survey_id = ?;
