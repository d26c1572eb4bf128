package clickhouse

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"time"

	chgo "github.com/ClickHouse/clickhouse-go/v2"
	"github.com/google/uuid"

	"heed/analytics"
)

// listEnd ends every bound list of ids, emails or keys (see people.sql):
// an empty Array literal has no type on 18.16, and no id, email or key
// holds a NUL, so it matches nothing.
const listEnd = "\x00"

// bound returns a set as a bound list: sorted, ending with listEnd.
func bound(set map[string]bool) []string {
	out := make([]string, 0, len(set)+1)
	for v := range set {
		out = append(out, v)
	}
	sort.Strings(out)
	return append(out, listEnd)
}

// bigQuery lets a statement carry a long bound list (a person's
// responses): ClickHouse parses at most max_query_size bytes (256 KiB by
// default) of a statement, the list included.
func bigQuery(ctx context.Context) context.Context {
	return chgo.Context(ctx, chgo.WithSettings(chgo.Settings{"max_query_size": 64 << 20}))
}

// person is everything that names a person in storage.
type person struct {
	emails    map[string]bool // lower-case
	ids       map[string]bool // respondent, contact and churn customer ids
	responses map[string]bool // "survey_id response_id"
	days      map[string]bool // "survey_id YYYY-MM-DD" of those responses
}

// resolvePerson widens p to every email and id stored next to one of its
// own (a contact's address, the contact id of an address, the contact an
// event names), then finds their responses.
func (db *DB) resolvePerson(ctx context.Context, p analytics.PersonRef) (*person, error) {
	ctx = bigQuery(ctx)
	per := &person{emails: map[string]bool{}, ids: map[string]bool{}, responses: map[string]bool{}, days: map[string]bool{}}
	addEmail := func(e string) bool {
		e = strings.ToLower(strings.TrimSpace(e))
		if e == "" || per.emails[e] {
			return false
		}
		per.emails[e] = true
		per.ids[analytics.ContactID(e)] = true // email answers carry it
		return true
	}
	addID := func(id string) bool {
		if id == "" || per.ids[id] {
			return false
		}
		per.ids[id] = true
		return true
	}
	if p.Email != "" {
		addEmail(p.Email)
	} else {
		addID(p.ID)
	}
	// Each round can only add what the stored rows link: a few rounds at
	// most (an id gives its contact's email, which gives nothing new).
	for round := 0; round < 8; round++ {
		ids, emails := bound(per.ids), bound(per.emails)
		args := make([]any, 0, 12)
		for i := 0; i < 6; i++ {
			args = append(args, ids, emails)
		}
		grew := false
		err := db.scanRows(ctx, "person links", q.SelectPersonLinks, args, func(r scanner) error {
			var id, email string
			if err := r.Scan(&id, &email); err != nil {
				return err
			}
			grew = addID(id) || grew
			grew = addEmail(email) || grew
			return nil
		})
		if err != nil {
			return nil, err
		}
		err = db.scanRows(ctx, "person responses", q.SelectPersonResponses, []any{ids, emails, emails}, func(r scanner) error {
			var key, day, respondent string
			if err := r.Scan(&key, &day, &respondent); err != nil {
				return err
			}
			per.responses[key] = true
			per.days[day] = true
			// A respondent that is one of their addresses is matched as
			// an email already; any other is an id of theirs.
			if !per.emails[analytics.NormalEmail(respondent)] {
				grew = addID(respondent) || grew
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		if !grew {
			break
		}
	}
	return per, nil
}

// forgetStep deletes a person's rows of one table: counted first, so that
// a table without any gets no mutation (a mutation rewrites parts).
type forgetStep struct {
	table         string
	count, delete string
	args          []any
}

// forgetSteps are the tables holding a person's rows, and how each names
// them. Not here: surveys and survey_versions (configuration: a manager's
// address in alert_emails is edited on the survey), digests (managers'
// addresses and the failure of a send), response_starts' neighbours that
// hold no personal data. answer_days goes by day: its segments may hold
// the person's property values, and MaintainDays counts those days again
// from the answers left.
func (per *person) forgetSteps() []forgetStep {
	ids, emails, keys, days := bound(per.ids), bound(per.emails), bound(per.responses), bound(per.days)
	steps := []forgetStep{
		{"answers", q.CountPersonAnswers, q.DeletePersonAnswers, []any{ids, emails, keys}},
		{"responses", q.CountPersonAnswers, q.DeletePersonAnswers, []any{ids, emails, keys}},
		{"response_starts", q.CountResponseRows, q.DeleteResponseRows, []any{keys}},
		{"cases", q.CountResponseRows, q.DeleteResponseRows, []any{keys}},
		{"case_notes", q.CountResponseRows, q.DeleteResponseRows, []any{keys}},
		{"answer_customers", q.CountRespondentRows, q.DeleteRespondentRows, []any{ids, emails}},
		{"dismissals", q.CountRespondentRows, q.DeleteRespondentRows, []any{ids, emails}},
		{"answer_days", q.CountPersonDays, q.DeletePersonDays, []any{days}},
		{"churn", q.CountPersonChurn, q.DeletePersonChurn, []any{ids, emails}},
	}
	for _, t := range []string{"contacts", "contact_suppressions", "suppressions", "send_log", "email_events"} {
		steps = append(steps, forgetStep{t, q.CountContactRows, q.DeleteContactRows, []any{ids, emails}})
	}
	return steps
}

// withTable fills a statement's {table} slot, if it has one.
func withTable(stmt, table string) (string, error) {
	if !strings.Contains(stmt, "{table}") {
		return stmt, nil
	}
	return WithIdent(stmt, "table", table)
}

// ForgetPerson implements analytics.PeopleStore: the person's hashes go on
// the erased list first (a send from then on skips them, even while their
// rows are being deleted), then every table's rows holding one of their
// emails, ids or responses are deleted by mutations, and the sends that
// list them by id are rewritten without them. It waits up to wait for the
// mutations; they finish by themselves after that.
func (db *DB) ForgetPerson(ctx context.Context, p analytics.PersonRef, hasher *analytics.PersonHasher, wait time.Duration) (analytics.ForgetSummary, error) {
	sum := analytics.ForgetSummary{Removed: map[string]uint64{}, At: time.Now().UTC().Truncate(time.Second)}
	if hasher == nil {
		return sum, errors.New("forget person: no erasure key")
	}
	if p.Email == "" && p.ID == "" {
		return sum, analytics.ErrBadPerson
	}
	per, err := db.resolvePerson(ctx, p)
	if err != nil {
		return sum, err
	}
	sum.Emails, sum.IDs, sum.Responses = len(per.emails), len(per.ids), len(per.responses)
	named := hasher.ID(p.ID)
	if p.Email != "" {
		named = hasher.Email(p.Email)
	}
	var already uint64
	if err := db.conn.QueryRow(ctx, q.CountErased, []string{named, listEnd}).Scan(&already); err != nil {
		return sum, fmt.Errorf("forget person: erased list: %w", err)
	}
	sum.AlreadyForgotten = already > 0
	marks := hasher.Marks(slices.Sorted(maps.Keys(per.emails)), slices.Sorted(maps.Keys(per.ids)))
	// Their responses too: a follow-up of one (no respondent), still in a
	// spool or sent later, is left out when inserted (SetErasure).
	for _, key := range slices.Sorted(maps.Keys(per.responses)) {
		i := strings.LastIndexByte(key, ' ')
		id, err := uuid.Parse(key[i+1:])
		if i < 0 || err != nil {
			return sum, fmt.Errorf("forget person: response %q: bad key", key)
		}
		marks = append(marks, hasher.ResponseMark(key[:i], id))
	}
	if err := db.insert(ctx, "forget person: erased list", q.InsertErased, len(marks), func(i int) []any {
		return []any{marks[i].Hash, marks[i].Kind, marks[i].KeyID, sum.At}
	}); err != nil {
		return sum, err
	}

	big := bigQuery(ctx)
	var mutated []string
	for _, st := range per.forgetSteps() {
		count, err := withTable(st.count, st.table)
		if err != nil {
			return sum, err
		}
		var n uint64
		if err := db.conn.QueryRow(big, count, st.args...).Scan(&n); err != nil {
			return sum, fmt.Errorf("forget person: count %s: %w", st.table, err)
		}
		sum.Removed[st.table] = n
		if n == 0 {
			continue
		}
		del, err := withTable(st.delete, st.table)
		if err != nil {
			return sum, err
		}
		if err := db.conn.Exec(big, del, st.args...); err != nil {
			return sum, fmt.Errorf("forget person: delete from %s: %w", st.table, err)
		}
		mutated = append(mutated, st.table)
		if st.table == "answers" { // after sending it: see guard in days.go
			if err := db.markDays(ctx, slices.Sorted(maps.Keys(per.days))); err != nil {
				return sum, fmt.Errorf("forget person: %w", err)
			}
		}
	}
	n, err := db.forgetInSends(ctx, per)
	if err != nil {
		return sum, err
	}
	sum.Removed["sends"] = n
	if n > 0 {
		mutated = append(mutated, "sends")
	}
	sum.Done, err = db.waitMutations(ctx, mutated, wait)
	if err != nil {
		return sum, fmt.Errorf("forget person: %w", err)
	}
	return sum, nil
}

// forgottenContact stands in a send's contact list for the ids taken out
// of it: a list left empty would select every contact. No contact id
// (hex) looks like it.
const forgottenContact = "forgotten"

// forgetInSends rewrites each send that lists one of the person's ids
// (a send to chosen contacts) without them, as a new version, and deletes
// its earlier versions. It returns the stored versions that named them.
func (db *DB) forgetInSends(ctx context.Context, per *person) (uint64, error) {
	// Not bound(): position() would read listEnd's NUL as the end of the
	// needle and match every body. A person always has an id (that of
	// their email, or the one they were named by).
	rows, err := db.conn.Query(bigQuery(ctx), q.SelectPersonSends, slices.Sorted(maps.Keys(per.ids)))
	if err != nil {
		return 0, fmt.Errorf("forget person: sends: %w", err)
	}
	latest := map[string]string{}
	var matched uint64
	var order []string
	for rows.Next() {
		var id, body string
		var version uint64
		if err := rows.Scan(&id, &version, &body); err != nil {
			rows.Close()
			return 0, fmt.Errorf("forget person: sends: %w", err)
		}
		if _, ok := latest[id]; !ok {
			order = append(order, id)
		}
		latest[id] = body // rows come by version: the last is the latest
		matched++
	}
	err = rows.Err()
	rows.Close()
	if err != nil {
		return 0, fmt.Errorf("forget person: sends: %w", err)
	}
	for _, id := range order {
		var s analytics.Send
		if err := json.Unmarshal([]byte(latest[id]), &s); err != nil {
			return 0, fmt.Errorf("forget person: send %s: %w", id, err)
		}
		kept := []string{}
		for _, c := range s.Filter.ContactIDs {
			if !per.ids[c] {
				kept = append(kept, c)
			}
		}
		if len(kept) == 0 && len(s.Filter.ContactIDs) > 0 {
			kept = []string{forgottenContact}
		}
		s.Filter.ContactIDs = kept
		body, err := json.Marshal(s)
		if err != nil {
			return 0, err
		}
		now := time.Now().UTC()
		v := uint64(now.UnixNano())
		if err := db.insert(ctx, "forget person: send", q.InsertSend, 1, func(int) []any {
			return []any{s.ID, v, string(body), now}
		}); err != nil {
			return 0, err
		}
		if err := db.conn.Exec(ctx, q.DeleteSendVersions, s.ID, v); err != nil {
			return 0, fmt.Errorf("forget person: send %s: %w", id, err)
		}
	}
	return matched, nil
}

// Erased implements analytics.PeopleStore.
func (db *DB) Erased(ctx context.Context) (analytics.ErasedList, error) {
	out := analytics.ErasedList{Hashes: map[string]bool{}, KeyIDs: map[string]int{}}
	rows, err := db.conn.Query(ctx, q.SelectErased)
	if err != nil {
		return out, fmt.Errorf("erased list: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var hash, key string
		if err := rows.Scan(&hash, &key); err != nil {
			return out, fmt.Errorf("erased list: %w", err)
		}
		out.Hashes[hash] = true
		out.KeyIDs[key]++
	}
	return out, rows.Err()
}

// AnyErased implements analytics.PeopleStore, with the count the forget
// uses (count-erased).
func (db *DB) AnyErased(ctx context.Context, hashes []string) (bool, error) {
	var n uint64
	if err := db.conn.QueryRow(ctx, q.CountErased, append(slices.Clone(hashes), listEnd)).Scan(&n); err != nil {
		return false, fmt.Errorf("erased list: %w", err)
	}
	return n > 0, nil
}

// ExportPerson implements analytics.PeopleStore: every stored row of the
// person, each list at most analytics.MaxExportRows long.
func (db *DB) ExportPerson(ctx context.Context, p analytics.PersonRef, hasher *analytics.PersonHasher) (*analytics.PersonExport, error) {
	if p.Email == "" && p.ID == "" {
		return nil, analytics.ErrBadPerson
	}
	per, err := db.resolvePerson(ctx, p)
	if err != nil {
		return nil, err
	}
	out := &analytics.PersonExport{Emails: slices.Sorted(maps.Keys(per.emails)), IDs: slices.Sorted(maps.Keys(per.ids)), Truncated: map[string]bool{},
		Contacts: []analytics.Contact{}, Suppressions: []analytics.PersonSuppression{}, Answers: []analytics.PersonAnswer{},
		Dismissals: []analytics.PersonDismissal{}, Sends: []analytics.PersonSendLog{}, EmailEvents: []analytics.PersonEmailEvent{},
		Cases: []analytics.PersonCase{}, CaseNotes: []analytics.PersonCaseNote{}, Churn: []analytics.PersonChurn{},
		Customers: []analytics.PersonLastAnswer{}}
	if hasher != nil {
		erased, err := db.Erased(ctx)
		if err != nil {
			return nil, err
		}
		for _, m := range hasher.Marks(out.Emails, out.IDs) {
			out.Erased = out.Erased || erased.Hashes[m.Hash]
		}
	}
	ids, emails, keys := bound(per.ids), bound(per.emails), bound(per.responses)
	limit := analytics.MaxExportRows + 1 // one more tells a cut list
	big := bigQuery(ctx)
	// each runs one export statement and hands every row to scan.
	each := func(name, stmt string, scan func(rows scanner) error, args ...any) error {
		rows, err := db.conn.Query(big, stmt, append(args, limit)...)
		if err != nil {
			return fmt.Errorf("export person: %s: %w", name, err)
		}
		defer rows.Close()
		n := 0
		for rows.Next() {
			if n++; n > analytics.MaxExportRows {
				out.Truncated[name] = true
				break
			}
			if err := scan(rows); err != nil {
				return fmt.Errorf("export person: %s: %w", name, err)
			}
		}
		if err := rows.Err(); err != nil {
			return fmt.Errorf("export person: %s: %w", name, err)
		}
		return nil
	}
	steps := []func() error{
		func() error {
			return each("contacts", q.SelectPersonContacts, func(r scanner) error {
				var c analytics.Contact
				var ks, vs []string
				if err := r.Scan(&c.ContactID, &c.Email, &c.Name, &ks, &vs, &c.UpdatedAt); err != nil {
					return err
				}
				c.Properties = zipProperties(ks, vs)
				out.Contacts = append(out.Contacts, c)
				return nil
			}, ids, emails)
		},
		func() error {
			return each("suppressions", q.SelectPersonSuppressions, func(r scanner) error {
				var s analytics.PersonSuppression
				var lifted uint8
				if err := r.Scan(&s.ContactID, &s.Reason, &s.Email, &lifted, &s.At); err != nil {
					return err
				}
				s.Lifted = lifted == 1
				out.Suppressions = append(out.Suppressions, s)
				return nil
			}, ids, emails)
		},
		func() error {
			return each("answers", q.SelectPersonAnswers, func(r scanner) error {
				var a analytics.PersonAnswer
				var version uint64
				var ks, vs []string
				var confirmed uint8
				if err := r.Scan(&a.SurveyID, &a.ResponseID, &a.CreatedAt, &version, &a.Score, &a.Reasons, &a.Comment, &a.Channel,
					&a.Respondent, &ks, &vs, &confirmed); err != nil {
					return err
				}
				a.AnsweredAt = time.Unix(0, int64(version&^confirmedBit)).UTC()
				a.Properties = zipProperties(ks, vs)
				a.Confirmed = confirmed == 1
				out.Answers = append(out.Answers, a)
				return nil
			}, ids, emails, keys)
		},
		func() error {
			return each("dismissals", q.SelectPersonDismissals, func(r scanner) error {
				var d analytics.PersonDismissal
				if err := r.Scan(&d.SurveyID, &d.At, &d.Respondent); err != nil {
					return err
				}
				out.Dismissals = append(out.Dismissals, d)
				return nil
			}, ids, emails)
		},
		func() error {
			return each("sends", q.SelectPersonSendLog, func(r scanner) error {
				var s analytics.PersonSendLog
				if err := r.Scan(&s.SendID, &s.Kind, &s.SurveyID, &s.ContactID, &s.Email, &s.Status, &s.At); err != nil {
					return err
				}
				out.Sends = append(out.Sends, s)
				return nil
			}, ids, emails)
		},
		func() error {
			return each("email_events", q.SelectPersonEmailEvents, func(r scanner) error {
				var e analytics.PersonEmailEvent
				if err := r.Scan(&e.Event, &e.Email, &e.ContactID, &e.SendID, &e.SurveyID, &e.Reason, &e.At); err != nil {
					return err
				}
				out.EmailEvents = append(out.EmailEvents, e)
				return nil
			}, ids, emails)
		},
		func() error {
			return each("cases", q.SelectPersonCases, func(r scanner) error {
				var c analytics.PersonCase
				if err := r.Scan(&c.SurveyID, &c.ResponseID, &c.Status, &c.Assignee, &c.OpenedAt, &c.UpdatedAt); err != nil {
					return err
				}
				out.Cases = append(out.Cases, c)
				return nil
			}, keys)
		},
		func() error {
			return each("case_notes", q.SelectPersonCaseNotes, func(r scanner) error {
				var n analytics.PersonCaseNote
				if err := r.Scan(&n.SurveyID, &n.ResponseID, &n.At, &n.Author, &n.Text); err != nil {
					return err
				}
				out.CaseNotes = append(out.CaseNotes, n)
				return nil
			}, keys)
		},
		func() error {
			return each("churn", q.SelectPersonChurn, func(r scanner) error {
				var c analytics.PersonChurn
				var withdrawn, hasRevenue uint8
				var revenue float64
				if err := r.Scan(&c.Customer, &c.Email, &withdrawn, &c.ChurnedAt, &c.Reason, &revenue, &hasRevenue, &c.UpdatedAt); err != nil {
					return err
				}
				c.Withdrawn = withdrawn == 1
				if hasRevenue == 1 {
					c.Revenue = &revenue
				}
				out.Churn = append(out.Churn, c)
				return nil
			}, ids, emails)
		},
		func() error {
			return each("last_answers", q.SelectPersonLastAnswers, func(r scanner) error {
				var a analytics.PersonLastAnswer
				if err := r.Scan(&a.SurveyID, &a.Respondent, &a.Score, &a.Reasons); err != nil {
					return err
				}
				out.Customers = append(out.Customers, a)
				return nil
			}, ids, emails)
		},
	}
	for _, step := range steps {
		if err := step(); err != nil {
			return nil, err
		}
	}
	for i := range out.Contacts {
		out.Contacts[i].UpdatedAt = out.Contacts[i].UpdatedAt.UTC()
	}
	return out, nil
}

// scanRows runs a query and hands each row to scan.
func (db *DB) scanRows(ctx context.Context, what, stmt string, args []any, scan func(r scanner) error) error {
	rows, err := db.conn.Query(ctx, stmt, args...)
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	defer rows.Close()
	for rows.Next() {
		if err := scan(rows); err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return nil
}

// scanner is a row being read.
type scanner interface{ Scan(dest ...any) error }

// zipProperties pairs stored property names and values.
func zipProperties(ks, vs []string) map[string]string {
	out := make(map[string]string, len(ks))
	for i, k := range ks {
		if i < len(vs) {
			out[k] = vs[i]
		}
	}
	return out
}

// waitMutations waits up to wait for the mutations of these tables (in
// this database) to finish; done is false when some still run. Mutations
// are asynchronous on every version (lightweight DELETE is absent on
// 18.16), so callers that promise a deletion poll system.mutations.
func (db *DB) waitMutations(ctx context.Context, tables []string, wait time.Duration) (bool, error) {
	if len(tables) == 0 {
		return true, nil
	}
	deadline := time.Now().Add(wait)
	for {
		var pending uint64
		if err := db.conn.QueryRow(ctx, q.SelectPendingMutations, tables).Scan(&pending); err != nil {
			return false, fmt.Errorf("mutations: %w", err)
		}
		if pending == 0 {
			return true, nil
		}
		if !time.Now().Before(deadline) {
			return false, nil
		}
		select {
		case <-ctx.Done():
			return false, ctx.Err()
		case <-time.After(mutationPoll):
		}
	}
}

// SetErasure makes InsertResponses and InsertDismissals leave out the rows
// of forgotten people, checked against the erased list at each insert.
// An answer accepted into an instance's spool before the person was
// forgotten (on any instance: they share the database, not their spools)
// reaches ClickHouse only after the deletions ran, which it would
// outlive; the erased list is in the shared database, so the check holds
// on every instance at once. Set it before the writer replays its spool.
func (db *DB) SetErasure(h *analytics.PersonHasher) { db.erasure = h }

// erasedAmong returns which of these hashes are on the erased list, asked
// afresh for each insert (another instance may have just forgotten
// someone): one query on the batch's own hashes (about three a row), so
// its cost follows the batch, not the length of the list.
func (db *DB) erasedAmong(ctx context.Context, hashes map[string]bool) (map[string]bool, error) {
	out := map[string]bool{}
	if len(hashes) == 0 {
		return out, nil
	}
	err := db.scanRows(bigQuery(ctx), "erased list", q.SelectErasedAmong, []any{bound(hashes)}, func(r scanner) error {
		var h string
		if err := r.Scan(&h); err != nil {
			return err
		}
		out[h] = true
		return nil
	})
	return out, err
}

// unerasedResponses returns rows without those of forgotten people (see
// SetErasure and analytics.PersonHasher.UnerasedResponses).
func (db *DB) unerasedResponses(ctx context.Context, rows []analytics.Response) ([]analytics.Response, error) {
	if db.erasure == nil {
		return rows, nil
	}
	return db.erasure.UnerasedResponses(rows, func(h map[string]bool) (map[string]bool, error) { return db.erasedAmong(ctx, h) })
}

// unerasedDismissals is unerasedResponses for dismissals.
func (db *DB) unerasedDismissals(ctx context.Context, rows []analytics.Dismissal) ([]analytics.Dismissal, error) {
	if db.erasure == nil {
		return rows, nil
	}
	return db.erasure.UnerasedDismissals(rows, func(h map[string]bool) (map[string]bool, error) { return db.erasedAmong(ctx, h) })
}
