// Package chtest gives tests a fresh database on the real (private)
// ClickHouse, and raw access to look inside it. Only tests import it, so
// neither it nor package testing is linked into the heed binary.
package chtest

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	chgo "github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"heed/analytics/clickhouse"
)

// URLEnv names the variable with the ClickHouse server tests use; make
// test sets it to the private server.
const URLEnv = "HEED_TEST_CLICKHOUSE_URL"

// SuffixEnv names an optional variable ([a-z0-9]{1,8}) appended to every
// test database's name, so that two checkouts can run their tests on one
// server at once without wiping each other's databases.
const SuffixEnv = "HEED_TEST_DB_SUFFIX"

var suffix = regexp.MustCompile(`^[a-z0-9]{0,8}$`)

// URL returns the DSN of a test database called name (plus the suffix of
// SuffixEnv) on the test server.
func URL(name string) string {
	if s := os.Getenv(SuffixEnv); suffix.MatchString(s) {
		name += s
	} else {
		panic(fmt.Sprintf("%s=%q: use at most 8 of a-z and 0-9", SuffixEnv, s))
	}
	base := os.Getenv(URLEnv)
	if base == "" {
		base = "clickhouse://127.0.0.1:19000"
	}
	base = strings.TrimRight(base, "/")
	if i := strings.LastIndex(base, "/"); i > len("clickhouse://") {
		base = base[:i] // drop a database already named in the URL
	}
	return base + "/" + name
}

// DB is a migrated test database: the store itself, plus a raw connection
// for checks the store does not offer.
type DB struct {
	*clickhouse.DB
	raw driver.Conn
}

var testName = regexp.MustCompile(`^heed_test[A-Za-z0-9_]{0,61}$`)

// Open drops and recreates the database name (which must start with
// "heed_test", so a test can never wipe real data), migrates it and returns
// it. It fails the test when ClickHouse is unreachable: storage tests run
// against the real server (make test starts it). In -short mode (the fast
// tier) it skips the test instead.
func Open(t testing.TB, name string) *DB {
	t.Helper()
	db := Empty(t, name)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := db.Migrate(ctx, slog.New(slog.DiscardHandler)); err != nil {
		t.Fatal(err)
	}
	return db
}

// Empty is Open without the migrations: a new, empty test database, for
// tests that build an older layout first.
func Empty(t testing.TB, name string) *DB {
	t.Helper()
	if testing.Short() {
		t.Skip("needs ClickHouse: not in the fast tier (-short)")
	}
	if !testName.MatchString(name) {
		t.Fatalf("chtest.Open: refusing database %q: test databases must be named heed_test*", name)
	}
	url := URL(name)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := DropDatabase(ctx, url); err != nil {
		t.Fatalf("cannot reset test database %s (%v); is the private ClickHouse running? `make test` starts it, or `bash deploy/clickhouse.sh start`", name, err)
	}
	if err := clickhouse.CreateDatabase(ctx, url); err != nil {
		t.Fatal(err)
	}
	return Connect(t, url)
}

// Connect opens an existing database without touching its data.
func Connect(t testing.TB, url string) *DB {
	t.Helper()
	store, err := clickhouse.Open(url)
	if err != nil {
		t.Fatal(err)
	}
	// Tests count right after writing: every stale day at every run
	// (TestBusyDaysWait checks heed serve's pacing).
	store.SetCountPacing(0, 0)
	opts, err := clickhouse.ParseURL(url)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := chgo.Open(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close(); raw.Close() })
	return &DB{DB: store, raw: raw}
}

// DropDatabase drops the database named in url if it is a test database.
func DropDatabase(ctx context.Context, url string) error {
	opts, err := clickhouse.ParseURL(url)
	if err != nil {
		return err
	}
	name := opts.Auth.Database
	if !testName.MatchString(name) {
		return fmt.Errorf("refusing to drop %q: not a test database", name)
	}
	opts.Auth.Database = "default"
	conn, err := chgo.Open(opts)
	if err != nil {
		return err
	}
	defer conn.Close()
	// name matched testName: an identifier, safe between backquotes.
	return conn.Exec(ctx, strings.ReplaceAll("DROP DATABASE IF EXISTS `{database}`", "{database}", name))
}

// Exec runs a statement; tests use it to shape the database (rename a
// table away, OPTIMIZE ... FINAL).
func (db *DB) Exec(ctx context.Context, query string, args ...any) error {
	return db.raw.Exec(ctx, query, args...)
}

// Query runs a query for a check; the caller closes the rows.
func (db *DB) Query(ctx context.Context, query string, args ...any) (driver.Rows, error) {
	return db.raw.Query(ctx, query, args...)
}

// QueryRow runs a one-row query for a check.
func (db *DB) QueryRow(ctx context.Context, query string, args ...any) driver.Row {
	return db.raw.QueryRow(ctx, query, args...)
}

var tableName = regexp.MustCompile(`^[a-z_]+$`)

// CountRows returns SELECT count() FROM table WHERE survey_id = surveyID,
// counting raw rows (before any dedupe): what was stored.
func (db *DB) CountRows(ctx context.Context, table, surveyID string) (uint64, error) {
	if !tableName.MatchString(table) {
		return 0, fmt.Errorf("bad table name %q", table)
	}
	var n uint64
	err := db.raw.QueryRow(ctx, strings.ReplaceAll("SELECT count() FROM `{table}` WHERE survey_id = ?", "{table}", table), surveyID).Scan(&n)
	return n, err
}

// ResponseIDs returns every stored response_id of a survey with its number
// of raw rows; fault tests compare it with what the server acknowledged.
func (db *DB) ResponseIDs(ctx context.Context, surveyID string) (map[string]uint64, error) {
	rows, err := db.raw.Query(ctx, "SELECT toString(response_id), count() FROM answers WHERE survey_id = ? GROUP BY response_id", surveyID)
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

// WaitRows polls until table holds want raw rows for surveyID: a negative
// check ("nothing else changed") waits for the rows that would have
// changed it. The deadline only stops a hang; nothing here asserts speed.
func (db *DB) WaitRows(t testing.TB, table, surveyID string, want uint64) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		n, err := db.CountRows(context.Background(), table, surveyID)
		if err != nil {
			t.Fatal(err)
		}
		if n == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s rows of survey %s = %d, want %d", table, surveyID, n, want)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
