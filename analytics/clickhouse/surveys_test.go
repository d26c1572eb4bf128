package clickhouse_test

import (
	"context"
	"testing"
	"time"

	"heed/analytics"
	"heed/analytics/clickhouse/chtest"
)

func TestSurveysSaveLoad(t *testing.T) {
	db := chtest.Open(t, "heed_test_ch_surveys")
	ctx := context.Background()
	store := analytics.NewSurveys(db)
	now := time.Now().UTC().Truncate(time.Millisecond)
	sv := &analytics.Survey{ID: "s1", Name: "First", Question: "Q?", Reasons: []analytics.Reason{{ID: "price", Label: "Price"}}, CreatedAt: now, UpdatedAt: now}
	if err := store.Save(ctx, sv); err != nil {
		t.Fatal(err)
	}
	changed := *sv
	changed.Name = "Renamed"
	changed.UpdatedAt = now.Add(time.Second)
	if err := store.Save(ctx, &changed); err != nil {
		t.Fatal(err)
	}
	fresh := analytics.NewSurveys(db)
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

// surveyTables lists the tables (not views) with a survey_id column, from
// system.columns: a table added later is covered by itself.
func surveyTables(t *testing.T, db *chtest.DB) []string {
	t.Helper()
	rows, err := db.Query(context.Background(), `SELECT c.table FROM system.columns AS c
		WHERE c.database = currentDatabase() AND c.name = 'survey_id'
		AND c.table IN (SELECT name FROM system.tables WHERE database = currentDatabase() AND engine NOT LIKE '%View%')
		ORDER BY c.table`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var table string
		if err := rows.Scan(&table); err != nil {
			t.Fatal(err)
		}
		out = append(out, table)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestPurgeSurveyLeavesNoRow: a deleted survey's rows go from every table
// that names a survey (answers and what derives from them, dismissals,
// cases and their notes, sends, their log and events, digests, versions),
// after every table is merged; another survey keeps all of its own, and
// the deleted survey keeps only its tombstone.
func TestPurgeSurveyLeavesNoRow(t *testing.T) {
	db := chtest.Open(t, "heed_test_ch_purge_survey")
	ctx := context.Background()
	day := time.Now().UTC().Truncate(24*time.Hour).AddDate(0, 0, -5).Add(9 * time.Hour)
	for _, c := range []struct {
		survey string
		person seeded
	}{{"doomed", zelda}, {"kept", bob}} {
		seedPerson(t, db, c.survey, c.person, day)
		if err := db.SaveSurvey(ctx, &analytics.Survey{ID: c.survey, Name: c.survey, UpdatedAt: day}); err != nil {
			t.Fatal(err)
		}
		if err := db.SaveSurveyVersion(ctx, analytics.SurveyVersion{SurveyID: c.survey, Version: 1, At: day, Action: "created"}); err != nil {
			t.Fatal(err)
		}
		if err := db.SaveSend(ctx, analytics.Send{ID: "send-" + c.survey, SurveyID: c.survey, CreatedAt: day}); err != nil {
			t.Fatal(err)
		}
		if err := db.SaveDigest(ctx, analytics.DigestRecord{SurveyID: c.survey, Schedule: "weekly", Period: day.Format("2006-01-02"),
			Attempt: 1, Status: "sent", ClaimID: "claim-" + c.survey, ClaimedAt: day, Recipients: []string{"mo@example.com"}, UpdatedAt: day}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.RefreshDays(ctx); err != nil {
		t.Fatal(err)
	}
	tables := surveyTables(t, db)
	if len(tables) < 10 {
		t.Fatalf("only %d tables with survey_id: %v", len(tables), tables)
	}
	count := func(stmt string, args ...any) uint64 {
		t.Helper()
		var n uint64
		if err := db.QueryRow(ctx, stmt, args...).Scan(&n); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
		return n
	}
	// Each survey's rows, per table: the sends' bodies name their survey.
	rowsOf := func(survey string) map[string]uint64 {
		out := map[string]uint64{}
		for _, table := range tables {
			out[table] = count("SELECT count() FROM `"+table+"` WHERE survey_id = ?", survey)
		}
		out["sends"] = count("SELECT count() FROM sends WHERE visitParamExtractString(body, 'survey_id') = ?", survey)
		out["surveys"] = count("SELECT count() FROM surveys WHERE id = ? AND deleted = 0", survey)
		return out
	}
	before := rowsOf("kept")
	for table, n := range rowsOf("doomed") {
		if n == 0 {
			t.Fatalf("before the purge, %s holds no row of the doomed survey: the seed does not cover it", table)
		}
	}

	if err := db.DeleteSurvey(ctx, "doomed", day.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	done, err := db.PurgeSurvey(ctx, "doomed", time.Minute)
	if err != nil || !done {
		t.Fatalf("purge: done %v, %v", done, err)
	}
	// heed serve counts the days again; then every table is merged.
	if _, err := db.RefreshDays(ctx); err != nil {
		t.Fatal(err)
	}
	optimizeAll(t, db)
	for table, n := range rowsOf("doomed") {
		if n > 0 {
			t.Errorf("%s still holds %d rows of the deleted survey", table, n)
		}
	}
	if n := count("SELECT count() FROM surveys WHERE id = 'doomed' AND deleted = 1"); n != 1 {
		t.Errorf("the deleted survey has %d tombstones, want 1", n)
	}
	after := rowsOf("kept")
	for table, n := range before {
		// Merges fold rows of one entity: the kept survey must keep some.
		if n > 0 && after[table] == 0 {
			t.Errorf("%s lost every row of the kept survey (had %d)", table, n)
		}
	}
}
