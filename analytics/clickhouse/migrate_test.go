package clickhouse_test

import (
	"context"
	"log/slog"
	"testing"

	"heed/analytics/clickhouse"
	"heed/analytics/clickhouse/chtest"
)

var quiet = slog.New(slog.DiscardHandler)

func TestMigrateIsRerunnable(t *testing.T) {
	db := chtest.Open(t, "heed_test_ch_migrate")
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
	if err := clickhouse.MarkMigration(db.DB, ctx, 2, true); err != nil {
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
	got := clickhouse.SplitStatements("-- comment\nCREATE TABLE a (x UInt8)\nENGINE = Memory;\n\nCREATE TABLE b (y UInt8) ENGINE = Memory;\n")
	if len(got) != 2 || got[0] != "CREATE TABLE a (x UInt8)\nENGINE = Memory" || got[1] != "CREATE TABLE b (y UInt8) ENGINE = Memory" {
		t.Fatalf("got %q", got)
	}
}
