// Package ingest gets accepted answers into the store without losing one:
// Writer appends each to the spool (analytics/spool) and returns once it is
// on disk; a background loop inserts the spool's segments in batches.
package ingest

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"heed/analytics"
	"heed/analytics/spool"
)

// Add's refusals; both are worth a retry later.
var (
	ErrFull   = errors.New("response spool full")
	ErrClosed = errors.New("response writer closed")
)

// Options configures a Writer; zero values take the defaults.
type Options struct {
	// SpoolDir holds the on-disk spool (required).
	SpoolDir string
	// MaxSpoolBytes bounds the spool; Add fails with ErrFull beyond it
	// (default 1 GiB).
	MaxSpoolBytes int64
	// BatchSize flushes as soon as this many rows wait (default 5000).
	BatchSize int
	// FlushInterval flushes waiting rows at least this often (default 500ms),
	// so an answer reaches reports within a second.
	FlushInterval time.Duration
	// MaxBackoff caps the wait between failed flushes (default 10s).
	MaxBackoff time.Duration
	// KeepInserted keeps segments this long after the store confirmed them
	// (default 2 min; negative: delete at once). See spool.Spool.MarkDone.
	KeepInserted time.Duration
	// Logger hears about failed flushes and spool trouble; nil discards.
	Logger *slog.Logger
}

func (o *Options) setDefaults() {
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
		o.Logger = slog.New(slog.DiscardHandler)
	}
}

// Writer makes accepted responses durable and gets them into the store.
// Add returns once the response is fsynced in the spool; a background loop
// seals the spool's current segment when BatchSize rows wait or
// FlushInterval has passed, inserts each sealed segment as a batch and
// deletes it once the store confirmed. Failed inserts keep their segment
// and retry with capped exponential backoff. A crash may insert a segment
// twice; reports count each response_id once, so that is harmless.
type Writer struct {
	sink  analytics.ResponseSink
	spool *spool.Spool
	opts  Options

	closed atomic.Bool
	mu     sync.Mutex
	err    error // of the last flush
	// flushing serialises flushes: the loop's, Flush's and Close's.
	flushing sync.Mutex

	kick chan struct{}
	stop chan struct{}
	done chan struct{}
}

// New opens the spool (replaying what an earlier run left) and starts the
// flush loop into sink; Close flushes and stops it.
func New(sink analytics.ResponseSink, opts Options) (*Writer, error) {
	opts.setDefaults()
	if opts.SpoolDir == "" {
		return nil, errors.New("writer: SpoolDir is required")
	}
	sp, err := spool.Open(spool.Options{Dir: opts.SpoolDir, MaxBytes: opts.MaxSpoolBytes, Logger: opts.Logger})
	if err != nil {
		return nil, err
	}
	w := &Writer{
		sink:  sink,
		spool: sp,
		opts:  opts,
		kick:  make(chan struct{}, 1),
		stop:  make(chan struct{}),
		done:  make(chan struct{}),
	}
	go w.run()
	if len(sp.Sealed()) > 0 {
		w.kickFlush()
	}
	return w, nil
}

// Add stores r durably. Version (the answer's time) defaults to now, and
// CreatedAt to that time: the store gives every answer of a response the
// time of its first (InsertResponses), so a follow-up lands in the period,
// and on the sort key, of the first answer.
func (w *Writer) Add(r analytics.Response) error {
	if w.closed.Load() {
		return ErrClosed
	}
	if r.Version == 0 {
		r.Version = uint64(time.Now().UnixNano())
	}
	if r.CreatedAt.IsZero() {
		r.CreatedAt = time.Unix(0, int64(r.Version)).UTC().Truncate(time.Second)
	}
	return w.append(encodeResponse(make([]byte, 0, 96+len(r.Comment)), &r))
}

func (w *Writer) append(rec []byte) error {
	err := w.spool.Append(rec)
	switch {
	case errors.Is(err, spool.ErrFull):
		return ErrFull
	case errors.Is(err, spool.ErrClosed):
		return ErrClosed
	case err != nil:
		return err
	}
	if w.spool.Pending() >= w.opts.BatchSize {
		w.kickFlush()
	}
	return nil
}

// AddDismissal stores a dismissal durably, like Add.
func (w *Writer) AddDismissal(d analytics.Dismissal) error {
	if w.closed.Load() {
		return ErrClosed
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

// Backlog is what waits for the store: rows in the open segment, and the
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

// Flush inserts now every row accepted so far (the open segment is sealed
// first), as the loop would: forgetting a person calls it so that their
// answers still in this instance's spool are in the store before the
// deletions run. It returns the flush's error; the rows then stay in the
// spool and the loop retries them.
func (w *Writer) Flush(ctx context.Context) error {
	if w.closed.Load() {
		return ErrClosed
	}
	return w.flush(ctx)
}

// flush seals the open segment and inserts every sealed one, oldest first.
func (w *Writer) flush(ctx context.Context) error {
	w.flushing.Lock()
	defer w.flushing.Unlock()
	// A failed seal (a full disk) must not stop the sealed segments from
	// going in: inserting them is what frees the disk.
	sealErr := w.spool.Seal()
	if sealErr != nil && !errors.Is(sealErr, spool.ErrClosed) {
		w.opts.Logger.Error("spool: cannot seal the open segment", "err", sealErr)
	} else {
		sealErr = nil
	}
	// Segments are streamed, BatchSize rows per insert, so memory stays
	// bounded however large a segment grew while the store was away. If an
	// insert fails halfway, the whole segment is retried later: rows already
	// inserted come again and reports count them once.
	rows := make([]analytics.Response, 0, w.opts.BatchSize)
	var dismissals []analytics.Dismissal
	for _, id := range w.spool.Sealed() {
		rows, dismissals = rows[:0], dismissals[:0]
		err := w.spool.ReadSegment(id, func(rec []byte) error {
			var err error
			switch rec[0] {
			case recordResponse, recordResponseV3, recordResponseV1:
				var r analytics.Response
				if r, err = decodeResponse(rec); err == nil {
					rows = append(rows, r)
				}
			case recordDismissal:
				var d analytics.Dismissal
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
			w.opts.Logger.Error("spool: segment unreadable by this version; renamed .bad, its rows are NOT stored", "segment", id, "err", err)
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
	if w.spool.Size() > w.spool.MaxBytes()/2 {
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

func (w *Writer) insert(ctx context.Context, rows []analytics.Response, dismissals []analytics.Dismissal) error {
	if len(rows) > 0 {
		if err := w.sink.InsertResponses(ctx, rows); err != nil {
			return err
		}
	}
	if len(dismissals) > 0 {
		return w.sink.InsertDismissals(ctx, dismissals)
	}
	return nil
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
