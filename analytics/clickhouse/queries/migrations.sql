-- The migration runner's own statements (migrations/*.sql hold the schema).
-- {database} is a database name checked against databaseName in Go.

-- name: create-database
CREATE DATABASE IF NOT EXISTS `{database}`;

-- name: create-migrations-table
CREATE TABLE IF NOT EXISTS schema_migrations (
	version UInt32,
	dirty UInt8,
	seq UInt64,
	applied_at DateTime('UTC')
) ENGINE = MergeTree
ORDER BY (version, seq);

-- name: select-migration-state
-- Each recorded migration with its latest dirty flag.
SELECT version, argMax(dirty, seq) FROM schema_migrations GROUP BY version;

-- name: insert-migration
INSERT INTO schema_migrations (version, dirty, seq, applied_at);

-- name: select-column-exists
-- 18.16 cannot parse ALTER TABLE ... ADD COLUMN IF NOT EXISTS: the runner
-- looks the column up first (see execMigration).
-- args: table, column
SELECT count() FROM system.columns WHERE database = currentDatabase() AND table = ? AND name = ?;
