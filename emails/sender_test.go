package emails

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"heed/analytics"
)

// TestFromNameRefused: --from-name, the From name of alerts, digests and
// sign-in emails (and of survey emails without a sender_name), cannot
// carry an address or quoting: Heed does not start with one.
func TestFromNameRefused(t *testing.T) {
	for _, tt := range []struct {
		name string
		ok   bool
	}{
		{"Acme Support", true},
		{"", true},
		{`"Support" <x@bank.example>`, false},
		{"support@bank.example", false},
		{"Acme\r\nBcc: all@example.com", false},
	} {
		_, err := New(Config{PublicURL: "https://heed.example.com", FromEmail: "heed@example.com", FromName: tt.name, DataDir: t.TempDir()}, nil)
		if (err == nil) != tt.ok || (err != nil && !strings.Contains(err.Error(), "--from-name")) {
			t.Errorf("New with --from-name %q: %v, want ok %v", tt.name, err, tt.ok)
		}
	}
}

// TestSendFromName: what SendGrid is given as the From name of a survey
// email holds no address or quoting, even from a survey stored before
// sender_name was checked, or named like an address (a survey's name is
// the From name when it has no sender_name and --from-name is empty).
func TestSendFromName(t *testing.T) {
	si := newStandIn(t)
	f := newFixture(t, "heed_test_emails_from_name", 1, si)
	f.sends.From.Name = ""
	for i, tt := range []struct {
		sender, name, want string
	}{
		{`"Support" <x@bank.example>`, "Mail", "Support x bank.example"},
		{"", `Bank <security@bank.example>`, "Bank security bank.example"},
		{"Acme Support", "Mail", "Acme Support"},
	} {
		sv := *f.sv
		sv.ID, sv.SenderName, sv.Name = fmt.Sprint("mail", i), tt.sender, tt.name // a survey each: a contact is asked once per survey at a time
		if _, err := f.sends.Run(context.Background(), f.send(fmt.Sprint("s", i), analytics.ContactFilter{}), &sv, analytics.KindInitial, false, nil); err != nil {
			t.Fatal(err)
		}
		if n := si.requests(); n != i+1 {
			t.Fatalf("%d requests after %d sends", n, i+1)
		}
		from := si.bodies[i]["from"].(map[string]any)
		if from["name"] != tt.want || from["email"] != "support@acme.example" {
			t.Errorf("sender %q, survey %q: SendGrid got from %v, want name %q", tt.sender, tt.name, from, tt.want)
		}
	}
}
