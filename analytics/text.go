package analytics

import (
	"strings"
	"unicode/utf8"
)

// Text rules, the same for every field Heed stores (answers, contacts,
// churn records, cases, surveys) and every filter that reads them back:
//
//   - lengths count characters (Unicode code points, "é" and "中" are one
//     each), never bytes, so a value accepted when written is accepted as a
//     filter (TooLong);
//   - free text (comments, notes, names, labels) is cleaned, not refused:
//     the control characters below are removed, CR LF and a lone CR become
//     a newline, and invalid UTF-8 becomes U+FFFD (CleanText, CleanLine);
//   - identifiers (respondent ids, property names and values, assignees)
//     are refused (422) when they hold any of them, tab and newline
//     included, or invalid UTF-8 (HasControl): an id that was changed on
//     the way in would no longer match the caller's own.
//
// The characters are the C0 and C1 control characters and DEL (NUL and the
// ESC of ANSI terminal escapes among them) but tab and newline, and the
// bidirectional embedding, override and isolate controls U+202A-U+202E and
// U+2066-U+2069, which make text display in another order than it is
// stored ("Trojan Source"): a comment must read in the dashboard as it was
// written, and a CSV or a terminal must not be steered by it.

// unsafeRune reports whether r is one of the characters above (tab and
// newline are judged by the caller).
func unsafeRune(r rune) bool {
	return r < 0x20 || (r >= 0x7f && r <= 0x9f) || (r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069)
}

// HasControl reports whether an identifier holds a character Heed refuses
// in one: a control or bidi character (tab and newline included) or
// invalid UTF-8.
func HasControl(s string) bool {
	for i := 0; i < len(s); i++ {
		if b := s[i]; b < 0x20 || b == 0x7f || b >= 0x80 {
			// Only then look closer: most ids are plain ASCII.
			return !utf8.ValidString(s) || strings.ContainsFunc(s, unsafeRune)
		}
	}
	return false
}

// CleanText returns free text as Heed stores it: CR LF and a lone CR as a
// newline, the control and bidi characters of the rules above removed
// (tab and newline kept), invalid UTF-8 as U+FFFD.
func CleanText(s string) string {
	if !needsCleaning(s, true) {
		return s
	}
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.ReplaceAll(s, "\r\n", "\n")
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\r':
			return '\n'
		case r == '\n' || r == '\t':
			return r
		case unsafeRune(r):
			return -1
		}
		return r
	}, s)
}

// CleanLine is CleanText for one-line text (a name, a label): line breaks
// and tabs become spaces as well.
func CleanLine(s string) string {
	if !needsCleaning(s, false) {
		return s
	}
	return strings.Map(func(r rune) rune {
		if r == '\n' || r == '\t' {
			return ' '
		}
		return r
	}, CleanText(s))
}

// needsCleaning is the fast path: plain text passes untouched.
func needsCleaning(s string, keepBreaks bool) bool {
	for i := 0; i < len(s); i++ {
		b := s[i]
		switch {
		case b >= 0x80:
			return !utf8.ValidString(s) || strings.ContainsFunc(s[i:], unsafeRune)
		case (b == '\n' || b == '\t') && keepBreaks:
		case b < 0x20 || b == 0x7f:
			return true
		}
	}
	return false
}
