package analytics_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"heed/analytics"
	"heed/analytics/mock"
)

// TestSurveysCache: the cache writes through, loads what the store holds,
// keeps a survey saved meanwhile, and says whether it was ever loaded.
func TestSurveysCache(t *testing.T) {
	ctx := context.Background()
	store := mock.New()
	now := time.Now().UTC()
	if err := store.SaveSurvey(ctx, &analytics.Survey{ID: "old", Name: "Old", CreatedAt: now, UpdatedAt: now}); err != nil {
		t.Fatal(err)
	}
	c := analytics.NewSurveys(store)
	if c.Loaded() {
		t.Fatal("loaded before Load")
	}
	if _, ok := c.Get("old"); ok {
		t.Fatal("Get before Load found a survey")
	}
	store.Err = errors.New("down")
	if err := c.Load(ctx); err == nil || c.Loaded() {
		t.Fatalf("Load from a store that is down: %v, loaded %v", err, c.Loaded())
	}
	store.Err = nil
	if err := c.Load(ctx); err != nil || !c.Loaded() {
		t.Fatal(err)
	}
	if sv, ok := c.Get("old"); !ok || sv.Name != "Old" {
		t.Fatalf("Get(old) = %+v, %v", sv, ok)
	}
	newer := &analytics.Survey{ID: "new", Name: "New", CreatedAt: now.Add(time.Second), UpdatedAt: now.Add(time.Second)}
	if err := c.Save(ctx, newer); err != nil {
		t.Fatal(err)
	}
	newer.Name = "changed after Save" // the cache keeps its own copy
	if err := c.Load(ctx); err != nil {
		t.Fatal(err)
	}
	list := c.List()
	if len(list) != 2 || list[0].ID != "new" || list[0].Name != "New" || list[1].ID != "old" {
		t.Fatalf("List = %+v (newest first)", list)
	}
}
