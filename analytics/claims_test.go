package analytics_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"heed/analytics"
	"heed/analytics/mock"
)

// slowStore delays every claim write: a store too slow for the time rule.
type slowStore struct {
	analytics.ClaimStore
	delay time.Duration
	fail  bool // writes fail (a store that went away)
	mu    sync.Mutex
}

func (s *slowStore) SaveClaim(ctx context.Context, r analytics.ClaimRow) error {
	s.mu.Lock()
	delay, fail := s.delay, s.fail
	s.mu.Unlock()
	time.Sleep(delay)
	if fail {
		return errors.New("store unreachable")
	}
	return s.ClaimStore.SaveClaim(ctx, r)
}

// TestClaimOneWinner: instances claiming one job at once (their clocks
// apart by less than the rule tolerates) give it to exactly one; once it
// is released, the next claim wins.
func TestClaimOneWinner(t *testing.T) {
	const settle = 200 * time.Millisecond
	for _, skew := range []time.Duration{0, settle / 3, -settle / 3} {
		store := mock.New()
		var wg sync.WaitGroup
		var mu sync.Mutex
		var won []*analytics.Lease
		for i := range 6 {
			offset := time.Duration(0)
			if i%2 == 1 {
				offset = skew // every other instance's clock is off
			}
			c := &analytics.Claimer{Store: store, Settle: settle, Now: func() time.Time { return time.Now().Add(offset) }}
			wg.Add(1)
			go func() {
				defer wg.Done()
				l, err := c.Claim(context.Background(), "send:s1:initial")
				switch {
				case err == nil:
					mu.Lock()
					won = append(won, l)
					mu.Unlock()
				case !errors.Is(err, analytics.ErrClaimed):
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		if len(won) != 1 {
			t.Fatalf("skew %v: %d winners, want 1", skew, len(won))
		}
		c := &analytics.Claimer{Store: store, Settle: settle}
		if held, err := c.Held(context.Background(), "send:s1:initial"); !held || err != nil {
			t.Fatalf("Held = %v, %v while claimed", held, err)
		}
		if !won[0].Held() {
			t.Fatal("the winner's lease is not held")
		}
		if _, err := c.Claim(context.Background(), "send:s1:initial"); !errors.Is(err, analytics.ErrClaimed) {
			t.Fatalf("a claim of a held job: %v, want ErrClaimed", err)
		}
		if err := won[0].Release(context.Background()); err != nil {
			t.Fatal(err)
		}
		if won[0].Held() {
			t.Fatal("a released lease is held")
		}
		l, err := c.Claim(context.Background(), "send:s1:initial")
		if err != nil {
			t.Fatalf("a claim after the release: %v", err)
		}
		l.Release(context.Background())
	}
}

// TestClaimTooSlowToDecide: a claim whose own write took more than half
// the settle time gives nobody the job and leaves no live claim.
func TestClaimTooSlowToDecide(t *testing.T) {
	store := &slowStore{ClaimStore: mock.New(), delay: 120 * time.Millisecond}
	c := &analytics.Claimer{Store: store, Settle: 200 * time.Millisecond}
	if _, err := c.Claim(context.Background(), "digest:d"); !errors.Is(err, analytics.ErrClaimUnsure) {
		t.Fatalf("slow write: %v, want ErrClaimUnsure", err)
	}
	if held, err := c.Held(context.Background(), "digest:d"); held || err != nil {
		t.Fatalf("Held = %v, %v after an undecided claim", held, err)
	}
}

// TestClaimLapses: a holder that cannot renew stops holding its lease
// before the claim lapses, and another instance may claim once it has.
func TestClaimLapses(t *testing.T) {
	store := &slowStore{ClaimStore: mock.New()}
	c := &analytics.Claimer{Store: store, Settle: 20 * time.Millisecond, TTL: 300 * time.Millisecond}
	l, err := c.Claim(context.Background(), "send:s2:initial")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Release(context.Background())
	store.mu.Lock()
	store.fail = true // renewals fail from now on
	store.mu.Unlock()
	deadline := time.Now().Add(5 * time.Second)
	for l.Held() && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if l.Held() {
		t.Fatal("a lease that cannot be renewed is still held")
	}
	store.mu.Lock()
	store.fail = false
	store.mu.Unlock()
	other := &analytics.Claimer{Store: store, Settle: 20 * time.Millisecond, TTL: 300 * time.Millisecond}
	var l2 *analytics.Lease
	for time.Now().Before(deadline) {
		if l2, err = other.Claim(context.Background(), "send:s2:initial"); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if l2 == nil {
		t.Fatalf("the lapsed claim was never taken over: %v", err)
	}
	l2.Release(context.Background())
}
