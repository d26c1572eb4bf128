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
