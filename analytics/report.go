package analytics

import (
	"fmt"
	"math"
	"sort"
	"strings"
	"time"
)

// Interval is the length of a report period.
type Interval string

// Report intervals. Weeks start on Monday (ISO), in the report's time zone
// (UTC unless asked).
const (
	Day   Interval = "day"
	Week  Interval = "week"
	Month Interval = "month"
)

// Valid reports whether i is a known interval.
func (i Interval) Valid() bool { return i == Day || i == Week || i == Month }

// Start returns the first day of the period that holds t, at midnight in
// t's location.
func (i Interval) Start(t time.Time) time.Time {
	d := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, t.Location())
	switch i {
	case Day:
		return d
	case Month:
		return time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, t.Location())
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
	// Location sets where periods begin and end (days, Mondays, months);
	// nil means UTC. From and To are midnights there.
	Location *time.Location
	// IncludeUnconfirmed also counts email scores recorded by a link's GET
	// alone (possibly a link scanner); by default only confirmed answers count.
	IncludeUnconfirmed bool
	// Properties keeps only answers whose properties hold every pair (a
	// segment, e.g. plan=pro: contact properties for email answers,
	// identify properties for the widget).
	Properties map[string]string
	// Respondent keeps only one person's answers (answer lists).
	Respondent string
	// GroupBy splits the report into segments as well.
	GroupBy GroupBy
	// MinSample is the sample size below which figures are flagged small;
	// 0 means DefaultMinSample.
	MinSample int
}

// UTC reports whether q's periods are UTC ones.
func (q ReportQuery) UTC() bool { return q.Location == nil || q.Location == time.UTC }

// Zone is q's location (UTC when unset).
func (q ReportQuery) Zone() *time.Location {
	if q.Location == nil {
		return time.UTC
	}
	return q.Location
}

// GroupBy names what a report is split by: nothing, the channel, or the
// value of one property ("" for answers without it).
type GroupBy struct {
	Channel  bool
	Property string
}

// ParseGroupBy reads "channel" or "property:<key>" ("" is no grouping).
func ParseGroupBy(s string) (GroupBy, error) {
	switch key, isProperty := strings.CutPrefix(s, "property:"); {
	case s == "":
		return GroupBy{}, nil
	case s == "channel":
		return GroupBy{Channel: true}, nil
	case isProperty && ValidPropertyKey(key):
		return GroupBy{Property: key}, nil
	}
	return GroupBy{}, fmt.Errorf("must be channel or property:<key>")
}

// Of returns the segment of an answer.
func (g GroupBy) Of(r Response) string {
	if g.Channel {
		return r.Channel
	}
	return r.Properties[g.Property]
}

// Set reports whether g groups at all.
func (g GroupBy) Set() bool { return g.Channel || g.Property != "" }

func (g GroupBy) String() string {
	switch {
	case g.Channel:
		return "channel"
	case g.Property != "":
		return "property:" + g.Property
	}
	return ""
}

// MaxSegments bounds a grouped report: a property with more values (a
// customer id, say) is no segment, and would make the report unbounded.
const MaxSegments = 100

// ErrTooManySegments is returned when a grouping has more than MaxSegments
// values.
var ErrTooManySegments = fmt.Errorf("the grouping has more than %d values; group by a property with fewer", MaxSegments)

// Share is a proportion with its Wilson 95 % interval: Cited of Of.
type Share struct {
	Cited int         `json:"cited"`
	Of    int         `json:"of"`
	Share float64     `json:"share"`
	CI95  *[2]float64 `json:"ci95"`
}

// ReasonStats tells how often one reason was cited.
type ReasonStats struct {
	// Count is the number of answers citing it, in every group.
	Count             int     `json:"count"`
	ShareOfDetractors float64 `json:"share_of_detractors"`
	ShareOfResponses  float64 `json:"share_of_responses"`
	// Among holds the share citing it among detractors, passives,
	// promoters and all answers, with intervals.
	Among map[string]Share `json:"among"`
	cited [3]int           // by detractors, passives, promoters

	// Groups are the NPS groups the reason is offered to (Survey.AllReasons).
	Groups []string `json:"groups"`
	// Retired marks a reason removed from the survey, reported for the
	// answers that cited it.
	Retired bool `json:"retired,omitempty"`
}

// Period is the NPS of one period (or of the whole report, with Start empty).
type Period struct {
	Start      string      `json:"start,omitempty"`
	Responses  int         `json:"responses"`
	Promoters  int         `json:"promoters"`
	Passives   int         `json:"passives"`
	Detractors int         `json:"detractors"`
	NPS        *float64    `json:"nps"`
	NPSCI95    *[2]float64 `json:"nps_ci95"`
	// SmallSample flags fewer responses than the report's MinSample.
	SmallSample bool                   `json:"small_sample"`
	Reasons     map[string]ReasonStats `json:"reasons"`
	// Change compares the period with the one before it (none for the
	// first period, nor when either is empty).
	Change *PeriodChange `json:"change,omitempty"`
}

// PeriodChange is how a period moved from an earlier sample (From: the
// start of the period before, or a range).
type PeriodChange struct {
	From string  `json:"from"`
	NPS  *Change `json:"nps"`
	// Reasons holds, per reason, the change of its share among each group
	// that answered in both samples.
	Reasons map[string]map[string]Change `json:"reasons"`
}

// Segment is the report of one value of the grouping.
type Segment struct {
	Segment string   `json:"segment"`
	Periods []Period `json:"periods"`
	Total   Period   `json:"total"`
}

// Report is the NPS trend of a survey.
type Report struct {
	Periods   []Period `json:"periods"`
	Total     Period   `json:"total"`
	MinSample int      `json:"min_sample"`
	GroupBy   string   `json:"group_by,omitempty"`
	// Segments, largest first, when the query groups.
	Segments []Segment `json:"segments,omitempty"`
	q        ReportQuery
	index    map[string]int
	segments map[string]int
}

// NewReport returns an empty report with one period per interval of q,
// ready for Add.
func NewReport(q ReportQuery) *Report {
	if q.MinSample <= 0 {
		q.MinSample = DefaultMinSample
	}
	rep := &Report{Total: newPeriod("", q.Survey), MinSample: q.MinSample, GroupBy: q.GroupBy.String(), q: q, index: map[string]int{}}
	rep.Periods = rep.newPeriods()
	for i, p := range rep.Periods {
		rep.index[p.Start] = i
	}
	if q.GroupBy.Set() {
		rep.segments = map[string]int{}
		rep.Segments = []Segment{}
	}
	return rep
}

func (r *Report) newPeriods() []Period {
	var out []Period
	loc := r.q.Zone()
	for s := r.q.Interval.Start(r.q.From.In(loc)); s.Before(r.q.To); s = r.q.Interval.Next(s) {
		out = append(out, newPeriod(s.Format(time.DateOnly), r.q.Survey))
	}
	return out
}

// Add counts n responses whose answer had this score and these reasons, in
// the period starting on the day of start (as a date: its clock and zone
// are ignored).
func (r *Report) Add(start time.Time, score uint8, reasons []string, n int) error {
	i, ok := r.index[start.Format(time.DateOnly)]
	if !ok {
		return fmt.Errorf("report: period %s outside the report", start.Format(time.DateOnly))
	}
	r.Periods[i].add(score, reasons, n)
	r.Total.add(score, reasons, n)
	return nil
}

// AddSegment is Add for responses of one segment of a grouped report:
// they count in the whole report and in their segment.
func (r *Report) AddSegment(segment string, start time.Time, score uint8, reasons []string, n int) error {
	if err := r.Add(start, score, reasons, n); err != nil {
		return err
	}
	j, ok := r.segments[segment]
	if !ok {
		if len(r.Segments) >= MaxSegments {
			return ErrTooManySegments
		}
		j = len(r.Segments)
		r.segments[segment] = j
		r.Segments = append(r.Segments, Segment{Segment: segment, Periods: r.newPeriods(), Total: newPeriod("", r.q.Survey)})
	}
	sg := &r.Segments[j]
	sg.Periods[r.index[start.Format(time.DateOnly)]].add(score, reasons, n)
	sg.Total.add(score, reasons, n)
	return nil
}

// Finish derives NPS, intervals, shares and changes once every count is
// added, and orders segments largest first.
func (r *Report) Finish() {
	finish := func(ps []Period, total *Period) {
		for i := range ps {
			ps[i].finish(r.MinSample)
			if i > 0 {
				ps[i].Change = ps[i].Compare(&ps[i-1], ps[i-1].Start, r.MinSample)
			}
		}
		total.finish(r.MinSample)
	}
	finish(r.Periods, &r.Total)
	for i := range r.Segments {
		finish(r.Segments[i].Periods, &r.Segments[i].Total)
	}
	sort.SliceStable(r.Segments, func(i, j int) bool {
		a, b := r.Segments[i], r.Segments[j]
		if a.Total.Responses != b.Total.Responses {
			return a.Total.Responses > b.Total.Responses
		}
		return a.Segment < b.Segment
	})
}

func newPeriod(start string, sv *Survey) Period {
	reasons := sv.AllReasons()
	p := Period{Start: start, Reasons: make(map[string]ReasonStats, len(reasons))}
	for _, r := range reasons {
		p.Reasons[r.ID] = ReasonStats{Groups: r.Groups, Retired: r.Retired}
	}
	return p
}

// Counts are the period's answers by NPS group.
func (p *Period) Counts() Counts {
	return Counts{Promoters: p.Promoters, Passives: p.Passives, Detractors: p.Detractors}
}

// add counts n responses with this score and reason set. Reasons the survey
// no longer offers are left out.
func (p *Period) add(score uint8, reasons []string, n int) {
	p.Responses += n
	group := 1 // passives
	switch {
	case IsPromoter(score):
		p.Promoters += n
		group = 2
	case IsDetractor(score):
		p.Detractors += n
		group = 0
	default:
		p.Passives += n
	}
	for _, id := range reasons {
		st, ok := p.Reasons[id]
		if !ok {
			continue
		}
		st.Count += n
		st.cited[group] += n
		p.Reasons[id] = st
	}
}

// citedBy returns how many answers of a group cited the reason.
func (st *ReasonStats) citedBy(group string) int {
	switch group {
	case GroupDetractors:
		return st.cited[0]
	case GroupPassives:
		return st.cited[1]
	case GroupPromoters:
		return st.cited[2]
	}
	return st.Count
}

// finish derives NPS, its 95% interval and the reason shares from the counts.
func (p *Period) finish(minSample int) {
	p.SmallSample = p.Responses < minSample
	counts := p.Counts()
	for id, st := range p.Reasons {
		st.ShareOfResponses = share(st.Count, p.Responses)
		st.ShareOfDetractors = share(st.cited[0], p.Detractors)
		st.Among = make(map[string]Share, len(ShareGroups))
		for _, g := range ShareGroups {
			sh := Share{Cited: st.citedBy(g), Of: counts.Of(g)}
			sh.Share = share(sh.Cited, sh.Of)
			if lo, hi, ok := Wilson(sh.Cited, sh.Of); ok {
				sh.CI95 = &[2]float64{lo, hi}
			}
			st.Among[g] = sh
		}
		p.Reasons[id] = st
	}
	if p.Responses == 0 {
		return
	}
	nps, lo, hi := NPS(p.Promoters, p.Passives, p.Detractors)
	p.NPS = &nps
	p.NPSCI95 = &[2]float64{lo, hi}
}

// Compare returns how p moved from an earlier sample (named from), both
// finished: the NPS change and each reason's change of share among every
// group that answered in both; nil when either is empty.
func (p *Period) Compare(before *Period, from string, minSample int) *PeriodChange {
	c, ok := NPSChange(before.Counts(), p.Counts(), minSample)
	if !ok {
		return nil
	}
	out := &PeriodChange{From: from, NPS: &c, Reasons: make(map[string]map[string]Change, len(p.Reasons))}
	for id, st := range p.Reasons {
		old, ok := before.Reasons[id]
		if !ok {
			continue
		}
		byGroup := map[string]Change{}
		for _, g := range ShareGroups {
			a, b := old.Among[g], st.Among[g]
			if ch, ok := ShareChange(a.Cited, a.Of, b.Cited, b.Of, minSample); ok {
				byGroup[g] = ch
			}
		}
		out.Reasons[id] = byGroup
	}
	return out
}

func share(part, whole int) float64 {
	if whole == 0 {
		return 0
	}
	return round(float64(part)/float64(whole), 4)
}

func round(x float64, digits int) float64 {
	f := math.Pow(10, float64(digits))
	return math.Round(x*f) / f
}
