package analytics

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/google/uuid"
)

var quiet = slog.New(slog.DiscardHandler)

func TestMigrateIsRerunnable(t *testing.T) {
	db := OpenTestDB(t, "heed_test_analytics_migrate")
	ctx := context.Background()
	for i := 0; i < 2; i++ {
		if err := db.Migrate(ctx, quiet); err != nil {
			t.Fatalf("run %d: %v", i+1, err)
		}
	}
	pending, err := db.MigrationsPending(ctx)
	if err != nil || pending != 0 {
		t.Fatalf("pending = %d, %v; want 0", pending, err)
	}
	// A migration left dirty by a crash is run again and becomes clean.
	if err := db.markMigration(ctx, 2, true); err != nil {
		t.Fatal(err)
	}
	if pending, _ := db.MigrationsPending(ctx); pending != 1 {
		t.Fatalf("pending after dirty mark = %d, want 1", pending)
	}
	if err := db.Migrate(ctx, quiet); err != nil {
		t.Fatal(err)
	}
	if pending, _ := db.MigrationsPending(ctx); pending != 0 {
		t.Fatalf("pending after re-run = %d, want 0", pending)
	}
}

func TestSplitStatements(t *testing.T) {
	got := splitStatements("-- comment\nCREATE TABLE a (x UInt8)\nENGINE = Memory;\n\nCREATE TABLE b (y UInt8) ENGINE = Memory;\n")
	if len(got) != 2 || got[0] != "CREATE TABLE a (x UInt8)\nENGINE = Memory" || got[1] != "CREATE TABLE b (y UInt8) ENGINE = Memory" {
		t.Fatalf("got %q", got)
	}
}

func TestSurveysSaveLoad(t *testing.T) {
	db := OpenTestDB(t, "heed_test_analytics_surveys")
	ctx := context.Background()
	store := NewSurveys(db)
	now := time.Now().UTC().Truncate(time.Millisecond)
	sv := &Survey{ID: "s1", Name: "First", Question: "Q?", Reasons: []Reason{{ID: "price", Label: "Price"}}, CreatedAt: now, UpdatedAt: now}
	if err := store.Save(ctx, sv); err != nil {
		t.Fatal(err)
	}
	changed := *sv
	changed.Name = "Renamed"
	changed.UpdatedAt = now.Add(time.Second)
	if err := store.Save(ctx, &changed); err != nil {
		t.Fatal(err)
	}
	fresh := NewSurveys(db)
	if err := fresh.Load(ctx); err != nil {
		t.Fatal(err)
	}
	got, ok := fresh.Get("s1")
	if !ok || got.Name != "Renamed" || !got.HasReason("price") || got.HasReason("other") {
		t.Fatalf("loaded %+v, %v", got, ok)
	}
	if n := len(fresh.List()); n != 1 {
		t.Fatalf("List has %d surveys, want 1", n)
	}
}

func TestIntervalStart(t *testing.T) {
	ts := time.Date(2026, 11, 25, 17, 30, 0, 0, time.UTC) // a Wednesday
	tests := []struct {
		in       Interval
		start    string
		next     string
		nPeriods int // from ts to ts+60 days
	}{
		{Day, "2026-11-25", "2026-11-26", 61}, // the last day is partial
		{Week, "2026-11-23", "2026-11-30", 9},
		{Month, "2026-11-01", "2026-12-01", 3},
	}
	for _, tt := range tests {
		s := tt.in.Start(ts)
		if got := s.Format(time.DateOnly); got != tt.start {
			t.Errorf("%s start = %s, want %s", tt.in, got, tt.start)
		}
		if got := tt.in.Next(s).Format(time.DateOnly); got != tt.next {
			t.Errorf("%s next = %s, want %s", tt.in, got, tt.next)
		}
		if got := tt.in.Periods(ts, ts.AddDate(0, 0, 60)); got != tt.nPeriods {
			t.Errorf("%s periods = %d, want %d", tt.in, got, tt.nPeriods)
		}
	}
	// A Sunday belongs to the week that started the Monday before.
	if got := Week.Start(time.Date(2026, 11, 29, 23, 59, 59, 0, time.UTC)).Format(time.DateOnly); got != "2026-11-23" {
		t.Errorf("sunday week start = %s", got)
	}
}

func TestNPS(t *testing.T) {
	tests := []struct {
		p, pa, d    int
		nps, lo, hi float64
	}{
		// 10, 9, 3: mean 1/3, var = 1 - 1/9 = 8/9, se = sqrt(8/27) = 0.5443, half 1.0669
		{2, 0, 1, 33.3, -73.4, 100},
		{1, 1, 1, 0, -92.4, 92.4}, // var = 2/3, se = 0.4714, half = 0.9239
		{10, 0, 0, 100, 100, 100},
		{0, 0, 4, -100, -100, -100},
		// 60 P, 20 Pa, 20 D of 100: mean .4, var .8-.16=.64, se .08, half .1568
		{60, 20, 20, 40, 24.3, 55.7},
	}
	for _, tt := range tests {
		nps, lo, hi := NPS(tt.p, tt.pa, tt.d)
		if nps != tt.nps || lo != tt.lo || hi != tt.hi {
			t.Errorf("NPS(%d,%d,%d) = %v [%v,%v], want %v [%v,%v]", tt.p, tt.pa, tt.d, nps, lo, hi, tt.nps, tt.lo, tt.hi)
		}
	}
}

func testSurvey() *Survey {
	return &Survey{ID: "rep", Name: "Report", Reasons: []Reason{
		{ID: "rude_service", Label: "Rude or unhelpful service"},
		{ID: "price", Label: "Price"},
	}}
}

func response(sv, id string, at time.Time, version uint64, score uint8, reasons ...string) Response {
	return Response{SurveyID: sv, ResponseID: uuid.MustParse(id), CreatedAt: at, Version: version,
		Score: score, Reasons: reasons, Channel: "api"}
}

// TestReport checks the report against figures computed by hand, across
// weeks, with duplicate rows and follow-ups that must count once.
func TestReport(t *testing.T) {
	db := OpenTestDB(t, "heed_test_analytics_report")
	ctx := context.Background()
	sv := testSurvey()
	mon := time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC) // a Monday
	id := func(n int) string { return uuid.NewSHA1(uuid.Nil, []byte{byte(n)}).String() }
	rows := []Response{
		// Week of Nov 2: 10, 9, 3 (rude), and 0 (rude, price) answered first as 8.
		response("rep", id(1), mon, 1, 10),
		response("rep", id(2), mon.Add(time.Hour), 1, 9),
		response("rep", id(3), mon.Add(2*time.Hour), 1, 3, "rude_service"),
		response("rep", id(4), mon.Add(3*time.Hour), 1, 8),
		response("rep", id(4), mon.Add(3*time.Hour), 2, 0, "price", "rude_service"), // follow-up wins
		response("rep", id(3), mon.Add(2*time.Hour), 1, 3, "rude_service"),          // replayed duplicate
		// Week of Nov 9: one passive citing price.
		response("rep", id(5), mon.AddDate(0, 0, 8), 1, 7, "price"),
		// Week of Nov 16: nothing. Another survey and out-of-range rows are ignored.
		response("other", id(6), mon, 1, 0, "rude_service"),
		response("rep", id(7), mon.AddDate(0, 0, -1), 1, 0),
		response("rep", id(8), mon.AddDate(0, 0, 21), 1, 0),
		// Unknown reason ids (a reason removed from the survey) are not reported.
		response("rep", id(9), mon.AddDate(0, 0, 9), 1, 10, "gone"),
	}
	if err := db.InsertResponses(ctx, rows); err != nil {
		t.Fatal(err)
	}
	rep, err := db.Report(ctx, ReportQuery{Survey: sv, From: mon.Truncate(24 * time.Hour), To: mon.Truncate(24*time.Hour).AddDate(0, 0, 21), Interval: Week})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Periods) != 3 {
		t.Fatalf("periods = %d, want 3", len(rep.Periods))
	}
	type want struct {
		start              string
		n, p, pa, d        int
		nps                float64
		rude, rudeDet      float64
		priceN             int
		priceDet, priceAll float64
	}
	check := func(got Period, w want) {
		t.Helper()
		if got.Start != w.start || got.Responses != w.n || got.Promoters != w.p || got.Passives != w.pa || got.Detractors != w.d {
			t.Errorf("period %q: got %+v, want %+v", got.Start, got, w)
			return
		}
		if w.n == 0 {
			if got.NPS != nil || got.NPSCI95 != nil {
				t.Errorf("empty period %s has nps %v", got.Start, *got.NPS)
			}
		} else if *got.NPS != w.nps {
			t.Errorf("period %s nps = %v, want %v", got.Start, *got.NPS, w.nps)
		}
		r, p := got.Reasons["rude_service"], got.Reasons["price"]
		if r.ShareOfResponses != w.rude || r.ShareOfDetractors != w.rudeDet {
			t.Errorf("period %s rude = %+v, want all %v det %v", got.Start, r, w.rude, w.rudeDet)
		}
		if p.Count != w.priceN || p.ShareOfDetractors != w.priceDet || p.ShareOfResponses != w.priceAll {
			t.Errorf("period %s price = %+v, want %d det %v all %v", got.Start, p, w.priceN, w.priceDet, w.priceAll)
		}
		if _, ok := got.Reasons["gone"]; ok {
			t.Errorf("period %s reports unknown reason", got.Start)
		}
	}
	// Week 1: P=2 D=2 N=4 -> NPS 0; rude cited by 2 of 2 detractors; price by 1.
	check(rep.Periods[0], want{"2026-11-02", 4, 2, 0, 2, 0, 0.5, 1, 1, 0.5, 0.25})
	// Week 2: 7 (price) and 10: N=2, P=1 -> NPS 50; price 1 of 2 responses, no detractors.
	check(rep.Periods[1], want{"2026-11-09", 2, 1, 1, 0, 50, 0, 0, 1, 0, 0.5})
	check(rep.Periods[2], want{"2026-11-16", 0, 0, 0, 0, 0, 0, 0, 0, 0, 0})
	// Total: N=6, P=3, Pa=1, D=2 -> NPS 16.7.
	check(rep.Total, want{"", 6, 3, 1, 2, 16.7, 0.3333, 1, 2, 0.5, 0.3333})
	if rep.Total.Reasons["rude_service"].Count != 2 {
		t.Errorf("total rude count = %d, want 2", rep.Total.Reasons["rude_service"].Count)
	}

	for _, iv := range []Interval{Day, Month} {
		r, err := db.Report(ctx, ReportQuery{Survey: sv, From: mon.Truncate(24 * time.Hour), To: mon.Truncate(24*time.Hour).AddDate(0, 0, 21), Interval: iv})
		if err != nil {
			t.Fatalf("%s: %v", iv, err)
		}
		if r.Total.Responses != 6 {
			t.Errorf("%s total responses = %d, want 6", iv, r.Total.Responses)
		}
	}
}

// TestReportConfirmation: email scores recorded by a GET alone count only
// when asked, and never override what a person confirmed.
func TestReportConfirmation(t *testing.T) {
	db := OpenTestDB(t, "heed_test_analytics_confirm")
	ctx := context.Background()
	sv := testSurvey()
	at := time.Date(2026, 11, 3, 9, 0, 0, 0, time.UTC)
	id := func(n int) string { return uuid.NewSHA1(uuid.Nil, []byte{byte(n), 7}).String() }
	scanner := func(r Response) Response { r.Unconfirmed, r.Flags = true, "scanner_ua"; return r }
	rows := []Response{
		scanner(response("rep", id(1), at, 1, 0)), // a scanner alone: unconfirmed
		response("rep", id(2), at, 1, 3, "rude_service"),
		scanner(response("rep", id(2), at, 2, 10)), // a later scan must not win
	}
	if err := db.InsertResponses(ctx, rows); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		include        bool
		n, detractors  int
		rudeDetractors float64
	}{
		{false, 1, 1, 1},
		{true, 2, 2, 0.5},
	}
	for _, tt := range tests {
		rep, err := db.Report(ctx, ReportQuery{Survey: sv, From: at.Truncate(24 * time.Hour), To: at.AddDate(0, 0, 1), Interval: Day, IncludeUnconfirmed: tt.include})
		if err != nil {
			t.Fatal(err)
		}
		if rep.Total.Responses != tt.n || rep.Total.Detractors != tt.detractors || rep.Total.Reasons["rude_service"].ShareOfDetractors != tt.rudeDetractors {
			t.Errorf("include=%v: total %+v", tt.include, rep.Total)
		}
	}
	answers, err := db.ListAnswers(ctx, ReportQuery{Survey: &Survey{ID: "rep"}, From: at.Add(-time.Hour), To: at.Add(time.Hour)}, 10)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range answers {
		if a.ResponseID == id(2) && (a.Score != 3 || !a.Confirmed) {
			t.Errorf("confirmed answer overridden: %+v", a)
		}
		if a.ResponseID == id(1) && (a.Confirmed || a.Flags != "scanner_ua") {
			t.Errorf("scanner answer: %+v", a)
		}
	}
}

// TestReportFollowUpAcrossPeriods: a follow-up that lands in the next period
// (after a restart, the server no longer knows the first answer's time)
// still counts once, in the first answer's period, with the last answer.
func TestReportFollowUpAcrossPeriods(t *testing.T) {
	db := OpenTestDB(t, "heed_test_analytics_boundary")
	ctx := context.Background()
	sv := testSurvey()
	id := uuid.NewString()
	jan31 := time.Date(2026, 1, 31, 23, 59, 58, 0, time.UTC)
	feb1 := time.Date(2026, 2, 1, 0, 0, 1, 0, time.UTC)
	if err := db.InsertResponses(ctx, []Response{
		response("rep", id, jan31, 1, 2),
		response("rep", id, feb1, 2, 10),
	}); err != nil {
		t.Fatal(err)
	}
	month := func(from time.Time, months int) Period {
		rep, err := db.Report(ctx, ReportQuery{Survey: sv, From: from, To: from.AddDate(0, months, 0), Interval: Month})
		if err != nil {
			t.Fatal(err)
		}
		return rep.Total
	}
	jan, feb, both := month(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), 1), month(time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC), 1), month(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), 2)
	if jan.Responses != 1 || jan.Promoters != 1 || feb.Responses != 0 || both.Responses != 1 || both.Promoters != 1 {
		t.Fatalf("january %+v, february %+v, both %+v: want one promoter, in January", jan, feb, both)
	}
	answers, err := db.ListAnswers(ctx, ReportQuery{Survey: &Survey{ID: "rep"}, From: time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC), To: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)}, 10)
	if err != nil || len(answers) != 0 {
		t.Fatalf("february answers: %v %v", answers, err)
	}
}
