package analytics

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
)

// TestURLEnv names the variable with the ClickHouse server tests use; make
// test sets it to the private server.
const TestURLEnv = "HEED_TEST_CLICKHOUSE_URL"

// TestURL returns the DSN of a test database called name on the test server.
func TestURL(name string) string {
	base := os.Getenv(TestURLEnv)
	if base == "" {
		base = "clickhouse://127.0.0.1:19000"
	}
	base = strings.TrimRight(base, "/")
	if i := strings.LastIndex(base, "/"); i > len("clickhouse://") {
		base = base[:i] // drop a database already named in the URL
	}
	return base + "/" + name
}

// OpenTestDB drops and recreates the database name (which must start with
// "heed_test", so a test can never wipe real data), migrates it and returns a
// pool on it. It fails the test when ClickHouse is unreachable: tests run
// against the real server (make test starts it).
func OpenTestDB(t testing.TB, name string) *DB {
	t.Helper()
	if !strings.HasPrefix(name, "heed_test") || !databaseName.MatchString(name) {
		t.Fatalf("OpenTestDB: refusing database %q: test databases must be named heed_test*", name)
	}
	url := TestURL(name)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := DropTestDatabase(ctx, url); err != nil {
		t.Fatalf("cannot reset test database %s (%v); is the private ClickHouse running? `make test` starts it, or `bash deploy/clickhouse.sh start`", name, err)
	}
	if err := CreateDatabase(ctx, url); err != nil {
		t.Fatal(err)
	}
	db, err := Open(url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.Migrate(ctx, slog.New(slog.DiscardHandler)); err != nil {
		t.Fatal(err)
	}
	return db
}

// DropTestDatabase drops the database named in url if it is a test database.
func DropTestDatabase(ctx context.Context, url string) error {
	opts, err := parseURL(url)
	if err != nil {
		return err
	}
	name := opts.Auth.Database
	if !strings.HasPrefix(name, "heed_test") {
		return fmt.Errorf("refusing to drop %q: not a test database", name)
	}
	opts.Auth.Database = "default"
	conn, err := clickhouse.Open(opts)
	if err != nil {
		return err
	}
	defer conn.Close()
	return conn.Exec(ctx, "DROP DATABASE IF EXISTS `"+name+"`")
}

// Exec runs a statement; tests use it to inspect or shape the database.
func (db *DB) Exec(ctx context.Context, query string, args ...any) error {
	return db.conn.Exec(ctx, query, args...)
}

// CountRows returns SELECT count() FROM table WHERE survey_id = surveyID,
// counting raw rows (before any dedupe); tests check what was stored.
func (db *DB) CountRows(ctx context.Context, table, surveyID string) (uint64, error) {
	if !databaseName.MatchString(table) {
		return 0, fmt.Errorf("bad table name %q", table)
	}
	var n uint64
	err := db.conn.QueryRow(ctx, "SELECT count() FROM `"+table+"` WHERE survey_id = ?", surveyID).Scan(&n)
	return n, err
}

// ResponseIDs returns every stored response_id of a survey with its number
// of raw rows; fault tests compare it with what the server acknowledged.
func (db *DB) ResponseIDs(ctx context.Context, surveyID string) (map[string]uint64, error) {
	rows, err := db.conn.Query(ctx, "SELECT toString(response_id), count() FROM responses WHERE survey_id = ? GROUP BY response_id", surveyID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]uint64{}
	for rows.Next() {
		var id string
		var n uint64
		if err := rows.Scan(&id, &n); err != nil {
			return nil, err
		}
		out[id] = n
	}
	return out, rows.Err()
}
