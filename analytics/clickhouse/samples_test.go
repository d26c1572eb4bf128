package clickhouse_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"

	"heed/analytics/clickhouse"
	"heed/analytics/clickhouse/chtest"
)

// sample is one way to run a named statement: values for its ? (for an
// insert, one row) and identifiers for its {slots}. Every statement has at
// least one, so both engines run every statement: the private 18.16 here
// (TestEveryStatementRuns), current ClickHouse in make compat.
type sample struct {
	idents map[string]string
	args   []any
}

var (
	sampleAt   = time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC)
	sampleFrom = sampleAt.AddDate(0, 0, -7).Unix()
	sampleTo   = sampleAt.AddDate(0, 0, 7).Unix()
	sampleID   = uuid.MustParse("7d444840-9dc0-11d1-b245-5ffdce74fad2")
	noPairs    = []string{}
	somePairs  = []string{"plan\x00pro", "send_id\x00s1"}
	// A person's bound lists end with "\x00" (people.sql).
	someIDs    = []string{"c1", "cust-42", "\x00"}
	someEmails = []string{"ann@example.com", "\x00"}
	someKeys   = []string{"s1 " + sampleID.String(), "\x00"}
	someDays   = []string{"s1 2026-11-02", "\x00"}
	noneBound  = []string{"\x00"}
)

// samples holds the samples of every statement, by name.
var samples = map[string][]sample{
	// surveys.sql
	"select-surveys":      {{}},
	"select-surveys-mark": {{}},
	"insert-survey":       {{args: []any{"s1", uint64(1), uint8(0), `{"id":"s1","name":"Sample"}`, sampleAt}}},
	"insert-survey-version": {{args: []any{"s1", uint32(2), sampleAt, "updated",
		`[{"field":"name","from":"Old","to":"New"}]`}}},
	"select-survey-versions":      {{args: []any{"s1"}}},
	"select-survey-answer-counts": {{}},
	"delete-survey-rows": {
		{idents: map[string]string{"table": "answers"}, args: []any{"gone"}},
		{idents: map[string]string{"table": "send_log"}, args: []any{"gone"}},
	},
	"delete-survey-sends":      {{args: []any{"gone"}}},
	"delete-survey-bodies":     {{args: []any{"gone"}}},
	"select-pending-mutations": {{args: []any{[]string{"answers", "surveys"}}}},
	// responses.sql
	"insert-responses": {{args: []any{"s1", sampleAt, sampleID, uint64(1), uint8(3), []string{"price"}, "too dear", "email",
		"c1", []string{"plan", "send_id"}, []string{"pro", "s1"}, uint8(1), ""}}},
	"select-answer-superseded": {{args: []any{"s1", sampleID.String(), "s1", sampleID.String(), uint64(1) << 63}}},
	"select-first-answers":     {{args: []any{[]string{"s1", "s2"}, []string{sampleID.String(), "00000000-0000-0000-0000-000000000001"}}}},
	"select-latest-answers": {
		{args: []any{"s1", sampleFrom, sampleTo, noPairs, 20}},
		{args: []any{"s1", sampleFrom, sampleTo, somePairs, 20}},
	},
	"select-stored-answers":       {{args: []any{"s1", sampleFrom, sampleTo, []string{sampleID.String(), "00000000-0000-0000-0000-000000000001"}}}},
	"select-respondent-answers":   {{args: []any{"s1", "c1", sampleFrom, sampleTo, noPairs, 20}}},
	"select-export-answers":       {{args: []any{[]string{"plan", ""}, "s1", sampleFrom, sampleTo, noPairs}}, {args: []any{[]string{""}, "s1", sampleFrom, sampleTo, somePairs}}},
	"select-answer-property-keys": {{args: []any{"s1", sampleFrom, sampleTo, 100}}},
	"select-last-contact":         {{args: []any{"s1", "c1", "s1", "c1"}}},
	"select-answered-respondents": {{args: []any{"s1", sampleFrom}}},
	// reports.sql
	"select-rollup-days":         {{args: []any{uint8(1), "s1", "2026-10-26", "2026-11-09", "s1", "2026-10-26", "2026-11-09"}}, {args: []any{uint8(0), "s1", "2026-10-26", "2026-11-09", "s1", "2026-10-26", "2026-11-09"}}},
	"select-rollup-segment-days": {{args: []any{uint8(0), somePairs, "s1", "2026-10-26", "2026-11-09", "s1", "2026-10-26", "2026-11-09"}}, {args: []any{uint8(1), noPairs, "s1", "2026-10-26", "2026-11-09", "s1", "2026-10-26", "2026-11-09"}}},
	"select-rollup-grouped-days": {
		{args: []any{uint8(0), noPairs, "", "", "s1", "2026-10-26", "2026-11-09", "s1", "2026-10-26", "2026-11-09"}},
		{args: []any{uint8(1), somePairs, "plan", "plan", "s1", "2026-10-26", "2026-11-09", "s1", "2026-10-26", "2026-11-09"}},
	},
	"select-segment-keys": {{args: []any{"s1", "2026-10-26", "2026-11-09", "s1", sampleFrom, sampleTo, 50}}},
	"select-raw-report": {
		{idents: map[string]string{"period": "toDate"}, args: []any{"UTC", "s1", sampleFrom, sampleTo, uint8(1)}},
		{idents: map[string]string{"period": "toMonday"}, args: []any{"America/New_York", "s1", sampleFrom, sampleTo, uint8(0)}},
		{idents: map[string]string{"period": "toStartOfMonth"}, args: []any{"Asia/Kolkata", "s1", sampleFrom, sampleTo, uint8(1)}},
	},
	"select-raw-segment-report": {
		{idents: map[string]string{"period": "toMonday"}, args: []any{"UTC", "s1", sampleFrom, sampleTo, uint8(0), somePairs}},
	},
	"select-raw-grouped-report": {
		{idents: map[string]string{"period": "toMonday"}, args: []any{"UTC", "", "", "s1", sampleFrom, sampleTo, uint8(0), noPairs}},
		{idents: map[string]string{"period": "toStartOfMonth"}, args: []any{"Europe/Paris", "plan", "plan", "s1", sampleFrom, sampleTo, uint8(1), somePairs}},
	},
	// days.sql
	"select-days-guard":         {{}},
	"select-marked-months":      {{}},
	"select-stale-days":         {{args: []any{"2026-10-26", "2026-11-09", "2026-10-26", "2026-11-09"}}},
	"select-stale-touched-days": {{args: []any{sampleFrom, "2026-11-09", sampleFrom, "2026-11-09", sampleFrom, "2026-11-09"}}},
	"select-days-groups":        {{args: []any{[]string{"s1", "s2"}, sampleFrom, sampleTo, []string{"s1 2026-11-02", "s2 2026-11-03"}}}},
	"select-days-final":         {{args: []any{[]string{"s1"}, sampleFrom, sampleTo, []string{"s1 2026-11-02", "s1 2026-11-03"}}}},
	"insert-answer-marks":       {{args: []any{"s1", sampleAt, uint64(0), uint64(12345)}}},
	"insert-answer-touches":     {{args: []any{"s1", sampleAt}}},
	"select-old-touches":        {{args: []any{sampleTo}}},
	"drop-touches-partition":    {{args: []any{uint32(20261102)}}},
	"select-marks":              {{args: []any{"s1", "2026-10-26", "2026-11-09"}}},
	"insert-answer-days": {{args: []any{"s1", sampleAt, uint64(1), uint64(2), uint64(3), []uint8{3}, [][]string{{"price"}}, []uint8{1}, []uint64{1},
		[]uint8{3}, [][]string{{"price"}}, []uint8{1}, []string{"email"}, [][]string{{"plan"}}, [][]string{{"pro"}}, []uint64{1}}}},
	// rates.sql
	"select-send-emailed": {{args: []any{"s1", sampleFrom, sampleTo}}},
	"select-send-events":  {{args: []any{"s1", []string{"send1", "send2"}}}},
	"select-send-answers": {{args: []any{"s1", sampleFrom, sampleTo, []string{"send1"}, "s1", sampleFrom, sampleTo, []string{"send1"}}}},
	// dismissals.sql
	"insert-dismissals": {{args: []any{"s1", sampleAt, sampleID, "c1"}}},
	// contacts.sql
	"insert-contacts":             {{args: []any{"c1", uint64(1), "ann@example.com", "Ann", []string{"plan"}, []string{"pro"}, sampleAt}}},
	"select-contacts":             {{args: []any{noPairs}}, {args: []any{[]string{"plan\x00pro"}}}},
	"select-contacts-by-id":       {{args: []any{[]string{"c1", "c2"}, noPairs}}, {args: []any{[]string{"c1"}, []string{"plan\x00pro"}}}},
	"select-known-contacts":       {{args: []any{[]string{"c1", "c2"}}}},
	"insert-suppression":          {{args: []any{"c1", "bounce", "ann@example.com", uint8(0), sampleAt, uint64(1)}}, {args: []any{"c1", "bounce", "", uint8(1), sampleAt, uint64(2)}}},
	"select-contact-suppressions": {{args: []any{"c1"}}},
	"search-contacts":             {{args: []any{"ann", "ann", 50}}, {args: []any{"", "", 50}}},
	"select-contact-sends":        {{args: []any{"c1"}}},
	"select-respondent-surveys":   {{args: []any{"c1"}}},
	"select-suppressed":           {{}},
	// sends.sql
	"insert-send":               {{args: []any{"send1", uint64(1), `{"id":"send1","survey_id":"s1"}`, sampleAt}}},
	"select-send":               {{args: []any{"send1"}}},
	"select-sends":              {{}},
	"insert-send-log":           {{args: []any{"send1", "initial", "c1", "sent", "s1", "ann@example.com", sampleAt, uint64(1)}}},
	"select-send-statuses":      {{args: []any{"send1", "initial"}}},
	"select-send-counts":        {{args: []any{"send1"}}},
	"select-emailed-contacts":   {{args: []any{"s1", sampleFrom}}},
	"insert-email-events":       {{args: []any{"ev1", "delivered", "ann@example.com", "c1", "send1", "s1", "", sampleAt}}},
	"select-email-event-counts": {{args: []any{"send1"}}},
	// churn.sql
	"insert-churn":          {{args: []any{"c1", uint64(1), uint8(0), "ann@example.com", sampleAt, "moved to a rival", 49.5, uint8(1), sampleAt}}},
	"select-churn-recorded": {{args: []any{[]string{"c1", "c2"}}}},
	"select-churn-report": {
		{args: []any{int64(90), int64(20760), int64(90), []string{"", "price", "rude_service"}, "s1", uint64(1) << 63}},
		{args: []any{int64(1), int64(20760), int64(1), []string{""}, "s1", uint64(0)}},
	},
	"select-churn-range-report": {
		{args: []any{int64(90), int64(20760), int64(90), []string{"", "price"}, "s1", sampleFrom, sampleTo, uint8(1)}},
		{args: []any{int64(730), int64(20760), int64(730), []string{""}, "s1", int64(0), int64(4294967295), uint8(0)}},
	},
	// digests.sql
	"insert-digest": {{args: []any{"s1", "weekly", time.Date(2026, 10, 26, 0, 0, 0, 0, time.UTC), uint64(1), uint16(1), "sending", "c1", sampleAt,
		[]string{"boss@example.com"}, "", sampleAt}}},
	"select-digest": {{args: []any{"s1", "weekly", "2026-10-26"}}},
	// claims.sql
	"insert-claim":  {{args: []any{"send:s1:initial", "h1", uint64(1), uint64(2), uint64(3)}}},
	"select-claims": {{args: []any{"send:s1:initial"}}},
	// cases.sql
	"insert-case":        {{args: []any{"s1", sampleID, uint64(1), sampleAt, "closed", "Ann", sampleAt, "Bob", sampleAt}}},
	"insert-case-note":   {{args: []any{"s1", sampleID, sampleAt, uint64(1), "Bob", "called back, refund given"}}},
	"select-case-state":  {{args: []any{"s1", sampleID.String()}}},
	"select-case-answer": {{args: []any{"s1", "s1", sampleID.String(), sampleID.String()}}},
	"select-cases": {
		{args: []any{"s1", sampleFrom, sampleTo, "s1", uint8(1), "", "", 100}},
		{args: []any{"s1", sampleFrom, sampleTo, "s1", uint8(0), "closed", "closed", 10}},
	},
	"select-case-summary":     {{args: []any{"s1", sampleFrom, sampleTo, "s1", uint8(1)}}},
	"select-case-notes":       {{args: []any{"s1", sampleID.String(), 500}}},
	"select-case-note-counts": {{args: []any{"s1", []string{sampleID.String()}}}},
	// accounts.sql
	"insert-account": {{args: []any{"a1", "ann@example.com", "Ann", "manager", "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA",
		sampleAt, "bootstrap", sampleAt, sampleAt, uint8(0), uint64(1)}}},
	"select-accounts":            {{}},
	"insert-api-key":             {{args: []any{"k1", "CRM", "ingest", []string{"s1"}, "ab12", "ann@example.com", sampleAt, uint8(0), uint64(1)}}},
	"select-api-keys":            {{}},
	"insert-api-key-use":         {{args: []any{"k1", sampleAt}}},
	"insert-auth-token":          {{args: []any{"ab12", "session", "a1", sampleAt, sampleAt, uint8(0), uint64(1)}}},
	"select-auth-token":          {{args: []any{"ab12"}}},
	"count-expired-auth-tokens":  {{args: []any{sampleTo}}},
	"delete-expired-auth-tokens": {{args: []any{int64(0)}}},
	"insert-audit":               {{args: []any{sampleAt, uint64(1), "ann@example.com", "manager", "survey.update", "s1", "name", "127.0.0.1"}}},
	"count-recent-sign-in-links": {{args: []any{"a1", sampleFrom, int64(900)}}},
	"select-audit-times":         {{args: []any{sampleFrom, "signin.failed", "ann@example.com", 10}}},
	"select-audit": {{args: []any{sampleTo, "", "", "key", "key", "key.", "key.", 100}},
		{args: []any{sampleTo, "signin.link_sent", "signin.link_sent", "", "", "", "", 100}}},
	// people.sql
	"select-person-links": {{args: []any{someIDs, someEmails, someIDs, someEmails, someIDs, someEmails, someIDs, someEmails,
		someIDs, someEmails, someIDs, someEmails}}},
	"select-person-responses": {{args: []any{someIDs, someEmails, someEmails}}, {args: []any{noneBound, noneBound, noneBound}}},
	"count-person-answers": {
		{idents: map[string]string{"table": "answers"}, args: []any{someIDs, someEmails, someKeys}},
		{idents: map[string]string{"table": "responses"}, args: []any{someIDs, someEmails, noneBound}},
	},
	"delete-person-answers": {
		{idents: map[string]string{"table": "answers"}, args: []any{[]string{"gone", "\x00"}, []string{"gone@example.com", "\x00"}, noneBound}},
		{idents: map[string]string{"table": "responses"}, args: []any{noneBound, noneBound, []string{"gone " + sampleID.String(), "\x00"}}},
	},
	"count-response-rows": {
		{idents: map[string]string{"table": "response_starts"}, args: []any{someKeys}},
		{idents: map[string]string{"table": "cases"}, args: []any{someKeys}},
		{idents: map[string]string{"table": "case_notes"}, args: []any{someKeys}},
	},
	"delete-response-rows": {
		{idents: map[string]string{"table": "response_starts"}, args: []any{[]string{"gone " + sampleID.String(), "\x00"}}},
		{idents: map[string]string{"table": "case_notes"}, args: []any{noneBound}},
	},
	"count-respondent-rows": {
		{idents: map[string]string{"table": "answer_customers"}, args: []any{someIDs, someEmails}},
		{idents: map[string]string{"table": "dismissals"}, args: []any{someIDs, someEmails}},
	},
	"delete-respondent-rows": {{idents: map[string]string{"table": "dismissals"}, args: []any{[]string{"gone", "\x00"}, []string{"gone@example.com", "\x00"}}}},
	"count-contact-rows": {
		{idents: map[string]string{"table": "contacts"}, args: []any{someIDs, someEmails}},
		{idents: map[string]string{"table": "email_events"}, args: []any{someIDs, someEmails}},
		{idents: map[string]string{"table": "suppressions"}, args: []any{someIDs, someEmails}},
	},
	"delete-contact-rows": {
		{idents: map[string]string{"table": "send_log"}, args: []any{[]string{"gone", "\x00"}, []string{"gone@example.com", "\x00"}}},
		{idents: map[string]string{"table": "contact_suppressions"}, args: []any{noneBound, noneBound}},
	},
	"count-person-churn":         {{args: []any{someIDs, someEmails}}},
	"delete-person-churn":        {{args: []any{[]string{"gone", "\x00"}, noneBound}}},
	"count-person-days":          {{args: []any{someDays}}},
	"delete-person-days":         {{args: []any{[]string{"gone 2026-11-02", "\x00"}}}},
	"select-person-sends":        {{args: []any{[]string{"c1", "cust-42"}}}},
	"delete-send-versions":       {{args: []any{"gone", uint64(1)}}},
	"insert-erased":              {{args: []any{"0123abcd", "email", "k1", sampleAt}}},
	"select-erased":              {{}},
	"count-erased":               {{args: []any{[]string{"0123abcd", "\x00"}}}},
	"select-erased-among":        {{args: []any{[]string{"0123abcd", "\x00"}}}},
	"select-person-contacts":     {{args: []any{someIDs, someEmails, 10001}}},
	"select-person-suppressions": {{args: []any{someIDs, someEmails, 10001}}},
	"select-person-answers":      {{args: []any{someIDs, someEmails, someKeys, 10001}}},
	"select-person-dismissals":   {{args: []any{someIDs, someEmails, 10001}}},
	"select-person-send-log":     {{args: []any{someIDs, someEmails, 10001}}},
	"select-person-email-events": {{args: []any{someIDs, someEmails, 10001}}},
	"select-person-cases":        {{args: []any{someKeys, 10001}}},
	"select-person-case-notes":   {{args: []any{someKeys, 10001}}},
	"select-person-churn":        {{args: []any{someIDs, someEmails, 10001}}},
	"select-person-last-answers": {{args: []any{someIDs, someEmails, 10001}}},
	// retention.sql
	"count-expired-answers": {
		{idents: map[string]string{"table": "answers"}, args: []any{"s1", sampleTo}},
		{idents: map[string]string{"table": "responses"}, args: []any{"s1", sampleTo}},
	},
	"select-expired-answer-days": {{args: []any{"s1", sampleTo}}},
	"anonymise-answers": {
		{idents: map[string]string{"table": "answers"}, args: []any{"gone", sampleTo}},
		{idents: map[string]string{"table": "responses"}, args: []any{"gone", sampleTo}},
	},
	"count-expired-customers":   {{args: []any{"s1", uint64(sampleAt.UnixNano())}}},
	"delete-expired-customers":  {{args: []any{"gone", uint64(sampleAt.UnixNano())}}},
	"count-expired-dismissals":  {{args: []any{"s1", sampleTo}}},
	"delete-expired-dismissals": {{args: []any{"gone", sampleTo}}},
	"select-expired-case-notes": {{args: []any{"s1", "s1", sampleTo}}},
	"empty-case-notes":          {{args: []any{"gone", []string{sampleID.String()}}}},
	"count-expired-days":        {{args: []any{"s1", sampleTo}}},
	"delete-expired-days":       {{args: []any{"gone", sampleTo}}},
	// migrations.sql
	"create-database":         {{idents: map[string]string{"database": samplesDB}}},
	"create-migrations-table": {{}},
	"select-migration-state":  {{}},
	"insert-migration":        {{args: []any{uint32(999), uint8(0), uint64(1), sampleAt}}},
	"select-column-exists":    {{args: []any{"answers", "confirmed"}}},
}

const samplesDB = "heed_test_ch_statements"

// bound returns the statement with its identifier slots filled.
func (s sample) bound(t testing.TB, sql string) string {
	t.Helper()
	for name, value := range s.idents {
		var err error
		if sql, err = clickhouse.WithIdent(sql, name, value); err != nil {
			t.Fatal(err)
		}
	}
	return sql
}

// TestEveryStatementRuns runs every named statement, with each of its
// samples, on the private ClickHouse (18.16): a statement without a sample
// fails the test.
func TestEveryStatementRuns(t *testing.T) {
	db := chtest.Open(t, samplesDB)
	ctx := context.Background()
	for _, st := range clickhouse.Statements() {
		ss, ok := samples[st.Name]
		if !ok {
			t.Errorf("statement %q has no sample in samples_test.go", st.Name)
			continue
		}
		for i, s := range ss {
			if err := db.Run(ctx, s.bound(t, st.SQL), s.args); err != nil {
				t.Errorf("%s (sample %d): %v", st.Name, i+1, err)
			}
		}
	}
	for name := range samples {
		found := false
		for _, st := range clickhouse.Statements() {
			found = found || st.Name == name
		}
		if !found {
			t.Errorf("sample for %q, which is no statement", name)
		}
	}
}
