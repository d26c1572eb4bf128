package clickhouse

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"log/slog"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// migration is one numbered file of statements.
type migration struct {
	version    uint32
	name       string
	statements []string
}

func loadMigrations() ([]migration, error) {
	paths, err := fs.Glob(migrationFiles, "migrations/*.sql")
	if err != nil {
		return nil, err
	}
	var out []migration
	for _, p := range paths {
		name := strings.TrimPrefix(p, "migrations/")
		num, _, ok := strings.Cut(name, "_")
		v, err := strconv.ParseUint(num, 10, 32)
		if !ok || err != nil || v == 0 {
			return nil, fmt.Errorf("migration %s: name must start with a number and '_'", name)
		}
		body, err := migrationFiles.ReadFile(p)
		if err != nil {
			return nil, err
		}
		out = append(out, migration{version: uint32(v), name: name, statements: splitStatements(string(body))})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].version < out[j].version })
	for i := 1; i < len(out); i++ {
		if out[i].version == out[i-1].version {
			return nil, fmt.Errorf("migrations %s and %s share a number", out[i-1].name, out[i].name)
		}
	}
	return out, nil
}

// splitStatements splits a file on semicolons that end a line and drops
// comment-only lines. Migrations hold DDL only, so no string literal ends a
// line with a semicolon.
func splitStatements(body string) []string {
	var out []string
	var cur strings.Builder
	for _, line := range strings.Split(body, "\n") {
		trimmed := strings.TrimSpace(line)
		if trimmed == "" || strings.HasPrefix(trimmed, "--") {
			continue
		}
		cur.WriteString(line)
		cur.WriteByte('\n')
		if strings.HasSuffix(trimmed, ";") {
			stmt := strings.TrimSuffix(strings.TrimSpace(cur.String()), ";")
			out = append(out, stmt)
			cur.Reset()
		}
	}
	if s := strings.TrimSpace(cur.String()); s != "" {
		out = append(out, s)
	}
	return out
}

// Migrate applies every embedded migration not yet recorded as clean in
// schema_migrations. A migration is marked dirty before it runs and clean
// after; every statement is written to be re-runnable (IF NOT EXISTS), so a
// dirty migration left by a crash is simply run again.
func (db *DB) Migrate(ctx context.Context, log *slog.Logger) error {
	return db.migrate(ctx, log, ^uint32(0))
}

// migrate applies the migrations up to version upTo (tests start from an
// older layout so).
func (db *DB) migrate(ctx context.Context, log *slog.Logger, upTo uint32) error {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	migrations, err := loadMigrations()
	if err != nil {
		return err
	}
	if err := db.conn.Exec(ctx, q.CreateMigrationsTable); err != nil {
		return fmt.Errorf("create schema_migrations: %w", err)
	}
	state, err := db.migrationState(ctx)
	if err != nil {
		return err
	}
	for _, m := range migrations {
		if m.version > upTo {
			break
		}
		dirty, seen := state[m.version]
		if seen && !dirty {
			continue
		}
		if dirty {
			log.Warn("re-running migration left dirty", "migration", m.name)
		}
		if err := db.markMigration(ctx, m.version, true); err != nil {
			return err
		}
		for i, stmt := range m.statements {
			if err := db.execMigration(ctx, stmt); err != nil {
				return fmt.Errorf("migration %s statement %d: %w", m.name, i+1, err)
			}
		}
		if err := db.markMigration(ctx, m.version, false); err != nil {
			return err
		}
		log.Info("applied migration", "migration", m.name)
	}
	return nil
}

// addColumnIfNotExists matches ALTER TABLE t ADD COLUMN IF NOT EXISTS c ...;
// group 3 is the IF NOT EXISTS to drop.
var addColumnIfNotExists = regexp.MustCompile(`(?is)^\s*ALTER\s+TABLE\s+([A-Za-z_][A-Za-z0-9_]*)\s+ADD\s+COLUMN\s+(IF\s+NOT\s+EXISTS\s+)([A-Za-z_][A-Za-z0-9_]*)\s`)

// execMigration runs one statement. ClickHouse 18.16 cannot parse ALTER
// TABLE ... ADD COLUMN IF NOT EXISTS, so that form is done here: look the
// column up in system.columns and, only when it is missing, run the
// statement as written without its IF NOT EXISTS. Migrations keep the
// standard, re-runnable spelling.
func (db *DB) execMigration(ctx context.Context, stmt string) error {
	m := addColumnIfNotExists.FindStringSubmatchIndex(stmt)
	if m == nil {
		return db.conn.Exec(ctx, stmt)
	}
	table, column := stmt[m[2]:m[3]], stmt[m[6]:m[7]]
	var n uint64
	if err := db.conn.QueryRow(ctx, q.SelectColumnExists, table, column).Scan(&n); err != nil {
		return err
	}
	if n > 0 {
		return nil
	}
	return db.conn.Exec(ctx, stmt[:m[4]]+stmt[m[5]:])
}

// migrationState maps each recorded version to its latest dirty flag.
func (db *DB) migrationState(ctx context.Context) (map[uint32]bool, error) {
	rows, err := db.conn.Query(ctx, q.SelectMigrationState)
	if err != nil {
		return nil, fmt.Errorf("read schema_migrations: %w", err)
	}
	defer rows.Close()
	state := map[uint32]bool{}
	for rows.Next() {
		var v uint32
		var dirty uint8
		if err := rows.Scan(&v, &dirty); err != nil {
			return nil, fmt.Errorf("read schema_migrations: %w", err)
		}
		state[v] = dirty == 1
	}
	return state, rows.Err()
}

func (db *DB) markMigration(ctx context.Context, version uint32, dirty bool) error {
	var d uint8
	if dirty {
		d = 1
	}
	now := time.Now().UTC()
	return db.insert(ctx, fmt.Sprintf("record migration %d", version), q.InsertMigration, 1,
		func(int) []any { return []any{version, d, uint64(now.UnixNano()), now} })
}

// MigrationsPending reports how many embedded migrations are not applied
// cleanly; /readyz uses it.
func (db *DB) MigrationsPending(ctx context.Context) (int, error) {
	migrations, err := loadMigrations()
	if err != nil {
		return 0, err
	}
	state, err := db.migrationState(ctx)
	if err != nil {
		return 0, err
	}
	pending := 0
	for _, m := range migrations {
		if dirty, ok := state[m.version]; !ok || dirty {
			pending++
		}
	}
	return pending, nil
}

// MigrationStatements returns every statement of every migration as
// written, oldest first: make bench-reports builds the same schema in chDB
// with them.
func MigrationStatements() ([]string, error) {
	ms, err := loadMigrations()
	if err != nil {
		return nil, err
	}
	var out []string
	for _, m := range ms {
		out = append(out, m.statements...)
	}
	return out, nil
}
