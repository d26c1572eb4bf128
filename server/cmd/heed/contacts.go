package main

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/schollz/progressbar/v3"

	"heed/analytics"
	"heed/analytics/clickhouse"
)

// importChunk is how many contacts go to ClickHouse per insert.
const importChunk = 5000

// contactsCmd is `heed contacts import FILE.csv`: a header row
// email,name,<property>... then one contact per row.
func contactsCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "import" {
		return errors.New("usage: heed contacts import [--clickhouse-url URL] FILE.csv")
	}
	fs := newFlags("heed contacts import", stderr)
	var url string
	storeFlags(fs, &url)
	quiet := fs.Bool("quiet", false, "no progress bar")
	if err := fs.parse(args[1:]); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return errors.New("usage: heed contacts import [--clickhouse-url URL] FILE.csv")
	}
	f, err := os.Open(fs.Arg(0))
	if err != nil {
		return err
	}
	defer f.Close()
	info, _ := f.Stat()
	store, err := clickhouse.Open(url)
	if err != nil {
		return err
	}
	defer store.Close()

	var bar *progressbar.ProgressBar
	var in io.Reader = f
	if !*quiet && info != nil {
		bar = progressbar.NewOptions64(info.Size(), progressbar.OptionSetWriter(stderr), progressbar.OptionShowBytes(true),
			progressbar.OptionSetDescription("importing"), progressbar.OptionThrottle(100e6), progressbar.OptionClearOnFinish())
		r := progressbar.NewReader(f, bar)
		in = &r
	}
	sum, err := importContacts(ctx, store, in)
	if bar != nil {
		bar.Finish()
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "imported %d new, updated %d, merged %d duplicate rows, %d invalid\n", sum.New, sum.Updated, sum.Duplicates, len(sum.Invalid))
	for _, p := range sum.Invalid {
		fmt.Fprintf(stdout, "  line %d: %s (%q)\n", p.Index, p.Error, p.Email)
	}
	return nil
}

type importSummary struct {
	New, Updated, Duplicates int
	Invalid                  []analytics.ContactProblem
}

// importContacts reads the CSV and upserts it in chunks. Line numbers count
// the header as line 1.
func importContacts(ctx context.Context, store analytics.ContactStore, r io.Reader) (importSummary, error) {
	var sum importSummary
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	header, err := cr.Read()
	if err != nil {
		return sum, fmt.Errorf("read the header row: %w", err)
	}
	for i := range header {
		header[i] = strings.TrimSpace(strings.TrimPrefix(header[i], "\ufeff"))
	}
	if len(header) < 1 || strings.ToLower(header[0]) != "email" {
		return sum, errors.New(`the first column must be "email" (header row: email,name,<property>...)`)
	}
	var batch []analytics.ContactInput
	var lines []int
	flush := func() error {
		contacts, s := analytics.NormalizeContacts(batch, func(i int) int { return lines[i] })
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
		existing, err := store.Contacts(ctx, analytics.ContactFilter{ContactIDs: ids})
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
				sum.Invalid = append(sum.Invalid, analytics.ContactProblem{Index: perr.StartLine, Error: perr.Err.Error()})
				continue
			}
			return sum, err
		}
		line, _ := cr.FieldPos(0) // the record's own line, even after quoted newlines
		c := analytics.ContactInput{Email: rec[0], Properties: map[string]string{}}
		for i := 1; i < len(rec) && i < len(header); i++ {
			if strings.EqualFold(header[i], "name") {
				c.Name = rec[i]
			} else if header[i] != "" && rec[i] != "" {
				c.Properties[header[i]] = rec[i]
			}
		}
		batch = append(batch, c)
		lines = append(lines, line)
		if len(batch) >= importChunk {
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
