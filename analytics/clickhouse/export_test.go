package clickhouse

import (
	"context"
	"reflect"
	"sort"
	"strings"
)

// Internals the external tests (package clickhouse_test, which may import
// chtest) reach.
var (
	MarkMigration   = (*DB).markMigration
	SplitStatements = splitStatements
	MigrateTo       = (*DB).migrate
)

// SetCountFinalRows changes from how many rows a survey-day is counted
// with FINAL (0: every day so; 1<<63: none).
func (db *DB) SetCountFinalRows(n uint64) {
	db.days.mu.Lock()
	db.days.finalRows = n
	db.days.mu.Unlock()
}

// DaysStatements is how many statements RefreshDays has sent so far.
func (db *DB) DaysStatements() int64 { return db.days.statements.Load() }

// Migration is one migration file, split into statements.
type Migration struct {
	Name       string
	Statements []string
}

// MigrationFiles returns every migration as written, oldest first.
func MigrationFiles() []Migration {
	ms, err := loadMigrations()
	if err != nil {
		panic(err)
	}
	out := make([]Migration, len(ms))
	for i, m := range ms {
		out[i] = Migration{m.name, m.statements}
	}
	return out
}

// NamedStatement is one named statement of queries/*.sql.
type NamedStatement struct{ Name, SQL string }

// Statements returns every named statement: those that create first, then
// the inserts (so that a run of all of them reads rows), then the rest, by
// name within each.
func Statements() []NamedStatement {
	v := reflect.ValueOf(*q)
	var out []NamedStatement
	for i := 0; i < v.NumField(); i++ {
		out = append(out, NamedStatement{v.Type().Field(i).Tag.Get("query"), v.Field(i).String()})
	}
	rank := func(sql string) int {
		switch {
		case strings.HasPrefix(strings.ToUpper(sql), "CREATE"):
			return 0
		case IsInsert(sql):
			return 1
		}
		return 2
	}
	sort.Slice(out, func(i, j int) bool {
		if ri, rj := rank(out[i].SQL), rank(out[j].SQL); ri != rj {
			return ri < rj
		}
		return out[i].Name < out[j].Name
	})
	return out
}

// InsertRows inserts rows with a statement's column list, in one batch.
func (db *DB) InsertRows(ctx context.Context, sql string, rows [][]any) error {
	return db.insert(ctx, "test insert", sql, len(rows), func(i int) []any { return rows[i] })
}

// IsInsert tells a batch insert (a column list, no VALUES) from the rest.
func IsInsert(sql string) bool { return strings.HasPrefix(strings.ToUpper(sql), "INSERT") }

// Run runs one statement on db as the store would: a batch of one row for
// an insert, a query whose rows are read, or an exec.
func (db *DB) Run(ctx context.Context, sql string, args []any) error {
	switch {
	case IsInsert(sql):
		return db.insert(ctx, "sample insert", sql, 1, func(int) []any { return args })
	case strings.HasPrefix(strings.ToUpper(sql), "SELECT"):
		rows, err := db.conn.Query(ctx, sql, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
		}
		return rows.Err()
	}
	return db.conn.Exec(ctx, sql, args...)
}
