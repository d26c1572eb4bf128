package server

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"heed/analytics"
)

// maxReportPeriods bounds a report's size (e.g. ten years of weeks).
const maxReportPeriods = 1000

// reportResult is the JSON of GET /api/v1/surveys/:id/report.
type reportResult struct {
	SurveyID string             `json:"survey_id"`
	From     string             `json:"from"`
	To       string             `json:"to"`
	Interval analytics.Interval `json:"interval"`
	*analytics.Report
}

// reportQuery reads from, to (exclusive) and interval. Defaults: to =
// tomorrow (so today is in), from = 12 weeks earlier, interval = week.
func reportQuery(c echo.Context, sv *analytics.Survey) (analytics.ReportQuery, error) {
	q := analytics.ReportQuery{Survey: sv, Interval: analytics.Week}
	fields := map[string]string{}
	today := time.Now().UTC().Truncate(24 * time.Hour)
	q.To = today.AddDate(0, 0, 1)
	if v := c.QueryParam("to"); v != "" {
		t, err := time.Parse(time.DateOnly, v)
		if err != nil {
			fields["to"] = "must be a date as YYYY-MM-DD"
		}
		q.To = t
	}
	q.From = q.To.AddDate(0, 0, -7*12)
	if v := c.QueryParam("from"); v != "" {
		t, err := time.Parse(time.DateOnly, v)
		if err != nil {
			fields["from"] = "must be a date as YYYY-MM-DD"
		}
		q.From = t
	}
	for name, values := range c.QueryParams() {
		key, ok := strings.CutPrefix(name, "property.")
		if !ok {
			continue
		}
		if !analytics.ValidPropertyKey(key) || len(values) != 1 ||
			analytics.TooLong(values[0], analytics.MaxPropertyValue) || len(q.Properties) >= 10 {
			fields[name] = "use property.<name>=<value> once per property, at most 10"
			continue
		}
		if q.Properties == nil {
			q.Properties = map[string]string{}
		}
		q.Properties[key] = values[0]
	}
	if v := c.QueryParam("include_unconfirmed"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			fields["include_unconfirmed"] = "must be true or false"
		}
		q.IncludeUnconfirmed = b
	}
	if v := c.QueryParam("interval"); v != "" {
		q.Interval = analytics.Interval(v)
		if !q.Interval.Valid() {
			fields["interval"] = "must be one of: day, week, month"
		}
	}
	if len(fields) == 0 {
		switch {
		case !q.From.Before(q.To):
			fields["from"] = "must be before to (to is exclusive)"
		case q.From.Year() < 2000 || q.To.Year() > 2105:
			fields["from"] = "dates must lie between 2000 and 2105"
		case q.Interval.Periods(q.From, q.To) > maxReportPeriods:
			fields["interval"] = fmt.Sprintf("the range has more than %d periods; pick a longer interval or a shorter range", maxReportPeriods)
		}
	}
	if len(fields) > 0 {
		return q, invalid(fields)
	}
	return q, nil
}

func (s *Server) report(c echo.Context) (*analytics.Survey, analytics.ReportQuery, *analytics.Report, error) {
	sv, err := s.survey(c)
	if err != nil {
		return nil, analytics.ReportQuery{}, nil, err
	}
	q, err := reportQuery(c, sv)
	if err != nil {
		return nil, q, nil, err
	}
	rep, err := s.store.Report(c.Request().Context(), q)
	if err != nil {
		return nil, q, nil, err
	}
	return sv, q, rep, nil
}

// getReport handles GET /api/v1/surveys/:id/report.
func (s *Server) getReport(c echo.Context) error {
	sv, q, rep, err := s.report(c)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, reportResult{
		SurveyID: sv.ID,
		From:     q.From.Format(time.DateOnly),
		To:       q.To.Format(time.DateOnly),
		Interval: q.Interval,
		Report:   rep,
	})
}

// reasonBase names whom a reason's first CSV column is a share of: the
// detractors for a reason offered to everyone (as before follow_ups),
// else the groups it is offered to ("promoters", "detractors and passives").
func reasonBase(groups []string) string {
	switch len(groups) {
	case len(analytics.Groups):
		return analytics.GroupDetractors
	case 0:
		return "nobody"
	}
	return strings.Join(groups, " and ")
}

// reasonShare is the share reasonBase names.
func reasonShare(st analytics.ReasonStats) float64 {
	if len(st.Groups) == len(analytics.Groups) {
		return st.ShareOfDetractors
	}
	return st.ShareOfGroups
}

// getReportCSV handles GET /api/v1/surveys/:id/report.csv: one row per
// period, two share columns per reason, spreadsheet-safe, written as it is
// made.
func (s *Server) getReportCSV(c echo.Context) error {
	sv, q, rep, err := s.report(c)
	if err != nil {
		return err
	}
	name := fmt.Sprintf("heed-%s-%s-%s-%s.csv", sv.ID, q.Interval, q.From.Format(time.DateOnly), q.To.Format(time.DateOnly))
	w, err := startCSV(c, name, s.log)
	if err != nil {
		return err
	}
	header := []string{"period_start", "responses", "promoters", "passives", "detractors", "nps", "nps_ci95_low", "nps_ci95_high"}
	reasons := sv.AllReasons()
	for _, r := range reasons {
		header = append(header, r.Label+" (share of "+reasonBase(r.Groups)+")", r.Label+" (share of responses)")
	}
	if err := w.row(header); err != nil {
		return w.fail(err)
	}
	for _, p := range rep.Periods {
		row := []string{p.Start, itoa(p.Responses), itoa(p.Promoters), itoa(p.Passives), itoa(p.Detractors), "", "", ""}
		if p.NPS != nil {
			row[5], row[6], row[7] = ftoa(*p.NPS), ftoa(p.NPSCI95[0]), ftoa(p.NPSCI95[1])
		}
		for _, r := range reasons {
			st := p.Reasons[r.ID]
			row = append(row, ftoa(reasonShare(st)), ftoa(st.ShareOfResponses))
		}
		if err := w.row(row); err != nil {
			return w.fail(err)
		}
	}
	return w.finish()
}
