package analytics

import (
	"sort"
	"time"
)

// SendFunnel is what became of one send's survey emails: how many contacts
// were emailed (SendGrid took the email), how many of those SendGrid saw
// delivered and opened (its webhook events; opens are only as good as
// image loading: Apple Mail's privacy protection opens every email), and
// how many answered with a confirmed score (a link scanner's click is no
// answer).
type SendFunnel struct {
	SendID    string    `json:"send_id"`
	StartedAt time.Time `json:"started_at"`
	Emailed   int       `json:"emailed"`
	Delivered int       `json:"delivered"`
	Opened    int       `json:"opened"`
	Answered  int       `json:"answered"`
}

// Rate is a proportion, Count of Of, with its Wilson 95 % interval (null
// when Of is 0: no interval, and Rate 0).
type Rate struct {
	Count int         `json:"count"`
	Of    int         `json:"of"`
	Rate  float64     `json:"rate"`
	CI95  *[2]float64 `json:"ci95"`
}

// NewRate returns count of of, with its interval. count is taken within
// [0, of]: a part is never more than its whole, and a rate above 1 would
// say the store counted what it should not have.
func NewRate(count, of int) Rate {
	of = max(of, 0)
	count = min(max(count, 0), of)
	r := Rate{Count: count, Of: of, Rate: share(count, of)}
	if lo, hi, ok := Wilson(count, of); ok {
		r.CI95 = &[2]float64{lo, hi}
	}
	return r
}

// FunnelRates are the rates of a funnel: delivered of emailed, opened of
// delivered, and answered of emailed (the response rate) and of delivered.
type FunnelRates struct {
	SendFunnel
	DeliveryRate          Rate `json:"delivery_rate"`
	OpenRate              Rate `json:"open_rate"`
	ResponseRate          Rate `json:"response_rate"`
	ResponseRateDelivered Rate `json:"response_rate_of_delivered"`
	// SmallSample flags fewer emails than the minimum sample.
	SmallSample bool `json:"small_sample"`
}

// Rates derives the rates of f.
func (f SendFunnel) Rates(minSample int) FunnelRates {
	if minSample <= 0 {
		minSample = DefaultMinSample
	}
	return FunnelRates{SendFunnel: f, DeliveryRate: NewRate(f.Delivered, f.Emailed), OpenRate: NewRate(f.Opened, f.Delivered),
		ResponseRate: NewRate(f.Answered, f.Emailed), ResponseRateDelivered: NewRate(f.Answered, f.Delivered),
		SmallSample: f.Emailed < minSample}
}

// add sums funnels (the send id and start are left as they are).
func (f *SendFunnel) add(o SendFunnel) {
	f.Emailed += o.Emailed
	f.Delivered += o.Delivered
	f.Opened += o.Opened
	f.Answered += o.Answered
}

// PeriodRates are the rates of the sends started in one period.
type PeriodRates struct {
	Start string `json:"start"`
	FunnelRates
	Sends int `json:"sends"`
}

// ResponseRates are a survey's response rates per send, per period (of
// the sends started in it) and in all.
type ResponseRates struct {
	Sends   []FunnelRates `json:"sends"`
	Periods []PeriodRates `json:"periods"`
	Total   FunnelRates   `json:"total"`
}

// NewResponseRates sums the funnels of the sends of q's range by the
// period each started in, newest send first.
func NewResponseRates(q ReportQuery, funnels []SendFunnel) *ResponseRates {
	minN := q.MinSample
	loc := q.Zone()
	out := &ResponseRates{Sends: []FunnelRates{}, Periods: []PeriodRates{}}
	index := map[string]int{}
	sums := []SendFunnel{}
	counts := []int{}
	for s := q.Interval.Start(q.From.In(loc)); s.Before(q.To); s = q.Interval.Next(s) {
		index[s.Format(time.DateOnly)] = len(sums)
		out.Periods = append(out.Periods, PeriodRates{Start: s.Format(time.DateOnly)})
		sums = append(sums, SendFunnel{})
		counts = append(counts, 0)
	}
	var total SendFunnel
	sort.Slice(funnels, func(i, j int) bool { return funnels[i].StartedAt.After(funnels[j].StartedAt) })
	for _, f := range funnels {
		out.Sends = append(out.Sends, f.Rates(minN))
		total.add(f)
		if i, ok := index[q.Interval.Start(f.StartedAt.In(loc)).Format(time.DateOnly)]; ok {
			sums[i].add(f)
			counts[i]++
		}
	}
	for i := range out.Periods {
		out.Periods[i].FunnelRates = sums[i].Rates(minN)
		out.Periods[i].Sends = counts[i]
	}
	out.Total = total.Rates(minN)
	return out
}
