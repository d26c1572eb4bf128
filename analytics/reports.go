package analytics

import (
	"context"
	"fmt"
	"math"
	"sort"
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

// bucket is the ClickHouse expression that maps a DateTime to its period's
// first day. Identifiers come from this switch only, never from input.
func (i Interval) bucket(col string) string {
	switch i {
	case Day:
		return "toDate(" + col + ")"
	case Month:
		return "toStartOfMonth(" + col + ")"
	default:
		// toStartOfWeek does not exist on 18.16; toMonday does everywhere.
		return "toMonday(" + col + ")"
	}
}

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

// propertyFilter is the SQL and the arguments of a property segment.
func propertyFilter(props map[string]string) (string, []any) {
	keys := make([]string, 0, len(props))
	for k := range props {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var sql string
	var args []any
	for _, k := range keys {
		// Arrays are 1-based; indexOf finds the key, the value sits there.
		sql += " AND has(property_keys, ?) AND property_values[indexOf(property_keys, ?)] = ?"
		args = append(args, k, k, props[k])
	}
	return sql, args
}

// ReasonStats tells how often one reason was cited.
type ReasonStats struct {
	Count              int     `json:"count"`
	ShareOfDetractors  float64 `json:"share_of_detractors"`
	ShareOfResponses   float64 `json:"share_of_responses"`
	detractorsCitingIt int
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
}

// The inner query folds every response_id to its last answer (argMax by
// version, preferring confirmed answers: see lastAnswer), so retries,
// replays and follow-ups count once whatever the merge state of the
// ReplacingMergeTree. A response belongs to the period of its first answer:
// the subquery finds the responses with a row in range, the outer query
// reads all their rows (a follow-up may sit in another period) and HAVING
// keeps those first answered in range.
const reportQuery = `
SELECT %s AS period, last_score, last_reasons, count() AS n
FROM (
	SELECT response_id,
		min(created_at) AS first_at,
		max(confirmed) AS any_confirmed,
		%s AS last_score,
		%s AS last_reasons
	FROM responses
	WHERE survey_id = ? AND response_id IN (` + responsesInRange + `)%s
	GROUP BY response_id
	HAVING first_at >= toDateTime(?) AND first_at < toDateTime(?) AND any_confirmed >= ?
)
GROUP BY period, last_score, last_reasons
ORDER BY period`

// responsesInRange selects the response ids with a row in [from, to); it
// binds survey, from, to.
const responsesInRange = `SELECT response_id FROM responses
		WHERE survey_id = ? AND created_at >= toDateTime(?) AND created_at < toDateTime(?)`

// Report computes the NPS trend of q.Survey.
func (db *DB) Report(ctx context.Context, q ReportQuery) (*Report, error) {
	if !q.Interval.Valid() {
		return nil, fmt.Errorf("report: unknown interval %q", q.Interval)
	}
	rep := &Report{Total: newPeriod("", q.Survey)}
	index := map[string]int{}
	for s := q.Interval.Start(q.From); s.Before(q.To); s = q.Interval.Next(s) {
		key := s.Format(time.DateOnly)
		index[key] = len(rep.Periods)
		rep.Periods = append(rep.Periods, newPeriod(key, q.Survey))
	}
	minConfirmed := 1
	if q.IncludeUnconfirmed {
		minConfirmed = 0
	}
	segment, segmentArgs := propertyFilter(q.Properties)
	args := append([]any{q.Survey.ID, q.Survey.ID, q.From.Unix(), q.To.Unix()}, segmentArgs...)
	args = append(args, q.From.Unix(), q.To.Unix(), minConfirmed)
	rows, err := db.conn.Query(ctx, fmt.Sprintf(reportQuery, q.Interval.bucket("first_at"), lastAnswer("score"), lastAnswer("reasons"), segment), args...)
	if err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			period  time.Time
			score   uint8
			reasons []string
			n       uint64
		)
		if err := rows.Scan(&period, &score, &reasons, &n); err != nil {
			return nil, fmt.Errorf("report: %w", err)
		}
		i, ok := index[period.Format(time.DateOnly)]
		if !ok {
			return nil, fmt.Errorf("report: period %s outside the report", period.Format(time.DateOnly))
		}
		rep.Periods[i].add(score, reasons, int(n))
		rep.Total.add(score, reasons, int(n))
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	for i := range rep.Periods {
		rep.Periods[i].finish()
	}
	rep.Total.finish()
	return rep, nil
}

func newPeriod(start string, sv *Survey) Period {
	p := Period{Start: start, Reasons: make(map[string]ReasonStats, len(sv.Reasons))}
	for _, r := range sv.Reasons {
		p.Reasons[r.ID] = ReasonStats{}
	}
	return p
}

// add counts n responses with this score and reason set. Reasons the survey
// no longer offers are left out.
func (p *Period) add(score uint8, reasons []string, n int) {
	p.Responses += n
	detractor := false
	switch {
	case score >= 9:
		p.Promoters += n
	case score >= 7:
		p.Passives += n
	default:
		p.Detractors += n
		detractor = true
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
		p.Reasons[id] = st
	}
}

// finish derives NPS, its 95% interval and the reason shares from the counts.
func (p *Period) finish() {
	for id, st := range p.Reasons {
		st.ShareOfResponses = share(st.Count, p.Responses)
		st.ShareOfDetractors = share(st.detractorsCitingIt, p.Detractors)
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
