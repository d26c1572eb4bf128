package analytics

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
)

// contactImportChunk is how many contacts go to the store per insert.
const contactImportChunk = 5000

// ContactImport says what a CSV import of contacts did: new and updated
// contacts, rows merged into an earlier row of the same address, and the
// rows refused with their line numbers (the header is line 1).
type ContactImport struct {
	New        int              `json:"new"`
	Updated    int              `json:"updated"`
	Duplicates int              `json:"duplicates"`
	Invalid    []ContactProblem `json:"invalid"`
}

// ErrContactsCSV marks a contacts CSV that cannot be read at all (its
// header); a bad row is reported in ContactImport.Invalid instead.
var ErrContactsCSV = errors.New("contacts CSV")

// ImportContactsCSV reads a CSV of contacts (a header row email,name,
// <property>... then a contact a row) and upserts it in chunks, in bounded
// memory whatever its size. Line numbers count the header as line 1.
func ImportContactsCSV(ctx context.Context, store ContactStore, r io.Reader) (ContactImport, error) {
	sum := ContactImport{Invalid: []ContactProblem{}}
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	header, err := cr.Read()
	if err != nil {
		return sum, fmt.Errorf("%w: read the header row: %w", ErrContactsCSV, err)
	}
	for i := range header {
		header[i] = strings.TrimSpace(strings.TrimPrefix(header[i], "\ufeff"))
	}
	if len(header) < 1 || strings.ToLower(header[0]) != "email" {
		return sum, fmt.Errorf(`%w: the first column must be "email" (header row: email,name,<property>...)`, ErrContactsCSV)
	}
	var batch []ContactInput
	var lines []int
	flush := func() error {
		contacts, s := NormalizeContacts(batch, func(i int) int { return lines[i] })
		sum.Duplicates += s.Duplicates
		sum.Invalid = append(sum.Invalid, s.Invalid...)
		batch, lines = batch[:0], lines[:0]
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
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			var perr *csv.ParseError
			if errors.As(err, &perr) {
				sum.Invalid = append(sum.Invalid, ContactProblem{Index: perr.StartLine, Error: perr.Err.Error()})
				continue
			}
			return sum, err
		}
		line, _ := cr.FieldPos(0) // the record's own line, even after quoted newlines
		c := ContactInput{Email: rec[0], Properties: map[string]string{}}
		for i := 1; i < len(rec) && i < len(header); i++ {
			if strings.EqualFold(header[i], "name") {
				c.Name = rec[i]
			} else if header[i] != "" && rec[i] != "" {
				c.Properties[header[i]] = rec[i]
			}
		}
		batch = append(batch, c)
		lines = append(lines, line)
		if len(batch) >= contactImportChunk {
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
