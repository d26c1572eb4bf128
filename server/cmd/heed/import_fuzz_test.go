package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/google/uuid"

	"heed/analytics"
	"heed/analytics/mock"
)

// The importers' fuzz targets run on in-memory stores: no ClickHouse.

var fuzzNow = time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)

// answerStore is an in-memory answerImportStore that records each batch.
type answerStore struct {
	sv       *analytics.Survey
	rows     map[uuid.UUID]analytics.Response
	contacts map[string]analytics.Contact
	batches  []int
}

func newAnswerStore(sv *analytics.Survey) *answerStore {
	return &answerStore{sv: sv, rows: map[uuid.UUID]analytics.Response{}, contacts: map[string]analytics.Contact{}}
}

func (s *answerStore) LoadSurveys(context.Context) ([]*analytics.Survey, error) {
	return []*analytics.Survey{s.sv}, nil
}

func (s *answerStore) StoredResponses(_ context.Context, survey string, rows []analytics.Response) (map[uuid.UUID]bool, error) {
	out := map[uuid.UUID]bool{}
	for _, r := range rows {
		if _, ok := s.rows[r.ResponseID]; ok && r.SurveyID == survey {
			out[r.ResponseID] = true
		}
	}
	return out, nil
}

func (s *answerStore) KnownContacts(_ context.Context, ids []string) (map[string]bool, error) {
	out := map[string]bool{}
	for _, id := range ids {
		if _, ok := s.contacts[id]; ok {
			out[id] = true
		}
	}
	return out, nil
}

func (s *answerStore) UpsertContacts(_ context.Context, cs []analytics.Contact) error {
	for _, c := range cs {
		s.contacts[c.ContactID] = c
	}
	return nil
}

func (s *answerStore) InsertResponses(_ context.Context, rows []analytics.Response) error {
	s.batches = append(s.batches, len(rows))
	for _, r := range rows {
		if _, dup := s.rows[r.ResponseID]; dup {
			return fmt.Errorf("response %s inserted twice", r.ResponseID)
		}
		s.rows[r.ResponseID] = r
	}
	return nil
}

// fuzzColumnMap is a --map naming every field.
const fuzzColumnMap = "id=id,score=score,created_at=date,updated_at=updated,comment=comment,email=email,name=name," +
	"respondent=respondent,channel=channel,tags=tags,reasons=reasons,property.plan=plan"

func fuzzRecords(t *testing.T, data []byte, generic bool) (recordReader, error) {
	if generic {
		columns, err := parseColumnMap(fuzzColumnMap)
		if err != nil {
			t.Fatal(err)
		}
		return newCSVReader(bytes.NewReader(data), columns, nil, false)
	}
	return newDelightedReader(bytes.NewReader(data), []string{"Why?"})
}

// FuzzImportAnswers: any bytes as a Delighted export (CSV or JSON pages) or
// as a CSV with --map never panic; a file that can be read is imported
// with every record counted once (new, already stored, duplicate or
// refused), in batches of at most the batch size, the summary's lists
// bounded; every stored answer is one the API would accept (it
// re-validates), confirmed, dated between 1970 and a day after now, email
// answers tied to a stored valid contact; and importing the same file again
// adds nothing.
func FuzzImportAnswers(f *testing.F) {
	for _, s := range []struct {
		data    string
		generic bool
	}{
		{"\ufeffResponse ID,Score,Comment,Response Timestamp,Email,Name,Tags,Plan,Why?\n" +
			"d1,3,\"slow, rude\",2025-03-01 10:00:00 -0700,Ann <ANN@example.com>,Ann,\"vip,q1\",pro,too expensive\n" +
			"d2,10,great,2025-03-02,bob@example.com,Bob,,free,Easy to use; Free coffee\n" +
			"d3,11,too high,2025-03-02,x@example.com,,,,\n" +
			"d4,5,no date,,y@example.com,,,,\n" +
			"d1,3,again,2025-03-01,,,,,\n", false},
		{`[{"id":"1","score":9,"created_at":1740000000,"comment":"ok","person":{"email":"a@example.com","name":"A"},` +
			`"person_properties":{"plan":"pro","Nested":{"x":1}},"tags":["a",2],"additional_answers":[{"value":{"select_one":{"id":"ease","text":"Easy"}}}]},` +
			`{"id":2,"score":"4","created_at":"2025-01-01T00:00:00Z","survey_type":"csat"}]`, false},
		{`{"id":"1","score":3,"created_at":1740000000}{"id":"2","score":12,"created_at":1740000000}`, false},
		{`[[{"id":"1","score":3,"created_at":1740000000}],[{"id":"1","score":3,"created_at":1740000000}]]`, false},
		{"[1, {\"score\":", false},
		{"score,date\n", false},
		{"id,score,date,updated,comment,email,name,respondent,channel,tags,reasons,plan\n" +
			"a,0,2025-01-01,2025-02-01,c,,,cust-1,widget,x;y,price;support,pro\n" +
			"b,9,1999999999,,,not-an-address,,,,,ease,\n" +
			"c,7,2025-01-01,,,,,r,sms,,,\n" +
			",3,2025-01-01,,same,,,,,,,\n,3,2025-01-01,,same,,,,,,,\n", true},
		{"score,date\n5,2025-01-01\n", true},
		{"", false}, {"\n \t", false}, {"Score,Score,Date\n", false},
	} {
		f.Add([]byte(s.data), s.generic)
	}
	f.Fuzz(func(t *testing.T, data []byte, generic bool) {
		ctx := context.Background()
		sv := importTestSurvey()
		store := newAnswerStore(sv)
		opt := importOptions{Survey: sv.ID, Source: "csv", Batch: 3, Now: fuzzNow}
		records, err := fuzzRecords(t, data, generic)
		if err != nil {
			return // a header the import cannot read: refused whole, nothing read
		}
		sum, err := importAnswers(ctx, store, records, opt)
		if err != nil {
			if sum == nil || strings.Contains(err.Error(), "inserted twice") {
				t.Fatalf("import failed: %v", err)
			}
			return // a file that stops being readable (JSON): what came before stays
		}
		if got := sum.New + sum.Stored + sum.Duplicates + sum.Refused; got != sum.Read {
			t.Fatalf("%d new + %d stored + %d duplicates + %d refused != %d read", sum.New, sum.Stored, sum.Duplicates, sum.Refused, sum.Read)
		}
		if sum.Stored != 0 || sum.New != len(store.rows) {
			t.Fatalf("into an empty store: %d new, %d already stored, but %d rows", sum.New, sum.Stored, len(store.rows))
		}
		if len(sum.Problems) > maxListed || len(sum.Warnings) > maxListed || len(sum.Unknown) > maxListed || len(sum.Problems) > sum.Refused {
			t.Fatalf("summary lists %d problems, %d warnings, %d unknown choices", len(sum.Problems), len(sum.Warnings), len(sum.Unknown))
		}
		for _, n := range store.batches {
			if n > opt.Batch {
				t.Fatalf("an insert of %d rows, batch %d", n, opt.Batch)
			}
		}
		for _, c := range store.contacts {
			if !analytics.Deliverable(c.Email) || c.Email != strings.ToLower(c.Email) || c.ContactID != analytics.ContactID(c.Email) ||
				utf8.RuneCountInString(c.Name) > analytics.MaxContactName {
				t.Fatalf("stored an invalid contact %+v", c)
			}
		}
		for id, r := range store.rows {
			if err := r.Validate(sv); err != nil {
				t.Fatalf("stored an answer the API would refuse: %v (%+v)", err, r)
			}
			if r.ResponseID != id || r.SurveyID != sv.ID || r.Unconfirmed || !r.First || r.CreatedAt.Unix() <= 0 ||
				r.CreatedAt.After(fuzzNow.Add(24*time.Hour)) || r.Version < uint64(r.CreatedAt.UnixNano()) {
				t.Fatalf("stored %+v", r)
			}
			if r.Channel == analytics.ChannelEmail {
				if _, ok := store.contacts[r.Respondent]; !ok {
					t.Fatalf("an email answer of %q, who is no stored contact", r.Respondent)
				}
			}
		}
		// The same file again: every answer is known by its id.
		records, err = fuzzRecords(t, data, generic)
		if err != nil {
			t.Fatalf("the file read once, not twice: %v", err)
		}
		again, err := importAnswers(ctx, store, records, opt)
		if err != nil || again.New != 0 || again.Stored != sum.New+sum.Duplicates || again.Refused != sum.Refused {
			t.Fatalf("second import: %+v %v; first %+v", again, err, sum)
		}
	})
}

// churnStore is the in-memory store, recording each upsert.
type churnStore struct {
	*mock.Store
	batches  []int
	upserted map[string]analytics.Churn
}

func (s *churnStore) UpsertChurn(ctx context.Context, records []analytics.Churn) error {
	s.batches = append(s.batches, len(records))
	for _, r := range records {
		s.upserted[r.Customer] = r
	}
	return s.Store.UpsertChurn(ctx, records)
}

// csvRecordCount counts the data records encoding/csv reads (refused ones
// included), as the importers read them.
func csvRecordCount(data []byte) int {
	cr := csv.NewReader(bytes.NewReader(data))
	cr.FieldsPerRecord = -1
	if _, err := cr.Read(); err != nil {
		return 0
	}
	n := 0
	for {
		_, err := cr.Read()
		var perr *csv.ParseError
		if err == io.EOF || (err != nil && !errors.As(err, &perr)) {
			return n
		}
		n++
	}
}

// FuzzImportChurn: any bytes as `heed churn import`'s CSV never panic; a
// file refused for its header stores nothing; otherwise every line is
// counted once (new, duplicate or refused, with the refusals in line order
// naming a field and why), chunks stay bounded, every stored record is
// valid (one customer key: a contact id of a deliverable address or a
// trimmed respondent id without control characters; churned_at in UTC to
// the second between 2000 and tomorrow; a trimmed reason of at most 500
// characters; revenue from 0 to 1e12), and importing the file again only
// replaces what the first import stored.
func FuzzImportChurn(f *testing.F) {
	for _, seed := range []string{
		"email,churned_at,reason,revenue\nann@example.com,2026-03-01,price,49.9\nANN@example.com,2026-03-02T10:00:00+02:00,,\n",
		"respondent,churned_at\ncust-42,2026-03-01\n\" cust-43 \",2026-05-31T23:59:59.999Z\ncust\x01,2026-03-01\n",
		"\ufeffEmail , Churned_At,Respondent\nann@example.com,2026-03-01,cust-1\n,2026-03-01,\n",
		"email,churned_at,revenue\na@example.com,1999-12-31,1\nb@example.com,2030-01-01,-1\nc@example.com,2026-01-01,0x10\nd@example.com,2026-01-01,NaN\ne@example.com,2026-01-01,1e13\nf@example.com,2026-01-01,Inf\ng@example.com,2026-01-01,1_000\n",
		"email,churned_at\n\"unterminated,2026-01-01\n",
		"email,email,churned_at\n", "email,when\n", "reason\n", "", "churned_at\n",
		"email,churned_at,reason\na@example.com,2026-01-01,\"multi\nline\x00\"\n",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		ctx := context.Background()
		store := &churnStore{Store: mock.New(), upserted: map[string]analytics.Churn{}}
		sum, err := importChurn(ctx, store, bytes.NewReader(data), fuzzNow)
		if err != nil {
			if len(store.batches) != 0 {
				t.Fatalf("a refused file (%v) stored %d batches", err, len(store.batches))
			}
			return
		}
		lines := map[int]bool{}
		for i, p := range sum.Invalid {
			if p.Field == "" || p.Error == "" || p.Index < 2 || (i > 0 && p.Index < sum.Invalid[i-1].Index) {
				t.Fatalf("refusals out of order or unnamed: %+v", sum.Invalid)
			}
			lines[p.Index] = true
		}
		if sum.RefusedLines != len(lines) {
			t.Fatalf("%d refused lines counted, %d listed", sum.RefusedLines, len(lines))
		}
		if got, want := sum.New+sum.Duplicates+sum.RefusedLines, csvRecordCount(data); got != want || sum.Replaced != 0 {
			t.Fatalf("%d new + %d duplicates + %d refused != %d records (replaced %d, empty store)", sum.New, sum.Duplicates, sum.RefusedLines, want, sum.Replaced)
		}
		if len(store.upserted) != sum.New {
			t.Fatalf("%d new customers, %d stored", sum.New, len(store.upserted))
		}
		for _, n := range store.batches {
			if n > importChunk {
				t.Fatalf("an upsert of %d records, chunks of %d", n, importChunk)
			}
		}
		for key, c := range store.upserted {
			checkChurn(t, key, c)
		}
		again, err := importChurn(ctx, store, bytes.NewReader(data), fuzzNow)
		if err != nil || again.New != 0 || again.Replaced != sum.New || again.RefusedLines != sum.RefusedLines {
			t.Fatalf("second import: %+v %v; first %+v", again, err, sum)
		}
	})
}

func checkChurn(t *testing.T, key string, c analytics.Churn) {
	t.Helper()
	switch {
	case c.Customer != key || c.Customer == "":
		t.Fatalf("record %+v under %q", c, key)
	case c.Email != "" && (!analytics.Deliverable(c.Email) || c.Email != strings.ToLower(c.Email) || c.Customer != analytics.ContactID(c.Email)):
		t.Fatalf("record by email %+v", c)
	case c.Email == "" && (c.Customer != strings.TrimSpace(c.Customer) || strings.ContainsFunc(c.Customer, unicode.IsControl) ||
		utf8.RuneCountInString(c.Customer) > analytics.MaxRespondent):
		t.Fatalf("record by respondent %q", c.Customer)
	case c.ChurnedAt.Location() != time.UTC || !c.ChurnedAt.Equal(c.ChurnedAt.Truncate(time.Second)) ||
		c.ChurnedAt.Year() < 2000 || c.ChurnedAt.After(fuzzNow.Add(24*time.Hour)):
		t.Fatalf("churned_at %v", c.ChurnedAt)
	case c.Reason != strings.TrimSpace(c.Reason) || utf8.RuneCountInString(c.Reason) > analytics.MaxChurnReason || strings.ContainsRune(c.Reason, 0):
		t.Fatalf("reason %q", c.Reason)
	case c.HasRevenue && (math.IsNaN(c.Revenue) || c.Revenue < 0 || c.Revenue > analytics.MaxChurnRevenue):
		t.Fatalf("revenue %v", c.Revenue)
	case !c.HasRevenue && c.Revenue != 0:
		t.Fatalf("revenue %v without HasRevenue", c.Revenue)
	}
}

// TestImportChurnChunks: a file larger than a chunk is stored in chunks of
// at most importChunk records (bounded memory whatever its size), and a
// customer met again in a later chunk counts as a duplicate.
func TestImportChurnChunks(t *testing.T) {
	var b strings.Builder
	b.WriteString("respondent,churned_at,revenue\n")
	const rows = 2*importChunk + 7
	for i := range rows {
		fmt.Fprintf(&b, "cust-%d,2026-01-%02d,%d\n", i, 1+i%28, i)
	}
	b.WriteString("cust-3,2026-02-01,\n")
	store := &churnStore{Store: mock.New(), upserted: map[string]analytics.Churn{}}
	sum, err := importChurn(context.Background(), store, strings.NewReader(b.String()), fuzzNow)
	if err != nil || sum.New != rows || sum.Duplicates != 1 || sum.RefusedLines != 0 {
		t.Fatalf("%+v %v", sum, err)
	}
	if len(store.batches) != 3 || store.batches[0] != importChunk || store.batches[2] != 8 {
		t.Fatalf("batches %v", store.batches)
	}
	if c := store.upserted["cust-3"]; c.HasRevenue || !c.ChurnedAt.Equal(time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)) {
		t.Fatalf("the later line did not win: %+v", c)
	}
}
