package main

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"

	"heed/analytics"
	"heed/analytics/clickhouse"
)

const churnUsage = "usage: heed churn import [--clickhouse-url URL] [--quiet] FILE.csv"

// churnColumns are the columns a churn CSV may have (header row required,
// any order): email or respondent, churned_at, and optionally reason and
// revenue.
var churnColumns = []string{"email", "respondent", "churned_at", "reason", "revenue"}

// churnCmd is `heed churn import FILE.csv`: the customers who left, with
// the API's rules (analytics.NormalizeChurn); valid lines are stored,
// refused ones listed by line number.
func churnCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "import" {
		return errors.New(churnUsage)
	}
	fs := newFlags("heed churn import", stderr)
	var url string
	storeFlags(fs, &url)
	quiet := fs.Bool("quiet", false, "no progress bar")
	if err := fs.parse(args[1:]); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return errors.New(churnUsage)
	}
	in, err := openImport(fs.Arg(0), "importing churn", *quiet, stderr)
	if err != nil {
		return err
	}
	defer in.Close()
	store, err := clickhouse.Open(url)
	if err != nil {
		return err
	}
	defer store.Close()
	sum, err := importChurn(ctx, store, in, time.Now())
	in.finish()
	audit(ctx, store, analytics.AuditEntry{Action: "churn.import",
		Detail: fmt.Sprintf("cli: %d new, %d replaced, %d duplicates, %d refused", sum.New, sum.Replaced, sum.Duplicates, sum.RefusedLines) + stopped(err)}, stderr)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "imported %d churned customers: %d new, %d replaced; merged %d duplicate rows; %d lines refused\n",
		sum.New+sum.Replaced, sum.New, sum.Replaced, sum.Duplicates, sum.RefusedLines)
	for _, p := range sum.Invalid {
		fmt.Fprintf(stdout, "  line %d: %s: %s (%q)\n", p.Index, p.Field, p.Error, sum.who[p.Index])
	}
	return nil
}

type churnImportSummary struct {
	// New customers had no churn record (or a withdrawn one); Replaced had
	// one, which the file replaced.
	New, Replaced, Duplicates int
	RefusedLines              int
	Invalid                   []analytics.ChurnProblem // Index is the line number
	who                       map[int]string           // the email or respondent of each refused line
}

// importChurn reads the CSV and stores it in chunks (importChunk records a
// time). Line numbers count the header as line 1. A customer met again
// later in the file replaces the earlier line, and counts as a duplicate.
func importChurn(ctx context.Context, store analytics.ChurnStore, r io.Reader, now time.Time) (churnImportSummary, error) {
	sum := churnImportSummary{who: map[int]string{}}
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	header, err := cr.Read()
	if err != nil {
		return sum, fmt.Errorf("read the header row: %w", err)
	}
	col := map[string]int{}
	for i, h := range header {
		name := strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))
		if _, dup := col[name]; dup {
			return sum, fmt.Errorf("the header row names %q twice", name)
		}
		known := false
		for _, c := range churnColumns {
			known = known || c == name
		}
		if !known {
			return sum, fmt.Errorf("unknown column %q: the header row is %s (email or respondent, and churned_at, required)",
				h, strings.Join(churnColumns, ","))
		}
		col[name] = i
	}
	_, hasEmail := col["email"]
	_, hasRespondent := col["respondent"]
	if _, ok := col["churned_at"]; !ok || (!hasEmail && !hasRespondent) {
		return sum, errors.New("the header row needs churned_at and email or respondent (e.g. email,churned_at,reason,revenue)")
	}
	cell := func(rec []string, name string) string {
		if i, ok := col[name]; ok && i < len(rec) {
			return rec[i]
		}
		return ""
	}
	seen := map[string]bool{}
	refused := map[int]bool{}
	var batch []analytics.ChurnInput
	var lines []int
	refuse := func(line int, field, msg, who string) {
		sum.Invalid = append(sum.Invalid, analytics.ChurnProblem{Index: line, Field: field, Error: msg})
		sum.who[line] = who
		refused[line] = true
	}
	flush := func() error {
		records, s := analytics.NormalizeChurn(batch, func(i int) int { return lines[i] }, now)
		sum.Duplicates += s.Duplicates
		if len(s.Invalid) > 0 {
			at := make(map[int]int, len(lines))
			for i, l := range lines {
				at[l] = i
			}
			for _, p := range s.Invalid {
				in := batch[at[p.Index]]
				refuse(p.Index, p.Field, p.Error, churnWho(in))
			}
		}
		batch, lines = batch[:0], lines[:0]
		var fresh []string
		for _, rec := range records {
			if seen[rec.Customer] {
				sum.Duplicates++
				continue
			}
			seen[rec.Customer] = true
			fresh = append(fresh, rec.Customer)
		}
		known, err := store.ChurnRecorded(ctx, fresh)
		if err != nil {
			return err
		}
		sum.Replaced += len(known)
		sum.New += len(fresh) - len(known)
		return store.UpsertChurn(ctx, records)
	}
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			var perr *csv.ParseError
			if errors.As(err, &perr) {
				refuse(perr.StartLine, "line", perr.Err.Error(), "")
				continue
			}
			return sum, err
		}
		line, _ := cr.FieldPos(0) // the record's own line, even after quoted newlines
		in := analytics.ChurnInput{Email: cell(rec, "email"), Respondent: cell(rec, "respondent"),
			ChurnedAt: cell(rec, "churned_at"), Reason: cell(rec, "reason")}
		if v := strings.TrimSpace(cell(rec, "revenue")); v != "" {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil || strings.ContainsAny(v, "xXpP_") { // no hex floats or digit separators
				refuse(line, "revenue", "must be a number such as 49.90 (no currency sign or thousands separator)", churnWho(in))
				continue
			}
			in.Revenue = &f
		}
		batch = append(batch, in)
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
	sort.SliceStable(sum.Invalid, func(i, j int) bool { return sum.Invalid[i].Index < sum.Invalid[j].Index })
	sum.RefusedLines = len(refused)
	return sum, nil
}

// churnWho names a line's customer as the file gave it.
func churnWho(in analytics.ChurnInput) string {
	if in.Email != "" && in.Respondent != "" {
		return in.Email + " / " + in.Respondent
	}
	return in.Email + in.Respondent
}
