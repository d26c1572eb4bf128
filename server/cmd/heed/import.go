package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/google/uuid"

	"heed/analytics"
	"heed/analytics/clickhouse"
)

const importUsage = `usage:
  heed import delighted FILE --survey ID [--reasons-column HEADER]... [--dry-run] [--quiet]
  heed import csv FILE --survey ID --map score=COL,created_at=COL[,comment=COL,email=COL,name=COL,
      respondent=COL,reasons=COL,tags=COL,channel=COL,id=COL,property.NAME=COL] [--dry-run] [--quiet]`

// answerImportBatch is how many records go to ClickHouse per insert: big
// batches are what makes an import run at the server's insert speed.
const answerImportBatch = 50000

// answerImportStore is what an import needs of the store.
type answerImportStore interface {
	LoadSurveys(ctx context.Context) ([]*analytics.Survey, error)
	StoredResponses(ctx context.Context, survey string, rows []analytics.Response) (map[uuid.UUID]bool, error)
	KnownContacts(ctx context.Context, ids []string) (map[string]bool, error)
	UpsertContacts(ctx context.Context, contacts []analytics.Contact) error
	InsertResponses(ctx context.Context, rows []analytics.Response) error
}

// importCmd is `heed import delighted|csv FILE --survey ID`: another tool's
// answers, kept with their original dates (see analytics.Importer).
func importCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || (args[0] != "delighted" && args[0] != "csv") {
		return errors.New(importUsage)
	}
	source := args[0]
	fs := newFlags("heed import "+source, stderr)
	var url string
	storeFlags(fs, &url)
	survey := fs.String("survey", "", "the survey the answers go to (its id)")
	dryRun := fs.Bool("dry-run", false, "read and check everything, write nothing")
	quiet := fs.Bool("quiet", false, "no progress bar")
	batch := fs.Int("batch", answerImportBatch, "records per insert")
	var reasonCols []string
	fs.Func("reasons-column", "delighted CSV: a column of select answers to read as reasons (repeatable)", func(v string) error {
		reasonCols = append(reasonCols, v)
		return nil
	})
	var mapping string
	if source == "csv" {
		fs.StringVar(&mapping, "map", "", "field=column pairs, comma-separated (score and created_at required)")
	}
	// Flags may come after FILE: parse, take one argument, parse the rest.
	var files []string
	rest := args[1:]
	for {
		if err := fs.parse(rest); err != nil {
			return err
		}
		if fs.NArg() == 0 {
			break
		}
		files = append(files, fs.Arg(0))
		rest = fs.Args()[1:]
	}
	if len(files) != 1 || *survey == "" || *batch < 1 {
		return errors.New(importUsage)
	}
	var columns map[string]csvColumn
	if source == "csv" {
		var err error
		if columns, err = parseColumnMap(mapping); err != nil {
			return err
		}
	}
	in, err := openImport(files[0], "importing answers", *quiet, stderr)
	if err != nil {
		return err
	}
	defer in.Close()
	store, err := clickhouse.Open(url)
	if err != nil {
		return err
	}
	defer store.Close()
	var records recordReader
	if source == "delighted" {
		records, err = newDelightedReader(in, reasonCols)
	} else {
		records, err = newCSVReader(in, columns, nil, false)
	}
	if err != nil {
		return err
	}
	start := time.Now()
	sum, err := importAnswers(ctx, store, records, importOptions{Survey: *survey, Source: source, DryRun: *dryRun, Batch: *batch, Now: start})
	in.finish()
	if sum != nil && !*dryRun {
		audit(ctx, store, analytics.AuditEntry{Action: "answers.import", Target: *survey,
			Detail: fmt.Sprintf("%s: %d new, %d already imported, %d duplicates, %d refused", source, sum.New, sum.Stored, sum.Duplicates, sum.Refused) + stopped(err)}, stderr)
	}
	if err != nil {
		return err
	}
	sum.write(stdout, records.Unit(), *dryRun, time.Since(start))
	return nil
}

// parseColumnMap reads --map: field=column pairs.
func parseColumnMap(s string) (map[string]csvColumn, error) {
	named := map[string]int{"id": colID, "score": colScore, "comment": colComment, "created_at": colCreated,
		"updated_at": colUpdated, "email": colEmail, "name": colName, "respondent": colRespondent,
		"channel": colChannel, "tags": colTags, "reasons": colReasons}
	out := map[string]csvColumn{}
	fields := map[string]bool{}
	for _, pair := range strings.Split(s, ",") {
		if pair = strings.TrimSpace(pair); pair == "" {
			continue
		}
		field, col, ok := strings.Cut(pair, "=")
		field, col = strings.TrimSpace(field), headerKey(col)
		if !ok || col == "" {
			return nil, fmt.Errorf("--map %q: give field=column", pair)
		}
		if _, dup := out[col]; dup {
			return nil, fmt.Errorf("--map: column %q named twice", col)
		}
		if name, ok := strings.CutPrefix(field, "property."); ok {
			if !analytics.ValidPropertyKey(name) {
				return nil, fmt.Errorf("--map %q: not a property name", pair)
			}
			out[col] = csvColumn{field: colProperty, prop: name}
			continue
		}
		f, ok := named[field]
		if !ok {
			return nil, fmt.Errorf("--map %q: unknown field %q (id, score, created_at, updated_at, comment, email, name, respondent, channel, tags, reasons, property.NAME)", pair, field)
		}
		if fields[field] {
			return nil, fmt.Errorf("--map: field %q mapped twice", field)
		}
		fields[field] = true
		out[col] = csvColumn{field: f}
	}
	if !fields["score"] || !fields["created_at"] {
		return nil, errors.New("--map needs score=COL and created_at=COL")
	}
	return out, nil
}

type importOptions struct {
	Survey string
	Source string
	DryRun bool
	Batch  int
	Now    time.Time
}

// maxListed bounds the refused records and warnings the summary lists (all
// are counted).
const maxListed = 200

type lineNote struct {
	Line     int
	SourceID string
	Text     string
}

// answerImportSummary says what an import did.
type answerImportSummary struct {
	Read       int // records read, refused ones included
	New        int // answers written (or, in a dry run, that would be)
	Stored     int // already imported: skipped
	Duplicates int // a record met again in the same batch
	Refused    int
	Warned     int // records imported with a warning
	Contacts   int // new contacts
	First      time.Time
	Last       time.Time
	Problems   []lineNote // the first maxListed refused records
	Warnings   []lineNote // the first maxListed warnings
	Unknown    map[string]int
}

// importAnswers reads every record, converts it and stores the new ones in
// batches: contacts first (only those not stored yet: an existing contact
// keeps its name and properties), then the answers not already stored.
func importAnswers(ctx context.Context, store answerImportStore, records recordReader, opt importOptions) (*answerImportSummary, error) {
	sum := &answerImportSummary{Unknown: map[string]int{}}
	surveys, err := store.LoadSurveys(ctx)
	if err != nil {
		return nil, err
	}
	var sv *analytics.Survey
	for _, s := range surveys {
		if s.ID == opt.Survey {
			sv = s
		}
	}
	if sv == nil {
		return nil, fmt.Errorf("no survey %q (create it first: POST /api/v1/surveys)", opt.Survey)
	}
	im := analytics.NewImporter(sv, opt.Source, opt.Now)
	batch := make([]analytics.ImportedAnswer, 0, opt.Batch)
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		defer func() { batch = batch[:0] }()
		seen := make(map[uuid.UUID]bool, len(batch))
		all := make([]analytics.Response, len(batch))
		for i := range batch {
			all[i] = batch[i].Response
			seen[all[i].ResponseID] = true
		}
		stored, err := store.StoredResponses(ctx, sv.ID, all)
		if err != nil {
			return err
		}
		rows := make([]analytics.Response, 0, len(batch))
		var contacts []analytics.Contact
		contactSeen := map[string]bool{}
		for i := range batch {
			a := &batch[i]
			id := a.Response.ResponseID
			switch {
			case stored[id]:
				sum.Stored++
				continue
			case !seen[id]:
				sum.Duplicates++
				continue
			}
			seen[id] = false // the next record with this id is a duplicate
			rows = append(rows, a.Response)
			if at := a.Response.CreatedAt; sum.First.IsZero() || at.Before(sum.First) {
				sum.First = at
			}
			if at := a.Response.CreatedAt; at.After(sum.Last) {
				sum.Last = at
			}
			if c := a.Contact; c != nil && !contactSeen[c.ContactID] {
				contactSeen[c.ContactID] = true
				contacts = append(contacts, *c)
			}
		}
		sum.New += len(rows)
		if len(contacts) > 0 {
			cids := make([]string, len(contacts))
			for i, c := range contacts {
				cids[i] = c.ContactID
			}
			known, err := store.KnownContacts(ctx, cids)
			if err != nil {
				return err
			}
			fresh := contacts[:0]
			for _, c := range contacts {
				if !known[c.ContactID] {
					fresh = append(fresh, c)
				}
			}
			sum.Contacts += len(fresh)
			if !opt.DryRun {
				if err := store.UpsertContacts(ctx, fresh); err != nil {
					return err
				}
			}
		}
		if opt.DryRun {
			return nil
		}
		return store.InsertResponses(ctx, rows)
	}
	for {
		if err := ctx.Err(); err != nil {
			return sum, err
		}
		rec, err := records.Next()
		if err == io.EOF {
			break
		}
		var rerr *recordError
		if errors.As(err, &rerr) {
			sum.Read++
			sum.refuse(lineNote{Line: rerr.line, Text: rerr.msg})
			continue
		}
		if err != nil {
			return sum, err
		}
		sum.Read++
		a, err := im.Convert(rec)
		if err != nil {
			field, msg := analytics.Refusal(err)
			sum.refuse(lineNote{Line: rec.Line, SourceID: rec.SourceID, Text: field + ": " + msg})
			continue
		}
		if len(a.Warnings) > 0 {
			sum.Warned++
			for _, w := range a.Warnings {
				if len(sum.Warnings) < maxListed {
					sum.Warnings = append(sum.Warnings, lineNote{Line: rec.Line, SourceID: rec.SourceID, Text: w})
				}
			}
		}
		for _, u := range a.UnknownChoices {
			if _, ok := sum.Unknown[u]; ok || len(sum.Unknown) < maxListed {
				sum.Unknown[u]++
			}
		}
		batch = append(batch, a)
		if len(batch) >= opt.Batch {
			if err := flush(); err != nil {
				return sum, err
			}
		}
	}
	if err := flush(); err != nil {
		return sum, err
	}
	return sum, nil
}

func (s *answerImportSummary) refuse(n lineNote) {
	s.Refused++
	if len(s.Problems) < maxListed {
		s.Problems = append(s.Problems, n)
	}
}

// write prints the summary: counts, then the refused records by line, the
// warnings and the select answers that name no reason.
func (s *answerImportSummary) write(w io.Writer, unit string, dryRun bool, took time.Duration) {
	verb := "imported"
	if dryRun {
		verb = "dry run: would import"
	}
	fmt.Fprintf(w, "%s %d new answers, %d already imported, %d duplicate records; %d %ss refused; %d new contacts\n",
		verb, s.New, s.Stored, s.Duplicates, s.Refused, unit, s.Contacts)
	if s.New > 0 {
		fmt.Fprintf(w, "answers dated %s to %s\n", s.First.Format(time.DateOnly), s.Last.Format(time.DateOnly))
	}
	if secs := took.Seconds(); secs > 0 && s.Read > 0 {
		fmt.Fprintf(w, "read %d records in %.1f s (%.0f records/s)\n", s.Read, secs, float64(s.Read)/secs)
	}
	where := func(n lineNote) string {
		if n.SourceID != "" {
			return fmt.Sprintf("%s %d (id %s)", unit, n.Line, n.SourceID)
		}
		return fmt.Sprintf("%s %d", unit, n.Line)
	}
	if s.Refused > 0 {
		fmt.Fprintf(w, "refused:\n")
		for _, p := range s.Problems {
			fmt.Fprintf(w, "  %s: %s\n", where(p), p.Text)
		}
		if s.Refused > len(s.Problems) {
			fmt.Fprintf(w, "  ... and %d more\n", s.Refused-len(s.Problems))
		}
	}
	if s.Warned > 0 {
		fmt.Fprintf(w, "imported with warnings: %d %ss\n", s.Warned, unit)
		for _, n := range s.Warnings {
			fmt.Fprintf(w, "  %s: %s\n", where(n), n.Text)
		}
	}
	if len(s.Unknown) > 0 {
		fmt.Fprintf(w, "select answers that name no reason offered to their group (left out):\n")
		keys := make([]string, 0, len(s.Unknown))
		for k := range s.Unknown {
			keys = append(keys, k)
		}
		sort.Slice(keys, func(i, j int) bool {
			if s.Unknown[keys[i]] != s.Unknown[keys[j]] {
				return s.Unknown[keys[i]] > s.Unknown[keys[j]]
			}
			return keys[i] < keys[j]
		})
		for _, k := range keys {
			fmt.Fprintf(w, "  %q: %d\n", k, s.Unknown[k])
		}
	}
}
