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

// TestContactsImportAndSend runs `heed contacts import` and `heed send` as a
// person would, with the local outbox standing in for SendGrid.
func TestContactsImportAndSend(t *testing.T) {
	name := "heed_test_cmd_email"
	db := chtest.Open(t, name)
	ctx := context.Background()
	dir := t.TempDir()
	t.Setenv("SENDGRID_API_KEY", "")
	t.Setenv("HEED_SIGNING_KEYS", "")
	csvPath := filepath.Join(dir, "contacts.csv")
	os.WriteFile(csvPath, []byte("\ufeffemail,name,plan,country\n"+
		"ann@example.com,Ann,pro,FR\n"+
		"BOB@example.com,Bob,free,DE\n"+
		"not-an-email,Nope,pro,FR\n"+
		"ann@example.com,Ann Again,pro,FR\n"+
		"\"broken,quote,pro\n"), 0o600)
	var out, errOut bytes.Buffer
	url := chtest.URL(name)
	if err := run(ctx, []string{"contacts", "import", "--quiet", "--clickhouse-url", url, csvPath}, &out, &errOut); err != nil {
		t.Fatalf("%v\n%s", err, errOut.String())
	}
	if !strings.Contains(out.String(), "imported 2 new, updated 0, merged 1 duplicate rows, 2 invalid") || !strings.Contains(out.String(), "line 4: not an email address") {
		t.Fatalf("import summary:\n%s", out.String())
	}
	// Importing again updates.
	out.Reset()
	run(ctx, []string{"contacts", "import", "--quiet", "--clickhouse-url", url, csvPath}, &out, &errOut)
	if !strings.Contains(out.String(), "imported 0 new, updated 2") {
		t.Fatalf("second import:\n%s", out.String())
	}

	now := time.Now().UTC()
	sv := &analytics.Survey{ID: "cli", Name: "CLI", Question: analytics.DefaultQuestion, Widget: analytics.DefaultWidgetSettings(), CreatedAt: now, UpdatedAt: now}
	if err := analytics.NewSurveys(db).Save(ctx, sv); err != nil {
		t.Fatal(err)
	}
	common := []string{"send", "--quiet", "--clickhouse-url", url, "--data-dir", dir, "--public-url", "https://heed.example.com", "--survey", "cli"}
	out.Reset()
	if err := run(ctx, append(common, "--where", "plan=pro", "--dry-run"), &out, &errOut); err != nil {
		t.Fatalf("%v\n%s", err, errOut.String())
	}
	if !strings.Contains(out.String(), "would email 1 of 1 selected") {
		t.Fatalf("dry run:\n%s", out.String())
	}
	for i, want := range []string{"emailed 2 of 2 selected", "emailed 0 of 2 selected; already done 2"} {
		out.Reset()
		if err := run(ctx, common, &out, &errOut); err != nil {
			t.Fatalf("run %d: %v\n%s", i, err, errOut.String())
		}
		if !strings.Contains(out.String(), want) {
			t.Fatalf("run %d:\n%s", i, out.String())
		}
	}
	msgs, _ := filepath.Glob(filepath.Join(dir, "outbox", "*.json"))
	if len(msgs) != 2 {
		t.Fatalf("outbox has %d messages, want 2", len(msgs))
	}
	b, _ := os.ReadFile(msgs[0])
	if !strings.Contains(string(b), "https://heed.example.com/r/") {
		t.Fatalf("message lacks its links: %.300s", b)
	}
	if err := run(ctx, []string{"send", "--clickhouse-url", url}, &out, &errOut); err == nil {
		t.Fatal("send without --survey accepted")
	}
}

// TestSendRefusesAnotherSurveysSendID: `heed send` shares the API's path to
// create or resume a send (emails.Sends.Open), so a send id that belongs to
// another survey is refused, never resumed with the wrong survey's
// contacts. (The API's half is server.TestSendIDOfAnotherSurvey.)
func TestSendRefusesAnotherSurveysSendID(t *testing.T) {
	name := "heed_test_cmd_sendid"
	db := chtest.Open(t, name)
	ctx := context.Background()
	t.Setenv("SENDGRID_API_KEY", "")
	t.Setenv("HEED_SIGNING_KEYS", "")
	now := time.Now().UTC()
	for _, id := range []string{"first", "second"} {
		sv := &analytics.Survey{ID: id, Name: id, Question: analytics.DefaultQuestion, Widget: analytics.DefaultWidgetSettings(), CreatedAt: now, UpdatedAt: now}
		if err := analytics.NewSurveys(db).Save(ctx, sv); err != nil {
			t.Fatal(err)
		}
	}
	dir := t.TempDir()
	common := []string{"send", "--quiet", "--clickhouse-url", chtest.URL(name), "--data-dir", dir, "--send-id", "spring"}
	var out, errOut bytes.Buffer
	if err := run(ctx, append(common, "--survey", "first"), &out, &errOut); err != nil {
		t.Fatalf("%v\n%s", err, errOut.String())
	}
	for _, extra := range [][]string{{"--survey", "second"}, {"--survey", "second", "--dry-run"}} {
		err := run(ctx, append(common, extra...), &out, &errOut)
		if err == nil || !strings.Contains(err.Error(), "belongs to another survey") {
			t.Errorf("%v: %v", extra, err)
		}
	}
	if send, err := db.GetSend(ctx, "spring"); err != nil || send.SurveyID != "first" {
		t.Fatalf("send spring = %+v, %v; want it still of survey first", send, err)
	}
}
