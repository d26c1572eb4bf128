package emails

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Signed links: every survey email carries one token per recipient, used in
// its score links (/r/{token}?s=N) and its unsubscribe link (/u/{token}).
//
//	token   = base64url(payload) "." base64url(HMAC-SHA256(key, payload)[:16])
//	payload = 2 | kid | send id | survey id | contact id | sent at | expiry | send start
//
// Strings are uvarint-length-prefixed, times are varint Unix seconds.
// Tokens of version 1 (before send start was signed) have no send start
// and still verify. The key
// id lets keys rotate: HEED_SIGNING_KEYS lists "kid:secret" pairs, the first
// signs and all verify. Only URL-safe characters appear, so the token can be
// put in a link unescaped (SendGrid substitutes it into the email as is).

// Token errors; both are the reader's fault, never a server error.
var (
	ErrTokenInvalid = errors.New("invalid link")
	ErrTokenExpired = errors.New("expired link")
)

// DefaultTokenTTL is how long an emailed link works.
const DefaultTokenTTL = 30 * 24 * time.Hour

const (
	tokenVersion = 2
	macBytes     = 16 // 128-bit tag: ample for links, keeps URLs short
	maxTokenLen  = 1024
)

// Claims is what a token says.
type Claims struct {
	SendID    string
	SurveyID  string
	ContactID string
	SentAt    time.Time
	Expires   time.Time
	// SendStart is when the send began (analytics.Send.CreatedAt): the
	// first-answer time of the response the link records, the same in
	// the first email and its reminder, so every instance gives the
	// response's rows one sort key without asking the store. Zero in
	// tokens of version 1.
	SendStart time.Time
}

// Signer signs and verifies tokens.
type Signer struct {
	kid  string
	keys map[string][]byte
}

// NewSigner parses "kid:secret[,kid:secret...]". The first key signs; every
// key verifies, so an old key can stay listed until its links expire.
// Secrets must be at least 32 characters.
func NewSigner(spec string) (*Signer, error) {
	s := &Signer{keys: map[string][]byte{}}
	for _, part := range strings.Split(spec, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		kid, secret, ok := strings.Cut(part, ":")
		if !ok || kid == "" || len(kid) > 32 || strings.ContainsAny(kid, " \t") {
			return nil, fmt.Errorf("signing keys: %q is not kid:secret", redact(part))
		}
		if len(secret) < 32 {
			return nil, fmt.Errorf("signing key %q: the secret must be at least 32 characters", kid)
		}
		if _, dup := s.keys[kid]; dup {
			return nil, fmt.Errorf("signing key %q is listed twice", kid)
		}
		s.keys[kid] = []byte(secret)
		if s.kid == "" {
			s.kid = kid
		}
	}
	if s.kid == "" {
		return nil, errors.New("signing keys: none given")
	}
	return s, nil
}

func redact(part string) string {
	if kid, _, ok := strings.Cut(part, ":"); ok {
		return kid + ":…"
	}
	return "…"
}

// Sign makes a token for c.
func (s *Signer) Sign(c Claims) string {
	p := []byte{tokenVersion}
	for _, f := range []string{s.kid, c.SendID, c.SurveyID, c.ContactID} {
		p = binary.AppendUvarint(p, uint64(len(f)))
		p = append(p, f...)
	}
	p = binary.AppendVarint(p, c.SentAt.Unix())
	p = binary.AppendVarint(p, c.Expires.Unix())
	p = binary.AppendVarint(p, c.SendStart.Unix())
	enc := base64.RawURLEncoding
	return enc.EncodeToString(p) + "." + enc.EncodeToString(s.mac(s.keys[s.kid], p))
}

// Tag and Tagged tag the response ids Heed makes (analytics.IDTagger): 32
// bits of HMAC-SHA256 under the signing key; every listed key verifies.
// Their messages start with a text no token payload starts with.
func (s *Signer) Tag(msg []byte) uint32 {
	return binary.BigEndian.Uint32(s.mac(s.keys[s.kid], msg))
}

func (s *Signer) Tagged(msg []byte, tag uint32) bool {
	ok := false
	for _, key := range s.keys {
		// Every key is tried, so the time taken does not say which matched.
		ok = binary.BigEndian.Uint32(s.mac(key, msg)) == tag || ok
	}
	return ok
}

func (s *Signer) mac(key, payload []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write(payload)
	return m.Sum(nil)[:macBytes]
}

// Verify checks a token's signature (in constant time) and expiry.
func (s *Signer) Verify(token string, now time.Time) (Claims, error) {
	var c Claims
	if len(token) > maxTokenLen {
		return c, ErrTokenInvalid
	}
	payloadB64, macB64, ok := strings.Cut(token, ".")
	if !ok {
		return c, ErrTokenInvalid
	}
	// Strict: the padding bits of the last character must be zero, as Sign
	// writes them, so each token has one spelling (otherwise up to 16 other
	// last characters decode to the same bytes and verify too).
	enc := base64.RawURLEncoding.Strict()
	payload, err1 := enc.DecodeString(payloadB64)
	tag, err2 := enc.DecodeString(macB64)
	if err1 != nil || err2 != nil || len(tag) != macBytes || len(payload) < 1 || (payload[0] != 1 && payload[0] != tokenVersion) {
		return c, ErrTokenInvalid
	}
	r := payload[1:]
	field := func() (string, bool) {
		n, k := binary.Uvarint(r)
		if k <= 0 || n > uint64(len(r)-k) {
			return "", false
		}
		v := string(r[k : k+int(n)])
		r = r[k+int(n):]
		return v, true
	}
	var fields [4]string
	for i := range fields {
		if fields[i], ok = field(); !ok {
			return c, ErrTokenInvalid
		}
	}
	key, known := s.keys[fields[0]]
	if !known || !hmac.Equal(tag, s.mac(key, payload)) {
		return c, ErrTokenInvalid
	}
	sent, k1 := binary.Varint(r)
	if k1 <= 0 {
		return c, ErrTokenInvalid
	}
	exp, k2 := binary.Varint(r[k1:])
	if k2 <= 0 {
		return c, ErrTokenInvalid
	}
	c = Claims{SendID: fields[1], SurveyID: fields[2], ContactID: fields[3], SentAt: time.Unix(sent, 0).UTC(), Expires: time.Unix(exp, 0).UTC()}
	switch rest := r[k1+k2:]; payload[0] {
	case 1:
		if len(rest) != 0 {
			return Claims{}, ErrTokenInvalid
		}
	default:
		start, k3 := binary.Varint(rest)
		if k3 <= 0 || len(rest) != k3 {
			return Claims{}, ErrTokenInvalid
		}
		c.SendStart = time.Unix(start, 0).UTC()
	}
	if !now.Before(c.Expires) {
		return c, ErrTokenExpired
	}
	return c, nil
}
