package emails

import (
	"context"
	"errors"
	"testing"

	"heed/analytics"
)

// TestSendSkipsForgottenPeople: a person forgotten, then imported again
// (a stale CSV), is skipped by a later send (counted as suppressed, the
// log without their address again), everyone else is emailed; and a send
// whose erasure key differs from the list's refuses to run.
func TestSendSkipsForgottenPeople(t *testing.T) {
	si := newStandIn(t)
	f := newFixture(t, "heed_test_emails_forget", 3, si)
	ctx := context.Background()
	hasher, err := analytics.NewPersonHasher("emails-test-erasure-key-01")
	if err != nil {
		t.Fatal(err)
	}
	f.sends.Erasure = hasher
	gone := "person00001@example.com"
	ref, _ := analytics.ParsePersonRef(gone)
	if _, err := f.db.ForgetPerson(ctx, ref, hasher, 0); err != nil {
		t.Fatal(err)
	}
	// Imported again, in another case.
	if err := f.db.UpsertContacts(ctx, []analytics.Contact{{ContactID: analytics.ContactID(gone), Email: "Person00001@Example.com", Name: "Back Again"}}); err != nil {
		t.Fatal(err)
	}
	sum, err := f.sends.Run(ctx, f.send("after-forget", analytics.ContactFilter{}), f.sv, analytics.KindInitial, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Selected != 3 || sum.Sent != 2 || sum.SkippedSuppressed != 1 {
		t.Fatalf("summary %+v: want 3 selected, 2 sent, 1 suppressed", sum)
	}
	for _, to := range []string{"person00000@example.com", "person00002@example.com"} {
		if si.received[to] != 1 {
			t.Errorf("%s received %d emails, want 1", to, si.received[to])
		}
	}
	if si.received[gone] != 0 || si.received["Person00001@Example.com"] != 0 {
		t.Fatalf("the forgotten person was emailed: %v", si.received)
	}
	st, err := f.db.SendStatuses(ctx, "after-forget", analytics.KindInitial)
	if err != nil {
		t.Fatal(err)
	}
	if st[analytics.ContactID(gone)] != analytics.SendSkippedSuppressed {
		t.Errorf("send log of the forgotten person: %v", st)
	}

	// Another key cannot recognise them: no send at all.
	other, _ := analytics.NewPersonHasher("another-erasure-key-000000")
	f.sends.Erasure = other
	if _, err := f.sends.Run(ctx, f.send("other-key", analytics.ContactFilter{}), f.sv, analytics.KindInitial, false, nil); !errors.Is(err, analytics.ErrErasureKey) {
		t.Fatalf("send under another key: %v, want ErrErasureKey", err)
	}
	f.sends.Erasure = nil
	if _, err := f.sends.Run(ctx, f.send("no-key", analytics.ContactFilter{}), f.sv, analytics.KindInitial, true, nil); !errors.Is(err, analytics.ErrErasureKey) {
		t.Fatalf("send without a key: %v, want ErrErasureKey", err)
	}
}
