package analytics

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"testing"
	"time"

	"github.com/google/uuid"
)

// testTagger is an IDTagger over one key (emails.Signer is the real one).
type testTagger []byte

func (k testTagger) Tag(msg []byte) uint32 {
	m := hmac.New(sha256.New, k)
	m.Write(msg)
	return binary.BigEndian.Uint32(m.Sum(nil))
}

func (k testTagger) Tagged(msg []byte, tag uint32) bool { return k.Tag(msg) == tag }

func TestMadeResponseID(t *testing.T) {
	key := testTagger("a key of at least thirty-two characters")
	at := time.Date(2026, 12, 7, 10, 11, 12, 345_678_901, time.UTC)
	id := NewResponseID(key, "s1", at)
	if id.Version() != 7 || id.Variant() != uuid.RFC4122 {
		t.Fatalf("id %s: version %d variant %v, want a version 7 RFC 9562 UUID", id, id.Version(), id.Variant())
	}
	flipped := id
	flipped[10] ^= 1
	v4 := uuid.New()
	copy(v4[12:], id[12:])
	cases := []struct {
		name   string
		key    IDTagger
		survey string
		id     uuid.UUID
		ok     bool
	}{
		{"made here", key, "s1", id, true},
		{"another survey", key, "s2", id, false},
		{"another key", testTagger("another key of at least thirty-two chars"), "s1", id, false},
		{"a random bit changed", key, "s1", flipped, false},
		{"version 4", key, "s1", v4, false},
		{"a client's version 7", key, "s1", NewResponseID(testTagger("the client's own key, thirty-two+ chars"), "s1", at), false},
	}
	for _, c := range cases {
		got, ok := MadeResponseID(c.key, c.survey, c.id)
		if ok != c.ok {
			t.Errorf("%s: made = %v, want %v", c.name, ok, c.ok)
		}
		if ok && !got.Equal(at.Truncate(time.Millisecond)) {
			t.Errorf("%s: time %v, want %v", c.name, got, at.Truncate(time.Millisecond))
		}
	}
	if a, b := NewResponseID(key, "s1", at), NewResponseID(key, "s1", at); a == b {
		t.Errorf("two ids of the same millisecond are equal: %s", a)
	}
}

func TestClientIDTime(t *testing.T) {
	now := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	v7 := func(at time.Time) uuid.UUID { return NewResponseID(testTagger("client"), "s", at) }
	cases := []struct {
		name string
		id   uuid.UUID
		ok   bool
	}{
		{"just made", v7(now.Add(-time.Second)), true},
		{"a day old less a minute", v7(now.Add(-ClientIDWindow + time.Minute)), true},
		{"older than the window", v7(now.Add(-ClientIDWindow - time.Minute)), false},
		{"30 s ahead (a clock)", v7(now.Add(30 * time.Second)), true},
		{"an hour ahead", v7(now.Add(time.Hour)), false},
		{"version 4", uuid.New(), false},
	}
	for _, c := range cases {
		if _, ok := ClientIDTime(c.id, now); ok != c.ok {
			t.Errorf("%s: ok = %v, want %v", c.name, ok, c.ok)
		}
	}
}

// Every instance gives the answers naming an id the same first-answer
// time, and a follow-up received by an instance whose clock is behind
// still replaces the first answer.
func TestNamedAnswer(t *testing.T) {
	key := testTagger("a key of at least thirty-two characters")
	first := Response{SurveyID: "s1"}
	t0 := time.Date(2026, 12, 7, 10, 0, 0, 999_999_000, time.UTC)
	first.NewAnswer(key, t0)
	if !first.First || !first.CreatedAt.Equal(t0.Truncate(time.Millisecond)) || first.Version != uint64(t0.UnixNano()) {
		t.Fatalf("first answer: %+v", first)
	}
	for _, behind := range []time.Duration{0, 100 * time.Millisecond, 3 * time.Second, time.Hour} {
		f := Response{SurveyID: "s1", ResponseID: first.ResponseID}
		f.NamedAnswer(key, t0.Add(-behind)) // a follow-up on a clock that far behind
		if !f.First || !f.CreatedAt.Equal(first.CreatedAt) {
			t.Errorf("behind %v: first %v at %v, want the id's %v", behind, f.First, f.CreatedAt, first.CreatedAt)
		}
		if !f.CountsOver(&first) {
			t.Errorf("behind %v: the follow-up (version %d) does not replace the first answer (%d)", behind, f.Version, first.Version)
		}
	}
	other := Response{SurveyID: "s1", ResponseID: uuid.New()}
	now := time.Now()
	other.NamedAnswer(key, now)
	if other.First || !other.CreatedAt.Equal(now) {
		t.Errorf("a client's version 4 id: %+v, want the store's lookup with now as fallback", other)
	}
}
