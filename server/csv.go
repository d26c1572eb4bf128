package server

import (
	"bufio"
	"fmt"
	"log/slog"
	"net/http"
	"regexp"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"heed/analytics"
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
	w.line = appendCSVRow(w.line[:0], cells)
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

// appendCSVRow appends one row and its CRLF.
func appendCSVRow(dst []byte, cells []string) []byte {
	for i, cell := range cells {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendCSVCell(dst, cell)
	}
	return append(dst, '\r', '\n')
}

// reportCSVName is report.csv's file name for q.
func reportCSVName(sv *analytics.Survey, q analytics.ReportQuery) string {
	return fmt.Sprintf("heed-%s-%s-%s-%s.csv", sv.ID, q.Interval, q.From.Format(time.DateOnly), q.To.Format(time.DateOnly))
}

// writeReportCSV gives row every row of report.csv of rep: the header, one
// row per period, then (grouped) each segment's. GET report.csv streams
// them; ReportCSV collects them for the digest.
func writeReportCSV(sv *analytics.Survey, q analytics.ReportQuery, rep *analytics.Report, row func([]string) error) error {
	if err := row(reportHeader(sv, q)); err != nil {
		return err
	}
	write := func(segment string, periods []analytics.Period) error {
		for _, p := range periods {
			if err := row(reportRow(sv, q, segment, p)); err != nil {
				return err
			}
		}
		return nil
	}
	if err := write("", rep.Periods); err != nil {
		return err
	}
	for _, sg := range rep.Segments {
		if err := write(segmentName(sg.Segment), sg.Periods); err != nil {
			return err
		}
	}
	return nil
}

// ReportCSV returns report.csv of rep, byte for byte what GET
// /api/v1/surveys/:id/report.csv sends for the same query (without
// ?excel=1), and its file name: the digest attaches it
// (emails.ReportCSVFunc).
func ReportCSV(sv *analytics.Survey, q analytics.ReportQuery, rep *analytics.Report) (name string, body []byte) {
	writeReportCSV(sv, q, rep, func(cells []string) error {
		body = appendCSVRow(body, cells)
		return nil
	})
	return reportCSVName(sv, q), body
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
