//go:build fault

// Fault tests (make faulttest): the real binary is killed, its ClickHouse is
// stopped, its spool is damaged, and every acknowledged answer must still be
// counted exactly once by the report queries.
package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/uuid"

	"heed/analytics"
	"heed/analytics/clickhouse/chtest"
)

const faultKey = "fault-test-key-0123456789"

// heedProc is one run of the heed binary.
type heedProc struct {
	cmd    *exec.Cmd
	logs   *bytes.Buffer
	exited chan error
}

func startHeed(t *testing.T, bin, addr, chURL, dataDir string, extra ...string) *heedProc {
	t.Helper()
	args := append([]string{"serve", "--migrate", "--rate-limit", "0", "--survey-rate-limit", "0"}, extra...)
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), "HEED_ADDR="+addr, "HEED_ADMIN_KEY="+faultKey,
		"HEED_CLICKHOUSE_URL="+chURL, "HEED_DATA_DIR="+dataDir)
	p := &heedProc{cmd: cmd, logs: &bytes.Buffer{}, exited: make(chan error, 1)}
	cmd.Stderr = &lockedWriter{w: p.logs}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.exited <- cmd.Wait() }()
	t.Cleanup(func() { cmd.Process.Kill() })
	waitReady(t, "http://"+addr, p.exited)
	return p
}

func (p *heedProc) stop(t *testing.T) {
	t.Helper()
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.exited:
	case <-time.After(60 * time.Second):
		t.Fatalf("heed did not stop\n%s", p.logs)
	}
}

type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(b)
}

// load posts answers with client-chosen response_ids from several workers
// until stopped, remembering what was sent and what was acknowledged.
type load struct {
	mu        sync.Mutex
	attempted map[string]bool
	acked     []string
	statuses  map[int]int
	neterrs   int
	stop      chan struct{}
	wg        sync.WaitGroup
}

func startLoad(url string, workers int) *load {
	l := &load{attempted: map[string]bool{}, statuses: map[int]int{}, stop: make(chan struct{})}
	client := &http.Client{Timeout: 10 * time.Second}
	for w := 0; w < workers; w++ {
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			for i := 0; ; i++ {
				select {
				case <-l.stop:
					return
				default:
				}
				id := uuid.NewString()
				l.mu.Lock()
				l.attempted[id] = true
				l.mu.Unlock()
				body := fmt.Sprintf(`{"score":%d,"reasons":["price"],"response_id":"%s"}`, i%11, id)
				resp, err := client.Post(url, "application/json", strings.NewReader(body))
				if err != nil {
					l.mu.Lock()
					l.neterrs++
					l.mu.Unlock()
					time.Sleep(20 * time.Millisecond) // the server is down; keep trying
					continue
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				l.mu.Lock()
				l.statuses[resp.StatusCode]++
				if resp.StatusCode == http.StatusAccepted {
					l.acked = append(l.acked, id)
				}
				l.mu.Unlock()
				time.Sleep(2 * time.Millisecond)
			}
		}()
	}
	return l
}

func (l *load) finish() {
	close(l.stop)
	l.wg.Wait()
}

func (l *load) ackedCount() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.acked)
}

// checkExactlyOnce waits until the report query counts every acknowledged
// answer, then checks: acknowledged ⊆ stored ⊆ sent, and the report counts
// each stored response_id once. (An answer fsynced just before a kill -9 may
// be stored without its 202 having reached the client: that is allowed.)
func checkExactlyOnce(t *testing.T, db *chtest.DB, surveyID string, l *load) {
	t.Helper()
	ctx := context.Background()
	sv := &analytics.Survey{ID: surveyID, Reasons: []analytics.Reason{{ID: "price", Label: "Price"}}}
	now := time.Now().UTC()
	q := analytics.ReportQuery{Survey: sv, From: now.AddDate(0, 0, -1), To: now.AddDate(0, 0, 2), Interval: analytics.Day}
	var total int
	deadline := time.Now().Add(2 * time.Minute)
	for {
		rep, err := db.Report(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		total = rep.Total.Responses
		if total >= len(l.acked) || time.Now().After(deadline) {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	stored, err := db.ResponseIDs(ctx, surveyID)
	if err != nil {
		t.Fatal(err)
	}
	var missing []string
	for _, id := range l.acked {
		if stored[id] == 0 {
			missing = append(missing, id)
		}
	}
	var phantom, dupRows int
	for id, n := range stored {
		if !l.attempted[id] {
			phantom++
		}
		if n > 1 {
			dupRows++
		}
	}
	t.Logf("sent %d, acknowledged %d, stored %d distinct (%d with duplicate raw rows), report counts %d; statuses %v, network errors %d",
		len(l.attempted), len(l.acked), len(stored), dupRows, total, l.statuses, l.neterrs)
	if len(missing) > 0 {
		sort.Strings(missing)
		t.Fatalf("%d acknowledged answers are missing, e.g. %v", len(missing), missing[:min(3, len(missing))])
	}
	if phantom > 0 {
		t.Fatalf("%d stored answers were never sent", phantom)
	}
	if total != len(stored) {
		t.Fatalf("report counts %d, but %d distinct answers are stored: not exactly once", total, len(stored))
	}
	if len(l.acked) == 0 {
		t.Fatal("no answer was acknowledged: the test proved nothing")
	}
}

func createFaultSurvey(t *testing.T, base string) string {
	t.Helper()
	resp := post(t, base+"/api/v1/surveys", faultKey, `{"name":"fault","reasons":[{"id":"price","label":"Price"}]}`)
	defer resp.Body.Close()
	if resp.StatusCode != 201 {
		t.Fatalf("create survey: %d", resp.StatusCode)
	}
	var sv struct{ ID string }
	jsonDecode(t, resp.Body, &sv)
	return sv.ID
}

// TestFaultKill9: kill -9 in the middle of a load, restart on the same
// data folder: every acknowledged answer is counted exactly once.
func TestFaultKill9(t *testing.T) {
	name := "heed_test_fault_kill"
	db := chtest.Open(t, name)
	bin := buildHeed(t)
	addr, data := freeAddr(t), t.TempDir()
	p := startHeed(t, bin, addr, chtest.URL(name), data)
	base := "http://" + addr
	id := createFaultSurvey(t, base)

	l := startLoad(base+"/api/v1/surveys/"+id+"/responses", 16)
	waitFor(t, func() bool { return l.ackedCount() > 500 })
	p.cmd.Process.Kill() // SIGKILL: no shutdown flush at all
	<-p.exited
	atKill := l.ackedCount()
	p = startHeed(t, bin, addr, chtest.URL(name), data)
	waitFor(t, func() bool { return l.ackedCount() > atKill+500 })
	l.finish()
	p.stop(t)
	if !strings.Contains(p.logs.String(), "replaying") {
		t.Logf("note: the restart found no spool segments to replay\n%s", p.logs)
	}
	checkExactlyOnce(t, db, id, l)
}

// TestFaultClickHouseDown: the private ClickHouse stops for 15 s in the
// middle of a load. Heed keeps answering 202 (never 5xx) while the spool has
// room, /readyz says why it is not ready, and the backlog drains by itself.
func TestFaultClickHouseDown(t *testing.T) {
	chData := t.TempDir()
	script := filepath.Join(repoRoot(t), "deploy", "clickhouse.sh")
	chEnv := append(os.Environ(), "HEED_CLICKHOUSE_DATA="+chData, "HEED_CLICKHOUSE_TCP_PORT=19100", "HEED_CLICKHOUSE_HTTP_PORT=18223")
	ch := func(action string) {
		t.Helper()
		cmd := exec.Command("bash", script, action)
		cmd.Env = chEnv
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("clickhouse.sh %s: %v\n%s", action, err, out)
		}
	}
	ch("start")
	t.Cleanup(func() { ch("stop") })
	chURL := "clickhouse://127.0.0.1:19100/heed_test_fault_down"

	bin := buildHeed(t)
	addr := freeAddr(t)
	p := startHeed(t, bin, addr, chURL, t.TempDir())
	base := "http://" + addr
	id := createFaultSurvey(t, base)
	db := chtest.Connect(t, chURL)

	l := startLoad(base+"/api/v1/surveys/"+id+"/responses", 8)
	waitFor(t, func() bool { return l.ackedCount() > 300 })
	ch("stop")
	downAt := time.Now()
	waitFor(t, func() bool {
		resp, err := http.Get(base + "/readyz")
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode == 503 && strings.Contains(string(body), "clickhouse")
	})
	ackedWhileUp := l.ackedCount()
	time.Sleep(15*time.Second - time.Since(downAt))
	if l.ackedCount() <= ackedWhileUp {
		t.Fatal("no answer was acknowledged while ClickHouse was down")
	}
	ch("start")
	waitFor(t, func() bool {
		resp, err := http.Get(base + "/readyz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == 200
	})
	l.finish()
	for status, n := range l.statuses {
		if status >= 500 {
			t.Errorf("%d answers got %d while the spool had room", n, status)
		}
	}
	checkExactlyOnce(t, db, id, l)
	p.stop(t)
}

// TestFaultCorruptSpoolTail: a spool segment whose last record was torn by a
// crash: the server starts and writes the intact records.
func TestFaultCorruptSpoolTail(t *testing.T) {
	name := "heed_test_fault_tail"
	db := chtest.Open(t, name)
	bin := buildHeed(t)
	addr, data := freeAddr(t), t.TempDir()
	// Nothing is flushed during this run: the answers stay in the spool.
	p := startHeed(t, bin, addr, chtest.URL(name), data, "--flush-interval", "1h", "--batch-size", "1000000")
	base := "http://" + addr
	id := createFaultSurvey(t, base)
	l := &load{attempted: map[string]bool{}, statuses: map[int]int{}}
	for i := 0; i < 20; i++ { // one at a time: spool order = acknowledgement order
		rid := uuid.NewString()
		resp := post(t, base+"/api/v1/surveys/"+id+"/responses", "", fmt.Sprintf(`{"score":9,"response_id":"%s"}`, rid))
		resp.Body.Close()
		if resp.StatusCode != 202 {
			t.Fatalf("status %d", resp.StatusCode)
		}
		l.attempted[rid] = true
		l.acked = append(l.acked, rid)
	}
	p.cmd.Process.Kill()
	<-p.exited

	segs, _ := filepath.Glob(filepath.Join(data, "spool", "*.seg"))
	var seg string
	for _, s := range segs {
		if fi, _ := os.Stat(s); fi.Size() > 8 {
			seg = s
		}
	}
	if seg == "" {
		t.Fatalf("no spool segment with records in %v", segs)
	}
	fi, _ := os.Stat(seg)
	// Tear the last record: cut its last 3 bytes, as a crash mid-write would.
	if err := os.Truncate(seg, fi.Size()-3); err != nil {
		t.Fatal(err)
	}

	p = startHeed(t, bin, addr, chtest.URL(name), data)
	l.acked = l.acked[:19] // the torn one is lost; it is never half-counted
	checkExactlyOnce(t, db, id, l)
	p.stop(t)
	if !strings.Contains(p.logs.String(), "torn record") {
		t.Errorf("the torn record was not logged:\n%s", p.logs)
	}
	stored, _ := db.ResponseIDs(context.Background(), id)
	if len(stored) != 19 {
		t.Fatalf("stored %d answers, want the 19 intact ones", len(stored))
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met in 90 s")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func repoRoot(t *testing.T) string {
	t.Helper()
	out, err := exec.Command("git", "rev-parse", "--show-toplevel").Output()
	if err != nil {
		wd, _ := os.Getwd()
		return filepath.Join(wd, "..", "..", "..")
	}
	return strings.TrimSpace(string(out))
}
