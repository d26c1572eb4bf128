package emails

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sendgrid/sendgrid-go/helpers/mail"

	"heed/analytics"
	"heed/analytics/clickhouse/chtest"
	"heed/analytics/ingest"
)

// standIn plays the SendGrid v3 API: it records every mail/send body and
// answers with the statuses queued in script (then 202).
type standIn struct {
	*httptest.Server
	mu       sync.Mutex
	bodies   []map[string]any
	script   []int
	received map[string]int // recipient -> emails accepted
}

func newStandIn(t *testing.T, script ...int) *standIn {
	s := &standIn{script: script, received: map[string]int{}}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/v3/mail/send" || r.Method != "POST" || r.Header.Get("Authorization") != "Bearer SG.test" {
			http.Error(w, "bad request line or key", 400)
			return
		}
		b, _ := io.ReadAll(r.Body)
		var body map[string]any
		if err := json.Unmarshal(b, &body); err != nil {
			http.Error(w, "bad json", 400)
			return
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		s.bodies = append(s.bodies, body)
		status := 202
		if len(s.script) > 0 {
			status, s.script = s.script[0], s.script[1:]
		}
		if status == 429 {
			w.Header().Set("X-RateLimit-Reset", strconv.FormatInt(time.Now().Add(time.Second).Unix(), 10))
		}
		if status == 202 {
			for _, p := range body["personalizations"].([]any) {
				to := p.(map[string]any)["to"].([]any)[0].(map[string]any)["email"].(string)
				s.received[to]++
			}
		}
		w.WriteHeader(status)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *standIn) requests() int { s.mu.Lock(); defer s.mu.Unlock(); return len(s.bodies) }

var quiet = slog.New(slog.DiscardHandler)

// testClaimSettle is the claims' settle time in tests (analytics.Claimer):
// short, and still far above a write to the test store.
const testClaimSettle = 300 * time.Millisecond

type fixture struct {
	db    *chtest.DB
	sv    *analytics.Survey
	sends *Sends
	sg    *SendGrid
}

func newFixture(t *testing.T, dbName string, contacts int, si *standIn) *fixture {
	t.Helper()
	db := chtest.Open(t, dbName)
	var cs []analytics.Contact
	for i := 0; i < contacts; i++ {
		email := fmt.Sprintf("person%05d@example.com", i)
		cs = append(cs, analytics.Contact{ContactID: analytics.ContactID(email), Email: email, Name: fmt.Sprintf("Person %d", i),
			Properties: map[string]string{"plan": []string{"free", "pro"}[i%2]}})
	}
	if err := db.UpsertContacts(context.Background(), cs); err != nil {
		t.Fatal(err)
	}
	signer, _ := NewSigner("k1:0123456789abcdef0123456789abcdef")
	sg := NewSendGrid("SG.test", si.URL)
	sg.Backoff = 10 * time.Millisecond
	sv := &analytics.Survey{ID: "mail", Name: "Mail", Question: analytics.DefaultQuestion, Language: "en", Widget: analytics.DefaultWidgetSettings(),
		Reasons: []analytics.Reason{{ID: "rude_service", Label: "Rude or unhelpful service"}}}
	return &fixture{db: db, sv: sv, sg: sg, sends: &Sends{Store: db, Mailer: sg, Signer: signer, BaseURL: "https://heed.example.com",
		From: mail.NewEmail("Acme Support", "support@acme.example"), Claims: &analytics.Claimer{Store: db, Settle: testClaimSettle}, Log: quiet}}
}

func (f *fixture) send(id string, filter analytics.ContactFilter) analytics.Send {
	return analytics.Send{ID: id, SurveyID: f.sv.ID, Filter: filter, CreatedAt: time.Now().UTC()}
}

// TestSendV3JSON checks what SendGrid receives: one personalization per
// recipient with its own links, one-click unsubscribe headers, custom args
// carrying the send id, categories, 1000 recipients per request.
func TestSendV3JSON(t *testing.T) {
	si := newStandIn(t)
	f := newFixture(t, "heed_test_emails_v3", 2500, si)
	sum, err := f.sends.Run(context.Background(), f.send("s1", analytics.ContactFilter{}), f.sv, analytics.KindInitial, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Sent != 2500 || sum.Requests != 3 || si.requests() != 3 {
		t.Fatalf("summary %+v, requests %d; want 2500 sent in 3 requests", sum, si.requests())
	}
	sizes := []int{}
	for _, b := range si.bodies {
		sizes = append(sizes, len(b["personalizations"].([]any)))
	}
	if fmt.Sprint(sizes) != "[1000 1000 500]" {
		t.Fatalf("personalizations per request = %v", sizes)
	}
	b := si.bodies[0]
	if b["from"].(map[string]any)["email"] != "support@acme.example" || !strings.Contains(fmt.Sprint(b["categories"]), "heed") {
		t.Fatalf("from/categories: %v %v", b["from"], b["categories"])
	}
	html := ""
	for _, c := range b["content"].([]any) {
		if c.(map[string]any)["type"] == "text/html" {
			html = c.(map[string]any)["value"].(string)
		}
	}
	for n := 0; n <= 10; n++ {
		if !strings.Contains(html, ScoreURL("https://heed.example.com", TokenPlaceholder, n)) {
			t.Fatalf("html lacks the score %d link", n)
		}
	}
	seen := map[string]bool{}
	signer := f.sends.Signer
	for _, pp := range b["personalizations"].([]any) {
		p := pp.(map[string]any)
		to := p["to"].([]any)[0].(map[string]any)["email"].(string)
		tok := p["substitutions"].(map[string]any)[TokenPlaceholder].(string)
		claims, err := signer.Verify(tok, time.Now())
		if err != nil || claims.SendID != "s1" || claims.ContactID != analytics.ContactID(to) || claims.SurveyID != "mail" {
			t.Fatalf("token of %s: %+v %v", to, claims, err)
		}
		if seen[tok] {
			t.Fatal("two recipients share a token")
		}
		seen[tok] = true
		h := p["headers"].(map[string]any)
		if h["List-Unsubscribe"] != "<"+UnsubscribeURL("https://heed.example.com", tok)+">" || h["List-Unsubscribe-Post"] != "List-Unsubscribe=One-Click" {
			t.Fatalf("headers: %v", h)
		}
		if p["custom_args"].(map[string]any)["heed_send_id"] != "s1" {
			t.Fatalf("custom args: %v", p["custom_args"])
		}
	}
	// Running the same send again emails nobody.
	sum, err = f.sends.Run(context.Background(), f.send("s1", analytics.ContactFilter{}), f.sv, analytics.KindInitial, false, nil)
	if err != nil || sum.Sent != 0 || sum.AlreadyHandled != 2500 || si.requests() != 3 {
		t.Fatalf("rerun: %+v %v, requests %d", sum, err, si.requests())
	}
}

func TestSendRateLimitAndServerErrors(t *testing.T) {
	tests := []struct {
		name     string
		script   []int
		sent     int
		failed   int
		requests int
	}{
		{"429 waits for the reset, then sends", []int{429}, 10, 0, 2},
		{"5xx retried with backoff", []int{500, 503}, 10, 0, 3},
		{"5xx every time: failed, nobody emailed", []int{500, 500, 500, 500}, 0, 10, 4},
		{"4xx is final", []int{400}, 0, 10, 1},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			si := newStandIn(t, tt.script...)
			f := newFixture(t, fmt.Sprintf("heed_test_emails_err%d", i), 10, si)
			sum, err := f.sends.Run(context.Background(), f.send("e", analytics.ContactFilter{}), f.sv, analytics.KindInitial, false, nil)
			if err != nil {
				t.Fatal(err)
			}
			if sum.Sent != tt.sent || sum.Failed != tt.failed || si.requests() != tt.requests {
				t.Fatalf("summary %+v, requests %d", sum, si.requests())
			}
			if tt.failed > 0 { // a later run retries the failed batch
				sum, err = f.sends.Run(context.Background(), f.send("e", analytics.ContactFilter{}), f.sv, analytics.KindInitial, false, nil)
				if err != nil || sum.Sent != 10 {
					t.Fatalf("retry run: %+v %v", sum, err)
				}
			}
			for to, n := range si.received {
				if n != 1 {
					t.Fatalf("%s got %d emails", to, n)
				}
			}
		})
	}
}

// TestSendResumes: a send stopped after its first batch (Ctrl-C) and run
// again emails everyone exactly once.
func TestSendResumes(t *testing.T) {
	si := newStandIn(t)
	f := newFixture(t, "heed_test_emails_resume", 25, si)
	f.sends.BatchSize = 10
	ctx, cancel := context.WithCancel(context.Background())
	send := f.send("r", analytics.ContactFilter{})
	_, err := f.sends.Run(ctx, send, f.sv, analytics.KindInitial, false, func(done, total int) {
		if done >= 10 {
			cancel() // Ctrl-C after the first batch
		}
	})
	if err == nil {
		t.Fatal("the interrupted run reported success")
	}
	if si.requests() != 1 {
		t.Fatalf("requests before the interruption: %d", si.requests())
	}
	sum, err := f.sends.Run(context.Background(), send, f.sv, analytics.KindInitial, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Sent != 15 || sum.AlreadyHandled != 10 {
		t.Fatalf("resumed: %+v", sum)
	}
	if len(si.received) != 25 {
		t.Fatalf("%d people emailed, want 25", len(si.received))
	}
	for to, n := range si.received {
		if n != 1 {
			t.Fatalf("%s got %d emails", to, n)
		}
	}
}

// TestSendSkips: suppressed contacts and contacts asked lately are skipped
// and counted; a property filter selects; a dry run sends nothing.
func TestSendSkips(t *testing.T) {
	si := newStandIn(t)
	f := newFixture(t, "heed_test_emails_skips", 6, si)
	ctx := context.Background()
	f.db.Suppress(ctx, analytics.ContactID("person00001@example.com"), "person00001@example.com", analytics.SuppressBounce)
	// person 3 answered the survey on the website last week.
	w, err := ingest.New(f.db, ingest.Options{SpoolDir: t.TempDir(), Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	w.Add(analytics.Response{SurveyID: "mail", ResponseID: ResponseID("x", "y"), Score: 9, Channel: "widget", Respondent: analytics.ContactID("person00003@example.com")})
	w.Close(ctx)

	dry, err := f.sends.Run(ctx, f.send("d", analytics.ContactFilter{}), f.sv, analytics.KindInitial, true, nil)
	if err != nil || si.requests() != 0 || dry.SkippedSuppressed != 1 || dry.SkippedRecent != 1 {
		t.Fatalf("dry run: %+v %v, requests %d", dry, err, si.requests())
	}
	sum, err := f.sends.Run(ctx, f.send("p", analytics.ContactFilter{Where: map[string]string{"plan": "pro"}}), f.sv, analytics.KindInitial, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	// pro = persons 1, 3, 5: 1 suppressed, 3 answered lately, 5 emailed.
	if sum.Selected != 3 || sum.Sent != 1 || sum.SkippedSuppressed != 1 || sum.SkippedRecent != 1 || si.received["person00005@example.com"] != 1 {
		t.Fatalf("summary %+v, received %v", sum, si.received)
	}
	counts, err := f.db.SendCounts(ctx, "p")
	if err != nil || counts[analytics.KindInitial][analytics.SendSent] != 1 || counts[analytics.KindInitial][analytics.SendSkippedSuppressed] != 1 {
		t.Fatalf("send counts %v %v", counts, err)
	}
}

// TestSendRunsOnceAtATime: a second run of a send that is running (a retried
// API call, the CLI beside the server) is refused instead of emailing again.
func TestSendRunsOnceAtATime(t *testing.T) {
	release := make(chan struct{})
	entered := make(chan struct{}, 1)
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		select {
		case entered <- struct{}{}:
		default:
		}
		<-release
		w.WriteHeader(202)
	}))
	defer slow.Close()
	si := newStandIn(t)
	f := newFixture(t, "heed_test_emails_once", 3, si)
	f.sends.Mailer = NewSendGrid("SG.test", slow.URL)
	send := f.send("once", analytics.ContactFilter{})
	done := make(chan error, 1)
	go func() {
		_, err := f.sends.Run(context.Background(), send, f.sv, analytics.KindInitial, false, nil)
		done <- err
	}()
	<-entered
	if running, err := f.sends.Running(context.Background(), "once", analytics.KindInitial); !running || err != nil {
		t.Errorf("Running() = %v, %v during the run", running, err)
	}
	if _, err := f.sends.Run(context.Background(), send, f.sv, analytics.KindInitial, false, nil); err != ErrSendRunning {
		t.Fatalf("second run: %v, want ErrSendRunning", err)
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// TestSendOnTwoInstances: one send started on two Heed instances at the
// same moment (each with its own data folder, one database) emails each
// contact once: the claim in the store gives the run to one of them.
func TestSendOnTwoInstances(t *testing.T) {
	si := newStandIn(t)
	f := newFixture(t, "heed_test_emails_two", 40, si)
	send := f.send("both", analytics.ContactFilter{})
	other := &Sends{Store: f.db, Mailer: f.sg, Signer: f.sends.Signer, BaseURL: f.sends.BaseURL, From: f.sends.From,
		Claims: &analytics.Claimer{Store: f.db, Settle: testClaimSettle}, Log: quiet}
	var wg sync.WaitGroup
	errs := make([]error, 2)
	sums := make([]SendSummary, 2)
	for i, s := range []*Sends{f.sends, other} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sums[i], errs[i] = s.Run(context.Background(), send, f.sv, analytics.KindInitial, false, nil)
		}()
	}
	wg.Wait()
	ran := 0
	for i, err := range errs {
		switch {
		case err == nil:
			ran++
		case !errors.Is(err, ErrSendRunning):
			t.Fatalf("instance %d: %v", i, err)
		}
	}
	if ran != 1 || sums[0].Sent+sums[1].Sent != 40 {
		t.Fatalf("%d runs went ahead (errors %v), sent %d + %d; want one run of 40", ran, errs, sums[0].Sent, sums[1].Sent)
	}
	si.mu.Lock()
	defer si.mu.Unlock()
	if len(si.received) != 40 {
		t.Fatalf("%d contacts emailed, want 40", len(si.received))
	}
	for to, n := range si.received {
		if n != 1 {
			t.Errorf("%s emailed %d times", to, n)
		}
	}
}

// TestSendStoppedWhileWaiting: Ctrl-C while waiting out a 429 leaves the
// batch "failed" (nobody got it), and the next run sends it.
func TestSendStoppedWhileWaiting(t *testing.T) {
	si := newStandIn(t, 429)
	f := newFixture(t, "heed_test_emails_stop", 5, si)
	f.sg.MaxRateLimitWait = time.Minute
	ctx, cancel := context.WithCancel(context.Background())
	go func() { // stop during the wait
		for si.requests() == 0 {
			time.Sleep(5 * time.Millisecond)
		}
		cancel()
	}()
	send := f.send("stop", analytics.ContactFilter{})
	if _, err := f.sends.Run(ctx, send, f.sv, analytics.KindInitial, false, nil); !errors.Is(err, context.Canceled) {
		t.Fatalf("stopped run: %v, want context.Canceled", err)
	}
	sum, err := f.sends.Run(context.Background(), send, f.sv, analytics.KindInitial, false, nil)
	if err != nil || sum.Sent != 5 || len(si.received) != 5 {
		t.Fatalf("rerun: %+v %v, received %v", sum, err, si.received)
	}
}

func TestRecipientName(t *testing.T) {
	for in, want := range map[string]string{"Doe, John": "Doe John", "A;B": "A B", "Line\r\nBreak": "Line Break", "Ann": "Ann", "": ""} {
		if got := recipientName(in); got != want {
			t.Errorf("recipientName(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestSendDropsRefusedRecipients: a 400 naming one recipient (SendGrid's
// "personalizations.N.to.0.email") fails only that recipient; the rest of
// the batch is sent again at once.
func TestSendDropsRefusedRecipients(t *testing.T) {
	got := map[string]int{}
	var mu sync.Mutex
	picky := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			Personalizations []struct {
				To []struct{ Email string } `json:"to"`
			} `json:"personalizations"`
		}
		json.NewDecoder(r.Body).Decode(&body)
		var errs []string
		for i, p := range body.Personalizations {
			if strings.HasPrefix(p.To[0].Email, "person00003") {
				errs = append(errs, fmt.Sprintf(`{"message":"Does not contain a valid address.","field":"personalizations.%d.to.0.email"}`, i))
			}
		}
		if len(errs) > 0 {
			w.WriteHeader(400)
			fmt.Fprintf(w, `{"errors":[%s]}`, strings.Join(errs, ","))
			return
		}
		mu.Lock()
		for _, p := range body.Personalizations {
			got[p.To[0].Email]++
		}
		mu.Unlock()
		w.WriteHeader(202)
	}))
	defer picky.Close()
	f := newFixture(t, "heed_test_emails_picky", 6, newStandIn(t))
	f.sends.Mailer = NewSendGrid("SG.test", picky.URL)
	sum, err := f.sends.Run(context.Background(), f.send("picky", analytics.ContactFilter{}), f.sv, analytics.KindInitial, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Sent != 5 || sum.Failed != 1 || sum.Requests != 2 || len(got) != 5 || got["person00003@example.com"] != 0 {
		t.Fatalf("summary %+v, received %v", sum, got)
	}
}
