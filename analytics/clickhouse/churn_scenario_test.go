package clickhouse_test

import (
	"context"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"heed/analytics"
	"heed/analytics/clickhouse"
	"heed/analytics/clickhouse/chtest"
)

// churnStep is a statement of the churn scenario with its values.
type churnStep struct {
	name string
	args []any
}

// churnCase is a churn report statement of the scenario and the rows it
// must give, sorted (status, answer, customers, revenue, with revenue).
type churnCase struct {
	churnStep
	want []string
}

// churnScenario is a few answers and churn records, written row by row as
// the store writes them, and what each churn report statement must answer
// on them, on 18.16 (TestChurnStatements) and current ClickHouse
// (compatChurn): customers without a record (ANY LEFT JOIN's defaults),
// the last answer per customer (a confirmed answer over a scanner's later
// click), a duplicate record and a tombstone, on the fast path
// (answer_customers, fed by its view) and the range path.
func churnScenario() ([]churnStep, []churnCase) {
	t0 := time.Date(2026, 1, 1, 10, 0, 0, 0, time.UTC)
	today := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	const confirmed = uint64(1) << 63
	var steps []churnStep
	n := 0
	var first time.Time
	answer := func(who string, newResponse bool, at time.Time, score uint8, ok bool, reasons ...string) {
		if newResponse {
			n, first = n+1, at
		}
		v, conf := uint64(at.UnixNano()), uint8(0)
		if ok {
			v, conf = v|confirmed, 1
		}
		if reasons == nil {
			reasons = []string{}
		}
		id := uuid.NewSHA1(uuid.Nil, []byte{'c', byte(n)})
		steps = append(steps, churnStep{"insert-responses",
			[]any{"scenario", first, id, v, score, reasons, "", "api", who, []string{}, []string{}, conf, ""}})
	}
	answer("cc-a", true, t0, 2, true, "rude_service")
	answer("cc-b", true, t0, 10, false)
	answer("cc-b", false, t0.Add(time.Minute), 8, true, "price") // the same response, confirmed
	answer("cc-b", true, t0.AddDate(0, 0, 1), 0, false)          // a scanner's later click
	answer("cc-c", true, t0, 9, true)
	answer("cc-d", true, today.AddDate(0, 0, -5), 3, true, "rude_service")
	answer("cc-e", true, t0, 10, true)
	answer("cc-w", true, t0, 1, true, "price")
	answer("cc-u", true, t0, 0, false, "price")
	churn := func(who string, v uint64, withdrawn uint8, at time.Time, revenue float64) {
		has := uint8(0)
		if revenue > 0 {
			has = 1
		}
		steps = append(steps, churnStep{"insert-churn", []any{who, v, withdrawn, "", at, "", revenue, has, today}})
	}
	churn("cc-a", 1, 0, t0.AddDate(0, 0, 10), 100)
	churn("cc-a", 2, 0, t0.AddDate(0, 0, 10), 100) // imported again
	churn("cc-e", 1, 0, t0.AddDate(0, 0, -3), 0)
	churn("cc-w", 1, 0, t0.AddDate(0, 0, 1), 9)
	churn("cc-w", 2, 1, time.Unix(0, 0), 0) // withdrawn
	churn("cc-u", 1, 0, t0.AddDate(0, 0, 2), 5)

	// Reason ids '', rude_service, price: rude is bit 5 (32), price bit 6
	// (64); the score is bits 0-3.
	ids := []string{"", "rude_service", "price"}
	day := analytics.DayNumber(today)
	want := []string{
		"churned\t34\t1\t100\t1",             // cc-a: 2, rude; churned on day 10 of 30
		"churned_before_answer\t10\t1\t0\t0", // cc-e
		"pending\t35\t1\t0\t0",               // cc-d: answered 5 days ago
		"stayed\t65\t1\t0\t0",                // cc-w: 1, price; withdrawn
		"stayed\t72\t1\t0\t0",                // cc-b: 8, price (confirmed)
		"stayed\t9\t1\t0\t0",                 // cc-c
	}
	withUnconfirmed := append([]string{"churned\t64\t1\t5\t1"}, want...) // cc-u: 0, price
	sort.Strings(withUnconfirmed)
	return steps, []churnCase{
		{churnStep{"select-churn-report", []any{int64(30), day, int64(30), ids, "scenario", confirmed}}, want},
		{churnStep{"select-churn-report", []any{int64(30), day, int64(30), ids, "scenario", uint64(0)}}, withUnconfirmed},
		{churnStep{"select-churn-range-report", []any{int64(30), day, int64(30), ids, "scenario", int64(0), int64(4294967295), uint8(1)}}, want},
		{churnStep{"select-churn-range-report", []any{int64(30), day, int64(30), ids, "scenario", int64(0), int64(4294967295), uint8(0)}}, withUnconfirmed},
	}
}

func statement(t testing.TB, name string) string {
	t.Helper()
	sql, ok := clickhouse.Statement(name)
	if !ok {
		t.Fatalf("no statement %s", name)
	}
	return sql
}

// TestChurnStatements runs the churn scenario on 18.16.
func TestChurnStatements(t *testing.T) {
	db := chtest.Open(t, "heed_test_ch_churn_scenario")
	ctx := context.Background()
	steps, cases := churnScenario()
	for _, s := range steps {
		if err := db.Run(ctx, statement(t, s.name), s.args); err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
	}
	for _, c := range cases {
		got, err := db.ChurnRows(ctx, statement(t, c.name), c.args)
		if err != nil {
			t.Fatal(err)
		}
		sort.Strings(got)
		if g, w := strings.Join(got, "\n"), strings.Join(c.want, "\n"); g != w {
			t.Errorf("%s %v:\n%s\nwant\n%s", c.name, c.args[5:], g, w)
		}
	}
}
