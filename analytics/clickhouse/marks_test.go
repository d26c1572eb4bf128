package clickhouse_test

import (
	"context"
	"fmt"
	"sort"
	"testing"
	"time"

	"github.com/google/uuid"

	"heed/analytics"
	"heed/analytics/clickhouse/chtest"
)

// countedSince lists the survey-days RefreshDays stored a count of after
// computed (a count's version is the time it was stored, in ns).
func countedSince(t *testing.T, db *chtest.DB, computed uint64) []string {
	t.Helper()
	rows, err := db.Query(context.Background(), "SELECT concat(survey_id, ' ', toString(day)) FROM answer_days WHERE computed > ? ORDER BY 1", computed)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	return out
}

// head is the first few of a long list, for a message.
func head(s []string) []string {
	if len(s) > 5 {
		return append(s[:5:5], "...")
	}
	return s
}

func refreshCount(t *testing.T, db *chtest.DB) (days int, statements int64, counted []string) {
	t.Helper()
	before, stamp := db.DaysStatements(), uint64(time.Now().UnixNano())
	n, err := db.RefreshDays(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return n, db.DaysStatements() - before, countedSince(t, db, stamp)
}

// TestLateFollowUpRecountsOneDay: with 10,000 surveys counted, one late
// follow-up to an old day of one survey makes the next RefreshDays count
// that survey's day and nothing else, in a few statements (not one per
// survey, nor per day).
func TestLateFollowUpRecountsOneDay(t *testing.T) {
	db := chtest.Open(t, "heed_test_ch_many")
	ctx := context.Background()
	base := time.Now().UTC().Truncate(24*time.Hour).AddDate(0, 0, -10)
	// 10,000 surveys m0..m9999, one response each on three days.
	if err := db.Exec(ctx, `INSERT INTO answers (survey_id, created_at, response_id, version, score, reasons, comment, channel,
		respondent, property_keys, property_values, confirmed, flags)
		SELECT concat('m', toString(number % 10000)), toDateTime(? + intDiv(number, 10000) * 86400 + 3600), generateUUIDv4(),
			toUInt64(?) + number, toUInt8(9 + number % 2), [], '', 'api', '', [], [], 1, ''
		FROM system.numbers LIMIT 30000`, base.Unix(), uint64(base.UnixNano())); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	n, statements, _ := refreshCount(t, db)
	if n != 30000 {
		t.Fatalf("first refresh counted %d survey-days, want 30000", n)
	}
	t.Logf("first refresh: 30000 survey-days in %d statements, %v", statements, time.Since(start).Round(time.Millisecond))
	if n, _, counted := refreshCount(t, db); n != 0 {
		t.Errorf("a refresh with nothing new counted %d survey-days (%v)", n, head(counted))
	}
	var id uuid.UUID
	if err := db.QueryRow(ctx, "SELECT response_id FROM answers WHERE survey_id = 'm42' AND toDate(created_at) = toDate(?)", base.Unix()).Scan(&id); err != nil {
		t.Fatal(err)
	}
	late := response("m42", id.String(), time.Now().UTC(), uint64(time.Now().UnixNano()), 0)
	if err := db.InsertResponses(ctx, []analytics.Response{late}); err != nil {
		t.Fatal(err)
	}
	start = time.Now()
	n, statements, counted := refreshCount(t, db)
	t.Logf("refresh after one late follow-up: %d survey-days in %d statements, %v", n, statements, time.Since(start).Round(time.Millisecond))
	want := []string{"m42 " + base.Format(time.DateOnly)}
	if n != 1 || fmt.Sprint(counted) != fmt.Sprint(want) {
		t.Errorf("after one late follow-up, RefreshDays counted %d survey-days %v, want %v", n, head(counted), want)
	}
	if statements > 6 {
		t.Errorf("RefreshDays sent %d statements for one survey-day, want at most 6", statements)
	}
	rep, err := db.Report(ctx, analytics.ReportQuery{Survey: &analytics.Survey{ID: "m42"}, From: base, To: base.AddDate(0, 0, 3), Interval: analytics.Day})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Total.Responses != 3 || rep.Total.Detractors != 1 {
		t.Errorf("report of m42: %d responses, %d detractors; want 3 and 1 (the follow-up's 0)", rep.Total.Responses, rep.Total.Detractors)
	}
}

// TestMergesKeepCounts: a merge changes how answers are stored, not what
// they are, so counts made before it still serve after it: RefreshDays
// counts nothing again, and a report reads the counts (made 100 times too
// big here, which shows that the report used them).
func TestMergesKeepCounts(t *testing.T) {
	db := chtest.Open(t, "heed_test_ch_merges")
	ctx := context.Background()
	day := time.Date(2026, 10, 6, 0, 0, 0, 0, time.UTC)
	for i := 0; i < 6; i++ { // six inserts: six parts, which the merge folds into one
		at := day.AddDate(0, 0, i%3).Add(time.Duration(i) * time.Hour)
		r := response("mg", uuid.NewSHA1(uuid.Nil, []byte{byte(i)}).String(), at, uint64(at.UnixNano()), 9)
		if err := db.InsertResponses(ctx, []analytics.Response{r}); err != nil {
			t.Fatal(err)
		}
	}
	if n, _, _ := refreshCount(t, db); n != 3 {
		t.Fatalf("first refresh counted %d days, want 3", n)
	}
	if err := db.Exec(ctx, "OPTIMIZE TABLE answers FINAL"); err != nil {
		t.Fatal(err)
	}
	if n, _, counted := refreshCount(t, db); n != 0 {
		t.Errorf("after OPTIMIZE TABLE answers FINAL, RefreshDays counted %d days again (%v), want none", n, counted)
	}
	if err := db.Exec(ctx, `INSERT INTO answer_days (survey_id, day, computed, mark_rows, mark_versions, score, reasons, confirmed, responses,
			seg_score, seg_reasons, seg_confirmed, seg_channel, seg_keys, seg_values, seg_responses)
		SELECT survey_id, day, computed + 1, mark_rows, mark_versions, score, reasons, confirmed,
			arrayMap(n -> n * 100, responses), seg_score, seg_reasons, seg_confirmed, seg_channel, seg_keys, seg_values,
			arrayMap(n -> n * 100, seg_responses) FROM answer_days FINAL WHERE survey_id = 'mg'`); err != nil {
		t.Fatal(err)
	}
	rep, err := db.Report(ctx, analytics.ReportQuery{Survey: &analytics.Survey{ID: "mg"}, From: day, To: day.AddDate(0, 0, 3), Interval: analytics.Week})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Total.Responses != 600 {
		t.Errorf("report after the merge: %d responses, want 600 (the inflated counts)", rep.Total.Responses)
	}
}

// TestMutationsInvalidateTouchedDays: forgetting a person and retention
// change stored answers by mutations; each makes exactly the days it
// touched count again, and reports stay exact meanwhile and after.
func TestMutationsInvalidateTouchedDays(t *testing.T) {
	db := chtest.Open(t, "heed_test_ch_mutation_marks")
	ctx := context.Background()
	day := time.Date(2026, 10, 5, 0, 0, 0, 0, time.UTC)
	pro := map[string]string{"plan": "pro"}
	var rows []analytics.Response
	for _, sv := range []string{"fg", "rt"} {
		for d := 0; d < 3; d++ {
			for i := 0; i < 2; i++ {
				at := day.AddDate(0, 0, d).Add(time.Duration(i+1) * time.Hour)
				r := response(sv, uuid.NewSHA1(uuid.Nil, []byte(fmt.Sprint(sv, d, i))).String(), at, uint64(at.UnixNano()), 9)
				r.Properties = pro
				if sv == "fg" && d == 1 && i == 0 {
					r.Respondent = "cust-7"
				}
				rows = append(rows, r)
			}
		}
	}
	if err := db.InsertResponses(ctx, rows); err != nil {
		t.Fatal(err)
	}
	if n, _, _ := refreshCount(t, db); n != 6 {
		t.Fatalf("first refresh counted %d days, want 6", n)
	}
	report := func(sv string) int {
		t.Helper()
		rep, err := db.Report(ctx, analytics.ReportQuery{Survey: &analytics.Survey{ID: sv}, From: day, To: day.AddDate(0, 0, 3),
			Interval: analytics.Week, Properties: pro})
		if err != nil {
			t.Fatal(err)
		}
		return rep.Total.Responses
	}
	hasher, err := analytics.NewPersonHasher("test-erasure-key-0123456789")
	if err != nil {
		t.Fatal(err)
	}
	sum, err := db.ForgetPerson(ctx, analytics.PersonRef{ID: "cust-7"}, hasher, time.Minute)
	if err != nil || !sum.Done {
		t.Fatalf("forget: %+v, %v", sum, err)
	}
	if got := report("fg"); got != 5 {
		t.Errorf("report after the forget: %d responses, want 5", got)
	}
	retain, err := db.AnonymiseAnswers(ctx, "rt", day.AddDate(0, 0, 1), time.Minute)
	if err != nil || !retain.Done {
		t.Fatalf("retention: %+v, %v", retain, err)
	}
	if got := report("rt"); got != 4 {
		t.Errorf("segment report after retention: %d responses, want 4 (day 1 lost its properties)", got)
	}
	n, _, counted := refreshCount(t, db)
	want := []string{"fg " + day.AddDate(0, 0, 1).Format(time.DateOnly), "rt " + day.Format(time.DateOnly)}
	sort.Strings(counted)
	if n != 2 || fmt.Sprint(counted) != fmt.Sprint(want) {
		t.Errorf("after a forget and a retention run, RefreshDays counted %d days %v, want %v", n, counted, want)
	}
	if got := report("fg"); got != 5 {
		t.Errorf("report after the forget, counted: %d responses, want 5", got)
	}
	if got := report("rt"); got != 4 {
		t.Errorf("segment report after retention, counted: %d responses, want 4", got)
	}
}

// TestNoCountWhileAnswersMutate: a count made while a mutation rewrites
// answers could mix rows from before and after it, so RefreshDays stores
// none while one runs. The mutation here fails on every row and so stays
// unfinished (18.16 cannot kill a mutation: the database is dropped after).
func TestNoCountWhileAnswersMutate(t *testing.T) {
	db := chtest.Open(t, "heed_test_ch_mutating")
	ctx := context.Background()
	t.Cleanup(func() { chtest.DropDatabase(context.Background(), chtest.URL("heed_test_ch_mutating")) })
	day := time.Date(2026, 10, 5, 3, 0, 0, 0, time.UTC)
	r := response("mu", uuid.NewSHA1(uuid.Nil, []byte("mu")).String(), day, uint64(day.UnixNano()), 9)
	if err := db.InsertResponses(ctx, []analytics.Response{r}); err != nil {
		t.Fatal(err)
	}
	if err := db.Exec(ctx, "ALTER TABLE answers UPDATE comment = toString(throwIf(version > 0)) WHERE 1"); err != nil {
		t.Fatal(err)
	}
	var pending uint64
	if err := db.QueryRow(ctx, "SELECT toUInt64(countIf(is_done = 0)) FROM system.mutations WHERE database = currentDatabase() AND table = 'answers'").Scan(&pending); err != nil || pending != 1 {
		t.Fatalf("pending mutations: %d, %v; want 1", pending, err)
	}
	if n, _, counted := refreshCount(t, db); n != 0 || len(counted) != 0 {
		t.Errorf("while a mutation of answers runs, RefreshDays counted %d days %v, want none", n, counted)
	}
	rep, err := db.Report(ctx, analytics.ReportQuery{Survey: &analytics.Survey{ID: "mu"}, From: day.Truncate(24 * time.Hour), To: day.AddDate(0, 0, 1), Interval: analytics.Day})
	if err != nil || rep.Total.Responses != 1 {
		t.Errorf("report meanwhile: %v, %v; want 1 response", rep, err)
	}
}

// TestBusyDaysWait: with heed serve's pacing, a day still being written to
// whose count is recent is left for a while (its count would be stale in
// seconds; reports read it raw, exact), and counted once it has been
// quiet for 3 s. A day counted long ago, or never, is counted at once.
func TestBusyDaysWait(t *testing.T) {
	db := chtest.Open(t, "heed_test_ch_busy")
	ctx := context.Background()
	db.SetCountPacing(3*time.Second, time.Hour)
	day := time.Now().UTC().Truncate(24*time.Hour).AddDate(0, 0, -3)
	id := func(n int) string { return uuid.NewSHA1(uuid.Nil, []byte{byte(n)}).String() }
	write := func(n int, score uint8) {
		t.Helper()
		r := response("busy", id(n), day.Add(time.Duration(n)*time.Minute), uint64(time.Now().UnixNano()), score)
		if err := db.InsertResponses(ctx, []analytics.Response{r}); err != nil {
			t.Fatal(err)
		}
	}
	total := func(stage string, want int) {
		t.Helper()
		rep, err := db.Report(ctx, analytics.ReportQuery{Survey: &analytics.Survey{ID: "busy"}, From: day, To: day.AddDate(0, 0, 1), Interval: analytics.Day})
		if err != nil {
			t.Fatal(err)
		}
		if rep.Total.Responses != want {
			t.Errorf("%s: %d responses, want %d", stage, rep.Total.Responses, want)
		}
	}
	write(1, 9)
	if n, _, _ := refreshCount(t, db); n != 1 {
		t.Fatalf("a day never counted: counted %d, want 1", n)
	}
	write(2, 9) // the day is written to again, a moment after its count
	if n, _, _ := refreshCount(t, db); n != 0 {
		t.Errorf("a busy day with a recent count: counted %d, want it left for now", n)
	}
	total("busy, read raw", 2)
	time.Sleep(3200 * time.Millisecond)
	if n, _, _ := refreshCount(t, db); n != 1 {
		t.Errorf("the day quiet for 3 s: counted %d, want 1", n)
	}
	total("counted", 2)
}

// TestLargeDaysCountedWithFinal: a day counted with FINAL (as RefreshDays
// counts a large survey's days) keeps each response once, with its last
// answer, while its rows are still in separate parts (merges stopped): a
// first answer and its follow-up, a replayed duplicate, a scanner's later
// unconfirmed click after a confirmed answer.
func TestLargeDaysCountedWithFinal(t *testing.T) {
	db := chtest.Open(t, "heed_test_ch_final_days")
	ctx := context.Background()
	db.SetCountFinalRows(0)
	if err := db.Exec(ctx, "SYSTEM STOP MERGES answers"); err != nil {
		t.Fatal(err)
	}
	defer db.Exec(ctx, "SYSTEM START MERGES answers")
	day := time.Date(2026, 11, 3, 0, 0, 0, 0, time.UTC)
	at := day.Add(9 * time.Hour)
	a, b, c := uuid.New(), uuid.New(), uuid.New()
	confirmed := func(t time.Time) uint64 { return 1<<63 | uint64(t.UnixNano()) }
	for _, batch := range [][]analytics.Response{
		{response("fin", a.String(), at, confirmed(at), 3), response("fin", b.String(), at, confirmed(at), 9), response("fin", c.String(), at, confirmed(at), 6)},
		{response("fin", a.String(), at, confirmed(at.Add(time.Hour)), 10)}, // a's follow-up
		{response("fin", b.String(), at, confirmed(at), 9)},                 // b replayed
		{func() analytics.Response {
			r := response("fin", c.String(), at, uint64(at.Add(time.Minute).UnixNano()), 0)
			r.Unconfirmed = true
			return r
		}()}, // c: a scanner's click
	} {
		if err := db.InsertResponses(ctx, batch); err != nil {
			t.Fatal(err)
		}
	}
	if n, err := db.RefreshDays(ctx); err != nil || n != 1 {
		t.Fatalf("RefreshDays counted %d days (%v), want 1", n, err)
	}
	var total uint64
	var scores []uint8
	if err := db.QueryRow(ctx, `SELECT toUInt64(sum(n)), arraySort(groupArray(s)) FROM (
		SELECT score[i] AS s, responses[i] AS n, confirmed[i] AS cf FROM answer_days ARRAY JOIN arrayEnumerate(score) AS i
		WHERE survey_id = 'fin' AND day = '2026-11-03') WHERE cf = 1`).Scan(&total, &scores); err != nil {
		t.Fatal(err)
	}
	if total != 3 || fmt.Sprint(scores) != "[6 9 10]" {
		t.Errorf("the day's count: %d confirmed responses, scores %v; want 3, [6 9 10]", total, scores)
	}
}
