package clickhouse_test

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"

	"github.com/google/uuid"

	"heed/analytics"
	"heed/analytics/clickhouse/chtest"
	"heed/analytics/mock"
)

func churnSurvey(id string) *analytics.Survey {
	return &analytics.Survey{ID: id, Name: "Churn", Reasons: []analytics.Reason{
		{ID: "rude_service", Label: "Rude or unhelpful service"},
		{ID: "slow_service", Label: "Slow service"},
		{ID: "price", Label: "Price"},
	}}
}

// wilsonByHand is the Wilson 95% interval written out from its formula,
// rounded as reports round: the test's own, not the package's.
func wilsonByHand(k, n int) [2]float64 {
	z, p, nf := 1.96, float64(k)/float64(n), float64(n)
	center := (p + z*z/(2*nf)) / (1 + z*z/nf)
	half := z * math.Sqrt(p*(1-p)/nf+z*z/(4*nf*nf)) / (1 + z*z/nf)
	r := func(x float64) float64 { return math.Round(x*1e4) / 1e4 }
	return [2]float64{r(math.Max(0, center-half)), r(math.Min(1, center+half))}
}

// TestChurnReport inserts answers and churn records and checks every figure
// of the churn report against values worked out by hand from those rows:
// counts by status, churn rate per NPS group and per reason with Wilson
// bounds, reason shares among churned customers, revenue by reason; a
// churn record imported twice counts once, a later import replaces an
// earlier one, a withdrawn record no longer counts (until imported again),
// follow-ups and unconfirmed answers follow the answer rules, and records
// given by email match the email answers of that contact; the same after
// OPTIMIZE ... FINAL, and the same through the range statement.
func TestChurnReport(t *testing.T) {
	db := chtest.Open(t, "heed_test_ch_churn")
	ctx := context.Background()
	sv := churnSurvey("churn")
	today := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	t0 := today.AddDate(0, 0, -200).Add(10 * time.Hour) // windows of 30 days closed long ago
	recent := today.AddDate(0, 0, -10).Add(10 * time.Hour)
	const window = 30
	day := func(t time.Time, d int) time.Time { return t.AddDate(0, 0, d) }
	erin := analytics.ContactID("erin@example.com")

	n := 0
	var rows []analytics.Response
	// answer adds one answer of a new response (response 0) or of the
	// response of the previous call (follow-up); at is the answer's time.
	var last uuid.UUID
	answer := func(who string, newResponse bool, at time.Time, score uint8, unconfirmed bool, reasons ...string) {
		if newResponse {
			n++
			last = uuid.NewSHA1(uuid.Nil, []byte(fmt.Sprint("churn-response-", n)))
		}
		ch := analytics.ChannelAPI
		if who == erin || unconfirmed {
			ch = analytics.ChannelEmail
		}
		rows = append(rows, analytics.Response{SurveyID: "churn", ResponseID: last, CreatedAt: at, Version: uint64(at.UnixNano()),
			Score: score, Reasons: reasons, Channel: ch, Respondent: who, Unconfirmed: unconfirmed})
	}
	// Closed windows. Detractors:
	answer("d1", true, t0, 2, false, "rude_service")
	rows = append(rows, rows[len(rows)-1]) // replayed: counts once
	answer("d2", true, t0, 3, false, "rude_service", "slow_service")
	answer("d3", true, t0, 5, false, "price")
	answer("d4", true, t0, 0, false, "rude_service")
	answer("d5", true, t0, 6, false, "slow_service")
	// Passives and promoters:
	answer("p1", true, t0, 7, false, "price")
	answer("p2", true, t0, 8, false)
	answer("p3", true, t0, 7, false)
	answer("m1", true, t0, 10, false)
	answer("m2", true, t0, 9, false)
	answer("m3", true, t0, 9, false, "price")
	// f1 answered 9, then followed up with 1 and rude service: the follow-up counts.
	answer("f1", true, t0, 9, false)
	answer("f1", false, t0.Add(90*time.Second), 1, false, "rude_service")
	// c2 answered twice: a promoter 50 days earlier, then slow service.
	answer("c2", true, day(t0, -50), 10, false)
	answer("c2", true, t0, 4, false, "slow_service")
	// u1: a confirmed 2 (rude), then a scanner's unconfirmed 10 on a later
	// email: the confirmed answer stays their last, even with unconfirmed.
	answer("u1", true, t0, 2, false, "rude_service")
	answer("u1", true, day(t0, 1), 10, true)
	// u2: an unconfirmed click only: out unless include_unconfirmed.
	answer("u2", true, t0, 0, true, "price")
	// u3: confirmed 3 (rude), then an unconfirmed 10 in the same response.
	answer("u3", true, t0, 3, false, "rude_service")
	answer("u3", false, t0.Add(time.Hour), 10, true)
	// Erin answered by email: her answers carry her contact id.
	answer(erin, true, t0, 1, false, "price")
	// w1's churn is withdrawn.
	answer("w1", true, t0, 2, false, "rude_service")
	// b1 churned before answering.
	answer("b1", true, t0, 8, false)
	// Open windows.
	answer("r1", true, recent, 2, false, "rude_service")
	answer("r2", true, recent, 9, false)
	// Neither anonymous answers nor other surveys count.
	answer("", true, t0, 0, false, "rude_service")
	rows = append(rows, analytics.Response{SurveyID: "other", ResponseID: uuid.New(), CreatedAt: t0, Version: uint64(t0.UnixNano()),
		Score: 10, Channel: "api", Respondent: "d4"})
	if err := db.InsertResponses(ctx, rows); err != nil {
		t.Fatal(err)
	}

	rev := func(v float64) *float64 { return &v }
	in := []analytics.ChurnInput{
		{Respondent: "d1", ChurnedAt: day(t0, 10).Format(time.RFC3339), Revenue: rev(100), Reason: "rude agent"},
		{Respondent: "d2", ChurnedAt: day(t0, 100).Format(time.DateOnly), Revenue: rev(50)}, // replaced below
		{Respondent: "d3", ChurnedAt: day(t0, 30).Format(time.DateOnly), Revenue: rev(333)}, // day 30: after the window
		{Respondent: "d5", ChurnedAt: day(t0, 5).Format(time.DateOnly)},                     // no revenue given
		{Respondent: "p1", ChurnedAt: day(t0, 1).Format(time.DateOnly), Revenue: rev(20)},
		{Respondent: "m3", ChurnedAt: t0.Format(time.DateOnly), Revenue: rev(0)}, // the answer's day; revenue 0 given
		{Respondent: "f1", ChurnedAt: day(t0, 3).Format(time.DateOnly)},
		{Respondent: "c2", ChurnedAt: day(t0, 2).Format(time.DateOnly), Revenue: rev(40)},
		{Respondent: "u1", ChurnedAt: day(t0, 20).Format(time.DateOnly), Revenue: rev(70)},
		{Respondent: "u2", ChurnedAt: day(t0, 3).Format(time.DateOnly), Revenue: rev(5)},
		{Email: "Erin <ERIN@Example.com>", ChurnedAt: day(t0, 7).Format(time.DateOnly), Revenue: rev(30)},
		{Respondent: "w1", ChurnedAt: day(t0, 1).Format(time.DateOnly), Revenue: rev(777)},
		{Respondent: "b1", ChurnedAt: day(t0, -5).Format(time.DateOnly), Revenue: rev(555)},
		{Respondent: "r1", ChurnedAt: day(recent, 5).Format(time.DateOnly), Revenue: rev(999)},
		{Respondent: "nobody", ChurnedAt: t0.Format(time.DateOnly), Revenue: rev(1)}, // never answered
	}
	recs, sum := analytics.NormalizeChurn(in, func(i int) int { return i }, today)
	if len(sum.Invalid) > 0 || len(recs) != len(in) {
		t.Fatalf("normalize: %+v", sum)
	}
	if recs[10].Customer != erin || recs[10].Email != "erin@example.com" {
		t.Fatalf("Erin's record: %+v", recs[10])
	}
	if err := db.UpsertChurn(ctx, recs); err != nil {
		t.Fatal(err)
	}
	// Imported again: d1 the same (counts once), d2 churned on day 29 (replaces day 100).
	again, _ := analytics.NormalizeChurn([]analytics.ChurnInput{in[0],
		{Respondent: "d2", ChurnedAt: day(t0, 29).Format(time.DateOnly), Revenue: rev(50)}}, func(i int) int { return i }, today)
	if err := db.UpsertChurn(ctx, again); err != nil {
		t.Fatal(err)
	}
	if err := db.WithdrawChurn(ctx, []string{"w1"}); err != nil {
		t.Fatal(err)
	}

	// By hand: of the 17 customers with a confirmed answer and a closed
	// window, 9 churned within it (d1, d2, d5, p1, m3, f1, c2, u1, Erin)
	// and 8 stayed (d3, d4, p2, p3, m1, m2, u3, w1); r1 and r2 are pending
	// (r1 churned already), b1 churned before answering.
	type rate struct{ k, n int }
	type reasonWant struct {
		id             string
		churned, cited int
		revenue        float64
		revenueN       int
	}
	type want struct {
		customers                   analytics.ChurnCustomers
		all                         rate
		detractors, passives, proms rate
		reasons                     []reasonWant
		noReason                    reasonWant
		revenue                     float64
		revenueN                    int
	}
	confirmedOnly := want{
		customers: analytics.ChurnCustomers{Answered: 20, Closed: 17, Churned: 9, Stayed: 8, Pending: 2, PendingChurned: 1, ChurnedBeforeAnswer: 1},
		all:       rate{9, 17},
		// Detractors d1-d5, f1, c2, u1, u3, Erin, w1: 7 churned.
		detractors: rate{7, 11}, passives: rate{1, 3}, proms: rate{1, 3},
		reasons: []reasonWant{
			{"rude_service", 4, 7, 100 + 50 + 70, 3}, // churned d1, d2, f1, u1; cited also by d4, u3, w1
			{"slow_service", 3, 3, 50 + 40, 2},       // d2, d5, c2
			{"price", 3, 4, 20 + 0 + 30, 3},          // p1, m3, Erin; cited also by d3
		},
		noReason: reasonWant{"", 0, 4, 0, 0}, // p2, p3, m1, m2
		revenue:  310, revenueN: 7,
	}
	// With unconfirmed answers, u2 (0, price, churned, 5) joins; u1 keeps
	// their confirmed 2.
	withUnconfirmed := confirmedOnly
	withUnconfirmed.customers = analytics.ChurnCustomers{Answered: 21, Closed: 18, Churned: 10, Stayed: 8, Pending: 2, PendingChurned: 1, ChurnedBeforeAnswer: 1}
	withUnconfirmed.all, withUnconfirmed.detractors = rate{10, 18}, rate{8, 12}
	withUnconfirmed.reasons = []reasonWant{confirmedOnly.reasons[0], confirmedOnly.reasons[1], {"price", 4, 5, 55, 4}}
	withUnconfirmed.revenue, withUnconfirmed.revenueN = 315, 8

	checkRate := func(what string, gotRate *float64, gotCI *[2]float64, r rate) {
		t.Helper()
		if r.n == 0 {
			if gotRate != nil || gotCI != nil {
				t.Errorf("%s: rate %v, interval %v over no customers; want null", what, gotRate, gotCI)
			}
			return
		}
		p := math.Round(float64(r.k)/float64(r.n)*1e4) / 1e4
		if gotRate == nil || *gotRate != p || gotCI == nil || *gotCI != wilsonByHand(r.k, r.n) {
			t.Errorf("%s: rate %v %v, want %v %v (%d of %d)", what, deref(gotRate), gotCI, p, wilsonByHand(r.k, r.n), r.k, r.n)
		}
	}
	check := func(stage string, rep *analytics.ChurnReport, w want) {
		t.Helper()
		if rep.Customers != w.customers {
			t.Errorf("%s: customers %+v, want %+v", stage, rep.Customers, w.customers)
		}
		if rep.ChurnRate.Churned != w.all.k || rep.ChurnRate.Customers != w.all.n {
			t.Errorf("%s: churn rate counts %d of %d, want %v", stage, rep.ChurnRate.Churned, rep.ChurnRate.Customers, w.all)
		}
		checkRate(stage+" overall", rep.ChurnRate.Rate, rep.ChurnRate.CI95, w.all)
		for i, g := range []rate{w.detractors, w.passives, w.proms} {
			got := rep.Groups[i]
			if got.Churned != g.k || got.Customers != g.n {
				t.Errorf("%s: %s %d of %d, want %v", stage, got.Group, got.Churned, got.Customers, g)
			}
			checkRate(stage+" "+got.Group, got.Rate, got.CI95, g)
		}
		checkReason := func(got analytics.ChurnReason, r reasonWant) {
			t.Helper()
			if got.ID != r.id || got.Churned != r.churned || got.Customers != r.cited || got.RevenueLost != r.revenue || got.RevenueCustomers != r.revenueN {
				t.Errorf("%s: reason %+v, want %+v", stage, got, r)
			}
			checkRate(stage+" share of churned citing "+r.id, got.ShareOfChurned, got.ShareOfChurnedCI95, rate{r.churned, w.all.k})
			checkRate(stage+" churn rate citing "+r.id, got.ChurnRate, got.ChurnRateCI95, rate{r.churned, r.cited})
		}
		if len(rep.Reasons) != len(w.reasons) {
			t.Fatalf("%s: %d reasons", stage, len(rep.Reasons))
		}
		for i, r := range w.reasons {
			checkReason(rep.Reasons[i], r)
		}
		checkReason(rep.NoReason, w.noReason)
		if rep.Revenue.Lost != w.revenue || rep.Revenue.Customers != w.revenueN {
			t.Errorf("%s: revenue lost %+v, want %v by %d", stage, rep.Revenue, w.revenue, w.revenueN)
		}
	}
	q := analytics.ChurnQuery{Survey: sv, WindowDays: window, Today: today}
	report := func(q analytics.ChurnQuery) *analytics.ChurnReport {
		t.Helper()
		rep, err := db.ChurnReport(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		// The range statement over every answer agrees with the fast path.
		ranged := q
		ranged.From, ranged.To = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC), today.AddDate(0, 0, 1)
		other, err := db.ChurnReport(ctx, ranged)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(rep, other) {
			t.Errorf("the range statement over every answer differs:\n%+v\n%+v", rep, other)
		}
		return rep
	}
	unconfirmed := q
	unconfirmed.IncludeUnconfirmed = true
	for _, stage := range []string{"as inserted", "after OPTIMIZE FINAL"} {
		if stage != "as inserted" {
			for _, table := range []string{"churn", "answer_customers", "answers"} {
				if err := db.Exec(ctx, "OPTIMIZE TABLE "+table+" FINAL"); err != nil {
					t.Fatal(err)
				}
			}
			// One row per customer is left: every row of one shares the sort key.
			var rowsD1, rowsW1 uint64
			if err := db.QueryRow(ctx, "SELECT countIf(customer = 'd1'), countIf(customer = 'w1') FROM churn").Scan(&rowsD1, &rowsW1); err != nil {
				t.Fatal(err)
			}
			if rowsD1 != 1 || rowsW1 != 1 {
				t.Fatalf("after OPTIMIZE FINAL churn holds %d rows of d1 and %d of w1, want 1 each", rowsD1, rowsW1)
			}
		}
		check(stage, report(q), confirmedOnly)
		check(stage+", unconfirmed", report(unconfirmed), withUnconfirmed)
	}

	recorded, err := db.ChurnRecorded(ctx, []string{"d1", "w1", "nobody", "never", erin})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(recorded, map[string]bool{"d1": true, "nobody": true, erin: true}) {
		t.Errorf("recorded = %v", recorded)
	}

	// A window of 1 day: only churns on the answer's own day count (m3).
	short := report(analytics.ChurnQuery{Survey: sv, WindowDays: 1, Today: today})
	if short.ChurnRate.Churned != 1 || short.Customers.Closed != 19 || short.Customers.Pending != 0 {
		t.Errorf("1-day window: %+v", short.Customers)
	}
	// A range keeps the responses first answered in it: before t0 only c2's
	// first one (a promoter), whose churn came 52 days later: stayed.
	early, err := db.ChurnReport(ctx, analytics.ChurnQuery{Survey: sv, WindowDays: window, Today: today,
		From: time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC), To: day(t0, -1)})
	if err != nil {
		t.Fatal(err)
	}
	if early.Customers != (analytics.ChurnCustomers{Answered: 1, Closed: 1, Stayed: 1}) || early.Groups[2].Customers != 1 {
		t.Errorf("range before t0: %+v %+v", early.Customers, early.Groups)
	}

	// Imported again, w1 churns again; withdrawing Erin by her email.
	back, _ := analytics.NormalizeChurn([]analytics.ChurnInput{in[11]}, func(i int) int { return i }, today)
	if err := db.UpsertChurn(ctx, back); err != nil {
		t.Fatal(err)
	}
	customer, _, _ := analytics.ChurnCustomer("erin@EXAMPLE.com", "")
	if err := db.WithdrawChurn(ctx, []string{customer}); err != nil {
		t.Fatal(err)
	}
	rep := report(q)
	if rep.ChurnRate.Churned != 9 || rep.Revenue.Lost != 310-30+777 || rep.Reasons[2].Churned != 2 || rep.Reasons[0].Churned != 5 {
		t.Errorf("after w1 came back and Erin was withdrawn: churned %d, revenue %v, price %d, rude %d",
			rep.ChurnRate.Churned, rep.Revenue.Lost, rep.Reasons[2].Churned, rep.Reasons[0].Churned)
	}
}

func deref(p *float64) any {
	if p == nil {
		return nil
	}
	return *p
}

// TestChurnMatchesReference: generated response streams of a few hundred
// customers (follow-ups, scanner clicks, confirmations, replays) and
// random churn records, imports and withdrawals: the store's churn report
// equals the in-memory store's (mock, the rules in plain Go) for several
// windows, with and without unconfirmed answers, over ranges, before and
// after OPTIMIZE ... FINAL.
func TestChurnMatchesReference(t *testing.T) {
	db := chtest.Open(t, "heed_test_ch_churn_ref")
	ctx := context.Background()
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 7))
	today := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	events := genEvents(rng, []string{"c1", "c2"}, 1500, today.AddDate(0, 0, -60), 200*24*time.Hour, nil)
	customers := 300
	who := map[uuid.UUID]string{}
	var rows []analytics.Response
	for _, e := range events {
		r := e.r
		w, ok := who[r.ResponseID]
		if !ok {
			if rng.IntN(10) > 0 { // a tenth anonymous
				w = fmt.Sprintf("cust-%d", rng.IntN(customers))
				if rng.IntN(4) == 0 {
					w = analytics.ContactID(fmt.Sprintf("cust%d@example.com", rng.IntN(customers)))
				}
			}
			who[r.ResponseID] = w
		}
		r.Respondent = w
		r.CreatedAt = time.Unix(0, int64(r.Version)).UTC()
		if r.Version > uint64(today.UnixNano()) {
			continue // nothing after the report's day
		}
		rows = append(rows, r)
	}
	ref := mock.New()
	for lo := 0; lo < len(rows); lo += 500 { // several parts
		chunk := rows[lo:min(lo+500, len(rows))]
		if err := db.InsertResponses(ctx, chunk); err != nil {
			t.Fatal(err)
		}
		ref.InsertResponses(ctx, chunk)
	}
	for round := 0; round < 3; round++ {
		var in []analytics.ChurnInput
		for i := 0; i < customers/3; i++ {
			c := analytics.ChurnInput{Respondent: fmt.Sprintf("cust-%d", rng.IntN(customers)),
				ChurnedAt: today.AddDate(0, 0, -rng.IntN(300)).Add(time.Duration(rng.IntN(86400)) * time.Second).Format(time.RFC3339)}
			if rng.IntN(4) == 0 {
				c.Respondent, c.Email = "", fmt.Sprintf("Cust%d@Example.com", rng.IntN(customers))
			}
			if rng.IntN(2) == 0 {
				v := float64(rng.IntN(10000)) / 100
				c.Revenue = &v
			}
			in = append(in, c)
		}
		recs, _ := analytics.NormalizeChurn(in, func(i int) int { return i }, today)
		for _, s := range []interface {
			UpsertChurn(context.Context, []analytics.Churn) error
			WithdrawChurn(context.Context, []string) error
		}{db, ref} {
			if err := s.UpsertChurn(ctx, recs); err != nil {
				t.Fatal(err)
			}
			if err := s.WithdrawChurn(ctx, []string{recs[0].Customer, recs[1].Customer}); err != nil {
				t.Fatal(err)
			}
		}
	}
	compare := func(stage string) {
		t.Helper()
		for _, survey := range []string{"c1", "c2"} {
			for _, window := range []int{1, 30, 90, 730} {
				for _, unconfirmed := range []bool{false, true} {
					for _, rg := range [][2]time.Time{{}, {today.AddDate(0, 0, -100), today}, {time.Time{}, today.AddDate(0, 0, -30)}} {
						q := analytics.ChurnQuery{Survey: churnSurvey(survey), WindowDays: window, IncludeUnconfirmed: unconfirmed,
							Today: today, From: rg[0], To: rg[1]}
						got, err := db.ChurnReport(ctx, q)
						if err != nil {
							t.Fatal(err)
						}
						want, _ := ref.ChurnReport(ctx, q)
						if g, w := mustJSON(t, got), mustJSON(t, want); g != w {
							t.Fatalf("%s: %s window %d unconfirmed=%v range %v differs:\n got %.900s\nwant %.900s", stage, survey, window, unconfirmed, rg, g, w)
						}
					}
				}
			}
		}
	}
	compare("as inserted")
	for _, table := range []string{"churn", "answer_customers", "answers"} {
		if err := db.Exec(ctx, "OPTIMIZE TABLE "+table+" FINAL"); err != nil {
			t.Fatal(err)
		}
	}
	compare("after OPTIMIZE FINAL")
}
