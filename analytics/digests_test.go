package analytics

import (
	"net/mail"
	"sort"
	"strings"
	"testing"
	"time"
)

func zone(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// TestDigestDue: which period a digest covers at a given time, and when it
// went out, by schedule and zone.
func TestDigestDue(t *testing.T) {
	paris, ny := zone(t, "Europe/Paris"), zone(t, "America/New_York")
	weekly := func(day string, hour int, tz string) DigestSettings {
		return DigestSettings{Schedule: DigestWeekly, Weekday: day, Hour: hour, TZ: tz}
	}
	monthly := func(hour int, tz string) DigestSettings {
		return DigestSettings{Schedule: DigestMonthly, Hour: hour, TZ: tz}
	}
	tests := []struct {
		name       string
		d          DigestSettings
		now        time.Time
		start, end string // the period, in its zone
		sendAt     time.Time
	}{
		{"Monday 9:00 Paris, at 9:30: last week", weekly("monday", 9, "Europe/Paris"), time.Date(2026, 11, 30, 9, 30, 0, 0, paris),
			"2026-11-23", "2026-11-30", time.Date(2026, 11, 30, 9, 0, 0, 0, paris)},
		{"at 9:00 sharp", weekly("monday", 9, "Europe/Paris"), time.Date(2026, 11, 30, 9, 0, 0, 0, paris),
			"2026-11-23", "2026-11-30", time.Date(2026, 11, 30, 9, 0, 0, 0, paris)},
		{"at 8:59: still the week before's", weekly("monday", 9, "Europe/Paris"), time.Date(2026, 11, 30, 8, 59, 0, 0, paris),
			"2026-11-16", "2026-11-23", time.Date(2026, 11, 23, 9, 0, 0, 0, paris)},
		{"later in the week: still last week's", weekly("monday", 9, "Europe/Paris"), time.Date(2026, 12, 5, 18, 0, 0, 0, paris),
			"2026-11-23", "2026-11-30", time.Date(2026, 11, 30, 9, 0, 0, 0, paris)},
		{"Sunday 23:30 UTC is Monday 0:30 in Paris", weekly("monday", 0, "Europe/Paris"), time.Date(2026, 11, 29, 23, 30, 0, 0, time.UTC),
			"2026-11-23", "2026-11-30", time.Date(2026, 11, 30, 0, 0, 0, 0, paris)},
		{"Friday 17:00 New York", weekly("friday", 17, "America/New_York"), time.Date(2026, 12, 4, 17, 5, 0, 0, ny),
			"2026-11-23", "2026-11-30", time.Date(2026, 12, 4, 17, 0, 0, 0, ny)},
		{"Friday, before its hour", weekly("friday", 17, "America/New_York"), time.Date(2026, 12, 4, 16, 0, 0, 0, ny),
			"2026-11-16", "2026-11-23", time.Date(2026, 11, 27, 17, 0, 0, 0, ny)},
		{"Sunday: the week that ended a week before", weekly("sunday", 20, "UTC"), time.Date(2026, 12, 6, 21, 0, 0, 0, time.UTC),
			"2026-11-23", "2026-11-30", time.Date(2026, 12, 6, 20, 0, 0, 0, time.UTC)},
		{"no weekday: Monday", DigestSettings{Schedule: DigestWeekly, Hour: 9}, time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC),
			"2026-11-23", "2026-11-30", time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)},
		{"the week the clocks change (Paris, 25 Oct)", weekly("monday", 9, "Europe/Paris"), time.Date(2026, 10, 26, 9, 0, 0, 0, paris),
			"2026-10-19", "2026-10-26", time.Date(2026, 10, 26, 8, 0, 0, 0, time.UTC)},
		{"monthly on the 1st at 7:00", monthly(7, "America/New_York"), time.Date(2026, 12, 1, 7, 0, 0, 0, ny),
			"2026-11-01", "2026-12-01", time.Date(2026, 12, 1, 7, 0, 0, 0, ny)},
		{"monthly before its hour: the month before's", monthly(7, "America/New_York"), time.Date(2026, 12, 1, 6, 0, 0, 0, ny),
			"2026-10-01", "2026-11-01", time.Date(2026, 11, 1, 7, 0, 0, 0, ny)},
		{"monthly across the year", monthly(0, "UTC"), time.Date(2027, 1, 15, 0, 0, 0, 0, time.UTC),
			"2026-12-01", "2027-01-01", time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := tt.d.Due(tt.now)
			if err != nil {
				t.Fatal(err)
			}
			got := p.Start.Format(time.DateOnly) + " " + p.End.Format(time.DateOnly)
			if got != tt.start+" "+tt.end || !p.SendAt.Equal(tt.sendAt) || p.ID() != tt.start {
				t.Fatalf("period %s, sent at %s; want %s %s at %s", got, p.SendAt, tt.start, tt.end, tt.sendAt)
			}
			if p.SendAt.After(tt.now) {
				t.Fatalf("due at %s, after now %s", p.SendAt, tt.now)
			}
			if h, m, _ := p.Start.Clock(); h != 0 || m != 0 || p.Start.Location().String() != p.Location.String() {
				t.Fatalf("start %s is not a midnight in %s", p.Start, p.Location)
			}
			if prev := previous(p.Interval, p.Start); !p.Previous.Equal(prev) {
				t.Fatalf("previous %s, want %s", p.Previous, prev)
			}
		})
	}
	if _, err := (DigestSettings{Schedule: DigestWeekly, TZ: "Nowhere/Else"}).Due(time.Now()); err == nil {
		t.Error("an unknown zone gave a period")
	}
}

// TestDigestTrendQuery: the report of a digest ends with its period and
// covers n periods.
func TestDigestTrendQuery(t *testing.T) {
	paris := zone(t, "Europe/Paris")
	for _, d := range []DigestSettings{{Schedule: DigestWeekly, Weekday: "monday", Hour: 9, TZ: "Europe/Paris"}, {Schedule: DigestMonthly, Hour: 9, TZ: "Europe/Paris"}} {
		p, err := d.Due(time.Date(2026, 12, 1, 12, 0, 0, 0, paris))
		if err != nil {
			t.Fatal(err)
		}
		q := p.TrendQuery(&Survey{ID: "s"}, 12)
		rep := NewReport(q)
		if len(rep.Periods) != 12 || rep.Periods[11].Start != p.ID() || !q.To.Equal(p.End) || q.Location != p.Location {
			t.Errorf("%s: %d periods, last %s, to %s; want 12 ending with %s", d.Schedule, len(rep.Periods), rep.Periods[len(rep.Periods)-1].Start, q.To, p.ID())
		}
	}
}

func TestCheckDigest(t *testing.T) {
	valid := func(e string) bool { a, err := mail.ParseAddress(e); return err == nil && a.Address == e }
	tests := []struct {
		name   string
		in     DigestSettings
		fields string         // sorted, comma-separated
		want   DigestSettings // when valid
	}{
		{"weekly defaults", DigestSettings{Schedule: "weekly", Hour: 9, Emails: []string{" Boss@Acme.example ", "boss@acme.example"}}, "",
			DigestSettings{Schedule: "weekly", Weekday: "monday", Hour: 9, TZ: "UTC", Emails: []string{"boss@acme.example"}}},
		{"monthly", DigestSettings{Schedule: "monthly", Hour: 0, TZ: "Asia/Kolkata", Emails: []string{"a@x.example"}}, "",
			DigestSettings{Schedule: "monthly", Hour: 0, TZ: "Asia/Kolkata", Emails: []string{"a@x.example"}}},
		{"off", DigestSettings{}, "", DigestSettings{TZ: "UTC", Emails: []string{}}},
		{"bad everything", DigestSettings{Schedule: "hourly", Weekday: "x", Hour: 25, TZ: "Local", Emails: []string{"x"}}, "digest.emails[0],digest.hour,digest.schedule,digest.tz,digest.weekday", DigestSettings{}},
		{"no recipients", DigestSettings{Schedule: "monthly"}, "digest.emails", DigestSettings{}},
		{"repeats do not count toward the limit", DigestSettings{Schedule: "weekly", Hour: 9, Emails: strings.Split(strings.Repeat("a@x.example,", 20)+"b@x.example", ",")}, "",
			DigestSettings{Schedule: "weekly", Weekday: "monday", Hour: 9, TZ: "UTC", Emails: []string{"a@x.example", "b@x.example"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := tt.in
			err := CheckDigest(&d, valid)
			var got []string
			if fe, ok := err.(FieldErrors); ok {
				for k := range fe {
					got = append(got, k)
				}
			} else if err != nil {
				t.Fatal(err)
			}
			sort.Strings(got)
			if strings.Join(got, ",") != tt.fields {
				t.Fatalf("fields %v, want %s", got, tt.fields)
			}
			if tt.fields == "" {
				if d.Schedule != tt.want.Schedule || d.Weekday != tt.want.Weekday || d.Hour != tt.want.Hour || d.TZ != tt.want.TZ ||
					strings.Join(d.Emails, ",") != strings.Join(tt.want.Emails, ",") {
					t.Fatalf("normalised to %+v, want %+v", d, tt.want)
				}
			}
		})
	}
	// Twenty distinct addresses are the most.
	var many []string
	for i := 0; i < MaxDigestEmails+1; i++ {
		many = append(many, string(rune('a'+i))+"@x.example")
	}
	if err := CheckDigest(&DigestSettings{Schedule: "weekly", Emails: many}, valid); err == nil || !strings.Contains(err.Error(), "digest.emails") {
		t.Errorf("%d recipients: %v", len(many), err)
	}
	if err := CheckDigest(&DigestSettings{Schedule: "weekly", Emails: many[:MaxDigestEmails]}, valid); err != nil {
		t.Errorf("%d recipients: %v", MaxDigestEmails, err)
	}
}

// TestDigestVersion: the order the version encodes, which the store's
// merges follow (see the store's TestDigestRecordRule for the engine).
func TestDigestVersion(t *testing.T) {
	t0 := time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)
	rec := func(attempt int, status, claim string, at time.Time) DigestRecord {
		return DigestRecord{Attempt: attempt, Status: status, ClaimID: claim, ClaimedAt: at}
	}
	// Each pair: the first must win over the second.
	tests := []struct {
		name          string
		winner, loser DigestRecord
	}{
		{"the earlier claim", rec(1, DigestSending, "a", t0), rec(1, DigestSending, "b", t0.Add(time.Millisecond))},
		{"the outcome over its claim", rec(1, DigestSent, "a", t0), rec(1, DigestSending, "a", t0)},
		{"the outcome over a later rival claim", rec(1, DigestSent, "a", t0), rec(1, DigestSending, "b", t0.Add(time.Second))},
		{"an abandoned mark over the claim", rec(1, DigestAbandoned, "a", t0), rec(1, DigestSending, "a", t0)},
		{"the claimer's outcome over the abandoned mark", rec(1, DigestFailed, "a", t0), rec(1, DigestAbandoned, "a", t0)},
		{"a new attempt over a failure", rec(2, DigestSending, "b", t0.Add(time.Hour)), rec(1, DigestFailed, "a", t0)},
		{"a new attempt, even claimed on a clock behind", rec(2, DigestSending, "b", t0.Add(-time.Hour)), rec(1, DigestFailed, "a", t0)},
	}
	for _, tt := range tests {
		if w, l := tt.winner.Version(), tt.loser.Version(); w <= l {
			t.Errorf("%s: %x does not beat %x", tt.name, w, l)
		}
	}
	// Same millisecond: the claim ids decide, the same way every time.
	a, b := rec(1, DigestSending, "a", t0), rec(1, DigestSending, "b", t0)
	if a.Version() == b.Version() {
		t.Error("two claims of one millisecond share a version")
	}
}
