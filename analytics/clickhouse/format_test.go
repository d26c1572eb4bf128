package clickhouse

import (
	"math/rand/v2"
	"testing"
	"time"
)

// TestRFC3339Seconds checks the export's time writer against time.Format,
// in time order (the date kept between calls) and jumping about.
func TestRFC3339Seconds(t *testing.T) {
	var f rfc3339Seconds
	check := func(unix uint32) {
		t.Helper()
		if got, want := f.format(unix), time.Unix(int64(unix), 0).UTC().Format(time.RFC3339); got != want {
			t.Fatalf("%d: %q, want %q", unix, got, want)
		}
	}
	for _, u := range []uint32{0, 59, 86399, 86400, 1793613600, 1793613600 + 86399, 1<<32 - 1} {
		check(u)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for u := uint32(1767225600); u < 1767225600+3*86400; u += uint32(rng.IntN(600)) {
		check(u)
	}
	for range 10000 {
		check(rng.Uint32())
	}
}
