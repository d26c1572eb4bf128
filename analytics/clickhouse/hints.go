package clickhouse

import (
	"sync"
	"time"
)

// staleHints remembers, per survey, what recent reports found of their
// days: the days found stale (their count no longer matched their marks),
// so that the next report reads them raw in its first round instead of in
// a second one (while answers arrive, a survey's recent days turn stale
// again within seconds of being counted, and two rounds in a row cost a
// report twice the latency); and the days found current that a report
// would otherwise read raw at once (today, see Report), so that once
// today is counted reports use its count. A hint decides nothing: a day
// read raw is exact whatever its count, a wrong hint costs at most the
// second round it would have cost anyway. So what one instance remembers
// changes no figure, only how fast it gets there.
type staleHints struct {
	mu      sync.Mutex
	surveys map[string]map[string]hint // survey -> day -> last finding
	swept   time.Time                  // when findings past their TTL were last dropped
}

type hint struct {
	at    time.Time // when found
	stale bool      // else found counted and current
}

// hintTTL is how long a finding stays without being made again;
// maxHintedSurveys bounds the memory (surveys past it are not hinted:
// their reports take two rounds when days are stale, as without).
const (
	hintTTL          = time.Minute
	maxHintedSurveys = 10_000
)

// days returns the days of a survey within [first, end) found stale.
func (h *staleHints) days(survey string, first, end time.Time, now time.Time) daySet {
	out := daySet{}
	h.mu.Lock()
	defer h.mu.Unlock()
	for day, f := range h.surveys[survey] {
		if now.Sub(f.at) > hintTTL {
			delete(h.surveys[survey], day)
			continue
		}
		if d, err := time.Parse(time.DateOnly, day); f.stale && err == nil && !d.Before(first) && d.Before(end) {
			out[day] = true
		}
	}
	return out
}

// current tells whether a recent report found the day counted and current.
func (h *staleHints) current(survey, day string, now time.Time) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	f, ok := h.surveys[survey][day]
	return ok && !f.stale && now.Sub(f.at) <= hintTTL
}

// learn records what a report found: which days were stale, which current.
func (h *staleHints) learn(survey string, stale, current []string, now time.Time) {
	if len(stale) == 0 && len(current) == 0 {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	days := h.surveys[survey]
	if days == nil {
		if h.surveys == nil {
			h.surveys = map[string]map[string]hint{}
		}
		if len(h.surveys) >= maxHintedSurveys && now.Sub(h.swept) > hintTTL {
			h.sweep(now)
		}
		if len(h.surveys) >= maxHintedSurveys {
			return
		}
		days = map[string]hint{}
		h.surveys[survey] = days
	}
	for _, d := range current {
		days[d] = hint{at: now}
	}
	for _, d := range stale {
		days[d] = hint{at: now, stale: true}
	}
}

// sweep drops the findings past their TTL, and the surveys left without
// any: surveys no longer reported would otherwise hold their places.
func (h *staleHints) sweep(now time.Time) {
	h.swept = now
	for survey, days := range h.surveys {
		for day, f := range days {
			if now.Sub(f.at) > hintTTL {
				delete(days, day)
			}
		}
		if len(days) == 0 {
			delete(h.surveys, survey)
		}
	}
}
