package analytics

import (
	"encoding/json"
	"math"
	"testing"
)

// TestRatesNeverNaN: a count above its base (answers the store should not
// have counted, a delivered event for an email still 'sending'), a
// negative count or a base of 0 gives an interval within [0, 1] or none,
// and rates the JSON encoder can write (it refuses NaN and Inf: a 500).
func TestRatesNeverNaN(t *testing.T) {
	tests := []struct {
		name     string
		k, n     int
		ok       bool
		lo, hi   float64
		rate     float64
		count    int
		interval bool
	}{
		{"answered above emailed", 7, 5, true, 0.5655, 1, 1, 5, true},
		{"far above", 1 << 40, 1, true, 0.2065, 1, 1, 1, true},
		{"negative", -3, 10, true, 0, 0.2775, 0, 0, true},
		{"n = 0", 0, 0, false, 0, 0, 0, 0, false},
		{"n = 0, k above", 4, 0, false, 0, 0, 0, 0, false},
		{"n negative", 1, -2, false, 0, 0, 0, 0, false},
		{"3 of 10 as before", 3, 10, true, 0.1078, 0.6032, 0.3, 3, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lo, hi, ok := Wilson(tt.k, tt.n)
			if ok != tt.ok || lo != tt.lo || hi != tt.hi {
				t.Errorf("Wilson(%d, %d) = [%v, %v] %v, want [%v, %v] %v", tt.k, tt.n, lo, hi, ok, tt.lo, tt.hi, tt.ok)
			}
			for _, x := range []float64{lo, hi} {
				if math.IsNaN(x) || math.IsInf(x, 0) || x < 0 || x > 1 {
					t.Errorf("bound %v", x)
				}
			}
			r := NewRate(tt.k, tt.n)
			if r.Rate != tt.rate || r.Count != tt.count || (r.CI95 != nil) != tt.interval {
				t.Errorf("NewRate(%d, %d) = %+v", tt.k, tt.n, r)
			}
			f := SendFunnel{Emailed: tt.n, Delivered: tt.n, Opened: tt.k, Answered: tt.k}
			if _, err := json.Marshal(f.Rates(0)); err != nil {
				t.Errorf("the rates of %+v do not encode: %v", f, err)
			}
		})
	}
}
