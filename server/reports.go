package server

import (
	"errors"
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
	TimeZone string             `json:"tz"`
	*analytics.Report
}

// reportQuery reads from, to (exclusive) and interval. Defaults: to =
// tomorrow (so today is in), from = 12 weeks earlier, interval = week.
func reportQuery(c echo.Context, sv *analytics.Survey) (analytics.ReportQuery, error) {
	q := analytics.ReportQuery{Survey: sv, Interval: analytics.Week}
	fields := map[string]string{}
	loc := time.UTC
	if v := c.QueryParam("tz"); v != "" {
		l, err := loadZone(v)
		if err != nil {
			fields["tz"] = "must be an IANA time zone name, e.g. Europe/Paris"
		} else {
			loc = l
		}
	}
	q.Location = loc
	now := time.Now().In(loc)
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, loc)
	q.To = today.AddDate(0, 0, 1)
	if v := c.QueryParam("to"); v != "" {
		t, err := time.ParseInLocation(time.DateOnly, v, loc)
		if err != nil {
			fields["to"] = "must be a date as YYYY-MM-DD"
		}
		q.To = t
	}
	q.From = q.To.AddDate(0, 0, -7*12)
	if v := c.QueryParam("from"); v != "" {
		t, err := time.ParseInLocation(time.DateOnly, v, loc)
		if err != nil {
			fields["from"] = "must be a date as YYYY-MM-DD"
		}
		q.From = t
	}
	if v := c.QueryParam("group_by"); v != "" {
		g, err := analytics.ParseGroupBy(v)
		if err != nil {
			fields["group_by"] = err.Error()
		}
		q.GroupBy = g
	}
	if v := c.QueryParam("respondent"); v != "" {
		if analytics.TooLong(v, analytics.MaxRespondent) || analytics.HasControl(v) {
			fields["respondent"] = fmt.Sprintf("must be at most %d characters, without control characters", analytics.MaxRespondent)
		}
		q.Respondent = v
	}
	if v := c.QueryParam("min_n"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1_000_000 {
			fields["min_n"] = "must be a whole number from 1 to 1000000"
		}
		q.MinSample = n
	}
	for name, values := range c.QueryParams() {
		key, ok := strings.CutPrefix(name, "property.")
		if !ok {
			continue
		}
		// The rules of stored properties (analytics.CheckProperties): a
		// property an answer holds can always be a filter.
		if !analytics.ValidPropertyKey(key) || len(values) != 1 ||
			!analytics.ValidPropertyValue(values[0]) || len(q.Properties) >= 10 {
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
	if errors.Is(err, analytics.ErrTooManySegments) {
		return nil, q, nil, invalid(map[string]string{"group_by": err.Error()})
	}
	if err != nil {
		return nil, q, nil, err
	}
	return sv, q, rep, nil
}

// loadZone reads an IANA time zone name. "Local" is refused: it names the
// server's zone, which a report must not depend on.
func loadZone(name string) (*time.Location, error) {
	if name == "Local" || len(name) > 64 {
		return nil, fmt.Errorf("unknown time zone %q", name)
	}
	return time.LoadLocation(name)
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
		TimeZone: q.Zone().String(),
		Report:   rep,
	})
}

// getReportCSV handles GET /api/v1/surveys/:id/report.csv: one row per
// period (per period and segment when grouped: the whole first, then each
// segment), the small-sample flag, the change from the period before,
// and per reason its share of detractors and of responses;
// spreadsheet-safe, written as it is made.
func (s *Server) getReportCSV(c echo.Context) error {
	sv, q, rep, err := s.report(c)
	if err != nil {
		return err
	}
	w, err := startCSV(c, reportCSVName(sv, q), s.log)
	if err != nil {
		return err
	}
	if err := writeReportCSV(sv, q, rep, w.row); err != nil {
		return w.fail(err)
	}
	return w.finish()
}

// segmentName is how a CSV names a segment: "(all)" is the whole report,
// "(none)" the answers without the grouping's property.
func segmentName(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

// reportHeader is report.csv's first row.
func reportHeader(sv *analytics.Survey, q analytics.ReportQuery) []string {
	var h []string
	if q.GroupBy.Set() {
		h = append(h, q.GroupBy.String())
	}
	h = append(h, "period_start", "responses", "promoters", "passives", "detractors", "nps", "nps_ci95_low", "nps_ci95_high",
		"small_sample", "nps_change", "nps_change_ci95_low", "nps_change_ci95_high", "nps_change_significant")
	for _, r := range sv.AllReasons() {
		h = append(h, r.Label+" (share of "+reasonBase(r.Groups)+")", r.Label+" (share of responses)")
	}
	return h
}

// reportRow is one period of report.csv.
func reportRow(sv *analytics.Survey, q analytics.ReportQuery, segment string, p analytics.Period) []string {
	var row []string
	if q.GroupBy.Set() {
		if segment == "" {
			segment = "(all)"
		}
		row = append(row, segment)
	}
	row = append(row, p.Start, itoa(p.Responses), itoa(p.Promoters), itoa(p.Passives), itoa(p.Detractors))
	if p.NPS != nil {
		row = append(row, ftoa(*p.NPS), ftoa(p.NPSCI95[0]), ftoa(p.NPSCI95[1]))
	} else {
		row = append(row, "", "", "")
	}
	row = append(row, strconv.FormatBool(p.SmallSample))
	if p.Change != nil {
		ch := p.Change.NPS
		row = append(row, ftoa(ch.Diff), ftoa(ch.CI95[0]), ftoa(ch.CI95[1]), strconv.FormatBool(ch.Significant))
	} else {
		row = append(row, "", "", "", "")
	}
	for _, r := range sv.AllReasons() {
		st := p.Reasons[r.ID]
		row = append(row, ftoa(reasonShare(st)), ftoa(st.ShareOfResponses))
	}
	return row
}

// compareResult is the JSON of GET /api/v1/surveys/:id/compare.
type compareResult struct {
	SurveyID string                  `json:"survey_id"`
	Base     rangeTotal              `json:"base"`
	Current  rangeTotal              `json:"current"`
	Change   *analytics.PeriodChange `json:"change"`
}

type rangeTotal struct {
	From string `json:"from"`
	To   string `json:"to"`
	analytics.Period
}

// compare handles GET /api/v1/surveys/:id/compare: the totals of two
// ranges, the current one (from, to) and the base it is compared with
// (base_from, base_to), and the change from base to current: NPS and
// every reason share, with intervals and significance. The other
// parameters are the report's.
func (s *Server) compare(c echo.Context) error {
	sv, err := s.survey(c)
	if err != nil {
		return err
	}
	cur, err := reportQuery(c, sv)
	if err != nil {
		return err
	}
	base := cur
	fields := map[string]string{}
	for name, t := range map[string]*time.Time{"base_from": &base.From, "base_to": &base.To} {
		v := c.QueryParam(name)
		d, err := time.ParseInLocation(time.DateOnly, v, cur.Zone())
		if err != nil {
			fields[name] = "required: a date as YYYY-MM-DD"
			continue
		}
		*t = d
	}
	if len(fields) == 0 && !base.From.Before(base.To) {
		fields["base_from"] = "must be before base_to (base_to is exclusive)"
	} else if len(fields) == 0 && (base.From.Year() < 2000 || base.To.Year() > 2105) {
		fields["base_from"] = "dates must lie between 2000 and 2105"
	}
	if len(fields) > 0 {
		return invalid(fields)
	}
	// A month per period keeps both within maxReportPeriods; only the
	// totals are used.
	cur.Interval, base.Interval = analytics.Month, analytics.Month
	cur.GroupBy, base.GroupBy = analytics.GroupBy{}, analytics.GroupBy{}
	for _, q := range []analytics.ReportQuery{cur, base} {
		if q.Interval.Periods(q.From, q.To) > maxReportPeriods {
			return invalid(map[string]string{"from": "the ranges may span at most 1000 months"})
		}
	}
	var reps [2]*analytics.Report
	ctx := c.Request().Context()
	for i, q := range []analytics.ReportQuery{base, cur} {
		if reps[i], err = s.store.Report(ctx, q); err != nil {
			return err
		}
	}
	minN := reps[1].MinSample
	return c.JSON(http.StatusOK, compareResult{
		SurveyID: sv.ID,
		Base:     rangeTotal{base.From.Format(time.DateOnly), base.To.Format(time.DateOnly), reps[0].Total},
		Current:  rangeTotal{cur.From.Format(time.DateOnly), cur.To.Format(time.DateOnly), reps[1].Total},
		Change:   reps[1].Total.Compare(&reps[0].Total, base.From.Format(time.DateOnly), minN),
	})
}

// maxSegmentKeys bounds the property names the dashboard offers to group by.
const maxSegmentKeys = 50

// getSegmentKeys handles GET /api/v1/surveys/:id/segments: what a report
// of the range (from, to as the report's) can be grouped by: the channel,
// and the property names of its answers.
func (s *Server) getSegmentKeys(c echo.Context) error {
	sv, err := s.survey(c)
	if err != nil {
		return err
	}
	q, err := reportQuery(c, sv)
	if err != nil {
		return err
	}
	keys, err := s.store.SegmentKeys(c.Request().Context(), sv.ID, q.From, q.To, maxSegmentKeys)
	if err != nil {
		return err
	}
	groups := []string{"channel"}
	for _, k := range keys {
		groups = append(groups, "property:"+k)
	}
	return c.JSON(http.StatusOK, map[string]any{"survey_id": sv.ID, "group_by": groups})
}
