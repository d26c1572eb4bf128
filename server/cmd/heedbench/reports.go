package main

// heedbench reports (make bench-reports): two generated surveys, 1 M and
// 10 M responses over two years, and every request the dashboard makes
// plus both exports, timed through Heed's API against the private 18.16
// beside the floor query on the same rows; then Heed's statements for the
// same requests on current ClickHouse (chDB, in process) beside its floor.

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	chgo "github.com/ClickHouse/clickhouse-go/v2"

	"heed/analytics"
	"heed/analytics/clickhouse"
	"heed/analytics/clickhouse/chdb"
)

// reportCase is one request of the dashboard (or an export).
type reportCase struct {
	name     string
	kind     string // report, latest, csv, export
	days     int    // the range: the last days days before end
	interval analytics.Interval
	groupBy  string // a report's group_by: "channel" or "property:plan"
	tz       string // a report's time zone ("": UTC)
}

var reportCases = []reportCase{
	{"weekly report, 2 years", "report", 730, analytics.Week, "", ""},
	{"weekly report, 90 days", "report", 90, analytics.Week, "", ""},
	{"daily report, 7 days", "report", 7, analytics.Day, "", ""},
	{"daily report, 4 weeks", "report", 28, analytics.Day, "", ""},
	{"monthly report, 12 months", "report", 365, analytics.Month, "", ""},
	{"weekly report by plan, 2 years", "report", 730, analytics.Week, "property:plan", ""},
	{"weekly report by channel, 90 d", "report", 90, analytics.Week, "channel", ""},
	{"weekly report in Paris, 2 years", "report", 730, analytics.Week, "", "Europe/Paris"},
	{"latest answers (20), 2 years", "latest", 730, analytics.Week, "", ""},
	{"latest answers (20), 12 weeks", "latest", 84, analytics.Week, "", ""},
	{"report.csv monthly, 2 years", "csv", 730, analytics.Month, "", ""},
	{"responses.csv, 2 years", "export", 730, analytics.Week, "", ""},
	{"churn report, 90-day window", "churn", 730, analytics.Week, "", ""},
	{"churn report, from/to 2 years", "churn-range", 730, analytics.Week, "", ""},
}

// churnWindowDays is the window of the churn cases.
const churnWindowDays = 90

// ReportRow is one line of the tables (and of the JSON).
type ReportRow struct {
	Engine     string  `json:"engine"`
	Survey     string  `json:"survey"`
	Request    string  `json:"request"`
	HeedMS     float64 `json:"heed_ms"`
	FloorMS    float64 `json:"floor_ms"`
	Ratio      float64 `json:"ratio"`
	PeakMB     float64 `json:"clickhouse_peak_mb"`
	HeedRSSMB  float64 `json:"heed_rss_mb"`
	Rows       int64   `json:"rows,omitempty"`
	HeedRowsS  float64 `json:"heed_rows_per_s,omitempty"`
	FloorRowsS float64 `json:"floor_rows_per_s,omitempty"`
	RSSGrowMB  float64 `json:"heed_rss_growth_mb,omitempty"`
}

type benchSurvey struct {
	id string
	n  int
}

func runReports(args []string) error {
	fs := flag.NewFlagSet("heedbench reports", flag.ExitOnError)
	heedBin := fs.String("heed", "bin/heed", "the heed binary to measure")
	chURL := fs.String("clickhouse-url", "clickhouse://127.0.0.1:19000/heed_bench_reports", "ClickHouse database for the run (dropped and recreated; must be heed_bench*)")
	sizes := fs.String("sizes", "1000000,10000000", "responses of each generated survey")
	runs := fs.Int("runs", 11, "timed runs of each request (the median is printed; short requests vary by a few ms with the merges of the traffic)")
	chdbLib := fs.String("chdb", "", "libchdb.so for the current-ClickHouse table (default: what make compat fetched; none: skip)")
	out := fs.String("out", ".data/bench/reports.json", "where to write the figures as JSON")
	only := fs.String("only", "", "run only the requests whose name holds one of these comma-separated words (e.g. churn)")
	fs.Parse(args)
	if *only != "" {
		var keep []reportCase
		for _, rc := range reportCases {
			for _, w := range strings.Split(*only, ",") {
				if w = strings.TrimSpace(w); w != "" && strings.Contains(rc.name, w) {
					keep = append(keep, rc)
					break
				}
			}
		}
		if len(keep) == 0 {
			return fmt.Errorf("-only %q matches no request", *only)
		}
		reportCases = keep
	}
	if !strings.Contains(*chURL, "/heed_bench") {
		return errors.New("-clickhouse-url must name a heed_bench* database: it is dropped")
	}
	if opts, err := clickhouse.ParseURL(*chURL); err == nil {
		benchDatabase = opts.Auth.Database // clickhouse-client's floor reads the same database
	}
	var surveys []benchSurvey
	for _, s := range strings.Split(*sizes, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 1000 {
			return fmt.Errorf("-sizes: %q is not a number of responses (1000 or more)", s)
		}
		surveys = append(surveys, benchSurvey{id: "bench_" + humanCount(n), n: n})
	}
	end := time.Now().UTC().Truncate(24*time.Hour).AddDate(0, 0, 1) // tomorrow: today is in every range
	start := end.AddDate(0, 0, -730)
	ctx := context.Background()

	// The data, on the private server.
	if err := resetDatabase(ctx, *chURL); err != nil {
		return err
	}
	store, err := clickhouse.Open(*chURL)
	if err != nil {
		return err
	}
	defer store.Close()
	if err := store.Migrate(ctx, nil); err != nil {
		return err
	}
	conn, err := rawConn(*chURL, "")
	if err != nil {
		return err
	}
	defer conn.Close()
	for _, sv := range surveys {
		t0 := time.Now()
		if err := conn.Exec(ctx, stmts.GenerateAnswers, sv.id, int64(1), int64(1), start.Unix(), int64(730*86400), int64(sv.n), int64(sv.n)); err != nil {
			return fmt.Errorf("generate %s: %w", sv.id, err)
		}
		var rows uint64
		if err := conn.QueryRow(ctx, stmts.CountRawRows, sv.id).Scan(&rows); err != nil {
			return err
		}
		d := time.Since(t0)
		fmt.Fprintf(os.Stderr, "generated %s: %d responses, %d rows in %.1f s (%.0f rows/s, INSERT ... SELECT on the server)\n",
			sv.id, sv.n, rows, d.Seconds(), float64(rows)/d.Seconds())
		if err := store.SaveSurvey(ctx, benchReportSurvey(sv.id)); err != nil {
			return err
		}
	}
	if err := conn.Exec(ctx, stmts.GenerateChurn, start.Unix(), int64(730*86400)); err != nil {
		return fmt.Errorf("generate churn: %w", err)
	}
	t0 := time.Now()
	n, err := store.RefreshDays(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "counted %d days of answers in %.1f s (MaintainDays' first run)\n", n, time.Since(t0).Seconds())

	// Heed, on those surveys, with its queries logged (their peak memory).
	work, err := os.MkdirTemp("", "heedbench-reports")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	const key = "bench-admin-key-0123456789"
	addr := freeAddr()
	base := "http://" + addr
	heed := exec.Command(*heedBin, "serve", "--rate-limit", "0", "--survey-rate-limit", "0", "--addr", addr, "--admin-key", key,
		"--clickhouse-url", *chURL+"?log_queries=1", "--data-dir", filepath.Join(work, "heed"))
	heed.Stderr = newTail(64 << 10)
	if err := startAndWait(heed, base+"/readyz"); err != nil {
		return fmt.Errorf("start heed: %w\n%s", err, heed.Stderr)
	}
	defer stop(heed)
	// Answers keep arriving while the reports run, as in production: today
	// is always being written, so every report also reads it raw.
	trafficCtx, stopTraffic := context.WithCancel(ctx)
	var posted atomic.Int64
	go traffic(trafficCtx, base, surveys, &posted)

	var rows []ReportRow
	for _, sv := range surveys {
		for _, rc := range reportCases {
			row, err := measureHeed(ctx, conn, base, key, heed.Process.Pid, sv, rc, end, *runs)
			if err != nil {
				stopTraffic()
				return fmt.Errorf("%s, %s: %w", sv.id, rc.name, err)
			}
			fmt.Fprintf(os.Stderr, "  18.16 %s %s: %.0f ms (floor %.0f ms)\n", sv.id, rc.name, row.HeedMS, row.FloorMS)
			rows = append(rows, row)
		}
	}
	stopTraffic()
	fmt.Fprintf(os.Stderr, "(%d answers posted meanwhile)\n", posted.Load())

	// Current ClickHouse: the same data and Heed's statements, in chDB.
	lib := chdbLibrary(*chdbLib)
	var chdbVersion string
	if lib != "" {
		dir := filepath.Join(work, "chdb")
		crows, version, err := measureChDB(lib, dir, surveys, start, end, *runs)
		if err != nil {
			return fmt.Errorf("chDB: %w", err)
		}
		rows, chdbVersion = append(rows, crows...), version
	}
	printReportTables(rows, chdbVersion)
	if err := os.MkdirAll(filepath.Dir(*out), 0o755); err == nil {
		b, _ := json.MarshalIndent(map[string]any{"when": time.Now().UTC(), "rows": rows}, "", "  ")
		os.WriteFile(*out, b, 0o644)
		fmt.Printf("\nfigures written to %s\n", *out)
	}
	return nil
}

func humanCount(n int) string {
	switch {
	case n%1_000_000 == 0:
		return strconv.Itoa(n/1_000_000) + "m"
	case n%1000 == 0:
		return strconv.Itoa(n/1000) + "k"
	}
	return strconv.Itoa(n)
}

func benchReportSurvey(id string) *analytics.Survey {
	now := time.Now().UTC()
	return &analytics.Survey{ID: id, Name: "Bench " + id, Question: analytics.DefaultQuestion, Widget: analytics.DefaultWidgetSettings(),
		AllowedOrigins: []string{}, AlertEmails: []string{}, CreatedAt: now, UpdatedAt: now,
		Reasons: []analytics.Reason{{ID: "rude_service", Label: "Rude or unhelpful service"}, {ID: "slow_service", Label: "Slow service"},
			{ID: "price", Label: "Price"}, {ID: "product_quality", Label: "Product quality"}, {ID: "other", Label: "Other"}}}
}

// traffic posts about 20 answers a second, spread over the surveys.
func traffic(ctx context.Context, base string, surveys []benchSurvey, posted *atomic.Int64) {
	t := time.NewTicker(50 * time.Millisecond)
	defer t.Stop()
	for i := 0; ; i++ {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		sv := surveys[i%len(surveys)]
		body := fmt.Sprintf(`{"score":%d,"channel":"api","properties":{"plan":"pro"}}`, i%11)
		resp, err := http.Post(base+"/api/v1/surveys/"+sv.id+"/responses", "application/json", strings.NewReader(body))
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusAccepted {
				posted.Add(1)
			}
		}
	}
}

// casePath is the API request of a case.
func casePath(sv benchSurvey, rc reportCase, end time.Time) string {
	from := end.AddDate(0, 0, -rc.days)
	q := "from=" + from.Format(time.DateOnly) + "&to=" + end.Format(time.DateOnly)
	switch rc.kind {
	case "latest":
		return "/api/v1/surveys/" + sv.id + "/responses?limit=20&" + q
	case "csv":
		return "/api/v1/surveys/" + sv.id + "/report.csv?interval=" + string(rc.interval) + "&" + q
	case "export":
		return "/api/v1/surveys/" + sv.id + "/responses.csv?" + q
	case "churn":
		return "/api/v1/surveys/" + sv.id + "/churn?window_days=" + strconv.Itoa(churnWindowDays)
	case "churn-range":
		return "/api/v1/surveys/" + sv.id + "/churn?window_days=" + strconv.Itoa(churnWindowDays) + "&" + q
	}
	if rc.groupBy != "" {
		q += "&group_by=" + rc.groupBy
	}
	if rc.tz != "" {
		q += "&tz=" + rc.tz
	}
	return "/api/v1/surveys/" + sv.id + "/report?interval=" + string(rc.interval) + "&" + q
}

// floorStatement is the floor query of a case, and its arguments.
func floorStatement(sv benchSurvey, rc reportCase, end time.Time) (string, []any, error) {
	from := end.AddDate(0, 0, -rc.days)
	args := []any{sv.id, from.Unix(), end.Unix()}
	if rc.kind == "latest" {
		return stmts.FloorLatest, args, nil
	}
	if rc.kind == "churn" || rc.kind == "churn-range" {
		return stmts.FloorChurn, []any{int64(churnWindowDays * 86400), sv.id}, nil
	}
	tz := "UTC"
	if rc.tz != "" {
		tz = rc.tz
		loc, err := time.LoadLocation(tz)
		if err != nil {
			return "", nil, err
		}
		// The range's ends are midnights there, as Heed reads them.
		f, e := from.In(loc), end.In(loc)
		args = []any{sv.id, time.Date(f.Year(), f.Month(), f.Day(), 0, 0, 0, 0, loc).Unix(), time.Date(e.Year(), e.Month(), e.Day(), 0, 0, 0, 0, loc).Unix()}
	}
	args = append([]any{tz}, args...)
	floor := stmts.FloorReport
	if g, _ := analytics.ParseGroupBy(rc.groupBy); g.Set() {
		floor, args = stmts.FloorGroupedReport, []any{tz, g.Property, g.Property, sv.id, from.Unix(), end.Unix()}
	}
	sql, err := periodStatement(floor, rc.interval)
	return sql, args, err
}

// measureHeed times one case through the API on the private server.
func measureHeed(ctx context.Context, conn chgo.Conn, base, key string, pid int, sv benchSurvey, rc reportCase, end time.Time, runs int) (ReportRow, error) {
	row := ReportRow{Engine: "18.16", Survey: sv.id, Request: rc.name}
	get := func() (int64, time.Duration, error) { return getCase(base, key, sv, rc, end) }
	n := runs
	if rc.kind == "export" {
		n = 1 // ten million rows: one run says enough
	}
	rssBefore, _ := rssMB(pid)
	resetPeakRSS(pid)
	if rc.kind != "export" {
		if _, _, err := get(); err != nil { // warm-up
			return row, err
		}
	}
	windowFrom := time.Now().Add(-time.Second)
	var times []time.Duration
	for i := 0; i < n; i++ {
		lines, d, err := get()
		if err != nil {
			return row, err
		}
		times = append(times, d)
		if rc.kind == "export" {
			row.Rows = lines - 1 // the header
		}
	}
	windowTo := time.Now().Add(time.Second)
	row.HeedMS = ms(median(times))
	rss, peak := rssMB(pid)
	row.HeedRSSMB = rss
	if rc.kind == "export" {
		row.RSSGrowMB = peak - rssBefore
		row.HeedRowsS = float64(row.Rows) / median(times).Seconds()
	}
	// Peak memory of Heed's queries in that window.
	conn.Exec(ctx, stmts.FlushLogs)
	var peakMem, count uint64
	if err := conn.QueryRow(ctx, stmts.QueryPeakMemory, windowFrom.Unix(), windowTo.Unix()).Scan(&peakMem, &count); err == nil {
		row.PeakMB = float64(peakMem) / (1 << 20)
	}
	// The floor, on the same rows.
	if rc.kind == "export" {
		rate, err := clientCSVRate(ctx, sv, end.AddDate(0, 0, -rc.days), end)
		if err != nil {
			return row, err
		}
		row.FloorRowsS = rate
		if rate > 0 {
			row.Ratio = row.HeedRowsS / rate
		}
		row.FloorMS = float64(row.Rows) / rate * 1000
		return row, nil
	}
	sql, args, err := floorStatement(sv, rc, end)
	if err != nil {
		return row, err
	}
	times = times[:0]
	for i := 0; i < runs+1; i++ {
		d, err := timeQuery(ctx, conn, sql, args)
		if err != nil {
			return row, err
		}
		if i > 0 { // the first run warms the cache, as Heed's warm-up did
			times = append(times, d)
		}
	}
	row.FloorMS = ms(median(times))
	if row.FloorMS > 0 {
		row.Ratio = row.HeedMS / row.FloorMS
	}
	return row, nil
}

// getCase makes a case's request to Heed once and times it to the last
// byte; an export's or a CSV's lines are counted.
func getCase(base, key string, sv benchSurvey, rc reportCase, end time.Time) (int64, time.Duration, error) {
	path := casePath(sv, rc, end)
	req, _ := http.NewRequest("GET", base+path, nil)
	req.Header.Set("Authorization", "Bearer "+key)
	t0 := time.Now()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, 0, err
	}
	defer resp.Body.Close()
	var lines int64
	if rc.kind == "export" || rc.kind == "csv" {
		if lines, err = countLines(resp.Body); err != nil {
			return 0, 0, err
		}
	} else {
		io.Copy(io.Discard, resp.Body)
	}
	d := time.Since(t0)
	if resp.StatusCode != http.StatusOK {
		return 0, d, fmt.Errorf("GET %s: %d", path, resp.StatusCode)
	}
	return lines, d, nil
}

// timeQuery runs a statement once and times it to its last row.
func timeQuery(ctx context.Context, conn chgo.Conn, sql string, args []any) (time.Duration, error) {
	t0 := time.Now()
	rows, err := conn.Query(ctx, sql, args...)
	if err != nil {
		return 0, err
	}
	for rows.Next() {
	}
	err = rows.Err()
	rows.Close()
	return time.Since(t0), err
}

// benchDatabase is the database of -clickhouse-url.
var benchDatabase = "heed_bench_reports"

// clientCSVRate is the rows per second clickhouse-client writes as
// CSVWithNames for responses.csv's own statement on the same rows.
func clientCSVRate(ctx context.Context, sv benchSurvey, from, to time.Time) (float64, error) {
	sql, err := chdb.Bind(heedStatement("select-export-answers"), []any{[]string{"plan", ""}, sv.id, from.Unix(), to.Unix(), []string{}}, false)
	if err != nil {
		return 0, err
	}
	cmd := exec.CommandContext(ctx, "clickhouse-client", "--port", "19000", "--database", benchDatabase, "--format", "CSVWithNames", "-q", sql)
	out, err := cmd.StdoutPipe()
	if err != nil {
		return 0, err
	}
	t0 := time.Now()
	if err := cmd.Start(); err != nil {
		return 0, err
	}
	lines, err := countLines(out)
	if err != nil {
		return 0, err
	}
	if err := cmd.Wait(); err != nil {
		return 0, err
	}
	return float64(lines-1) / time.Since(t0).Seconds(), nil
}

// countLines reads r to its end and counts its lines.
func countLines(r io.Reader) (int64, error) {
	var lines int64
	br := bufio.NewReaderSize(r, 1<<20)
	for {
		chunk, err := br.ReadSlice('\n')
		if len(chunk) > 0 && chunk[len(chunk)-1] == '\n' {
			lines++
		}
		if err == io.EOF {
			return lines, nil
		}
		if err != nil && !errors.Is(err, bufio.ErrBufferFull) {
			return lines, err
		}
	}
}

// resetPeakRSS makes VmHWM start again from the current RSS (Linux).
func resetPeakRSS(pid int) {
	os.WriteFile("/proc/"+strconv.Itoa(pid)+"/clear_refs", []byte("5"), 0)
}

func median(ds []time.Duration) time.Duration {
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[len(s)/2]
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// heedStatement is one of Heed's named statements (queries/*.sql).
func heedStatement(name string) string {
	sql, ok := clickhouse.Statement(name)
	if !ok {
		panic("no statement " + name)
	}
	return sql
}

// chdbLibrary is the libchdb.so a -chdb flag names: "" for what make
// compat fetched (the newest), "none" for none.
func chdbLibrary(flag string) string {
	switch flag {
	case "none":
		return ""
	case "":
		matches, _ := filepath.Glob(".data/chdb/*/package/libchdb.so")
		if len(matches) == 0 {
			return ""
		}
		sort.Strings(matches)
		return matches[len(matches)-1]
	}
	return flag
}
