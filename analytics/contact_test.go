package analytics

import (
	"strings"
	"testing"
)

func TestDeliverable(t *testing.T) {
	for addr, want := range map[string]bool{
		"ann@example.com": true, "a.b+tag@sub.example.co": true, "x@b": false, "a@localhost": false,
		"a@-b.c": false, "a@[1.2.3.4]": false, "ann@exa mple.com": false, "änn@example.com": false, "@example.com": false,
	} {
		if got := Deliverable(addr); got != want {
			t.Errorf("Deliverable(%q) = %v, want %v", addr, got, want)
		}
	}
}

// TestNormalizeContacts: the one normalisation the API and the CSV import
// share.
func TestNormalizeContacts(t *testing.T) {
	in := []ContactInput{
		{Email: "Ann <ANN@Example.com>", Properties: map[string]string{"plan": "pro"}},
		{Email: "bob@example.com", Name: "  Bob  "},
		{Email: "ann@example.com", Name: "Ann B.", Properties: map[string]string{"plan": "team"}}, // merged into the first
		{Email: "not an email"},
		{Email: "x@example.com", Properties: map[string]string{"": "empty key"}},
		{Email: "y@example.com", Name: strings.Repeat("é", MaxContactName+1)},
		{Email: "z@example.com", Properties: map[string]string{"bad\x00key": "v"}},
	}
	out, sum := NormalizeContacts(in, func(i int) int { return i + 2 }) // e.g. CSV lines
	if sum.Imported != 2 || sum.Duplicates != 1 || len(sum.Invalid) != 4 || len(out) != 2 {
		t.Fatalf("summary %+v, contacts %+v", sum, out)
	}
	ann := out[0]
	if ann.Email != "ann@example.com" || ann.Name != "Ann B." || ann.Properties["plan"] != "team" || ann.ContactID != ContactID("ANN@example.com ") {
		t.Errorf("merged contact %+v", ann)
	}
	if out[1].Name != "Bob" {
		t.Errorf("name not trimmed: %q", out[1].Name)
	}
	if sum.Invalid[0].Index != 5 || sum.Invalid[0].Error != "not an email address" {
		t.Errorf("first problem %+v", sum.Invalid[0])
	}
	// A name of exactly the limit in characters (more in bytes) is fine.
	if out, _ := NormalizeContacts([]ContactInput{{Email: "e@example.com", Name: strings.Repeat("é", MaxContactName)}}, func(i int) int { return i }); len(out) != 1 {
		t.Error("a name of 200 characters was refused")
	}
}
