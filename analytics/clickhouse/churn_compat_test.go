//go:build compat

package clickhouse_test

import (
	"sort"
	"strings"
	"testing"

	"heed/analytics/clickhouse/chdb"
)

// compatChurn runs the churn scenario (churnScenario) on current
// ClickHouse: the same rows as on 18.16 (TestChurnStatements), the same
// answers.
func compatChurn(t *testing.T, c *chdb.Conn) {
	t.Helper()
	run := func(s churnStep, insert bool) string {
		t.Helper()
		sql, err := chdb.Bind(statement(t, s.name), s.args, insert)
		if err != nil {
			t.Fatal(err)
		}
		out, err := c.Query(sql, "TSV")
		if err != nil {
			t.Fatalf("%s on current ClickHouse: %v", s.name, firstLine(err.Error()))
		}
		return string(out.Output)
	}
	steps, cases := churnScenario()
	for _, s := range steps {
		run(s, true)
	}
	for _, cs := range cases {
		got := strings.Split(strings.TrimSpace(run(cs.churnStep, false)), "\n")
		sort.Strings(got)
		if g, w := strings.Join(got, "\n"), strings.Join(cs.want, "\n"); g != w {
			t.Errorf("%s %v on current ClickHouse:\n%s\nwant\n%s", cs.name, cs.args[5:], g, w)
		}
	}
}
