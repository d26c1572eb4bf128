package clickhouse

import (
	"embed"
	"fmt"
	"io/fs"
	"reflect"
	"regexp"
	"sort"
	"strings"
)

// Every SQL statement Heed sends lives in queries/*.sql, one file per
// resource, one named block per statement:
//
//	-- name: select-send
//	-- comment lines are documentation and are dropped
//	SELECT argMax(body, version) FROM sends WHERE send_id = ? GROUP BY send_id;
//
// Values are bound with ? only (18.16 has no server-side parameters). The
// only text substituted in Go is an identifier in braces ({period},
// {database}), always checked (WithIdent). The statements are loaded once,
// at start, into the fields of q by their `query` tag: a statement without a
// field, or a field without a statement, stops the program (see
// LoadStatements).

//go:embed queries/*.sql
var queryFiles embed.FS

// queries holds every named statement; the comment above each group names
// its file.
type queries struct {
	// surveys.sql
	SelectSurveys     string `query:"select-surveys"`
	SelectSurveysMark string `query:"select-surveys-mark"`
	InsertSurvey      string `query:"insert-survey"`
	// surveys.sql: versions, deletion, the list's counts
	InsertSurveyVersion      string `query:"insert-survey-version"`
	SelectSurveyVersions     string `query:"select-survey-versions"`
	SelectSurveyAnswerCounts string `query:"select-survey-answer-counts"`
	DeleteSurveyRows         string `query:"delete-survey-rows"`
	DeleteSurveyBodies       string `query:"delete-survey-bodies"`
	DeleteSurveySends        string `query:"delete-survey-sends"`
	SelectPendingMutations   string `query:"select-pending-mutations"`
	// responses.sql
	InsertResponses           string `query:"insert-responses"`
	SelectAnswerSuperseded    string `query:"select-answer-superseded"`
	SelectFirstAnswers        string `query:"select-first-answers"`
	SelectLatestAnswers       string `query:"select-latest-answers"`
	SelectExportAnswers       string `query:"select-export-answers"`
	SelectRespondentAnswers   string `query:"select-respondent-answers"`
	SelectStoredAnswers       string `query:"select-stored-answers"`
	SelectAnswerPropertyKeys  string `query:"select-answer-property-keys"`
	SelectLastContact         string `query:"select-last-contact"`
	SelectAnsweredRespondents string `query:"select-answered-respondents"`
	// reports.sql
	SelectRollupDays        string `query:"select-rollup-days"`
	SelectRollupSegmentDays string `query:"select-rollup-segment-days"`
	SelectRawReport         string `query:"select-raw-report"`
	SelectRawSegmentReport  string `query:"select-raw-segment-report"`
	SelectRollupGroupedDays string `query:"select-rollup-grouped-days"`
	SelectRawGroupedReport  string `query:"select-raw-grouped-report"`
	SelectSegmentKeys       string `query:"select-segment-keys"`
	// days.sql
	SelectDaysGuard        string `query:"select-days-guard"`
	SelectMarkedMonths     string `query:"select-marked-months"`
	SelectStaleDays        string `query:"select-stale-days"`
	SelectStaleTouchedDays string `query:"select-stale-touched-days"`
	SelectDaysGroups       string `query:"select-days-groups"`
	SelectDaysFinal        string `query:"select-days-final"`
	InsertAnswerDays       string `query:"insert-answer-days"`
	InsertAnswerMarks      string `query:"insert-answer-marks"`
	InsertAnswerTouches    string `query:"insert-answer-touches"`
	SelectOldTouches       string `query:"select-old-touches"`
	DropTouchesPartition   string `query:"drop-touches-partition"`
	SelectMarks            string `query:"select-marks"`
	// dismissals.sql
	InsertDismissals string `query:"insert-dismissals"`
	// contacts.sql
	InsertContacts            string `query:"insert-contacts"`
	SelectContacts            string `query:"select-contacts"`
	SelectContactsByID        string `query:"select-contacts-by-id"`
	SelectKnownContacts       string `query:"select-known-contacts"`
	InsertSuppression         string `query:"insert-suppression"`
	SelectSuppressed          string `query:"select-suppressed"`
	SelectContactSuppressions string `query:"select-contact-suppressions"`
	SearchContacts            string `query:"search-contacts"`
	SelectContactSends        string `query:"select-contact-sends"`
	SelectRespondentSurveys   string `query:"select-respondent-surveys"`
	// sends.sql
	InsertSend             string `query:"insert-send"`
	SelectSend             string `query:"select-send"`
	SelectSends            string `query:"select-sends"`
	InsertSendLog          string `query:"insert-send-log"`
	SelectSendStatuses     string `query:"select-send-statuses"`
	SelectSendCounts       string `query:"select-send-counts"`
	SelectEmailedContacts  string `query:"select-emailed-contacts"`
	InsertEmailEvents      string `query:"insert-email-events"`
	SelectEmailEventCounts string `query:"select-email-event-counts"`
	// rates.sql
	SelectSendEmailed string `query:"select-send-emailed"`
	SelectSendEvents  string `query:"select-send-events"`
	SelectSendAnswers string `query:"select-send-answers"`
	// churn.sql
	InsertChurn            string `query:"insert-churn"`
	SelectChurnRecorded    string `query:"select-churn-recorded"`
	SelectChurnReport      string `query:"select-churn-report"`
	SelectChurnRangeReport string `query:"select-churn-range-report"`
	// digests.sql
	InsertDigest string `query:"insert-digest"`
	SelectDigest string `query:"select-digest"`
	// claims.sql
	InsertClaim  string `query:"insert-claim"`
	SelectClaims string `query:"select-claims"`
	// cases.sql
	InsertCase           string `query:"insert-case"`
	InsertCaseNote       string `query:"insert-case-note"`
	SelectCaseState      string `query:"select-case-state"`
	SelectCaseAnswer     string `query:"select-case-answer"`
	SelectCases          string `query:"select-cases"`
	SelectCaseSummary    string `query:"select-case-summary"`
	SelectCaseNotes      string `query:"select-case-notes"`
	SelectCaseNoteCounts string `query:"select-case-note-counts"`
	// accounts.sql
	InsertAccount           string `query:"insert-account"`
	SelectAccounts          string `query:"select-accounts"`
	InsertAPIKey            string `query:"insert-api-key"`
	SelectAPIKeys           string `query:"select-api-keys"`
	InsertAPIKeyUse         string `query:"insert-api-key-use"`
	InsertAuthToken         string `query:"insert-auth-token"`
	SelectAuthToken         string `query:"select-auth-token"`
	InsertAudit             string `query:"insert-audit"`
	SelectAudit             string `query:"select-audit"`
	CountExpiredAuthTokens  string `query:"count-expired-auth-tokens"`
	CountRecentSignInLinks  string `query:"count-recent-sign-in-links"`
	SelectAuditTimes        string `query:"select-audit-times"`
	DeleteExpiredAuthTokens string `query:"delete-expired-auth-tokens"`
	// people.sql
	SelectPersonLinks        string `query:"select-person-links"`
	SelectPersonResponses    string `query:"select-person-responses"`
	CountPersonAnswers       string `query:"count-person-answers"`
	DeletePersonAnswers      string `query:"delete-person-answers"`
	CountResponseRows        string `query:"count-response-rows"`
	DeleteResponseRows       string `query:"delete-response-rows"`
	CountRespondentRows      string `query:"count-respondent-rows"`
	DeleteRespondentRows     string `query:"delete-respondent-rows"`
	CountContactRows         string `query:"count-contact-rows"`
	DeleteContactRows        string `query:"delete-contact-rows"`
	CountPersonChurn         string `query:"count-person-churn"`
	DeletePersonChurn        string `query:"delete-person-churn"`
	CountPersonDays          string `query:"count-person-days"`
	DeletePersonDays         string `query:"delete-person-days"`
	SelectPersonSends        string `query:"select-person-sends"`
	DeleteSendVersions       string `query:"delete-send-versions"`
	InsertErased             string `query:"insert-erased"`
	SelectErased             string `query:"select-erased"`
	CountErased              string `query:"count-erased"`
	SelectErasedAmong        string `query:"select-erased-among"`
	SelectPersonContacts     string `query:"select-person-contacts"`
	SelectPersonSuppressions string `query:"select-person-suppressions"`
	SelectPersonAnswers      string `query:"select-person-answers"`
	SelectPersonDismissals   string `query:"select-person-dismissals"`
	SelectPersonSendLog      string `query:"select-person-send-log"`
	SelectPersonEmailEvents  string `query:"select-person-email-events"`
	SelectPersonCases        string `query:"select-person-cases"`
	SelectPersonCaseNotes    string `query:"select-person-case-notes"`
	SelectPersonChurn        string `query:"select-person-churn"`
	SelectPersonLastAnswers  string `query:"select-person-last-answers"`
	// retention.sql
	CountExpiredAnswers     string `query:"count-expired-answers"`
	SelectExpiredAnswerDays string `query:"select-expired-answer-days"`
	AnonymiseAnswers        string `query:"anonymise-answers"`
	CountExpiredCustomers   string `query:"count-expired-customers"`
	DeleteExpiredCustomers  string `query:"delete-expired-customers"`
	CountExpiredDismissals  string `query:"count-expired-dismissals"`
	DeleteExpiredDismissals string `query:"delete-expired-dismissals"`
	SelectExpiredCaseNotes  string `query:"select-expired-case-notes"`
	EmptyCaseNotes          string `query:"empty-case-notes"`
	CountExpiredDays        string `query:"count-expired-days"`
	DeleteExpiredDays       string `query:"delete-expired-days"`
	// migrations.sql
	CreateDatabase        string `query:"create-database"`
	CreateMigrationsTable string `query:"create-migrations-table"`
	SelectMigrationState  string `query:"select-migration-state"`
	InsertMigration       string `query:"insert-migration"`
	SelectColumnExists    string `query:"select-column-exists"`
}

// q is every statement, loaded at start.
var q = mustLoadQueries()

func mustLoadQueries() *queries {
	out := &queries{}
	if err := LoadStatements(queryFiles, "queries/*.sql", out); err != nil {
		panic(err) // the files are embedded: this is a build defect
	}
	return out
}

// namedStatement is one block of a queries file.
type namedStatement struct {
	name, file, sql string
}

var nameLine = regexp.MustCompile(`^--\s*name:\s*([a-z0-9-]+)\s*$`)

// parseStatements reads every named statement of the files matching glob.
func parseStatements(fsys fs.FS, glob string) ([]namedStatement, error) {
	paths, err := fs.Glob(fsys, glob)
	if err != nil {
		return nil, err
	}
	var out []namedStatement
	for _, p := range paths {
		body, err := fs.ReadFile(fsys, p)
		if err != nil {
			return nil, err
		}
		var cur *namedStatement
		var sql strings.Builder
		finish := func() {
			if cur != nil {
				cur.sql = strings.TrimSuffix(strings.TrimSpace(sql.String()), ";")
				out = append(out, *cur)
			}
			sql.Reset()
		}
		for _, line := range strings.Split(string(body), "\n") {
			trimmed := strings.TrimSpace(line)
			if m := nameLine.FindStringSubmatch(trimmed); m != nil {
				finish()
				cur = &namedStatement{name: m[1], file: p}
				continue
			}
			if trimmed == "" || strings.HasPrefix(trimmed, "--") {
				continue
			}
			if cur == nil {
				return nil, fmt.Errorf("%s: SQL before the first -- name: line", p)
			}
			sql.WriteString(line)
			sql.WriteByte('\n')
		}
		finish()
	}
	return out, nil
}

// LoadStatements fills the string fields of the struct dst points to with
// the named statements of the files matching glob, by each field's `query`
// tag: every field's statement must exist, once, and every statement must
// belong to a field. Heed's store loads queries/*.sql so; tools (make
// bench) load their own files the same way.
func LoadStatements(fsys fs.FS, glob string, dst any) error {
	stmts, err := parseStatements(fsys, glob)
	if err != nil {
		return err
	}
	if len(stmts) == 0 {
		return fmt.Errorf("no statements in %s", glob)
	}
	byName := map[string]namedStatement{}
	for _, s := range stmts {
		if prev, dup := byName[s.name]; dup {
			return fmt.Errorf("statement %q is named in %s and %s", s.name, prev.file, s.file)
		}
		if s.sql == "" {
			return fmt.Errorf("statement %q in %s is empty", s.name, s.file)
		}
		byName[s.name] = s
	}
	v := reflect.ValueOf(dst)
	if v.Kind() != reflect.Pointer || v.Elem().Kind() != reflect.Struct {
		return fmt.Errorf("LoadStatements: dst must point to a struct, not %T", dst)
	}
	v = v.Elem()
	claimed := map[string]bool{}
	for i := 0; i < v.NumField(); i++ {
		name := v.Type().Field(i).Tag.Get("query")
		s, ok := byName[name]
		if !ok || v.Field(i).Kind() != reflect.String {
			return fmt.Errorf("no statement %q in %s for string field %s", name, glob, v.Type().Field(i).Name)
		}
		v.Field(i).SetString(s.sql)
		claimed[name] = true
	}
	var orphans []string
	for name, s := range byName {
		if !claimed[name] {
			orphans = append(orphans, name+" ("+s.file+")")
		}
	}
	if len(orphans) > 0 {
		sort.Strings(orphans)
		return fmt.Errorf("statements no field takes: %s", strings.Join(orphans, ", "))
	}
	return nil
}

var identifier = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,62}$`)

// WithIdent puts an identifier (a database name, a function chosen from a
// Go enum) where a statement says {name}. Anything but an identifier is
// refused: values never go into SQL text.
func WithIdent(stmt, name, value string) (string, error) {
	if !identifier.MatchString(value) {
		return "", fmt.Errorf("%q is not an identifier", value)
	}
	placeholder := "{" + name + "}"
	if !strings.Contains(stmt, placeholder) {
		return "", fmt.Errorf("statement has no %s", placeholder)
	}
	return strings.ReplaceAll(stmt, placeholder, value), nil
}

// Statement returns a named statement of queries/*.sql by its name, for
// tools that run Heed's own statements elsewhere (make bench-reports on
// chDB and clickhouse-client).
func Statement(name string) (string, bool) {
	v := reflect.ValueOf(*q)
	for i := 0; i < v.NumField(); i++ {
		if v.Type().Field(i).Tag.Get("query") == name {
			return v.Field(i).String(), true
		}
	}
	return "", false
}
