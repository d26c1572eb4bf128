package main

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"testing"

	sgmail "github.com/sendgrid/sendgrid-go/helpers/mail"

	"heed/analytics"
	"heed/analytics/clickhouse/chtest"
	"heed/emails"
)

// TestPeopleForgetCmd: `heed people forget` forgets a person in the store
// and in the outbox of its --data-dir (mail written without a SendGrid
// key), where the other messages stay.
func TestPeopleForgetCmd(t *testing.T) {
	name := "heed_test_cmd_people"
	db := chtest.Open(t, name)
	ctx := context.Background()
	dir := t.TempDir()
	if err := db.UpsertContacts(ctx, []analytics.Contact{{ContactID: analytics.ContactID("ann@example.com"), Email: "ann@example.com", Name: "Ann"}}); err != nil {
		t.Fatal(err)
	}
	outbox := &emails.Outbox{Dir: filepath.Join(dir, "outbox")}
	for _, to := range []string{"ANN@example.com", "bob@example.com"} {
		if err := outbox.Send(ctx, sgmail.NewSingleEmail(sgmail.NewEmail("Heed", "heed@example.com"), "How likely", sgmail.NewEmail("", to), "Hi", "<p>Hi</p>")); err != nil {
			t.Fatal(err)
		}
	}
	var out, errOut bytes.Buffer
	args := []string{"people", "forget", "--clickhouse-url", chtest.URL(name), "--data-dir", dir, "--erasure-key", "cmd-test-erasure-key-0123", "ann@example.com"}
	if err := run(ctx, args, &out, &errOut); err != nil {
		t.Fatalf("%v\n%s", err, errOut.String())
	}
	var sum analytics.ForgetSummary
	if err := json.Unmarshal(out.Bytes(), &sum); err != nil || sum.Removed["contacts"] != 1 || sum.Removed["outbox"] != 1 {
		t.Errorf("summary %s (%v)", out.String(), err)
	}
	msgs, err := outbox.List()
	if err != nil || len(msgs) != 1 || msgs[0].To != "bob@example.com" {
		t.Errorf("outbox after forgetting Ann: %+v, %v", msgs, err)
	}
}
