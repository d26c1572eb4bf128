package clickhouse_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"heed/analytics"
	"heed/analytics/clickhouse/chtest"
)

func testSurvey() *analytics.Survey {
	return &analytics.Survey{ID: "rep", Name: "Report", Reasons: []analytics.Reason{
		{ID: "rude_service", Label: "Rude or unhelpful service"},
		{ID: "price", Label: "Price"},
	}}
}

func response(sv, id string, at time.Time, version uint64, score uint8, reasons ...string) analytics.Response {
	return analytics.Response{SurveyID: sv, ResponseID: uuid.MustParse(id), CreatedAt: at, Version: version,
		Score: score, Reasons: reasons, Channel: "api"}
}

// TestReport checks the report against figures computed by hand, across
// weeks, with duplicate rows and follow-ups that must count once.
func TestReport(t *testing.T) {
	db := chtest.Open(t, "heed_test_ch_report")
	ctx := context.Background()
	sv := testSurvey()
	mon := time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC) // a Monday
	id := func(n int) string { return uuid.NewSHA1(uuid.Nil, []byte{byte(n)}).String() }
	rows := []analytics.Response{
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
	rep, err := db.Report(ctx, analytics.ReportQuery{Survey: sv, From: mon.Truncate(24 * time.Hour), To: mon.Truncate(24*time.Hour).AddDate(0, 0, 21), Interval: analytics.Week})
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
	check := func(got analytics.Period, w want) {
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

	for _, iv := range []analytics.Interval{analytics.Day, analytics.Month} {
		r, err := db.Report(ctx, analytics.ReportQuery{Survey: sv, From: mon.Truncate(24 * time.Hour), To: mon.Truncate(24*time.Hour).AddDate(0, 0, 21), Interval: iv})
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
	db := chtest.Open(t, "heed_test_ch_confirm")
	ctx := context.Background()
	sv := testSurvey()
	at := time.Date(2026, 11, 3, 9, 0, 0, 0, time.UTC)
	id := func(n int) string { return uuid.NewSHA1(uuid.Nil, []byte{byte(n), 7}).String() }
	scanner := func(r analytics.Response) analytics.Response { r.Unconfirmed, r.Flags = true, "scanner_ua"; return r }
	rows := []analytics.Response{
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
		rep, err := db.Report(ctx, analytics.ReportQuery{Survey: sv, From: at.Truncate(24 * time.Hour), To: at.AddDate(0, 0, 1), Interval: analytics.Day, IncludeUnconfirmed: tt.include})
		if err != nil {
			t.Fatal(err)
		}
		if rep.Total.Responses != tt.n || rep.Total.Detractors != tt.detractors || rep.Total.Reasons["rude_service"].ShareOfDetractors != tt.rudeDetractors {
			t.Errorf("include=%v: total %+v", tt.include, rep.Total)
		}
	}
	answers, err := db.ListAnswers(ctx, analytics.ReportQuery{Survey: &analytics.Survey{ID: "rep"}, From: at.Add(-time.Hour), To: at.Add(time.Hour)}, 10)
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
	db := chtest.Open(t, "heed_test_ch_boundary")
	ctx := context.Background()
	sv := testSurvey()
	id := uuid.NewString()
	jan31 := time.Date(2026, 1, 31, 23, 59, 58, 0, time.UTC)
	feb1 := time.Date(2026, 2, 1, 0, 0, 1, 0, time.UTC)
	if err := db.InsertResponses(ctx, []analytics.Response{
		response("rep", id, jan31, 1, 2),
		response("rep", id, feb1, 2, 10),
	}); err != nil {
		t.Fatal(err)
	}
	month := func(from time.Time, months int) analytics.Period {
		rep, err := db.Report(ctx, analytics.ReportQuery{Survey: sv, From: from, To: from.AddDate(0, months, 0), Interval: analytics.Month})
		if err != nil {
			t.Fatal(err)
		}
		return rep.Total
	}
	jan, feb, both := month(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), 1), month(time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC), 1), month(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), 2)
	if jan.Responses != 1 || jan.Promoters != 1 || feb.Responses != 0 || both.Responses != 1 || both.Promoters != 1 {
		t.Fatalf("january %+v, february %+v, both %+v: want one promoter, in January", jan, feb, both)
	}
	answers, err := db.ListAnswers(ctx, analytics.ReportQuery{Survey: &analytics.Survey{ID: "rep"}, From: time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC), To: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)}, 10)
	if err != nil || len(answers) != 0 {
		t.Fatalf("february answers: %v %v", answers, err)
	}
}

// TestReportTrustsCountsWhileMarksHold checks both sides of the rule that
// lets a report use answer_days: a count serves while the day's marks are
// those it was counted at (a count made 100 times too big shows, which
// proves the report read it), also after a merge, and not once an answer
// of the day came.
func TestReportTrustsCountsWhileMarksHold(t *testing.T) {
	db := chtest.Open(t, "heed_test_ch_trust")
	ctx := context.Background()
	sv := testSurvey()
	day := time.Date(2026, 10, 6, 0, 0, 0, 0, time.UTC)
	id := func(n int) string { return uuid.NewSHA1(uuid.Nil, []byte{byte(n)}).String() }
	total := func(stage string, want int) {
		t.Helper()
		rep, err := db.Report(ctx, analytics.ReportQuery{Survey: sv, From: day.AddDate(0, 0, -1), To: day.AddDate(0, 0, 3), Interval: analytics.Week})
		if err != nil {
			t.Fatal(err)
		}
		if rep.Total.Responses != want {
			t.Errorf("%s: %d responses, want %d", stage, rep.Total.Responses, want)
		}
	}
	refresh := func() {
		t.Helper()
		if _, err := db.RefreshDays(ctx); err != nil {
			t.Fatal(err)
		}
	}
	// Counts of the day made 100 times too big, with the same parts.
	inflate := func() {
		t.Helper()
		if err := db.Exec(ctx, `INSERT INTO answer_days (survey_id, day, computed, mark_rows, mark_versions, score, reasons, confirmed,
			responses, seg_score, seg_reasons, seg_confirmed, seg_channel, seg_keys, seg_values, seg_responses)
			SELECT survey_id, day, computed + 1, mark_rows, mark_versions, score, reasons, confirmed,
			arrayMap(n -> n * 100, responses), seg_score, seg_reasons, seg_confirmed, seg_channel, seg_keys, seg_values,
			arrayMap(n -> n * 100, seg_responses) FROM answer_days FINAL WHERE survey_id = 'rep'`); err != nil {
			t.Fatal(err)
		}
	}
	for i, at := range []time.Time{day.Add(time.Hour), day.Add(2 * time.Hour)} {
		if err := db.InsertResponses(ctx, []analytics.Response{response("rep", id(i), at, 1, 9)}); err != nil {
			t.Fatal(err)
		}
	}
	total("nothing counted", 2)
	refresh()
	total("counted", 2)
	inflate()
	total("inflated counts, same marks", 200)

	// An answer of another day leaves the count standing; one of the day does not.
	if err := db.InsertResponses(ctx, []analytics.Response{response("rep", id(5), day.AddDate(0, 0, 2), 1, 9)}); err != nil {
		t.Fatal(err)
	}
	total("an answer of another day", 201)
	if err := db.InsertResponses(ctx, []analytics.Response{response("rep", id(6), day.Add(3*time.Hour), 1, 9)}); err != nil {
		t.Fatal(err)
	}
	total("an answer of the day", 4)

	refresh()
	// The report before found the day stale, so this one reads it raw at
	// once (hints.go), and finds its count current: the next one uses it.
	total("counted again", 4)
	inflate()
	total("counted and inflated again", 400)
	if err := db.Exec(ctx, "OPTIMIZE TABLE answers FINAL"); err != nil {
		t.Fatal(err)
	}
	total("merged: the counts still serve", 400)
	if n, err := db.RefreshDays(ctx); err != nil || n != 0 {
		t.Errorf("after the merge RefreshDays counted %d days (%v), want none", n, err)
	}
}

// TestTodayCounted: RefreshDays counts today too, and once a report found
// today's count current the next ones use it (a count made 100 times too
// big shows), until an answer of today comes: that report reads today raw
// in a second round and the next ones at once, exact throughout.
func TestTodayCounted(t *testing.T) {
	db := chtest.Open(t, "heed_test_ch_today")
	ctx := context.Background()
	now := time.Now().UTC()
	today := now.Truncate(24 * time.Hour)
	if now.Sub(today) < 2*time.Minute {
		t.Skip("too close to midnight: the answers of today would be of two days")
	}
	id := func(n int) string { return uuid.NewSHA1(uuid.Nil, []byte{byte(n)}).String() }
	insert := func(rs ...analytics.Response) {
		t.Helper()
		if err := db.InsertResponses(ctx, rs); err != nil {
			t.Fatal(err)
		}
	}
	insert(response("rep", id(1), now.Add(-time.Minute), 1, 9), response("rep", id(2), today.AddDate(0, 0, -40), 1, 3))
	if _, err := db.RefreshDays(ctx); err != nil {
		t.Fatal(err)
	}
	var todays, before uint64
	if err := db.QueryRow(ctx, "SELECT toUInt64(countIf(day = toDate(?))), toUInt64(countIf(day < toDate(?))) FROM answer_days",
		today.Format(time.DateOnly), today.Format(time.DateOnly)).Scan(&todays, &before); err != nil {
		t.Fatal(err)
	}
	if todays != 1 || before != 1 {
		t.Errorf("answer_days holds %d counts of today, %d before; want 1 and 1", todays, before)
	}
	total := func(stage string, want int) {
		t.Helper()
		rep, err := db.Report(ctx, analytics.ReportQuery{Survey: testSurvey(), From: today.AddDate(0, 0, -60), To: today.AddDate(0, 0, 1), Interval: analytics.Month})
		if err != nil {
			t.Fatal(err)
		}
		if rep.Total.Responses != want {
			t.Errorf("%s: %d responses, want %d", stage, rep.Total.Responses, want)
		}
	}
	total("today read raw, found counted", 2)
	if err := db.Exec(ctx, `INSERT INTO answer_days (survey_id, day, computed, mark_rows, mark_versions, score, reasons, confirmed,
		responses, seg_score, seg_reasons, seg_confirmed, seg_channel, seg_keys, seg_values, seg_responses)
		SELECT survey_id, day, computed + 1, mark_rows, mark_versions, score, reasons, confirmed,
		arrayMap(n -> n * 100, responses), seg_score, seg_reasons, seg_confirmed, seg_channel, seg_keys, seg_values,
		arrayMap(n -> n * 100, seg_responses) FROM answer_days FINAL WHERE survey_id = 'rep' AND day = toDate(?)`, today.Format(time.DateOnly)); err != nil {
		t.Fatal(err)
	}
	total("today's count used", 101)
	insert(response("rep", id(3), now.Add(-30*time.Second), 1, 9))
	total("an answer of today: read raw in a second round", 3)
	total("and at once", 3)
	if _, err := db.RefreshDays(ctx); err != nil {
		t.Fatal(err)
	}
	total("counted again", 3)
}

// TestReportStatistics checks the statistics of a report on the real store
// against figures worked out by hand from the rows inserted: two weeks of
// 200 answers each, NPS 25 then 5, rude service cited by 10 of 40
// detractors then 30 of 60; both before and after the days are counted.
func TestReportStatistics(t *testing.T) {
	db := chtest.Open(t, "heed_test_ch_stats")
	ctx := context.Background()
	sv := testSurvey()
	mon := time.Date(2026, 10, 5, 0, 0, 0, 0, time.UTC) // a Monday
	var rows []analytics.Response
	n := 0
	add := func(week int, score uint8, count int, channel string, reasons ...string) {
		for i := 0; i < count; i++ {
			n++
			at := mon.AddDate(0, 0, 7*week).Add(time.Duration(n) * time.Minute)
			r := response("rep", uuid.NewSHA1(uuid.Nil, []byte(fmt.Sprint(n))).String(), at, uint64(at.UnixNano()), score, reasons...)
			r.Channel = channel
			rows = append(rows, r)
		}
	}
	// Week 0: 90 promoters, 70 passives, 40 detractors (10 citing rude service).
	add(0, 10, 60, "email")
	add(0, 9, 30, "widget")
	add(0, 8, 70, "widget")
	add(0, 3, 10, "email", "rude_service")
	add(0, 2, 30, "widget")
	// Week 1: 70, 70, 60 (30 citing rude service).
	add(1, 9, 70, "email")
	add(1, 7, 70, "email")
	add(1, 0, 30, "widget", "rude_service")
	add(1, 5, 30, "widget", "price")
	// An unconfirmed click and a follow-up change nothing of these counts:
	// the click is skipped, the follow-up replaces its response's answer.
	click := response("rep", uuid.New().String(), mon.Add(time.Hour), 1, 0, "rude_service")
	click.Unconfirmed = true
	followUp := rows[0] // a 10 of week 0 answered again with another 10
	followUp.Version++
	rows = append(rows, click, followUp)
	if err := db.InsertResponses(ctx, rows); err != nil {
		t.Fatal(err)
	}
	q := analytics.ReportQuery{Survey: sv, From: mon, To: mon.AddDate(0, 0, 14), Interval: analytics.Week}
	for _, stage := range []string{"raw", "counted"} {
		if stage == "counted" {
			if _, err := db.RefreshDays(ctx); err != nil {
				t.Fatal(err)
			}
		}
		rep, err := db.Report(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		w0, w1 := rep.Periods[0], rep.Periods[1]
		// Adjusted Wald, week 0: n' = 203, p' = 90.75/203, d' = 40.75/203:
		// 25 [14.1, 35.2] (the example). Week 1: n' = 203,
		// p' = 70.75/203, d' = 60.75/203, A = .04926, SE = .05638: 5 [-6.1, 16].
		if *w0.NPS != 25 || *w0.NPSCI95 != [2]float64{14.1, 35.2} || *w1.NPS != 5 || *w1.NPSCI95 != [2]float64{-6.1, 16} {
			t.Errorf("%s: NPS %v %v, %v %v", stage, *w0.NPS, *w0.NPSCI95, *w1.NPS, *w1.NPSCI95)
		}
		if w0.SmallSample || w1.SmallSample || w0.Change != nil || w1.Change == nil {
			t.Fatalf("%s: small %v %v, change %v %v", stage, w0.SmallSample, w1.SmallSample, w0.Change, w1.Change)
		}
		// -20 points, SE = sqrt(.0028922 + .0031187): [-35.3, -4.7], z = -2.57.
		if c := *w1.Change.NPS; c.Diff != -20 || c.CI95 != [2]float64{-35.3, -4.7} || c.Z != -2.57 || !c.Significant {
			t.Errorf("%s: NPS change %+v", stage, c)
		}
		// Rude service among detractors: 10/40 (Wilson [.1419, .4019]) then
		// 30/60 (Wilson [.3773, .6227]); pooled 40/100, z = .25/sqrt(.24·(1/40+1/60)) = 2.50.
		r0, r1 := w0.Reasons["rude_service"].Among["detractors"], w1.Reasons["rude_service"].Among["detractors"]
		if r0.Cited != 10 || r0.Of != 40 || *r0.CI95 != [2]float64{0.1419, 0.4019} || r1.Cited != 30 || r1.Of != 60 || *r1.CI95 != [2]float64{0.3773, 0.6227} {
			t.Errorf("%s: rude service among detractors %+v %v, %+v %v", stage, r0, *r0.CI95, r1, *r1.CI95)
		}
		if c := w1.Change.Reasons["rude_service"]["detractors"]; c.Diff != 0.25 || c.Z != 2.5 || !c.Significant {
			t.Errorf("%s: rude service change %+v", stage, c)
		}
		// Price among detractors: 0/40 then 30/60, among all 0/200 then 30/200.
		if c := w1.Change.Reasons["price"]["all"]; c.Diff != 0.15 || !c.Significant {
			t.Errorf("%s: price change among all %+v", stage, c)
		}
		// Nobody but detractors cited a reason: no change among promoters.
		if c := w1.Change.Reasons["rude_service"]["promoters"]; c.Diff != 0 || c.Significant {
			t.Errorf("%s: rude service among promoters %+v", stage, c)
		}
	}
	// By channel: week 0 email 60 P + 10 D, widget 30 P + 70 Pa + 30 D.
	q.GroupBy = analytics.GroupBy{Channel: true}
	rep, err := db.Report(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	segs := map[string]analytics.Segment{}
	for _, s := range rep.Segments {
		segs[s.Segment] = s
	}
	email, widget := segs["email"].Periods[0], segs["widget"].Periods[0]
	if len(segs) != 2 || email.Promoters != 60 || email.Detractors != 10 || email.Passives != 0 ||
		widget.Promoters != 30 || widget.Passives != 70 || widget.Detractors != 30 || rep.Total.Responses != 400 {
		t.Errorf("by channel: %+v", rep.Segments)
	}
	// In New York (UTC-4 in October) a week begins at 04:00 UTC on Monday.
	ny, _ := time.LoadLocation("America/New_York")
	q = analytics.ReportQuery{Survey: sv, From: time.Date(2026, 9, 28, 0, 0, 0, 0, ny), To: time.Date(2026, 10, 19, 0, 0, 0, 0, ny), Interval: analytics.Week, Location: ny}
	if rep, err = db.Report(ctx, q); err != nil {
		t.Fatal(err)
	}
	// Answer n is n minutes after midnight UTC on its week's Monday: all
	// 200 of week 0 (n <= 200) are Sunday in New York, so are the first 39
	// of week 1 (n = 201..239), whose 70 promoters come first.
	p := rep.Periods
	if len(p) != 3 || p[0].Start != "2026-09-28" || p[0].Responses != 200 || p[1].Responses != 39 || p[1].Promoters != 39 ||
		p[2].Responses != 161 || rep.Total.Responses != 400 {
		t.Errorf("New York weeks: %+v", p)
	}
}

// TestFirstAnswersOfALargeBatch: a batch of 5,000 follow-ups of responses
// first answered the day before, in surveys with long ids, finds every
// first answer in one insert (the lookup's lists once outgrew the query
// size ClickHouse accepts, and the writer could not flush after an outage),
// and each response keeps its first day.
func TestFirstAnswersOfALargeBatch(t *testing.T) {
	db := chtest.Open(t, "heed_test_ch_first_batch")
	ctx := context.Background()
	day := time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC)
	surveys := []string{strings.Repeat("a", 60), strings.Repeat("b", 60)}
	var firsts, follows []analytics.Response
	for i := range 5000 {
		sv, id := surveys[i%2], uuid.NewString()
		firsts = append(firsts, response(sv, id, day, 1, 3))
		follows = append(follows, response(sv, id, day.AddDate(0, 0, 1), 2, 9))
	}
	if err := db.InsertResponses(ctx, firsts); err != nil {
		t.Fatal(err)
	}
	if err := db.InsertResponses(ctx, follows); err != nil {
		t.Fatalf("5,000 follow-ups in one batch: %v", err)
	}
	var n, days uint64
	if err := db.QueryRow(ctx, "SELECT count(), uniqExact(toDate(created_at)) FROM answers").Scan(&n, &days); err != nil {
		t.Fatal(err)
	}
	if n != 10000 || days != 1 {
		t.Fatalf("%d rows over %d days, want 10000 rows on the first answers' day", n, days)
	}
}
