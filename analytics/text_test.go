package analytics

import (
	"strings"
	"testing"
	"time"
)

func TestCleanText(t *testing.T) {
	tests := []struct {
		name, in, text, line string
	}{
		{"plain", "Nobody helped me", "Nobody helped me", "Nobody helped me"},
		{"accents and CJK kept", "très 中文 😀", "très 中文 😀", "très 中文 😀"},
		{"newline and tab kept in text", "a\nb\tc", "a\nb\tc", "a b c"},
		{"CR LF and CR", "a\r\nb\rc", "a\nb\nc", "a b c"},
		{"NUL", "a\x00b", "ab", "ab"},
		{"ANSI escape", "\x1b[31mred\x1b[0m", "[31mred[0m", "[31mred[0m"},
		{"DEL and C1", "a\x7fb\u0085c\u009bd", "abcd", "abcd"},
		{"bidi overrides", "a\u202ab\u202bc\u202cd\u202de\u202ef", "abcdef", "abcdef"},
		{"bidi isolates", "a\u2066b\u2067c\u2068d\u2069e", "abcde", "abcde"},
		{"marks LRM RLM kept", "a\u200eb\u200fc", "a\u200eb\u200fc", "a\u200eb\u200fc"},
		{"invalid UTF-8", "a\xffb", "a\uFFFDb", "a\uFFFDb"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := CleanText(tt.in); got != tt.text {
				t.Errorf("CleanText(%q) = %q, want %q", tt.in, got, tt.text)
			}
			if got := CleanLine(tt.in); got != tt.line {
				t.Errorf("CleanLine(%q) = %q, want %q", tt.in, got, tt.line)
			}
		})
	}
}

func TestHasControl(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want bool
	}{
		{"cust_42", false}, {strings.Repeat("é", 150), false}, {"中文", false}, {"", false},
		{"a\tb", true}, {"a\nb", true}, {"a\x00", true}, {"\x1b[2J", true}, {"a\u202eb", true},
		{"a\u2066b", true}, {"a\u0085", true}, {"a\x7f", true}, {"\xff", true},
	} {
		if got := HasControl(tt.in); got != tt.want {
			t.Errorf("HasControl(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

// TestLengthsCountCharacters: every limit counts characters, so 2-byte
// and 3-byte characters fit as many as ASCII ones.
func TestLengthsCountCharacters(t *testing.T) {
	for _, tt := range []struct {
		name string
		ok   bool
		f    func() bool // true when accepted
	}{
		{"key of 100 中", true, func() bool { return ValidPropertyKey(strings.Repeat("中", 100)) }},
		{"key of 101 中", false, func() bool { return ValidPropertyKey(strings.Repeat("中", 101)) }},
		{"value of 500 é", true, func() bool { return ValidPropertyValue(strings.Repeat("é", 500)) }},
		{"value of 501 é", false, func() bool { return ValidPropertyValue(strings.Repeat("é", 501)) }},
		{"respondent of 200 é", true, func() bool { return !TooLong(strings.Repeat("é", 200), MaxRespondent) }},
		{"respondent of 201 é", false, func() bool { return !TooLong(strings.Repeat("é", 201), MaxRespondent) }},
		{"comment of 2000 😀", true, func() bool { return !TooLong(strings.Repeat("😀", 2000), MaxComment) }},
	} {
		if got := tt.f(); got != tt.ok {
			t.Errorf("%s: accepted %v, want %v", tt.name, got, tt.ok)
		}
	}
}

// TestChurnReasonCleaned: a churn reason is free text (cleaned); a
// respondent is an id (refused).
func TestChurnReasonCleaned(t *testing.T) {
	now := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	out, sum := NormalizeChurn([]ChurnInput{
		{Respondent: "c1", ChurnedAt: "2026-02-01", Reason: "too\x00 expensive\u202e\x1b[0m"},
		{Respondent: "c\u20662", ChurnedAt: "2026-02-01"},
	}, func(i int) int { return i }, now)
	if len(out) != 1 || out[0].Reason != "too expensive[0m" {
		t.Errorf("records %+v", out)
	}
	if len(sum.Invalid) != 1 || sum.Invalid[0].Field != "respondent" {
		t.Errorf("invalid %+v", sum.Invalid)
	}
}
