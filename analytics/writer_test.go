package analytics

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
)

func newTestWriter(t *testing.T, db *DB, opts WriterOptions) *Writer {
	t.Helper()
	if opts.SpoolDir == "" {
		opts.SpoolDir = t.TempDir()
	}
	opts.Logger = quiet
	w, err := NewWriter(db, opts)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// waitRows polls until table holds want raw rows for surveyID. The deadline
// only stops a hang; nothing here asserts speed.
func waitRows(t *testing.T, db *DB, surveyID string, want uint64) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		n, err := db.CountRows(context.Background(), "responses", surveyID)
		if err != nil {
			t.Fatal(err)
		}
		if n == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("rows = %d, want %d", n, want)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestWriterDedupesAndFlushesOnClose(t *testing.T) {
	db := OpenTestDB(t, "heed_test_analytics_writer")
	ctx := context.Background()
	// A long interval and a big batch: only Close can write these rows.
	w := newTestWriter(t, db, WriterOptions{FlushInterval: time.Hour, BatchSize: 1_000_000})
	id := uuid.New()
	if err := w.Add(Response{SurveyID: "w", ResponseID: id, Score: 3, Channel: "api"}); err != nil {
		t.Fatal(err)
	}
	// The follow-up replaces the score and must keep the first answer's time.
	if err := w.Add(Response{SurveyID: "w", ResponseID: id, Score: 9, Reasons: []string{"price"}, Channel: "api",
		Properties: map[string]string{"plan": "pro", "country": "FR"}}); err != nil {
		t.Fatal(err)
	}
	if err := w.Add(Response{SurveyID: "w", ResponseID: uuid.New(), Score: 10, Channel: "api"}); err != nil {
		t.Fatal(err)
	}
	if n, _ := db.CountRows(ctx, "responses", "w"); n != 0 {
		t.Fatalf("rows written before Close: %d", n)
	}
	if err := w.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if err := w.Add(Response{SurveyID: "w", ResponseID: uuid.New()}); err != ErrWriterClosed {
		t.Fatalf("Add after Close = %v", err)
	}
	if n, _ := db.CountRows(ctx, "responses", "w"); n != 3 {
		t.Fatalf("raw rows = %d, want 3", n)
	}
	var distinctTimes uint64
	if err := db.conn.QueryRow(ctx, "SELECT uniqExact(created_at) FROM responses WHERE response_id = ?", id).Scan(&distinctTimes); err != nil {
		t.Fatal(err)
	}
	if distinctTimes != 1 {
		t.Errorf("follow-up got a new created_at")
	}
	var keys, values []string
	if err := db.conn.QueryRow(ctx, "SELECT property_keys, property_values FROM responses WHERE response_id = ? AND score = 9", id).Scan(&keys, &values); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(keys, values) != "[country plan] [FR pro]" {
		t.Errorf("properties stored as %v %v", keys, values)
	}
	sv := &Survey{ID: "w", Reasons: []Reason{{ID: "price", Label: "Price"}}}
	now := time.Now().UTC()
	rep, err := db.Report(ctx, ReportQuery{Survey: sv, From: now.AddDate(0, 0, -1), To: now.AddDate(0, 0, 1), Interval: Day})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Total.Responses != 2 || rep.Total.Promoters != 2 || rep.Total.Reasons["price"].Count != 1 {
		t.Fatalf("total = %+v, want 2 promoters, price cited once", rep.Total)
	}
}

func TestWriterFlushesOnTimeAndSize(t *testing.T) {
	db := OpenTestDB(t, "heed_test_analytics_writer2")
	tests := []struct {
		name   string
		opts   WriterOptions
		rows   int
		survey string
	}{
		{"by time", WriterOptions{FlushInterval: 50 * time.Millisecond, BatchSize: 1_000_000}, 3, "t"},
		{"by size", WriterOptions{FlushInterval: time.Hour, BatchSize: 10}, 10, "s"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newTestWriter(t, db, tt.opts)
			defer w.Close(context.Background())
			for i := 0; i < tt.rows; i++ {
				if err := w.Add(Response{SurveyID: tt.survey, ResponseID: uuid.New(), Score: 5, Channel: "api"}); err != nil {
					t.Fatal(err)
				}
			}
			waitRows(t, db, tt.survey, uint64(tt.rows))
		})
	}
}

// TestWriterSurvivesClickHouseErrors: while inserts fail, answers are still
// accepted into the spool; when inserts work again the backlog drains.
func TestWriterSurvivesClickHouseErrors(t *testing.T) {
	db := OpenTestDB(t, "heed_test_analytics_writer3")
	ctx := context.Background()
	if err := db.Exec(ctx, "RENAME TABLE responses TO responses_away"); err != nil {
		t.Fatal(err)
	}
	w := newTestWriter(t, db, WriterOptions{FlushInterval: 10 * time.Millisecond, MaxBackoff: 20 * time.Millisecond})
	for i := 0; i < 50; i++ {
		if err := w.Add(Response{SurveyID: "f", ResponseID: uuid.New(), Channel: "api"}); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(20 * time.Second)
	for w.LastError() == nil && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if w.LastError() == nil {
		t.Fatal("flush into a missing table did not fail")
	}
	if _, bytes := w.Backlog(); bytes == 0 {
		t.Fatal("backlog empty while ClickHouse refuses inserts")
	}
	if err := db.Exec(ctx, "RENAME TABLE responses_away TO responses"); err != nil {
		t.Fatal(err)
	}
	waitRows(t, db, "f", 50)
	if err := w.Close(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestWriterSpoolFull(t *testing.T) {
	db := OpenTestDB(t, "heed_test_analytics_writer4")
	// Room for the header and a few records only, and no flush.
	w := newTestWriter(t, db, WriterOptions{MaxSpoolBytes: 300, FlushInterval: time.Hour, BatchSize: 1_000_000})
	var full int
	for i := 0; i < 20; i++ {
		err := w.Add(Response{SurveyID: "full", ResponseID: uuid.New(), Channel: "api"})
		switch {
		case errors.Is(err, ErrWriterFull):
			full++
		case err != nil:
			t.Fatal(err)
		}
	}
	if full == 0 || full == 20 {
		t.Fatalf("%d of 20 refused; want some accepted, then refusals", full)
	}
	if err := w.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	waitRows(t, db, "full", uint64(20-full))
}

// TestWriterReplaysSpool: segments left by a process that died are inserted
// by the next one; a segment with a torn tail keeps its intact records.
func TestWriterReplaysSpool(t *testing.T) {
	db := OpenTestDB(t, "heed_test_analytics_replay")
	dir := t.TempDir()
	spool, err := OpenSpool(SpoolOptions{Dir: dir, Logger: quiet, Lanes: 1})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 5; i++ {
		r := Response{SurveyID: "replay", ResponseID: uuid.New(), CreatedAt: time.Now(), Version: 1, Score: 9, Channel: "api"}
		if err := spool.Append(encodeResponse(nil, &r)); err != nil {
			t.Fatal(err)
		}
	}
	// Die without Close: the segment stays, unsealed. Simulate a crash in
	// the middle of a sixth write by appending half a record.
	seg := filepath.Join(dir, fmt.Sprintf("%020d%s", 1, segmentExt))
	f, err := os.OpenFile(seg, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.Write([]byte{200, 0, 0, 0, 1, 2, 3, 4, 5, 6})
	f.Close()
	spool.lock.Close() // release the folder as a dead process would

	// BatchSize 2: the segment of 5 goes in as inserts of 2, 2 and 1.
	w := newTestWriter(t, db, WriterOptions{SpoolDir: dir, FlushInterval: 20 * time.Millisecond, BatchSize: 2, KeepInserted: -1})
	waitRows(t, db, "replay", 5)
	if err := w.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	left, _ := filepath.Glob(filepath.Join(dir, "*"+segmentExt))
	if len(left) != 0 {
		t.Fatalf("segments left after replay: %v", left)
	}
}

func TestSpoolCorruption(t *testing.T) {
	tests := []struct {
		name    string
		corrupt func(b []byte) []byte
		want    int
	}{
		{"intact", func(b []byte) []byte { return b }, 3},
		{"torn header", func(b []byte) []byte { return append(b, 1, 2, 3) }, 3},
		{"torn payload", func(b []byte) []byte { return append(b, 50, 0, 0, 0, 0, 0, 0, 0, 'x') }, 3},
		{"flipped byte in last record", func(b []byte) []byte { b[len(b)-1] ^= 0xff; return b }, 2},
		{"absurd length", func(b []byte) []byte { return append(b, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0) }, 3},
		{"zeroed tail", func(b []byte) []byte { return append(b, make([]byte, 64)...) }, 3},
		{"bad magic", func(b []byte) []byte { b[0] = 'X'; return b }, 0},
		{"empty file", func(b []byte) []byte { return nil }, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			s, err := OpenSpool(SpoolOptions{Dir: dir, Logger: quiet, Lanes: 1})
			if err != nil {
				t.Fatal(err)
			}
			for _, rec := range []string{"one", "two", "three"} {
				if err := s.Append([]byte(rec)); err != nil {
					t.Fatal(err)
				}
			}
			s.Close()
			seg := filepath.Join(dir, fmt.Sprintf("%020d%s", 1, segmentExt))
			b, _ := os.ReadFile(seg)
			os.WriteFile(seg, tt.corrupt(b), 0o600)
			s, err = OpenSpool(SpoolOptions{Dir: dir, Logger: quiet})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			var got []string
			if err := s.ReadSegment(1, func(rec []byte) error { got = append(got, string(rec)); return nil }); err != nil {
				t.Fatal(err)
			}
			if len(got) != tt.want {
				t.Fatalf("read %v, want %d records", got, tt.want)
			}
		})
	}
}

// TestSpoolGroupCommit: concurrent appends all land, in one segment, and
// the folder lock keeps a second process out.
func TestSpoolGroupCommit(t *testing.T) {
	dir := t.TempDir()
	s, err := OpenSpool(SpoolOptions{Dir: dir, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := OpenSpool(SpoolOptions{Dir: dir, Logger: quiet}); err == nil {
		t.Fatal("a second spool opened the same folder")
	}
	var wg sync.WaitGroup
	for g := 0; g < 32; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < 50; i++ {
				if err := s.Append([]byte(fmt.Sprintf("%d-%d", g, i))); err != nil {
					t.Error(err)
				}
			}
		}(g)
	}
	wg.Wait()
	if err := s.Seal(); err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, id := range s.Sealed() {
		s.ReadSegment(id, func(rec []byte) error { seen[string(rec)] = true; return nil })
	}
	if len(seen) != 32*50 {
		t.Fatalf("read %d distinct records, want %d", len(seen), 32*50)
	}
	s.Close()
}

func TestRecordRoundTrip(t *testing.T) {
	r := Response{SurveyID: "s", ResponseID: uuid.New(), CreatedAt: time.Unix(1700000000, 0).UTC(), Version: 42, Score: 7,
		Reasons: []string{"a", "b"}, Comment: "ünïcode, \x00 and all", Channel: "widget", Respondent: "cust-1",
		Properties: map[string]string{"plan": "pro"}, Unconfirmed: true, Flags: "scanner_ua"}
	got, err := decodeResponse(encodeResponse(nil, &r))
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprintf("%+v", got) != fmt.Sprintf("%+v", r) {
		t.Fatalf("round trip:\n got %+v\nwant %+v", got, r)
	}
	enc := encodeResponse(nil, &r)
	for i := 0; i < len(enc); i++ { // every truncation is an error, never a panic
		if _, err := decodeResponse(enc[:i]); err == nil {
			t.Fatalf("truncated record of %d bytes decoded", i)
		}
	}
	// A record of the previous layout (kind 1, no confirmation fields) is
	// still read, as confirmed.
	legacy := append([]byte{recordResponseV1}, enc[1:len(enc)-1-1-len(r.Flags)]...)
	if got, err := decodeResponse(legacy); err != nil || got.Unconfirmed || got.Flags != "" || got.Comment != r.Comment {
		t.Fatalf("older record: %+v, %v", got, err)
	}
}

func TestDismissalsAndLastContact(t *testing.T) {
	db := OpenTestDB(t, "heed_test_analytics_contact")
	ctx := context.Background()
	w := newTestWriter(t, db, WriterOptions{FlushInterval: time.Hour})
	d := Dismissal{SurveyID: "c", DismissalID: uuid.New(), Respondent: "cust-1"}
	if got, err := decodeDismissal(encodeDismissal(nil, &d)); err != nil || got.DismissalID != d.DismissalID || got.Respondent != "cust-1" {
		t.Fatalf("round trip: %+v %v", got, err)
	}
	if err := w.AddDismissal(d); err != nil {
		t.Fatal(err)
	}
	if err := w.Add(Response{SurveyID: "c", ResponseID: uuid.New(), Score: 4, Comment: "meh", Respondent: "cust-2", Channel: "widget"}); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(ctx); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		respondent          string
		answered, dismissed bool
	}{
		{"cust-1", false, true},
		{"cust-2", true, false},
		{"nobody", false, false},
	}
	for _, tt := range tests {
		a, dm, err := db.LastContact(ctx, "c", tt.respondent)
		if err != nil {
			t.Fatal(err)
		}
		if a.IsZero() == tt.answered || dm.IsZero() == tt.dismissed {
			t.Errorf("%s: answered %v dismissed %v", tt.respondent, a, dm)
		}
	}
	now := time.Now()
	answers, err := db.ListAnswers(ctx, ReportQuery{Survey: &Survey{ID: "c"}, From: now.Add(-time.Hour), To: now.Add(time.Hour)}, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(answers) != 1 || answers[0].Comment != "meh" || answers[0].Score != 4 || answers[0].Channel != "widget" {
		t.Fatalf("answers = %+v", answers)
	}
}

// TestWriterKeepsInsertedAndQuarantines: inserted segments stay (.done) for
// a while and are replayed by the next run; a segment this version cannot
// read is set aside and does not block the ones after it.
func TestWriterKeepsInsertedAndQuarantines(t *testing.T) {
	db := OpenTestDB(t, "heed_test_analytics_keep")
	dir := t.TempDir()
	spool, err := OpenSpool(SpoolOptions{Dir: dir, Logger: quiet, Lanes: 1})
	if err != nil {
		t.Fatal(err)
	}
	// Segment 1: a record of an unknown future kind (valid checksum).
	spool.Append([]byte{99, 1, 2, 3})
	spool.Seal()
	// Segment 2: a good answer.
	good := Response{SurveyID: "keep", ResponseID: uuid.New(), CreatedAt: time.Now(), Version: 1, Score: 9, Channel: "api"}
	spool.Append(encodeResponse(nil, &good))
	spool.Close()

	w := newTestWriter(t, db, WriterOptions{SpoolDir: dir, FlushInterval: 20 * time.Millisecond})
	waitRows(t, db, "keep", 1)
	if err := w.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if bad, _ := filepath.Glob(filepath.Join(dir, "*.bad")); len(bad) != 1 {
		t.Fatalf("quarantined segments: %v", bad)
	}
	if done, _ := filepath.Glob(filepath.Join(dir, "*.done")); len(done) != 1 {
		t.Fatalf("kept inserted segments: %v", done)
	}
	// The next run inserts the kept segment again: harmless, counted once.
	w = newTestWriter(t, db, WriterOptions{SpoolDir: dir, FlushInterval: 20 * time.Millisecond, KeepInserted: -1})
	waitRows(t, db, "keep", 2)
	w.Close(context.Background())
	sv := &Survey{ID: "keep"}
	now := time.Now()
	rep, err := db.Report(context.Background(), ReportQuery{Survey: sv, From: now.AddDate(0, 0, -1), To: now.AddDate(0, 0, 1), Interval: Day})
	if err != nil || rep.Total.Responses != 1 {
		t.Fatalf("report after replay: %+v %v", rep.Total, err)
	}
	if left, _ := filepath.Glob(filepath.Join(dir, "*.done")); len(left) != 0 {
		t.Fatalf("done segments not purged: %v", left)
	}
}
