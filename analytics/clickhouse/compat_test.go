//go:build compat

package clickhouse_test

// make compat: every named statement (with its samples, samples_test.go)
// and every migration, run on current ClickHouse: chDB, loaded in process
// from the npm registry's @chdb/lib-linux-x64-gnu. TestEveryStatementRuns
// runs the same samples on the private 18.16.

import (
	"fmt"
	"os"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"
	"unsafe"

	"github.com/ebitengine/purego"
	"github.com/google/uuid"

	"heed/analytics/clickhouse"
)

// chdb is the part of chDB's C API the replay needs.
type chdb struct {
	connect       func(argc int32, argv **byte) *uintptr
	closeConn     func(conn uintptr)
	query         func(conn uintptr, query, format string) uintptr
	destroyResult func(res uintptr)
	resultError   func(res uintptr) *byte
	resultBuffer  func(res uintptr) *byte
	resultLength  func(res uintptr) uint64
	conn          uintptr
}

func openChDB(t *testing.T, lib, dataDir string) *chdb {
	t.Helper()
	h, err := purego.Dlopen(lib, purego.RTLD_NOW|purego.RTLD_GLOBAL)
	if err != nil {
		t.Fatalf("load %s: %v", lib, err)
	}
	c := &chdb{}
	purego.RegisterLibFunc(&c.connect, h, "chdb_connect")
	purego.RegisterLibFunc(&c.closeConn, h, "chdb_close_conn")
	purego.RegisterLibFunc(&c.query, h, "chdb_query")
	purego.RegisterLibFunc(&c.destroyResult, h, "chdb_destroy_query_result")
	purego.RegisterLibFunc(&c.resultError, h, "chdb_result_error")
	purego.RegisterLibFunc(&c.resultBuffer, h, "chdb_result_buffer")
	purego.RegisterLibFunc(&c.resultLength, h, "chdb_result_length")
	args := []string{"clickhouse", "--path=" + dataDir}
	argv := make([]*byte, len(args))
	for i, a := range args {
		b := append([]byte(a), 0)
		argv[i] = &b[0]
	}
	p := c.connect(int32(len(argv)), &argv[0])
	if p == nil {
		t.Fatal("chdb_connect failed")
	}
	c.conn = *p // chdb_connect returns chdb_connection*
	return c
}

func cString(p *byte) string {
	if p == nil {
		return ""
	}
	var b []byte
	for q := unsafe.Pointer(p); *(*byte)(q) != 0; q = unsafe.Add(q, 1) {
		b = append(b, *(*byte)(q))
	}
	return string(b)
}

// exec runs a statement and returns its error text ("" when it worked) and
// its output.
func (c *chdb) exec(q string) (errText, out string) {
	res := c.query(c.conn, q, "TSV")
	if res == 0 {
		return "no result", ""
	}
	defer c.destroyResult(res)
	if e := cString(c.resultError(res)); e != "" {
		return e, ""
	}
	if n := c.resultLength(res); n > 0 {
		out = string(unsafe.Slice(c.resultBuffer(res), n))
	}
	return "", out
}

func TestCompatCurrentClickHouse(t *testing.T) {
	lib := os.Getenv("HEED_CHDB_LIB")
	if lib == "" {
		t.Fatal("run through `make compat`: it sets HEED_CHDB_LIB")
	}
	c := openChDB(t, lib, t.TempDir())
	if e, out := c.exec("SELECT version()"); e != "" {
		t.Fatal(e)
	} else {
		t.Logf("current ClickHouse: chDB %s", strings.TrimSpace(out))
	}
	for _, q := range []string{"CREATE DATABASE IF NOT EXISTS heed_compat", "USE heed_compat"} {
		if e, _ := c.exec(q); e != "" {
			t.Fatalf("%s: %s", q, e)
		}
	}
	// The migrations as written (current ClickHouse knows ADD COLUMN IF
	// NOT EXISTS), twice: they must be re-runnable.
	for run := 0; run < 2; run++ {
		for _, m := range clickhouse.MigrationFiles() {
			for _, stmt := range m.Statements {
				if e, _ := c.exec(stmt); e != "" {
					t.Errorf("migration %s on current ClickHouse:\n%s\n-> %s", m.Name, stmt, firstLine(e))
				}
			}
		}
	}
	ran := 0
	for _, st := range clickhouse.Statements() {
		ss, ok := samples[st.Name]
		if !ok {
			t.Errorf("statement %q has no sample in samples_test.go", st.Name)
			continue
		}
		for i, s := range ss {
			sql, err := bindLiterals(s.bound(t, st.SQL), s.args, clickhouse.IsInsert(st.SQL))
			if err != nil {
				t.Fatalf("%s: %v", st.Name, err)
			}
			if e, _ := c.exec(sql); e != "" {
				t.Errorf("%s (sample %d) fails on current ClickHouse:\n%s\n-> %s", st.Name, i+1, sql, firstLine(e))
			}
			ran++
		}
	}
	t.Logf("%d named statements (%d samples) and every migration ran on current ClickHouse", len(clickhouse.Statements()), ran)
}

// bindLiterals replaces each ? with its argument as a SQL literal (chDB's
// C API takes SQL text); an insert gets its row as VALUES. Heed's
// statements hold no literal question mark.
func bindLiterals(query string, args []any, insert bool) (string, error) {
	if insert {
		marks := strings.TrimSuffix(strings.Repeat("?, ", len(args)), ", ")
		query += " VALUES (" + marks + ")"
	}
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
	if i != len(args) {
		return "", fmt.Errorf("%d arguments for %d placeholders", len(args), i)
	}
	return b.String(), nil
}

func literal(v any) (string, error) {
	switch x := v.(type) {
	case string:
		return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`, "\x00", `\0`).Replace(x) + "'", nil
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

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i > 0 {
		return s[:i]
	}
	return s
}
