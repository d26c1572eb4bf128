package clickhouse

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	chgo "github.com/ClickHouse/clickhouse-go/v2"
	"github.com/google/uuid"

	"heed/analytics"
)

// confirmedBit is set in the stored version of a confirmed answer, so that
// ReplacingMergeTree, which keeps the highest version of a sort key, keeps
// what Heed counts: a confirmed answer over any unconfirmed one, then the
// last one (analytics.Response.CountsOver).
const confirmedBit = uint64(1) << 63

// storedVersion is the version an answer is stored with.
func storedVersion(r *analytics.Response) uint64 {
	v := r.Version &^ confirmedBit
	if !r.Unconfirmed {
		v |= confirmedBit
	}
	return v
}

// lookupChunk bounds the ids of one lookup; lookupBytes the bytes of the
// lists a first-answer lookup binds (surveys and ids: see firstAnswers).
const (
	lookupChunk = 5000
	lookupBytes = 160 << 10
)

type responseKey struct {
	survey string
	id     uuid.UUID
}

// InsertResponses writes rows in one batch, each with its response's first
// answer time: what response_starts holds for the response (looked up unless
// the row is a response's First answer), else the earliest CreatedAt of its
// rows in the batch. So every row of a response shares the sort key,
// across batches, restarts and periods. The writer (analytics/ingest)
// calls it; so do tools and tests.
func (db *DB) InsertResponses(ctx context.Context, rows []analytics.Response) error {
	rows, err := db.unerasedResponses(ctx, rows)
	if err != nil {
		return fmt.Errorf("insert responses: %w", err)
	}
	if len(rows) == 0 {
		return nil
	}
	first := make(map[responseKey]time.Time, len(rows))
	var lookup lookups
	for i := range rows {
		r := &rows[i]
		k := responseKey{r.SurveyID, r.ResponseID}
		at := r.CreatedAt.UTC().Truncate(time.Second)
		if t, ok := first[k]; !ok || at.Before(t) {
			if !ok && !r.First {
				lookup.surveys = append(lookup.surveys, r.SurveyID)
				lookup.ids = append(lookup.ids, r.ResponseID.String())
			}
			first[k] = at
		}
	}
	if err := db.firstAnswers(ctx, lookup, first); err != nil {
		return err
	}
	now := time.Now()
	return db.insert(ctx, "insert responses", q.InsertResponses, len(rows), func(i int) []any {
		r := &rows[i]
		at := first[responseKey{r.SurveyID, r.ResponseID}]
		if db.retention != nil {
			if cutoff := db.retention(r.SurveyID, now); !cutoff.IsZero() && at.Before(cutoff) {
				// A copy (the caller's rows stay as they were), emptied as
				// the anonymise-answers mutation empties stored rows.
				c := *r
				c.Anonymise()
				r = &c
			}
		}
		keys, values := splitProperties(r.Properties)
		reasons := r.Reasons
		if reasons == nil {
			reasons = []string{}
		}
		confirmed := uint8(1)
		if r.Unconfirmed {
			confirmed = 0
		}
		return []any{r.SurveyID, at, r.ResponseID, storedVersion(r), r.Score,
			reasons, r.Comment, r.Channel, r.Respondent, keys, values, confirmed, r.Flags}
	})
}

// AnswerSuperseded reports whether a later answer of r's response than r
// (one that counts over it) is stored: a detractor alert waiting on one
// instance then gives way to the alert of the instance that took the later
// answer (emails.Alerts.SetSuperseded).
func (db *DB) AnswerSuperseded(ctx context.Context, r analytics.Response) (bool, error) {
	var n uint64
	id := r.ResponseID.String()
	if err := db.conn.QueryRow(ctx, q.SelectAnswerSuperseded, r.SurveyID, id, r.SurveyID, id, storedVersion(&r)).Scan(&n); err != nil {
		return false, fmt.Errorf("answer superseded: %w", err)
	}
	return n > 0, nil
}

// lookups are the responses whose stored first answer a batch needs:
// surveys[i] and ids[i] name one.
type lookups struct{ surveys, ids []string }

// firstAnswers sets first[k] to the stored first answer of each listed
// response that has one, a chunk of responses (of any surveys) a query.
func (db *DB) firstAnswers(ctx context.Context, l lookups, first map[responseKey]time.Time) error {
	for len(l.ids) > 0 {
		// The lists are bound into the query's text, which ClickHouse
		// caps (max_query_size, 256 KiB by default): a chunk stays under
		// lookupBytes whatever the survey ids' lengths.
		n, size := 0, 0
		for n < len(l.ids) && n < lookupChunk && size < lookupBytes {
			size += len(l.surveys[n]) + len(l.ids[n]) + 8 // quotes, commas
			n++
		}
		rows, err := db.conn.Query(ctx, q.SelectFirstAnswers, l.surveys[:n], l.ids[:n])
		if err != nil {
			return fmt.Errorf("first answers: %w", err)
		}
		for rows.Next() {
			var survey, id string
			var at time.Time
			if err := rows.Scan(&survey, &id, &at); err != nil {
				rows.Close()
				return fmt.Errorf("first answers: %w", err)
			}
			// The stored first answer wins, even over an earlier time in
			// this batch (a clock set back): the response keeps its sort key.
			if k := (responseKey{survey, uuid.MustParse(id)}); !first[k].IsZero() {
				first[k] = at.UTC()
			}
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return fmt.Errorf("first answers: %w", err)
		}
		l.surveys, l.ids = l.surveys[n:], l.ids[n:]
	}
	return nil
}

// ListAnswers returns the counting answers of rq first given in range,
// newest first. It reads a window at the end of the range and widens it
// (a day, a week, seven weeks...) until it has limit answers, so a list
// costs what its newest rows cost, whatever the size of the survey.
func (db *DB) ListAnswers(ctx context.Context, rq analytics.ReportQuery, limit int) ([]analytics.Answer, error) {
	out := []analytics.Answer{}
	pairs := propertyPairs(rq.Properties)
	if rq.Respondent != "" {
		rows, err := db.conn.Query(ctx, q.SelectRespondentAnswers, rq.Survey.ID, rq.Respondent, rq.From.Unix(), rq.To.Unix(), pairs, limit)
		if err == nil {
			err = scanAnswers(rows, func(a analytics.Answer) error { out = append(out, a); return nil })
		}
		if err != nil {
			return nil, fmt.Errorf("list answers: %w", err)
		}
		return out, nil
	}
	to := rq.To
	for span := 24 * time.Hour; to.After(rq.From) && len(out) < limit; span *= 7 {
		from := to.Add(-span)
		if from.Before(rq.From) {
			from = rq.From
		}
		rows, err := db.conn.Query(ctx, q.SelectLatestAnswers, rq.Survey.ID, from.Unix(), to.Unix(), pairs, limit-len(out))
		if err != nil {
			return nil, fmt.Errorf("list answers: %w", err)
		}
		err = scanAnswers(rows, func(a analytics.Answer) error { out = append(out, a); return nil })
		if err != nil {
			return nil, fmt.Errorf("list answers: %w", err)
		}
		to = from
	}
	return out, nil
}

// ExportAnswers streams the counting answers of rq to out: the property
// names first, then each answer as ClickHouse reads it.
func (db *DB) ExportAnswers(ctx context.Context, rq analytics.ReportQuery, out analytics.AnswerExport) error {
	from, to := rq.From.Unix(), rq.To.Unix()
	keys, err := db.strings(ctx, q.SelectAnswerPropertyKeys, rq.Survey.ID, from, to, analytics.MaxExportProperties)
	if err != nil {
		return fmt.Errorf("export answers: %w", err)
	}
	if keys == nil {
		keys = []string{}
	}
	if err := out.Columns(keys); err != nil {
		return err
	}
	// Small blocks: the driver holds a whole block decoded, and an export
	// must not grow Heed's memory with the survey.
	ctx = chgo.Context(ctx, chgo.WithSettings(chgo.Settings{"max_block_size": exportBlockRows}))
	names := append(keys[:len(keys):len(keys)], "") // typed when keys is empty
	rows, err := db.conn.Query(ctx, q.SelectExportAnswers, names, rq.Survey.ID, from, to, propertyPairs(rq.Properties))
	if err != nil {
		return fmt.Errorf("export answers: %w", err)
	}
	defer rows.Close()
	var (
		a         = analytics.ExportedAnswer{PropertyValues: make([]string, len(keys))}
		id        uuid.UUID
		at        uint32
		times     rfc3339Seconds
		confirmed uint8
		props     string
	)
	for rows.Next() {
		if err := rows.Scan(&id, &at, &a.Score, &a.Reasons, &a.Comment, &a.Channel, &a.Respondent,
			&confirmed, &a.Flags, &props); err != nil {
			return fmt.Errorf("export answers: %w", err)
		}
		a.ResponseID, a.FirstAnsweredAt, a.Confirmed = id.String(), times.format(at), confirmed == 1
		splitInto(a.PropertyValues, props)
		if err := out.Answer(&a); err != nil {
			return err
		}
	}
	return rows.Err()
}

// exportBlockRows is the block size of an export's query.
const exportBlockRows = 8192

// rfc3339Seconds writes Unix times as RFC 3339 in UTC ("2026-11-02T10:00:00Z"),
// faster than time.Format: an export writes millions, and in time order,
// so the date part of the last one mostly serves again.
type rfc3339Seconds struct {
	day  int64
	date string // "2026-11-02T" of day
	buf  [20]byte
}

func (f *rfc3339Seconds) format(unix uint32) string {
	day, sec := int64(unix)/86400, int(unix%86400)
	if day != f.day || f.date == "" {
		f.day, f.date = day, time.Unix(day*86400, 0).UTC().Format("2006-01-02T")
	}
	b := append(f.buf[:0], f.date...)
	h, m, s := sec/3600, sec/60%60, sec%60
	b = append(b, byte('0'+h/10), byte('0'+h%10), ':', byte('0'+m/10), byte('0'+m%10), ':', byte('0'+s/10), byte('0'+s%10), 'Z')
	return string(b)
}

// splitInto fills dst with the NUL-separated fields of s.
func splitInto(dst []string, s string) {
	for i := range dst {
		j := strings.IndexByte(s, 0)
		if j < 0 {
			dst[i], s = s, ""
			continue
		}
		dst[i], s = s[:j], s[j+1:]
	}
}

// rowsScanner is the part of driver.Rows scanAnswers needs.
type rowsScanner interface {
	Next() bool
	Scan(dest ...any) error
	Err() error
	Close() error
}

// scanAnswers reads rows of select-latest-answers and closes them.
func scanAnswers(rows rowsScanner, each func(analytics.Answer) error) error {
	defer rows.Close()
	for rows.Next() {
		var a analytics.Answer
		var confirmed uint8
		var keys, values []string
		if err := rows.Scan(&a.ResponseID, &a.CreatedAt, &a.Score, &a.Reasons, &a.Comment, &a.Channel, &a.Respondent,
			&confirmed, &a.Flags, &keys, &values); err != nil {
			return err
		}
		a.Confirmed = confirmed == 1
		if len(keys) > 0 {
			a.Properties = make(map[string]string, len(keys))
			for i, k := range keys {
				if i < len(values) {
					a.Properties[k] = values[i]
				}
			}
		}
		if err := each(a); err != nil {
			return err
		}
	}
	return rows.Err()
}

// LastContact returns when a respondent last answered and last dismissed
// a survey (zero times when never), for the widget's recontact rule.
func (db *DB) LastContact(ctx context.Context, surveyID, respondent string) (answered, dismissed time.Time, err error) {
	err = db.conn.QueryRow(ctx, q.SelectLastContact, surveyID, respondent, surveyID, respondent).Scan(&answered, &dismissed)
	if err != nil {
		return time.Time{}, time.Time{}, fmt.Errorf("last contact: %w", err)
	}
	if answered.Unix() <= 0 {
		answered = time.Time{}
	}
	if dismissed.Unix() <= 0 {
		dismissed = time.Time{}
	}
	return answered, dismissed, nil
}

// Responded returns the respondents who answered a survey since a time
// (reminders skip them). A link scanner's unconfirmed click is no answer.
func (db *DB) Responded(ctx context.Context, surveyID string, since time.Time) (map[string]bool, error) {
	ids, err := db.idSet(ctx, q.SelectAnsweredRespondents, surveyID, since.Unix())
	if err != nil {
		return nil, fmt.Errorf("responded: %w", err)
	}
	return ids, nil
}

// splitProperties stores a property map as two arrays sorted by key.
func splitProperties(props map[string]string) (keys, values []string) {
	keys = make([]string, 0, len(props))
	for k := range props {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	values = make([]string, len(keys))
	for i, k := range keys {
		values[i] = props[k]
	}
	return keys, values
}

// propertyPairs is a segment or a contact filter as the statements take
// it: "key\x00value" for each pair, which must all be present
// (hasAll(arrayMap((k, v) -> concat(k, '\0', v), ...), ?)). Empty keeps
// everything. Keys hold no control characters (analytics.ValidPropertyKey),
// so no two pairs look alike.
func propertyPairs(props map[string]string) []string {
	pairs := make([]string, 0, len(props))
	for k, v := range props {
		pairs = append(pairs, k+"\x00"+v)
	}
	sort.Strings(pairs)
	return pairs
}

// StoredResponses returns which responses of rows (answers of survey,
// each with its CreatedAt) are stored already: an import skips them.
// Imported answers keep their own times, so a stored copy lies in the
// range of times of its chunk of rows (rows in file order, so close in
// time), read by the sort key: one pass over that range, where looking
// random ids up in response_starts reads a granule per id. Chunks keep the
// bound list of ids within the server's max_query_size.
func (db *DB) StoredResponses(ctx context.Context, survey string, rows []analytics.Response) (map[uuid.UUID]bool, error) {
	out := map[uuid.UUID]bool{}
	for len(rows) > 0 {
		n := min(len(rows), lookupChunk)
		chunk := rows[:n]
		rows = rows[n:]
		from, to := chunk[0].CreatedAt, chunk[0].CreatedAt
		ids := make([]string, len(chunk))
		for i, r := range chunk {
			ids[i] = r.ResponseID.String()
			if r.CreatedAt.Before(from) {
				from = r.CreatedAt
			}
			if r.CreatedAt.After(to) {
				to = r.CreatedAt
			}
		}
		found, err := db.idSet(ctx, q.SelectStoredAnswers, survey, from.Unix(), to.Unix(), ids)
		if err != nil {
			return nil, fmt.Errorf("stored responses: %w", err)
		}
		for id := range found {
			if u, err := uuid.Parse(id); err == nil {
				out[u] = true
			}
		}
	}
	return out, nil
}
