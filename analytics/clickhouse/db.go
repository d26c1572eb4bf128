// Package clickhouse is Heed's store: every analytics interface implemented
// on ClickHouse, with migrations (migrations/*.sql) and every statement in
// queries/*.sql, one file per resource.
//
// Every statement must run on ClickHouse 18.16 (Debian's package, used in
// development and CI) and on current ClickHouse (24.8-26.x). README.md in
// this folder says what each accepts and what that costs; in short: native
// protocol only, inserts through PrepareBatch with explicit column lists,
// values bound with ?, toMonday() for weeks, has(?, x) for a bound list, no
// DateTime64/Map/JSON/window functions.
package clickhouse

import (
	"context"
	"fmt"
	"regexp"
	"sync"
	"time"

	chgo "github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"heed/analytics"
)

// DefaultURL is the private ClickHouse that deploy/clickhouse.sh starts.
const DefaultURL = "clickhouse://127.0.0.1:19000/heed"

// DB is a connection pool to one ClickHouse database; it implements
// analytics.Store.
type DB struct {
	conn     driver.Conn
	database string
	days     days       // what RefreshDays has seen
	hints    staleHints // the days recent reports found stale (hints.go)
	// retention, when set, anonymises answers past their survey's
	// retention as they are inserted (SetRetention).
	retention RetentionCutoff
	// erasure, when set, keeps forgotten people's answers and dismissals
	// out as they are inserted (SetErasure).
	erasure *analytics.PersonHasher
}

var databaseName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,62}$`)

// ParseURL reads a clickhouse-go DSN and fills the timeouts Heed relies on:
// clickhouse-go's defaults wait 30 s to dial and 5 min to read, far too long
// for a readiness probe or a request.
func ParseURL(dsn string) (*chgo.Options, error) {
	opts, err := chgo.ParseDSN(dsn)
	if err != nil {
		return nil, fmt.Errorf("parse ClickHouse URL: %w", err)
	}
	if opts.Auth.Database == "" {
		opts.Auth.Database = "heed"
	}
	if !databaseName.MatchString(opts.Auth.Database) {
		return nil, fmt.Errorf("parse ClickHouse URL: invalid database name %q", opts.Auth.Database)
	}
	if opts.DialTimeout == 0 || opts.DialTimeout == 30*time.Second {
		opts.DialTimeout = 3 * time.Second
	}
	if opts.ReadTimeout == 0 || opts.ReadTimeout == 5*time.Minute {
		opts.ReadTimeout = 60 * time.Second
	}
	if opts.MaxOpenConns == 0 {
		opts.MaxOpenConns = 16
	}
	return opts, nil
}

// Open returns a pool for the database named in dsn. It does not dial:
// the server may start before ClickHouse does, and /readyz reports the state.
func Open(dsn string) (*DB, error) {
	opts, err := ParseURL(dsn)
	if err != nil {
		return nil, err
	}
	conn, err := chgo.Open(opts)
	if err != nil {
		return nil, fmt.Errorf("open ClickHouse: %w", err)
	}
	db := &DB{conn: conn, database: opts.Auth.Database}
	db.days.pacing = defaultPacing
	db.days.finalRows = countFinalRows
	return db, nil
}

// CreateDatabase creates the database named in dsn if it does not exist. It
// connects to the server's "default" database because the native protocol
// refuses a handshake that names a missing database.
func CreateDatabase(ctx context.Context, dsn string) error {
	opts, err := ParseURL(dsn)
	if err != nil {
		return err
	}
	name := opts.Auth.Database
	stmt, err := WithIdent(q.CreateDatabase, "database", name)
	if err != nil {
		return err
	}
	opts.Auth.Database = "default"
	conn, err := chgo.Open(opts)
	if err != nil {
		return fmt.Errorf("open ClickHouse: %w", err)
	}
	defer conn.Close()
	if err := conn.Exec(ctx, stmt); err != nil {
		return fmt.Errorf("create database %s: %w", name, err)
	}
	return nil
}

// Database is the database this pool uses.
func (db *DB) Database() string { return db.database }

// Ping checks that ClickHouse answers.
func (db *DB) Ping(ctx context.Context) error {
	if err := db.conn.Ping(ctx); err != nil {
		return fmt.Errorf("ping ClickHouse: %w", err)
	}
	return nil
}

// ServerVersion is the version string ClickHouse reports, e.g. "18.16.1".
func (db *DB) ServerVersion() (string, error) {
	v, err := db.conn.ServerVersion()
	if err != nil {
		return "", fmt.Errorf("ClickHouse server version: %w", err)
	}
	return fmt.Sprintf("%d.%d.%d", v.Version.Major, v.Version.Minor, v.Version.Patch), nil
}

// insert writes n rows in one batch: PrepareBatch with the explicit column
// list of stmt (18.16 needs it), one Append per row, Send. Every insert of
// Heed goes through here.
func (db *DB) insert(ctx context.Context, what, stmt string, n int, row func(i int) []any) error {
	if n == 0 {
		return nil
	}
	// clickhouse-go v2.50's batch Send starts a goroutine that closes the
	// TCP connection when ctx ends, stops it and releases the connection to
	// the pool; a ctx cancelled just after Send (a finished HTTP request, a
	// deferred cancel) can still fire it and close the connection under the
	// next query ("use of closed network connection", seen in make bench).
	// Inserts are short and bounded by the read timeout, so they run
	// detached from the caller's cancellation.
	ctx = context.WithoutCancel(ctx)
	batch, err := db.conn.PrepareBatch(ctx, stmt)
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	defer batch.Close()
	for i := 0; i < n; i++ {
		if err := batch.Append(row(i)...); err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
	}
	if err := batch.Send(); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return nil
}

// strings runs a query of one String column and returns its values.
func (db *DB) strings(ctx context.Context, stmt string, args ...any) ([]string, error) {
	rows, err := db.conn.Query(ctx, stmt, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// idSet runs a query of one String column and returns its values as a set.
func (db *DB) idSet(ctx context.Context, stmt string, args ...any) (map[string]bool, error) {
	rows, err := db.conn.Query(ctx, stmt, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]bool{}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out[id] = true
	}
	return out, rows.Err()
}

// Close closes the pool.
func (db *DB) Close() error { return db.conn.Close() }

// writeClock hands out the versions of rows whose last write must win
// (cases, accounts, keys, tokens): the write's time in nanoseconds,
// strictly increasing within this process, so that of two writes the later
// one wins, even within one nanosecond.
var writeClock struct {
	sync.Mutex
	last uint64
}

func writeVersion() uint64 {
	writeClock.Lock()
	defer writeClock.Unlock()
	v := uint64(time.Now().UnixNano())
	if v <= writeClock.last {
		v = writeClock.last + 1
	}
	writeClock.last = v
	return v
}
