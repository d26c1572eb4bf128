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

// TestSurveysDeleteAcrossInstances: a survey deleted through one instance
// leaves the cache of another at its next Load, and an update checks the
// version and records what changed.
func TestSurveysDeleteAcrossInstances(t *testing.T) {
	ctx := context.Background()
	store := mock.New()
	now := time.Now().UTC()
	a, b := analytics.NewSurveys(store), analytics.NewSurveys(store)
	sv := &analytics.Survey{ID: "s1", Name: "One", Reasons: []analytics.Reason{{ID: "price", Label: "Price"}}, CreatedAt: now, UpdatedAt: now}
	if err := a.Create(ctx, sv); err != nil {
		t.Fatal(err)
	}
	if err := b.Load(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Update(ctx, "s1", 2, analytics.ActionUpdated, func(*analytics.Survey) error { return nil }); !errors.Is(err, analytics.ErrVersionConflict) {
		t.Fatalf("update on a version that is not current: %v", err)
	}
	got, err := a.Update(ctx, "s1", 1, analytics.ActionUpdated, func(next *analytics.Survey) error {
		before := *next
		next.Name = "Renamed"
		next.Reasons = []analytics.Reason{}
		analytics.RetireRemoved(&before, next, now)
		return nil
	})
	if err != nil || got.Version != 2 || len(got.RetiredReasons) != 1 || got.RetiredReasons[0].ID != "price" {
		t.Fatalf("update: %+v, %v", got, err)
	}
	all := got.AllReasons()
	if len(all) != 1 || !all[0].Retired || got.HasReason("price") {
		t.Fatalf("a retired reason is reported, not offered: %+v", all)
	}
	versions, _ := store.SurveyVersions(ctx, "s1")
	if len(versions) != 2 || versions[0].Version != 2 || len(versions[0].Changes) != 3 {
		t.Fatalf("versions: %+v", versions)
	}
	if err := a.Delete(ctx, "s1"); err != nil {
		t.Fatal(err)
	}
	if _, ok := a.Get("s1"); ok {
		t.Fatal("deleted survey still cached where it was deleted")
	}
	if err := b.Load(ctx); err != nil {
		t.Fatal(err)
	}
	if _, ok := b.Get("s1"); ok {
		t.Fatal("deleted survey still cached by the other instance after Load")
	}
}
