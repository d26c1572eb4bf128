package analytics

import "testing"

// TestSenderName: a sender name is a display name only: nothing in it can
// read as an address or end the quoting a mail client shows, so an email
// cannot look as if it came from someone else.
func TestSenderName(t *testing.T) {
	tests := []struct {
		name, in string
		ok       bool
		from     string // FromName
	}{
		{"plain", "Acme Support", true, "Acme Support"},
		{"accents and punctuation", "Café Zoë (Support), Inc. – 24/7!", true, "Café Zoë (Support), Inc. – 24/7!"},
		{"empty", "", true, ""},
		{"an address in angle brackets", `"Support" <x@bank.example>`, false, "Support x bank.example"},
		{"a bare address", "support@bank.example", false, "support bank.example"},
		{"angle brackets", "Acme <Support>", false, "Acme Support"},
		{"a quote", `Acme "Support`, false, "Acme Support"},
		{"a line break", "Ann\r\nBcc: all@example.com", false, "Ann Bcc: all example.com"},
		{"a tab", "Ann\tSupport", false, "Ann Support"},
		{"a bidi override", "Ann\u202eX", false, "AnnX"},
		{"a NUL", "Ann\x00", false, "Ann"},
		{"only forbidden", `<@">`, false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			msg := CheckSenderName(tt.in)
			if (msg == "") != tt.ok {
				t.Errorf("CheckSenderName(%q) = %q, want ok %v", tt.in, msg, tt.ok)
			}
			if got := FromName(tt.in); got != tt.from {
				t.Errorf("FromName(%q) = %q, want %q", tt.in, got, tt.from)
			}
			if got := FromName(tt.in); CheckSenderName(got) != "" {
				t.Errorf("FromName(%q) = %q, which CheckSenderName refuses", tt.in, got)
			}
		})
	}
}
