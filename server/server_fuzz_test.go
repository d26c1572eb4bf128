package server

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"heed/analytics"
	"heed/analytics/mock"
	"heed/emails"
)

// The fuzz targets of the server run its real Handler in process (no
// listener, no spool) on the in-memory store; they need no ClickHouse.

// fuzzWriter is the answer writer of the fuzz server: it keeps what it is
// given, at once and in memory.
type fuzzWriter struct {
	mu    sync.Mutex
	added []analytics.Response
}

func (w *fuzzWriter) Add(r analytics.Response) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.added = append(w.added, r)
	return nil
}

func (w *fuzzWriter) AddDismissal(analytics.Dismissal) error { return nil }
func (w *fuzzWriter) Backlog() (int, int64)                  { return 0, 0 }
func (w *fuzzWriter) LastError() error                       { return nil }

// take returns and forgets what was added since the last call.
func (w *fuzzWriter) take() []analytics.Response {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := w.added
	w.added = nil
	return out
}

type fuzzServer struct {
	*Server
	store  *mock.Store
	writer *fuzzWriter
}

// newFuzzServer builds a Server as heed serve does, without rate limits, on
// the in-memory store and the fuzzWriter; webhookKey is the SendGrid
// Event Webhook's public key ("" = the webhook is off).
func newFuzzServer(tb testing.TB, webhookKey string) *fuzzServer {
	tb.Helper()
	store := mock.New()
	emailing, err := emails.New(emails.Config{PublicURL: "http://heed.test", DataDir: tb.TempDir(), WebhookKey: webhookKey,
		SigningKeys: "t1:0123456789abcdef0123456789abcdef"}, store)
	if err != nil {
		tb.Fatal(err)
	}
	fs := &fuzzServer{store: store, writer: &fuzzWriter{}}
	fs.Server, err = New(context.Background(), Config{Addr: "127.0.0.1:0", AdminKey: testKey},
		Deps{Store: store, Surveys: analytics.NewSurveys(store), Writer: fs.writer, Emailing: emailing})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { fs.Shutdown(context.Background()) })
	return fs
}

// serve sends one request to the handler; headers alternate name, value.
func (fs *fuzzServer) serve(method, path string, body []byte, headers ...string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, path, bytes.NewReader(body))
	for i := 0; i+1 < len(headers); i += 2 {
		if headers[i+1] != "" {
			req.Header.Set(headers[i], headers[i+1])
		}
	}
	rec := httptest.NewRecorder()
	fs.Handler().ServeHTTP(rec, req)
	return rec
}

// createSurvey creates a survey through the admin API and returns it.
func (fs *fuzzServer) createSurvey(tb testing.TB, body string) *analytics.Survey {
	tb.Helper()
	rec := fs.serve("POST", "/api/v1/surveys", []byte(body), "Content-Type", "application/json", "Authorization", "Bearer "+testKey)
	if rec.Code != http.StatusCreated {
		tb.Fatalf("create survey: %d %s", rec.Code, rec.Body)
	}
	var out struct{ ID string }
	if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
		tb.Fatal(err)
	}
	sv, ok := fs.surveys.Get(out.ID)
	if !ok {
		tb.Fatalf("survey %q not loaded", out.ID)
	}
	return sv
}

// apiErrorBody is the one error shape of the API.
type apiErrorBody struct {
	Error *struct {
		Code    string            `json:"code"`
		Message string            `json:"message"`
		Fields  map[string]string `json:"fields"`
	} `json:"error"`
}

// checkAPIError fails t unless rec is a 4xx with the API's JSON error body
// (its code the status's), and returns the fields it names.
func checkAPIError(t *testing.T, rec *httptest.ResponseRecorder) map[string]string {
	t.Helper()
	if rec.Code < 400 || rec.Code > 499 {
		t.Fatalf("status %d, want a 4xx: %s", rec.Code, rec.Body)
	}
	if ct := rec.Header().Get("Content-Type"); ct != "application/json" && ct != "application/json; charset=UTF-8" {
		t.Fatalf("%d with Content-Type %q", rec.Code, ct)
	}
	var body apiErrorBody
	dec := json.NewDecoder(bytes.NewReader(rec.Body.Bytes()))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&body); err != nil || body.Error == nil || body.Error.Message == "" {
		t.Fatalf("%d: not the API's error shape (%v): %s", rec.Code, err, rec.Body)
	}
	if want, ok := codeByStatus[rec.Code]; !ok || body.Error.Code != want {
		t.Fatalf("%d with code %q, want %q", rec.Code, body.Error.Code, want)
	}
	if len(body.Error.Fields) > 0 && rec.Code != http.StatusUnprocessableEntity {
		t.Fatalf("%d names fields %v: only a 422 does", rec.Code, body.Error.Fields)
	}
	return body.Error.Fields
}
