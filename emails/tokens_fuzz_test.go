package emails

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// Fuzz targets of the signed link tokens. `go test` runs their seeds (the
// f.Add calls and testdata/fuzz/<Name>/); `make fuzz` explores.

// fuzzSigners are a signer, the same key id with another secret (a forger
// who knows the format and the kid, not the key), and another key id.
func fuzzSigners(tb testing.TB) (s, forger, other *Signer) {
	tb.Helper()
	var err error
	if s, err = NewSigner(keyA); err != nil {
		tb.Fatal(err)
	}
	if forger, err = NewSigner("a:" + strings.Repeat("x", 32)); err != nil {
		tb.Fatal(err)
	}
	if other, err = NewSigner(keyB); err != nil {
		tb.Fatal(err)
	}
	return s, forger, other
}

// FuzzTokenVerify: Verify on any string never panics and fails with one of
// its two errors; a token it accepts (even expired: the signature held) is
// the one encoding of its claims (it re-signs to itself, so no altered
// spelling of a token verifies), and neither a key with the same id but
// another secret nor another key accepts it.
func FuzzTokenVerify(f *testing.F) {
	now := time.Unix(1_800_000_000, 0).UTC()
	s, forger, other := fuzzSigners(f)
	tok := s.Sign(testClaims(now))
	old := s.Sign(Claims{SendID: "s", SurveyID: "v", ContactID: "c", SentAt: now.Add(-48 * time.Hour), Expires: now.Add(-time.Hour)})
	for _, seed := range []string{tok, old, "", ".", "..", "a.b", tok + "x", tok + "=", tok[:len(tok)/2], strings.ToUpper(tok),
		strings.Replace(tok, ".", "..", 1), forger.Sign(testClaims(now)), other.Sign(testClaims(now)),
		"AQ.AAAAAAAAAAAAAAAAAAAAAA", "AQEBAQEBAQEB.AAAAAAAAAAAAAAAAAAAAAA", "AQFh.AAAAAAAAAAAAAAAAAAAAAA",
		strings.Repeat("A", maxTokenLen) + "." + strings.Repeat("A", 22)} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, token string) {
		c, err := s.Verify(token, now)
		if err != nil && err != ErrTokenInvalid && err != ErrTokenExpired {
			t.Fatalf("Verify(%q): unexpected error %v", token, err)
		}
		if err == ErrTokenInvalid {
			if c != (Claims{}) {
				t.Fatalf("Verify(%q) refused the token but returned claims %+v", token, c)
			}
			return
		}
		// The signature held: the token must be exactly what Sign makes of
		// its claims, and only the right key may say so.
		if again := s.Sign(c); again != token {
			t.Fatalf("Verify accepted %q, but its claims sign as %q: an altered token verifies", token, again)
		}
		if err == nil && !now.Before(c.Expires) {
			t.Fatalf("Verify accepted %q although it expired at %v", token, c.Expires)
		}
		for _, o := range []*Signer{forger, other} {
			if _, err := o.Verify(token, now); err != ErrTokenInvalid {
				t.Fatalf("a signer with another key verified %q: %v", token, err)
			}
		}
	})
}

// FuzzTokenRoundTrip: Sign then Verify gives back the claims exactly
// (times to the second, in UTC), or ErrTokenExpired once expired, or
// ErrTokenInvalid for a token longer than Verify reads; changing any one
// byte of a signed token makes it invalid; a forger's token of the same
// claims is refused.
func FuzzTokenRoundTrip(f *testing.F) {
	f.Add("send-1", "demo", "c0ffee", int64(1_800_000_000), int64(1_802_592_000), 0, byte('A'))
	f.Add("", "", "", int64(0), int64(1), 5, byte('.'))
	f.Add("s", "ü\x00\xff", "line\nbreak", int64(-1), int64(-62135596800), 1000, byte('_'))
	f.Add(strings.Repeat("x", 300), strings.Repeat("y", 300), strings.Repeat("z", 300), int64(1<<40), int64(1<<62), -7, byte('-'))
	f.Add("a", "b", "c", int64(-1<<63), int64(1<<63-1), 9, byte('B'))
	f.Fuzz(func(t *testing.T, sendID, surveyID, contactID string, sent, exp int64, pos int, b byte) {
		s, forger, _ := fuzzSigners(t)
		want := Claims{SendID: sendID, SurveyID: surveyID, ContactID: contactID,
			SentAt: time.Unix(sent, 0).UTC(), Expires: time.Unix(exp, 0).UTC(), SendStart: time.Unix(sent/2, 0).UTC()}
		tok := s.Sign(want)
		if strings.Trim(tok, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.") != "" {
			t.Fatalf("token %q has characters that are not URL-safe", tok)
		}
		now := want.Expires.Add(-time.Second)
		if exp%2 == 0 {
			now = want.Expires // the instant it expires
		}
		got, err := s.Verify(tok, now)
		switch {
		case len(tok) > maxTokenLen:
			if err != ErrTokenInvalid {
				t.Fatalf("a %d-byte token: err %v, want ErrTokenInvalid", len(tok), err)
			}
			return
		case err == ErrTokenInvalid:
			t.Fatalf("Verify refused a token Sign just made: %q", tok)
		case got != want || !got.SentAt.Equal(want.SentAt) || !got.Expires.Equal(want.Expires):
			t.Fatalf("round trip: got %+v, want %+v", got, want)
		case now.Before(want.Expires) != (err == nil):
			t.Fatalf("now %v, expires %v: err %v", now, want.Expires, err)
		case err != nil && err != ErrTokenExpired:
			t.Fatalf("unexpected error %v", err)
		}
		// One byte changed, anywhere: refused.
		i := pos % len(tok)
		if i < 0 {
			i += len(tok)
		}
		if tok[i] != b {
			bad := tok[:i] + string([]byte{b}) + tok[i+1:]
			if c, err := s.Verify(bad, now); !errors.Is(err, ErrTokenInvalid) {
				t.Fatalf("changing byte %d of %q to %q gave %q, which verifies (%v, %+v)", i, tok, b, bad, err, c)
			}
		}
		if _, err := s.Verify(forger.Sign(want), now); err != ErrTokenInvalid {
			t.Fatalf("a token signed with another secret under the same key id verified: %v", err)
		}
	})
}
