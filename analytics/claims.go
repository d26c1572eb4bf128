package analytics

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"sort"
	"sync"
	"time"
)

// Claims: work that must run on one Heed instance at a time (a send, its
// reminder, a survey's digest of a period) is claimed in the store, which
// every instance shares, instead of a lock file, which only one machine
// sees. ClickHouse has no compare-and-set, so a claim is decided by time:
//
//  1. the claimer writes its claim: the job, itself (the holder), the time
//     it claimed (At, by its clock) and when the claim lapses unless renewed;
//  2. it waits the settle time, then reads every live claim of the job;
//  3. the earliest live claim (At, then Holder) wins; the others withdraw.
//
// Two claimers both win only if each missed the other's claim when it
// read. Take B earlier than A by the claims' At: A misses B only when B's
// write had not returned by A's read, settle after A's claim; B's write
// started before B's At plus the clocks' skew, so it took longer than
// settle minus the skew. A claimer whose own write took more than half of
// settle withdraws and tries again (ErrClaimUnsure after three tries), so
// no winner's write took that long, and two winners need a skew of more
// than half of settle between their clocks: with the default 2 s, clocks
// within 1 s of each other (NTP keeps them within milliseconds) never both
// win.
//
// A claim lapses at Expires unless its holder renews it (a new row, a
// higher version: ClaimStore keeps the highest version per job and holder,
// also through merges), so a crashed holder's work is taken over once its
// claim lapses; a holder that cannot renew in time stops (Lease.Held).

// ClaimRow is one write of a claim.
type ClaimRow struct {
	Job    string
	Holder string
	// At is when the holder first claimed the job (kept by renewals): what
	// orders rival claims.
	At time.Time
	// Expires is when the claim lapses; a release sets it to the zero time.
	Expires time.Time
	// Version orders the writes of one holder's claim: the highest is its
	// state (renewals and the release come later).
	Version uint64
}

// ClaimStore keeps claims.
type ClaimStore interface {
	// SaveClaim writes a row of a claim.
	SaveClaim(ctx context.Context, r ClaimRow) error
	// Claims returns, per holder of job, its row of the highest version.
	Claims(ctx context.Context, job string) ([]ClaimRow, error)
}

// Claim timings.
const (
	DefaultClaimSettle = 2 * time.Second
	DefaultClaimTTL    = 2 * time.Minute
)

// ErrClaimed means another holder has the job.
var ErrClaimed = errors.New("claimed by another instance")

// ErrClaimUnsure means the claim's own write took too long for the time
// rule to decide (see above): nobody was given the job by this claim.
var ErrClaimUnsure = errors.New("the claim could not be decided: the store was too slow; try again")

// Claimer claims jobs in a ClaimStore.
type Claimer struct {
	Store ClaimStore
	// Settle is the wait between writing a claim and reading the rivals
	// (DefaultClaimSettle when 0); TTL how long a claim lives unrenewed
	// (DefaultClaimTTL when 0). A lease renews at a third of TTL.
	Settle, TTL time.Duration
	// Now is the clock (time.Now when nil).
	Now func() time.Time

	mu   sync.Mutex
	last uint64 // the last version written: versions strictly increase
}

func (c *Claimer) settle() time.Duration {
	if c.Settle > 0 {
		return c.Settle
	}
	return DefaultClaimSettle
}

func (c *Claimer) ttl() time.Duration {
	if c.TTL > 0 {
		return c.TTL
	}
	return DefaultClaimTTL
}

func (c *Claimer) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

// version is the write's time in ns, strictly increasing in this process.
func (c *Claimer) version(t time.Time) uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	v := uint64(t.UnixNano())
	if v <= c.last {
		v = c.last + 1
	}
	c.last = v
	return v
}

// NewHolder names a claimer: random, so two runs never share a name.
func NewHolder() string {
	b := make([]byte, 9)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// Held reports whether job has a live claim now, by anyone.
func (c *Claimer) Held(ctx context.Context, job string) (bool, error) {
	rows, err := c.Store.Claims(ctx, job)
	if err != nil {
		return false, err
	}
	return len(live(rows, c.now())) > 0, nil
}

// Claim claims job for a new holder and returns its lease, ErrClaimed when
// another holder has it, or ErrClaimUnsure. The lease renews itself until
// Release; the caller checks Held before each step it must not do twice.
func (c *Claimer) Claim(ctx context.Context, job string) (*Lease, error) {
	for try := 1; ; try++ {
		l, err := c.claim(ctx, job)
		if !errors.Is(err, ErrClaimUnsure) || try == claimTries {
			return l, err
		}
	}
}

// claimTries is how often Claim tries when its write is too slow to decide.
const claimTries = 3

func (c *Claimer) claim(ctx context.Context, job string) (*Lease, error) {
	rows, err := c.Store.Claims(ctx, job)
	if err != nil {
		return nil, fmt.Errorf("read claims of %s: %w", job, err)
	}
	if len(live(rows, c.now())) > 0 {
		return nil, ErrClaimed
	}
	l := &Lease{c: c, job: job, holder: NewHolder(), stop: make(chan struct{}), done: make(chan struct{})}
	start := c.now()
	l.at = start
	if err := l.write(ctx, start.Add(c.ttl())); err != nil {
		return nil, fmt.Errorf("claim %s: %w", job, err)
	}
	if c.now().Sub(start) > c.settle()/2 {
		l.release(ctx)
		return nil, ErrClaimUnsure
	}
	select {
	case <-time.After(c.settle()):
	case <-ctx.Done():
		l.release(context.WithoutCancel(ctx))
		return nil, ctx.Err()
	}
	rows, err = c.Store.Claims(ctx, job)
	if err != nil {
		l.release(context.WithoutCancel(ctx))
		return nil, fmt.Errorf("read claims of %s: %w", job, err)
	}
	alive := live(rows, c.now())
	if len(alive) == 0 || alive[0].Holder != l.holder {
		l.release(ctx)
		return nil, ErrClaimed
	}
	go l.renew()
	return l, nil
}

// live returns the claims not lapsed at now, earliest first (At, then
// Holder: every reader orders them alike).
func live(rows []ClaimRow, now time.Time) []ClaimRow {
	var out []ClaimRow
	for _, r := range rows {
		if r.Expires.After(now) {
			out = append(out, r)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].At.Equal(out[j].At) {
			return out[i].At.Before(out[j].At)
		}
		return out[i].Holder < out[j].Holder
	})
	return out
}

// Lease is a job won by a claim.
type Lease struct {
	c      *Claimer
	job    string
	holder string
	at     time.Time

	mu    sync.Mutex
	until time.Time // the claim lives until then, as last written
	stop  chan struct{}
	done  chan struct{}
	once  sync.Once
}

// Holder names the lease's claimer.
func (l *Lease) Holder() string { return l.holder }

func (l *Lease) write(ctx context.Context, expires time.Time) error {
	now := l.c.now()
	r := ClaimRow{Job: l.job, Holder: l.holder, At: l.at, Expires: expires, Version: l.c.version(now)}
	if err := l.c.Store.SaveClaim(ctx, r); err != nil {
		return err
	}
	if !expires.IsZero() {
		l.mu.Lock()
		l.until = expires
		l.mu.Unlock()
	}
	return nil
}

// Held reports whether the claim still lives (a safety margin of a settle
// before it lapses): work that must not run twice stops when it is false.
func (l *Lease) Held() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.c.now().Add(l.c.settle()).Before(l.until)
}

// renew writes the claim again every third of its TTL, until Release or
// until the claim lapsed for want of a renewal (the lease is lost for good).
func (l *Lease) renew() {
	defer close(l.done)
	t := time.NewTicker(l.c.ttl() / 3)
	defer t.Stop()
	for {
		select {
		case <-l.stop:
			return
		case <-t.C:
			l.mu.Lock()
			lapsed := !l.c.now().Before(l.until)
			l.mu.Unlock()
			if lapsed {
				// Another instance may have the job by now: renewing would
				// bring this claim, the earlier one, back over its claim.
				return
			}
			ctx, cancel := context.WithTimeout(context.Background(), l.c.ttl()/3)
			// A failed renewal is retried at the next tick; meanwhile Held
			// turns false once the last written claim nears its end.
			_ = l.write(ctx, l.c.now().Add(l.c.ttl()))
			cancel()
		}
	}
}

// Release gives the job up: other instances may claim it at once.
func (l *Lease) Release(ctx context.Context) error {
	var err error
	l.once.Do(func() {
		close(l.stop)
		<-l.done
		err = l.release(ctx)
	})
	return err
}

func (l *Lease) release(ctx context.Context) error {
	l.mu.Lock()
	l.until = time.Time{}
	l.mu.Unlock()
	return l.write(ctx, time.Time{})
}
