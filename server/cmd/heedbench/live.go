package main

// heedbench live (make bench-live): reports of a busy survey while answers
// arrive. It generates surveys over the last days (one large survey and
// many small ones), starts the real heed binary, posts answers at a fixed
// rate (an open-loop pacer: a request is sent when it is due, whatever the
// previous ones are doing) with a share of follow-ups to answers of the
// last weeks, and every few seconds, during the load and after it, times
// each dashboard request of the largest survey next to its floor query on
// the same rows. Then the same with many more surveys.

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"math/rand"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	chgo "github.com/ClickHouse/clickhouse-go/v2"
	"github.com/google/uuid"

	"heed/analytics"
	"heed/analytics/clickhouse"
)

// liveScenario is one data set of the bench.
type liveScenario struct {
	Surveys int `json:"surveys"`
	Answers int `json:"answers"`
	Largest int `json:"largest_survey_answers"`
}

type liveOptions struct {
	heedBin, chURL, out string
	days, followDays    int
	rate, followups     float64
	duration, every     time.Duration
	after               time.Duration
	settleRatio         float64
	inFlight            int
}

// LiveRow is one dashboard request of the largest survey.
type LiveRow struct {
	Request     string  `json:"request"`
	QuietRatio  float64 `json:"quiet_ratio"`
	MedianRatio float64 `json:"load_median_ratio"`
	WorstRatio  float64 `json:"load_worst_ratio"`
	MedianMS    float64 `json:"load_median_ms"`
	WorstMS     float64 `json:"load_worst_ms"`
	FloorMS     float64 `json:"load_floor_median_ms"`
	Errors      int     `json:"errors"`
	// SettleS is the time after the load from which every sample of the
	// request stayed at most settleRatio x its floor; -1: not within -after.
	SettleS  float64 `json:"settle_s"`
	RowsRead uint64  `json:"rows_read_per_report"`
	Queries  int     `json:"queries_per_report"`
}

// LiveResult is one scenario's figures.
type LiveResult struct {
	Scenario       liveScenario `json:"scenario"`
	Days           int          `json:"days"`
	Rate           float64      `json:"rate_per_s"`
	Seconds        float64      `json:"load_seconds"`
	Posted         int64        `json:"posted"`
	Accepted       int64        `json:"accepted"`
	Failed         int64        `json:"failed"`
	Skipped        int64        `json:"skipped_by_pacer"`
	Followups      int64        `json:"followups_posted"`
	Statuses       string       `json:"statuses"`
	RoundsDuring   int          `json:"rounds_during_load"`
	RoundsAfter    int          `json:"rounds_after_load"`
	SettleS        float64      `json:"settle_s"`
	BackgroundPerM float64      `json:"background_queries_per_min"`
	BackgroundRows float64      `json:"background_rows_read_per_min"`
	InsertsPerM    float64      `json:"answer_inserts_per_min"`
	TopBackground  []shapeCount `json:"top_background_statements"`
	Rows           []LiveRow    `json:"requests"`
}

type shapeCount struct {
	Shape    string  `json:"statement"`
	PerMin   float64 `json:"per_min"`
	RowsRead uint64  `json:"rows_read_in_load_window"`
}

// liveLargest is the largest survey's id: no other id contains it.
const liveLargest = "live_largest"

func runLive(args []string) error {
	fs := flag.NewFlagSet("heedbench live", flag.ExitOnError)
	var o liveOptions
	fs.StringVar(&o.heedBin, "heed", "bin/heed", "the heed binary to measure")
	fs.StringVar(&o.chURL, "clickhouse-url", "clickhouse://127.0.0.1:19000/heed_bench_live", "ClickHouse database for the run (dropped and recreated; must be heed_bench*)")
	fs.StringVar(&o.out, "out", ".data/bench/live.json", "where to write the figures as JSON")
	scale := fs.Float64("scale", 1, "multiplies surveys, answers and the rate (0.02 is a quick run)")
	surveys := fs.Int("surveys", 200, "surveys of the first data set")
	answers := fs.Int("answers", 6_000_000, "responses of the first data set, the largest survey's included")
	largest := fs.Int("largest", 2_000_000, "responses of the largest survey (both data sets)")
	manySurveys := fs.Int("many-surveys", 10_000, "surveys of the second data set (0: skip it)")
	manyAnswers := fs.Int("many-answers", 10_000_000, "responses of the second data set")
	fs.IntVar(&o.days, "days", 60, "the generated answers span the last days; the dashboard's view is as long")
	fs.Float64Var(&o.rate, "rate", 1000, "answers posted per second")
	fs.DurationVar(&o.duration, "d", 90*time.Second, "how long answers are posted")
	fs.Float64Var(&o.followups, "followups", 0.1, "share of the posted answers that follow up an earlier response")
	fs.IntVar(&o.followDays, "followup-days", 30, "follow-ups answer responses of the last days")
	fs.DurationVar(&o.every, "every", 3*time.Second, "a round of dashboard requests starts this often")
	fs.DurationVar(&o.after, "after", 60*time.Second, "rounds go on for this long after the load")
	fs.Float64Var(&o.settleRatio, "settle-ratio", 1.5, "settled: every request at most this times its floor")
	fs.IntVar(&o.inFlight, "in-flight", 256, "most posts in flight; a post due while all are busy is skipped and counted")
	chdbLib := fs.String("chdb", "", "libchdb.so for the current-ClickHouse table of the first data set (default: what make compat fetched; none: skip)")
	fs.Parse(args)
	if !strings.Contains(o.chURL, "/heed_bench") {
		return errors.New("-clickhouse-url must name a heed_bench* database: it is dropped")
	}
	if *scale <= 0 || o.rate <= 0 || o.duration <= 0 || o.every <= 0 || o.followups < 0 || o.followups > 1 || o.days < 7 || o.followDays < 1 || o.followDays > o.days {
		return errors.New("-scale, -rate, -d and -every must be positive, -followups within 0..1, -days at least 7 and -followup-days within 1..days")
	}
	scaled := func(n, least int) int { return max(least, int(math.Round(float64(n)**scale))) }
	sets := []liveScenario{{scaled(*surveys, 3), scaled(*answers, 2000), scaled(*largest, 1000)}}
	if *manySurveys > 0 {
		sets = append(sets, liveScenario{scaled(*manySurveys, 3), scaled(*manyAnswers, 2000), scaled(*largest, 1000)})
	}
	o.rate = math.Max(1, o.rate**scale)
	var results []LiveResult
	for _, sc := range sets {
		if sc.Largest >= sc.Answers {
			return fmt.Errorf("the largest survey (%d) must hold fewer than all answers (%d)", sc.Largest, sc.Answers)
		}
		res, err := runLiveScenario(context.Background(), o, sc)
		if err != nil {
			return fmt.Errorf("%d surveys, %d answers: %w", sc.Surveys, sc.Answers, err)
		}
		printLive(res, o)
		results = append(results, res)
	}
	figures := map[string]any{"when": time.Now().UTC(), "results": results}
	if lib := chdbLibrary(*chdbLib); lib != "" {
		dir, err := os.MkdirTemp("", "heedbench-live-chdb")
		if err != nil {
			return err
		}
		rows, version, err := measureLiveChDB(lib, dir, o, sets[0])
		os.RemoveAll(dir)
		if err != nil {
			return fmt.Errorf("chDB: %w", err)
		}
		printLiveChDB(rows, version, o, sets[0])
		figures["chdb"] = map[string]any{"version": version, "scenario": sets[0], "rows": rows}
	}
	if err := os.MkdirAll(filepath.Dir(o.out), 0o755); err == nil {
		b, _ := json.MarshalIndent(figures, "", "  ")
		if err := os.WriteFile(o.out, append(b, '\n'), 0o644); err != nil {
			return err
		}
		fmt.Printf("\nfigures written to %s\n", o.out)
	}
	return nil
}

// liveCases are the requests the dashboard makes for a view of the last
// days (and its CSV download), plus the week view's daily chart.
func liveCases(days int) []reportCase {
	d := strconv.Itoa(days) + " days"
	return []reportCase{
		{"weekly report, " + d, "report", days, analytics.Week, "", ""},
		{"daily report, " + d, "report", days, analytics.Day, "", ""},
		{"daily report, 7 days", "report", 7, analytics.Day, "", ""},
		{"weekly report by channel, " + d, "report", days, analytics.Week, "channel", ""},
		{"latest answers (20), " + d, "latest", days, analytics.Week, "", ""},
		{"report.csv daily, " + d, "csv", days, analytics.Day, "", ""},
	}
}

// addLoad sets the row's figures of the load from its samples (failed
// ones counted as errors).
func (row *LiveRow) addLoad(samples []liveSample) {
	var ratios, heeds, fl []float64
	for _, s := range samples {
		if s.failed {
			row.Errors++
			continue
		}
		ratios, heeds, fl = append(ratios, s.ratio), append(heeds, ms(s.heed)), append(fl, ms(s.floor))
	}
	row.MedianRatio, row.WorstRatio = medianOf(ratios), maxOf(ratios)
	row.MedianMS, row.WorstMS, row.FloorMS = medianOf(heeds), maxOf(heeds), medianOf(fl)
}

// liveSample is one timed request and its floor.
type liveSample struct {
	at          time.Time
	heed, floor time.Duration
	failed      bool
	ratio       float64
}

func runLiveScenario(ctx context.Context, o liveOptions, sc liveScenario) (LiveResult, error) {
	res := LiveResult{Scenario: sc, Days: o.days, Rate: o.rate, Seconds: o.duration.Seconds()}
	store, conn, err := generateLive(ctx, o, sc)
	if err != nil {
		return res, err
	}
	defer store.Close()
	defer conn.Close()
	followIDs, err := followupIDs(ctx, conn, o, sc)
	if err != nil {
		return res, err
	}

	work, err := os.MkdirTemp("", "heedbench-live")
	if err != nil {
		return res, err
	}
	defer os.RemoveAll(work)
	const key = "bench-admin-key-0123456789"
	addr := freeAddr()
	base := "http://" + addr
	heed := exec.Command(o.heedBin, "serve", "--rate-limit", "0", "--survey-rate-limit", "0", "--addr", addr, "--admin-key", key,
		"--clickhouse-url", o.chURL+"?log_queries=1", "--data-dir", filepath.Join(work, "heed"))
	heed.Stderr = newTail(64 << 10)
	if err := startAndWait(heed, base+"/readyz"); err != nil {
		return res, fmt.Errorf("start heed: %w\n%s", err, heed.Stderr)
	}
	defer stop(heed)

	big := benchSurvey{id: liveLargest, n: sc.Largest}
	cases := liveCases(o.days)
	end := time.Now().UTC().Truncate(24*time.Hour).AddDate(0, 0, 1) // tomorrow: today is in every range
	floors := make([]struct {
		sql  string
		args []any
	}, len(cases))
	for i, rc := range cases {
		if floors[i].sql, floors[i].args, err = floorStatement(big, rc, end); err != nil {
			return res, err
		}
		if _, _, err := getCase(base, key, big, rc, end); err != nil { // warm-up, and the request works
			return res, fmt.Errorf("%s: %w", rc.name, err)
		}
	}
	// round times every case once, each right before its floor query.
	round := func(into [][]liveSample) {
		for i, rc := range cases {
			s := liveSample{at: time.Now()}
			_, d, err := getCase(base, key, big, rc, end)
			s.heed, s.failed = d, err != nil
			if f, ferr := timeQuery(ctx, conn, floors[i].sql, floors[i].args); ferr == nil {
				s.floor = f
			} else {
				s.failed = true
			}
			s.ratio = float64(s.heed) / float64(max(s.floor, time.Microsecond))
			into[i] = append(into[i], s)
		}
	}
	quiet := make([][]liveSample, len(cases))
	for r := 0; r < 3; r++ {
		round(quiet)
	}

	fmt.Fprintf(os.Stderr, "live: %d surveys, %d answers: posting %.0f answers/s for %s (%.0f %% follow-ups)...\n",
		sc.Surveys, sc.Answers, o.rate, o.duration, o.followups*100)
	var st pacerStats
	loadStart := time.Now()
	loadDone := make(chan time.Time, 1)
	go func() {
		pace(base, sc, o, followIDs, &st)
		loadDone <- time.Now()
	}()
	during := make([][]liveSample, len(cases))
	var loadEnd time.Time
	for loadEnd.IsZero() {
		next := time.Now().Add(o.every)
		round(during)
		res.RoundsDuring++
		select {
		case loadEnd = <-loadDone:
		case <-time.After(time.Until(next)):
		}
	}
	after := make([][]liveSample, len(cases))
	for time.Since(loadEnd) < o.after {
		next := time.Now().Add(o.every)
		round(after)
		res.RoundsAfter++
		time.Sleep(time.Until(next))
	}
	res.Posted, res.Accepted, res.Failed = st.posted.Load(), st.accepted.Load(), st.failed.Load()
	res.Skipped, res.Followups, res.Statuses = st.skipped.Load(), st.followups.Load(), st.statusString()
	for code, msg := range st.refusals {
		fmt.Fprintf(os.Stderr, "live: first answer refused with %d: %s\n", code, msg)
	}

	rows, shapes, err := rowsPerReport(ctx, conn, base, key, big, cases, end)
	if err != nil {
		return res, err
	}
	res.SettleS = 0
	for i, rc := range cases {
		row := rows[i]
		row.Request = rc.name
		row.QuietRatio = medianRatio(quiet[i])
		row.addLoad(during[i])
		row.SettleS = settleTime(after[i], loadEnd, o.settleRatio)
		if row.SettleS < 0 || res.SettleS < 0 {
			res.SettleS = -1
		} else {
			res.SettleS = math.Max(res.SettleS, row.SettleS)
		}
		res.Rows = append(res.Rows, row)
	}
	for shape := range reportStatementShapes() {
		shapes[shape] = true
	}
	if err := backgroundRate(ctx, conn, &res, shapes, loadStart, loadEnd); err != nil {
		return res, err
	}
	return res, nil
}

// generateLive makes the data set in a new database: the largest survey
// and the others' answers, each in one INSERT ... SELECT, the surveys
// saved (one through Heed's store, the others copied from it in one
// insert), and the days counted as heedbench reports does.
func generateLive(ctx context.Context, o liveOptions, sc liveScenario) (*clickhouse.DB, chgo.Conn, error) {
	if err := resetDatabase(ctx, o.chURL); err != nil {
		return nil, nil, err
	}
	store, err := clickhouse.Open(o.chURL)
	if err != nil {
		return nil, nil, err
	}
	fail := func(err error) (*clickhouse.DB, chgo.Conn, error) { store.Close(); return nil, nil, err }
	if err := store.Migrate(ctx, nil); err != nil {
		return fail(err)
	}
	conn, err := rawConn(o.chURL, "")
	if err != nil {
		return fail(err)
	}
	start, span := time.Now().Unix()-int64(o.days)*86400, int64(o.days)*86400
	t0 := time.Now()
	rest := sc.Surveys - 1
	for _, g := range []struct {
		prefix     string
		surveys, n int
	}{{liveLargest, 1, sc.Largest}, {"live_s", rest, sc.Answers - sc.Largest}} {
		if err := conn.Exec(ctx, stmts.GenerateAnswers, g.prefix, int64(g.surveys), int64(g.surveys), start, span, int64(g.n), int64(g.n)); err != nil {
			conn.Close()
			return fail(fmt.Errorf("generate %s: %w", g.prefix, err))
		}
	}
	for _, id := range []string{liveLargest, "live_s_0"} {
		if err := store.SaveSurvey(ctx, benchReportSurvey(id)); err != nil {
			conn.Close()
			return fail(err)
		}
	}
	if err := conn.Exec(ctx, stmts.CopySurvey, `"id":"live_s_0"`, "live_s", `"id":"live_s_0"`, int64(rest-1), "live_s_0"); err != nil {
		conn.Close()
		return fail(fmt.Errorf("copy surveys: %w", err))
	}
	var saved, big uint64
	if err := conn.QueryRow(ctx, stmts.CountSurveys).Scan(&saved); err != nil || saved != uint64(sc.Surveys) {
		conn.Close()
		return fail(fmt.Errorf("surveys saved: %d of %d (%v)", saved, sc.Surveys, err))
	}
	if err := conn.QueryRow(ctx, stmts.CountRawRows, liveLargest).Scan(&big); err != nil {
		conn.Close()
		return fail(err)
	}
	fmt.Fprintf(os.Stderr, "live: generated %d surveys, %d responses over %d days (%s: %d responses, %d rows) in %.1f s\n",
		sc.Surveys, sc.Answers, o.days, liveLargest, sc.Largest, big, time.Since(t0).Seconds())
	t0 = time.Now()
	n, err := store.RefreshDays(ctx)
	if err != nil {
		conn.Close()
		return fail(err)
	}
	fmt.Fprintf(os.Stderr, "live: counted %d days of answers in %.1f s (MaintainDays' first run)\n", n, time.Since(t0).Seconds())
	return store, conn, nil
}

// followupID is a generated response a follow-up answers again.
type followupID struct {
	survey string
	id     uuid.UUID
}

// followupIDs reads a sample of at most 20,000 responses of the last
// followDays days, spread over the surveys as the answers are.
func followupIDs(ctx context.Context, conn chgo.Conn, o liveOptions, sc liveScenario) ([]followupID, error) {
	const most = 20_000
	recent := float64(sc.Answers) * float64(o.followDays) / float64(o.days)
	oneIn := max(1, int64(recent/most))
	rows, err := conn.Query(ctx, stmts.SelectFollowupIDs, time.Now().Unix()-int64(o.followDays)*86400, oneIn, int64(most))
	if err != nil {
		return nil, fmt.Errorf("follow-up ids: %w", err)
	}
	defer rows.Close()
	var out []followupID
	for rows.Next() {
		var f followupID
		if err := rows.Scan(&f.survey, &f.id); err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	if len(out) == 0 && o.followups > 0 {
		return nil, errors.New("no responses of the last days to follow up")
	}
	return out, rows.Err()
}

type pacerStats struct {
	posted, accepted, failed, skipped, followups atomic.Int64
	mu                                           sync.Mutex
	statuses                                     map[int]int
	refusals                                     map[int]string
}

func (st *pacerStats) status(code int) {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.statuses == nil {
		st.statuses = map[int]int{}
	}
	st.statuses[code]++
}

// refusal keeps the first refusal of each status, to print.
func (st *pacerStats) refusal(follow bool, code int, body []byte) {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.refusals == nil {
		st.refusals = map[int]string{}
	}
	if _, seen := st.refusals[code]; !seen {
		st.refusals[code] = fmt.Sprintf("follow-up %v: %s", follow, strings.TrimSpace(string(body)))
	}
}

func (st *pacerStats) statusString() string {
	st.mu.Lock()
	defer st.mu.Unlock()
	var s []string
	for k, v := range st.statuses {
		s = append(s, fmt.Sprintf("%d:%d", k, v))
	}
	sort.Strings(s)
	return strings.Join(s, " ")
}

// pace posts rate x duration answers, each at its due time: an open loop,
// so a slow server meets the same arrivals as a fast one. New answers go to
// a survey drawn by the generated sizes (the largest gets its share),
// follow-ups to a response of the sample. At most inFlight are in flight:
// one due while all are busy is skipped (and counted), so memory is bounded.
func pace(base string, sc liveScenario, o liveOptions, follow []followupID, st *pacerStats) {
	tr := &http.Transport{MaxIdleConns: o.inFlight, MaxIdleConnsPerHost: o.inFlight, IdleConnTimeout: time.Minute}
	client := &http.Client{Transport: tr, Timeout: 30 * time.Second}
	defer tr.CloseIdleConnections()
	rng := rand.New(rand.NewSource(int64(sc.Surveys)))
	bigShare := float64(sc.Largest) / float64(sc.Answers)
	sem := make(chan struct{}, o.inFlight)
	total := int(o.rate * o.duration.Seconds())
	start := time.Now()
	for i := 0; i < total; i++ {
		time.Sleep(time.Until(start.Add(time.Duration(float64(i) / o.rate * float64(time.Second)))))
		score := rng.Intn(11)
		var survey, body string
		isFollow := len(follow) > 0 && rng.Float64() < o.followups
		if isFollow {
			f := follow[rng.Intn(len(follow))]
			survey = f.survey
			body = fmt.Sprintf(`{"score":%d,"comment":"live follow-up %d","channel":"api","response_id":"%s"}`, score, i, f.id)
		} else {
			survey = liveLargest
			if rng.Float64() >= bigShare {
				survey = "live_s_" + strconv.Itoa(rng.Intn(sc.Surveys-1))
			}
			body = fmt.Sprintf(`{"score":%d,"reasons":[%s],"channel":"api","response_id":"%s","properties":{"plan":"pro"}}`,
				score, reasonsFor(i), uuid.New())
		}
		select {
		case sem <- struct{}{}:
		default:
			st.skipped.Add(1)
			continue
		}
		st.posted.Add(1)
		if isFollow {
			st.followups.Add(1)
		}
		go func() {
			defer func() { <-sem }()
			resp, err := client.Post(base+"/api/v1/surveys/"+survey+"/responses", "application/json", strings.NewReader(body))
			if err != nil {
				st.failed.Add(1)
				st.status(0)
				return
			}
			msg, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			st.status(resp.StatusCode)
			if resp.StatusCode != http.StatusAccepted {
				st.refusal(isFollow, resp.StatusCode, msg)
			}
			if resp.StatusCode == http.StatusAccepted {
				st.accepted.Add(1)
			} else {
				st.failed.Add(1)
			}
		}()
	}
	for i := 0; i < o.inFlight; i++ { // every post answered
		sem <- struct{}{}
	}
}

// settleTime is how long after the load the samples of a request stayed
// at most limit x the floor: the time of the first sample from which all
// later ones do; -1 when the last one did not.
func settleTime(after []liveSample, loadEnd time.Time, limit float64) float64 {
	settle := -1.0
	for i := len(after) - 1; i >= 0; i-- {
		if after[i].failed || after[i].ratio > limit {
			break
		}
		settle = math.Max(0, after[i].at.Sub(loadEnd).Seconds())
	}
	return settle
}

// rowsPerReport runs each case once more, alone in its own whole seconds
// of query_log (18.16 logs start times in seconds), and sums what Heed's
// queries naming the survey read then. It also returns the shapes of those
// queries: backgroundRate tells report queries from background ones by them.
func rowsPerReport(ctx context.Context, conn chgo.Conn, base, key string, sv benchSurvey, cases []reportCase, end time.Time) ([]LiveRow, map[string]bool, error) {
	type window struct{ from, to int64 }
	wins := make([]window, len(cases))
	for i, rc := range cases {
		time.Sleep(time.Until(time.Unix(time.Now().Unix()+1, 0)) + 50*time.Millisecond) // a fresh second
		wins[i].from = time.Now().Unix()
		if _, _, err := getCase(base, key, sv, rc, end); err != nil {
			return nil, nil, fmt.Errorf("%s: %w", rc.name, err)
		}
		wins[i].to = time.Now().Unix()
	}
	time.Sleep(time.Until(time.Unix(time.Now().Unix()+1, 0))) // the last second is over
	qs, err := heedQueries(ctx, conn, sv.id, wins[0].from, wins[len(wins)-1].to)
	if err != nil {
		return nil, nil, err
	}
	rows := make([]LiveRow, len(cases))
	shapes := map[string]bool{}
	for _, q := range qs {
		if !q.namesSurvey {
			continue
		}
		for i, w := range wins {
			if q.start >= w.from && q.start <= w.to {
				rows[i].RowsRead += q.readRows
				rows[i].Queries++
				shapes[q.shape] = true
			}
		}
	}
	return rows, shapes, nil
}

// backgroundRate counts Heed's queries of the load window that were not
// the dashboard's: answer inserts (the spool's flushes) apart, the rest is
// background work (counting days, sends, digests, retention...).
func backgroundRate(ctx context.Context, conn chgo.Conn, res *LiveResult, reportShapes map[string]bool, from, to time.Time) error {
	qs, err := heedQueries(ctx, conn, liveLargest, from.Unix(), to.Unix())
	if err != nil {
		return err
	}
	minutes := to.Sub(from).Minutes()
	by := map[string]*shapeCount{}
	var bg, inserts int
	var bgRows uint64
	for _, q := range qs {
		switch {
		case strings.HasPrefix(q.shape, "INSERT INTO answers ") || strings.HasPrefix(q.shape, "INSERT INTO answers("):
			inserts++
			continue
		case q.namesSurvey && reportShapes[q.shape]:
			continue
		}
		bg++
		bgRows += q.readRows
		c := by[q.shape]
		if c == nil {
			c = &shapeCount{Shape: q.shape}
			by[q.shape] = c
		}
		c.PerMin++
		c.RowsRead += q.readRows
	}
	res.BackgroundPerM, res.BackgroundRows, res.InsertsPerM = float64(bg)/minutes, float64(bgRows)/minutes, float64(inserts)/minutes
	for _, c := range by {
		c.PerMin /= minutes
		res.TopBackground = append(res.TopBackground, *c)
	}
	sort.Slice(res.TopBackground, func(i, j int) bool { return res.TopBackground[i].PerMin > res.TopBackground[j].PerMin })
	if len(res.TopBackground) > 8 {
		res.TopBackground = res.TopBackground[:8]
	}
	return nil
}

// reportStatementShapes are the shapes of the statements the dashboard's
// requests run: rowsPerReport only sees those its quiet requests ran (a
// day read raw under load is counted again once the load stops), and the
// raw reads of the load would pass for background work.
func reportStatementShapes() map[string]bool {
	out := map[string]bool{}
	for _, name := range []string{"select-rollup-days", "select-rollup-segment-days", "select-rollup-grouped-days",
		"select-raw-report", "select-raw-segment-report", "select-raw-grouped-report", "select-segment-keys", "select-marks",
		"select-latest-answers", "select-export-answers"} {
		for _, i := range []analytics.Interval{analytics.Day, analytics.Week, analytics.Month} {
			sql := heedStatement(name)
			if strings.Contains(sql, "{period}") {
				var err error
				if sql, err = periodStatement(sql, i); err != nil {
					panic(err)
				}
			}
			out[queryShape(sql)] = true
		}
	}
	return out
}

type heedQuery struct {
	start       int64
	readRows    uint64
	shape       string
	namesSurvey bool
}

// heedQueries reads Heed's logged queries that started in [from, to].
func heedQueries(ctx context.Context, conn chgo.Conn, survey string, from, to int64) ([]heedQuery, error) {
	if err := conn.Exec(ctx, stmts.FlushLogs); err != nil {
		return nil, err
	}
	rows, err := conn.Query(ctx, stmts.SelectHeedQueries, "'"+survey+"'", from, from, to)
	if err != nil {
		return nil, fmt.Errorf("query_log: %w", err)
	}
	defer rows.Close()
	var out []heedQuery
	for rows.Next() {
		var (
			start uint32
			q     heedQuery
			text  string
			names uint8
		)
		if err := rows.Scan(&start, &q.readRows, &text, &names); err != nil {
			return nil, err
		}
		q.start, q.shape, q.namesSurvey = int64(start), queryShape(text), names == 1
		out = append(out, q)
	}
	return out, rows.Err()
}

var (
	sqlString    = regexp.MustCompile(`'(?:[^'\\]|\\.|'')*'`)
	sqlCutString = regexp.MustCompile(`'[^']*$`)
	sqlNumber    = regexp.MustCompile(`\b\d+(\.\d+)?\b`)
	sqlSpaces    = regexp.MustCompile(`\s+`)
	shapeChars   = 100
)

// queryShape is a query's text without its literals, whitespace folded:
// the same statement with other arguments has the same shape.
func queryShape(text string) string {
	s := sqlString.ReplaceAllString(text, "?")
	s = sqlCutString.ReplaceAllString(s, "?") // a string the 300 characters cut
	s = sqlNumber.ReplaceAllString(s, "?")
	s = strings.TrimSpace(sqlSpaces.ReplaceAllString(s, " "))
	if len(s) > shapeChars {
		s = s[:shapeChars]
	}
	return s
}

func medianRatio(s []liveSample) float64 {
	var r []float64
	for _, x := range s {
		if !x.failed {
			r = append(r, x.ratio)
		}
	}
	return medianOf(r)
}

func medianOf(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	return s[len(s)/2]
}

func maxOf(v []float64) float64 {
	m := 0.0
	for _, x := range v {
		m = math.Max(m, x)
	}
	return m
}

func printLive(r LiveResult, o liveOptions) {
	sc := r.Scenario
	fmt.Printf("\nheedbench live: %d surveys, %d responses over %d days (the largest %d); %.0f answers/s for %.0f s, %.0f %% follow-ups of the last %d days\n",
		sc.Surveys, sc.Answers, r.Days, sc.Largest, r.Rate, r.Seconds, o.followups*100, o.followDays)
	fmt.Printf("posted %d (%d follow-ups): accepted %d, failed %d, skipped by the pacer %d; statuses %s; rounds %d during the load, %d after\n\n",
		r.Posted, r.Followups, r.Accepted, r.Failed, r.Skipped, r.Statuses, r.RoundsDuring, r.RoundsAfter)
	fmt.Printf("%-34s %7s %10s %10s %10s %10s %9s %8s %12s %7s %6s\n", "request of the largest survey", "quiet x",
		"load med x", "load max x", "med ms", "max ms", "floor ms", "settle s", "rows/report", "queries", "errors")
	for _, x := range r.Rows {
		settle := fmt.Sprintf("%.1f", x.SettleS)
		if x.SettleS < 0 {
			settle = "> " + o.after.String()
		}
		fmt.Printf("%-34s %7.2f %10.2f %10.2f %10.0f %10.0f %9.0f %8s %12d %7d %6d\n", x.Request, x.QuietRatio, x.MedianRatio,
			x.WorstRatio, x.MedianMS, x.WorstMS, x.FloorMS, settle, x.RowsRead, x.Queries, x.Errors)
	}
	settle := fmt.Sprintf("%.1f s after the load", r.SettleS)
	if r.SettleS < 0 {
		settle = "not within " + o.after.String() + " after the load"
	}
	fmt.Printf("\nsettled (every request at most %.1fx its floor from then on): %s\n", o.settleRatio, settle)
	fmt.Printf("background work during the load: %.1f queries/min reading %.0f rows/min; answer inserts %.1f/min\n",
		r.BackgroundPerM, r.BackgroundRows, r.InsertsPerM)
	for _, c := range r.TopBackground {
		fmt.Printf("  %7.1f/min %12d rows in the load window  %s\n", c.PerMin, c.RowsRead, c.Shape)
	}
}

// printLiveChDB prints the current-ClickHouse table (measureLiveChDB).
func printLiveChDB(rows []LiveRow, version string, o liveOptions, sc liveScenario) {
	fmt.Printf("\nheedbench live on chDB %s (emulated: Heed's statements bound as literals, one at a time, times as chDB measured them; no settle time): %d surveys, %d responses; %.0f answers/s for %.0f s\n\n",
		version, sc.Surveys, sc.Answers, o.rate, o.duration.Seconds())
	fmt.Printf("%-34s %7s %10s %10s %10s %10s %9s\n", "request of the largest survey", "quiet x", "load med x", "load max x", "med ms", "max ms", "floor ms")
	for _, x := range rows {
		fmt.Printf("%-34s %7.2f %10.2f %10.2f %10.0f %10.0f %9.0f\n", x.Request, x.QuietRatio, x.MedianRatio, x.WorstRatio, x.MedianMS, x.WorstMS, x.FloorMS)
	}
}
