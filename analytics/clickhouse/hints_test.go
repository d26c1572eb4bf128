package clickhouse

import (
	"fmt"
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
		{"a day is not cut", []timeRange{{d(1, 0), d(2, 0)}}, 4, 1},
		{"two days in two", []timeRange{{d(1, 0), d(3, 0)}}, 4, 2},
		{"a day and a week", []timeRange{{d(1, 0), d(2, 0)}, {d(10, 0), d(17, 0)}}, 4, 5},
		{"a week and some hours", []timeRange{{d(1, 0), d(8, 3)}}, 4, 4},
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
	if !h.current("s", "2026-12-02", now) || h.current("s", "2026-12-03", now) || h.current("other", "2026-12-02", now) {
		t.Fatal("current: want only the day found current")
	}
	later := now.Add(hintTTL + time.Second)
	if got := h.days("s", first, end, later); len(got) != 0 || h.current("s", "2026-12-02", later) {
		t.Fatalf("hints past their TTL: %v", got)
	}
}

// TestStaleHintsBounded: once maxHintedSurveys are hinted no more are, until
// their hints are past the TTL: then a sweep makes room.
func TestStaleHintsBounded(t *testing.T) {
	var h staleHints
	now := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	first, end := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 12, 8, 0, 0, 0, 0, time.UTC)
	for i := range maxHintedSurveys {
		h.learn(fmt.Sprint(i), []string{"2026-12-02"}, nil, now)
	}
	h.learn("one more", []string{"2026-12-02"}, nil, now)
	if len(h.days("one more", first, end, now)) != 0 {
		t.Fatal("a survey past the bound was hinted")
	}
	later := now.Add(hintTTL + time.Second)
	h.learn("one more", []string{"2026-12-02"}, nil, later)
	if len(h.days("one more", first, end, later)) != 1 || len(h.surveys) != 1 {
		t.Fatalf("after the TTL: %d surveys held, the new one hinted: %v", len(h.surveys), h.days("one more", first, end, later))
	}
}

func TestRawRanges(t *testing.T) {
	d := func(day int) time.Time { return time.Date(2026, 11, day, 0, 0, 0, 0, time.UTC) }
	got := RawRanges([]time.Time{d(10), d(1), d(2), d(3)})
	want := [][2]time.Time{{d(1), d(2)}, {d(2), d(3)}, {d(3), d(4)}, {d(10), d(11)}}
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for i := range want {
		if !got[i][0].Equal(want[i][0]) || !got[i][1].Equal(want[i][1]) {
			t.Errorf("piece %d: %v, want %v", i, got[i], want[i])
		}
	}
	if RawRanges(nil) != nil {
		t.Error("no days, some ranges")
	}
}

// TestCountBatches: a large survey's days are counted one survey at a time
// with FINAL, the small ones many surveys at a time; no batch spans more
// than countChunk days or countRows rows, and every day is counted once.
func TestCountBatches(t *testing.T) {
	d := func(day int) time.Time { return time.Date(2026, 11, day, 0, 0, 0, 0, time.UTC) }
	var stale []staleDay
	for day := 1; day <= 20; day++ {
		stale = append(stale, staleDay{survey: "big", day: d(day), mark: mark{rows: 70_000}})
		stale = append(stale, staleDay{survey: "other big", day: d(day), mark: mark{rows: 10_000}})
		for s := 0; s < 3; s++ {
			stale = append(stale, staleDay{survey: fmt.Sprint("small", s), day: d(day), mark: mark{rows: 300}})
		}
	}
	seen := map[string]int{}
	for _, b := range countBatches(stale, countFinalRows) {
		var rows uint64
		for _, s := range b.days {
			seen[s.survey+dateString(s.day)]++
			rows += s.mark.rows
			if s.day.Before(b.days[0].day) || !s.day.Before(b.days[0].day.AddDate(0, 0, countChunk)) {
				t.Errorf("a batch from %s holds %s", dateString(b.days[0].day), dateString(s.day))
			}
			if b.final != (s.mark.rows >= countFinalRows) {
				t.Errorf("%s of %s counted with final=%v", dateString(s.day), s.survey, b.final)
			}
			if b.final && s.survey != b.days[0].survey {
				t.Errorf("a FINAL batch of %s holds %s", b.days[0].survey, s.survey)
			}
		}
		if len(b.days) > 1 && rows > countRows {
			t.Errorf("a batch of %d rows", rows)
		}
	}
	if len(seen) != len(stale) {
		t.Errorf("%d survey-days counted, want %d", len(seen), len(stale))
	}
	for k, n := range seen {
		if n != 1 {
			t.Errorf("%s counted %d times", k, n)
		}
	}
}
