package server

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"heed/analytics"
	"heed/analytics/clickhouse/chtest"
	"heed/analytics/ingest"
	"heed/analytics/mock"
	"heed/emails"
)

// Two tiers of server tests. Those on the in-memory store (mock) need no
// ClickHouse and run in `go test -short` (make test-fast); those on a real
// test database skip there (chtest.Open) and run in make test.

const testKey = "test-admin-key-0123456789"

// testClaimSettle is the claims' settle time in tests: short, and still
// far above a write to the test store.
const testClaimSettle = 300 * time.Millisecond

// testConfig is everything a test server is built from, as heed serve
// builds it.
type testConfig struct {
	Server     Config
	Email      emails.Config
	Writer     ingest.Options
	AlertDelay time.Duration
	// Listener, when set, is where the test server listens (for tests that
	// must know the address before the server exists: email links).
	Listener net.Listener
	// Store, when set, replaces the test database or the fake.
	Store analytics.Store
	// DigestNow is the digests' clock (time.Now when nil).
	DigestNow func() time.Time
}

type testServer struct {
	*Server
	url string
	// db is the real test database (nil on the fake store); fake is the
	// in-memory store (nil on ClickHouse).
	db     *chtest.DB
	fake   *mock.Store
	writer *ingest.Writer
	stop   func() error
}

// newTestServer runs a real Server on a fresh test database of the private
// ClickHouse.
func newTestServer(t *testing.T, dbName string) *testServer {
	t.Helper()
	return newServerWith(t, dbName, nil)
}

// newFakeServer runs a real Server on the in-memory store: the fast tier.
func newFakeServer(t *testing.T, mutate func(*testConfig)) *testServer {
	t.Helper()
	return newServerWith(t, "", mutate)
}

// newServerWith wires a Server the way heed serve does, on a fresh test
// database (dbName) or, with dbName "", on the in-memory store, with the
// test defaults changed by mutate.
func newServerWith(t *testing.T, dbName string, mutate func(*testConfig)) *testServer {
	t.Helper()
	quiet := slog.New(slog.DiscardHandler)
	cfg := testConfig{
		Server:     Config{Addr: "127.0.0.1:0", AdminKey: testKey},
		Email:      emails.Config{PublicURL: "http://127.0.0.1:0", DataDir: t.TempDir(), ClaimSettle: testClaimSettle},
		Writer:     ingest.Options{SpoolDir: t.TempDir(), FlushInterval: 50 * time.Millisecond, BatchSize: 1000},
		AlertDelay: 2 * time.Minute,
	}
	if mutate != nil {
		mutate(&cfg)
	}
	ts := &testServer{}
	var store analytics.Store
	switch {
	case cfg.Store != nil:
		store = cfg.Store
	case dbName == "":
		ts.fake = mock.New()
		store = ts.fake
	default:
		ts.db = chtest.Open(t, dbName)
		store = ts.db
		cfg.Server.Migrated = true
	}
	var err error
	if ts.writer, err = ingest.New(store, cfg.Writer); err != nil {
		t.Fatal(err)
	}
	emailing, err := emails.New(cfg.Email, store)
	if err != nil {
		t.Fatal(err)
	}
	alerts := emails.NewAlerts(cfg.AlertDelay, emailing.SendAlert, quiet)
	if s, ok := store.(interface {
		AnswerSuperseded(context.Context, analytics.Response) (bool, error)
	}); ok { // as heed serve wires it
		alerts.SetSuperseded(s.AnswerSuperseded)
	}
	surveys := analytics.NewSurveys(store)
	digests, err := emails.NewDigests(emails.DigestOptions{Store: store, Surveys: surveys, Mailer: emailing.Mailer, From: emailing.From,
		BaseURL: emailing.BaseURL, ReportCSV: ReportCSV, Now: cfg.DigestNow,
		Claims: &analytics.Claimer{Store: store, Settle: testClaimSettle}, Log: quiet})
	if err != nil {
		t.Fatal(err)
	}
	ts.Server, err = New(context.Background(), cfg.Server, Deps{Store: store, Surveys: surveys,
		Writer: ts.writer, Emailing: emailing, Alerts: alerts, Digests: digests, Log: quiet})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewUnstartedServer(ts.Handler())
	if cfg.Listener != nil {
		hs.Listener.Close()
		hs.Listener = cfg.Listener
	}
	hs.Start()
	ts.url = hs.URL
	// stop shuts down as heed serve does: HTTP, alerts, then the writer,
	// which writes every accepted answer.
	stopped := false
	ts.stop = func() error {
		if stopped {
			return nil
		}
		stopped = true
		hs.Close()
		err := ts.Shutdown(context.Background())
		alerts.Flush(context.Background())
		if werr := ts.writer.Close(context.Background()); werr != nil {
			return werr
		}
		return err
	}
	t.Cleanup(func() { ts.stop() })
	return ts
}

// eachStore runs f on the in-memory store and on a real test database
// (which the fast tier skips): HTTP behaviour that must not depend on the
// store, checked on both.
func eachStore(t *testing.T, dbName string, f func(t *testing.T, ts *testServer)) {
	t.Run("fake", func(t *testing.T) { f(t, newFakeServer(t, nil)) })
	t.Run("clickhouse", func(t *testing.T) { f(t, newTestServer(t, dbName)) })
}

// storedRows counts the raw answer rows the store holds for a survey.
func (ts *testServer) storedRows(t *testing.T, surveyID string) uint64 {
	t.Helper()
	if ts.fake != nil {
		return uint64(len(ts.fake.Responses(surveyID)))
	}
	n, err := ts.db.CountRows(context.Background(), "answers", surveyID)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

type result struct {
	status int
	header http.Header
	body   []byte
}

func (r result) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("body is not JSON (%v): %s", err, r.body)
	}
	return m
}

// do sends a request; headers alternate name, value. A JSON body gets
// Content-Type application/json unless headers set one.
func (ts *testServer) do(t *testing.T, method, path, body string, headers ...string) result {
	t.Helper()
	req, err := http.NewRequest(method, ts.url+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		if headers[i] == "" {
			continue
		}
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return result{resp.StatusCode, resp.Header, b}
}

// doNoFatal is do for other goroutines than the test's: a failure to
// send is status 0.
func (ts *testServer) doNoFatal(method, path, body string, headers ...string) result {
	req, err := http.NewRequest(method, ts.url+path, strings.NewReader(body))
	if err != nil {
		return result{}
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return result{body: []byte(err.Error())}
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return result{resp.StatusCode, resp.Header, b}
}

func (ts *testServer) admin(t *testing.T, method, path, body string) result {
	t.Helper()
	return ts.do(t, method, path, body, "Authorization", "Bearer "+testKey)
}

func (ts *testServer) createSurvey(t *testing.T, body string) string {
	t.Helper()
	r := ts.admin(t, "POST", "/api/v1/surveys", body)
	if r.status != http.StatusCreated {
		t.Fatalf("create survey: %d %s", r.status, r.body)
	}
	return r.json(t)["id"].(string)
}

func (ts *testServer) respond(t *testing.T, survey, body string) string {
	t.Helper()
	r := ts.do(t, "POST", "/api/v1/surveys/"+survey+"/responses", body)
	if r.status != http.StatusAccepted {
		t.Fatalf("respond %s: %d %s", body, r.status, r.body)
	}
	return r.json(t)["response_id"].(string)
}

// waitReport polls the report until it holds want responses. The deadline
// only stops a hang; it asserts no speed.
func (ts *testServer) waitReport(t *testing.T, path string, want float64) map[string]any {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		r := ts.admin(t, "GET", path, "")
		if r.status != http.StatusOK {
			t.Fatalf("report: %d %s", r.status, r.body)
		}
		rep := r.json(t)
		if rep["total"].(map[string]any)["responses"].(float64) == want || time.Now().After(deadline) {
			return rep
		}
		time.Sleep(25 * time.Millisecond)
	}
}
