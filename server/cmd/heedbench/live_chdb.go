package main

import (
	"bufio"
	"bytes"
	"fmt"
	"math/rand"
	"os"
	"strings"
	"sync"
	"time"

	"heed/analytics"
	"heed/analytics/clickhouse"
	"heed/analytics/clickhouse/chdb"
)

// measureLiveChDB is make bench-live's current-ClickHouse table: the first
// data set built in chDB (ClickHouse 26.x in this process), then answers
// inserted at the same rate while the statements a report of the largest
// survey runs are timed beside its floor. Heed's Go code cannot speak to
// chDB, so this does what Report does with its statements bound as
// literals: read the marks and the latest counts, and read raw (FINAL)
// every day whose count no longer matches its marks, in the same pieces.
// What differs, and why the table says "emulated":
//   - chDB runs one statement at a time (calls from several goroutines
//     queue), so a report's statements run one after another and its time
//     is the sum of what chDB measured for each; inserts queue between
//     them, while merges run in chDB's background threads as on a server;
//   - answers are inserted in one INSERT ... SELECT per 500 ms (what Heed's
//     writer does about as often), new ones and follow-ups of a sample of
//     the last days, and the views fire as they do for Heed's inserts;
//   - nothing counts days again during the load: under it Heed leaves the
//     largest survey's busy days uncounted too (staleDay.busy), so the
//     report reads them raw either way; no settle time is measured.
func measureLiveChDB(lib, dir string, o liveOptions, sc liveScenario) ([]LiveRow, string, error) {
	c, version, err := openChDB(lib, dir, "heed_bench_live")
	if err != nil {
		return nil, "", err
	}
	defer c.Close()
	var mu sync.Mutex // chDB queues concurrent calls anyway; this keeps the order plain
	run := func(sql string, args []any, format string) (chdb.Result, error) {
		bound, err := chdb.Bind(sql, args, false)
		if err != nil {
			return chdb.Result{}, err
		}
		mu.Lock()
		defer mu.Unlock()
		return c.Query(bound, format)
	}
	fmt.Fprintf(os.Stderr, "live: chDB %s: building %d surveys, %d responses...\n", version, sc.Surveys, sc.Answers)
	start, span := time.Now().Unix()-int64(o.days)*86400, int64(o.days)*86400
	for _, g := range []struct {
		prefix     string
		surveys, n int
	}{{liveLargest, 1, sc.Largest}, {"live_s", sc.Surveys - 1, sc.Answers - sc.Largest}} {
		if _, err := run(stmts.GenerateAnswers, []any{g.prefix, int64(g.surveys), int64(g.surveys), start, span, int64(g.n), int64(g.n)}, "TSV"); err != nil {
			return nil, "", fmt.Errorf("generate %s: %w", g.prefix, err)
		}
	}
	if _, err := run(stmts.BuildAnswerDays, []any{liveLargest, liveLargest, liveLargest}, "TSV"); err != nil {
		return nil, "", fmt.Errorf("count days: %w", err)
	}
	// The responses follow-ups answer again: a sample of the last days.
	if _, err := run(stmts.CreateLiveFollowups, []any{time.Now().Unix() - int64(o.followDays)*86400, int64(max(1, sc.Answers*o.followDays/o.days/20_000))}, "TSV"); err != nil {
		return nil, "", fmt.Errorf("follow-up sample: %w", err)
	}

	cases := liveCases(o.days)
	end := time.Now().UTC().Truncate(24*time.Hour).AddDate(0, 0, 1)
	big := benchSurvey{id: liveLargest, n: sc.Largest}
	round := func(into [][]liveSample) error {
		for i, rc := range cases {
			heed, err := chdbReport(run, big, rc, end)
			if err != nil {
				return fmt.Errorf("%s: %w", rc.name, err)
			}
			sql, args, err := floorStatement(big, rc, end)
			if err != nil {
				return err
			}
			f, err := run(sql, args, "Null")
			if err != nil {
				return fmt.Errorf("%s floor: %w", rc.name, err)
			}
			s := liveSample{at: time.Now(), heed: heed, floor: f.Elapsed}
			s.ratio = float64(s.heed) / float64(max(s.floor, time.Microsecond))
			into[i] = append(into[i], s)
		}
		return nil
	}
	quiet := make([][]liveSample, len(cases))
	for r := 0; r < 3; r++ {
		if err := round(quiet); err != nil {
			return nil, "", err
		}
	}
	fmt.Fprintf(os.Stderr, "live: chDB: inserting %.0f answers/s for %s (%.0f %% follow-ups)...\n", o.rate, o.duration, o.followups*100)
	stop := make(chan struct{})
	loadErr := make(chan error, 1)
	go func() {
		loadErr <- chdbLoad(run, o, sc, stop)
	}()
	during := make([][]liveSample, len(cases))
	for t0 := time.Now(); time.Since(t0) < o.duration; {
		next := time.Now().Add(o.every)
		if err := round(during); err != nil {
			close(stop)
			<-loadErr
			return nil, "", err
		}
		time.Sleep(time.Until(next))
	}
	close(stop)
	if err := <-loadErr; err != nil {
		return nil, "", fmt.Errorf("load: %w", err)
	}
	var out []LiveRow
	for i, rc := range cases {
		row := LiveRow{Request: rc.name, QuietRatio: medianRatio(quiet[i]), SettleS: -1}
		row.addLoad(during[i])
		out = append(out, row)
	}
	return out, version, nil
}

// chdbLoad inserts o.rate answers a second, every 500 ms, until stop: new
// answers to surveys drawn by size, follow-ups (a later, confirmed answer)
// of the sampled responses.
func chdbLoad(run func(string, []any, string) (chdb.Result, error), o liveOptions, sc liveScenario, stop chan struct{}) error {
	const every = 500 * time.Millisecond
	rng := rand.New(rand.NewSource(1))
	perBatch := o.rate * every.Seconds()
	bigShare := float64(sc.Largest) / float64(sc.Answers)
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		select {
		case <-stop:
			return nil
		case <-tick.C:
		}
		follow := int64(perBatch*o.followups + rng.Float64())
		fresh := int64(perBatch) - follow
		big := int64(float64(fresh)*bigShare + rng.Float64())
		if _, err := run(stmts.InsertLiveAnswers, []any{liveLargest, big, "live_s", int64(sc.Surveys - 1), fresh - big}, "TSV"); err != nil {
			return err
		}
		if follow > 0 {
			if _, err := run(stmts.InsertLiveFollowups, []any{follow}, "TSV"); err != nil {
				return err
			}
		}
	}
}

// chdbReport runs what Report runs for a case and returns the time chDB
// spent on it: the marks and the latest counts of the range, then the
// days whose count no longer serves (and today) raw, cut as Heed cuts them.
func chdbReport(run func(string, []any, string) (chdb.Result, error), sv benchSurvey, rc reportCase, end time.Time) (time.Duration, error) {
	from := end.AddDate(0, 0, -rc.days)
	first, last := from.Format(time.DateOnly), end.Format(time.DateOnly)
	if rc.kind == "latest" {
		// The list's first window: a day (what the list reads while answers
		// arrive; older windows only when the day has fewer than 20).
		r, err := run(heedStatement("select-latest-answers"), []any{sv.id, end.AddDate(0, 0, -1).Unix(), end.Unix(), []string{}, 20}, "Null")
		return r.Elapsed, err
	}
	g, err := analytics.ParseGroupBy(rc.groupBy)
	if err != nil {
		return 0, err
	}
	grouped := g.Set()
	rollup, raw := heedStatement("select-rollup-days"), "select-raw-report"
	rollupArgs := []any{uint8(1), sv.id, first, last, sv.id, first, last}
	if grouped {
		rollup, raw = heedStatement("select-rollup-grouped-days"), "select-raw-grouped-report"
		rollupArgs = []any{uint8(1), []string{}, g.Property, g.Property, sv.id, first, last, sv.id, first, last}
	}
	rawSQL, err := periodStatement(heedStatement(raw), rc.interval)
	if err != nil {
		return 0, err
	}
	marks, err := run(heedStatement("select-marks"), []any{sv.id, first, last}, "TSV")
	if err != nil {
		return 0, err
	}
	counts, err := run(rollup, rollupArgs, "TSV")
	if err != nil {
		return 0, err
	}
	spent := marks.Elapsed + counts.Elapsed
	// A day is read raw unless its count was made at its marks (a day with
	// neither is empty): the rule of Report.
	have := map[string]string{}
	for _, l := range tsvLines(marks.Output) {
		if f := strings.Split(l, "\t"); len(f) >= 3 {
			have[f[0]] = f[1] + " " + f[2]
		}
	}
	counted := map[string]string{}
	for _, l := range tsvLines(counts.Output) {
		if f := strings.Split(l, "\t"); len(f) >= 3 {
			counted[f[0]] = f[1] + " " + f[2]
		}
	}
	var stale []time.Time
	for d := from; d.Before(end); d = d.AddDate(0, 0, 1) {
		if day := d.Format(time.DateOnly); have[day] != counted[day] {
			stale = append(stale, d)
		}
	}
	for _, p := range clickhouse.RawRanges(stale) {
		args := []any{"UTC", sv.id, p[0].Unix(), p[1].Unix(), uint8(1)}
		if grouped {
			args = []any{"UTC", g.Property, g.Property, sv.id, p[0].Unix(), p[1].Unix(), uint8(1), []string{}}
		}
		r, err := run(rawSQL, args, "Null")
		if err != nil {
			return 0, err
		}
		spent += r.Elapsed
	}
	return spent, nil
}

func tsvLines(b []byte) []string {
	var out []string
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	for sc.Scan() {
		out = append(out, sc.Text())
	}
	return out
}
