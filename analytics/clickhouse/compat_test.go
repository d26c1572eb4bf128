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
	"time"

	"github.com/google/uuid"

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
	// Before 0005 moves the previous layout, that layout holds answers: a
	// scanner's click, then the person's confirmed answer five minutes later
	// (which must win, the confirmed bit set), and another response.
	var legacy []string
	for _, row := range [][]any{
		{"s1", sampleAt, sampleID, uint64(sampleAt.UnixNano()), uint8(10), []string{}, "", "email", "c1", []string{}, []string{}, uint8(0), "scanner_agent"},
		{"s1", sampleAt, sampleID, uint64(sampleAt.Add(5 * time.Minute).UnixNano()), uint8(3), []string{"price"}, "too dear", "email", "c1", []string{"plan"}, []string{"pro"}, uint8(1), ""},
		{"s1", sampleAt, uuid.MustParse("00000000-0000-0000-0000-000000000002"), uint64(sampleAt.UnixNano()), uint8(9), []string{}, "", "api", "", []string{}, []string{}, uint8(1), ""},
	} {
		sql, err := chdb.Bind(legacyInsert, row, true)
		if err != nil {
			t.Fatal(err)
		}
		legacy = append(legacy, sql)
	}
	for run := 0; run < 2; run++ {
		for _, m := range clickhouse.MigrationFiles() {
			if run == 0 && strings.HasPrefix(m.Name, "0005") {
				for _, sql := range legacy {
					if e := exec(sql); e != "" {
						t.Fatalf("legacy answer: %s", e)
					}
				}
			}
			for _, stmt := range m.Statements {
				if e := exec(stmt); e != "" {
					t.Errorf("migration %s on current ClickHouse:\n%s\n-> %s", m.Name, stmt, firstLine(e))
				}
			}
		}
	}
	// Each response's counting answer (confirmed first, then the last) is
	// moved. (Current ClickHouse folds the superseded click at once, as if
	// merged: optimize_on_insert; 18.16 keeps every row until a merge, and
	// TestMigrateFromPreviousLayout checks that none is lost.)
	moved, err := c.Query("SELECT (SELECT count() FROM (SELECT response_id, argMax(version, (confirmed, version)) AS v FROM responses GROUP BY response_id) "+
		"WHERE (response_id, v) NOT IN (SELECT response_id, bitAnd(version, 9223372036854775807) FROM answers)) = 0, "+
		"(SELECT count() FROM answers FINAL), "+
		"(SELECT concat(toString(score), ' ', comment, ' ', toString(version >= 9223372036854775808)) FROM answers FINAL WHERE response_id = toUUID('"+sampleID.String()+"'))", "TSV")
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.TrimSpace(string(moved.Output)); got != "1\t2\t3 too dear 1" {
		t.Errorf("the previous layout's answers after migrating (counting answers moved, responses, the counting one): %q, want 1, 2, the confirmed 3", got)
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
	// What responses.csv reads, as text, is the same on both generations.
	export, _ := clickhouse.Statement("select-export-answers")
	sql, err := chdb.Bind(export, []any{[]string{"plan", ""}, "s1", sampleFrom, sampleTo, []string{}}, false)
	if err != nil {
		t.Fatal(err)
	}
	out, err := c.Query(sql, "TSV")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(out.Output), "\t1793613600\t3\tprice\ttoo dear\temail\tc1\t1\t\tpro\\0") {
		t.Errorf("responses.csv's statement on current ClickHouse gave:\n%s", out.Output)
	}
	t.Logf("%d named statements (%d samples) and every migration ran on current ClickHouse", len(clickhouse.Statements()), ran)
	compatChurn(t, c)
	// The samples' mutations (deletions, retention's updates) run in chDB's
	// background threads: wait for them, or they write into the temporary
	// folder while the test removes it.
	deadline := time.Now().Add(time.Minute)
	for {
		out, err := c.Query("SELECT count() FROM system.mutations WHERE is_done = 0", "TSV")
		if err != nil || strings.TrimSpace(string(out.Output)) == "0" || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i > 0 {
		return s[:i]
	}
	return s
}
