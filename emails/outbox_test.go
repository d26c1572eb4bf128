package emails

import (
	"context"
	"path/filepath"
	"sort"
	"testing"

	"github.com/sendgrid/sendgrid-go/helpers/mail"
)

// TestOutboxForget: forgetting a person removes the outbox messages
// addressed to them (any case) and those naming one of their addresses or
// ids (an alert quoting their answer), ids matched whole; every other
// message stays, and an absent outbox is no error.
func TestOutboxForget(t *testing.T) {
	o := &Outbox{Dir: filepath.Join(t.TempDir(), "outbox")}
	if n, err := o.Forget([]string{"zelda@example.com"}, []string{"c0ffee"}); n != 0 || err != nil {
		t.Fatalf("empty outbox: %d, %v", n, err)
	}
	send := func(to, name, subject, text string, args map[string]string) {
		t.Helper()
		m := mail.NewV3Mail()
		m.SetFrom(mail.NewEmail("Heed", "heed@example.com"))
		m.Subject = subject
		m.AddContent(mail.NewContent("text/plain", text), mail.NewContent("text/html", "<p>"+text+"</p>"))
		p := mail.NewPersonalization()
		p.AddTos(mail.NewEmail(name, to))
		for k, v := range args {
			p.SetCustomArg(k, v)
		}
		m.AddPersonalizations(p)
		if err := o.Send(context.Background(), m); err != nil {
			t.Fatal(err)
		}
	}
	send("Zelda@Example.com", "Zelda Quux", "How likely...", "Hi Zelda, how likely...", map[string]string{"contact_id": "c0ffee"})
	send("bob@example.com", "Bob", "How likely...", "Hi Bob, how likely...", map[string]string{"contact_id": "b0b"})
	send("mo@example.com", "Mo", "Detractor: 2", "From ZELDA@example.com: the parcel was late", nil)
	send("mo@example.com", "Mo", "Detractor: 3", "From cust-zq-77: rude courier", nil)
	send("mo@example.com", "Mo", "Detractor: 4", "From cust-zq-777: another customer", nil)
	send("mo@example.com", "Mo", "Weekly digest", "12 answers, NPS 40", nil)

	n, err := o.Forget([]string{"zelda@example.com"}, []string{"c0ffee", "cust-zq-77"})
	if err != nil {
		t.Fatal(err)
	}
	if n != 3 {
		t.Errorf("removed %d messages, want 3", n)
	}
	msgs, err := o.List()
	if err != nil {
		t.Fatal(err)
	}
	var left []string
	for _, m := range msgs {
		left = append(left, m.To+" "+m.Subject)
	}
	sort.Strings(left)
	want := []string{"bob@example.com How likely...", "mo@example.com Detractor: 4", "mo@example.com Weekly digest"}
	if len(left) != len(want) {
		t.Fatalf("left %q, want %q", left, want)
	}
	for i := range want {
		if left[i] != want[i] {
			t.Fatalf("left %q, want %q", left, want)
		}
	}
}
