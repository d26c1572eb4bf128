package server

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"strings"
	"testing"

	"heed/analytics"
)

// maxListed is how many refused rows an import lists.
const maxListed = analytics.MaxListedProblems

// generated is an upload made as it is read: a head, then body repeated
// until size bytes, then a tail. It holds none of it, so what the heap
// holds while it is read is the server's. Every probe bytes it runs probe
// (a heap measure) first.
type generated struct {
	head, body, tail string
	size, sent       int
	next             int
	probe            func()
}

func (g *generated) Read(p []byte) (int, error) {
	if g.probe != nil && g.sent >= g.next {
		g.next += 1 << 20
		g.probe()
	}
	n := 0
	for n < len(p) {
		var src string
		var off int
		switch {
		case g.sent < len(g.head):
			src, off = g.head, g.sent
		case g.sent < g.size-len(g.tail):
			src, off = g.body, (g.sent-len(g.head))%len(g.body)
			if left := g.size - len(g.tail) - g.sent; len(src)-off > left {
				src = src[:off+left]
			}
		case g.sent < g.size:
			src, off = g.tail, g.sent-(g.size-len(g.tail))
		default:
			if n == 0 {
				return 0, io.EOF
			}
			return n, nil
		}
		k := copy(p[n:], src[off:])
		n += k
		g.sent += k
	}
	return n, nil
}

func liveHeap() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// TestContactsCSVBoundedMemory: an upload of contacts is read as it
// arrives, in bounded batches: whatever the body holds (millions of
// invalid rows, a header of a million columns, one endless row or field),
// the live heap stays a few MB above where it was, and the answer is a
// clear summary or a 422 naming the limit.
func TestContactsCSVBoundedMemory(t *testing.T) {
	ts := newFakeServer(t, nil)
	const bound = 32 << 20
	tests := []struct {
		name   string
		body   generated
		status int
		check  func(t *testing.T, r map[string]any)
	}{
		{"8 MB of invalid rows", generated{head: "email,name\n", body: "nope,X\n", size: 8 << 20}, 200, func(t *testing.T, r map[string]any) {
			rows := float64((8<<20 - len("email,name\n")) / len("nope,X\n"))
			inv, _ := r["invalid"].([]any)
			if r["invalid_total"] != rows || len(inv) != maxListed || r["new"] != 0.0 {
				t.Errorf("invalid_total %v (want %v), %d listed (want %d), new %v", r["invalid_total"], rows, len(inv), maxListed, r["new"])
			}
			if len(inv) > 0 && inv[0].(map[string]any)["index"] != 2.0 {
				t.Errorf("first problem: %v", inv[0])
			}
		}},
		{"a header of 1 M columns", generated{head: "email", body: ",c", size: len("email") + 2<<20, tail: "\nann@example.com\n"}, 422, nil},
		{"a header of 1000 columns", generated{head: "email", body: ",c", size: len("email") + 2000, tail: "\nann@example.com\n"}, 422, nil},
		{"8 MB in one row", generated{head: "email,name\nann@example.com,", body: "x", size: 8 << 20, tail: "\n"}, 422, nil},
		{"8 MB in one quoted field", generated{head: "email,name\nann@example.com,\"", body: "x\n", size: 8 << 20}, 422, nil},
		{"rows of 1 M columns", generated{head: "email,name\n", body: "ann@example.com" + strings.Repeat(",", 1<<20) + "\n", size: 8 << 20}, 422, nil},
		{"6 MB of rows of 20 long properties", generated{head: "email,name" + props("p", 20) + "\n",
			body: "ann@example.com,Ann" + strings.Repeat(","+strings.Repeat("v", 500), 20) + "\n", size: 6 << 20}, 200, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := liveHeap()
			peak := before
			tt.body.probe = func() {
				if h := liveHeap(); h > peak {
					peak = h
				}
			}
			req, err := http.NewRequest("POST", ts.url+"/api/v1/contacts.csv", &tt.body)
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Authorization", "Bearer "+testKey)
			req.Header.Set("Content-Type", "text/csv")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			var out map[string]any
			err = json.NewDecoder(resp.Body).Decode(&out)
			resp.Body.Close()
			if err != nil {
				t.Fatal(err)
			}
			tt.body.probe()
			grew := int64(peak) - int64(before)
			t.Logf("%s: %d, live heap at most %+.1f MB", tt.name, resp.StatusCode, float64(grew)/(1<<20))
			if grew > bound {
				t.Errorf("the live heap grew %d MB (bound %d MB)", grew>>20, bound>>20)
			}
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d, want %d: %.300v", resp.StatusCode, tt.status, out)
			}
			if tt.check != nil {
				tt.check(t, out)
			}
		})
	}
}

func props(prefix string, n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, ",%s%d", prefix, i)
	}
	return b.String()
}

// TestContactsCSVLimits: each limit of an upload is told in the one error
// shape, naming the limit and what was imported before it; a row that
// breaks no limit is imported as before.
func TestContactsCSVLimits(t *testing.T) {
	good := "ann@example.com,Ann\nbob@example.com,Bob\n"
	tests := []struct {
		name, csv string
		status    int
		message   string
	}{
		{"201 columns", "email" + props("c", 200) + "\n" + good, 422, "the header row has 201 columns; at most 200"},
		{"200 columns", "email,name" + props("c", 198) + "\n" + good, 200, ""},
		{"a header of 300 KiB", "email," + strings.Repeat("h", 300<<10) + "\n" + good, 422, "the header row is longer than 256 KiB"},
		{"a row of 300 KiB after two good ones", "email,name\n" + good + "carol@example.com," + strings.Repeat("x", 300<<10) + "\n" + good, 422,
			"the row after line 3 is longer than 256 KiB, the most a row (and so a field) may hold; the rows before it were imported (2 new, 0 updated"},
		{"an unclosed quote", "email,name\n" + good + "carol@example.com,\"" + strings.Repeat("x\n", 200<<10), 422, "the row after line 3 is longer than 256 KiB"},
		{"a long field in a short file", "email,name\n" + good + "carol@example.com," + strings.Repeat("x", 100<<10) + "\n", 200, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts := newFakeServer(t, nil)
			r := ts.do(t, "POST", "/api/v1/contacts.csv", tt.csv, "Authorization", "Bearer "+testKey, "Content-Type", "text/csv")
			if r.status != tt.status {
				t.Fatalf("%d %.400s, want %d", r.status, r.body, tt.status)
			}
			if tt.message != "" {
				e, _ := r.json(t)["error"].(map[string]any)
				if msg, _ := e["message"].(string); e["code"] != "invalid" || !strings.Contains(msg, tt.message) {
					t.Errorf("error %v, want a message with %q", e, tt.message)
				}
			}
		})
	}
}

// TestContactsCSVProblemsListed: the refused rows are counted in full and
// listed up to maxListed, each with its line and a short copy of its
// address.
func TestContactsCSVProblemsListed(t *testing.T) {
	ts := newFakeServer(t, nil)
	var b strings.Builder
	b.WriteString("email,name\nann@example.com,Ann\n")
	for range 150 {
		b.WriteString(strings.Repeat("n", 1000) + ",X\n")
	}
	r := ts.do(t, "POST", "/api/v1/contacts.csv", b.String(), "Authorization", "Bearer "+testKey, "Content-Type", "text/csv")
	if r.status != 200 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	sum := r.json(t)
	inv := sum["invalid"].([]any)
	if sum["new"] != 1.0 || sum["invalid_total"] != 150.0 || len(inv) != maxListed {
		t.Fatalf("new %v, invalid_total %v, listed %d", sum["new"], sum["invalid_total"], len(inv))
	}
	last := inv[len(inv)-1].(map[string]any)
	if last["index"] != float64(2+maxListed) || len(last["email"].(string)) > 260 {
		t.Errorf("last listed problem: line %v, email of %d bytes", last["index"], len(last["email"].(string)))
	}
}
