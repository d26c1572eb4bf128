package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"heed/analytics"
	"heed/analytics/clickhouse/chtest"
)

// TestCommandsAudited: the commands that change data write the audit log
// as "cli", with counts and no personal data; a dry run writes nothing.
func TestCommandsAudited(t *testing.T) {
	name := "heed_test_cmd_audit"
	db := chtest.Open(t, name)
	ctx := context.Background()
	dir := t.TempDir()
	t.Setenv("SENDGRID_API_KEY", "")
	t.Setenv("HEED_SIGNING_KEYS", "")
	url := chtest.URL(name)
	now := time.Now().UTC()
	if err := analytics.NewSurveys(db).Save(ctx, &analytics.Survey{ID: "cli", Name: "CLI", Question: analytics.DefaultQuestion,
		Widget: analytics.DefaultWidgetSettings(), CreatedAt: now, UpdatedAt: now}); err != nil {
		t.Fatal(err)
	}
	file := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	contacts := file("contacts.csv", "email,name\nann@example.com,Ann\nbob@example.com,Bob\nnope,Nope\n")
	churn := file("churn.csv", "email,churned_at,reason\nann@example.com,2026-03-01,too dear\n")
	answers := file("answers.csv", "score,created_at,comment\n9,2025-05-01T10:00:00Z,great stuff\nx,2025-05-02,bad\n")
	send := []string{"send", "--quiet", "--clickhouse-url", url, "--data-dir", dir, "--public-url", "https://heed.example.com", "--survey", "cli"}
	for _, tc := range []struct {
		args           []string
		action, target string
		detail         string // "": no entry (a dry run)
	}{
		{[]string{"contacts", "import", "--quiet", "--clickhouse-url", url, contacts}, "contact.import", "", "cli: 2 new, 0 updated, 0 duplicates, 1 invalid"},
		{[]string{"churn", "import", "--quiet", "--clickhouse-url", url, churn}, "churn.import", "", "cli: 1 new, 0 replaced, 0 duplicates, 0 refused"},
		{[]string{"import", "csv", answers, "--survey", "cli", "--quiet", "--clickhouse-url", url, "--map", "score=score,created_at=created_at,comment=comment"},
			"answers.import", "cli", "csv: 1 new, 0 already imported, 0 duplicates, 1 refused"},
		{append(send, "--dry-run"), "send.start", "cli", ""},
		{append(send, "--send-id", "cli-1"), "send.start", "cli", "send cli-1"},
	} {
		var out, errOut bytes.Buffer
		if err := run(ctx, tc.args, &out, &errOut); err != nil {
			t.Fatalf("%v: %v\n%s", tc.args, err, errOut.String())
		}
		entries, err := db.Audit(ctx, analytics.AuditQuery{Action: tc.action, Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		if tc.detail == "" {
			if len(entries) != 0 {
				t.Errorf("%v: entries %+v, want none", tc.args, entries)
			}
			continue
		}
		if len(entries) != 1 {
			t.Fatalf("%v: entries %+v, want one %s", tc.args, entries, tc.action)
		}
		e := entries[0]
		if e.Actor != "cli" || e.Target != tc.target || e.Detail != tc.detail {
			t.Errorf("%v: entry %+v, want actor cli, target %q, detail %q", tc.args, e, tc.target, tc.detail)
		}
		for _, secret := range []string{"ann@", "bob@", "Ann", "too dear", "great stuff"} {
			if strings.Contains(e.Target+e.Detail, secret) {
				t.Errorf("%s holds %q: %+v", tc.action, secret, e)
			}
		}
	}
}
