package analytics

import "math"

// The statistics of reports. Every formula here is documented, with worked
// examples, in the API reference (site/public/docs.html, "Statistics").

// z95 is the two-sided 95 % quantile of the normal distribution.
const z95 = 1.96

// DefaultMinSample is the sample size below which a figure is flagged as
// small (never hidden): intervals still hold there, but are wide.
const DefaultMinSample = 30

// npsEstimate is the adjusted-Wald estimate of an NPS, as proportions:
// Rocks (2016), "Interval Estimation for the Net Promoter Score", The
// American Statistician 70:365-372, as MeasuringU applies it. Adding 3/4 of
// a promoter and of a detractor and 3 respondents in all pulls small
// samples toward 0 so that their interval keeps its 95 % coverage, where
// the plain Wald interval (3 answers: [-73.4, 100]) does not.
type npsEstimate struct {
	adjusted float64 // A = p' - d'
	variance float64 // of A: (p' + d' - A²) / n'
}

func estimateNPS(promoters, passives, detractors int) npsEstimate {
	n := float64(promoters+passives+detractors) + 3
	p := (float64(promoters) + 0.75) / n
	d := (float64(detractors) + 0.75) / n
	a := p - d
	return npsEstimate{adjusted: a, variance: max(0, p+d-a*a) / n}
}

// NPS returns 100·(P - D)/N and its adjusted-Wald 95 % interval,
// 100·(A ± 1.96·SE) clamped to [-100, 100], each rounded to 0.1. With no
// answer all three are 0 (callers show no NPS then).
func NPS(promoters, passives, detractors int) (nps, lo, hi float64) {
	n := promoters + passives + detractors
	if n == 0 {
		return 0, 0, 0
	}
	e := estimateNPS(promoters, passives, detractors)
	half := z95 * math.Sqrt(e.variance)
	nps = 100 * float64(promoters-detractors) / float64(n)
	return round(nps, 1), round(max(-100, 100*(e.adjusted-half)), 1), round(min(100, 100*(e.adjusted+half)), 1)
}

// Wilson returns the Wilson score 95 % interval of a proportion of k in n,
// (p + z²/2n ± z·sqrt(p(1-p)/n + z²/4n²)) / (1 + z²/n), rounded to 4
// digits; ok is false when n is 0 or less (no interval). k is taken
// within [0, n]: a count above its base (which the store should not give)
// would take the square root of a negative, NaN, which no JSON can carry.
func Wilson(k, n int) (lo, hi float64, ok bool) {
	if n <= 0 {
		return 0, 0, false
	}
	l, h := wilson(float64(min(max(k, 0), n)), float64(n))
	return round(l, 4), round(h, 4), true
}

// wilson is Wilson unrounded, for n > 0; p is clamped to [0, 1] for the
// same reason.
func wilson(k, n float64) (lo, hi float64) {
	p, z2 := min(max(k/n, 0), 1), z95*z95
	center := (p + z2/(2*n)) / (1 + z2/n)
	half := z95 * math.Sqrt(p*(1-p)/n+z2/(4*n*n)) / (1 + z2/n)
	return max(0, center-half), min(1, center+half)
}

// Change is how a figure moved from one sample (a period, a range) to
// another: the difference (later minus earlier), its 95 % interval, the z
// statistic and whether the change is significant at 95 % (|z| > 1.96).
// SmallSample flags that either side has fewer answers than the minimum.
type Change struct {
	Diff        float64    `json:"diff"`
	CI95        [2]float64 `json:"ci95"`
	Z           float64    `json:"z"`
	Significant bool       `json:"significant"`
	SmallSample bool       `json:"small_sample"`
}

// NPSChange compares two samples' NPS, in points: Diff is the change of the
// plain NPS, and its standard error comes from the adjusted-Wald variances,
// SE = sqrt(Var₁ + Var₂), so that small samples get honest (wide)
// intervals: z = Diff / SE, the interval is Diff ± 1.96·SE, and the change
// is significant exactly when that interval leaves out 0. (Centring on the
// plain difference rather than on A₂ - A₁ keeps the sign of z that of the
// change a manager sees.) ok is false when either sample is empty.
func NPSChange(before, after Counts, minSample int) (c Change, ok bool) {
	if before.Responses() == 0 || after.Responses() == 0 {
		return Change{}, false
	}
	b := estimateNPS(before.Promoters, before.Passives, before.Detractors)
	a := estimateNPS(after.Promoters, after.Passives, after.Detractors)
	diff := (after.nps() - before.nps()) / 100
	se := math.Sqrt(a.variance + b.variance)
	c.Diff = round(100*diff, 1)
	c.CI95 = [2]float64{round(100*(diff-z95*se), 1), round(100*(diff+z95*se), 1)}
	if se > 0 {
		c.Z = round(diff/se, 2)
	}
	c.Significant = math.Abs(diff) > z95*se
	c.SmallSample = before.Responses() < minSample || after.Responses() < minSample
	return c, true
}

// ShareChange compares the proportions k₁/n₁ and k₂/n₂ (e.g. the share of
// detractors citing a reason in two periods): the two-proportion z test
// with the pooled proportion p̂, z = (p₂ - p₁) / sqrt(p̂(1-p̂)(1/n₁ + 1/n₂)),
// and Newcombe's hybrid Wilson interval of p₂ - p₁ (his method 10), which
// keeps its coverage at small n and near 0 or 1. Shares are fractions
// (0.12 is 12 %). ok is false when either n is 0.
func ShareChange(k1, n1, k2, n2, minSample int) (c Change, ok bool) {
	if n1 <= 0 || n2 <= 0 {
		return Change{}, false
	}
	f1, f2 := float64(n1), float64(n2)
	p1, p2 := float64(k1)/f1, float64(k2)/f2
	diff := p2 - p1
	l1, u1 := wilson(float64(k1), f1)
	l2, u2 := wilson(float64(k2), f2)
	lo := diff - math.Sqrt((p2-l2)*(p2-l2)+(u1-p1)*(u1-p1))
	hi := diff + math.Sqrt((u2-p2)*(u2-p2)+(p1-l1)*(p1-l1))
	c.Diff = round(diff, 4)
	c.CI95 = [2]float64{round(lo, 4), round(hi, 4)}
	pooled := float64(k1+k2) / (f1 + f2)
	if se := math.Sqrt(pooled * (1 - pooled) * (1/f1 + 1/f2)); se > 0 {
		z := diff / se
		c.Z = round(z, 2)
		c.Significant = math.Abs(z) > z95
	}
	c.SmallSample = n1 < minSample || n2 < minSample
	return c, true
}

// Counts are the answers of a sample by NPS group.
type Counts struct {
	Promoters  int `json:"promoters"`
	Passives   int `json:"passives"`
	Detractors int `json:"detractors"`
}

// Responses is the sample's size.
func (c Counts) Responses() int { return c.Promoters + c.Passives + c.Detractors }

// Of returns the size of a group ("detractors", "passives", "promoters")
// or of the whole sample ("all").
func (c Counts) Of(group string) int {
	switch group {
	case GroupDetractors:
		return c.Detractors
	case GroupPassives:
		return c.Passives
	case GroupPromoters:
		return c.Promoters
	}
	return c.Responses()
}

func (c Counts) nps() float64 {
	if n := c.Responses(); n > 0 {
		return 100 * float64(c.Promoters-c.Detractors) / float64(n)
	}
	return 0
}

// The groups a share is taken among.
const (
	GroupDetractors = "detractors"
	GroupPassives   = "passives"
	GroupPromoters  = "promoters"
	GroupAll        = "all"
)

// ShareGroups lists them in the order reports show them.
var ShareGroups = []string{GroupDetractors, GroupPassives, GroupPromoters, GroupAll}

// GroupOf names the NPS group of a score.
func GroupOf(score uint8) string {
	switch {
	case IsPromoter(score):
		return GroupPromoters
	case IsDetractor(score):
		return GroupDetractors
	}
	return GroupPassives
}
