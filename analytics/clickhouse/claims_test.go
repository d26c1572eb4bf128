package clickhouse_test

import (
	"context"
	"errors"
	"sort"
	"sync"
	"testing"
	"time"

	"heed/analytics"
	"heed/analytics/clickhouse/chtest"
	"heed/analytics/mock"
)

// TestClaimsRule: what Claims reads of each holder (its latest write) is
// what ClickHouse keeps when it merges, and what the in-memory store
// keeps; and of instances claiming one job at once on the real store,
// exactly one wins.
func TestClaimsRule(t *testing.T) {
	db := chtest.Open(t, "heed_test_ch_claims")
	ctx := context.Background()
	t0 := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
	rows := []analytics.ClaimRow{
		// a: claimed, renewed twice, the renewals written out of order.
		{Job: "j", Holder: "a", At: t0, Expires: t0.Add(2 * time.Minute), Version: 1},
		{Job: "j", Holder: "a", At: t0, Expires: t0.Add(6 * time.Minute), Version: 3},
		{Job: "j", Holder: "a", At: t0, Expires: t0.Add(4 * time.Minute), Version: 2},
		// b: claimed, then released (a release has no expiry).
		{Job: "j", Holder: "b", At: t0.Add(time.Second), Expires: t0.Add(2 * time.Minute), Version: 4},
		{Job: "j", Holder: "b", At: t0.Add(time.Second), Version: 5},
		// Another job.
		{Job: "k", Holder: "a", At: t0, Expires: t0.Add(time.Minute), Version: 6},
	}
	fake := mock.New()
	for _, r := range rows {
		if err := db.SaveClaim(ctx, r); err != nil {
			t.Fatal(err)
		}
		if err := fake.SaveClaim(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	want := []analytics.ClaimRow{rows[1], rows[4]}
	read := func(t *testing.T, s analytics.ClaimStore) {
		t.Helper()
		got, err := s.Claims(ctx, "j")
		if err != nil {
			t.Fatal(err)
		}
		sort.Slice(got, func(i, j int) bool { return got[i].Holder < got[j].Holder })
		if len(got) != len(want) {
			t.Fatalf("claims %+v, want %+v", got, want)
		}
		for i := range want {
			if g, w := got[i], want[i]; g.Holder != w.Holder || !g.At.Equal(w.At) || !g.Expires.Equal(w.Expires) || g.Version != w.Version {
				t.Errorf("claim %+v, want %+v", g, w)
			}
		}
	}
	read(t, fake)
	read(t, db)
	if err := db.Exec(ctx, "OPTIMIZE TABLE claims FINAL"); err != nil {
		t.Fatal(err)
	}
	read(t, db)
	var n uint64
	if err := db.QueryRow(ctx, "SELECT count() FROM claims WHERE job = 'j'").Scan(&n); err != nil || n != 2 {
		t.Fatalf("%d rows of job j after the merge (%v), want one per holder", n, err)
	}

	// Instances claiming at once.
	var wg sync.WaitGroup
	var mu sync.Mutex
	winners := 0
	for range 4 {
		c := &analytics.Claimer{Store: db, Settle: 500 * time.Millisecond}
		wg.Add(1)
		go func() {
			defer wg.Done()
			switch _, err := c.Claim(ctx, "send:race:initial"); {
			case err == nil:
				mu.Lock()
				winners++
				mu.Unlock()
			case !errors.Is(err, analytics.ErrClaimed):
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if winners != 1 {
		t.Fatalf("%d instances won one claim, want 1", winners)
	}
}
