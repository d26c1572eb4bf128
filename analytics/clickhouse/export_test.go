package clickhouse

// Internals the external tests (package clickhouse_test, which may import
// chtest) reach.
var (
	MarkMigration   = (*DB).markMigration
	SplitStatements = splitStatements
)
