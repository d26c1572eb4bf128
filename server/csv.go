package server

import (
	"encoding/csv"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"
)

// csvWriter writes a CSV download (RFC 4180, CRLF, spreadsheet-safe cells)
// straight to the response as rows come: memory stays constant however
// long the file.
type csvWriter struct {
	c       echo.Context
	w       *csv.Writer
	started bool
	rows    int
}

// startCSV sends the headers of a CSV download named name; with ?excel=1
// the body starts with a UTF-8 byte order mark, which Excel needs to read
// UTF-8.
func startCSV(c echo.Context, name string) (*csvWriter, error) {
	h := c.Response().Header()
	h.Set(echo.HeaderContentType, "text/csv; charset=utf-8")
	h.Set(echo.HeaderContentDisposition, fmt.Sprintf("attachment; filename=%q", name))
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	c.Response().WriteHeader(http.StatusOK)
	w := &csvWriter{c: c, w: csv.NewWriter(c.Response()), started: true}
	w.w.UseCRLF = true
	if isHead(c.Request()) {
		return w, nil
	}
	if c.QueryParam("excel") == "1" {
		if _, err := c.Response().Write([]byte("\ufeff")); err != nil {
			return nil, err
		}
	}
	return w, nil
}

// row writes one row, neutralising formula cells; every few thousand rows
// it flushes, so the download streams.
func (w *csvWriter) row(cells []string) error {
	if isHead(w.c.Request()) {
		return nil
	}
	if err := w.w.Write(csvSafe(cells)); err != nil {
		return err
	}
	if w.rows++; w.rows%4096 == 0 {
		w.w.Flush()
		if err := w.w.Error(); err != nil {
			return err
		}
		w.c.Response().Flush()
	}
	return nil
}

func (w *csvWriter) finish() error {
	w.w.Flush()
	return w.w.Error()
}

// fail ends a download that broke after its headers went out: the status
// can no longer change, so the error is returned for the log and the body
// stops where it is.
func (w *csvWriter) fail(err error) error {
	w.w.Flush()
	return err
}

var plainNumber = regexp.MustCompile(`^-?[0-9]+(\.[0-9]+)?$`)

func itoa(n int) string     { return strconv.Itoa(n) }
func ftoa(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

// csvSafe neutralises cells a spreadsheet would run as a formula (OWASP
// "CSV injection"): a text cell starting with = + - @ tab or CR gets a
// leading single quote. Numbers (a negative NPS) stay numbers.
func csvSafe(row []string) []string {
	for i, cell := range row {
		if cell == "" || !strings.ContainsRune("=+-@\t\r", rune(cell[0])) {
			continue
		}
		if plainNumber.MatchString(cell) {
			continue
		}
		row[i] = "'" + cell
	}
	return row
}
