package analytics_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"unicode/utf8"

	"heed/analytics"
	"heed/analytics/mock"
)

// batchStore is the in-memory store, recording the size of each upsert.
type batchStore struct {
	*mock.Store
	batches []int
}

func (s *batchStore) UpsertContacts(ctx context.Context, cs []analytics.Contact) error {
	s.batches = append(s.batches, len(cs))
	return s.Store.UpsertContacts(ctx, cs)
}

// csvRecords counts the data records encoding/csv reads from b (refused
// ones included), as ImportContactsCSV reads it, and the last line.
func csvRecords(b []byte) (records, lines int) {
	cr := csv.NewReader(bytes.NewReader(b))
	cr.FieldsPerRecord = -1
	if _, err := cr.Read(); err != nil {
		return 0, 0
	}
	for {
		_, err := cr.Read()
		if err == io.EOF {
			break
		}
		var perr *csv.ParseError
		if err != nil && !errors.As(err, &perr) {
			break
		}
		records++
	}
	return records, bytes.Count(b, []byte("\n")) + 1
}

// FuzzImportContactsCSV: any bytes as a contacts CSV never panic; a file
// refused whole is refused for its header (ErrContactsCSV) and stores
// nothing; otherwise every record is counted once (new, updated, merged or
// refused with a line number in the file), every stored contact is valid
// (a deliverable lower-case address and its id, a name of at most 200
// characters, properties within the limits, named by the header), and
// importing the same file again adds no contact.
func FuzzImportContactsCSV(f *testing.F) {
	for _, seed := range []string{
		"email,name,plan\nann@example.com,Ann,pro\nBOB@example.com,Bob,\n",
		"\ufeffEmail , Name ,plan,plan\n\"Ann <ANN@Example.com>\",,pro,free\nann@example.com,Ann B\n",
		"email\nnot an address\n\"unterminated\nann@example.com\n",
		"name,email\nAnn,ann@example.com\n",
		"email,name,a\x00b\nann@example.com,\"multi\nline\",v\n",
		"email,name,\nann@example.com,Ann,ignored,extra,cells\n\n\n",
		"email,name,plan\r\n\"a\"\"b\"@example.com,Ann,pro\r\nx@y.zz,\" \",\r\n",
		"", "\n", "email", "email,name\n,\n\"\n",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		ctx := context.Background()
		store := &batchStore{Store: mock.New()}
		sum, err := analytics.ImportContactsCSV(ctx, store, bytes.NewReader(data))
		all, _ := store.Contacts(ctx, analytics.ContactFilter{})
		if err != nil {
			if !errors.Is(err, analytics.ErrContactsCSV) {
				t.Fatalf("an in-memory file failed with %v, not a header error", err)
			}
			if len(all) != 0 {
				t.Fatalf("a refused file stored %d contacts", len(all))
			}
			return
		}
		records, lines := csvRecords(data)
		if got := sum.New + sum.Updated + sum.Duplicates + len(sum.Invalid); got != records {
			t.Fatalf("%d new + %d updated + %d merged + %d refused != %d records", sum.New, sum.Updated, sum.Duplicates, len(sum.Invalid), records)
		}
		if sum.Updated != 0 || sum.New != len(all) {
			t.Fatalf("into an empty store: %d new, %d updated, but %d stored", sum.New, sum.Updated, len(all))
		}
		for _, p := range sum.Invalid {
			if p.Index < 2 || p.Index > lines || p.Error == "" {
				t.Fatalf("refusal %+v: line outside 2..%d or no reason", p, lines)
			}
		}
		header, _ := csv.NewReader(bytes.NewReader(data)).Read()
		columns := map[string]bool{}
		for _, h := range header[1:] {
			columns[strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))] = true
		}
		for _, c := range all {
			if !analytics.Deliverable(c.Email) || c.Email != strings.ToLower(c.Email) || c.ContactID != analytics.ContactID(c.Email) {
				t.Fatalf("stored an invalid address: %+v", c)
			}
			if utf8.RuneCountInString(c.Name) > analytics.MaxContactName || analytics.CheckProperties(c.Properties) != "" {
				t.Fatalf("stored a contact past the limits: %+v", c)
			}
			for k, v := range c.Properties {
				if !columns[k] || strings.EqualFold(k, "name") || v == "" {
					t.Fatalf("property %q=%q is no column of the header %q", k, v, header)
				}
			}
		}
		for _, n := range store.batches {
			if n > 5000 {
				t.Fatalf("one upsert of %d contacts: chunks must stay bounded", n)
			}
		}
		again, err := analytics.ImportContactsCSV(ctx, store, bytes.NewReader(data))
		if err != nil || again.New != 0 || again.Updated != sum.New {
			t.Fatalf("second import: %+v %v, want 0 new and %d updated", again, err, sum.New)
		}
		if all2, _ := store.Contacts(ctx, analytics.ContactFilter{}); len(all2) != len(all) {
			t.Fatalf("second import changed the contact count from %d to %d", len(all), len(all2))
		}
	})
}

// TestImportContactsCSVChunks: a file larger than a chunk is stored in
// chunks of at most 5000 contacts (bounded memory whatever the size), every
// row counted.
func TestImportContactsCSVChunks(t *testing.T) {
	var b strings.Builder
	b.WriteString("email,name,plan\n")
	const rows = 12_345
	for i := range rows {
		fmt.Fprintf(&b, "user%d@example.com,User %d,p%d\n", i, i, i%3)
	}
	b.WriteString("user7@example.com,Again,\n")
	store := &batchStore{Store: mock.New()}
	sum, err := analytics.ImportContactsCSV(context.Background(), store, strings.NewReader(b.String()))
	if err != nil || sum.New != rows || sum.Updated != 1 || len(sum.Invalid) != 0 {
		t.Fatalf("%+v %v", sum, err)
	}
	if len(store.batches) != 3 {
		t.Fatalf("batches %v, want 3 of at most 5000", store.batches)
	}
	for _, n := range store.batches {
		if n > 5000 {
			t.Fatalf("batches %v", store.batches)
		}
	}
}
