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
	tests := []struct {
		p, pa, d    int
		nps, lo, hi float64
	}{
		// 10, 9, 3: mean 1/3, var = 1 - 1/9 = 8/9, se = sqrt(8/27) = 0.5443, half 1.0669
		{2, 0, 1, 33.3, -73.4, 100},
		{1, 1, 1, 0, -92.4, 92.4}, // var = 2/3, se = 0.4714, half = 0.9239
		{10, 0, 0, 100, 100, 100},
		{0, 0, 4, -100, -100, -100},
		// 60 P, 20 Pa, 20 D of 100: mean .4, var .8-.16=.64, se .08, half .1568
		{60, 20, 20, 40, 24.3, 55.7},
	}
	for _, tt := range tests {
		nps, lo, hi := NPS(tt.p, tt.pa, tt.d)
		if nps != tt.nps || lo != tt.lo || hi != tt.hi {
			t.Errorf("NPS(%d,%d,%d) = %v [%v,%v], want %v [%v,%v]", tt.p, tt.pa, tt.d, nps, lo, hi, tt.nps, tt.lo, tt.hi)
		}
	}
}
