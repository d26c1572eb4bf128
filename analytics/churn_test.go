package analytics

import (
	"math"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestWilsonUnrounded(t *testing.T) {
	tests := []struct {
		k, n   int
		lo, hi float64
	}{
		{50, 100, 0.403830, 0.596170}, // the textbook case
		{7, 11, 0.353797, 0.848338},
		{0, 5, 0, 0.434491}, // never below 0
		{5, 5, 0.565509, 1}, // never above 1
		{1, 1, 0.206543, 1},
		{0, 1, 0, 0.793457},
	}
	for _, tt := range tests {
		lo, hi := wilson(float64(tt.k), float64(tt.n))
		if math.Abs(lo-tt.lo) > 1e-6 || math.Abs(hi-tt.hi) > 1e-6 || lo < 0 || hi > 1 {
			t.Errorf("wilson(%d, %d) = %.6f, %.6f; want %.6f, %.6f", tt.k, tt.n, lo, hi, tt.lo, tt.hi)
		}
	}
	if r, ci := proportion(0, 0); r != nil || ci != nil {
		t.Errorf("proportion of nothing = %v %v, want null", r, ci)
	}
	if r, ci := proportion(7, 11); *r != 0.6364 || *ci != [2]float64{0.3538, 0.8483} {
		t.Errorf("proportion(7, 11) = %v %v", *r, *ci)
	}
}

func TestParseChurnedAt(t *testing.T) {
	now := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		in   string
		want time.Time
		ok   bool
	}{
		{"2026-03-01", time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), true},
		{" 2026-03-01 ", time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), true},
		{"2026-03-01T23:30:00-05:00", time.Date(2026, 3, 2, 4, 30, 0, 0, time.UTC), true}, // stored in UTC
		{"2026-03-01T10:00:00.987Z", time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC), true},  // to the second
		{"2026-06-02T11:00:00Z", time.Date(2026, 6, 2, 11, 0, 0, 0, time.UTC), true},      // within a day ahead
		{"2026-06-03", time.Time{}, false},                                                // further ahead
		{"1999-12-31", time.Time{}, false},
		{"01/03/2026", time.Time{}, false},
		{"2026-02-30", time.Time{}, false},
		{"", time.Time{}, false},
	}
	for _, tt := range tests {
		got, msg := ParseChurnedAt(tt.in, now)
		if (msg == "") != tt.ok || !got.Equal(tt.want) {
			t.Errorf("ParseChurnedAt(%q) = %v, %q; want %v, ok %v", tt.in, got, msg, tt.want, tt.ok)
		}
	}
}

func TestNormalizeChurn(t *testing.T) {
	now := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	rev := func(v float64) *float64 { return &v }
	ann := ContactID("ann@example.com")
	tests := []struct {
		name string
		in   ChurnInput
		want *Churn            // nil: refused
		errs map[string]string // field -> part of the message
		_    struct{}          // (keeps the table's columns aligned)
		also func(*testing.T, Churn)
	}{
		{name: "respondent", in: ChurnInput{Respondent: "cust-42", ChurnedAt: "2026-03-01", Reason: " moved ", Revenue: rev(49.5)},
			want: &Churn{Customer: "cust-42", ChurnedAt: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), Reason: "moved", Revenue: 49.5, HasRevenue: true}},
		{name: "email as contacts normalise it", in: ChurnInput{Email: "Ann Lee <ANN@Example.com>", ChurnedAt: "2026-03-01"},
			want: &Churn{Customer: ann, Email: "ann@example.com", ChurnedAt: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)}},
		{name: "revenue zero given", in: ChurnInput{Respondent: "c", ChurnedAt: "2026-03-01", Revenue: rev(0)},
			want: &Churn{Customer: "c", ChurnedAt: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), HasRevenue: true}},
		{name: "neither", in: ChurnInput{ChurnedAt: "2026-03-01"}, errs: map[string]string{"email": "email or respondent"}},
		{name: "both", in: ChurnInput{Email: "a@example.com", Respondent: "a", ChurnedAt: "2026-03-01"}, errs: map[string]string{"respondent": "not both"}},
		{name: "bad email", in: ChurnInput{Email: "ann.example.com", ChurnedAt: "2026-03-01"}, errs: map[string]string{"email": "not an email"}},
		{name: "long respondent", in: ChurnInput{Respondent: strings.Repeat("r", 201), ChurnedAt: "2026-03-01"}, errs: map[string]string{"respondent": "200"}},
		{name: "control in respondent", in: ChurnInput{Respondent: "a\x00b", ChurnedAt: "2026-03-01"}, errs: map[string]string{"respondent": "control"}},
		{name: "no date", in: ChurnInput{Respondent: "c"}, errs: map[string]string{"churned_at": "RFC 3339"}},
		{name: "negative revenue", in: ChurnInput{Respondent: "c", ChurnedAt: "2026-03-01", Revenue: rev(-1)}, errs: map[string]string{"revenue": "from 0"}},
		{name: "huge revenue", in: ChurnInput{Respondent: "c", ChurnedAt: "2026-03-01", Revenue: rev(2e12)}, errs: map[string]string{"revenue": "from 0"}},
		{name: "NaN revenue", in: ChurnInput{Respondent: "c", ChurnedAt: "2026-03-01", Revenue: rev(math.NaN())}, errs: map[string]string{"revenue": "from 0"}},
		{name: "long reason", in: ChurnInput{Respondent: "c", ChurnedAt: "2026-03-01", Reason: strings.Repeat("é", 501)}, errs: map[string]string{"reason": "500"}},
		{name: "every field at once", in: ChurnInput{ChurnedAt: "soon", Revenue: rev(-5)},
			errs: map[string]string{"email": "email or respondent", "churned_at": "RFC 3339", "revenue": "from 0"}},
	}
	for _, tt := range tests {
		got, sum := NormalizeChurn([]ChurnInput{tt.in}, func(i int) int { return i + 7 }, now)
		if tt.want != nil {
			if len(got) != 1 || !reflect.DeepEqual(got[0], *tt.want) || len(sum.Invalid) != 0 {
				t.Errorf("%s: got %+v %+v, want %+v", tt.name, got, sum, *tt.want)
			}
			continue
		}
		if len(got) != 0 || len(sum.Invalid) != len(tt.errs) {
			t.Errorf("%s: got %+v, problems %+v; want %d problems", tt.name, got, sum.Invalid, len(tt.errs))
			continue
		}
		for _, p := range sum.Invalid {
			if p.Index != 7 || !strings.Contains(p.Error, tt.errs[p.Field]) || tt.errs[p.Field] == "" {
				t.Errorf("%s: problem %+v, want one of %v at index 7", tt.name, p, tt.errs)
			}
		}
	}

	// A later record of the same customer replaces an earlier one; the
	// same address in another spelling is the same customer.
	got, sum := NormalizeChurn([]ChurnInput{
		{Email: "ann@example.com", ChurnedAt: "2026-01-01"},
		{Respondent: "bob", ChurnedAt: "2026-01-02"},
		{Email: "ANN@example.com ", ChurnedAt: "2026-02-01", Reason: "later"},
		{Respondent: "bad", ChurnedAt: "never"},
	}, func(i int) int { return i }, now)
	if len(got) != 2 || sum.Records != 2 || sum.Duplicates != 1 || got[0].Reason != "later" || got[0].Customer != ann ||
		len(sum.Invalid) != 1 || sum.Invalid[0].Index != 3 || sum.Invalid[0].Field != "churned_at" {
		t.Errorf("duplicates: %+v %+v", got, sum)
	}
}

func TestClassifyChurn(t *testing.T) {
	const today, w = 1000, 30
	tests := []struct {
		name             string
		answer, churnDay int64
		churned          bool
		want             ChurnStatus
	}{
		{"no churn, window closed", 900, 0, false, ChurnStatusStayed},
		{"no churn, window closes today", today - w, 0, false, ChurnStatusStayed},
		{"no churn, window closes tomorrow", today - w + 1, 0, false, ChurnStatusPending},
		{"churn on the answer's day", 900, 900, true, ChurnStatusChurned},
		{"churn on the window's last day", 900, 900 + w - 1, true, ChurnStatusChurned},
		{"churn the day after the window", 900, 900 + w, true, ChurnStatusStayed},
		{"churn after the window, window still open", today - 5, today - 5 + w, true, ChurnStatusPending},
		{"churn before the answer", 900, 899, true, ChurnStatusChurnedBeforeAnswer},
		{"churn before a recent answer", today - 1, today - 3, true, ChurnStatusChurnedBeforeAnswer},
		{"churn in an open window", today - 5, today - 2, true, ChurnStatusPendingChurned},
	}
	for _, tt := range tests {
		if got := ClassifyChurn(tt.answer, tt.churnDay, tt.churned, today, w); got != tt.want {
			t.Errorf("%s: %s, want %s", tt.name, got, tt.want)
		}
	}
	if DayNumber(time.Date(1970, 1, 2, 23, 59, 59, 0, time.UTC)) != 1 || DayNumber(time.Date(1969, 12, 31, 12, 0, 0, 0, time.UTC)) != -1 {
		t.Error("DayNumber counts UTC days from 1970-01-01")
	}
}

// TestChurnTally: counts land in their status, group and reasons; a
// customer citing two reasons counts under both; only churned customers
// bring revenue; reasons the survey no longer offers are left out.
func TestChurnTally(t *testing.T) {
	sv := &Survey{ID: "s", Reasons: []Reason{{ID: "rude", Label: "Rude"}, {ID: "price", Label: "Price"}}}
	tl := NewChurnTally(sv)
	adds := []struct {
		status  ChurnStatus
		score   uint8
		reasons []string
		n       int
		revenue float64
		withRev int
	}{
		{ChurnStatusChurned, 2, []string{"rude", "price"}, 2, 100, 2},
		{ChurnStatusChurned, 9, nil, 1, 10.004, 1},
		{ChurnStatusStayed, 3, []string{"rude"}, 3, 999, 3}, // stayed: no revenue lost
		{ChurnStatusStayed, 7, []string{"gone"}, 1, 0, 0},   // a removed reason: no reason
		{ChurnStatusPending, 0, []string{"rude"}, 4, 0, 0},
		{ChurnStatusPendingChurned, 0, []string{"rude"}, 1, 50, 1},
		{ChurnStatusChurnedBeforeAnswer, 0, []string{"rude"}, 2, 50, 1},
	}
	for _, a := range adds {
		if err := tl.Add(a.status, a.score, a.reasons, a.n, a.revenue, a.withRev); err != nil {
			t.Fatal(err)
		}
	}
	if err := tl.Add("lost", 0, nil, 1, 0, 0); err == nil {
		t.Error("an unknown status was taken")
	}
	rep := tl.Finish()
	if want := (ChurnCustomers{Answered: 14, Closed: 7, Churned: 3, Stayed: 4, Pending: 5, PendingChurned: 1, ChurnedBeforeAnswer: 2}); rep.Customers != want {
		t.Errorf("customers %+v, want %+v", rep.Customers, want)
	}
	if d, p, m := rep.Groups[0], rep.Groups[1], rep.Groups[2]; d.Churned != 2 || d.Customers != 5 || p.Customers != 1 || p.Churned != 0 || m.Churned != 1 || m.Customers != 1 {
		t.Errorf("groups %+v", rep.Groups)
	}
	rude, price := rep.Reasons[0], rep.Reasons[1]
	if rude.Churned != 2 || rude.Customers != 5 || rude.RevenueLost != 100 || price.Churned != 2 || price.Customers != 2 ||
		*price.ShareOfChurned != 0.6667 || *price.ChurnRate != 1 {
		t.Errorf("reasons %+v %+v", rude, price)
	}
	if nr := rep.NoReason; nr.Churned != 1 || nr.Customers != 2 || nr.RevenueLost != 10 || nr.ID != "" {
		t.Errorf("no reason %+v", nr)
	}
	if rep.Revenue != (ChurnRevenue{Lost: 110, Customers: 3}) {
		t.Errorf("revenue %+v", rep.Revenue)
	}
	empty := NewChurnTally(sv).Finish()
	if empty.ChurnRate.Rate != nil || empty.Groups[0].CI95 != nil || empty.Reasons[0].ShareOfChurned != nil || len(empty.Groups) != 3 {
		t.Errorf("an empty report has figures: %+v", empty)
	}
}
