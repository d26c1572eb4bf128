package server

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

// startReal serves ts on a real listener with the production http.Server
// (its timeouts and all), as heed serve does; the test's usual server is
// httptest's, without them.
func startReal(t *testing.T, ts *testServer) string {
	t.Helper()
	if err := ts.Server.Start(); err != nil {
		t.Fatal(err)
	}
	return ts.Server.Addr()
}

// rawRequest writes head (request line and headers, without the blank
// line) and body on a fresh connection, closes the writing side when
// closeWrite is set, and reads the answer. The deadline only stops a hang.
func rawRequest(t *testing.T, addr, head, body string, closeWrite bool) (*http.Response, string) {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := io.WriteString(conn, head+"\r\n\r\n"+body); err != nil {
		t.Fatal(err)
	}
	if closeWrite {
		conn.(*net.TCPConn).CloseWrite()
	}
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("no answer: %v", err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp, string(b)
}

// TestBodyErrors: a body that does not arrive whole is the client's fault
// and says so: 408 when it is too slow (the read timeout, short here),
// 400 "ended early" when it is shorter than its Content-Length, with no
// socket address or other internals in the message (issue 12: a slow body
// got 400 "malformed JSON: read tcp 127.0.0.1:...: i/o timeout").
func TestBodyErrors(t *testing.T) {
	ts := newFakeServer(t, func(c *testConfig) { c.Server.ReadTimeout = 300 * time.Millisecond })
	id := ts.createSurvey(t, shopSurvey)
	addr := startReal(t, ts)
	head := func(path, contentType string, length int) string {
		return "POST " + path + " HTTP/1.1\r\nHost: heed.test\r\nContent-Type: " + contentType + "\r\nContent-Length: " + strconv.Itoa(length)
	}
	answers := "/api/v1/surveys/" + id + "/responses"
	tests := []struct {
		name       string
		head, body string
		closeWrite bool
		status     int
		message    string
	}{
		{"half a body, then silence", head(answers, "application/json", 100), `{"score":`, false, 408, "did not arrive in time"},
		{"a whole object, Content-Length longer", head(answers, "application/json", 100), `{"score":9}`, true, 400, "ended early"},
		{"half an object, Content-Length longer", head(answers, "application/json", 100), `{"score":`, true, 400, "ended early"},
		{"half an object, Content-Length right", head(answers, "application/json", 9), `{"score":`, true, 400, "ends before the JSON value"},
		{"link form, slow", head("/r/x.y.z", "application/x-www-form-urlencoded", 100), `s=1`, false, 400, ""}, // a bad token is told before the body is read
		{"admin JSON, slow", head("/api/v1/surveys", "application/json", 100) + "\r\nAuthorization: Bearer " + testKey, `{"name":`, false, 408, "did not arrive in time"},
		{"contacts CSV, slow", head("/api/v1/contacts.csv", "text/csv", 100) + "\r\nAuthorization: Bearer " + testKey, "email,name\n", false, 408, "did not arrive in time"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := rawRequest(t, addr, tt.head, tt.body, tt.closeWrite)
			if resp.StatusCode != tt.status || !strings.Contains(body, tt.message) {
				t.Errorf("%d %s, want %d with %q", resp.StatusCode, body, tt.status, tt.message)
			}
			if strings.Contains(body, "127.0.0.1") || strings.Contains(body, "tcp") || strings.Contains(body, "i/o") {
				t.Errorf("internals in the answer: %s", body)
			}
		})
	}
	if n := len(ts.fake.Responses(id)); n != 0 {
		t.Errorf("%d answers stored from broken bodies", n)
	}
}

// TestErrorWording: a body of the wrong shape is told the shape it must
// have (issue 12: an object posted where an array is wanted was told "the
// body must be a JSON object").
func TestErrorWording(t *testing.T) {
	ts := newFakeServer(t, nil)
	id := ts.createSurvey(t, shopSurvey)
	for _, tt := range []struct {
		name, path, body, want string
	}{
		{"contacts want an array", "/api/v1/contacts", `{"email":"ann@example.com"}`, "the body must be a JSON array"},
		{"churn wants an array", "/api/v1/churn", `{"respondent":"c1"}`, "must be a JSON array"},
		{"a survey wants an object", "/api/v1/surveys", `[{"name":"x"}]`, "the body must be a JSON object"},
		{"an answer wants an object", "/api/v1/surveys/" + id + "/responses", `"9"`, "the body must be a JSON object"},
		{"trailing data", "/api/v1/surveys/" + id + "/responses", `{"score":9} {}`, "unexpected data after the JSON value"},
		{"truncated JSON", "/api/v1/surveys/" + id + "/responses", `{"score":9,"comment":"ab`, "ends before the JSON value"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := ts.admin(t, "POST", tt.path, tt.body)
			if r.status != 400 || !strings.Contains(string(r.body), tt.want) {
				t.Errorf("%d %s, want 400 with %q", r.status, r.body, tt.want)
			}
		})
	}
}
