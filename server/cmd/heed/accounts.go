package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"heed/analytics"
	"heed/analytics/clickhouse"
	"heed/server"
)

// The people and machines that use Heed, from the command line: what an
// operator needs before anyone can sign in (the first admin) and for
// machines (API keys). Everything else is in the dashboard.

const keysUsage = `usage:
  heed keys create --name NAME --role admin|manager|viewer|ingest [--surveys ID,ID]
  heed keys list
  heed keys revoke KEY_ID`

const accountsUsage = `usage:
  heed accounts add EMAIL --role admin|manager|viewer [--name NAME] [--public-url URL]
                    prints a one-time sign-in link (valid 7 days)
  heed accounts list`

// cliActor names the command line in the audit log.
const cliActor = "cli"

// keysCmd is `heed keys create|list|revoke`.
func keysCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return errors.New(keysUsage)
	}
	fs := newFlags("heed keys "+args[0], stderr)
	var url, name, role string
	var surveys []string
	storeFlags(fs, &url)
	if args[0] == "create" {
		fs.StringVar(&name, "name", "", "what the key is for, e.g. \"CRM sync\"")
		fs.StringVar(&role, "role", "", "admin, manager, viewer or ingest")
		fs.Func("surveys", "limit the key to these surveys (comma-separated ids)", func(v string) error {
			surveys = splitList(v)
			return nil
		})
	}
	pos, err := parseAnywhere(fs, args[1:])
	if err != nil {
		return err
	}
	store, err := clickhouse.Open(url)
	if err != nil {
		return err
	}
	defer store.Close()
	switch {
	case args[0] == "create" && len(pos) == 0:
		r, err := analytics.ParseRole(role)
		if err != nil {
			return err
		}
		if strings.TrimSpace(name) == "" || len(name) > 100 {
			return errors.New("--name is required (at most 100 characters): what the key is for")
		}
		if err := surveysExist(ctx, store, surveys); err != nil {
			return err
		}
		k, key, err := server.CreateAPIKey(ctx, store, name, r, surveys, cliActor)
		if err != nil {
			return err
		}
		audit(ctx, store, analytics.AuditEntry{Action: "key.create", Target: k.ID, Detail: "role " + string(k.Role)}, stderr)
		fmt.Fprintf(stdout, "%s\n", key)
		fmt.Fprintf(stderr, "key %s (%s, %s) created; it is shown only now: store it in your secret manager.\n", k.ID, k.Name, k.Role)
		return nil
	case args[0] == "list" && len(pos) == 0:
		keys, err := store.LoadAPIKeys(ctx)
		if err != nil {
			return err
		}
		w := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(w, "ID\tNAME\tROLE\tSURVEYS\tCREATED\tLAST USED")
		for _, k := range keys {
			fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\n", k.ID, k.Name, k.Role, orAll(k.Surveys), k.CreatedAt.Format(time.DateOnly), when(k.LastUsedAt))
		}
		return w.Flush()
	case args[0] == "revoke" && len(pos) == 1:
		keys, err := store.LoadAPIKeys(ctx)
		if err != nil {
			return err
		}
		found := false
		for _, k := range keys {
			found = found || k.ID == pos[0]
		}
		if !found {
			return fmt.Errorf("no key %q (heed keys list shows them)", pos[0])
		}
		if err := store.RevokeAPIKey(ctx, pos[0]); err != nil {
			return err
		}
		audit(ctx, store, analytics.AuditEntry{Action: "key.revoke", Target: pos[0]}, stderr)
		fmt.Fprintf(stdout, "key %s revoked (running servers refuse it within 30 s)\n", pos[0])
		return nil
	}
	return errors.New(keysUsage)
}

// accountsCmd is `heed accounts add|list`.
func accountsCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return errors.New(accountsUsage)
	}
	fs := newFlags("heed accounts "+args[0], stderr)
	var url, name, role, public, addr string
	storeFlags(fs, &url)
	if args[0] == "add" {
		fs.StringVar(&role, "role", "", "admin, manager or viewer")
		fs.StringVar(&name, "name", "", "the person's name")
		fs.str(&public, "public-url", "HEED_PUBLIC_URL", "", "Heed's public URL, for the link (default http://<addr>)")
		fs.str(&addr, "addr", "HEED_ADDR", "127.0.0.1:8080", "Heed's address, for the link when --public-url is unset")
	}
	pos, err := parseAnywhere(fs, args[1:])
	if err != nil {
		return err
	}
	store, err := clickhouse.Open(url)
	if err != nil {
		return err
	}
	defer store.Close()
	accounts, err := store.LoadAccounts(ctx)
	if err != nil {
		return err
	}
	switch {
	case args[0] == "add" && len(pos) == 1:
		a, fields := server.NewAccount(pos[0], name, analytics.Role(role), cliActor)
		if len(fields) > 0 {
			var msgs []string
			for _, f := range slices.Sorted(maps.Keys(fields)) {
				msgs = append(msgs, f+" "+fields[f])
			}
			return errors.New(strings.Join(msgs, "; "))
		}
		for _, old := range accounts {
			if old.Email == a.Email {
				return fmt.Errorf("%s has an account already (%s)", a.Email, old.Role)
			}
		}
		if err := store.SaveAccount(ctx, a); err != nil {
			return err
		}
		link, err := server.SignInLink(ctx, store, publicURL(public, addr), a, server.InviteTTL)
		if err != nil {
			return err
		}
		audit(ctx, store, analytics.AuditEntry{Action: "account.invite", Target: a.Email, Detail: "role " + string(a.Role)}, stderr)
		fmt.Fprintf(stderr, "%s (%s) added; this link signs them in once, within 7 days (running servers know the account within 30 s):\n", a.Email, a.Role)
		fmt.Fprintln(stdout, link)
		return nil
	case args[0] == "list" && len(pos) == 0:
		w := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(w, "EMAIL\tNAME\tROLE\tPASSWORD\tINVITED BY\tCREATED")
		for _, a := range accounts {
			pw := "no"
			if a.HasPassword() {
				pw = "yes"
			}
			fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\n", a.Email, a.Name, a.Role, pw, a.InvitedBy, a.CreatedAt.Format(time.DateOnly))
		}
		return w.Flush()
	}
	return errors.New(accountsUsage)
}

// parseAnywhere parses flags placed before, between or after the
// positional arguments (Go's flag package stops at the first of those).
func parseAnywhere(fs *flags, args []string) ([]string, error) {
	var pos []string
	if err := fs.parse(args); err != nil {
		return nil, err
	}
	for rest := fs.Args(); len(rest) > 0; rest = fs.Args() {
		pos = append(pos, rest[0])
		if err := fs.Parse(rest[1:]); err != nil {
			return nil, err
		}
	}
	return pos, nil
}

func surveysExist(ctx context.Context, store *clickhouse.DB, ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	all, err := store.LoadSurveys(ctx)
	if err != nil {
		return err
	}
	known := map[string]bool{}
	for _, sv := range all {
		known[sv.ID] = true
	}
	for _, id := range ids {
		if !known[id] {
			return fmt.Errorf("--surveys: no survey %q", id)
		}
	}
	return nil
}

// audit records what the command line did; a failure is reported, not
// fatal (the change is made).
func audit(ctx context.Context, store analytics.AccountStore, e analytics.AuditEntry, stderr io.Writer) {
	e.Actor, e.At = cliActor, time.Now().UTC()
	if err := store.AppendAudit(ctx, []analytics.AuditEntry{e}); err != nil {
		fmt.Fprintf(stderr, "warning: audit entry not written: %v\n", err)
	}
}

// stopped notes, in an import's audit detail, that it ended on an error
// (the counts are what was done until then).
func stopped(err error) string {
	if err == nil {
		return ""
	}
	return "; stopped by an error"
}

func orAll(ids []string) string {
	if len(ids) == 0 {
		return "all"
	}
	return strings.Join(ids, ",")
}

func when(t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	return t.Format("2006-01-02 15:04")
}
