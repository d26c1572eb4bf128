package emails

import (
	"context"
	"errors"
	"testing"

	"heed/analytics"
	"heed/analytics/mock"
)

// TestOpenSend: the one path by which the API and `heed send` create or
// resume a send.
func TestOpenSend(t *testing.T) {
	ctx := context.Background()
	store := mock.New()
	s := &Sends{Store: store, Claims: &analytics.Claimer{Store: store, Settle: testClaimSettle}}
	first, resumed, err := s.Open(ctx, SendRequest{ID: "spring", SurveyID: "a", Filter: analytics.ContactFilter{Where: map[string]string{"plan": "pro"}}, ReminderDays: 3})
	if err != nil || resumed || first.ID != "spring" || first.CreatedAt.IsZero() {
		t.Fatalf("new send: %+v resumed=%v %v", first, resumed, err)
	}
	if _, err := store.GetSend(ctx, "spring"); err != nil {
		t.Fatalf("a new send is saved: %v", err)
	}
	tests := []struct {
		name    string
		req     SendRequest
		err     error
		resumed bool
	}{
		// The stored filter and reminder win over what a rerun asks.
		{"same id, same survey: resumed", SendRequest{ID: "spring", SurveyID: "a", Filter: analytics.ContactFilter{}}, nil, true},
		{"same id, another survey: refused", SendRequest{ID: "spring", SurveyID: "b"}, ErrSendOfOtherSurvey, false},
		{"same id, another survey, dry run: refused", SendRequest{ID: "spring", SurveyID: "b", DryRun: true}, ErrSendOfOtherSurvey, false},
		{"bad id", SendRequest{ID: "a b", SurveyID: "a"}, ErrBadSendID, false},
		{"bad filter key", SendRequest{SurveyID: "a", Filter: analytics.ContactFilter{Where: map[string]string{"pl\x00an": "pro"}}}, ErrBadFilter, false},
		{"no id: a new one", SendRequest{SurveyID: "a"}, nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, resumed, err := s.Open(ctx, tt.req)
			if !errors.Is(err, tt.err) || resumed != tt.resumed {
				t.Fatalf("Open = %+v, resumed=%v, %v; want resumed=%v, %v", got, resumed, err, tt.resumed, tt.err)
			}
			if resumed && (got.ReminderDays != 3 || got.Filter.Where["plan"] != "pro" || !got.CreatedAt.Equal(first.CreatedAt)) {
				t.Fatalf("resumed send changed: %+v", got)
			}
			if err == nil && !resumed && (got.ID == "" || got.ID == "spring") {
				t.Fatalf("new send id %q", got.ID)
			}
		})
	}
	// A dry run of a new send saves nothing.
	dry, _, err := s.Open(ctx, SendRequest{ID: "dry", SurveyID: "a", DryRun: true})
	if err != nil || dry.ID != "dry" {
		t.Fatal(dry, err)
	}
	if _, err := store.GetSend(ctx, "dry"); !errors.Is(err, analytics.ErrNotFound) {
		t.Fatalf("a dry run saved its send: %v", err)
	}
}
