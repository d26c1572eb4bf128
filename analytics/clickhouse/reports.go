package clickhouse

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"heed/analytics"
)

// PeriodFunction is the ClickHouse function that maps a DateTime or Date to
// the first day of its period. The report statements take it as {period}:
// an identifier chosen here, never from input (heedbench binds the same).
func PeriodFunction(i analytics.Interval) (string, error) {
	switch i {
	case analytics.Day:
		return "toDate", nil
	case analytics.Week:
		return "toMonday", nil // toStartOfWeek does not exist on 18.16
	case analytics.Month:
		return "toStartOfMonth", nil
	}
	return "", fmt.Errorf("report: unknown interval %q", i)
}

// Report computes the NPS trend of rq.Survey: whole days from their counts
// in answer_days while those still hold (the day's marks are those the
// count was made at), the other days from answers themselves, then
// analytics.Report turns the counts into NPS. Today is taken as changed
// from the start (until a report finds its count current, hints.go), so
// that the usual report (only today changed) costs one round of small
// queries at once: the marks of the survey's days, the counted days, today
// raw. Each reads the survey's rows only (survey_id
// leads every sort key), so other surveys cost a report nothing. When other days turn out
// changed, a second round reads them raw. answer_days counts UTC days: a
// report in another time zone also reads raw the days its period
// boundaries split (splitDays).
func (db *DB) Report(ctx context.Context, rq analytics.ReportQuery) (*analytics.Report, error) {
	p, err := newReportPlan(rq)
	if err != nil {
		return nil, err
	}
	assumed := p.splitDays()
	now := time.Now()
	today := ""
	if d := dayOf(now); !d.Before(p.firstDay) && d.Before(p.endDay) {
		today = dateString(d)
	}
	// Today is read raw at once (it usually is still being answered) unless
	// a recent report found its count current: once answers stop and it is
	// counted, reports use the count.
	if today != "" && !db.hints.current(rq.Survey.ID, today, now) {
		assumed[today] = true
	}
	// Days recent reports found stale are read raw at once too (hints.go).
	hinted := db.hints.days(rq.Survey.ID, p.firstDay, p.endDay, now)
	for day := range hinted {
		assumed[day] = true
	}
	var (
		marks map[string]mark
		days  map[string]countedDay
	)
	raw, readRaw := db.rawCounts(ctx, p, p.rawQueries(assumed, true))
	err = parallel(
		func() (err error) { marks, err = db.dayMarks(ctx, p); return err },
		func() (err error) { days, err = db.countedDays(ctx, p); return err },
		readRaw,
	)
	if err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	more := daySet{}
	var stale, current []string
	for d := p.firstDay; d.Before(p.endDay); d = d.AddDate(0, 0, 1) {
		day := dateString(d)
		// No count serves as an empty day counted at no marks.
		fresh := days[day].mark == marks[day]
		switch {
		case !fresh && !assumed[day]:
			more[day] = true
			stale = append(stale, day)
		case !fresh && hinted[day]:
			stale = append(stale, day)
		case fresh && (hinted[day] || day == today && assumed[day]):
			current = append(current, day)
		}
	}
	db.hints.learn(rq.Survey.ID, stale, current, now)
	raw2, readRaw2 := db.rawCounts(ctx, p, p.rawQueries(more, false))
	if err := readRaw2(); err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	rep := analytics.NewReport(rq)
	for day, c := range days {
		d, err := time.Parse(time.DateOnly, day)
		if err != nil || d.Before(p.firstDay) || !d.Before(p.endDay) || more[day] || assumed[day] {
			continue
		}
		// A whole UTC day that no period boundary splits lies in one period.
		if err := p.add(rep, rq.Interval.Start(d.In(rq.Zone())), c.groups); err != nil {
			return nil, err
		}
	}
	for _, cs := range append(*raw, *raw2...) {
		for _, c := range cs {
			if err := p.add(rep, c.period, []count{c}); err != nil {
				return nil, err
			}
		}
	}
	rep.Finish()
	return rep, nil
}

// SegmentKeys returns up to most property names the answers of [from, to)
// have, to group a report by: from the counted days, and from the answers
// of the last two days, which may not be counted yet.
func (db *DB) SegmentKeys(ctx context.Context, surveyID string, from, to time.Time, most int) ([]string, error) {
	recent := time.Now().Add(-48 * time.Hour)
	if recent.Before(from) {
		recent = from
	}
	keys, err := db.strings(ctx, q.SelectSegmentKeys, surveyID, dateString(dayOf(from)), dateString(dayOf(to).AddDate(0, 0, 1)),
		surveyID, recent.Unix(), to.Unix(), most)
	if err != nil {
		return nil, fmt.Errorf("segment keys: %w", err)
	}
	if keys == nil {
		keys = []string{}
	}
	return keys, nil
}

// splitDays are the UTC days of the range that a period boundary of
// another time zone splits (a Monday's midnight in Paris is 22:00 or 23:00
// UTC the day before): answer_days counts UTC days, so these are read
// raw, each row to its period; every other UTC day lies in one period and
// is served by its count. In UTC there are none.
func (p *reportPlan) splitDays() daySet {
	out := daySet{}
	if p.rq.UTC() {
		return out
	}
	rq := p.rq
	for s := rq.Interval.Start(rq.From.In(rq.Zone())); s.Before(rq.To); s = rq.Interval.Next(s) {
		if u := s.UTC(); !u.Equal(dayOf(u)) {
			out[dateString(dayOf(u))] = true
		}
	}
	return out
}

// add counts groups in the period starting at start.
func (p *reportPlan) add(rep *analytics.Report, start time.Time, groups []count) error {
	for _, g := range groups {
		var err error
		if p.grouped {
			err = rep.AddSegment(g.segment, start, g.score, g.reasons, int(g.n))
		} else {
			err = rep.Add(start, g.score, g.reasons, int(g.n))
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// reportPlan is how a report reads its counts.
type reportPlan struct {
	rq               analytics.ReportQuery
	raw              string
	segment, grouped bool
	groupKey         string // '' groups by channel
	pairs            []string
	minConfirmed     uint8
	firstDay, endDay time.Time // the whole days of the range
}

func newReportPlan(rq analytics.ReportQuery) (*reportPlan, error) {
	fn, err := PeriodFunction(rq.Interval)
	if err != nil {
		return nil, err
	}
	p := &reportPlan{rq: rq, segment: len(rq.Properties) > 0, grouped: rq.GroupBy.Set(), groupKey: rq.GroupBy.Property,
		pairs: propertyPairs(rq.Properties), minConfirmed: 1}
	raw := q.SelectRawReport
	switch {
	case p.grouped:
		raw = q.SelectRawGroupedReport
	case p.segment:
		raw = q.SelectRawSegmentReport
	}
	if p.raw, err = WithIdent(raw, "period", fn); err != nil {
		return nil, err
	}
	if rq.IncludeUnconfirmed {
		p.minConfirmed = 0
	}
	// Whole days only live in answer_days; a range starting or ending within
	// a day reads that day raw.
	p.firstDay, p.endDay = dayOf(rq.From), dayOf(rq.To)
	if !p.firstDay.Equal(rq.From) {
		p.firstDay = p.firstDay.AddDate(0, 0, 1)
	}
	return p, nil
}

type reportQuery struct {
	stmt string
	args []any
}

// rawQueries are the statements that count the given days raw (and, with
// ends, the partial days at either end of the range).
func (p *reportPlan) rawQueries(days daySet, ends bool) []reportQuery {
	rq := p.rq
	var out []reportQuery
	for _, r := range splitRanges(days.ranges(rq.From, rq.To, p.firstDay, p.endDay, ends), rawPieces) {
		zone := rq.Zone().String()
		var args []any
		switch {
		case p.grouped:
			args = []any{zone, p.groupKey, p.groupKey, rq.Survey.ID, r.from.Unix(), r.to.Unix(), p.minConfirmed, p.pairs}
		case p.segment:
			args = []any{zone, rq.Survey.ID, r.from.Unix(), r.to.Unix(), p.minConfirmed, p.pairs}
		default:
			args = []any{zone, rq.Survey.ID, r.from.Unix(), r.to.Unix(), p.minConfirmed}
		}
		out = append(out, reportQuery{p.raw, args})
	}
	return out
}

// count is one row of a raw report statement.
type count struct {
	period  time.Time
	segment string // of a grouped report
	score   uint8
	reasons []string
	n       uint64
}

// rawCounts returns where the counts of qs will be, and the function that
// reads them all at once (to run beside other reads).
func (db *DB) rawCounts(ctx context.Context, p *reportPlan, qs []reportQuery) (*[][]count, func() error) {
	counts := make([][]count, len(qs))
	jobs := make([]func() error, len(qs))
	for i, qu := range qs {
		jobs[i] = func() error {
			rows, err := db.conn.Query(ctx, qu.stmt, qu.args...)
			if err != nil {
				return err
			}
			defer rows.Close()
			for rows.Next() {
				var c count
				dest := []any{&c.period, &c.score, &c.reasons, &c.n}
				if p.grouped {
					dest = []any{&c.period, &c.segment, &c.score, &c.reasons, &c.n}
				}
				if err := rows.Scan(dest...); err != nil {
					return err
				}
				counts[i] = append(counts[i], c)
			}
			return rows.Err()
		}
	}
	return &counts, func() error { return parallel(jobs...) }
}

// countedDay is a day's latest count: the marks it was counted at and its
// groups that the report keeps.
type countedDay struct {
	mark   mark
	groups []count // period unset
}

// dayMarks reads the marks of each whole day of p's range (days without
// marks are left out: their mark is zero).
func (db *DB) dayMarks(ctx context.Context, p *reportPlan) (map[string]mark, error) {
	out := map[string]mark{}
	if !p.firstDay.Before(p.endDay) {
		return out, nil
	}
	rows, err := db.conn.Query(ctx, q.SelectMarks, p.rq.Survey.ID, dateString(p.firstDay), dateString(p.endDay))
	if err != nil {
		return nil, fmt.Errorf("marks: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var day string
		var m mark
		if err := rows.Scan(&day, &m.rows, &m.versions); err != nil {
			return nil, fmt.Errorf("marks: %w", err)
		}
		out[day] = m
	}
	return out, rows.Err()
}

// countedDays reads the latest count of each whole day of p's range.
func (db *DB) countedDays(ctx context.Context, p *reportPlan) (map[string]countedDay, error) {
	out := map[string]countedDay{}
	if !p.firstDay.Before(p.endDay) {
		return out, nil
	}
	rq := p.rq
	first, end := dateString(p.firstDay), dateString(p.endDay)
	stmt, args := q.SelectRollupDays, []any{p.minConfirmed}
	switch {
	case p.grouped:
		stmt, args = q.SelectRollupGroupedDays, []any{p.minConfirmed, p.pairs, p.groupKey, p.groupKey}
	case p.segment:
		stmt, args = q.SelectRollupSegmentDays, []any{p.minConfirmed, p.pairs}
	}
	args = append(args, rq.Survey.ID, first, end, rq.Survey.ID, first, end)
	rows, err := db.conn.Query(ctx, stmt, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	reasons := map[string][]string{} // the few reason lists, decoded once
	for rows.Next() {
		var day, groups string
		var c countedDay
		if err := rows.Scan(&day, &c.mark.rows, &c.mark.versions, &groups); err != nil {
			return nil, err
		}
		if c.groups, err = parseGroups(groups, reasons, p.grouped); err != nil {
			return nil, fmt.Errorf("count of %s: %w", day, err)
		}
		out[day] = c
	}
	return out, rows.Err()
}

// parseGroups reads select-rollup-days' text of a day's groups:
// 'score:reason;reason:n' joined by ',', with ” for a group left out;
// grouped, each group begins with its segment in hex and ':'.
func parseGroups(s string, reasons map[string][]string, grouped bool) ([]count, error) {
	var out []count
	for s != "" {
		var g string
		g, s, _ = strings.Cut(s, ",")
		if g == "" {
			continue
		}
		var c count
		rest := g
		if grouped {
			seg, after, ok := strings.Cut(rest, ":")
			b, err := hex.DecodeString(seg)
			if !ok || err != nil {
				return nil, fmt.Errorf("bad group %q", g)
			}
			c.segment, rest = string(b), after
		}
		score, rest, ok1 := strings.Cut(rest, ":")
		rs, n, ok2 := strings.Cut(rest, ":")
		sc, err1 := strconv.ParseUint(score, 10, 8)
		num, err2 := strconv.ParseUint(n, 10, 64)
		if !ok1 || !ok2 || err1 != nil || err2 != nil {
			return nil, fmt.Errorf("bad group %q", g)
		}
		list, ok := reasons[rs]
		if !ok {
			list = []string{}
			if rs != "" {
				list = strings.Split(rs, ";")
			}
			reasons[rs] = list
		}
		c.score, c.reasons, c.n = uint8(sc), list, num
		out = append(out, c)
	}
	return out, nil
}

// parallel runs fns at once and returns their errors.
func parallel(fns ...func() error) error {
	switch len(fns) {
	case 0:
		return nil
	case 1:
		return fns[0]()
	}
	errs := make([]error, len(fns))
	var wg sync.WaitGroup
	for i, f := range fns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = f()
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// dayOf is the UTC day that holds t.
func dayOf(t time.Time) time.Time {
	t = t.UTC()
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}

func dateString(t time.Time) string { return t.Format(time.DateOnly) }

// daySet is a set of days as 'YYYY-MM-DD'.
type daySet map[string]bool

type timeRange struct{ from, to time.Time }

// ranges returns the stretches of [from, to) to count raw: every day of
// the set and, with ends, the partial days at either end (outside
// [firstDay, endDay)), merged where they touch so that one query reads
// each run of days.
func (s daySet) ranges(from, to, firstDay, endDay time.Time, ends bool) []timeRange {
	var out []timeRange
	push := func(a, b time.Time) {
		if a.Before(from) {
			a = from
		}
		if b.After(to) {
			b = to
		}
		if !a.Before(b) {
			return
		}
		if n := len(out); n > 0 && !out[n-1].to.Before(a) {
			if b.After(out[n-1].to) {
				out[n-1].to = b
			}
			return
		}
		out = append(out, timeRange{a, b})
	}
	if ends && from.Before(firstDay) {
		push(from, firstDay)
	}
	for d := firstDay; d.Before(endDay); d = d.AddDate(0, 0, 1) {
		if s[dateString(d)] {
			push(d, d.AddDate(0, 0, 1))
		}
	}
	if ends && endDay.Before(to) {
		push(endDay, to)
	}
	return out
}

// rawPieces is how many statements a report's raw reading is spread over
// at most, run at once: 18.16 reads FINAL in one thread, so one long
// stretch would use one core. The rows of a response share created_at, so
// any cut is exact; a period cut in two is added up from both.
const rawPieces = 4

// RawRanges returns the stretches, as [from, to), in which Report reads
// the given whole UTC days raw: runs of days, cut into up to rawPieces
// statements (heedbench's chDB emulation of a report cuts as Heed does).
func RawRanges(days []time.Time) [][2]time.Time {
	if len(days) == 0 {
		return nil
	}
	set, first, end := daySet{}, days[0], days[0]
	for _, d := range days {
		set[dateString(d)] = true
		first, end = minTime(first, d), maxTime(end, d)
	}
	end = end.AddDate(0, 0, 1)
	var out [][2]time.Time
	for _, r := range splitRanges(set.ranges(first, end, first, end, false), rawPieces) {
		out = append(out, [2]time.Time{r.from, r.to})
	}
	return out
}

// splitRanges cuts ranges into pieces of whole hours, so that there are
// about n, none shorter than a day: a range within a day (today, mostly)
// is not cut, as each statement costs a granule per part and its own
// start (today's raw read in 4 pieces took 4 x 25 ms against a floor of
// 17 ms for the 7-day report, most of today still to come).
func splitRanges(rs []timeRange, n int) []timeRange {
	var total time.Duration
	for _, r := range rs {
		total += r.to.Sub(r.from)
	}
	if len(rs) >= n || total <= 0 {
		return rs
	}
	// Whole hours: the statements bind Unix seconds.
	piece := max((total/time.Duration(n) + time.Hour - 1).Truncate(time.Hour), 24*time.Hour)
	var out []timeRange
	for _, r := range rs {
		for r.to.Sub(r.from) > piece {
			out = append(out, timeRange{r.from, r.from.Add(piece)})
			r.from = r.from.Add(piece)
		}
		out = append(out, r)
	}
	return out
}

func monthStart(t time.Time) time.Time {
	t = t.UTC()
	return time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC)
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}
