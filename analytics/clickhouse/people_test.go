package clickhouse_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"heed/analytics"
	"heed/analytics/clickhouse/chtest"
	"heed/analytics/ingest"
)

// seeded is one person, and every kind of row Heed can hold on them.
type seeded struct {
	email, name, respondent string
	comment, followUp       string // the email answer's comment, then its follow-up's
	widgetComment, note     string
	churnReason             string
	apiComment              string // of an answer whose respondent is their address, in another case
	emailAnswer             uuid.UUID
	widgetAnswer            uuid.UUID
	apiAnswer               uuid.UUID
}

// shouted is the person's address as an API client may send it as the
// respondent: in another case, with spaces around.
func (p seeded) shouted() string { return "  " + strings.ToUpper(p.email[:3]) + p.email[3:] + " " }

func (p seeded) contactID() string { return analytics.ContactID(p.email) }

// needles are what must be found nowhere once the person is forgotten.
func (p seeded) needles() []string {
	return []string{p.email, p.contactID(), p.respondent, p.name, p.comment, p.followUp, p.widgetComment, p.note, p.churnReason, p.apiComment}
}

const erasureSendID = "20261102-people"

// seedPerson stores a contact (with a suppression), an email answer (a
// property holding their name, then a follow-up without a respondent), a
// widget answer (their email as a property), the same answer in the
// previous layout's table, a dismissal, send log rows, an email event, a
// case with a note and a churn record, all at day.
func seedPerson(t *testing.T, db *chtest.DB, surveyID string, p seeded, day time.Time) {
	t.Helper()
	ctx := context.Background()
	cid := p.contactID()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(db.UpsertContacts(ctx, []analytics.Contact{{ContactID: cid, Email: p.email, Name: p.name,
		Properties: map[string]string{"plan": "pro", "nickname": p.name}}}))
	must(db.Suppress(ctx, cid, p.email, analytics.SuppressBounce))
	v := uint64(day.UnixNano())
	must(db.InsertResponses(ctx, []analytics.Response{
		{SurveyID: surveyID, ResponseID: p.emailAnswer, CreatedAt: day, Version: v, First: true, Score: 3, Reasons: []string{"price"},
			Comment: p.comment, Channel: analytics.ChannelEmail, Respondent: cid,
			Properties: map[string]string{"plan": "pro", "nickname": p.name, "send_id": erasureSendID}},
		{SurveyID: surveyID, ResponseID: p.widgetAnswer, CreatedAt: day.Add(time.Hour), Version: v + uint64(time.Hour), First: true, Score: 9,
			Comment: p.widgetComment, Channel: analytics.ChannelWidget, Respondent: p.respondent, Properties: map[string]string{"email": p.email}},
		// Posted through the API with the address as its respondent, in
		// another case (no contact id, no property).
		{SurveyID: surveyID, ResponseID: p.apiAnswer, CreatedAt: day.Add(90 * time.Minute), Version: v + uint64(90*time.Minute), First: true,
			Score: 6, Comment: p.apiComment, Channel: analytics.ChannelAPI, Respondent: p.shouted()},
	}))
	// The follow-up, in a later batch and without the respondent.
	must(db.InsertResponses(ctx, []analytics.Response{{SurveyID: surveyID, ResponseID: p.emailAnswer, CreatedAt: day.Add(time.Minute),
		Version: v + uint64(time.Minute), Score: 3, Reasons: []string{"price"}, Comment: p.followUp, Channel: analytics.ChannelEmail}}))
	must(db.InsertRows(ctx, legacyInsert, [][]any{{surveyID, day, p.emailAnswer, v, uint8(3), []string{"price"}, p.comment, "email",
		cid, []string{"nickname"}, []string{p.name}, uint8(1), ""}}))
	must(db.InsertDismissals(ctx, []analytics.Dismissal{{SurveyID: surveyID, DismissalID: uuid.New(), CreatedAt: day.Add(2 * time.Hour), Respondent: p.respondent},
		{SurveyID: surveyID, DismissalID: uuid.New(), CreatedAt: day.Add(150 * time.Minute), Respondent: p.shouted()}}))
	must(db.LogSends(ctx, []analytics.SendLogEntry{
		{SendID: erasureSendID, Kind: analytics.KindInitial, ContactID: cid, Status: analytics.SendSending, SurveyID: surveyID, Email: p.email}}))
	must(db.LogSends(ctx, []analytics.SendLogEntry{
		{SendID: erasureSendID, Kind: analytics.KindInitial, ContactID: cid, Status: analytics.SendSent, SurveyID: surveyID, Email: p.email}}))
	must(db.InsertEmailEvents(ctx, []analytics.EmailEvent{{ID: "ev-" + cid, Event: "delivered", Email: p.email, ContactID: cid,
		SendID: erasureSendID, SurveyID: surveyID, Reason: "250 accepted for " + p.email, At: day}}))
	must(db.SaveCase(ctx, analytics.CaseState{SurveyID: surveyID, ResponseID: p.emailAnswer, OpenedAt: day, Status: analytics.CaseOpen,
		Assignee: "Manager Mo"}, &analytics.CaseNote{At: day.Add(3 * time.Hour), Author: "Manager Mo", Text: p.note}))
	must(db.UpsertChurn(ctx, []analytics.Churn{{Customer: cid, Email: p.email, ChurnedAt: day.AddDate(0, 0, 3), Reason: p.churnReason,
		Revenue: 49, HasRevenue: true}}))
}

var (
	zelda = seeded{email: "zelda.quux@example.com", name: "Zelda Quux", respondent: "cust-zq-77",
		comment: "The courier threw my parcel over the fence", followUp: "Still waiting for the refund, Zelda",
		widgetComment: "Lovely shop otherwise xq1", note: "Called Zelda back about the fence", churnReason: "left for Fencemart zq", apiComment: "Asked through the API, zq",
		emailAnswer: uuid.MustParse("00000000-0000-4000-8000-00000000a001"), widgetAnswer: uuid.MustParse("00000000-0000-4000-8000-00000000a002"),
		apiAnswer: uuid.MustParse("00000000-0000-4000-8000-00000000a003")}
	bob = seeded{email: "bob.other@example.com", name: "Bob Other", respondent: "cust-bo-12",
		comment: "Parcel arrived soaked bo", followUp: "Refund came quickly bo", widgetComment: "Nice site bo",
		note: "Sent Bob a voucher", churnReason: "moved abroad bo", apiComment: "API answer of Bob bo",
		emailAnswer: uuid.MustParse("00000000-0000-4000-8000-00000000b001"), widgetAnswer: uuid.MustParse("00000000-0000-4000-8000-00000000b002"),
		apiAnswer: uuid.MustParse("00000000-0000-4000-8000-00000000b003")}
)

// stringColumn is a column that can hold text.
type stringColumn struct{ table, column, typ string }

// textColumns lists every column of every table of the database whose type
// holds String (Nullable, LowCardinality, Array, Map, FixedString...):
// read from system.columns, so a table added later is covered by itself.
func textColumns(t *testing.T, db *chtest.DB) []stringColumn {
	t.Helper()
	rows, err := db.Query(context.Background(), `SELECT c.table, c.name, c.type FROM system.columns AS c
		WHERE c.database = currentDatabase() AND positionCaseInsensitive(c.type, 'String') > 0
		AND c.table IN (SELECT name FROM system.tables WHERE database = currentDatabase() AND engine NOT LIKE '%View%')
		ORDER BY c.table, c.name`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []stringColumn
	for rows.Next() {
		var c stringColumn
		if err := rows.Scan(&c.table, &c.column, &c.typ); err != nil {
			t.Fatal(err)
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// holding counts the rows of a column whose text (the whole value as text:
// toString of an array or map holds every element) holds needle, any case.
func holding(t *testing.T, db *chtest.DB, c stringColumn, needle string) uint64 {
	t.Helper()
	var n uint64
	q := fmt.Sprintf("SELECT count() FROM `%s` WHERE positionCaseInsensitive(toString(`%s`), ?) > 0", c.table, c.column)
	if err := db.QueryRow(context.Background(), q, needle).Scan(&n); err != nil {
		t.Fatalf("%s.%s: %v", c.table, c.column, err)
	}
	return n
}

// optimizeAll merges every table (OPTIMIZE ... FINAL), so that nothing a
// merge could drop or keep is left to chance.
func optimizeAll(t *testing.T, db *chtest.DB) {
	t.Helper()
	ctx := context.Background()
	rows, err := db.Query(ctx, "SELECT name FROM system.tables WHERE database = currentDatabase() AND engine LIKE '%MergeTree'")
	if err != nil {
		t.Fatal(err)
	}
	var tables []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			t.Fatal(err)
		}
		tables = append(tables, name)
	}
	rows.Close()
	for _, table := range tables {
		if err := db.Exec(ctx, "OPTIMIZE TABLE `"+table+"` FINAL"); err != nil {
			t.Fatalf("optimize %s: %v", table, err)
		}
	}
}

// TestForgetPersonErasesEverything is the erasure proof: a person with a
// contact, answers (comments, properties, a follow-up), a dismissal, a
// send, an email event, a case with a note and a churn record is
// forgotten; after every table is merged, no text column of any table
// holds their email, ids, name or words, and another person's rows are
// all still there.
func TestForgetPersonErasesEverything(t *testing.T) {
	db := chtest.Open(t, "heed_test_ch_forget")
	ctx := context.Background()
	const survey = "forget"
	day := time.Now().UTC().Truncate(24*time.Hour).AddDate(0, 0, -10).Add(9 * time.Hour)
	seedPerson(t, db, survey, zelda, day)
	seedPerson(t, db, survey, bob, day.Add(30*time.Minute))
	if err := db.SaveSend(ctx, analytics.Send{ID: erasureSendID, SurveyID: survey, CreatedAt: day,
		Filter: analytics.ContactFilter{ContactIDs: []string{bob.contactID(), zelda.contactID()}}}); err != nil {
		t.Fatal(err)
	}
	// The day's counts, with its property segments (Zelda's name among
	// them), as heed serve keeps them.
	if _, err := db.RefreshDays(ctx); err != nil {
		t.Fatal(err)
	}
	columns := textColumns(t, db)
	if len(columns) < 30 {
		t.Fatalf("only %d text columns found: %v", len(columns), columns)
	}
	// The scan finds what is there: everyone's needles, before.
	for _, p := range []seeded{zelda, bob} {
		for _, needle := range p.needles() {
			found := uint64(0)
			for _, c := range columns {
				found += holding(t, db, c, needle)
			}
			if found == 0 {
				t.Fatalf("before forgetting, the scan finds %q nowhere: the seed or the scan is wrong", needle)
			}
		}
	}
	hasher, err := analytics.NewPersonHasher("test-erasure-key-0123456789")
	if err != nil {
		t.Fatal(err)
	}

	// Export first: everything about Zelda, nothing about Bob.
	ref, err := analytics.ParsePersonRef("  Zelda.Quux@Example.COM ")
	if err != nil {
		t.Fatal(err)
	}
	export, err := db.ExportPerson(ctx, ref, hasher)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]int{"contacts": len(export.Contacts), "suppressions": len(export.Suppressions), "answers": len(export.Answers),
		"dismissals": len(export.Dismissals), "sends": len(export.Sends), "email_events": len(export.EmailEvents),
		"cases": len(export.Cases), "case_notes": len(export.CaseNotes), "churn": len(export.Churn), "last_answers": len(export.Customers)}
	want := map[string]int{"contacts": 1, "suppressions": 1, "answers": 4, "dismissals": 2, "sends": 2, "email_events": 1,
		"cases": 1, "case_notes": 1, "churn": 1, "last_answers": 3}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("export lists %v, want %v", got, want)
	}
	body, _ := json.Marshal(export)
	for _, needle := range zelda.needles() {
		if !strings.Contains(strings.ToLower(string(body)), strings.ToLower(needle)) {
			t.Errorf("export lacks %q", needle)
		}
	}
	for _, needle := range bob.needles() {
		if strings.Contains(strings.ToLower(string(body)), strings.ToLower(needle)) {
			t.Errorf("Zelda's export holds Bob's %q", needle)
		}
	}
	if export.Erased {
		t.Error("export says erased before forgetting")
	}

	sum, err := db.ForgetPerson(ctx, ref, hasher, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if !sum.Done || sum.AlreadyForgotten || sum.Emails != 1 || sum.IDs != 2 || sum.Responses != 3 {
		t.Fatalf("summary %+v: want done, 1 email, 2 ids (contact, widget respondent), 3 responses", sum)
	}
	for _, table := range []string{"answers", "responses", "response_starts", "answer_customers", "answer_days", "dismissals", "contacts",
		"contact_suppressions", "send_log", "email_events", "cases", "case_notes", "churn", "sends"} {
		if sum.Removed[table] == 0 {
			t.Errorf("summary removed nothing from %s: %v", table, sum.Removed)
		}
	}
	// The summary can be logged: no personal data in it.
	sb, _ := json.Marshal(sum)
	for _, needle := range zelda.needles() {
		if strings.Contains(strings.ToLower(string(sb)), strings.ToLower(needle)) {
			t.Errorf("summary %s holds %q", sb, needle)
		}
	}
	// heed serve counts the days again; then every table is merged.
	if _, err := db.RefreshDays(ctx); err != nil {
		t.Fatal(err)
	}
	optimizeAll(t, db)

	for _, c := range textColumns(t, db) {
		for _, needle := range zelda.needles() {
			if n := holding(t, db, c, needle); n > 0 {
				t.Errorf("%s.%s (%s): %d rows still hold %q", c.table, c.column, c.typ, n, needle)
			}
		}
	}

	// Bob is untouched.
	if ct, err := db.Contact(ctx, bob.contactID()); err != nil || ct.Name != bob.name {
		t.Errorf("Bob's contact: %+v, %v", ct, err)
	}
	if sups, err := db.ContactSuppressions(ctx, bob.contactID()); err != nil || len(sups) != 1 {
		t.Errorf("Bob's suppressions: %v, %v", sups, err)
	}
	sv := &analytics.Survey{ID: survey}
	all := analytics.ReportQuery{Survey: sv, From: day.AddDate(0, 0, -1), To: day.AddDate(0, 0, 2), Interval: analytics.Day}
	answers, err := db.ListAnswers(ctx, all, 100)
	if err != nil {
		t.Fatal(err)
	}
	comments := []string{}
	for _, a := range answers {
		comments = append(comments, a.Comment)
	}
	if fmt.Sprint(comments) != fmt.Sprint([]string{bob.apiComment, bob.widgetComment, bob.followUp}) {
		t.Errorf("answers left: %q, want Bob's three", comments)
	}
	rep, err := db.Report(ctx, all)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Total.Responses != 3 {
		t.Errorf("report counts %d responses, want Bob's 3", rep.Total.Responses)
	}
	if notes, err := db.CaseNotes(ctx, survey, bob.emailAnswer); err != nil || len(notes) != 1 || notes[0].Text != bob.note {
		t.Errorf("Bob's case notes: %v, %v", notes, err)
	}
	if rec, err := db.ChurnRecorded(ctx, []string{bob.contactID()}); err != nil || !rec[bob.contactID()] {
		t.Errorf("Bob's churn record: %v, %v", rec, err)
	}
	if st, err := db.SendStatuses(ctx, erasureSendID, analytics.KindInitial); err != nil || fmt.Sprint(st) != fmt.Sprint(map[string]string{bob.contactID(): analytics.SendSent}) {
		t.Errorf("send log left: %v, %v", st, err)
	}
	if ev, err := db.EmailEventCounts(ctx, erasureSendID); err != nil || ev["delivered"] != 1 {
		t.Errorf("email events left: %v, %v", ev, err)
	}
	if _, dismissed, err := db.LastContact(ctx, survey, bob.respondent); err != nil || dismissed.IsZero() {
		t.Errorf("Bob's dismissal: %v, %v", dismissed, err)
	}
	if send, err := db.GetSend(ctx, erasureSendID); err != nil || fmt.Sprint(send.Filter.ContactIDs) != fmt.Sprint([]string{bob.contactID()}) {
		t.Errorf("send's contacts: %v, %v", send.Filter.ContactIDs, err)
	}
	for _, c := range []stringColumn{{"answers", "comment", ""}, {"contacts", "email", ""}, {"case_notes", "text", ""}} {
		if holding(t, db, c, map[string]string{"answers": bob.followUp, "contacts": bob.email, "case_notes": bob.note}[c.table]) == 0 {
			t.Errorf("%s.%s lost Bob's row", c.table, c.column)
		}
	}

	// What stays: the salted hashes, under this key.
	erased, err := db.Erased(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range []string{hasher.Email(zelda.email), hasher.ID(zelda.contactID()), hasher.ID(zelda.respondent),
		hasher.Response(survey, zelda.emailAnswer), hasher.Response(survey, zelda.widgetAnswer), hasher.Response(survey, zelda.apiAnswer)} {
		if !erased.Hashes[h] {
			t.Errorf("erased list lacks a hash; has %v", erased.Hashes)
		}
	}
	// Three for the person (address, contact id, respondent id), one per response.
	if erased.KeyIDs[hasher.KeyID()] != 6 || len(erased.KeyIDs) != 1 {
		t.Errorf("erased list keys: %v", erased.KeyIDs)
	}

	// Again: nothing more to remove, and it says so.
	again, err := db.ForgetPerson(ctx, ref, hasher, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if !again.Done || !again.AlreadyForgotten || again.Rows() != 0 {
		t.Errorf("second forget: %+v", again)
	}
	after, err := db.ExportPerson(ctx, ref, hasher)
	if err != nil {
		t.Fatal(err)
	}
	if !after.Erased || len(after.Contacts)+len(after.Answers)+len(after.Sends)+len(after.Churn) != 0 {
		t.Errorf("export after forgetting: %+v", after)
	}
}

// TestForgetStopsSpooledAnswers: answers accepted (in a writer's spool,
// not yet flushed: another instance's, say) when the person is forgotten
// are not stored when that writer flushes after the forget: not by the
// person's address as respondent (any case), nor their ids, nor a
// follow-up of a forgotten response without a respondent, nor a
// dismissal; another person's spooled answer is stored.
func TestForgetStopsSpooledAnswers(t *testing.T) {
	db := chtest.Open(t, "heed_test_ch_forget_spool")
	ctx := context.Background()
	const survey = "forget-spool"
	day := time.Now().UTC().Truncate(24*time.Hour).AddDate(0, 0, -3).Add(9 * time.Hour)
	seedPerson(t, db, survey, zelda, day)
	hasher, err := analytics.NewPersonHasher("test-erasure-key-0123456789")
	if err != nil {
		t.Fatal(err)
	}
	db.SetErasure(hasher)
	// A writer that flushes only when closed.
	w, err := ingest.New(db, ingest.Options{SpoolDir: t.TempDir(), FlushInterval: time.Hour, BatchSize: 1000})
	if err != nil {
		t.Fatal(err)
	}
	spooled := []struct {
		r      analytics.Response
		stored bool
	}{
		{analytics.Response{SurveyID: survey, ResponseID: uuid.New(), Score: 2, Comment: "spooled by address zq", Channel: analytics.ChannelAPI,
			Respondent: zelda.shouted()}, false},
		{analytics.Response{SurveyID: survey, ResponseID: uuid.New(), Score: 4, Comment: "spooled by id zq", Channel: analytics.ChannelWidget,
			Respondent: zelda.respondent}, false},
		{analytics.Response{SurveyID: survey, ResponseID: uuid.New(), Score: 5, Comment: "spooled by contact zq", Channel: analytics.ChannelEmail,
			Respondent: zelda.contactID()}, false},
		{analytics.Response{SurveyID: survey, ResponseID: uuid.New(), Score: 5, Comment: "spooled with her address zq", Channel: analytics.ChannelWidget,
			Respondent: "anon-7781", Properties: map[string]string{"email": strings.ToUpper(zelda.email)}}, false},
		// A follow-up of her stored answer, without a respondent.
		{analytics.Response{SurveyID: survey, ResponseID: zelda.widgetAnswer, Score: 9, Reasons: []string{"price"}, Comment: "spooled follow-up zq",
			Channel: analytics.ChannelWidget}, false},
		{analytics.Response{SurveyID: survey, ResponseID: uuid.New(), Score: 8, Comment: "spooled of someone else", Channel: analytics.ChannelAPI,
			Respondent: "Someone.Else@example.com"}, true},
	}
	for _, s := range spooled {
		if err := w.Add(s.r); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.AddDismissal(analytics.Dismissal{SurveyID: survey, DismissalID: uuid.New(), Respondent: zelda.shouted()}); err != nil {
		t.Fatal(err)
	}
	ref, _ := analytics.ParsePersonRef(zelda.email)
	if _, err := db.ForgetPerson(ctx, ref, hasher, time.Minute); err != nil {
		t.Fatal(err)
	}
	// The other instance flushes now.
	if err := w.Close(ctx); err != nil {
		t.Fatal(err)
	}
	optimizeAll(t, db)
	comment := stringColumn{"answers", "comment", ""}
	for _, s := range spooled {
		if n := holding(t, db, comment, s.r.Comment); (n > 0) != s.stored {
			t.Errorf("%q: %d rows stored, want stored %v", s.r.Comment, n, s.stored)
		}
	}
	for _, c := range textColumns(t, db) {
		for _, needle := range append(zelda.needles(), "anon-7781") {
			if n := holding(t, db, c, needle); n > 0 {
				t.Errorf("%s.%s: %d rows hold %q after the spool was flushed", c.table, c.column, n, needle)
			}
		}
	}
}
