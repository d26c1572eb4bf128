package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"heed/analytics"
	"heed/analytics/clickhouse"
	"heed/analytics/clickhouse/chdb"
)

// measureChDB builds the same surveys in chDB (current ClickHouse, in this
// process) and times, for each case, the statements Heed runs for it (the
// report's parts, counted days and today raw; the list's first
// window; the export) beside the floor query. Heed's Go code cannot speak
// to chDB, so its statements run here bound as literals.
func measureChDB(lib, dir string, surveys []benchSurvey, start, end time.Time, runs int) ([]ReportRow, string, error) {
	c, version, err := openChDB(lib, dir, "heed_bench")
	if err != nil {
		return nil, "", err
	}
	defer c.Close()
	run := func(sql string, args []any, insert bool, format string) (chdb.Result, error) {
		bound, err := chdb.Bind(sql, args, insert)
		if err != nil {
			return chdb.Result{}, err
		}
		return c.Query(bound, format)
	}
	fmt.Fprintf(os.Stderr, "chDB %s: building the same surveys...\n", version)
	for _, sv := range surveys {
		t0 := time.Now()
		if _, err := run(stmts.GenerateAnswers, []any{sv.id, int64(1), int64(1), start.Unix(), int64(730 * 86400), int64(sv.n), int64(sv.n)}, false, "TSV"); err != nil {
			return nil, "", fmt.Errorf("generate: %w", err)
		}
		fmt.Fprintf(os.Stderr, "  generated %s in %.1f s\n", sv.id, time.Since(t0).Seconds())
		if _, err := run(stmts.BuildAnswerDays, []any{sv.id, sv.id, sv.id}, false, "TSV"); err != nil {
			return nil, "", fmt.Errorf("count days: %w", err)
		}
	}
	if _, err := run(stmts.GenerateChurn, []any{start.Unix(), int64(730 * 86400)}, false, "TSV"); err != nil {
		return nil, "", fmt.Errorf("generate churn: %w", err)
	}
	timeIt := func(steps func() error) (time.Duration, error) {
		if err := steps(); err != nil { // warm-up
			return 0, err
		}
		var ts []time.Duration
		for i := 0; i < runs; i++ {
			t0 := time.Now()
			if err := steps(); err != nil {
				return 0, err
			}
			ts = append(ts, time.Since(t0))
		}
		return median(ts), nil
	}
	today := end.AddDate(0, 0, -1)
	var rows []ReportRow
	for _, sv := range surveys {
		for _, rc := range reportCases {
			if rc.tz != "" {
				continue // its split days read raw: timed through Heed on 18.16 only
			}
			row := ReportRow{Engine: "chDB " + version, Survey: sv.id, Request: rc.name}
			from := end.AddDate(0, 0, -rc.days)
			ident := func(name string) string {
				sql, err := periodStatement(heedStatement(name), rc.interval)
				if err != nil {
					panic(err)
				}
				return sql
			}
			var heed func() error
			switch rc.kind {
			case "report", "csv":
				span := []any{sv.id, from.Format(time.DateOnly), end.Format(time.DateOnly)}
				daysArgs := append(append([]any{uint8(1)}, span...), span...)
				days, raw, rawArgs := heedStatement("select-rollup-days"), ident("select-raw-report"), []any{"UTC", sv.id, today.Unix(), end.Unix(), uint8(1)}
				if g, _ := analytics.ParseGroupBy(rc.groupBy); g.Set() {
					daysArgs = append(append([]any{uint8(1), []string{}, g.Property, g.Property}, span...), span...)
					days, raw = heedStatement("select-rollup-grouped-days"), ident("select-raw-grouped-report")
					rawArgs = []any{"UTC", g.Property, g.Property, sv.id, today.Unix(), end.Unix(), uint8(1), []string{}}
				}
				heed = func() error {
					for _, st := range []struct {
						sql  string
						args []any
					}{
						// What Report runs (at once; here one after another): the
						// marks of the survey's days, the counted days, today raw.
						{heedStatement("select-marks"), []any{sv.id, from.Format(time.DateOnly), end.Format(time.DateOnly)}},
						{days, daysArgs},
						{raw, rawArgs},
					} {
						if _, err := run(st.sql, st.args, false, "Null"); err != nil {
							return err
						}
					}
					return nil
				}
			case "churn", "churn-range":
				// What ChurnReport runs: one statement, over answer_customers
				// or, with a range, over the answers of the range.
				ids := []string{""}
				for _, r := range benchReportSurvey(sv.id).Reasons {
					ids = append(ids, r.ID)
				}
				w, day := int64(churnWindowDays), analytics.DayNumber(end.AddDate(0, 0, -1))
				sql, args := heedStatement("select-churn-report"), []any{w, day, w, ids, sv.id, uint64(1) << 63}
				if rc.kind == "churn-range" {
					sql, args = heedStatement("select-churn-range-report"), []any{w, day, w, ids, sv.id, from.Unix(), end.Unix(), uint8(1)}
				}
				heed = func() error {
					_, err := run(sql, args, false, "Null")
					return err
				}
			case "latest":
				heed = func() error {
					_, err := run(heedStatement("select-latest-answers"), []any{sv.id, today.Unix(), end.Unix(), []string{}, 20}, false, "Null")
					return err
				}
			case "export":
				row.Rows = int64(sv.n)
				file := filepath.Join(dir, "export.csv")
				export := func(sql string) func() error {
					return func() error {
						os.Remove(file)
						_, err := run(sql+" INTO OUTFILE '"+file+"' FORMAT CSVWithNames", []any{[]string{"plan", ""}, sv.id, from.Unix(), end.Unix(), []string{}}, false, "TSV")
						return err
					}
				}
				heedSQL := heedStatement("select-export-answers")
				d, err := timeIt(export(heedSQL))
				if err != nil {
					return nil, "", err
				}
				floor, err := timeIt(export(strings.Replace(heedSQL, "FROM answers FINAL", "FROM answers", 1)))
				if err != nil {
					return nil, "", err
				}
				os.Remove(file)
				row.HeedMS, row.FloorMS = ms(d), ms(floor)
				row.HeedRowsS, row.FloorRowsS = float64(sv.n)/d.Seconds(), float64(sv.n)/floor.Seconds()
				row.Ratio = row.HeedRowsS / row.FloorRowsS
				rows = append(rows, row)
				continue
			}
			d, err := timeIt(heed)
			if err != nil {
				return nil, "", fmt.Errorf("%s %s: %w", sv.id, rc.name, err)
			}
			sql, args, err := floorStatement(sv, rc, end)
			if err != nil {
				return nil, "", err
			}
			floor, err := timeIt(func() error { _, err := run(sql, args, false, "Null"); return err })
			if err != nil {
				return nil, "", fmt.Errorf("%s %s floor: %w", sv.id, rc.name, err)
			}
			row.HeedMS, row.FloorMS = ms(d), ms(floor)
			row.Ratio = row.HeedMS / row.FloorMS
			fmt.Fprintf(os.Stderr, "  chDB %s %s: %.0f ms (floor %.0f ms)\n", sv.id, rc.name, row.HeedMS, row.FloorMS)
			rows = append(rows, row)
		}
	}
	return rows, version, nil
}

// openChDB opens a chDB session in dir with Heed's migrations applied in
// database, and returns it with chDB's version.
func openChDB(lib, dir, database string) (*chdb.Conn, string, error) {
	c, err := chdb.Open(lib, dir)
	if err != nil {
		return nil, "", err
	}
	v, err := c.Query("SELECT version()", "TSV")
	if err != nil {
		c.Close()
		return nil, "", err
	}
	migrations, err := clickhouse.MigrationStatements()
	if err != nil {
		c.Close()
		return nil, "", err
	}
	for _, q := range append([]string{"CREATE DATABASE IF NOT EXISTS " + database, "USE " + database}, migrations...) {
		if _, err := c.Query(q, "TSV"); err != nil {
			c.Close()
			return nil, "", fmt.Errorf("%.80s: %w", q, err)
		}
	}
	return c, strings.TrimSpace(string(v.Output)), nil
}

// periodStatement is a report statement with its {period} the function
// Heed uses for the interval.
func periodStatement(sql string, i analytics.Interval) (string, error) {
	fn, err := clickhouse.PeriodFunction(i)
	if err != nil {
		return "", err
	}
	return clickhouse.WithIdent(sql, "period", fn)
}

// printReportTables prints the figures, one table per engine.
func printReportTables(rows []ReportRow, chdbVersion string) {
	engines := []string{"18.16"}
	if chdbVersion != "" {
		engines = append(engines, "chDB "+chdbVersion)
	}
	for _, engine := range engines {
		if engine == "18.16" {
			fmt.Printf("\nClickHouse 18.16 (the private server), through Heed's HTTP API; floor = the raw aggregate of the same rows:\n")
			fmt.Printf("%-10s %-30s %10s %10s %7s %12s %12s\n", "survey", "request", "Heed ms", "floor ms", "ratio", "CH peak MB", "Heed RSS MB")
		} else {
			fmt.Printf("\nCurrent ClickHouse (%s, in process): Heed's statements for each request; floor as above:\n", engine)
			fmt.Printf("%-10s %-30s %10s %10s %7s\n", "survey", "request", "Heed ms", "floor ms", "ratio")
		}
		var sevenDay = map[string]float64{}
		for _, r := range rows {
			if r.Engine != engine {
				continue
			}
			if r.Request == "daily report, 7 days" {
				sevenDay[r.Survey] = r.HeedMS
			}
			if engine == "18.16" {
				fmt.Printf("%-10s %-30s %10.1f %10.1f %7.2f %12.1f %12.1f\n", r.Survey, r.Request, r.HeedMS, r.FloorMS, r.Ratio, r.PeakMB, r.HeedRSSMB)
			} else {
				fmt.Printf("%-10s %-30s %10.1f %10.1f %7.2f\n", r.Survey, r.Request, r.HeedMS, r.FloorMS, r.Ratio)
			}
			if r.Rows > 0 {
				fmt.Printf("%-10s %-30s %d rows: Heed %.0f rows/s, %s %.0f rows/s (ratio %.2f)",
					"", "", r.Rows, r.HeedRowsS, map[bool]string{true: "clickhouse-client CSVWithNames", false: "the same without FINAL"}[engine == "18.16"], r.FloorRowsS, r.Ratio)
				if engine == "18.16" {
					fmt.Printf(", Heed RSS grew %.1f MB", r.RSSGrowMB)
				}
				fmt.Println()
			}
		}
		if a, b := sevenDay["bench_10m"], sevenDay["bench_1m"]; a > 0 && b > 0 {
			fmt.Printf("7-day report, 10 M survey / 1 M survey: %.2f\n", a/b)
		}
	}
}
