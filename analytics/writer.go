package analytics

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
)

// Writer errors.
var (
	ErrWriterFull   = errors.New("response spool full")
	ErrWriterClosed = errors.New("response writer closed")
)

// WriterOptions configures a Writer; zero values take the defaults.
type WriterOptions struct {
	// SpoolDir holds the on-disk spool (required).
	SpoolDir string
	// MaxSpoolBytes bounds the spool; Add fails with ErrWriterFull beyond it
	// (default 1 GiB).
	MaxSpoolBytes int64
	// BatchSize flushes as soon as this many rows wait (default 5000).
	BatchSize int
	// FlushInterval flushes waiting rows at least this often (default 500ms),
	// so an answer reaches reports within a second.
	FlushInterval time.Duration
	// MaxBackoff caps the wait between failed flushes (default 10s).
	MaxBackoff time.Duration
	// KeepInserted keeps segments this long after ClickHouse confirmed them
	// (default 2 min; negative: delete at once). See Spool.MarkDone.
	KeepInserted time.Duration
	Logger       *slog.Logger
}

func (o *WriterOptions) setDefaults() {
	if o.BatchSize <= 0 {
		o.BatchSize = 5000
	}
	if o.FlushInterval <= 0 {
		o.FlushInterval = 500 * time.Millisecond
	}
	if o.MaxBackoff <= 0 {
		o.MaxBackoff = 10 * time.Second
	}
	if o.KeepInserted == 0 {
		o.KeepInserted = 2 * time.Minute
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
}

// Writer makes accepted responses durable and gets them into ClickHouse.
// Add returns once the response is fsynced in the spool; a background loop
// seals the spool's current segment when BatchSize rows wait or
// FlushInterval has passed, inserts each sealed segment as a batch and
// deletes it once ClickHouse confirmed. Failed inserts keep their segment
// and retry with capped exponential backoff. A crash may insert a segment
// twice; reports count each response_id once, so that is harmless.
type Writer struct {
	db    *DB
	spool *Spool
	opts  WriterOptions

	closed atomic.Bool
	mu     sync.Mutex
	first  firstAnswers
	err    error // of the last flush

	kick chan struct{}
	stop chan struct{}
	done chan struct{}
}

// NewWriter opens the spool (replaying what an earlier run left) and starts
// the flush loop; Close flushes and stops it.
func NewWriter(db *DB, opts WriterOptions) (*Writer, error) {
	opts.setDefaults()
	if opts.SpoolDir == "" {
		return nil, errors.New("writer: SpoolDir is required")
	}
	spool, err := OpenSpool(SpoolOptions{Dir: opts.SpoolDir, MaxBytes: opts.MaxSpoolBytes, Logger: opts.Logger})
	if err != nil {
		return nil, err
	}
	w := &Writer{
		db:    db,
		spool: spool,
		opts:  opts,
		first: newFirstAnswers(100_000),
		kick:  make(chan struct{}, 1),
		stop:  make(chan struct{}),
		done:  make(chan struct{}),
	}
	go w.run()
	if len(spool.Sealed()) > 0 {
		w.kickFlush()
	}
	return w, nil
}

// Add stores r durably. When r.CreatedAt is zero it becomes the time this
// process first saw r.ResponseID, so a follow-up lands in the period (and on
// the sort key) of the first answer; Version defaults to now.
func (w *Writer) Add(r Response) error {
	if w.closed.Load() {
		return ErrWriterClosed
	}
	now := time.Now().UTC()
	if r.Version == 0 {
		r.Version = uint64(now.UnixNano())
	}
	if r.CreatedAt.IsZero() {
		w.mu.Lock()
		r.CreatedAt = w.first.get(r.ResponseID, now.Truncate(time.Second))
		w.mu.Unlock()
	}
	return w.append(encodeResponse(make([]byte, 0, 96+len(r.Comment)), &r))
}

func (w *Writer) append(rec []byte) error {
	err := w.spool.Append(rec)
	switch {
	case errors.Is(err, ErrSpoolFull):
		return ErrWriterFull
	case errors.Is(err, ErrSpoolClosed):
		return ErrWriterClosed
	case err != nil:
		return err
	}
	if w.spool.Pending() >= w.opts.BatchSize {
		w.kickFlush()
	}
	return nil
}

// AddDismissal stores a dismissal durably, like Add.
func (w *Writer) AddDismissal(d Dismissal) error {
	if w.closed.Load() {
		return ErrWriterClosed
	}
	if d.CreatedAt.IsZero() {
		d.CreatedAt = time.Now().UTC().Truncate(time.Second)
	}
	return w.append(encodeDismissal(make([]byte, 0, 64), &d))
}

func (w *Writer) kickFlush() {
	select {
	case w.kick <- struct{}{}:
	default:
	}
}

// Backlog is what waits for ClickHouse: rows in the open segment, and the
// spool's size in bytes.
func (w *Writer) Backlog() (pendingRows int, spoolBytes int64) {
	return w.spool.Pending(), w.spool.Size()
}

// LastError is the error of the last flush, nil after a good one.
func (w *Writer) LastError() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.err
}

func (w *Writer) setErr(err error) {
	w.mu.Lock()
	w.err = err
	w.mu.Unlock()
}

func (w *Writer) run() {
	defer close(w.done)
	ticker := time.NewTicker(w.opts.FlushInterval)
	defer ticker.Stop()
	backoff := time.Duration(0)
	retry := time.NewTimer(time.Hour)
	retry.Stop()
	for {
		if backoff > 0 {
			retry.Reset(backoff)
			select {
			case <-retry.C:
			case <-w.stop:
				return
			}
		} else {
			select {
			case <-ticker.C:
			case <-w.kick:
			case <-w.stop:
				return
			}
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		err := w.flush(ctx)
		cancel()
		switch {
		case err == nil:
			backoff = 0
		case backoff == 0:
			backoff = 100 * time.Millisecond
		default:
			backoff = min(2*backoff, w.opts.MaxBackoff)
		}
	}
}

// flush seals the open segment and inserts every sealed one, oldest first.
func (w *Writer) flush(ctx context.Context) error {
	// A failed seal (a full disk) must not stop the sealed segments from
	// going in: inserting them is what frees the disk.
	sealErr := w.spool.Seal()
	if sealErr != nil && !errors.Is(sealErr, ErrSpoolClosed) {
		w.opts.Logger.Error("spool: cannot seal the open segment", "err", sealErr)
	} else {
		sealErr = nil
	}
	// Segments are streamed, BatchSize rows per insert, so memory stays
	// bounded however large a segment grew while ClickHouse was away. If an
	// insert fails halfway, the whole segment is retried later: rows already
	// inserted come again and reports count them once.
	rows := make([]Response, 0, w.opts.BatchSize)
	var dismissals []Dismissal
	for _, id := range w.spool.Sealed() {
		rows, dismissals = rows[:0], dismissals[:0]
		err := w.spool.ReadSegment(id, func(rec []byte) error {
			var err error
			switch rec[0] {
			case recordResponse, recordResponseV1:
				var r Response
				if r, err = decodeResponse(rec); err == nil {
					rows = append(rows, r)
				}
			case recordDismissal:
				var d Dismissal
				if d, err = decodeDismissal(rec); err == nil {
					dismissals = append(dismissals, d)
				}
			default:
				err = errBadRecord
			}
			if err != nil {
				return fmt.Errorf("spool segment %d: %w", id, errUnreadable{err})
			}
			if len(rows)+len(dismissals) < w.opts.BatchSize {
				return nil
			}
			err = w.insert(ctx, rows, dismissals)
			rows, dismissals = rows[:0], dismissals[:0]
			return err
		})
		if err == nil {
			err = w.insert(ctx, rows, dismissals)
		}
		if err == nil {
			err = w.spool.MarkDone(id)
		}
		var unreadable errUnreadable
		if errors.As(err, &unreadable) {
			// Written by an incompatible version (its checksum is fine): set
			// it aside for a person rather than block every later answer.
			w.opts.Logger.Error("spool: segment unreadable by this version; renamed .bad, its rows are NOT in ClickHouse", "segment", id, "err", err)
			if qerr := w.spool.Quarantine(id); qerr != nil {
				err = qerr
			} else {
				continue
			}
		}
		if err != nil {
			w.setErr(err)
			w.opts.Logger.Warn("flush responses failed; will retry", "segment", id, "err", err)
			return err
		}
	}
	keepSince := time.Now().Add(-max(w.opts.KeepInserted, 0))
	if w.spool.Size() > w.spool.maxBytes/2 {
		keepSince = time.Now() // room for new answers comes first
	}
	w.spool.PurgeDone(keepSince)
	if sealErr != nil {
		w.setErr(sealErr)
		return sealErr
	}
	w.setErr(nil)
	return nil
}

func (w *Writer) insert(ctx context.Context, rows []Response, dismissals []Dismissal) error {
	if err := w.db.InsertResponses(ctx, rows); err != nil {
		return err
	}
	return w.db.InsertDismissals(ctx, dismissals)
}

// Close stops accepting rows and flushes what it can before ctx ends; what
// it cannot stays in the spool for the next start. Pass a fresh context: a
// cancelled one would flush nothing.
func (w *Writer) Close(ctx context.Context) error {
	if w.closed.Swap(true) {
		return nil
	}
	close(w.stop)
	<-w.done
	var flushErr error
	backoff := 100 * time.Millisecond
	for {
		flushErr = w.flush(ctx)
		if flushErr == nil {
			break
		}
		select {
		case <-ctx.Done():
		case <-time.After(backoff):
			backoff = min(2*backoff, w.opts.MaxBackoff)
			continue
		}
		break
	}
	closeErr := w.spool.Close()
	if flushErr != nil {
		left := w.spool.Sealed()
		return fmt.Errorf("close writer: %d spool segments kept for the next start: %w", len(left), flushErr)
	}
	return closeErr
}

// Record encoding: a kind byte, then varint-prefixed fields in a fixed
// order. A new layout gets a new kind byte, so old spools stay readable.
const (
	recordResponseV1 = 1 // before confirmation fields; still read
	recordDismissal  = 2
	recordResponse   = 3 // with unconfirmed and flags
)

func encodeResponse(buf []byte, r *Response) []byte {
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
	unconfirmed := byte(0)
	if r.Unconfirmed {
		unconfirmed = 1
	}
	buf = append(buf, unconfirmed)
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

func decodeResponse(rec []byte) (Response, error) {
	d := &recordReader{b: rec}
	var r Response
	kind := d.bytes(1)
	if d.err != nil || (kind[0] != recordResponse && kind[0] != recordResponseV1) {
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
	if kind[0] == recordResponse {
		if b := d.bytes(1); d.err == nil {
			r.Unconfirmed = b[0] == 1
		}
		r.Flags = d.string()
	}
	if d.err == nil && len(d.b) != 0 {
		d.err = errBadRecord
	}
	return r, d.err
}

func encodeDismissal(buf []byte, x *Dismissal) []byte {
	buf = append(buf, recordDismissal)
	buf = appendString(buf, x.SurveyID)
	buf = append(buf, x.DismissalID[:]...)
	buf = binary.AppendVarint(buf, x.CreatedAt.Unix())
	return appendString(buf, x.Respondent)
}

func decodeDismissal(rec []byte) (Dismissal, error) {
	d := &recordReader{b: rec}
	var x Dismissal
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

// firstAnswers remembers when recent response ids were first seen, in two
// generations of at most size entries each: memory stays bounded and an id
// seen in the last size..2*size answers is still found.
type firstAnswers struct {
	size      int
	cur, prev map[uuid.UUID]time.Time
}

func newFirstAnswers(size int) firstAnswers {
	return firstAnswers{size: size, cur: map[uuid.UUID]time.Time{}}
}

// get returns the remembered first time of id, or records and returns now.
func (f *firstAnswers) get(id uuid.UUID, now time.Time) time.Time {
	if t, ok := f.cur[id]; ok {
		return t
	}
	if t, ok := f.prev[id]; ok {
		f.cur[id] = t
		return t
	}
	if len(f.cur) >= f.size {
		f.prev, f.cur = f.cur, make(map[uuid.UUID]time.Time, f.size)
	}
	f.cur[id] = now
	return now
}
