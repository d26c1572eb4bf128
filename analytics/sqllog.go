package analytics

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/google/uuid"
)

// SQL log: with HEED_SQL_LOG=FILE, every distinct statement Heed sends is
// appended to FILE (JSON lines) with its arguments bound as literals, and
// for batch inserts one row as VALUES. `make compat` records the statements
// of the whole test suite on the private ClickHouse (18.16), then replays
// them on current ClickHouse (chDB 26), so a statement that only breaks on
// one generation is caught. Off unless the variable is set.

// SQLLogEnv names the variable that turns the SQL log on.
const SQLLogEnv = "HEED_SQL_LOG"

type sqlLog struct {
	mu   sync.Mutex
	path string
	seen map[string]bool
}

var sqlLogs sync.Map // path -> *sqlLog, shared by every pool of the process

func openSQLLog() *sqlLog {
	path := os.Getenv(SQLLogEnv)
	if path == "" {
		return nil
	}
	l, _ := sqlLogs.LoadOrStore(path, &sqlLog{path: path, seen: map[string]bool{}})
	return l.(*sqlLog)
}

func (l *sqlLog) add(query string, args []any) {
	key := strings.Join(strings.Fields(query), " ")
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.seen[key] {
		return
	}
	l.seen[key] = true
	bound, err := bindLiterals(query, args)
	if err != nil {
		bound = "-- unbindable: " + err.Error()
	}
	line, _ := json.Marshal(map[string]string{"sql": bound})
	f, err := os.OpenFile(l.path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return
	}
	f.Write(append(line, '\n'))
	f.Close()
}

// bindLiterals replaces each ? with its argument as a SQL literal. Heed's
// statements never contain a literal question mark.
func bindLiterals(query string, args []any) (string, error) {
	var b strings.Builder
	i := 0
	for _, r := range query {
		if r != '?' {
			b.WriteRune(r)
			continue
		}
		if i >= len(args) {
			return "", fmt.Errorf("more placeholders than arguments")
		}
		lit, err := literal(args[i])
		if err != nil {
			return "", err
		}
		b.WriteString(lit)
		i++
	}
	return b.String(), nil
}

func literal(v any) (string, error) {
	switch x := v.(type) {
	case string:
		return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(x) + "'", nil
	case uuid.UUID:
		return "toUUID('" + x.String() + "')", nil
	case time.Time:
		return "toDateTime('" + x.UTC().Format(time.DateTime) + "', 'UTC')", nil
	case bool:
		if x {
			return "1", nil
		}
		return "0", nil
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return strconv.FormatInt(rv.Int(), 10), nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return strconv.FormatUint(rv.Uint(), 10), nil
	case reflect.Float32, reflect.Float64:
		return strconv.FormatFloat(rv.Float(), 'g', -1, 64), nil
	case reflect.Slice:
		parts := make([]string, rv.Len())
		for i := range parts {
			p, err := literal(rv.Index(i).Interface())
			if err != nil {
				return "", err
			}
			parts[i] = p
		}
		return "[" + strings.Join(parts, ", ") + "]", nil
	}
	return "", fmt.Errorf("no literal for %T", v)
}

// loggingConn records statements before passing them on.
type loggingConn struct {
	driver.Conn
	log *sqlLog
}

func (c loggingConn) Exec(ctx context.Context, query string, args ...any) error {
	c.log.add(query, args)
	return c.Conn.Exec(ctx, query, args...)
}

func (c loggingConn) Query(ctx context.Context, query string, args ...any) (driver.Rows, error) {
	c.log.add(query, args)
	return c.Conn.Query(ctx, query, args...)
}

func (c loggingConn) QueryRow(ctx context.Context, query string, args ...any) driver.Row {
	c.log.add(query, args)
	return c.Conn.QueryRow(ctx, query, args...)
}

func (c loggingConn) PrepareBatch(ctx context.Context, query string, opts ...driver.PrepareBatchOption) (driver.Batch, error) {
	b, err := c.Conn.PrepareBatch(ctx, query, opts...)
	if err != nil {
		return nil, err
	}
	return &loggingBatch{Batch: b, query: query, log: c.log}, nil
}

type loggingBatch struct {
	driver.Batch
	query  string
	log    *sqlLog
	logged bool
}

func (b *loggingBatch) Append(v ...any) error {
	if !b.logged {
		b.logged = true
		marks := strings.TrimSuffix(strings.Repeat("?, ", len(v)), ", ")
		b.log.add(b.query+" VALUES ("+marks+")", v)
	}
	return b.Batch.Append(v...)
}
