package clickhouse_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"

	"heed/analytics"
	"heed/analytics/clickhouse"
	"heed/analytics/clickhouse/chtest"
	"heed/analytics/mock"
)

// legacyInsert is how the previous layout stored an answer (migrations
// 0002 and 0004: table responses, version = the answer's time, confirmed
// apart), written as the previous version wrote it.
const legacyInsert = `INSERT INTO responses (survey_id, created_at, response_id, version, score,
	reasons, comment, channel, respondent, property_keys, property_values, confirmed, flags)`

// TestMigrateFromPreviousLayout: a database written by the previous
// version (its migrations, its rows: a follow-up that got a later
// created_at after a restart, a scanner's click after a confirmed answer,
// replayed duplicates) is upgraded by heed migrate without losing a row,
// and reports what the previous version reported, also after a merge.
func TestMigrateFromPreviousLayout(t *testing.T) {
	db := chtest.Empty(t, "heed_test_ch_upgrade")
	ctx := context.Background()
	if err := clickhouse.MigrateTo(db.DB, ctx, quiet, 4); err != nil {
		t.Fatal(err)
	}
	jan31 := time.Date(2026, 1, 31, 23, 59, 58, 0, time.UTC)
	feb1 := time.Date(2026, 2, 1, 0, 0, 1, 0, time.UTC)
	a, b, c, d := uuid.New(), uuid.New(), uuid.New(), uuid.New()
	pro := map[string]string{"plan": "pro"}
	legacy := []analytics.Response{
		// a: 2 on Jan 31, answered again (10) after a restart: a new created_at.
		{SurveyID: "up", ResponseID: a, CreatedAt: jan31, Version: uint64(jan31.UnixNano()), Score: 2, Channel: "api", Properties: pro},
		{SurveyID: "up", ResponseID: a, CreatedAt: feb1, Version: uint64(feb1.UnixNano()), Score: 10, Channel: "api", Properties: pro},
		// b: a confirmed 3 with a reason and a comment, a scanner's 10 later.
		{SurveyID: "up", ResponseID: b, CreatedAt: feb1, Version: uint64(feb1.UnixNano()), Score: 3, Reasons: []string{"rude_service"}, Comment: "really bad", Channel: "email"},
		{SurveyID: "up", ResponseID: b, CreatedAt: feb1, Version: uint64(feb1.UnixNano()) + 5e9, Score: 10, Channel: "email", Unconfirmed: true, Flags: "scanner_agent"},
		// c: a scanner's click only; d: 9, replayed twice.
		{SurveyID: "up", ResponseID: c, CreatedAt: feb1, Version: uint64(feb1.UnixNano()), Score: 0, Channel: "email", Unconfirmed: true},
		{SurveyID: "up", ResponseID: d, CreatedAt: feb1, Version: uint64(feb1.UnixNano()), Score: 9, Channel: "widget"},
		{SurveyID: "up", ResponseID: d, CreatedAt: feb1, Version: uint64(feb1.UnixNano()), Score: 9, Channel: "widget"},
		{SurveyID: "up", ResponseID: d, CreatedAt: feb1, Version: uint64(feb1.UnixNano()), Score: 9, Channel: "widget"},
	}
	// In one batch: one part, which no merge touches (the previous layout
	// lost a confirmed answer to the later unconfirmed one when merging).
	var batch [][]any
	for _, r := range legacy {
		keys, values := []string{}, []string{}
		for k, v := range r.Properties {
			keys, values = append(keys, k), append(values, v)
		}
		confirmed := uint8(1)
		if r.Unconfirmed {
			confirmed = 0
		}
		reasons := r.Reasons
		if reasons == nil {
			reasons = []string{}
		}
		batch = append(batch, []any{r.SurveyID, r.CreatedAt, r.ResponseID, r.Version, r.Score, reasons, r.Comment,
			r.Channel, r.Respondent, keys, values, confirmed, r.Flags})
	}
	if err := db.InsertRows(ctx, legacyInsert, batch); err != nil {
		t.Fatal(err)
	}
	// The upgrade, as heed migrate runs it (twice: it must be re-runnable).
	for i := 0; i < 2; i++ {
		if err := db.Migrate(ctx, quiet); err != nil {
			t.Fatal(err)
		}
		if err := clickhouse.MarkMigration(db.DB, ctx, 5, true); err != nil { // as if a crash left it dirty
			t.Fatal(err)
		}
	}
	if err := db.Migrate(ctx, quiet); err != nil {
		t.Fatal(err)
	}
	// No row lost: every (response, version) of the old table is in the new one.
	var lost uint64
	if err := db.QueryRow(ctx, `SELECT count() FROM (SELECT DISTINCT response_id, version FROM responses)
		WHERE (response_id, version) NOT IN (SELECT response_id, bitAnd(version, 9223372036854775807) FROM answers)`).Scan(&lost); err != nil {
		t.Fatal(err)
	}
	if lost != 0 {
		t.Fatalf("%d answers of the old layout are not in the new one", lost)
	}
	ref := mock.New()
	ref.InsertResponses(ctx, legacy)
	sv := &analytics.Survey{ID: "up", Reasons: []analytics.Reason{{ID: "rude_service"}}}
	check := func(stage string) {
		t.Helper()
		for _, unconfirmed := range []bool{false, true} {
			for _, segment := range []map[string]string{nil, pro} {
				q := analytics.ReportQuery{Survey: sv, From: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), To: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC),
					Interval: analytics.Month, IncludeUnconfirmed: unconfirmed, Properties: segment}
				got, err := db.Report(ctx, q)
				if err != nil {
					t.Fatal(err)
				}
				want, _ := ref.Report(ctx, q)
				if g, w := mustJSON(t, got), mustJSON(t, want); g != w {
					t.Fatalf("%s: unconfirmed=%v segment=%v:\n got %s\nwant %s", stage, unconfirmed, segment, g, w)
				}
			}
		}
		// By hand: January has a (a promoter now), February b (a detractor
		// with its comment) and d; c counts only with include_unconfirmed.
		rep, _ := db.Report(ctx, analytics.ReportQuery{Survey: sv, From: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
			To: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), Interval: analytics.Month})
		jan, feb := rep.Periods[0], rep.Periods[1]
		if jan.Responses != 1 || jan.Promoters != 1 || feb.Responses != 2 || feb.Detractors != 1 || feb.Promoters != 1 {
			t.Fatalf("%s: january %+v february %+v", stage, jan, feb)
		}
	}
	check("after the upgrade")
	if err := db.Exec(ctx, "OPTIMIZE TABLE answers FINAL"); err != nil {
		t.Fatal(err)
	}
	check("after OPTIMIZE FINAL")
	if _, err := db.RefreshDays(ctx); err != nil {
		t.Fatal(err)
	}
	check("from counted days")
}

// TestMigrateKeepsSuppressions: the suppressions of a database migrated
// before 0011 still keep their contacts off sends afterwards, once each
// (the migration re-run copies nothing again), and can then be lifted.
func TestMigrateKeepsSuppressions(t *testing.T) {
	db := chtest.Empty(t, "heed_test_ch_upgrade_supp")
	ctx := context.Background()
	if err := clickhouse.MigrateTo(db.DB, ctx, quiet, 10); err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	if err := db.InsertRows(ctx, "INSERT INTO suppressions (contact_id, email, reason, created_at)",
		[][]any{{"c1", "a@example.com", "bounce", at}, {"c2", "b@example.com", "unsubscribe", at}}); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ { // the migration, then a re-run of all of them
		if err := db.Migrate(ctx, quiet); err != nil {
			t.Fatal(err)
		}
	}
	var rows uint64
	if err := db.QueryRow(ctx, "SELECT count() FROM contact_suppressions").Scan(&rows); err != nil || rows != 2 {
		t.Fatalf("contact_suppressions rows = %d, %v; want 2", rows, err)
	}
	got, err := db.Suppressed(ctx)
	if err != nil || !got["c1"] || !got["c2"] || len(got) != 2 {
		t.Fatalf("suppressed after the migration: %v %v", got, err)
	}
	if sups, err := db.ContactSuppressions(ctx, "c1"); err != nil || len(sups) != 1 || sups[0].Reason != "bounce" || !sups[0].Since.Equal(at) {
		t.Fatalf("c1's suppressions: %v %v", sups, err)
	}
	if err := db.Unsuppress(ctx, "c1", []string{"bounce"}); err != nil {
		t.Fatal(err)
	}
	if err := db.Exec(ctx, "OPTIMIZE TABLE contact_suppressions FINAL"); err != nil {
		t.Fatal(err)
	}
	if got, _ := db.Suppressed(ctx); got["c1"] || !got["c2"] {
		t.Fatalf("after lifting c1's bounce (and a merge): %v", got)
	}
}

// TestMigrateResponseStarts: migration 0016 moves the first answers of a
// database of 0015 (answer_firsts, 256-row granules) into response_starts,
// drops the old table and its view, and a follow-up of a response begun
// before the upgrade still finds its first answer (counted once, in its
// first answer's day); run again (left dirty), it copies nothing twice.
func TestMigrateResponseStarts(t *testing.T) {
	db := chtest.Empty(t, "heed_test_ch_starts")
	ctx := context.Background()
	if err := clickhouse.MigrateTo(db.DB, ctx, quiet, 15); err != nil {
		t.Fatal(err)
	}
	day := time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC)
	ids := []uuid.UUID{uuid.New(), uuid.New(), uuid.New()}
	for i, id := range ids {
		at := day.Add(time.Duration(i) * time.Minute)
		if err := db.Exec(ctx, `INSERT INTO answers (survey_id, created_at, response_id, version, score, reasons, comment, channel,
			respondent, property_keys, property_values, confirmed, flags)
			SELECT 'st', toDateTime(?, 'UTC'), toUUID(?), toUInt64(?), 3, emptyArrayString(), '', 'widget', '',
				emptyArrayString(), emptyArrayString(), 1, ''`, at.Unix(), id.String(), uint64(1)<<63|uint64(at.UnixNano())); err != nil {
			t.Fatal(err)
		}
	}
	count := func(stmt string) uint64 {
		t.Helper()
		var n uint64
		if err := db.QueryRow(ctx, stmt).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n := count("SELECT count() FROM answer_firsts"); n != 3 {
		t.Fatalf("answer_firsts holds %d rows before the upgrade, want 3", n)
	}
	for run := 1; run <= 2; run++ {
		if run == 2 {
			if err := clickhouse.MarkMigration(db.DB, ctx, 16, true); err != nil {
				t.Fatal(err)
			}
		}
		if err := db.Migrate(ctx, quiet); err != nil {
			t.Fatalf("run %d: %v", run, err)
		}
		if n := count("SELECT count() FROM response_starts"); n != 3 {
			t.Errorf("run %d: response_starts holds %d rows, want 3", run, n)
		}
		if n := count("SELECT count() FROM system.tables WHERE database = currentDatabase() AND name LIKE 'answer_firsts%'"); n != 0 {
			t.Errorf("run %d: %d of answer_firsts and its view left", run, n)
		}
	}
	// A follow-up of the first response, two days later: the writer finds
	// its first answer in response_starts and keeps its day.
	later := day.AddDate(0, 0, 2)
	if err := db.InsertResponses(ctx, []analytics.Response{{SurveyID: "st", ResponseID: ids[0], CreatedAt: later,
		Version: uint64(1)<<63 | uint64(later.UnixNano()), Score: 10, Channel: "widget"}}); err != nil {
		t.Fatal(err)
	}
	if n := count("SELECT count() FROM answers FINAL WHERE survey_id = 'st'"); n != 3 {
		t.Errorf("%d responses after the follow-up, want 3 (it got a sort key of its own)", n)
	}
	if n := count("SELECT count() FROM answers FINAL WHERE survey_id = 'st' AND score = 10 AND toDate(created_at) = '2026-11-02'"); n != 1 {
		t.Errorf("the follow-up is not the first response's answer in its first day (%d)", n)
	}
}
