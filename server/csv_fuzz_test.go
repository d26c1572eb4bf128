package server

import (
	"bytes"
	"encoding/csv"
	"io"
	"strings"
	"testing"
)

// FuzzCSVRow: any cells, written by appendCSVRow (the encoder of
// report.csv, responses.csv and churn.csv), read back with encoding/csv as
// exactly one record of the same cells: each as it was, or with one leading
// ' when it is text a spreadsheet would run as a formula (starting with = +
// - @ tab or CR; a number such as -12.5 stays a number). No cell read back
// starts with one of those characters unless it is such a number. The one
// change is encoding/csv's own: it reads a CRLF inside a quoted cell as LF.
func FuzzCSVRow(f *testing.F) {
	for _, s := range [][3]string{
		{"plain", "with,comma", `with "quotes"`},
		{"=HYPERLINK(\"http://x\")", "+1+2", "-2+3"},
		{"-12.5", "-7", "-0.5e3"},
		{"@SUM(A1)", "\tTAB", "\rCR"},
		{" leading space", "trailing ", "line\nbreak"},
		{"crlf\r\ninside", "lone\rcr", "\"=quoted formula\""},
		{"", "", ""},
		{"\xff\xfe", "\ufeffBOM", "é=1"},
		{"'already quoted", "==", "-"},
		{"-1\n=cmd", "1.", ".5"},
	} {
		f.Add(s[0], s[1], s[2])
	}
	f.Fuzz(func(t *testing.T, a, b, c string) {
		for _, cells := range [][]string{{a, b, c}, {a}, {b, c}} {
			line := appendCSVRow(nil, cells)
			if !bytes.HasSuffix(line, []byte("\r\n")) {
				t.Fatalf("row %q does not end with CRLF", line)
			}
			if len(cells) == 1 && cells[0] == "" {
				continue // a blank line: encoding/csv skips it (a report row always has several cells)
			}
			r := csv.NewReader(bytes.NewReader(line))
			rec, err := r.Read()
			if err != nil {
				t.Fatalf("cells %q wrote %q, which does not read back: %v", cells, line, err)
			}
			if _, err := r.Read(); err != io.EOF {
				t.Fatalf("cells %q wrote %q, which reads as more than one record (%v)", cells, line, err)
			}
			if len(rec) != len(cells) {
				t.Fatalf("%d cells %q read back as %d: %q", len(cells), cells, len(rec), rec)
			}
			for i, cell := range cells {
				want := cell
				if formulaCell(cell) {
					want = "'" + cell
				}
				want = strings.ReplaceAll(want, "\r\n", "\n")
				if rec[i] != want {
					t.Fatalf("cell %q read back as %q, want %q (row %q)", cell, rec[i], want, line)
				}
				if got := rec[i]; got != "" && strings.ContainsRune("=+-@\t\r", rune(got[0])) && !plainNumber.MatchString(got) {
					t.Fatalf("cell %q reads back as %q: a spreadsheet would run it as a formula", cell, got)
				}
			}
		}
	})
}
