package clickhouse_test

import (
	"context"
	"testing"

	"heed/analytics"
	"heed/analytics/clickhouse/chtest"
)

func TestContactsFilter(t *testing.T) {
	db := chtest.Open(t, "heed_test_ch_contacts")
	ctx := context.Background()
	var cs []analytics.Contact
	for _, c := range []struct{ email, plan string }{{"a@x.com", "pro"}, {"b@x.com", "free"}, {"c@x.com", "pro"}} {
		cs = append(cs, analytics.Contact{ContactID: analytics.ContactID(c.email), Email: c.email, Properties: map[string]string{"plan": c.plan}})
	}
	if err := db.UpsertContacts(ctx, cs); err != nil {
		t.Fatal(err)
	}
	// A later version replaces the first.
	if err := db.UpsertContacts(ctx, []analytics.Contact{{ContactID: analytics.ContactID("c@x.com"), Email: "c@x.com", Name: "Cy", Properties: map[string]string{"plan": "free"}}}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		filter analytics.ContactFilter
		want   int
	}{
		{"all", analytics.ContactFilter{}, 3},
		{"by property", analytics.ContactFilter{Where: map[string]string{"plan": "pro"}}, 1},
		{"by two ids", analytics.ContactFilter{ContactIDs: []string{analytics.ContactID("a@x.com"), analytics.ContactID("b@x.com")}}, 2},
		{"by one id", analytics.ContactFilter{ContactIDs: []string{analytics.ContactID("c@x.com")}}, 1},
		{"missing property", analytics.ContactFilter{Where: map[string]string{"country": ""}}, 0},
	}
	for _, tt := range tests {
		got, err := db.Contacts(ctx, tt.filter)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if len(got) != tt.want {
			t.Errorf("%s: %d contacts, want %d: %+v", tt.name, len(got), tt.want, got)
		}
	}
	got, _ := db.Contacts(ctx, analytics.ContactFilter{ContactIDs: []string{analytics.ContactID("c@x.com")}})
	if len(got) == 1 && (got[0].Name != "Cy" || got[0].Properties["plan"] != "free") {
		t.Errorf("latest version not used: %+v", got[0])
	}
}
