package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"heed/analytics"
	"heed/analytics/clickhouse"
	"heed/emails"
)

const peopleUsage = "usage: heed people forget EMAIL-OR-ID   or   heed people export EMAIL-OR-ID   [--clickhouse-url URL] [--erasure-key KEY] [--data-dir DIR]"

// peopleCmd is `heed people forget EMAIL-OR-ID` (every row Heed holds on
// the person goes; salted hashes stay so they are never emailed again)
// and `heed people export EMAIL-OR-ID` (all of it as JSON on stdout): what
// DELETE /api/v1/people/:id and GET .../export do.
func peopleCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || (args[0] != "forget" && args[0] != "export") {
		return errors.New(peopleUsage)
	}
	verb := args[0]
	fs := newFlags("heed people "+verb, stderr)
	var url, key, dataDir string
	storeFlags(fs, &url)
	fs.str(&key, "erasure-key", "HEED_ERASURE_KEY", "", "the erasure key heed serve uses (default: the one kept in --data-dir)")
	fs.str(&dataDir, "data-dir", "HEED_DATA_DIR", ".data", "Heed's local files: the erasure key when HEED_ERASURE_KEY is unset, and the outbox forget also clears")
	wait := fs.Duration("wait", 5*time.Minute, "how long forget waits for ClickHouse to finish deleting")
	if err := fs.parse(args[1:]); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return errors.New(peopleUsage)
	}
	ref, err := analytics.ParsePersonRef(fs.Arg(0))
	if err != nil {
		return err
	}
	hasher, err := emails.ErasureHasher(key, dataDir)
	if err != nil {
		return err
	}
	store, err := clickhouse.Open(url)
	if err != nil {
		return err
	}
	defer store.Close()
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	if verb == "export" {
		out, err := store.ExportPerson(ctx, ref, hasher)
		if err != nil {
			return err
		}
		audit(ctx, store, analytics.AuditEntry{Action: "person.export"}, stderr)
		return enc.Encode(out)
	}
	// Mail written without a SendGrid key is kept in the data dir's
	// outbox: whom to look for there is read before the store forgets it.
	outbox := &emails.Outbox{Dir: filepath.Join(dataDir, "outbox")}
	var named *analytics.PersonExport
	if _, err := os.Stat(outbox.Dir); err == nil {
		if named, err = store.ExportPerson(ctx, ref, nil); err != nil {
			return err
		}
	}
	// Not stopped half-way by Ctrl-C: the erased list and the deletions
	// belong together (the mutations finish by themselves anyway).
	sum, err := store.ForgetPerson(context.WithoutCancel(ctx), ref, hasher, *wait)
	if err != nil {
		return err
	}
	if named != nil {
		n, err := outbox.Forget(append(named.Emails, ref.Email), append(named.IDs, ref.ID))
		if err != nil {
			return err
		}
		sum.Removed["outbox"] = uint64(n)
	}
	audit(ctx, store, analytics.AuditEntry{Action: "person.erase",
		Detail: fmt.Sprintf("%d rows, %d responses; done %v", sum.Rows(), sum.Responses, sum.Done)}, stderr)
	if err := enc.Encode(sum); err != nil {
		return err
	}
	if !sum.Done {
		fmt.Fprintln(stderr, "ClickHouse is still deleting in the background; run the command again to check (it is harmless)")
	}
	return nil
}

// retentionCmd is `heed retention run`: what heed serve does every
// --retention-check, once: each survey's answers past its retention_days
// are anonymised.
func retentionCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "run" {
		return errors.New("usage: heed retention run [--clickhouse-url URL]")
	}
	fs := newFlags("heed retention run", stderr)
	var url string
	storeFlags(fs, &url)
	wait := fs.Duration("wait", 5*time.Minute, "how long to wait for ClickHouse to finish each survey")
	if err := fs.parse(args[1:]); err != nil {
		return err
	}
	store, err := clickhouse.Open(url)
	if err != nil {
		return err
	}
	defer store.Close()
	surveys := analytics.NewSurveys(store)
	if err := surveys.Load(ctx); err != nil {
		return err
	}
	sums, err := analytics.RunRetention(ctx, store, surveys.List(), time.Now(), *wait)
	for _, s := range sums {
		fmt.Fprintf(stdout, "%s: before %s anonymised %d answer rows, %d last answers, %d dismissals, %d case notes%s\n", s.SurveyID,
			s.Before.Format(time.RFC3339), s.Answers, s.Customers, s.Dismissals, s.CaseNotes, map[bool]string{true: "", false: " (still running)"}[s.Done])
	}
	if len(sums) == 0 && err == nil {
		fmt.Fprintln(stdout, "no survey has a retention (retention_days)")
	}
	return err
}
