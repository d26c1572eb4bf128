package clickhouse

import (
	"sync"
	"time"
)

// staleHints remembers, per survey, the days recent reports found stale
// (their count no longer matched their marks), so that the next report
// reads them raw in its first round instead of in a second one: while
// answers arrive, a survey's recent days turn stale again within seconds
// of being counted, and two rounds in a row cost a report twice the
// latency. A hint decides nothing: a day read raw is exact whatever its
// count, a hint wrongly missing costs the second round it would have cost
// anyway, and a hinted day found counted and current is forgotten. So what
// one instance remembers changes no figure, only how fast it gets there.
type staleHints struct {
	mu      sync.Mutex
	surveys map[string]map[string]time.Time // survey -> day -> when last found stale
}

// hintTTL is how long a day found stale stays hinted without being found
// stale again; maxHintedSurveys bounds the memory (surveys past it are not
// hinted: their reports take two rounds when days are stale, as without).
const (
	hintTTL          = time.Minute
	maxHintedSurveys = 10_000
)

// days returns the hinted days of a survey within [first, end).
func (h *staleHints) days(survey string, first, end time.Time, now time.Time) daySet {
	out := daySet{}
	h.mu.Lock()
	defer h.mu.Unlock()
	for day, at := range h.surveys[survey] {
		if now.Sub(at) > hintTTL {
			delete(h.surveys[survey], day)
			continue
		}
		if d, err := time.Parse(time.DateOnly, day); err == nil && !d.Before(first) && d.Before(end) {
			out[day] = true
		}
	}
	return out
}

// learn records what a report found: stale days are hinted, current ones
// (counted at their marks) forgotten.
func (h *staleHints) learn(survey string, stale, current []string, now time.Time) {
	if len(stale) == 0 && len(current) == 0 {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	days := h.surveys[survey]
	if days == nil {
		if len(stale) == 0 {
			return
		}
		if h.surveys == nil {
			h.surveys = map[string]map[string]time.Time{}
		}
		if len(h.surveys) >= maxHintedSurveys {
			return
		}
		days = map[string]time.Time{}
		h.surveys[survey] = days
	}
	for _, d := range current {
		delete(days, d)
	}
	for _, d := range stale {
		days[d] = now
	}
	if len(days) == 0 {
		delete(h.surveys, survey)
	}
}
