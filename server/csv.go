package server

import (
	"bufio"
	"fmt"
	"log/slog"
	"net/http"
	"regexp"
	"strconv"

	"github.com/labstack/echo/v4"
)

// csvWriter writes a CSV download (RFC 4180: CRLF, quotes where needed;
// spreadsheet-safe cells) straight to the response as rows come, so memory
// stays constant however long the file. It encodes rows itself, in one pass
// over each cell: responses.csv writes millions.
type csvWriter struct {
	c    echo.Context
	log  *slog.Logger
	w    *bufio.Writer
	line []byte
	rows int
	head bool // HEAD: headers only
}

// startCSV sends the headers of a CSV download named name; with ?excel=1
// the body starts with a UTF-8 byte order mark, which Excel needs to read
// UTF-8.
func startCSV(c echo.Context, name string, log *slog.Logger) (*csvWriter, error) {
	h := c.Response().Header()
	h.Set(echo.HeaderContentType, "text/csv; charset=utf-8")
	h.Set(echo.HeaderContentDisposition, fmt.Sprintf("attachment; filename=%q", name))
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	c.Response().WriteHeader(http.StatusOK)
	w := &csvWriter{c: c, log: log, w: bufio.NewWriterSize(c.Response(), 64<<10), head: isHead(c.Request())}
	if !w.head && c.QueryParam("excel") == "1" {
		w.w.WriteString("\ufeff")
	}
	return w, nil
}

// row writes one row; every few thousand rows it flushes, so the download
// streams.
func (w *csvWriter) row(cells []string) error {
	if w.head {
		return nil
	}
	w.line = w.line[:0]
	for i, cell := range cells {
		if i > 0 {
			w.line = append(w.line, ',')
		}
		w.line = appendCSVCell(w.line, cell)
	}
	w.line = append(w.line, '\r', '\n')
	if _, err := w.w.Write(w.line); err != nil {
		return err
	}
	if w.rows++; w.rows%4096 == 0 {
		if err := w.w.Flush(); err != nil {
			return err
		}
		w.c.Response().Flush()
	}
	return nil
}

func (w *csvWriter) finish() error { return w.w.Flush() }

// fail ends a download that broke after its headers went out. The status
// can no longer change, so the error is logged and the connection cut
// (http.ErrAbortHandler, which Echo's Recover passes on): the client sees a
// broken transfer, never a short file that looks whole.
func (w *csvWriter) fail(err error) error {
	w.log.Error("download broken off", "path", w.c.Request().URL.Path, "rows", w.rows, "err", err)
	panic(http.ErrAbortHandler)
}

// csvSpecial marks the bytes that make a cell need quotes, and formulaStart
// those a spreadsheet would read a formula from (OWASP "CSV injection").
var csvSpecial, formulaStart [256]bool

func init() {
	for _, b := range []byte(",\"\r\n") {
		csvSpecial[b] = true
	}
	for _, b := range []byte("=+-@\t\r") {
		formulaStart[b] = true
	}
}

// appendCSVCell appends one cell: a text cell starting with = + - @ tab or
// CR gets a leading single quote (numbers such as a negative NPS stay
// numbers); a cell with a comma, a quote, a line break or a leading space
// is quoted, its quotes doubled.
func appendCSVCell(dst []byte, cell string) []byte {
	if cell == "" {
		return dst
	}
	prefix := formulaCell(cell)
	quote := cell[0] == ' ' || cell[0] == '\t'
	for i := 0; i < len(cell) && !quote; i++ {
		quote = csvSpecial[cell[i]]
	}
	if !quote {
		if prefix {
			dst = append(dst, '\'')
		}
		return append(dst, cell...)
	}
	dst = append(dst, '"')
	if prefix {
		dst = append(dst, '\'')
	}
	for i := 0; i < len(cell); i++ {
		if cell[i] == '"' {
			dst = append(dst, '"')
		}
		dst = append(dst, cell[i])
	}
	return append(dst, '"')
}

var plainNumber = regexp.MustCompile(`^-?[0-9]+(\.[0-9]+)?$`)

func itoa(n int) string     { return strconv.Itoa(n) }
func ftoa(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

// formulaCell reports whether a spreadsheet would run cell as a formula:
// a text cell starting with = + - @ tab or CR (a number such as a negative
// NPS is not one).
func formulaCell(cell string) bool {
	return cell != "" && formulaStart[cell[0]] && !plainNumber.MatchString(cell)
}
