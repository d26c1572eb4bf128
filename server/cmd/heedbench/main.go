// Command heedbench is `make bench`: it drives real servers over loopback at
// fixed concurrency and prints throughput, latency and memory.
//
//	heedbench [-c 64] [-d 10s] [-heed bin/heed]
//
// It runs, one after the other on the same machine:
//   - heed serve (the real binary, with its spool and batched writer);
//   - a bare Echo handler that only binds the JSON and answers 202 (the ceiling);
//   - a naive server doing one synchronous ClickHouse INSERT per request;
//
// then checks that every response Heed acknowledged is in ClickHouse exactly
// once, counted through the report query. Figures go to stdout and to a JSON
// file.
package main

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	chgo "github.com/ClickHouse/clickhouse-go/v2"
	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"heed/analytics"
	"heed/analytics/clickhouse"
)

//go:embed bench.sql
var benchFiles embed.FS

// stmts are make bench's own statements (bench.sql).
var stmts struct {
	DropDatabase        string `query:"drop-database"`
	CountRawRows        string `query:"count-raw-rows"`
	GenerateAnswers     string `query:"generate-answers"`
	FloorReport         string `query:"floor-report"`
	FloorLatest         string `query:"floor-latest"`
	FloorGroupedReport  string `query:"floor-grouped-report"`
	FlushLogs           string `query:"flush-logs"`
	QueryPeakMemory     string `query:"query-peak-memory"`
	BuildAnswerDays     string `query:"build-answer-days"`
	CreateLiveFollowups string `query:"create-live-followups"`
	InsertLiveAnswers   string `query:"insert-live-answers"`
	InsertLiveFollowups string `query:"insert-live-followups"`
	GenerateChurn       string `query:"generate-churn"`
	FloorChurn          string `query:"floor-churn"`
	CopySurvey          string `query:"copy-survey"`
	CountSurveys        string `query:"count-surveys"`
	SelectFollowupIDs   string `query:"select-followup-ids"`
	SelectHeedQueries   string `query:"select-heed-queries"`
}

func init() {
	if err := clickhouse.LoadStatements(benchFiles, "bench.sql", &stmts); err != nil {
		panic(err)
	}
}

// rawConn opens a plain clickhouse-go connection to the database of url
// (or to another database of the same server), for the bench's own checks.
func rawConn(url, database string) (chgo.Conn, error) {
	opts, err := clickhouse.ParseURL(url)
	if err != nil {
		return nil, err
	}
	if database != "" {
		opts.Auth.Database = database
	}
	// Generating 10 M responses on a slow hour takes minutes, more than
	// Heed's own 60 s read timeout allows one statement.
	opts.ReadTimeout = 30 * time.Minute
	// Named so that query_log tells the bench's queries from Heed's
	// (current ClickHouse logs every query; heedbench live counts Heed's).
	opts.ClientInfo.Products = append(opts.ClientInfo.Products, struct{ Name, Version string }{"heedbench", "1"})
	return chgo.Open(opts)
}

func main() {
	if len(os.Args) > 1 && os.Args[1] == "live" {
		if err := runLive(os.Args[2:]); err != nil {
			fmt.Fprintln(os.Stderr, "heedbench live:", err)
			os.Exit(1)
		}
		return
	}
	if len(os.Args) > 1 && os.Args[1] == "reports" {
		if err := runReports(os.Args[2:]); err != nil {
			fmt.Fprintln(os.Stderr, "heedbench reports:", err)
			os.Exit(1)
		}
		return
	}
	if len(os.Args) > 1 && (os.Args[1] == "ceiling" || os.Args[1] == "naive") {
		if err := serveBaseline(os.Args[1], os.Args[2:]); err != nil {
			fmt.Fprintln(os.Stderr, "heedbench:", err)
			os.Exit(1)
		}
		return
	}
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "heedbench:", err)
		os.Exit(1)
	}
}

type options struct {
	conns      int
	duration   time.Duration
	naiveDur   time.Duration
	heedBin    string
	chURL      string
	out        string
	drainLimit time.Duration
	sendN      int
}

// Result is one target's figures.
type Result struct {
	Target   string  `json:"target"`
	Requests int64   `json:"requests_ok"`
	Errors   int64   `json:"errors"`
	Seconds  float64 `json:"seconds"`
	RPS      float64 `json:"req_per_s"`
	P50ms    float64 `json:"p50_ms"`
	P99ms    float64 `json:"p99_ms"`
	RSSMB    float64 `json:"server_rss_mb"`
	// CPUus is the server's CPU time (user+system) per acknowledged request:
	// steadier than req/s on a noisy machine.
	CPUus      float64 `json:"server_cpu_us_per_req"`
	PeakRSSMB  float64 `json:"server_peak_rss_mb"`
	StatusSeen string  `json:"statuses"`
}

// Report is the JSON file make bench writes.
type Report struct {
	When             time.Time   `json:"when"`
	Connections      int         `json:"connections"`
	Results          []Result    `json:"results"`
	HeedVsCeiling    float64     `json:"heed_vs_ceiling"`
	HeedVsNaive      float64     `json:"heed_vs_naive"`
	Acknowledged     int64       `json:"acknowledged"`
	StoredInReports  int64       `json:"stored_in_reports"`
	StoredRawRows    uint64      `json:"stored_raw_rows"`
	AckedEqualStored bool        `json:"acknowledged_equals_stored"`
	Send             *SendResult `json:"send,omitempty"`
}

func run() error {
	var o options
	flag.IntVar(&o.conns, "c", 64, "concurrent keep-alive connections")
	flag.DurationVar(&o.duration, "d", 10*time.Second, "load duration per target")
	flag.DurationVar(&o.naiveDur, "naive-d", 5*time.Second, "load duration for the naive baseline")
	flag.StringVar(&o.heedBin, "heed", "bin/heed", "the heed binary to measure")
	flag.StringVar(&o.chURL, "clickhouse-url", "clickhouse://127.0.0.1:19000/heed_bench", "ClickHouse database for the run (dropped and recreated; must be heed_bench*)")
	flag.StringVar(&o.out, "out", ".data/bench/results.json", "where to write the figures as JSON")
	flag.DurationVar(&o.drainLimit, "drain-limit", 2*time.Minute, "how long to wait for acknowledged rows to appear in reports")
	flag.IntVar(&o.sendN, "send-contacts", 100_000, "contacts in the email send benchmark (0 = skip)")
	flag.Parse()

	if !strings.Contains(o.chURL, "/heed_bench") {
		return errors.New("-clickhouse-url must name a heed_bench* database: it is dropped")
	}
	ctx := context.Background()
	if err := resetDatabase(ctx, o.chURL); err != nil {
		return err
	}
	work, err := os.MkdirTemp("", "heedbench")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	self, err := os.Executable()
	if err != nil {
		return err
	}
	rep := Report{When: time.Now().UTC(), Connections: o.conns}

	// 1. Heed itself.
	const key = "bench-admin-key-0123456789"
	heedAddr := freeAddr()
	heed := exec.Command(o.heedBin, "serve", "--migrate", "--rate-limit", "0", "--survey-rate-limit", "0", "--addr", heedAddr,
		"--admin-key", key, "--clickhouse-url", o.chURL, "--data-dir", filepath.Join(work, "heed"))
	heed.Stderr = newTail(64 << 10)
	if err := startAndWait(heed, "http://"+heedAddr+"/readyz"); err != nil {
		return fmt.Errorf("start heed: %w\n%s", err, heed.Stderr)
	}
	surveyID, err := createSurvey("http://"+heedAddr, key)
	if err != nil {
		stop(heed)
		return err
	}
	fmt.Fprintf(os.Stderr, "heed: %d connections for %s...\n", o.conns, o.duration)
	acked := newAckLog()
	heedRes := load(o, "heed", "http://"+heedAddr+"/api/v1/surveys/"+surveyID+"/responses", o.duration, acked, heed.Process.Pid)
	rep.Acknowledged = int64(acked.count())

	fmt.Fprintf(os.Stderr, "waiting for %d acknowledged responses to reach reports...\n", rep.Acknowledged)
	stored, raw, err := waitStored(ctx, o, surveyID, rep.Acknowledged)
	if err != nil {
		stop(heed)
		return err
	}
	rep.StoredInReports, rep.StoredRawRows = stored, raw
	rep.AckedEqualStored = stored == rep.Acknowledged
	stop(heed)

	// 2. The ceiling: bare Echo, bind JSON, 202.
	ceilAddr := freeAddr()
	ceil := exec.Command(self, "ceiling", "-addr", ceilAddr)
	ceil.Stderr = os.Stderr
	if err := startAndWait(ceil, "http://"+ceilAddr+"/healthz"); err != nil {
		return fmt.Errorf("start ceiling: %w", err)
	}
	fmt.Fprintf(os.Stderr, "bare Echo ceiling: %d connections for %s...\n", o.conns, o.duration)
	ceilRes := load(o, "bare echo (ceiling)", "http://"+ceilAddr+"/api/v1/surveys/x/responses", o.duration, nil, ceil.Process.Pid)
	stop(ceil)

	// 3. A large email send (before the naive baseline, whose thousands of
	// tiny inserts keep ClickHouse merging for a while).
	if o.sendN > 0 {
		fmt.Fprintf(os.Stderr, "email send to %d contacts through a SendGrid stand-in...\n", o.sendN)
		sr, err := benchSend(ctx, o.chURL, o.sendN)
		if err != nil {
			return fmt.Errorf("send benchmark: %w", err)
		}
		rep.Send = &sr
	}

	// 4. The naive baseline: one synchronous INSERT per request.
	naiveAddr := freeAddr()
	naive := exec.Command(self, "naive", "-addr", naiveAddr, "-clickhouse-url", o.chURL)
	naive.Stderr = newTail(16 << 10)
	if err := startAndWait(naive, "http://"+naiveAddr+"/healthz"); err != nil {
		return fmt.Errorf("start naive: %w", err)
	}
	fmt.Fprintf(os.Stderr, "naive (INSERT per request): %d connections for %s...\n", o.conns, o.naiveDur)
	naiveRes := load(o, "naive insert per request", "http://"+naiveAddr+"/api/v1/surveys/naive/responses", o.naiveDur, nil, naive.Process.Pid)
	stop(naive)

	rep.Results = []Result{heedRes, ceilRes, naiveRes}

	if ceilRes.RPS > 0 {
		rep.HeedVsCeiling = heedRes.RPS / ceilRes.RPS
	}
	if naiveRes.RPS > 0 {
		rep.HeedVsNaive = heedRes.RPS / naiveRes.RPS
	}
	printReport(rep)
	if err := os.MkdirAll(filepath.Dir(o.out), 0o755); err == nil {
		b, _ := json.MarshalIndent(rep, "", "  ")
		if err := os.WriteFile(o.out, append(b, '\n'), 0o644); err != nil {
			return err
		}
		fmt.Printf("\nfigures written to %s\n", o.out)
	}
	if !rep.AckedEqualStored {
		return fmt.Errorf("acknowledged %d responses but reports count %d", rep.Acknowledged, rep.StoredInReports)
	}
	return nil
}

func printReport(rep Report) {
	fmt.Printf("\nPOST /api/v1/surveys/:id/responses, %d keep-alive connections over loopback\n\n", rep.Connections)
	fmt.Printf("%-28s %10s %8s %8s %8s %9s %9s %10s %s\n", "target", "req/s", "p50 ms", "p99 ms", "errors", "RSS MB", "peak MB", "CPU us/req", "statuses")
	for _, r := range rep.Results {
		fmt.Printf("%-28s %10.0f %8.2f %8.2f %8d %9.1f %9.1f %10.1f %s\n", r.Target, r.RPS, r.P50ms, r.P99ms, r.Errors, r.RSSMB, r.PeakRSSMB, r.CPUus, r.StatusSeen)
	}
	fmt.Printf("\nheed / ceiling: %.2f   heed / naive: %.1fx\n", rep.HeedVsCeiling, rep.HeedVsNaive)
	fmt.Printf("acknowledged: %d   in reports: %d   raw rows: %d   acknowledged == stored: %v\n",
		rep.Acknowledged, rep.StoredInReports, rep.StoredRawRows, rep.AckedEqualStored)
	if s := rep.Send; s != nil {
		fmt.Printf("\nemail send, %d contacts, SendGrid stand-in on loopback:\n", s.Contacts)
		fmt.Printf("  sent %d in %.1f s = %.0f messages/s, %d requests (%.2f MB each), peak heap %.1f MB\n",
			s.Sent, s.Seconds, s.MessagesPerS, s.Requests, s.BodyMBPerReq, s.PeakHeapMB)
	}
}

// load runs o.conns workers posting answers for d and measures them.
func load(o options, target, url string, d time.Duration, acked *ackLog, pid int) Result {
	tr := &http.Transport{MaxIdleConns: o.conns, MaxIdleConnsPerHost: o.conns, MaxConnsPerHost: o.conns, IdleConnTimeout: time.Minute}
	client := &http.Client{Transport: tr, Timeout: 30 * time.Second}
	defer tr.CloseIdleConnections()
	var (
		ok, failed atomic.Int64
		mu         sync.Mutex
		lat        []time.Duration
		statuses   = map[int]int{}
		wg         sync.WaitGroup
	)
	// Warm up connections, untimed.
	warm := time.Now().Add(500 * time.Millisecond)
	start := warm
	end := start.Add(d)
	for w := 0; w < o.conns; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			mine := make([]time.Duration, 0, 4096)
			seen := map[int]int{}
			for i := 0; ; i++ {
				now := time.Now()
				if now.After(end) {
					break
				}
				id := uuid.New()
				body := fmt.Sprintf(`{"score":%d,"reasons":[%s],"comment":"bench %d/%d","channel":"api","response_id":"%s"}`,
					i%11, reasonsFor(i), w, i, id)
				t0 := time.Now()
				resp, err := client.Post(url, "application/json", strings.NewReader(body))
				if err != nil {
					if t0.After(start) {
						failed.Add(1)
					}
					continue
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				el := time.Since(t0)
				if resp.StatusCode == http.StatusAccepted && acked != nil {
					acked.add(id) // every acknowledgement counts, warm-up too
				}
				if t0.Before(start) {
					continue
				}
				seen[resp.StatusCode]++
				if resp.StatusCode == http.StatusAccepted {
					ok.Add(1)
					mine = append(mine, el)
				} else {
					failed.Add(1)
				}
			}
			mu.Lock()
			lat = append(lat, mine...)
			for k, v := range seen {
				statuses[k] += v
			}
			mu.Unlock()
		}(w)
	}
	time.Sleep(time.Until(start)) // the server's CPU counts from the timed window on
	cpuStart := cpuTime(pid)
	wg.Wait()
	cpu := cpuTime(pid) - cpuStart
	rss, peak := rssMB(pid)
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	pct := func(p float64) float64 {
		if len(lat) == 0 {
			return 0
		}
		return float64(lat[int(p*float64(len(lat)-1))].Microseconds()) / 1000
	}
	var st []string
	for k, v := range statuses {
		st = append(st, fmt.Sprintf("%d:%d", k, v))
	}
	sort.Strings(st)
	return Result{Target: target, Requests: ok.Load(), Errors: failed.Load(), Seconds: d.Seconds(),
		RPS: float64(ok.Load()) / d.Seconds(), P50ms: pct(0.50), P99ms: pct(0.99), RSSMB: rss, PeakRSSMB: peak,
		CPUus:      float64(cpu.Microseconds()) / max(1, float64(ok.Load())),
		StatusSeen: strings.Join(st, " ")}
}

func reasonsFor(i int) string {
	switch i % 4 {
	case 0:
		return `"rude_service"`
	case 1:
		return `"price"`
	case 2:
		return `"rude_service","price"`
	}
	return ""
}

type ackLog struct {
	mu  sync.Mutex
	ids map[uuid.UUID]struct{}
}

func newAckLog() *ackLog           { return &ackLog{ids: map[uuid.UUID]struct{}{}} }
func (a *ackLog) add(id uuid.UUID) { a.mu.Lock(); a.ids[id] = struct{}{}; a.mu.Unlock() }
func (a *ackLog) count() int       { a.mu.Lock(); defer a.mu.Unlock(); return len(a.ids) }

// waitStored polls the report query until it counts want responses.
func waitStored(ctx context.Context, o options, surveyID string, want int64) (int64, uint64, error) {
	db, err := clickhouse.Open(o.chURL)
	if err != nil {
		return 0, 0, err
	}
	defer db.Close()
	raw, err := rawConn(o.chURL, "")
	if err != nil {
		return 0, 0, err
	}
	defer raw.Close()
	surveys := analytics.NewSurveys(db)
	if err := surveys.Load(ctx); err != nil {
		return 0, 0, err
	}
	sv, ok := surveys.Get(surveyID)
	if !ok {
		return 0, 0, fmt.Errorf("survey %s not stored", surveyID)
	}
	now := time.Now().UTC()
	deadline := time.Now().Add(o.drainLimit)
	for {
		rep, err := db.Report(ctx, analytics.ReportQuery{Survey: sv, From: now.AddDate(0, 0, -1), To: now.AddDate(0, 0, 2), Interval: analytics.Day})
		if err != nil {
			return 0, 0, err
		}
		got := int64(rep.Total.Responses)
		if got >= want || time.Now().After(deadline) {
			var rows uint64
			err := raw.QueryRow(ctx, stmts.CountRawRows, surveyID).Scan(&rows)
			return got, rows, err
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func createSurvey(base, key string) (string, error) {
	req, _ := http.NewRequest("POST", base+"/api/v1/surveys", strings.NewReader(
		`{"name":"bench","reasons":[{"id":"rude_service","label":"Rude or unhelpful service"},{"id":"price","label":"Price"}]}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var sv struct{ ID string }
	if err := json.NewDecoder(resp.Body).Decode(&sv); err != nil || sv.ID == "" {
		return "", fmt.Errorf("create survey: status %d", resp.StatusCode)
	}
	return sv.ID, nil
}

func resetDatabase(ctx context.Context, url string) error {
	if err := dropBench(ctx, url); err != nil {
		return fmt.Errorf("ClickHouse unreachable (start it with `make clickhouse`): %w", err)
	}
	return clickhouse.CreateDatabase(ctx, url)
}

// dropBench drops the bench database.
func dropBench(ctx context.Context, url string) error {
	opts, err := clickhouse.ParseURL(url)
	if err != nil {
		return err
	}
	stmt, err := clickhouse.WithIdent(stmts.DropDatabase, "database", opts.Auth.Database)
	if err != nil {
		return err
	}
	conn, err := rawConn(url, "default")
	if err != nil {
		return err
	}
	defer conn.Close()
	return conn.Exec(ctx, stmt)
}

func freeAddr() string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func startAndWait(cmd *exec.Cmd, readyURL string) error {
	if err := cmd.Start(); err != nil {
		return err
	}
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if resp, err := http.Get(readyURL); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return nil
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	cmd.Process.Kill()
	return errors.New("not ready after 30 s")
}

func stop(cmd *exec.Cmd) {
	cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
	}
}

// cpuTime reads a process's user+system CPU time from /proc.
func cpuTime(pid int) time.Duration {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0
	}
	// Fields after the command name (which may hold spaces) start after ")".
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
	if len(f) < 13 {
		return 0
	}
	utime, _ := strconv.ParseInt(f[11], 10, 64)
	stime, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(utime+stime) * 10 * time.Millisecond // USER_HZ = 100 on Linux
}

// rssMB reads the current and peak resident memory of a process.
func rssMB(pid int) (cur, peak float64) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0, 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		kb, _ := strconv.ParseFloat(f[1], 64)
		switch f[0] {
		case "VmRSS:":
			cur = kb / 1024
		case "VmHWM:":
			peak = kb / 1024
		}
	}
	return cur, peak
}

// tail keeps the last bytes a child wrote, to show when it fails.
type tail struct {
	mu  sync.Mutex
	max int
	b   []byte
}

func newTail(max int) *tail { return &tail{max: max} }
func (t *tail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.b = append(t.b, p...)
	if len(t.b) > t.max {
		t.b = t.b[len(t.b)-t.max:]
	}
	return len(p), nil
}
func (t *tail) String() string { t.mu.Lock(); defer t.mu.Unlock(); return string(t.b) }

// benchInput is what the baselines bind: the same fields Heed reads.
type benchInput struct {
	Score      *int              `json:"score"`
	Reasons    []string          `json:"reasons"`
	Comment    string            `json:"comment"`
	Channel    string            `json:"channel"`
	ResponseID string            `json:"response_id"`
	Respondent string            `json:"respondent"`
	Properties map[string]string `json:"properties"`
}

// serveBaseline runs the ceiling (bind and 202) or the naive server (bind,
// one synchronous INSERT, 202) until SIGTERM.
func serveBaseline(mode string, args []string) error {
	fs := flag.NewFlagSet(mode, flag.ExitOnError)
	addr := fs.String("addr", "127.0.0.1:0", "listen address")
	chURL := fs.String("clickhouse-url", "", "ClickHouse DSN (naive)")
	fs.Parse(args)
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.GET("/healthz", func(c echo.Context) error { return c.String(200, "ok") })
	var db *clickhouse.DB
	if mode == "naive" {
		var err error
		if db, err = clickhouse.Open(*chURL); err != nil {
			return err
		}
		defer db.Close()
	}
	e.POST("/api/v1/surveys/:id/responses", func(c echo.Context) error {
		var in benchInput
		if err := c.Bind(&in); err != nil || in.Score == nil {
			return c.JSON(400, map[string]string{"error": "bad request"})
		}
		if db == nil {
			return c.JSON(202, map[string]string{"response_id": in.ResponseID})
		}
		id, err := uuid.Parse(in.ResponseID)
		if err != nil {
			id = uuid.New()
		}
		now := time.Now().UTC()
		err = db.InsertResponses(c.Request().Context(), []analytics.Response{{SurveyID: c.Param("id"), ResponseID: id,
			CreatedAt: now, Version: uint64(now.UnixNano()), Score: uint8(*in.Score), Reasons: in.Reasons,
			Comment: in.Comment, Channel: in.Channel}})
		if err != nil {
			slog.Warn("naive insert failed", "err", err)
			return c.JSON(503, map[string]string{"error": err.Error()})
		}
		return c.JSON(202, map[string]string{"response_id": id.String()})
	})
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	e.Listener = ln
	go e.Start("")
	ctx, cancel := signalContext()
	defer cancel()
	<-ctx.Done()
	shut, c2 := context.WithTimeout(context.Background(), 10*time.Second)
	defer c2()
	return e.Shutdown(shut)
}
