package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	"heed/analytics"
	"heed/analytics/clickhouse"
	"heed/server"
)

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
	in, err := openImport(fs.Arg(0), "importing", *quiet, stderr)
	if err != nil {
		return err
	}
	defer in.Close()
	store, err := clickhouse.Open(url)
	if err != nil {
		return err
	}
	defer store.Close()
	sum, err := importContacts(ctx, store, in)
	in.finish()
	audit(ctx, store, analytics.AuditEntry{Action: "contact.import", Detail: server.ContactImportDetail("cli", sum) + stopped(err)}, stderr)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "imported %d new, updated %d, merged %d duplicate rows, %d invalid\n", sum.New, sum.Updated, sum.Duplicates, sum.InvalidTotal)
	for _, p := range sum.Invalid {
		fmt.Fprintf(stdout, "  line %d: %s (%q)\n", p.Index, p.Error, p.Email)
	}
	// The import lists the first problems only (its memory is bounded).
	if more := sum.InvalidTotal - len(sum.Invalid); more > 0 {
		fmt.Fprintf(stdout, "  ... and %d more invalid rows\n", more)
	}
	return nil
}

// importChunk is how many records an import sends to ClickHouse at once.
const importChunk = 5000

type importSummary = analytics.ContactImport

// importContacts reads the CSV and upserts it in chunks
// (analytics.ImportContactsCSV, which the dashboard's upload uses too).
func importContacts(ctx context.Context, store analytics.ContactStore, r io.Reader) (importSummary, error) {
	return analytics.ImportContactsCSV(ctx, store, r)
}
