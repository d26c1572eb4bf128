package analytics

import (
	"encoding/binary"
	"time"

	"github.com/google/uuid"
)

// Response ids and the time of a response's first answer.
//
// Every row of a response must carry the time of its first answer (its
// sort key and period), and any number of Heed instances may receive the
// answers of one response, in any order, before any of them is stored. So
// the time comes with the answer, not from the store:
//
//   - An id Heed makes (NewResponseID, for a widget or API answer without
//     one) is a UUID version 7 (RFC 9562) whose 48-bit Unix milliseconds are
//     the first answer's time. Its last 32 bits are a tag of the survey and
//     the id's other bits under the signing key (IDTagger), so an id a client
//     invents with an old time is not taken for one: a follow-up naming a
//     tagged id gets the time from it on every instance (MadeResponseID).
//   - An email answer's id is derived from its send and contact
//     (emails.ResponseID); its time is the send's start, a signed claim of
//     the link (emails.Claims.SendStart), the same for the first email and
//     its reminder.
//   - Other ids (a client's own, ids made before) keep the store's lookup of
//     the stored first answer; a client's version 7 id gives its time as the
//     fallback when it is recent (ClientIDTime).

// IDTagger tags the ids Heed makes. Tag uses the signing key; Tagged
// accepts a tag of any key still listed, so ids outlive a key rotation.
// Every instance must share the keys (HEED_SIGNING_KEYS).
type IDTagger interface {
	Tag(msg []byte) uint32
	Tagged(msg []byte, tag uint32) bool
}

// idTagMessage is what an id's tag covers: its first 12 bytes (time,
// version, random bits) and the survey, so an id names one survey.
func idTagMessage(surveyID string, id uuid.UUID) []byte {
	msg := make([]byte, 0, 16+12+len(surveyID))
	msg = append(msg, "heed-response-id"...)
	msg = append(msg, id[:12]...)
	return append(msg, surveyID...)
}

// NewResponseID makes the id of a response first answered at t (random
// bits from crypto/rand, through uuid.New).
func NewResponseID(k IDTagger, surveyID string, t time.Time) uuid.UUID {
	id := uuid.New()
	ms := uint64(t.UnixMilli())
	id[0], id[1], id[2], id[3], id[4], id[5] = byte(ms>>40), byte(ms>>32), byte(ms>>24), byte(ms>>16), byte(ms>>8), byte(ms)
	id[6] = 0x70 | id[6]&0x0f // version 7
	id[8] = 0x80 | id[8]&0x3f // RFC 9562 variant
	binary.BigEndian.PutUint32(id[12:], k.Tag(idTagMessage(surveyID, id)))
	return id
}

// idTime is the time a version 7 id carries, to the millisecond.
func idTime(id uuid.UUID) time.Time {
	ms := int64(id[0])<<40 | int64(id[1])<<32 | int64(id[2])<<24 | int64(id[3])<<16 | int64(id[4])<<8 | int64(id[5])
	return time.UnixMilli(ms).UTC()
}

// MadeResponseID reports whether Heed made id for a response of the
// survey (NewResponseID, under a key k still accepts), and then the time
// of the response's first answer.
func MadeResponseID(k IDTagger, surveyID string, id uuid.UUID) (time.Time, bool) {
	if id.Version() != 7 || id.Variant() != uuid.RFC4122 {
		return time.Time{}, false
	}
	if !k.Tagged(idTagMessage(surveyID, id), binary.BigEndian.Uint32(id[12:])) {
		return time.Time{}, false
	}
	return idTime(id), true
}

// ClientIDWindow bounds how far from now the time of a client's own
// version 7 id may be for it to stand for the first answer's time.
const ClientIDWindow = 24 * time.Hour

// ClientIDTime is the time a client's version 7 id gives its response's
// first answer, when that time lies within ClientIDWindow before now (or a
// minute after: clocks differ). The store still prefers the stored first
// answer; this is what every instance uses when none is stored yet.
func ClientIDTime(id uuid.UUID, now time.Time) (time.Time, bool) {
	if id.Version() != 7 || id.Variant() != uuid.RFC4122 {
		return time.Time{}, false
	}
	t := idTime(id)
	if t.Before(now.Add(-ClientIDWindow)) || t.After(now.Add(time.Minute)) {
		return time.Time{}, false
	}
	return t, true
}

// NewAnswer gives r, the first answer of a new response received at now,
// a new id (NewResponseID) and that time.
func (r *Response) NewAnswer(k IDTagger, now time.Time) {
	r.ResponseID = NewResponseID(k, r.SurveyID, now)
	r.CreatedAt, r.First, r.Version = idTime(r.ResponseID), true, uint64(now.UnixNano())
}

// NamedAnswer sets the first-answer time and the version of r, an answer
// received at now naming its response's id (see above): a made id's time,
// with First set (the store looks nothing up), else a client's recent
// version 7 id's time as the fallback, else now. For a made id the version
// is at least the first answer's time plus a millisecond (the first
// answer's own is below it), so a follow-up received by an instance whose
// clock is behind the first one's still replaces the first answer.
func (r *Response) NamedAnswer(k IDTagger, now time.Time) {
	r.Version = uint64(now.UnixNano())
	if at, ok := MadeResponseID(k, r.SurveyID, r.ResponseID); ok {
		r.CreatedAt, r.First = at, true
		r.Version = max(r.Version, uint64(at.Add(time.Millisecond).UnixNano()))
		return
	}
	r.CreatedAt, r.First = now, false
	if at, ok := ClientIDTime(r.ResponseID, now); ok {
		r.CreatedAt = at
	}
}
