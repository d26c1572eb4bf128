package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"heed/analytics"
	"heed/analytics/clickhouse/chtest"
)

// TestChurnImport runs `heed churn import` as a manager would: valid lines
// are stored, refused ones listed with their line numbers (the header is
// line 1), a customer met twice counts once, and a second run replaces.
func TestChurnImport(t *testing.T) {
	name := "heed_test_cmd_churn"
	db := chtest.Open(t, name)
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "churn.csv")
	os.WriteFile(path, []byte("\ufeffEmail,respondent,churned_at,reason,revenue\n"+
		"ann@example.com,,2026-03-01,\"rude agent, twice\",49.90\n"+ // 2
		",cust-7,2026-03-02T10:00:00Z,,\n"+ // 3
		"bob@example.com,cust-8,2026-03-01,,\n"+ // 4: both
		"carol@example.com,,01/03/2026,,\n"+ // 5: bad date
		"dan@example.com,,2026-03-01,,€12\n"+ // 6: bad revenue
		",,2026-03-01,,\n"+ // 7: nobody
		"ANN@example.com,,2026-03-05,moved,\n"+ // 8: Ann again: replaces line 2
		"erin@example.com,,2026-03-01,,-3\n"+ // 9: negative
		"\"broken,quote\n"), 0o600) // 10
	var out, errOut bytes.Buffer
	args := []string{"churn", "import", "--quiet", "--clickhouse-url", chtest.URL(name), path}
	if err := run(ctx, args, &out, &errOut); err != nil {
		t.Fatalf("%v\n%s", err, errOut.String())
	}
	got := out.String()
	for _, want := range []string{
		"imported 2 churned customers: 2 new, 0 replaced; merged 1 duplicate rows; 6 lines refused\n",
		`  line 4: respondent: give email or respondent, not both ("bob@example.com / cust-8")`,
		`  line 5: churned_at: must be RFC 3339`,
		`  line 6: revenue: must be a number such as 49.90`,
		`  line 7: email: give email or respondent ("")`,
		`  line 9: revenue: must be a number from 0`,
		`  line 10: line: `,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("summary lacks %q:\n%s", want, got)
		}
	}
	if strings.Index(got, "line 4:") > strings.Index(got, "line 9:") {
		t.Errorf("refused lines out of order:\n%s", got)
	}
	ann := analytics.ContactID("ann@example.com")
	recorded, err := db.ChurnRecorded(ctx, []string{ann, "cust-7", "cust-8", analytics.ContactID("bob@example.com"), analytics.ContactID("dan@example.com")})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(recorded, map[string]bool{ann: true, "cust-7": true}) {
		t.Fatalf("stored %v, want Ann and cust-7", recorded)
	}
	out.Reset()
	if err := run(ctx, args, &out, &errOut); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "imported 2 churned customers: 0 new, 2 replaced") {
		t.Errorf("second import:\n%s", out.String())
	}

	// Files the command refuses as a whole.
	for _, tt := range []struct{ name, body, err string }{
		{"no header", "", "header row"},
		{"unknown column", "email,churned_at,plan\n", `unknown column "plan"`},
		{"no churned_at", "email,reason\n", "needs churned_at"},
		{"no customer column", "churned_at,revenue\n", "email or respondent"},
		{"a column twice", "email,churned_at,email\n", "twice"},
	} {
		p := filepath.Join(dir, "bad.csv")
		os.WriteFile(p, []byte(tt.body), 0o600)
		err := run(ctx, []string{"churn", "import", "--quiet", "--clickhouse-url", chtest.URL(name), p}, &out, &errOut)
		if err == nil || !strings.Contains(err.Error(), tt.err) {
			t.Errorf("%s: %v, want an error with %q", tt.name, err, tt.err)
		}
	}
	if err := run(ctx, []string{"churn", "export"}, &out, &errOut); err == nil || !strings.Contains(err.Error(), "usage") {
		t.Errorf("churn export: %v", err)
	}
}
