package clickhouse_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"heed/analytics"
	"heed/analytics/clickhouse/chtest"
	"heed/analytics/mock"
)

// TestDigestRecordRule: the row Digest reads as a period's state is the row
// ClickHouse keeps when it merges (OPTIMIZE ... FINAL), and the in-memory
// store agrees: the earliest claim of an attempt wins the race, the
// claimer's outcome beats its claim and any "abandoned" mark, and a new
// attempt after a failure beats the failure.
func TestDigestRecordRule(t *testing.T) {
	db := chtest.Open(t, "heed_test_ch_digests")
	ctx := context.Background()
	t0 := time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)
	row := func(attempt int, status, claim string, claimedAt time.Time) analytics.DigestRecord {
		return analytics.DigestRecord{Schedule: analytics.DigestWeekly, Period: "2026-11-23", Attempt: attempt, Status: status,
			ClaimID: claim, ClaimedAt: claimedAt, Recipients: []string{"boss@example.com"}, UpdatedAt: t0.Add(time.Hour)}
	}
	tests := []struct {
		name   string
		rows   []analytics.DigestRecord
		status string
		claim  string
	}{
		{"one claim", []analytics.DigestRecord{row(1, analytics.DigestSending, "a", t0)}, analytics.DigestSending, "a"},
		{"the earliest claim wins, whatever the insert order",
			[]analytics.DigestRecord{row(1, analytics.DigestSending, "late", t0.Add(2*time.Second)), row(1, analytics.DigestSending, "early", t0)},
			analytics.DigestSending, "early"},
		{"claims a millisecond apart", []analytics.DigestRecord{row(1, analytics.DigestSending, "a", t0.Add(time.Millisecond)), row(1, analytics.DigestSending, "b", t0)},
			analytics.DigestSending, "b"},
		{"the outcome beats the claims", []analytics.DigestRecord{row(1, analytics.DigestSending, "a", t0), row(1, analytics.DigestSending, "b", t0.Add(time.Second)),
			row(1, analytics.DigestSent, "a", t0)}, analytics.DigestSent, "a"},
		{"an abandoned mark beats the claim", []analytics.DigestRecord{row(1, analytics.DigestSending, "a", t0), row(1, analytics.DigestAbandoned, "a", t0)},
			analytics.DigestAbandoned, "a"},
		{"the claimer's late outcome beats the abandoned mark", []analytics.DigestRecord{row(1, analytics.DigestSending, "a", t0),
			row(1, analytics.DigestAbandoned, "a", t0.Truncate(time.Second)), row(1, analytics.DigestSent, "a", t0)}, analytics.DigestSent, "a"},
		{"a new attempt beats a failure", []analytics.DigestRecord{row(1, analytics.DigestSending, "a", t0.Add(time.Hour)), row(1, analytics.DigestFailed, "a", t0.Add(time.Hour)),
			row(2, analytics.DigestSending, "b", t0.Add(2*time.Hour))}, analytics.DigestSending, "b"},
		{"and its outcome the claim", []analytics.DigestRecord{row(1, analytics.DigestFailed, "a", t0), row(2, analytics.DigestSending, "b", t0.Add(time.Hour)),
			row(2, analytics.DigestSending, "c", t0.Add(2*time.Hour)), row(2, analytics.DigestSent, "b", t0.Add(time.Hour))}, analytics.DigestSent, "b"},
	}
	fake := mock.New()
	for i, tt := range tests {
		for _, r := range tt.rows {
			r.SurveyID = fmt.Sprintf("s%d", i)
			if err := db.SaveDigest(ctx, r); err != nil {
				t.Fatal(err)
			}
			if err := fake.SaveDigest(ctx, r); err != nil {
				t.Fatal(err)
			}
		}
	}
	// Another period and another schedule of the same survey are records of
	// their own.
	other := row(1, analytics.DigestSent, "x", t0)
	other.SurveyID, other.Period = "s0", "2026-11-16"
	monthly := row(1, analytics.DigestFailed, "y", t0)
	monthly.SurveyID, monthly.Schedule = "s0", analytics.DigestMonthly
	for _, r := range []analytics.DigestRecord{other, monthly} {
		if err := db.SaveDigest(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	check := func(when string) {
		for i, tt := range tests {
			for name, store := range map[string]analytics.DigestStore{"clickhouse": db, "mock": fake} {
				got, ok, err := store.Digest(ctx, fmt.Sprintf("s%d", i), analytics.DigestWeekly, "2026-11-23")
				if err != nil || !ok || got.Status != tt.status || got.ClaimID != tt.claim {
					t.Errorf("%s, %s: %s: got %s by %q (%v, %v), want %s by %q", when, name, tt.name, got.Status, got.ClaimID, ok, err, tt.status, tt.claim)
				}
				if name == "clickhouse" && (len(got.Recipients) != 1 || !got.UpdatedAt.Equal(t0.Add(time.Hour))) {
					t.Errorf("%s: %s: read back %+v", when, tt.name, got)
				}
			}
		}
		for _, r := range []analytics.DigestRecord{other, monthly} {
			got, ok, err := db.Digest(ctx, r.SurveyID, r.Schedule, r.Period)
			if err != nil || !ok || got.Status != r.Status || got.ClaimID != r.ClaimID {
				t.Errorf("%s: %s %s: got %+v %v %v", when, r.Schedule, r.Period, got, ok, err)
			}
		}
		if _, ok, err := db.Digest(ctx, "s0", analytics.DigestWeekly, "2026-11-30"); ok || err != nil {
			t.Errorf("%s: a period without rows: %v %v", when, ok, err)
		}
	}
	check("before any merge")
	if err := db.Exec(ctx, "OPTIMIZE TABLE digests FINAL"); err != nil {
		t.Fatal(err)
	}
	check("after OPTIMIZE FINAL")
	var rows, keys uint64
	if err := db.QueryRow(ctx, "SELECT count(), uniqExact(survey_id, schedule, period_start) FROM digests").Scan(&rows, &keys); err != nil {
		t.Fatal(err)
	}
	if rows != keys {
		t.Errorf("after OPTIMIZE FINAL %d rows remain for %d periods", rows, keys)
	}
}
