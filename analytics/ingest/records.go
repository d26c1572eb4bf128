package ingest

import (
	"encoding/binary"
	"errors"
	"sort"
	"time"

	"github.com/google/uuid"

	"heed/analytics"
)

// Record encoding: a kind byte, then varint-prefixed fields in a fixed
// order. A new layout gets a new kind byte, so old spools stay readable.
const (
	recordResponseV1 = 1 // before confirmation fields; still read
	recordDismissal  = 2
	recordResponseV3 = 3 // an unconfirmed byte and flags; still read
	recordResponse   = 4 // a bit byte (unconfirmed, first) and flags
)

// The bits of a recordResponse's bit byte.
const (
	bitUnconfirmed = 1 << iota
	bitFirst
)

func encodeResponse(buf []byte, r *analytics.Response) []byte {
	buf = append(buf, recordResponse)
	buf = appendString(buf, r.SurveyID)
	buf = append(buf, r.ResponseID[:]...)
	buf = binary.AppendVarint(buf, r.CreatedAt.Unix())
	buf = binary.AppendUvarint(buf, r.Version)
	buf = append(buf, r.Score)
	buf = binary.AppendUvarint(buf, uint64(len(r.Reasons)))
	for _, s := range r.Reasons {
		buf = appendString(buf, s)
	}
	buf = appendString(buf, r.Comment)
	buf = appendString(buf, r.Channel)
	buf = appendString(buf, r.Respondent)
	keys := make([]string, 0, len(r.Properties))
	for k := range r.Properties {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	buf = binary.AppendUvarint(buf, uint64(len(keys)))
	for _, k := range keys {
		buf = appendString(buf, k)
		buf = appendString(buf, r.Properties[k])
	}
	bits := byte(0)
	if r.Unconfirmed {
		bits |= bitUnconfirmed
	}
	if r.First {
		bits |= bitFirst
	}
	buf = append(buf, bits)
	return appendString(buf, r.Flags)
}

func appendString(buf []byte, s string) []byte {
	buf = binary.AppendUvarint(buf, uint64(len(s)))
	return append(buf, s...)
}

var errBadRecord = errors.New("malformed spool record")

// errUnreadable marks a record that passed its checksum but does not decode.
type errUnreadable struct{ err error }

func (e errUnreadable) Error() string { return "unreadable record: " + e.err.Error() }
func (e errUnreadable) Unwrap() error { return e.err }

type recordReader struct {
	b   []byte
	err error
}

func (d *recordReader) uvarint() uint64 {
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.err = errBadRecord
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *recordReader) varint() int64 {
	v, n := binary.Varint(d.b)
	if n <= 0 {
		d.err = errBadRecord
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *recordReader) bytes(n uint64) []byte {
	if d.err != nil || n > uint64(len(d.b)) {
		d.err = errBadRecord
		return nil
	}
	out := d.b[:n]
	d.b = d.b[n:]
	return out
}

func (d *recordReader) string() string { return string(d.bytes(d.uvarint())) }

func decodeResponse(rec []byte) (analytics.Response, error) {
	d := &recordReader{b: rec}
	var r analytics.Response
	kind := d.bytes(1)
	if d.err != nil || (kind[0] != recordResponse && kind[0] != recordResponseV3 && kind[0] != recordResponseV1) {
		return r, errBadRecord
	}
	r.SurveyID = d.string()
	copy(r.ResponseID[:], d.bytes(uint64(len(uuid.UUID{}))))
	r.CreatedAt = time.Unix(d.varint(), 0).UTC()
	r.Version = d.uvarint()
	if b := d.bytes(1); d.err == nil {
		r.Score = b[0]
	}
	if n := d.uvarint(); n > 0 && n <= 1000 {
		r.Reasons = make([]string, n)
		for i := range r.Reasons {
			r.Reasons[i] = d.string()
		}
	}
	r.Comment = d.string()
	r.Channel = d.string()
	r.Respondent = d.string()
	if n := d.uvarint(); n > 0 && n <= 1000 {
		r.Properties = make(map[string]string, n)
		for i := uint64(0); i < n; i++ {
			k := d.string()
			r.Properties[k] = d.string()
		}
	}
	switch kind[0] {
	case recordResponseV3:
		if b := d.bytes(1); d.err == nil {
			r.Unconfirmed = b[0] == 1
		}
		r.Flags = d.string()
	case recordResponse:
		if b := d.bytes(1); d.err == nil {
			r.Unconfirmed, r.First = b[0]&bitUnconfirmed != 0, b[0]&bitFirst != 0
		}
		r.Flags = d.string()
	}
	if d.err == nil && len(d.b) != 0 {
		d.err = errBadRecord
	}
	return r, d.err
}

func encodeDismissal(buf []byte, x *analytics.Dismissal) []byte {
	buf = append(buf, recordDismissal)
	buf = appendString(buf, x.SurveyID)
	buf = append(buf, x.DismissalID[:]...)
	buf = binary.AppendVarint(buf, x.CreatedAt.Unix())
	return appendString(buf, x.Respondent)
}

func decodeDismissal(rec []byte) (analytics.Dismissal, error) {
	d := &recordReader{b: rec}
	var x analytics.Dismissal
	if v := d.bytes(1); d.err != nil || v[0] != recordDismissal {
		return x, errBadRecord
	}
	x.SurveyID = d.string()
	copy(x.DismissalID[:], d.bytes(uint64(len(uuid.UUID{}))))
	x.CreatedAt = time.Unix(d.varint(), 0).UTC()
	x.Respondent = d.string()
	if d.err == nil && len(d.b) != 0 {
		d.err = errBadRecord
	}
	return x, d.err
}
