package analytics

import (
	"testing"
	"time"
)

func TestIntervalStart(t *testing.T) {
	ts := time.Date(2026, 11, 25, 17, 30, 0, 0, time.UTC) // a Wednesday
	tests := []struct {
		in       Interval
		start    string
		next     string
		nPeriods int // from ts to ts+60 days
	}{
		{Day, "2026-11-25", "2026-11-26", 61}, // the last day is partial
		{Week, "2026-11-23", "2026-11-30", 9},
		{Month, "2026-11-01", "2026-12-01", 3},
	}
	for _, tt := range tests {
		s := tt.in.Start(ts)
		if got := s.Format(time.DateOnly); got != tt.start {
			t.Errorf("%s start = %s, want %s", tt.in, got, tt.start)
		}
		if got := tt.in.Next(s).Format(time.DateOnly); got != tt.next {
			t.Errorf("%s next = %s, want %s", tt.in, got, tt.next)
		}
		if got := tt.in.Periods(ts, ts.AddDate(0, 0, 60)); got != tt.nPeriods {
			t.Errorf("%s periods = %d, want %d", tt.in, got, tt.nPeriods)
		}
	}
	// A Sunday belongs to the week that started the Monday before.
	if got := Week.Start(time.Date(2026, 11, 29, 23, 59, 59, 0, time.UTC)).Format(time.DateOnly); got != "2026-11-23" {
		t.Errorf("sunday week start = %s", got)
	}
}

func TestNPS(t *testing.T) {
	// Adjusted Wald (Rocks 2016): n' = n+3, p' = (P+3/4)/n', d' = (D+3/4)/n',
	// A = p'-d', SE = sqrt((p'+d'-A²)/n'), 100·(A ± 1.96·SE) in [-100, 100].
	tests := []struct {
		p, pa, d    int
		nps, lo, hi float64
	}{
		// The examples. n = 200: p' = 90.75/203 = .44704,
		// d' = 40.75/203 = .20074, A = .24631, SE = sqrt(.58712/203) = .05378.
		{90, 70, 40, 25, 14.1, 35.2},
		// n = 3: p' = 2.75/6, d' = 1.75/6, A = 1/6, SE = sqrt(.72222/6) = .34694.
		{2, 0, 1, 33.3, -51.3, 84.7},
		{1, 1, 1, 0, -61.1, 61.1},    // A = 0, SE = sqrt(.58333/6) = .31180
		{10, 0, 0, 100, 47.5, 100},   // A = .76923, SE = .15010
		{0, 0, 4, -100, -100, -6.9},  // A = -.57143, SE = .25612
		{60, 20, 20, 40, 23.4, 54.3}, // A = .38835, SE = .07885
		{0, 0, 0, 0, 0, 0},
	}
	for _, tt := range tests {
		nps, lo, hi := NPS(tt.p, tt.pa, tt.d)
		if nps != tt.nps || lo != tt.lo || hi != tt.hi {
			t.Errorf("NPS(%d,%d,%d) = %v [%v,%v], want %v [%v,%v]", tt.p, tt.pa, tt.d, nps, lo, hi, tt.nps, tt.lo, tt.hi)
		}
	}
}

func TestWilson(t *testing.T) {
	tests := []struct {
		k, n   int
		lo, hi float64
		ok     bool
	}{
		{3, 10, 0.1078, 0.6032, true},   // center (.3+.19208)/1.38416, half .24772
		{0, 5, 0, 0.4345, true},         // never below 0
		{40, 200, 0.1505, 0.2609, true}, // 20 % of 200
		{5, 5, 0.5655, 1, true},
		{0, 0, 0, 0, false},
	}
	for _, tt := range tests {
		lo, hi, ok := Wilson(tt.k, tt.n)
		if lo != tt.lo || hi != tt.hi || ok != tt.ok {
			t.Errorf("Wilson(%d, %d) = [%v, %v] %v, want [%v, %v] %v", tt.k, tt.n, lo, hi, ok, tt.lo, tt.hi, tt.ok)
		}
	}
}

func TestNPSChange(t *testing.T) {
	base := Counts{Promoters: 90, Passives: 70, Detractors: 40} // NPS 25
	tests := []struct {
		name  string
		after Counts
		want  Change
	}{
		// NPS 25 to 5: SE = sqrt(.0028922 + .0031187) = .07792, z = -.2/.07792.
		{"fell 20 points", Counts{70, 70, 60}, Change{Diff: -20, CI95: [2]float64{-35.3, -4.7}, Z: -2.57, Significant: true}},
		// NPS 25 to 20: z = -.65, the interval holds 0.
		{"fell 5 points", Counts{85, 70, 45}, Change{Diff: -5, CI95: [2]float64{-20, 10}, Z: -0.65}},
		// 3 answers: Var₂ = .72222/6, so the interval is wide.
		{"small", Counts{2, 0, 1}, Change{Diff: 8.3, CI95: [2]float64{-60.5, 77.1}, Z: 0.24, SmallSample: true}},
	}
	for _, tt := range tests {
		got, ok := NPSChange(base, tt.after, DefaultMinSample)
		if !ok || got != tt.want {
			t.Errorf("%s: %+v, %v; want %+v", tt.name, got, ok, tt.want)
		}
	}
	if _, ok := NPSChange(base, Counts{}, DefaultMinSample); ok {
		t.Error("a change from or to an empty sample")
	}
}

func TestShareChange(t *testing.T) {
	tests := []struct {
		name           string
		k1, n1, k2, n2 int
		want           Change
	}{
		// 20 % to 50 % of 50: pooled .35, z = .3/sqrt(.35·.65·.04) = 3.14.
		{"rose", 10, 50, 25, 50, Change{Diff: 0.3, CI95: [2]float64{0.1134, 0.4597}, Z: 3.14, Significant: true}},
		// 20 % to 28 %: z = .94.
		{"noise", 10, 50, 14, 50, Change{Diff: 0.08, CI95: [2]float64{-0.0876, 0.2423}, Z: 0.94}},
		{"small", 1, 4, 3, 4, Change{Diff: 0.5, CI95: [2]float64{-0.1355, 0.7891}, Z: 1.41, SmallSample: true}},
	}
	for _, tt := range tests {
		got, ok := ShareChange(tt.k1, tt.n1, tt.k2, tt.n2, DefaultMinSample)
		if !ok || got != tt.want {
			t.Errorf("%s: %+v, %v; want %+v", tt.name, got, ok, tt.want)
		}
	}
	if _, ok := ShareChange(1, 0, 1, 2, DefaultMinSample); ok {
		t.Error("a change of a share of nobody")
	}
}
