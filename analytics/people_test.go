package analytics

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
)

func TestParsePersonRef(t *testing.T) {
	cases := []struct {
		in   string
		want PersonRef
		err  bool
	}{
		{"Ann@Example.COM", PersonRef{Email: "ann@example.com"}, false},
		{"  Ann <ann@example.com> ", PersonRef{Email: "ann@example.com"}, false},
		{"cust-42", PersonRef{ID: "cust-42"}, false},
		{"CaseMatters", PersonRef{ID: "CaseMatters"}, false},
		{"c04f24d1f71da91e", PersonRef{ID: "c04f24d1f71da91e"}, false},
		{"", PersonRef{}, true},
		{"   ", PersonRef{}, true},
		{"ann@", PersonRef{}, true},
		{"a\x00b", PersonRef{}, true},
		{strings.Repeat("é", 201), PersonRef{}, true},
		{strings.Repeat("é", 200), PersonRef{ID: strings.Repeat("é", 200)}, false},
	}
	for _, c := range cases {
		got, err := ParsePersonRef(c.in)
		if (err != nil) != c.err || got != c.want {
			t.Errorf("ParsePersonRef(%q) = %+v, %v; want %+v, error %v", c.in, got, err, c.want, c.err)
		}
		if err != nil && !errors.Is(err, ErrBadPerson) {
			t.Errorf("ParsePersonRef(%q): %v is not ErrBadPerson", c.in, err)
		}
	}
}

// TestPersonHasher: stable for a key (so the list outlives restarts),
// different under another key and between kinds, blind to an address's
// case, and never the address or its plain ContactID.
func TestPersonHasher(t *testing.T) {
	if _, err := NewPersonHasher("short"); err == nil {
		t.Fatal("a 5-character key was accepted")
	}
	a, _ := NewPersonHasher("key-number-one-0123456789")
	a2, _ := NewPersonHasher("key-number-one-0123456789")
	b, _ := NewPersonHasher("key-number-two-0123456789")
	email := "ann@example.com"
	cases := []struct {
		name string
		x, y string
		same bool
	}{
		{"same key", a.Email(email), a2.Email(email), true},
		{"any case", a.Email("ANN@example.com "), a.Email(email), true},
		{"other key", a.Email(email), b.Email(email), false},
		{"email vs id", a.Email(email), a.ID(email), false},
		{"key ids", a.KeyID(), a2.KeyID(), true},
		{"other key id", a.KeyID(), b.KeyID(), false},
	}
	for _, c := range cases {
		if (c.x == c.y) != c.same {
			t.Errorf("%s: %q vs %q, want same=%v", c.name, c.x, c.y, c.same)
		}
	}
	h := a.Email(email)
	if strings.Contains(h, "ann") || strings.Contains(h, ContactID(email)) || len(h) != 64 {
		t.Errorf("hash %q", h)
	}
	erased := map[string]bool{a.Email(email): true}
	if !a.Forgotten(Contact{ContactID: "x", Email: "Ann@Example.com"}, erased) || a.Forgotten(Contact{ContactID: "y", Email: "bob@example.com"}, erased) {
		t.Error("Forgotten")
	}
	list := ErasedList{KeyIDs: map[string]int{a.KeyID(): 2}}
	for _, c := range []struct {
		h    *PersonHasher
		want error
	}{{a, nil}, {a2, nil}, {b, ErrErasureKey}, {nil, ErrErasureKey}} {
		if err := list.Check(c.h); !errors.Is(err, c.want) {
			t.Errorf("Check: %v, want %v", err, c.want)
		}
	}
	if err := (ErasedList{}).Check(nil); err != nil {
		t.Errorf("an empty list needs no key: %v", err)
	}
}

type fakeRetention struct{ calls map[string]time.Time }

func (f *fakeRetention) AnonymiseAnswers(ctx context.Context, surveyID string, before time.Time, wait time.Duration) (RetentionSummary, error) {
	f.calls[surveyID] = before
	if surveyID == "broken" {
		return RetentionSummary{}, errors.New("down")
	}
	return RetentionSummary{SurveyID: surveyID, Before: before, Done: true}, nil
}

func TestRunRetention(t *testing.T) {
	now := time.Date(2026, 11, 2, 10, 30, 15, 500, time.UTC)
	store := &fakeRetention{calls: map[string]time.Time{}}
	surveys := []*Survey{{ID: "forever"}, {ID: "month", RetentionDays: 30}, {ID: "broken", RetentionDays: 1}, {ID: "year", RetentionDays: 365}}
	sums, err := RunRetention(context.Background(), store, surveys, now, time.Second)
	if err == nil || !strings.Contains(err.Error(), "broken") {
		t.Errorf("error %v, want the broken survey's", err)
	}
	if len(sums) != 2 {
		t.Fatalf("summaries %+v", sums)
	}
	want := map[string]time.Time{
		"month":  time.Date(2026, 10, 3, 10, 30, 15, 0, time.UTC),
		"broken": time.Date(2026, 11, 1, 10, 30, 15, 0, time.UTC),
		"year":   time.Date(2025, 11, 2, 10, 30, 15, 0, time.UTC),
	}
	if len(store.calls) != len(want) {
		t.Errorf("calls %v", store.calls)
	}
	for id, at := range want {
		if !store.calls[id].Equal(at) {
			t.Errorf("%s cut at %s, want %s", id, store.calls[id], at)
		}
	}
}

// TestUnerasedResponses: the insert-time rule (a store's check of a batch
// against the erased list) leaves out a forgotten person's rows however
// they name them, and every row of such a response in the batch, and only
// those.
func TestUnerasedResponses(t *testing.T) {
	h, err := NewPersonHasher("unerased-test-key-0123")
	if err != nil {
		t.Fatal(err)
	}
	forgottenResponse := uuid.New()
	erased := map[string]bool{}
	for _, m := range append(h.Marks([]string{"ann@example.com"}, []string{ContactID("ann@example.com"), "cust-ann"}),
		h.ResponseMark("s", forgottenResponse)) {
		erased[m.Hash] = true
	}
	among := func(hs map[string]bool) (map[string]bool, error) {
		out := map[string]bool{}
		for x := range hs {
			if erased[x] {
				out[x] = true
			}
		}
		return out, nil
	}
	shared := uuid.New()
	cases := []struct {
		name string
		r    Response
		kept bool
	}{
		{"address as respondent, another case, spaces", Response{SurveyID: "s", ResponseID: uuid.New(), Respondent: " ANN@Example.com "}, false},
		{"respondent id", Response{SurveyID: "s", ResponseID: uuid.New(), Respondent: "cust-ann"}, false},
		{"contact id", Response{SurveyID: "s", ResponseID: uuid.New(), Respondent: ContactID("ann@example.com")}, false},
		{"address as a property", Response{SurveyID: "s", ResponseID: uuid.New(), Respondent: "anon-1", Properties: map[string]string{"email": "Ann@example.com"}}, false},
		{"follow-up of a forgotten response", Response{SurveyID: "s", ResponseID: forgottenResponse}, false},
		{"first answer of hers in the batch", Response{SurveyID: "s", ResponseID: shared, Respondent: "cust-ann"}, false},
		{"its follow-up in the same batch", Response{SurveyID: "s", ResponseID: shared, Comment: "later"}, false},
		{"same response id in another survey", Response{SurveyID: "t", ResponseID: forgottenResponse}, true},
		{"the id in another case (ids are case-sensitive)", Response{SurveyID: "s", ResponseID: uuid.New(), Respondent: "CUST-ANN"}, true},
		{"someone else", Response{SurveyID: "s", ResponseID: uuid.New(), Respondent: "bob@example.com", Properties: map[string]string{"plan": "pro"}}, true},
		{"anonymous", Response{SurveyID: "s", ResponseID: uuid.New()}, true},
	}
	rows := make([]Response, len(cases))
	for i, c := range cases {
		rows[i] = c.r
	}
	got, err := h.UnerasedResponses(rows, among)
	if err != nil {
		t.Fatal(err)
	}
	kept := map[string]bool{}
	for _, r := range got {
		for _, c := range cases {
			if c.r.SurveyID == r.SurveyID && c.r.ResponseID == r.ResponseID && c.r.Respondent == r.Respondent && c.r.Comment == r.Comment {
				kept[c.name] = true
			}
		}
	}
	for _, c := range cases {
		if kept[c.name] != c.kept {
			t.Errorf("%s: kept %v, want %v", c.name, kept[c.name], c.kept)
		}
	}
	if len(rows) != len(cases) || rows[0].Respondent != cases[0].r.Respondent {
		t.Error("the caller's rows changed")
	}
	ds, err := h.UnerasedDismissals([]Dismissal{{SurveyID: "s", Respondent: "Ann@Example.COM"}, {SurveyID: "s", Respondent: "cust-bob"}}, among)
	if err != nil || len(ds) != 1 || ds[0].Respondent != "cust-bob" {
		t.Errorf("dismissals kept: %v, %v", ds, err)
	}
}
