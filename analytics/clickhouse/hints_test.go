package clickhouse

import (
	"testing"
	"time"
)

func TestSplitRanges(t *testing.T) {
	d := func(day, hour int) time.Time { return time.Date(2026, 11, day, hour, 0, 0, 0, time.UTC) }
	cases := []struct {
		name string
		in   []timeRange
		n    int
		want int // pieces
	}{
		{"30 days in 4", []timeRange{{d(1, 0), d(31, 0)}}, 4, 4},
		{"enough ranges already", []timeRange{{d(1, 0), d(2, 0)}, {d(3, 0), d(4, 0)}, {d(5, 0), d(6, 0)}, {d(7, 0), d(8, 0)}}, 4, 4},
		{"two hours stay at most two", []timeRange{{d(1, 0), d(1, 2)}}, 4, 2},
		{"a day and a week", []timeRange{{d(1, 0), d(2, 0)}, {d(10, 0), d(17, 0)}}, 4, 5},
		{"nothing", nil, 4, 0},
	}
	for _, c := range cases {
		got := splitRanges(c.in, c.n)
		if len(got) != c.want {
			t.Errorf("%s: %d pieces, want %d: %v", c.name, len(got), c.want, got)
		}
		// The pieces cover exactly what was given, in whole hours, in order.
		var in, out time.Duration
		for _, r := range c.in {
			in += r.to.Sub(r.from)
		}
		for i, r := range got {
			out += r.to.Sub(r.from)
			if r.from.Truncate(time.Hour) != r.from || r.to.Truncate(time.Hour) != r.to || !r.from.Before(r.to) {
				t.Errorf("%s: piece %v is not whole hours", c.name, r)
			}
			if i > 0 && r.from.Before(got[i-1].to) {
				t.Errorf("%s: pieces overlap: %v", c.name, got)
			}
		}
		if in != out {
			t.Errorf("%s: pieces cover %v of %v", c.name, out, in)
		}
	}
}

func TestStaleHints(t *testing.T) {
	var h staleHints
	now := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	first, end := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 12, 8, 0, 0, 0, 0, time.UTC)
	h.learn("s", []string{"2026-12-02", "2026-12-03", "2026-11-20"}, nil, now)
	if got := h.days("s", first, end, now); len(got) != 2 || !got["2026-12-02"] || !got["2026-12-03"] {
		t.Fatalf("hinted days in range: %v", got)
	}
	if got := h.days("other", first, end, now); len(got) != 0 {
		t.Fatalf("another survey's hints: %v", got)
	}
	h.learn("s", nil, []string{"2026-12-02"}, now) // found counted and current
	if got := h.days("s", first, end, now); len(got) != 1 || !got["2026-12-03"] {
		t.Fatalf("after a day was found current: %v", got)
	}
	if got := h.days("s", first, end, now.Add(hintTTL+time.Second)); len(got) != 0 {
		t.Fatalf("hints past their TTL: %v", got)
	}
}
