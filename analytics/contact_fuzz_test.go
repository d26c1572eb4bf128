package analytics

import (
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

// checkContact fails t unless c is a contact as NormalizeContacts must make
// it: a deliverable lower-case address, its id, a trimmed name of at most
// MaxContactName characters, valid properties.
func checkContact(t *testing.T, c Contact) {
	t.Helper()
	switch {
	case !Deliverable(c.Email):
		t.Fatalf("kept an undeliverable address %q", c.Email)
	case c.Email != strings.ToLower(c.Email):
		t.Fatalf("address %q is not lower-cased", c.Email)
	case c.ContactID != ContactID(c.Email):
		t.Fatalf("contact %q has id %q, want %q", c.Email, c.ContactID, ContactID(c.Email))
	case utf8.RuneCountInString(c.Name) > MaxContactName:
		t.Fatalf("name of %d characters kept", utf8.RuneCountInString(c.Name))
	case c.Name != strings.TrimSpace(c.Name):
		t.Fatalf("name %q is not trimmed", c.Name)
	case CheckProperties(c.Properties) != "":
		t.Fatalf("invalid properties kept: %s", CheckProperties(c.Properties))
	}
}

// FuzzNormalizeContacts: NormalizeContacts never panics; every input is
// either kept (as a new contact or merged into an earlier one of the same
// address) or refused with its index; what it keeps is valid, one contact
// per address; and normalising its output again changes nothing
// (idempotent: no refusal, no merge, the same contacts).
func FuzzNormalizeContacts(f *testing.F) {
	f.Add("Ann <ANN@Example.com>", "", "ann@example.com", "Ann B", "plan", "pro")
	f.Add(`"  Ann  " <ann@example.com>`, " ", "bob@example.co.uk", "Bob", "", "")
	f.Add("=?utf-8?q?J=C3=BCrgen?= <j@example.de>", "", "not an address", "x", "k\x00", "v")
	f.Add("a@b", "", "a@-b.c", "", "plan", strings.Repeat("v", 501))
	f.Add("ann@example.com", strings.Repeat("n", 201), "\tBOB@EXAMPLE.COM ", "", "p", "v")
	f.Add("ann (comment) @example.com", "", "<ann@example.com>", "", strings.Repeat("k", 101), "v")
	f.Add("x@[1.2.3.4]", "", "änn@example.com", "", "a", "b")
	f.Fuzz(func(t *testing.T, email1, name1, email2, name2, key, value string) {
		props := map[string]string{key: value}
		in := []ContactInput{
			{Email: email1, Name: name1, Properties: props},
			{Email: email2, Name: name2},
			{Email: strings.ToUpper(email1), Name: name2},
			{Email: email2, Name: name1, Properties: props},
		}
		out, sum := NormalizeContacts(in, func(i int) int { return 10 + i })
		if sum.Imported != len(out) {
			t.Fatalf("summary says %d imported, %d returned", sum.Imported, len(out))
		}
		if got := len(out) + sum.Duplicates + len(sum.Invalid); got != len(in) {
			t.Fatalf("%d kept + %d merged + %d refused != %d inputs", len(out), sum.Duplicates, len(sum.Invalid), len(in))
		}
		for _, p := range sum.Invalid {
			if p.Index < 10 || p.Index >= 10+len(in) || p.Email != in[p.Index-10].Email || p.Error == "" {
				t.Fatalf("refusal %+v does not name its input", p)
			}
		}
		seen := map[string]bool{}
		for _, c := range out {
			checkContact(t, c)
			if seen[c.Email] {
				t.Fatalf("address %q kept twice", c.Email)
			}
			seen[c.Email] = true
		}
		again := make([]ContactInput, len(out))
		for i, c := range out {
			again[i] = ContactInput{Email: c.Email, Name: c.Name, Properties: c.Properties}
		}
		out2, sum2 := NormalizeContacts(again, func(i int) int { return i })
		if len(sum2.Invalid) != 0 || sum2.Duplicates != 0 || !reflect.DeepEqual(out2, out) {
			t.Fatalf("not idempotent:\n first %+v\nsecond %+v (%+v)", out, out2, sum2)
		}
	})
}
