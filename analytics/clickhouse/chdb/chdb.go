// Package chdb runs SQL on current ClickHouse in this process: chDB's
// libchdb.so (npm @chdb/lib-linux-x64-gnu), loaded with purego, no cgo.
// make compat and make bench-reports use it to run Heed's statements on the
// engine users deploy; the heed binary never links it.
package chdb

import (
	"errors"
	"fmt"
	"time"
	"unsafe"

	"github.com/ebitengine/purego"
)

// Conn is an open chDB session with its own data folder.
type Conn struct {
	connect       func(argc int32, argv **byte) *uintptr
	closeConn     func(conn uintptr)
	query         func(conn uintptr, query, format string) uintptr
	destroyResult func(res uintptr)
	resultError   func(res uintptr) *byte
	resultBuffer  func(res uintptr) *byte
	resultLength  func(res uintptr) uint64
	resultElapsed func(res uintptr) float64
	conn          uintptr
	closed        bool
}

// Open loads lib and opens a session storing its data in dir. chDB allows
// one session per process.
func Open(lib, dir string) (*Conn, error) {
	h, err := purego.Dlopen(lib, purego.RTLD_NOW|purego.RTLD_GLOBAL)
	if err != nil {
		return nil, fmt.Errorf("load %s: %w", lib, err)
	}
	c := &Conn{}
	purego.RegisterLibFunc(&c.connect, h, "chdb_connect")
	purego.RegisterLibFunc(&c.closeConn, h, "chdb_close_conn")
	purego.RegisterLibFunc(&c.query, h, "chdb_query")
	purego.RegisterLibFunc(&c.destroyResult, h, "chdb_destroy_query_result")
	purego.RegisterLibFunc(&c.resultError, h, "chdb_result_error")
	purego.RegisterLibFunc(&c.resultBuffer, h, "chdb_result_buffer")
	purego.RegisterLibFunc(&c.resultLength, h, "chdb_result_length")
	purego.RegisterLibFunc(&c.resultElapsed, h, "chdb_result_elapsed")
	args := []string{"clickhouse", "--path=" + dir}
	argv := make([]*byte, len(args))
	for i, a := range args {
		b := append([]byte(a), 0)
		argv[i] = &b[0]
	}
	p := c.connect(int32(len(argv)), &argv[0])
	if p == nil {
		return nil, errors.New("chdb_connect failed")
	}
	c.conn = *p // chdb_connect returns chdb_connection*
	return c, nil
}

// Result is what a statement returned.
type Result struct {
	Output  []byte
	Elapsed time.Duration // as chDB measured it
}

// Query runs one statement and returns its output in format (TSV,
// CSVWithNames, Null...).
func (c *Conn) Query(sql, format string) (Result, error) {
	res := c.query(c.conn, sql, format)
	if res == 0 {
		return Result{}, errors.New("chdb: no result")
	}
	defer c.destroyResult(res)
	if e := cString(c.resultError(res)); e != "" {
		return Result{}, errors.New(e)
	}
	out := Result{Elapsed: time.Duration(c.resultElapsed(res) * float64(time.Second))}
	if n := c.resultLength(res); n > 0 {
		out.Output = append([]byte(nil), unsafe.Slice(c.resultBuffer(res), n)...)
	}
	return out, nil
}

// Close ends the session.
func (c *Conn) Close() {
	if !c.closed {
		c.closed = true
		c.closeConn(c.conn)
	}
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
