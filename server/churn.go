package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"heed/analytics"
)

// Churn linkage (analytics/churn.go): managers import the customers who
// left, and each survey reports whether those who answered churned within
// a window after their last answer.

// maxChurnPerRequest bounds one POST /api/v1/churn; heed churn import has
// no such bound. churnBodyLimit fits that many records with long reasons.
const (
	maxChurnPerRequest = 10000
	churnBodyLimit     = "8MiB"
	// maxChurnFieldErrors bounds the fields a refused batch names.
	maxChurnFieldErrors = 100
)

// churnImportResult is the JSON of a stored batch.
type churnImportResult struct {
	// Imported customers, of which New had no churn record (or a withdrawn
	// one) and Replaced had one, now replaced.
	Imported int `json:"imported"`
	New      int `json:"new"`
	Replaced int `json:"replaced"`
	// Duplicates counts records merged into a later one of the same
	// customer in the batch.
	Duplicates int `json:"duplicates"`
}

// createChurn handles POST /api/v1/churn: a JSON array of churn records,
// stored all or nothing. A batch with any invalid record is refused with a
// 422 naming each record's index and field ("[3].churned_at").
func (s *Server) createChurn(c echo.Context) error {
	var body json.RawMessage
	if err := decodeJSON(c, &body, false); err != nil {
		return err
	}
	var raw []json.RawMessage
	if trimmed := bytes.TrimSpace(body); len(trimmed) == 0 || trimmed[0] != '[' || json.Unmarshal(trimmed, &raw) != nil {
		return newError(http.StatusBadRequest, "the body must be a JSON array of churn records")
	}
	if len(raw) == 0 || len(raw) > maxChurnPerRequest {
		return newError(http.StatusUnprocessableEntity, "send a JSON array of 1 to %d churn records", maxChurnPerRequest)
	}
	fields := map[string]string{}
	bad := map[int]bool{}
	inputs := make([]analytics.ChurnInput, 0, len(raw))
	index := make([]int, 0, len(raw))
	for i, r := range raw {
		var in analytics.ChurnInput
		if field, msg := decodeChurnRecord(r, &in); msg != "" {
			fields[churnField(i, field)] = msg
			bad[i] = true
			continue
		}
		inputs = append(inputs, in)
		index = append(index, i)
	}
	records, sum := analytics.NormalizeChurn(inputs, func(i int) int { return index[i] }, time.Now())
	for _, p := range sum.Invalid {
		fields[churnField(p.Index, p.Field)] = p.Error
		bad[p.Index] = true
	}
	if len(bad) > 0 {
		return churnInvalid(fields, len(bad), len(raw))
	}
	ctx := c.Request().Context()
	customers := make([]string, len(records))
	for i, r := range records {
		customers[i] = r.Customer
	}
	known, err := s.store.ChurnRecorded(ctx, customers)
	if err != nil {
		return err
	}
	if err := s.store.UpsertChurn(ctx, records); err != nil {
		return err
	}
	s.audit(c, analytics.AuditEntry{Action: "churn.import",
		Detail: fmt.Sprintf("api: %d new, %d replaced, %d duplicates", len(records)-len(known), len(known), sum.Duplicates)})
	return c.JSON(http.StatusOK, churnImportResult{Imported: len(records), New: len(records) - len(known), Replaced: len(known),
		Duplicates: sum.Duplicates})
}

// decodeChurnRecord reads one record strictly (no unknown fields) and names
// the field at fault ("" for the record itself).
func decodeChurnRecord(r json.RawMessage, in *analytics.ChurnInput) (field, msg string) {
	dec := json.NewDecoder(bytes.NewReader(r))
	dec.DisallowUnknownFields()
	err := dec.Decode(in)
	var typ *json.UnmarshalTypeError
	switch {
	case err == nil:
		return "", ""
	case errors.As(err, &typ) && typ.Field == "revenue":
		return typ.Field, "must be a number"
	case errors.As(err, &typ) && typ.Field != "":
		return typ.Field, "must be " + jsonTypeName(typ.Type.Kind().String())
	case errors.As(err, &typ):
		return "", "must be an object"
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`), "is not a known field (email, respondent, churned_at, reason, revenue)"
	}
	return "", err.Error()
}

func churnField(i int, field string) string {
	if field == "" {
		return fmt.Sprintf("[%d]", i)
	}
	return fmt.Sprintf("[%d].%s", i, field)
}

// churnInvalid is the 422 of a refused batch: how many records are at
// fault, and the fields of the first maxChurnFieldErrors of them.
func churnInvalid(fields map[string]string, badRecords, total int) *Error {
	names := make([]string, 0, len(fields))
	for k := range fields {
		names = append(names, k)
	}
	sort.Slice(names, func(i, j int) bool { // by record index, then field
		a, b := names[i], names[j]
		ia, _ := strconv.Atoi(strings.TrimPrefix(a[:strings.IndexByte(a, ']')], "["))
		ib, _ := strconv.Atoi(strings.TrimPrefix(b[:strings.IndexByte(b, ']')], "["))
		if ia != ib {
			return ia < ib
		}
		return a < b
	})
	if len(names) > maxChurnFieldErrors {
		for _, k := range names[maxChurnFieldErrors:] {
			delete(fields, k)
		}
		names = names[:maxChurnFieldErrors]
	}
	msg := fmt.Sprintf("%d of %d churn records are invalid; nothing was stored (first: %s: %s)", badRecords, total, names[0], fields[names[0]])
	return &Error{Status: http.StatusUnprocessableEntity, Code: CodeInvalid, Message: msg, Fields: fields}
}

// deleteChurn handles DELETE /api/v1/churn/:customer: the customer's churn
// record is withdrawn (a tombstone; reports skip it until the customer is
// imported again). The customer is an email address when it holds an @,
// else a respondent id; ?by=respondent or ?by=email says which.
func (s *Server) deleteChurn(c echo.Context) error {
	value, err := url.PathUnescape(c.Param("customer"))
	if err != nil {
		return newError(http.StatusBadRequest, "the customer in the path is not valid percent-encoding")
	}
	by := c.QueryParam("by")
	if by == "" {
		by = "respondent"
		if strings.Contains(value, "@") {
			by = "email"
		}
	}
	var customer string
	var errs analytics.FieldErrors
	switch by {
	case "email":
		customer, _, errs = analytics.ChurnCustomer(value, "")
	case "respondent":
		customer, _, errs = analytics.ChurnCustomer("", value)
	default:
		return invalid(map[string]string{"by": "must be email or respondent"})
	}
	if errs != nil {
		return invalid(errs)
	}
	ctx := c.Request().Context()
	known, err := s.store.ChurnRecorded(ctx, []string{customer})
	if err != nil {
		return err
	}
	if !known[customer] {
		return newError(http.StatusNotFound, "no churn record for this %s", by)
	}
	if err := s.store.WithdrawChurn(ctx, []string{customer}); err != nil {
		return err
	}
	// Whom is not recorded: the entry would outlive an erasure of them.
	s.audit(c, analytics.AuditEntry{Action: "churn.withdraw"})
	return c.JSON(http.StatusOK, map[string]any{"customer": customer, "withdrawn": true})
}

// churnResult is the JSON of GET /api/v1/surveys/:id/churn.
type churnResult struct {
	SurveyID   string `json:"survey_id"`
	WindowDays int    `json:"window_days"`
	// From and To are the range of first answers; null: every answer.
	From               *string `json:"from"`
	To                 *string `json:"to"`
	AsOf               string  `json:"as_of"`
	IncludeUnconfirmed bool    `json:"include_unconfirmed"`
	*analytics.ChurnReport
}

// churnQuery reads window_days (1 to 730, default 90), include_unconfirmed
// and an optional range of first answers (from, to as in the report;
// either one makes a range: from defaults to 2000-01-01, to to tomorrow).
func churnQuery(c echo.Context, sv *analytics.Survey, now time.Time) (analytics.ChurnQuery, error) {
	today := now.UTC().Truncate(24 * time.Hour)
	q := analytics.ChurnQuery{Survey: sv, WindowDays: analytics.DefaultChurnWindowDays, Today: today}
	fields := map[string]string{}
	if v := c.QueryParam("window_days"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > analytics.MaxChurnWindowDays {
			fields["window_days"] = fmt.Sprintf("must be a whole number of days from 1 to %d", analytics.MaxChurnWindowDays)
		}
		q.WindowDays = n
	}
	if v := c.QueryParam("include_unconfirmed"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			fields["include_unconfirmed"] = "must be true or false"
		}
		q.IncludeUnconfirmed = b
	}
	from, to := c.QueryParam("from"), c.QueryParam("to")
	if from != "" || to != "" {
		q.From, q.To = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC), today.AddDate(0, 0, 1)
		for name, v := range map[string]string{"from": from, "to": to} {
			if v == "" {
				continue
			}
			t, err := time.Parse(time.DateOnly, v)
			if err != nil {
				fields[name] = "must be a date as YYYY-MM-DD"
			}
			if name == "from" {
				q.From = t
			} else {
				q.To = t
			}
		}
		if len(fields) == 0 {
			switch {
			case !q.From.Before(q.To):
				fields["from"] = "must be before to (to is exclusive)"
			case q.From.Year() < 2000 || q.To.Year() > 2105:
				fields["from"] = "dates must lie between 2000 and 2105"
			}
		}
	}
	if len(fields) > 0 {
		return q, invalid(fields)
	}
	return q, nil
}

func (s *Server) churnReport(c echo.Context) (churnResult, error) {
	sv, err := s.survey(c)
	if err != nil {
		return churnResult{}, err
	}
	q, err := churnQuery(c, sv, time.Now())
	if err != nil {
		return churnResult{}, err
	}
	rep, err := s.store.ChurnReport(c.Request().Context(), q)
	if err != nil {
		return churnResult{}, err
	}
	res := churnResult{SurveyID: sv.ID, WindowDays: q.WindowDays, AsOf: q.Today.Format(time.DateOnly),
		IncludeUnconfirmed: q.IncludeUnconfirmed, ChurnReport: rep}
	if q.Ranged() {
		from, to := q.From.Format(time.DateOnly), q.To.Format(time.DateOnly)
		res.From, res.To = &from, &to
	}
	return res, nil
}

// getChurnReport handles GET /api/v1/surveys/:id/churn.
func (s *Server) getChurnReport(c echo.Context) error {
	res, err := s.churnReport(c)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, res)
}

// churnCSVHeader is the tidy layout of churn.csv: one row per figure and
// group (or reason). count is the customers counted (churned ones for a
// rate or share, those who gave a revenue for revenue_lost), base what a
// rate or share divides by, value the rate, share or sum.
var churnCSVHeader = []string{"figure", "group", "reason_id", "reason_label", "count", "base", "value", "ci95_low", "ci95_high"}

// getChurnCSV handles GET /api/v1/surveys/:id/churn.csv: the figures of
// the JSON report, one per row, spreadsheet-safe.
func (s *Server) getChurnCSV(c echo.Context) error {
	res, err := s.churnReport(c)
	if err != nil {
		return err
	}
	name := fmt.Sprintf("heed-%s-churn-%dd-%s.csv", res.SurveyID, res.WindowDays, res.AsOf)
	w, err := startCSV(c, name, s.log)
	if err != nil {
		return err
	}
	rows := [][]string{churnCSVHeader}
	cu := res.Customers
	for _, g := range []struct {
		name string
		n    int
	}{{"answered", cu.Answered}, {"closed", cu.Closed}, {"churned", cu.Churned}, {"stayed", cu.Stayed},
		{"pending", cu.Pending}, {"pending_churned", cu.PendingChurned}, {"churned_before_answer", cu.ChurnedBeforeAnswer}} {
		rows = append(rows, []string{"customers", g.name, "", "", itoa(g.n), "", "", "", ""})
	}
	rate := func(figure, group, id, label string, k, n int, v *float64, ci *[2]float64) []string {
		row := []string{figure, group, id, label, itoa(k), itoa(n), "", "", ""}
		if v != nil {
			row[6] = ftoa(*v)
		}
		if ci != nil {
			row[7], row[8] = ftoa(ci[0]), ftoa(ci[1])
		}
		return row
	}
	rows = append(rows, rate("churn_rate", "all", "", "", res.ChurnRate.Churned, res.ChurnRate.Customers, res.ChurnRate.Rate, res.ChurnRate.CI95))
	for _, g := range res.Groups {
		rows = append(rows, rate("churn_rate", g.Group, "", "", g.Churned, g.Customers, g.Rate, g.CI95))
	}
	reasons := append(append([]analytics.ChurnReason(nil), res.Reasons...), res.NoReason)
	group := func(r analytics.ChurnReason) string {
		if r.ID == "" {
			return "no_reason"
		}
		return "reason"
	}
	for _, r := range reasons {
		rows = append(rows, rate("share_of_churned", group(r), r.ID, r.Label, r.Churned, res.Customers.Churned, r.ShareOfChurned, r.ShareOfChurnedCI95))
	}
	for _, r := range reasons {
		rows = append(rows, rate("churn_rate_by_reason", group(r), r.ID, r.Label, r.Churned, r.Customers, r.ChurnRate, r.ChurnRateCI95))
	}
	rows = append(rows, []string{"revenue_lost", "all", "", "", itoa(res.Revenue.Customers), "", ftoa(res.Revenue.Lost), "", ""})
	for _, r := range reasons {
		rows = append(rows, []string{"revenue_lost", group(r), r.ID, r.Label, itoa(r.RevenueCustomers), "", ftoa(r.RevenueLost), "", ""})
	}
	for _, row := range rows {
		if err := w.row(row); err != nil {
			return w.fail(err)
		}
	}
	return w.finish()
}
