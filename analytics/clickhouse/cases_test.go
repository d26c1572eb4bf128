package clickhouse_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"

	"heed/analytics"
	"heed/analytics/clickhouse/chtest"
	"heed/analytics/mock"
)

// TestCases: a case's state after several writes is its last write, on
// raw rows and after OPTIMIZE TABLE cases FINAL; the lists and counts
// hold the detractor answers (confirmed unless asked) and the cases acted
// upon, and the time to close is the close less the first answer, as
// worked out by hand; the in-memory store agrees throughout.
func TestCases(t *testing.T) {
	db := chtest.Open(t, "heed_test_ch_cases")
	fake := mock.New()
	ctx := context.Background()
	const sv = "shop"
	t0 := time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC)
	id := func(n int) uuid.UUID { return uuid.NewSHA1(uuid.Nil, []byte(fmt.Sprint("case", n))) }
	answer := func(n int, at time.Time, score uint8, unconfirmed bool, comment string) analytics.Response {
		return analytics.Response{SurveyID: sv, ResponseID: id(n), CreatedAt: at, Version: uint64(at.UnixNano()), Score: score,
			Comment: comment, Channel: analytics.ChannelAPI, Respondent: fmt.Sprint("cust-", n), Unconfirmed: unconfirmed}
	}
	rows := []analytics.Response{
		answer(1, t0, 3, false, "rude clerk"),                        // closed after 5 h (reopened between)
		answer(2, t0.Add(time.Hour), 5, false, "slow"),               // closed after 30 min
		answer(3, t0.Add(2*time.Hour), 0, false, "never again"),      // open, assigned
		answer(4, t0.Add(3*time.Hour), 2, true, "scanner?"),          // unconfirmed: a case only when asked
		answer(5, t0.Add(4*time.Hour), 8, false, ""),                 // passive: no case
		answer(6, t0.Add(5*time.Hour), 4, false, "changed my mind"),  // then a promoter: no case
		answer(6, t0.Add(5*time.Hour+time.Minute), 9, false, "fine"), //
		answer(7, t0.Add(6*time.Hour), 6, false, "meh"),              // acted upon, then a promoter: still a case
		answer(7, t0.Add(8*time.Hour), 10, false, "great now"),       //
		answer(8, t0.AddDate(0, 0, -30), 1, false, "old"),            // before the range
	}
	for _, s := range []analytics.CaseStore{db, fake} {
		if err := s.(analytics.ResponseSink).InsertResponses(ctx, rows); err != nil {
			t.Fatal(err)
		}
	}
	str := func(s string) *string { return &s }
	type write struct {
		n  int
		at time.Time
		u  analytics.CaseUpdate
	}
	writes := []write{
		{1, t0.Add(10 * time.Minute), analytics.CaseUpdate{Assignee: str("Ann"), By: "Bob"}},
		{1, t0.Add(2 * time.Hour), analytics.CaseUpdate{Status: str("closed"), Note: str("called back"), By: "Ann"}},
		{1, t0.Add(3 * time.Hour), analytics.CaseUpdate{Status: str("open"), Note: str("she called again"), By: "Ann"}},
		{1, t0.Add(4 * time.Hour), analytics.CaseUpdate{Assignee: str("Cid"), By: "Bob"}},
		{1, t0.Add(5 * time.Hour), analytics.CaseUpdate{Status: str("closed"), Note: str("refund given"), By: "Cid"}},
		{1, t0.Add(6 * time.Hour), analytics.CaseUpdate{Status: str("closed"), By: "Dan"}}, // closed already: the close stands
		{2, t0.Add(90 * time.Minute), analytics.CaseUpdate{Status: str("closed"), Assignee: str("Ann"), By: "Ann"}},
		{3, t0.Add(3 * time.Hour), analytics.CaseUpdate{Assignee: str("ann@example.com"), By: "Bob"}},
		{7, t0.Add(7 * time.Hour), analytics.CaseUpdate{Note: str("asked what went wrong"), By: "Bob"}},
	}
	for _, s := range []analytics.CaseStore{db, fake} {
		for _, w := range writes {
			a, err := s.CaseAnswer(ctx, sv, id(w.n))
			if err != nil {
				t.Fatal(err)
			}
			st, _, err := s.CaseState(ctx, sv, id(w.n))
			if err != nil {
				t.Fatal(err)
			}
			if err := w.u.Validate(); err != nil {
				t.Fatal(err)
			}
			st = w.u.Apply(st, w.at)
			st.OpenedAt = a.CreatedAt
			var note *analytics.CaseNote
			if w.u.Note != nil {
				note = &analytics.CaseNote{At: w.at, Author: w.u.By, Text: *w.u.Note}
			}
			if err := s.SaveCase(ctx, st, note); err != nil {
				t.Fatal(err)
			}
		}
	}
	if _, err := db.CaseAnswer(ctx, sv, id(99)); err != analytics.ErrNotFound {
		t.Errorf("an unknown response: %v, want ErrNotFound", err)
	}
	if _, err := db.CaseAnswer(ctx, "other", id(1)); err != analytics.ErrNotFound {
		t.Errorf("a response of another survey: %v, want ErrNotFound", err)
	}
	from, to := t0.Add(-24*time.Hour), t0.Add(24*time.Hour)
	list := func(s analytics.CaseStore, status string, unconfirmed bool) *analytics.CaseList {
		t.Helper()
		l, err := s.ListCases(ctx, analytics.CaseQuery{SurveyID: sv, From: from, To: to, Status: status, IncludeUnconfirmed: unconfirmed, Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		return l
	}
	ids := func(l *analytics.CaseList) string {
		out := ""
		for _, c := range l.Cases {
			for n := 1; n <= 8; n++ {
				if c.Answer.ResponseID == id(n).String() {
					out += fmt.Sprint(n)
				}
			}
		}
		return out
	}
	check := func(stage string, s analytics.CaseStore) {
		t.Helper()
		st, ok, err := s.CaseState(ctx, sv, id(1))
		if err != nil || !ok {
			t.Fatalf("%s: case 1: %v %v", stage, ok, err)
		}
		if st.Status != "closed" || st.Assignee != "Cid" || !st.ClosedAt.Equal(t0.Add(5*time.Hour)) || st.ClosedBy != "Cid" ||
			!st.OpenedAt.Equal(t0) || !st.UpdatedAt.Equal(t0.Add(6*time.Hour)) {
			t.Errorf("%s: case 1 is %+v", stage, st)
		}
		notes, err := s.CaseNotes(ctx, sv, id(1))
		if err != nil {
			t.Fatal(err)
		}
		if len(notes) != 3 || notes[0].Text != "called back" || notes[2].Text != "refund given" || notes[2].Author != "Cid" || !notes[1].At.Equal(t0.Add(3*time.Hour)) {
			t.Errorf("%s: notes %+v", stage, notes)
		}
		if _, ok, _ := s.CaseState(ctx, sv, id(5)); ok {
			t.Errorf("%s: a case nobody touched has a state", stage)
		}
		// Newest first: 7 (acted upon, now a promoter), 3, 2, 1; 4 only with unconfirmed answers.
		all := list(s, "", false)
		if got := ids(all); got != "7321" {
			t.Errorf("%s: cases %s, want 7321", stage, got)
		}
		if got := ids(list(s, "", true)); got != "74321" {
			t.Errorf("%s: with unconfirmed, cases %s, want 74321", stage, got)
		}
		if got := ids(list(s, "open", false)); got != "73" {
			t.Errorf("%s: open cases %s, want 73", stage, got)
		}
		closed := list(s, "closed", false)
		if got := ids(closed); got != "21" {
			t.Errorf("%s: closed cases %s, want 21", stage, got)
		}
		// Time to close by hand: case 1 opened 10:00, closed (last) 15:00: 18000 s;
		// case 2 opened 11:00, closed 11:30: 1800 s; median (18000+1800)/2 = 9900.
		sum := all.Summary
		median, ok := sum.MedianTimeToClose()
		if sum.Open != 2 || sum.Closed != 2 || fmt.Sprint(sum.CloseSeconds) != "[1800 18000]" || !ok || median != 9900 {
			t.Errorf("%s: summary %+v, median %v", stage, sum, median)
		}
		if closed.Summary.Open != 2 || closed.Summary.Closed != 2 {
			t.Errorf("%s: the closed list's summary %+v is not the range's", stage, closed.Summary)
		}
		for _, c := range all.Cases {
			switch c.Answer.ResponseID {
			case id(1).String():
				if c.TimeToClose() != 5*time.Hour || c.NoteCount != 3 || c.State.Assignee != "Cid" || c.Answer.Comment != "rude clerk" || !c.Acted {
					t.Errorf("%s: case 1 listed as %+v", stage, c)
				}
			case id(3).String():
				if c.TimeToClose() != 0 || c.State.Status != "open" || c.State.Assignee != "ann@example.com" || c.NoteCount != 0 {
					t.Errorf("%s: case 3 listed as %+v", stage, c)
				}
			case id(7).String():
				if c.Answer.Score != 10 || c.NoteCount != 1 || c.State.Status != "open" {
					t.Errorf("%s: case 7 listed as %+v", stage, c)
				}
			}
		}
		if l, _ := s.ListCases(ctx, analytics.CaseQuery{SurveyID: sv, From: from, To: to, Limit: 1}); len(l.Cases) != 1 || l.Summary.Open != 2 {
			t.Errorf("%s: limit 1 gives %d cases, summary %+v", stage, len(l.Cases), l.Summary)
		}
	}
	check("mock", fake)
	check("raw rows", db)
	// (Rows before the merge: 9 written, fewer once a background merge ran.)
	if err := db.Exec(ctx, "OPTIMIZE TABLE cases FINAL"); err != nil {
		t.Fatal(err)
	}
	if n, err := db.CountRows(ctx, "cases", sv); err != nil || n != 4 {
		t.Errorf("cases rows after the merge: %d %v, want 4 (one per case)", n, err)
	}
	check("after OPTIMIZE TABLE cases FINAL", db)
}
