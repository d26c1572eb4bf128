package ingest

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/uuid"

	"heed/analytics"
	"heed/analytics/clickhouse/chtest"
	"heed/analytics/spool"
)

var quiet = slog.New(slog.DiscardHandler)

func newTestWriter(t *testing.T, sink analytics.ResponseSink, opts Options) *Writer {
	t.Helper()
	if opts.SpoolDir == "" {
		opts.SpoolDir = t.TempDir()
	}
	opts.Logger = quiet
	w, err := New(sink, opts)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

func TestWriterDedupesAndFlushesOnClose(t *testing.T) {
	db := chtest.Open(t, "heed_test_ingest_writer")
	ctx := context.Background()
	// A long interval and a big batch: only Close can write these rows.
	w := newTestWriter(t, db, Options{FlushInterval: time.Hour, BatchSize: 1_000_000})
	id := uuid.New()
	if err := w.Add(analytics.Response{SurveyID: "w", ResponseID: id, Score: 3, Channel: "api"}); err != nil {
		t.Fatal(err)
	}
	// The follow-up replaces the score and must keep the first answer's time.
	if err := w.Add(analytics.Response{SurveyID: "w", ResponseID: id, Score: 9, Reasons: []string{"price"}, Channel: "api",
		Properties: map[string]string{"plan": "pro", "country": "FR"}}); err != nil {
		t.Fatal(err)
	}
	if err := w.Add(analytics.Response{SurveyID: "w", ResponseID: uuid.New(), Score: 10, Channel: "api"}); err != nil {
		t.Fatal(err)
	}
	if n, _ := db.CountRows(ctx, "answers", "w"); n != 0 {
		t.Fatalf("rows written before Close: %d", n)
	}
	if err := w.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if err := w.Add(analytics.Response{SurveyID: "w", ResponseID: uuid.New()}); err != ErrClosed {
		t.Fatalf("Add after Close = %v", err)
	}
	if n, _ := db.CountRows(ctx, "answers", "w"); n != 3 {
		t.Fatalf("raw rows = %d, want 3", n)
	}
	var distinctTimes uint64
	if err := db.QueryRow(ctx, "SELECT uniqExact(created_at) FROM answers WHERE response_id = ?", id).Scan(&distinctTimes); err != nil {
		t.Fatal(err)
	}
	if distinctTimes != 1 {
		t.Errorf("follow-up got a new created_at")
	}
	var keys, values []string
	if err := db.QueryRow(ctx, "SELECT property_keys, property_values FROM answers WHERE response_id = ? AND score = 9", id).Scan(&keys, &values); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(keys, values) != "[country plan] [FR pro]" {
		t.Errorf("properties stored as %v %v", keys, values)
	}
	sv := &analytics.Survey{ID: "w", Reasons: []analytics.Reason{{ID: "price", Label: "Price"}}}
	now := time.Now().UTC()
	rep, err := db.Report(ctx, analytics.ReportQuery{Survey: sv, From: now.AddDate(0, 0, -1), To: now.AddDate(0, 0, 1), Interval: analytics.Day})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Total.Responses != 2 || rep.Total.Promoters != 2 || rep.Total.Reasons["price"].Count != 1 {
		t.Fatalf("total = %+v, want 2 promoters, price cited once", rep.Total)
	}
}

func TestWriterFlushesOnTimeAndSize(t *testing.T) {
	db := chtest.Open(t, "heed_test_ingest_writer2")
	tests := []struct {
		name   string
		opts   Options
		rows   int
		survey string
	}{
		{"by time", Options{FlushInterval: 50 * time.Millisecond, BatchSize: 1_000_000}, 3, "t"},
		{"by size", Options{FlushInterval: time.Hour, BatchSize: 10}, 10, "s"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newTestWriter(t, db, tt.opts)
			defer w.Close(context.Background())
			for i := 0; i < tt.rows; i++ {
				if err := w.Add(analytics.Response{SurveyID: tt.survey, ResponseID: uuid.New(), Score: 5, Channel: "api"}); err != nil {
					t.Fatal(err)
				}
			}
			db.WaitRows(t, "answers", tt.survey, uint64(tt.rows))
		})
	}
}

// TestWriterSurvivesClickHouseErrors: while inserts fail, answers are still
// accepted into the spool; when inserts work again the backlog drains.
func TestWriterSurvivesClickHouseErrors(t *testing.T) {
	db := chtest.Open(t, "heed_test_ingest_writer3")
	ctx := context.Background()
	if err := db.Exec(ctx, "RENAME TABLE answers TO answers_away"); err != nil {
		t.Fatal(err)
	}
	w := newTestWriter(t, db, Options{FlushInterval: 10 * time.Millisecond, MaxBackoff: 20 * time.Millisecond})
	for i := 0; i < 50; i++ {
		if err := w.Add(analytics.Response{SurveyID: "f", ResponseID: uuid.New(), Channel: "api"}); err != nil {
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
	if err := db.Exec(ctx, "RENAME TABLE answers_away TO answers"); err != nil {
		t.Fatal(err)
	}
	db.WaitRows(t, "answers", "f", 50)
	if err := w.Close(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestWriterSpoolFull(t *testing.T) {
	db := chtest.Open(t, "heed_test_ingest_writer4")
	// Room for the header and a few records only, and no flush.
	w := newTestWriter(t, db, Options{MaxSpoolBytes: 300, FlushInterval: time.Hour, BatchSize: 1_000_000})
	var full int
	for i := 0; i < 20; i++ {
		err := w.Add(analytics.Response{SurveyID: "full", ResponseID: uuid.New(), Channel: "api"})
		switch {
		case errors.Is(err, ErrFull):
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
	db.WaitRows(t, "answers", "full", uint64(20-full))
}

// TestWriterReplaysSpool: segments left by a process that died are inserted
// by the next one; a segment with a torn tail keeps its intact records.
func TestWriterReplaysSpool(t *testing.T) {
	db := chtest.Open(t, "heed_test_ingest_replay")
	dir := t.TempDir()
	sp, err := spool.Open(spool.Options{Dir: dir, Logger: quiet, Lanes: 1})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 5; i++ {
		r := analytics.Response{SurveyID: "replay", ResponseID: uuid.New(), CreatedAt: time.Now(), Version: 1, Score: 9, Channel: "api"}
		if err := sp.Append(encodeResponse(nil, &r)); err != nil {
			t.Fatal(err)
		}
	}
	// Stop without sealing: the segment stays on disk as a crash leaves it
	// (every record fsynced). Simulate a crash in the middle of a sixth
	// write by appending half a record.
	sp.Close()
	seg := filepath.Join(dir, fmt.Sprintf("%020d%s", 1, ".seg"))
	f, err := os.OpenFile(seg, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.Write([]byte{200, 0, 0, 0, 1, 2, 3, 4, 5, 6})
	f.Close()

	// BatchSize 2: the segment of 5 goes in as inserts of 2, 2 and 1.
	w := newTestWriter(t, db, Options{SpoolDir: dir, FlushInterval: 20 * time.Millisecond, BatchSize: 2, KeepInserted: -1})
	db.WaitRows(t, "answers", "replay", 5)
	if err := w.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	left, _ := filepath.Glob(filepath.Join(dir, "*"+".seg"))
	if len(left) != 0 {
		t.Fatalf("segments left after replay: %v", left)
	}
}

func TestRecordRoundTrip(t *testing.T) {
	r := analytics.Response{SurveyID: "s", ResponseID: uuid.New(), CreatedAt: time.Unix(1700000000, 0).UTC(), Version: 42, Score: 7,
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
	db := chtest.Open(t, "heed_test_ingest_contact")
	ctx := context.Background()
	w := newTestWriter(t, db, Options{FlushInterval: time.Hour})
	d := analytics.Dismissal{SurveyID: "c", DismissalID: uuid.New(), Respondent: "cust-1"}
	if got, err := decodeDismissal(encodeDismissal(nil, &d)); err != nil || got.DismissalID != d.DismissalID || got.Respondent != "cust-1" {
		t.Fatalf("round trip: %+v %v", got, err)
	}
	if err := w.AddDismissal(d); err != nil {
		t.Fatal(err)
	}
	if err := w.Add(analytics.Response{SurveyID: "c", ResponseID: uuid.New(), Score: 4, Comment: "meh", Respondent: "cust-2", Channel: "widget"}); err != nil {
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
	answers, err := db.ListAnswers(ctx, analytics.ReportQuery{Survey: &analytics.Survey{ID: "c"}, From: now.Add(-time.Hour), To: now.Add(time.Hour)}, 10)
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
	db := chtest.Open(t, "heed_test_ingest_keep")
	dir := t.TempDir()
	sp, err := spool.Open(spool.Options{Dir: dir, Logger: quiet, Lanes: 1})
	if err != nil {
		t.Fatal(err)
	}
	// Segment 1: a record of an unknown future kind (valid checksum).
	sp.Append([]byte{99, 1, 2, 3})
	sp.Seal()
	// Segment 2: a good answer.
	good := analytics.Response{SurveyID: "keep", ResponseID: uuid.New(), CreatedAt: time.Now(), Version: 1, Score: 9, Channel: "api"}
	sp.Append(encodeResponse(nil, &good))
	sp.Close()

	w := newTestWriter(t, db, Options{SpoolDir: dir, FlushInterval: 20 * time.Millisecond})
	db.WaitRows(t, "answers", "keep", 1)
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
	w = newTestWriter(t, db, Options{SpoolDir: dir, FlushInterval: 20 * time.Millisecond, KeepInserted: -1})
	db.WaitRows(t, "answers", "keep", 2)
	w.Close(context.Background())
	sv := &analytics.Survey{ID: "keep"}
	now := time.Now()
	rep, err := db.Report(context.Background(), analytics.ReportQuery{Survey: sv, From: now.AddDate(0, 0, -1), To: now.AddDate(0, 0, 1), Interval: analytics.Day})
	if err != nil || rep.Total.Responses != 1 {
		t.Fatalf("report after replay: %+v %v", rep.Total, err)
	}
	if left, _ := filepath.Glob(filepath.Join(dir, "*.done")); len(left) != 0 {
		t.Fatalf("done segments not purged: %v", left)
	}
}
