//go:build compat

package analytics

// make compat: replay on current ClickHouse (chDB, in process) every
// statement the test suite sent to the private 18.16 server (see sqllog.go).

import (
	"bufio"
	"encoding/json"
	"io/fs"
	"os"
	"strings"
	"testing"
	"unsafe"

	"github.com/ebitengine/purego"
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
	lib, logPath := os.Getenv("HEED_CHDB_LIB"), os.Getenv(SQLLogEnv)
	if lib == "" || logPath == "" {
		t.Fatal("run through `make compat`: it sets HEED_CHDB_LIB and " + SQLLogEnv)
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
	paths, _ := fs.Glob(migrationFiles, "migrations/*.sql")
	for run := 0; run < 2; run++ {
		for _, p := range paths {
			body, _ := migrationFiles.ReadFile(p)
			for _, stmt := range splitStatements(string(body)) {
				if e, _ := c.exec(stmt); e != "" {
					t.Errorf("migration %s on current ClickHouse:\n%s\n-> %s", p, stmt, firstLine(e))
				}
			}
		}
	}
	f, err := os.Open(logPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	ran, skipped := 0, 0
	for sc.Scan() {
		var rec struct{ SQL string }
		if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
			t.Fatal(err)
		}
		q := strings.TrimSpace(rec.SQL)
		upper := strings.ToUpper(q)
		switch {
		case strings.HasPrefix(q, "--"):
			t.Errorf("statement the log could not bind: %s", q)
			continue
		case strings.HasPrefix(upper, "ALTER TABLE"), strings.HasPrefix(upper, "RENAME TABLE"),
			strings.Contains(upper, "DATABASE"):
			// Migrations ran above in their native form; renames and
			// database drops are test scaffolding.
			skipped++
			continue
		}
		ran++
		if e, _ := c.exec(q); e != "" {
			t.Errorf("fails on current ClickHouse:\n%s\n-> %s", q, firstLine(e))
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if ran < 40 {
		t.Fatalf("only %d statements replayed: was the SQL log recorded by the whole suite?", ran)
	}
	t.Logf("%d distinct statements recorded on 18.16 ran on current ClickHouse (%d scaffolding skipped)", ran, skipped)
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i > 0 {
		return s[:i]
	}
	return s
}
