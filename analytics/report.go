package analytics

import (
	"fmt"
	"math"
	"time"
)

// Interval is the length of a report period.
type Interval string

// Report intervals. Weeks start on Monday (ISO), all in UTC.
const (
	Day   Interval = "day"
	Week  Interval = "week"
	Month Interval = "month"
)

// Valid reports whether i is a known interval.
func (i Interval) Valid() bool { return i == Day || i == Week || i == Month }

// Start returns the first day of the period that holds t.
func (i Interval) Start(t time.Time) time.Time {
	t = t.UTC()
	d := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
	switch i {
	case Day:
		return d
	case Month:
		return time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC)
	default:
		offset := (int(d.Weekday()) + 6) % 7 // Monday = 0
		return d.AddDate(0, 0, -offset)
	}
}

// Next returns the start of the period after the one starting at start.
func (i Interval) Next(start time.Time) time.Time {
	switch i {
	case Day:
		return start.AddDate(0, 0, 1)
	case Month:
		return start.AddDate(0, 1, 0)
	default:
		return start.AddDate(0, 0, 7)
	}
}

// Periods counts the periods a report from..to (exclusive) has.
func (i Interval) Periods(from, to time.Time) int {
	n := 0
	for s := i.Start(from); s.Before(to); s = i.Next(s) {
		n++
	}
	return n
}

// ReportQuery selects the responses of one survey in [From, To).
type ReportQuery struct {
	Survey   *Survey
	From, To time.Time
	Interval Interval
	// IncludeUnconfirmed also counts email scores recorded by a link's GET
	// alone (possibly a link scanner); by default only confirmed answers count.
	IncludeUnconfirmed bool
	// Properties keeps only answers whose properties hold every pair (a
	// segment, e.g. plan=pro: contact properties for email answers,
	// identify properties for the widget).
	Properties map[string]string
}

// ReasonStats tells how often one reason was cited.
type ReasonStats struct {
	Count              int     `json:"count"`
	ShareOfDetractors  float64 `json:"share_of_detractors"`
	ShareOfResponses   float64 `json:"share_of_responses"`
	detractorsCitingIt int

	// Groups are the NPS groups the reason is offered to (Survey.AllReasons);
	// ShareOfGroups is the share of their respondents citing it.
	Groups         []string `json:"groups"`
	ShareOfGroups  float64  `json:"share_of_groups"`
	groupsCitingIt int
}

// Period is the NPS of one period (or of the whole report, with Start empty).
type Period struct {
	Start      string                 `json:"start,omitempty"`
	Responses  int                    `json:"responses"`
	Promoters  int                    `json:"promoters"`
	Passives   int                    `json:"passives"`
	Detractors int                    `json:"detractors"`
	NPS        *float64               `json:"nps"`
	NPSCI95    *[2]float64            `json:"nps_ci95"`
	Reasons    map[string]ReasonStats `json:"reasons"`
}

// Report is the NPS trend of a survey.
type Report struct {
	Periods []Period `json:"periods"`
	Total   Period   `json:"total"`
	index   map[string]int
}

// NewReport returns an empty report with one period per interval of q,
// ready for Add.
func NewReport(q ReportQuery) *Report {
	rep := &Report{Total: newPeriod("", q.Survey), index: map[string]int{}}
	for s := q.Interval.Start(q.From); s.Before(q.To); s = q.Interval.Next(s) {
		key := s.Format(time.DateOnly)
		rep.index[key] = len(rep.Periods)
		rep.Periods = append(rep.Periods, newPeriod(key, q.Survey))
	}
	return rep
}

// Add counts n responses whose answer had this score and these reasons, in
// the period starting at start.
func (r *Report) Add(start time.Time, score uint8, reasons []string, n int) error {
	i, ok := r.index[start.Format(time.DateOnly)]
	if !ok {
		return fmt.Errorf("report: period %s outside the report", start.Format(time.DateOnly))
	}
	r.Periods[i].add(score, reasons, n)
	r.Total.add(score, reasons, n)
	return nil
}

// Finish derives NPS, intervals and shares once every count is added.
func (r *Report) Finish() {
	for i := range r.Periods {
		r.Periods[i].finish()
	}
	r.Total.finish()
}

func newPeriod(start string, sv *Survey) Period {
	reasons := sv.AllReasons()
	p := Period{Start: start, Reasons: make(map[string]ReasonStats, len(reasons))}
	for _, r := range reasons {
		p.Reasons[r.ID] = ReasonStats{Groups: r.Groups}
	}
	return p
}

// add counts n responses with this score and reason set. Reasons the survey
// no longer offers are left out.
func (p *Period) add(score uint8, reasons []string, n int) {
	p.Responses += n
	detractor := IsDetractor(score)
	switch {
	case IsPromoter(score):
		p.Promoters += n
	case detractor:
		p.Detractors += n
	default:
		p.Passives += n
	}
	for _, id := range reasons {
		st, ok := p.Reasons[id]
		if !ok {
			continue
		}
		st.Count += n
		if detractor {
			st.detractorsCitingIt += n
		}
		if offeredTo(st.Groups, score) {
			st.groupsCitingIt += n
		}
		p.Reasons[id] = st
	}
}

// finish derives NPS, its 95% interval and the reason shares from the counts.
func (p *Period) finish() {
	for id, st := range p.Reasons {
		st.ShareOfResponses = share(st.Count, p.Responses)
		st.ShareOfDetractors = share(st.detractorsCitingIt, p.Detractors)
		st.ShareOfGroups = share(st.groupsCitingIt, p.inGroups(st.Groups))
		p.Reasons[id] = st
	}
	if p.Responses == 0 {
		return
	}
	nps, lo, hi := NPS(p.Promoters, p.Passives, p.Detractors)
	p.NPS = &nps
	p.NPSCI95 = &[2]float64{lo, hi}
}

func share(part, whole int) float64 {
	if whole == 0 {
		return 0
	}
	return round(float64(part)/float64(whole), 4)
}

// NPS returns 100*(P-D)/N and its 95% confidence interval, each rounded to
// 0.1. Each respondent scores +1 (promoter), 0 (passive) or -1 (detractor);
// NPS is 100 times the mean, and the interval is mean ± 1.96·sqrt(var/N)
// with the variance of that per-respondent score, clamped to [-100, 100].
func NPS(promoters, passives, detractors int) (nps, lo, hi float64) {
	n := float64(promoters + passives + detractors)
	if n == 0 {
		return 0, 0, 0
	}
	p, d := float64(promoters)/n, float64(detractors)/n
	mean := p - d
	variance := p + d - mean*mean
	if variance < 0 { // rounding on all-promoter or all-detractor samples
		variance = 0
	}
	half := 1.96 * math.Sqrt(variance/n)
	return round(100*mean, 1), round(max(-100, 100*(mean-half)), 1), round(min(100, 100*(mean+half)), 1)
}

func round(x float64, digits int) float64 {
	f := math.Pow(10, float64(digits))
	return math.Round(x*f) / f
}
