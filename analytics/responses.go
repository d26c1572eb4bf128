package analytics

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"sync"
	"time"

	"github.com/google/uuid"
)

// Response is one answer to a survey. A later Response with the same
// ResponseID replaces the earlier one in reports (highest Version wins).
type Response struct {
	SurveyID   string
	ResponseID uuid.UUID
	// CreatedAt is when the response was first answered; reports put the
	// response in that period.
	CreatedAt time.Time
	// Version orders answers with the same ResponseID: the time of this
	// answer in nanoseconds.
	Version    uint64
	Score      uint8
	Reasons    []string
	Comment    string
	Channel    string
	Respondent string
	Properties map[string]string
}

const insertResponses = `INSERT INTO responses (survey_id, created_at, response_id, version, score,
	reasons, comment, channel, respondent, property_keys, property_values)`

// InsertResponses writes rows in one batch. The Writer calls it; it is
// exported for tools (seeding, the naive baseline in make bench).
func (db *DB) InsertResponses(ctx context.Context, rows []Response) error {
	if len(rows) == 0 {
		return nil
	}
	batch, err := db.conn.PrepareBatch(ctx, insertResponses)
	if err != nil {
		return fmt.Errorf("insert responses: %w", err)
	}
	defer batch.Close()
	for i := range rows {
		r := &rows[i]
		keys := make([]string, 0, len(r.Properties))
		for k := range r.Properties {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		values := make([]string, len(keys))
		for j, k := range keys {
			values[j] = r.Properties[k]
		}
		reasons := r.Reasons
		if reasons == nil {
			reasons = []string{}
		}
		if err := batch.Append(r.SurveyID, r.CreatedAt.UTC(), r.ResponseID, r.Version, r.Score,
			reasons, r.Comment, r.Channel, r.Respondent, keys, values); err != nil {
			return fmt.Errorf("insert responses: %w", err)
		}
	}
	if err := batch.Send(); err != nil {
		return fmt.Errorf("insert responses: %w", err)
	}
	return nil
}

// Writer errors.
var (
	ErrWriterFull   = errors.New("response buffer full")
	ErrWriterClosed = errors.New("response writer closed")
)

// WriterOptions configures a Writer; zero values take the defaults.
type WriterOptions struct {
	// BatchSize flushes as soon as this many rows wait (default 5000).
	BatchSize int
	// FlushInterval flushes waiting rows at least this often (default 500ms),
	// so an answer reaches reports within a second.
	FlushInterval time.Duration
	// MaxPending bounds the rows held in memory while ClickHouse is slow or
	// down (default 200000); Add fails with ErrWriterFull beyond it.
	MaxPending int
	// MaxBackoff caps the wait between failed flushes (default 10s).
	MaxBackoff time.Duration
	Logger     *slog.Logger
}

func (o *WriterOptions) setDefaults() {
	if o.BatchSize <= 0 {
		o.BatchSize = 5000
	}
	if o.FlushInterval <= 0 {
		o.FlushInterval = 500 * time.Millisecond
	}
	if o.MaxPending <= 0 {
		o.MaxPending = 200_000
	}
	if o.MaxBackoff <= 0 {
		o.MaxBackoff = 10 * time.Second
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
}

// Writer batches responses into ClickHouse: a flush happens when BatchSize
// rows wait or FlushInterval has passed, whichever comes first. Failed
// flushes keep their rows and retry with capped exponential backoff.
type Writer struct {
	db   *DB
	opts WriterOptions

	mu      sync.Mutex
	pending []Response
	closed  bool
	lastErr error
	first   firstAnswers

	kick chan struct{}
	stop chan struct{}
	done chan struct{}
}

// NewWriter starts a writer; Close flushes and stops it.
func NewWriter(db *DB, opts WriterOptions) *Writer {
	opts.setDefaults()
	w := &Writer{
		db:    db,
		opts:  opts,
		first: newFirstAnswers(100_000),
		kick:  make(chan struct{}, 1),
		stop:  make(chan struct{}),
		done:  make(chan struct{}),
	}
	go w.run()
	return w
}

// Add queues a response. When r.CreatedAt is zero it becomes the time this
// process first saw r.ResponseID, so a follow-up lands in the period (and on
// the sort key) of the first answer.
func (w *Writer) Add(r Response) error {
	now := time.Now().UTC()
	if r.Version == 0 {
		r.Version = uint64(now.UnixNano())
	}
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		return ErrWriterClosed
	}
	if len(w.pending) >= w.opts.MaxPending {
		w.mu.Unlock()
		return ErrWriterFull
	}
	if r.CreatedAt.IsZero() {
		r.CreatedAt = w.first.get(r.ResponseID, now.Truncate(time.Second))
	}
	w.pending = append(w.pending, r)
	n := len(w.pending)
	w.mu.Unlock()
	if n >= w.opts.BatchSize {
		select {
		case w.kick <- struct{}{}:
		default:
		}
	}
	return nil
}

// Pending is the number of rows waiting for ClickHouse.
func (w *Writer) Pending() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.pending)
}

// LastError is the error of the last flush, nil after a good one.
func (w *Writer) LastError() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.lastErr
}

func (w *Writer) run() {
	defer close(w.done)
	ticker := time.NewTicker(w.opts.FlushInterval)
	defer ticker.Stop()
	backoff := time.Duration(0)
	for {
		if backoff > 0 {
			select {
			case <-time.After(backoff):
			case <-w.stop:
				return
			}
		}
		select {
		case <-ticker.C:
		case <-w.kick:
		case <-w.stop:
			return
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

// flush writes everything pending, BatchSize rows per insert. Rows of a
// failed insert go back to the front of the queue, in order.
func (w *Writer) flush(ctx context.Context) error {
	w.mu.Lock()
	rows := w.pending
	w.pending = nil
	w.mu.Unlock()
	for len(rows) > 0 {
		n := min(len(rows), w.opts.BatchSize)
		err := w.db.InsertResponses(ctx, rows[:n])
		if err != nil {
			w.mu.Lock()
			w.pending = append(rows, w.pending...)
			w.lastErr = err
			w.mu.Unlock()
			w.opts.Logger.Warn("flush responses failed; will retry", "rows", len(rows), "err", err)
			return err
		}
		rows = rows[n:]
	}
	w.mu.Lock()
	w.lastErr = nil
	w.mu.Unlock()
	return nil
}

// Close stops accepting rows and flushes what is pending, retrying until ctx
// ends. Pass a fresh context: a cancelled one would drop the last rows.
func (w *Writer) Close(ctx context.Context) error {
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		return nil
	}
	w.closed = true
	w.mu.Unlock()
	close(w.stop)
	<-w.done
	backoff := 100 * time.Millisecond
	for {
		err := w.flush(ctx)
		if err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("close writer: %d responses not written: %w", w.Pending(), err)
		case <-time.After(backoff):
			backoff = min(2*backoff, w.opts.MaxBackoff)
		}
	}
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
