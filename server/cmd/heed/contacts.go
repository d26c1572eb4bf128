package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/schollz/progressbar/v3"

	"heed/analytics"
	"heed/analytics/clickhouse"
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

// importChunk is how many records an import sends to ClickHouse at once.
const importChunk = 5000

type importSummary = analytics.ContactImport

// importContacts reads the CSV and upserts it in chunks
// (analytics.ImportContactsCSV, which the dashboard's upload uses too).
func importContacts(ctx context.Context, store analytics.ContactStore, r io.Reader) (importSummary, error) {
	return analytics.ImportContactsCSV(ctx, store, r)
}
