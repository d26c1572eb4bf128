package emails

import (
	"encoding/base64"
	"encoding/binary"
	"strings"
	"testing"
	"time"
)

const (
	keyA = "a:0123456789abcdef0123456789abcdef"
	keyB = "b:fedcba9876543210fedcba9876543210"
)

func testClaims(now time.Time) Claims {
	return Claims{SendID: "send-1", SurveyID: "demo", ContactID: "c0ffee", SentAt: now.Add(-time.Hour).Truncate(time.Second), Expires: now.Add(DefaultTokenTTL).Truncate(time.Second),
		SendStart: now.Add(-2 * time.Hour).Truncate(time.Second)}
}

// Links signed before the send's start was a claim (version 1) still
// verify, without one; a version 1 payload with a start appended does not.
func TestTokensOfVersion1(t *testing.T) {
	now := time.Now().UTC()
	s, err := NewSigner(keyA)
	if err != nil {
		t.Fatal(err)
	}
	c := testClaims(now)
	v1 := func(extra ...byte) string {
		p := []byte{1}
		for _, f := range []string{s.kid, c.SendID, c.SurveyID, c.ContactID} {
			p = binary.AppendUvarint(p, uint64(len(f)))
			p = append(p, f...)
		}
		p = binary.AppendVarint(p, c.SentAt.Unix())
		p = binary.AppendVarint(p, c.Expires.Unix())
		p = append(p, extra...)
		enc := base64.RawURLEncoding
		return enc.EncodeToString(p) + "." + enc.EncodeToString(s.mac(s.keys[s.kid], p))
	}
	got, err := s.Verify(v1(), now)
	want := c
	want.SendStart = time.Time{}
	if err != nil || got != want {
		t.Fatalf("version 1 token: %+v, %v; want %+v", got, err, want)
	}
	if _, err := s.Verify(v1(binary.AppendVarint(nil, c.SendStart.Unix())...), now); err != ErrTokenInvalid {
		t.Fatalf("version 1 token with a send start: %v, want ErrTokenInvalid", err)
	}
	if got, err := s.Verify(s.Sign(c), now); err != nil || got != c {
		t.Fatalf("version 2 round trip: %+v, %v; want %+v", got, err, c)
	}
}

func TestTokens(t *testing.T) {
	now := time.Now().UTC()
	signerA, err := NewSigner(keyA)
	if err != nil {
		t.Fatal(err)
	}
	rotated, _ := NewSigner(keyB + "," + keyA) // b signs now, a still verifies
	onlyB, _ := NewSigner(keyB)
	tok := signerA.Sign(testClaims(now))
	if strings.Trim(tok, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.") != "" {
		t.Fatalf("token has characters that are not URL-safe: %s", tok)
	}
	expired := signerA.Sign(Claims{SendID: "s", Expires: now.Add(-time.Second)})
	flip := func(s string, i int) string {
		b := []byte(s)
		if b[i] == 'A' {
			b[i] = 'B'
		} else {
			b[i] = 'A'
		}
		return string(b)
	}
	tests := []struct {
		name   string
		signer *Signer
		token  string
		want   error
	}{
		{"valid", signerA, tok, nil},
		{"old key after rotation", rotated, tok, nil},
		{"key removed", onlyB, tok, ErrTokenInvalid},
		{"expired", signerA, expired, ErrTokenExpired},
		{"tampered payload", signerA, flip(tok, 3), ErrTokenInvalid},
		{"tampered tag", signerA, flip(tok, len(tok)-2), ErrTokenInvalid},
		{"no dot", signerA, strings.Replace(tok, ".", "", 1), ErrTokenInvalid},
		{"empty", signerA, "", ErrTokenInvalid},
		{"garbage", signerA, "%%%.###", ErrTokenInvalid},
		{"huge", signerA, strings.Repeat("A", 5000) + ".x", ErrTokenInvalid},
	}
	for _, tt := range tests {
		c, err := tt.signer.Verify(tt.token, now)
		if err != tt.want {
			t.Errorf("%s: err = %v, want %v", tt.name, err, tt.want)
		}
		if err == nil && c != testClaims(now) {
			t.Errorf("%s: claims = %+v", tt.name, c)
		}
	}
	if got := rotated.Sign(testClaims(now)); got == tok {
		t.Error("rotation did not change the signing key")
	}
}

func TestNewSignerErrors(t *testing.T) {
	for _, spec := range []string{"", "nokey", "a:short", keyA + "," + keyA, ":0123456789abcdef0123456789abcdef"} {
		if _, err := NewSigner(spec); err == nil {
			t.Errorf("NewSigner(%q) accepted", spec)
		} else if strings.Contains(err.Error(), "0123456789abcdef") {
			t.Errorf("error leaks the secret: %v", err)
		}
	}
}

// FuzzVerify: no input makes Verify panic, and whatever verifies re-signs to
// the same token (one encoding per claims). `go test` runs the seeds.
func FuzzVerify(f *testing.F) {
	now := time.Unix(1_800_000_000, 0).UTC()
	s, _ := NewSigner(keyA)
	tok := s.Sign(testClaims(now))
	for _, seed := range []string{tok, "", ".", "a.b", tok + "x", tok[:len(tok)/2], strings.ToUpper(tok), "AQ.AAAAAAAAAAAAAAAAAAAAAA", "AQEBAQEBAQEB.AAAAAAAAAAAAAAAAAAAAAA"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, token string) {
		c, err := s.Verify(token, now)
		if err == nil && s.Sign(c) != token {
			t.Fatalf("verified %q but it re-signs as %q", token, s.Sign(c))
		}
	})
}
