package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"heed/analytics"
	"heed/analytics/clickhouse/chtest"
)

// buildHeed compiles the real binary once per test.
func buildHeed(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "heed")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func waitReady(t *testing.T, base string, exited <-chan error) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-exited:
			t.Fatalf("heed exited early: %v", err)
		default:
		}
		if resp, err := http.Get(base + "/readyz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatal("heed did not become ready")
}

func post(t *testing.T, url, key, body string) *http.Response {
	t.Helper()
	req, _ := http.NewRequest("POST", url, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

// TestSignalFlushes runs the real binary with a flush interval and batch so
// large that only the shutdown flush can write, posts answers, sends the
// signal, and finds every accepted answer in ClickHouse.
func TestSignalFlushes(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
		t.Run(sig.String(), func(t *testing.T) {
			name := "heed_test_cmd_signal_" + map[syscall.Signal]string{syscall.SIGINT: "int", syscall.SIGTERM: "term"}[sig]
			db := chtest.Open(t, name)
			bin := buildHeed(t)
			addr := freeAddr(t)
			key := "signal-test-key-0123456789"
			cmd := exec.Command(bin, "serve", "--migrate", "--flush-interval", "1h", "--batch-size", "1000000")
			cmd.Env = append(os.Environ(), "HEED_ADDR="+addr, "HEED_ADMIN_KEY="+key,
				"HEED_CLICKHOUSE_URL="+chtest.URL(name), "HEED_DATA_DIR="+t.TempDir())
			var logs bytes.Buffer
			cmd.Stderr = &logs
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			exited := make(chan error, 1)
			go func() { exited <- cmd.Wait() }()
			base := "http://" + addr
			waitReady(t, base, exited)

			resp := post(t, base+"/api/v1/surveys", key, `{"name":"signal"}`)
			if resp.StatusCode != 201 {
				t.Fatalf("create survey: %d", resp.StatusCode)
			}
			resp.Body.Close()
			sv := analytics.NewSurveys(db)
			if err := sv.Load(context.Background()); err != nil {
				t.Fatal(err)
			}
			id := sv.List()[0].ID
			const n = 40
			for i := 0; i < n; i++ {
				resp := post(t, base+"/api/v1/surveys/"+id+"/responses", "", fmt.Sprintf(`{"score":%d}`, i%11))
				if resp.StatusCode != 202 {
					t.Fatalf("response %d: %d", i, resp.StatusCode)
				}
				resp.Body.Close()
			}
			if got, _ := db.CountRows(context.Background(), "answers", id); got != 0 {
				t.Fatalf("%d rows written before the signal; the test would prove nothing", got)
			}
			cmd.Process.Signal(sig)
			select {
			case err := <-exited:
				if err != nil {
					t.Fatalf("heed exited with %v\n%s", err, logs.String())
				}
			case <-time.After(30 * time.Second):
				cmd.Process.Kill()
				t.Fatalf("heed did not exit\n%s", logs.String())
			}
			if got, err := db.CountRows(context.Background(), "answers", id); err != nil || got != n {
				t.Fatalf("rows after %s = %d (%v), want %d\n%s", sig, got, err, n, logs.String())
			}
		})
	}
}

func TestCommands(t *testing.T) {
	if testing.Short() {
		t.Skip("needs ClickHouse: not in the fast tier (-short)")
	}
	t.Setenv("HEED_ADMIN_KEY", "")
	t.Setenv("HEED_DEV", "false")
	name := "heed_test_cmd_migrate"
	if err := chtest.DropDatabase(context.Background(), chtest.URL(name)); err != nil {
		t.Fatal(err)
	}
	var out, errOut bytes.Buffer
	for i := 0; i < 2; i++ { // re-runnable
		if err := run(context.Background(), []string{"migrate", "--clickhouse-url", chtest.URL(name)}, &out, &errOut); err != nil {
			t.Fatalf("migrate run %d: %v\n%s", i+1, err, errOut.String())
		}
	}
	db := chtest.Connect(t, chtest.URL(name))
	if n, err := db.MigrationsPending(context.Background()); err != nil || n != 0 {
		t.Fatalf("pending after migrate = %d, %v", n, err)
	}
	if err := run(context.Background(), []string{"frobnicate"}, &out, &errOut); err == nil {
		t.Fatal("unknown command accepted")
	}
	if err := run(context.Background(), []string{"serve", "--clickhouse-url", chtest.URL(name)}, &out, &errOut); err == nil || !strings.Contains(err.Error(), "HEED_ADMIN_KEY") {
		t.Fatalf("serve without a key: %v", err)
	}
}

func TestDevAdminKeyPersists(t *testing.T) {
	dir := t.TempDir()
	k1, err := devAdminKey(dir)
	if err != nil {
		t.Fatal(err)
	}
	k2, _ := devAdminKey(dir)
	if k1 != k2 || len(k1) < 32 {
		t.Fatalf("keys %q %q", k1, k2)
	}
	if fi, _ := os.Stat(filepath.Join(dir, "admin_key")); fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode %v", fi.Mode())
	}
}

func jsonDecode(t *testing.T, r io.Reader, v any) {
	t.Helper()
	if err := json.NewDecoder(r).Decode(v); err != nil {
		t.Fatal(err)
	}
}
