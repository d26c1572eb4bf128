package analytics

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// An import holds at most one batch of rows, the first problems and a few
// counters, whatever the file: these bound each of them.
const (
	// contactImportChunk is how many contacts go to the store per insert.
	contactImportChunk = 5000
	// contactImportBatchBytes bounds the rows of CSV text a batch holds
	// (rows of long properties fill it long before 5000 rows).
	contactImportBatchBytes = 4 << 20
	// MaxContactColumns bounds the header: email, name and properties
	// (of which a contact keeps at most MaxProperties, non-empty).
	MaxContactColumns = 200
	// MaxContactRow bounds one row of the CSV, quoted line breaks
	// included, and so every field: 200 columns of 500-character values
	// in any script fit... nearly; a contact keeps 20.
	MaxContactRow = 256 << 10
	// MaxListedProblems bounds the refused rows an import lists; it counts
	// all of them (InvalidTotal).
	MaxListedProblems = 100
	// maxProblemEmail bounds the copy of a refused row's address kept in
	// its problem.
	maxProblemEmail = 254
)

// ContactImport says what a CSV import of contacts did: new and updated
// contacts, rows merged into an earlier row of the same address, and the
// rows refused: all of them counted (InvalidTotal), the first
// MaxListedProblems listed with their line numbers (the header is line 1).
type ContactImport struct {
	New          int              `json:"new"`
	Updated      int              `json:"updated"`
	Duplicates   int              `json:"duplicates"`
	Invalid      []ContactProblem `json:"invalid"`
	InvalidTotal int              `json:"invalid_total"`
}

// ErrContactsCSV marks a contacts CSV that cannot be read at all (its
// header) or no further (a row past MaxContactRow); a bad row is reported
// in ContactImport.Invalid instead.
var ErrContactsCSV = errors.New("contacts CSV")

// errRowTooLong is what rowLimiter gives csv.Reader once a row has taken
// more than MaxContactRow bytes; csv.Reader passes it on unwrapped.
var errRowTooLong = errors.New("row too long")

// rowLimiter counts the bytes csv.Reader pulls and refuses more once the
// row being read has taken MaxContactRow: csv.Reader keeps a whole record
// (and a header, its every field) in memory and has no bound of its own.
// start is the offset where the current row begins (csv.Reader's
// InputOffset after the last row); csv.Reader's 4 KiB read-ahead makes
// the bound up to 4 KiB early, never late.
type rowLimiter struct {
	r             io.Reader
	pulled, start int64
}

func (l *rowLimiter) Read(p []byte) (int, error) {
	if l.pulled-l.start > MaxContactRow {
		return 0, errRowTooLong
	}
	n, err := l.r.Read(p)
	l.pulled += int64(n)
	return n, err
}

// ImportContactsCSV reads a CSV of contacts (a header row email,name,
// <property>... then a contact a row) and upserts it in chunks as it is
// read, in bounded memory whatever its size or shape. Line numbers count
// the header as line 1. A row past MaxContactRow stops the import with an
// ErrContactsCSV error, after the rows before it were stored (an import is
// an upsert: the file can be imported again once fixed).
func ImportContactsCSV(ctx context.Context, store ContactStore, r io.Reader) (ContactImport, error) {
	sum := ContactImport{Invalid: []ContactProblem{}}
	lim := &rowLimiter{r: r}
	cr := csv.NewReader(lim)
	cr.FieldsPerRecord = -1
	header, err := cr.Read()
	switch {
	case errors.Is(err, errRowTooLong):
		return sum, fmt.Errorf("%w: the header row is longer than %d KiB (at most %d columns)", ErrContactsCSV, MaxContactRow>>10, MaxContactColumns)
	case err != nil:
		return sum, fmt.Errorf("%w: read the header row: %w", ErrContactsCSV, err)
	case len(header) > MaxContactColumns:
		return sum, fmt.Errorf("%w: the header row has %d columns; at most %d (email, name and properties)", ErrContactsCSV, len(header), MaxContactColumns)
	}
	for i := range header {
		header[i] = strings.Clone(strings.TrimSpace(strings.TrimPrefix(header[i], "\ufeff")))
	}
	if len(header) < 1 || strings.ToLower(header[0]) != "email" {
		return sum, fmt.Errorf(`%w: the first column must be "email" (header row: email,name,<property>...)`, ErrContactsCSV)
	}
	lim.start = cr.InputOffset()
	problem := func(p ContactProblem) {
		sum.InvalidTotal++
		if len(sum.Invalid) < MaxListedProblems {
			p.Email = shortCopy(p.Email, maxProblemEmail) // not a slice of the row, which it would keep alive
			sum.Invalid = append(sum.Invalid, p)
		}
	}
	var batch []ContactInput
	var lines []int
	var batchBytes int64
	flush := func() error {
		contacts, s := NormalizeContacts(batch, func(i int) int { return lines[i] })
		sum.Duplicates += s.Duplicates
		for _, p := range s.Invalid {
			problem(p)
		}
		clear(batch) // let the rows go
		batch, lines, batchBytes = batch[:0], lines[:0], 0
		if len(contacts) == 0 {
			return nil // an empty id list would select every contact
		}
		ids := make([]string, len(contacts))
		for i, c := range contacts {
			ids[i] = c.ContactID
		}
		existing, err := store.Contacts(ctx, ContactFilter{ContactIDs: ids})
		if err != nil {
			return err
		}
		sum.Updated += len(existing)
		sum.New += len(contacts) - len(existing)
		return store.UpsertContacts(ctx, contacts)
	}
	lastLine := 1
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if errors.Is(err, errRowTooLong) {
			// What came before is stored, so the message can say what the
			// import did.
			if err := flush(); err != nil {
				return sum, err
			}
			return sum, fmt.Errorf("%w: the row after line %d is longer than %d KiB, the most a row (and so a field) may hold; "+
				"the rows before it were imported (%d new, %d updated, %d invalid): fix that row and import the file again",
				ErrContactsCSV, lastLine, MaxContactRow>>10, sum.New, sum.Updated, sum.InvalidTotal)
		}
		rowStart := lim.start
		lim.start = cr.InputOffset()
		if err != nil {
			var perr *csv.ParseError
			if errors.As(err, &perr) {
				problem(ContactProblem{Index: perr.StartLine, Error: perr.Err.Error()})
				lastLine = perr.Line
				continue
			}
			return sum, err
		}
		line, _ := cr.FieldPos(0) // the record's own line, even after quoted newlines
		lastLine, _ = cr.FieldPos(len(rec) - 1)
		c := ContactInput{Email: rec[0], Properties: map[string]string{}}
		for i := 1; i < len(rec) && i < len(header); i++ {
			if strings.EqualFold(header[i], "name") {
				c.Name = rec[i]
			} else if header[i] != "" && rec[i] != "" && len(c.Properties) <= MaxProperties {
				// One past MaxProperties is enough for NormalizeContacts
				// to refuse the row.
				c.Properties[header[i]] = rec[i]
			}
		}
		batch = append(batch, c)
		lines = append(lines, line)
		if batchBytes += lim.start - rowStart; len(batch) >= contactImportChunk || batchBytes >= contactImportBatchBytes {
			if err := flush(); err != nil {
				return sum, err
			}
		}
	}
	if len(batch) > 0 {
		if err := flush(); err != nil {
			return sum, err
		}
	}
	return sum, nil
}

// shortCopy is s cut to at most n bytes on a character boundary, as a
// string of its own.
func shortCopy(s string, n int) string {
	if len(s) > n {
		for n > 0 && !utf8.RuneStart(s[n]) {
			n--
		}
		s = s[:n]
	}
	return strings.Clone(s)
}
