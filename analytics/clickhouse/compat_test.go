//go:build compat

package clickhouse_test

// make compat: every named statement (with its samples, samples_test.go)
// and every migration, run on current ClickHouse: chDB, loaded in process
// from the npm registry's @chdb/lib-linux-x64-gnu. TestEveryStatementRuns
// runs the same samples on the private 18.16.

import (
	"os"
	"strings"
	"testing"

	"heed/analytics/clickhouse"
	"heed/analytics/clickhouse/chdb"
)

func TestCompatCurrentClickHouse(t *testing.T) {
	lib := os.Getenv("HEED_CHDB_LIB")
	if lib == "" {
		t.Fatal("run through `make compat`: it sets HEED_CHDB_LIB")
	}
	c, err := chdb.Open(lib, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	exec := func(q string) string {
		if _, err := c.Query(q, "TSV"); err != nil {
			return err.Error()
		}
		return ""
	}
	if out, err := c.Query("SELECT version()", "TSV"); err != nil {
		t.Fatal(err)
	} else {
		t.Logf("current ClickHouse: chDB %s", strings.TrimSpace(string(out.Output)))
	}
	for _, q := range []string{"CREATE DATABASE IF NOT EXISTS heed_compat", "USE heed_compat"} {
		if e := exec(q); e != "" {
			t.Fatalf("%s: %s", q, e)
		}
	}
	// The migrations as written (current ClickHouse knows ADD COLUMN IF
	// NOT EXISTS), twice: they must be re-runnable.
	// Before 0005 moves the previous layout, that layout holds an answer:
	// a confirmed one, which must arrive with the confirmed bit set.
	legacy, err := chdb.Bind(legacyInsert, []any{"s1", sampleAt, sampleID, uint64(sampleAt.UnixNano()), uint8(3), []string{"price"},
		"too dear", "email", "c1", []string{"plan"}, []string{"pro"}, uint8(1), ""}, true)
	if err != nil {
		t.Fatal(err)
	}
	for run := 0; run < 2; run++ {
		for _, m := range clickhouse.MigrationFiles() {
			if run == 0 && strings.HasPrefix(m.Name, "0005") {
				if e := exec(legacy); e != "" {
					t.Fatalf("legacy answer: %s", e)
				}
			}
			for _, stmt := range m.Statements {
				if e := exec(stmt); e != "" {
					t.Errorf("migration %s on current ClickHouse:\n%s\n-> %s", m.Name, stmt, firstLine(e))
				}
			}
		}
	}
	moved, err := c.Query("SELECT count(), min(version) >= 9223372036854775808, any(comment) FROM answers FINAL", "TSV")
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.TrimSpace(string(moved.Output)); got != "1\t1\ttoo dear" {
		t.Errorf("the previous layout's answer after migrating: %q, want one confirmed answer", got)
	}
	ran := 0
	for _, st := range clickhouse.Statements() {
		ss, ok := samples[st.Name]
		if !ok {
			t.Errorf("statement %q has no sample in samples_test.go", st.Name)
			continue
		}
		for i, s := range ss {
			sql, err := chdb.Bind(s.bound(t, st.SQL), s.args, clickhouse.IsInsert(st.SQL))
			if err != nil {
				t.Fatalf("%s: %v", st.Name, err)
			}
			if e := exec(sql); e != "" {
				t.Errorf("%s (sample %d) fails on current ClickHouse:\n%s\n-> %s", st.Name, i+1, sql, firstLine(e))
			}
			ran++
		}
	}
	t.Logf("%d named statements (%d samples) and every migration ran on current ClickHouse", len(clickhouse.Statements()), ran)
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i > 0 {
		return s[:i]
	}
	return s
}
