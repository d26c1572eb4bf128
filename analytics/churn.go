package analytics

import (
	"fmt"
	"math"
	"net/mail"
	"sort"
	"strings"
	"time"
)

// Churn linkage: the customers a manager knows have left (imported with
// POST /api/v1/churn or heed churn import), linked to what they last
// answered, so that "most customers who leave do so because of poor
// service" can be checked on one's own customers.
//
// A churn record names its customer by the respondent id the answers carry:
// either that id itself (respondent: what the widget's identify or an API
// client sent), or an email address, which stands for the contact Heed
// emails under it: email answers carry the contact's id (ContactID of the
// normalised address), so a record by email matches them. For each
// customer the last write wins (a later import replaces churned_at, reason
// and revenue; a withdrawal hides the customer until imported again).

// Limits on a churn record and a churn report.
const (
	MaxChurnReason  = 500 // characters
	MaxChurnRevenue = 1e12
	// DefaultChurnWindowDays and MaxChurnWindowDays bound the window after a
	// customer's last answer in which a churn counts.
	DefaultChurnWindowDays = 90
	MaxChurnWindowDays     = 730
)

// Churn is one customer known to have left.
type Churn struct {
	// Customer is the respondent id answers carry: the record's respondent,
	// or the contact id of its email.
	Customer string
	// Email is the normalised address when the record named one.
	Email     string
	ChurnedAt time.Time
	Reason    string
	// Revenue is what leaving cost (e.g. monthly revenue), when HasRevenue.
	Revenue    float64
	HasRevenue bool
}

// ChurnInput is one churn record as the API and the CSV import take it.
type ChurnInput struct {
	Email      string   `json:"email"`
	Respondent string   `json:"respondent"`
	ChurnedAt  string   `json:"churned_at"`
	Reason     string   `json:"reason"`
	Revenue    *float64 `json:"revenue"`
}

// ChurnProblem is a field of a churn record that breaks a rule.
type ChurnProblem struct {
	Index int    `json:"index"` // 0-based in the JSON array; the line number in a CSV
	Field string `json:"field"`
	Error string `json:"error"`
}

// ChurnSummary says what a normalisation kept and refused.
type ChurnSummary struct {
	// Records is the number of distinct customers kept.
	Records int `json:"records"`
	// Duplicates counts records merged into a later one of the same customer.
	Duplicates int            `json:"duplicates"`
	Invalid    []ChurnProblem `json:"invalid"`
}

// ChurnCustomer returns the customer key of a record naming exactly one of
// email and respondent, the normalised address when it is an email, and
// what is wrong otherwise (keyed by field). Emails are normalised as
// contacts are (NormalizeContacts): parsed, checked, lower-cased.
func ChurnCustomer(email, respondent string) (customer, addr string, errs FieldErrors) {
	email, respondent = strings.TrimSpace(email), strings.TrimSpace(respondent)
	switch {
	case email == "" && respondent == "":
		return "", "", FieldErrors{"email": "give email or respondent"}
	case email != "" && respondent != "":
		return "", "", FieldErrors{"respondent": "give email or respondent, not both"}
	case respondent != "":
		if TooLong(respondent, MaxRespondent) || HasControl(respondent) {
			return "", "", FieldErrors{"respondent": fmt.Sprintf("at most %d characters, no control characters", MaxRespondent)}
		}
		return respondent, "", nil
	}
	a, err := mail.ParseAddress(email)
	if err != nil || !Deliverable(a.Address) {
		return "", "", FieldErrors{"email": "not an email address"}
	}
	addr = strings.ToLower(a.Address)
	return ContactID(addr), addr, nil
}

// ParseChurnedAt reads a churn time: RFC 3339 (any offset, stored in UTC,
// to the second) or a date (YYYY-MM-DD, midnight UTC). It must lie between
// 2000 and the day after now: a churn is something that happened (a date
// far ahead is most likely a typo).
func ParseChurnedAt(s string, now time.Time) (time.Time, string) {
	s = strings.TrimSpace(s)
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		t, err = time.Parse(time.RFC3339, s)
	}
	if err != nil {
		return time.Time{}, "must be RFC 3339 (2026-03-01T10:00:00Z) or a date (2026-03-01)"
	}
	t = t.UTC().Truncate(time.Second)
	if t.Year() < 2000 || t.After(now.Add(24*time.Hour)) {
		return time.Time{}, "must lie between 2000 and tomorrow"
	}
	return t, ""
}

// NormalizeChurn validates and normalises churn records for the API and the
// CSV import alike; index maps each input to its position for error
// reports. A later record of the same customer replaces an earlier one (and
// counts as a duplicate). Every field at fault is reported.
func NormalizeChurn(in []ChurnInput, index func(i int) int, now time.Time) ([]Churn, ChurnSummary) {
	var sum ChurnSummary
	var out []Churn
	pos := map[string]int{}
	for i, c := range in {
		customer, addr, errs := ChurnCustomer(c.Email, c.Respondent)
		if errs == nil {
			errs = FieldErrors{}
		}
		at, msg := ParseChurnedAt(c.ChurnedAt, now)
		if msg != "" {
			errs["churned_at"] = msg
		}
		reason := strings.TrimSpace(CleanText(c.Reason))
		if TooLong(reason, MaxChurnReason) {
			errs["reason"] = fmt.Sprintf("at most %d characters", MaxChurnReason)
		}
		rec := Churn{Customer: customer, Email: addr, ChurnedAt: at, Reason: reason}
		if c.Revenue != nil {
			r := *c.Revenue
			if math.IsNaN(r) || r < 0 || r > MaxChurnRevenue {
				errs["revenue"] = fmt.Sprintf("must be a number from 0 to %g", float64(MaxChurnRevenue))
			}
			rec.Revenue, rec.HasRevenue = r, true
		}
		if len(errs) > 0 {
			for _, f := range sortedKeys(errs) {
				sum.Invalid = append(sum.Invalid, ChurnProblem{Index: index(i), Field: f, Error: errs[f]})
			}
			continue
		}
		if j, dup := pos[customer]; dup {
			sum.Duplicates++
			out[j] = rec
			continue
		}
		pos[customer] = len(out)
		out = append(out, rec)
	}
	sum.Records = len(out)
	if sum.Invalid == nil {
		sum.Invalid = []ChurnProblem{}
	}
	return out, sum
}

func sortedKeys(m FieldErrors) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// ChurnQuery selects the customers of a churn report: those who answered a
// survey, each with their last answer (see ChurnStore.ChurnReport).
type ChurnQuery struct {
	Survey *Survey
	// WindowDays: a churn counts when it falls on the day of the last answer
	// or within the WindowDays-1 days after it.
	WindowDays int
	// From and To, when set, keep the responses first answered in [From,
	// To); both zero: every response (what the stores answer fastest).
	From, To time.Time
	// IncludeUnconfirmed also counts customers whose only answers are
	// unconfirmed email scores (possibly a link scanner's).
	IncludeUnconfirmed bool
	// Today is the day windows close against (its UTC date counts).
	Today time.Time
}

// Ranged says whether the query keeps only responses of a range.
func (q ChurnQuery) Ranged() bool { return !q.From.IsZero() || !q.To.IsZero() }

// ChurnStatus is where one customer stands in a churn report.
type ChurnStatus string

// Every customer of a report has exactly one status. Only customers whose
// window has closed (Churned, Stayed) enter the rates: counting a recent
// answer only once its customer churned would inflate them.
const (
	// Churned: churned within the window, and the window has closed.
	ChurnStatusChurned ChurnStatus = "churned"
	// Stayed: no churn within the window, which has closed (a churn after
	// the window also counts as stayed).
	ChurnStatusStayed ChurnStatus = "stayed"
	// Pending: the window is still open and no churn is known in it.
	ChurnStatusPending ChurnStatus = "pending"
	// PendingChurned: the window is still open, and the customer churned in
	// it already.
	ChurnStatusPendingChurned ChurnStatus = "pending_churned"
	// ChurnedBeforeAnswer: the churn came before the last answer (an exit
	// survey, or a customer who came back); neither churned nor stayed.
	ChurnStatusChurnedBeforeAnswer ChurnStatus = "churned_before_answer"
)

// DayNumber is the UTC day of t, counted from 1970-01-01.
func DayNumber(t time.Time) int64 {
	s := t.Unix()
	if s < 0 {
		return (s - 86399) / 86400
	}
	return s / 86400
}

// ClassifyChurn says where a customer stands: answerDay is the day of
// their last answer, churnDay the day they churned (when churned), today
// the day of the report (all DayNumber). The stores apply the same rule
// (the ClickHouse store in SQL: select-churn-report).
func ClassifyChurn(answerDay, churnDay int64, churned bool, today int64, windowDays int) ChurnStatus {
	w := int64(windowDays)
	closed := today-answerDay >= w
	d := churnDay - answerDay
	switch {
	case !churned || d >= w:
		if closed {
			return ChurnStatusStayed
		}
		return ChurnStatusPending
	case d < 0:
		return ChurnStatusChurnedBeforeAnswer
	case closed:
		return ChurnStatusChurned
	}
	return ChurnStatusPendingChurned
}

// ChurnCustomers counts the customers of a report by status: Answered =
// Closed + Pending + ChurnedBeforeAnswer, Closed = Churned + Stayed, and
// PendingChurned is part of Pending.
type ChurnCustomers struct {
	Answered            int `json:"answered"`
	Closed              int `json:"closed"`
	Churned             int `json:"churned"`
	Stayed              int `json:"stayed"`
	Pending             int `json:"pending"`
	PendingChurned      int `json:"pending_churned"`
	ChurnedBeforeAnswer int `json:"churned_before_answer"`
}

// ChurnRate is churned of customers (whose window closed), with its Wilson
// 95% interval; Rate and CI95 are null when there are no customers.
type ChurnRate struct {
	Churned   int         `json:"churned"`
	Customers int         `json:"customers"`
	Rate      *float64    `json:"rate"`
	CI95      *[2]float64 `json:"ci95"`
}

// ChurnGroup is the churn rate of one NPS group of last answers.
type ChurnGroup struct {
	Group string `json:"group"` // detractors, passives, promoters
	ChurnRate
}

// ChurnReason is what one reason of the survey (or no reason at all) tells
// about churn: how many churned customers last cited it, as a share of
// every churned customer; how many customers (window closed) last cited it
// and what share of them churned; and the revenue the churned ones who
// gave one lost. A customer whose last answer cited two reasons counts
// under both.
type ChurnReason struct {
	ID    string `json:"id,omitempty"`
	Label string `json:"label,omitempty"`
	// Groups are the NPS groups the survey offers the reason to.
	Groups             []string    `json:"groups,omitempty"`
	Churned            int         `json:"churned"`
	ShareOfChurned     *float64    `json:"share_of_churned"`
	ShareOfChurnedCI95 *[2]float64 `json:"share_of_churned_ci95"`
	Customers          int         `json:"customers"`
	ChurnRate          *float64    `json:"churn_rate"`
	ChurnRateCI95      *[2]float64 `json:"churn_rate_ci95"`
	RevenueLost        float64     `json:"revenue_lost"`
	RevenueCustomers   int         `json:"revenue_customers"`
}

// ChurnRevenue is the revenue lost by churned customers who gave one.
type ChurnRevenue struct {
	Lost      float64 `json:"lost"`
	Customers int     `json:"customers"`
}

// ChurnReport links a survey's answers to churn.
type ChurnReport struct {
	Customers ChurnCustomers `json:"customers"`
	ChurnRate ChurnRate      `json:"churn_rate"`
	// Groups: detractors (0-6), passives (7-8), promoters (9-10), always
	// all three, in that order.
	Groups []ChurnGroup `json:"groups"`
	// Reasons: every reason of the survey (of every group's follow-up),
	// in its order.
	Reasons []ChurnReason `json:"reasons"`
	// NoReason: customers whose last answer cited none of them.
	NoReason ChurnReason  `json:"no_reason"`
	Revenue  ChurnRevenue `json:"revenue_lost"`
}

// ChurnTally builds a ChurnReport from customers counted by status and last
// answer, as the stores count them.
type ChurnTally struct {
	rep    ChurnReport
	reason map[string]int
	groups map[string]int
}

// NewChurnTally starts an empty report of sv's reasons.
func NewChurnTally(sv *Survey) *ChurnTally {
	t := &ChurnTally{reason: map[string]int{}, groups: map[string]int{}}
	for i, g := range Groups {
		t.rep.Groups = append(t.rep.Groups, ChurnGroup{Group: g})
		t.groups[g] = i
	}
	all := sv.AllReasons()
	t.rep.Reasons = make([]ChurnReason, 0, len(all))
	for i, r := range all {
		t.rep.Reasons = append(t.rep.Reasons, ChurnReason{ID: r.ID, Label: r.Label, Groups: r.Groups})
		t.reason[r.ID] = i
	}
	return t
}

// Add counts n customers of a status whose last answer had this score and
// these reasons (ids the survey does not offer are left out), of whom
// revenueCustomers gave a revenue, revenue in all.
func (t *ChurnTally) Add(status ChurnStatus, score uint8, reasons []string, n int, revenue float64, revenueCustomers int) error {
	c := &t.rep.Customers
	switch status {
	case ChurnStatusChurned, ChurnStatusStayed:
	case ChurnStatusPending:
		c.Answered += n
		c.Pending += n
		return nil
	case ChurnStatusPendingChurned:
		c.Answered += n
		c.Pending += n
		c.PendingChurned += n
		return nil
	case ChurnStatusChurnedBeforeAnswer:
		c.Answered += n
		c.ChurnedBeforeAnswer += n
		return nil
	default:
		return fmt.Errorf("churn report: unknown status %q", status)
	}
	c.Answered += n
	churned := status == ChurnStatusChurned
	c.Closed += n
	g := &t.rep.Groups[t.groups[GroupOf(score)]]
	g.Customers += n
	if churned {
		c.Churned += n
		g.Churned += n
		t.rep.Revenue.Lost += revenue
		t.rep.Revenue.Customers += revenueCustomers
	} else {
		c.Stayed += n
	}
	cited := false
	for _, id := range reasons {
		i, ok := t.reason[id]
		if !ok {
			continue
		}
		cited = true
		t.rep.Reasons[i].add(churned, n, revenue, revenueCustomers)
	}
	if !cited {
		t.rep.NoReason.add(churned, n, revenue, revenueCustomers)
	}
	return nil
}

func (r *ChurnReason) add(churned bool, n int, revenue float64, revenueCustomers int) {
	r.Customers += n
	if churned {
		r.Churned += n
		r.RevenueLost += revenue
		r.RevenueCustomers += revenueCustomers
	}
}

// Finish derives the rates, shares and intervals once every count is in.
func (t *ChurnTally) Finish() *ChurnReport {
	rep := t.rep
	c := rep.Customers
	rep.ChurnRate = ChurnRate{Churned: c.Churned, Customers: c.Closed}
	rep.ChurnRate.Rate, rep.ChurnRate.CI95 = proportion(c.Churned, c.Closed)
	for i := range rep.Groups {
		g := &rep.Groups[i]
		g.Rate, g.CI95 = proportion(g.Churned, g.Customers)
	}
	finish := func(r *ChurnReason) {
		r.ShareOfChurned, r.ShareOfChurnedCI95 = proportion(r.Churned, c.Churned)
		r.ChurnRate, r.ChurnRateCI95 = proportion(r.Churned, r.Customers)
		r.RevenueLost = round(r.RevenueLost, 2)
	}
	rep.Reasons = append([]ChurnReason(nil), rep.Reasons...)
	for i := range rep.Reasons {
		finish(&rep.Reasons[i])
	}
	finish(&rep.NoReason)
	rep.Revenue.Lost = round(rep.Revenue.Lost, 2)
	return &rep
}

// proportion is k of n, rounded to 4 digits, with its Wilson 95% interval;
// nil for both when n is 0.
func proportion(k, n int) (*float64, *[2]float64) {
	if n == 0 {
		return nil, nil
	}
	p := round(float64(k)/float64(n), 4)
	lo, hi, _ := Wilson(k, n)
	return &p, &[2]float64{lo, hi}
}
