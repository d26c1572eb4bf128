package analytics

import (
	"fmt"
	"hash/fnv"
	"strings"
	"time"
)

// The digest: per survey, an optional periodic email to managers with the
// NPS of the last full week or month against the one before, the reason
// shares that moved, the latest detractor comments, a trend chart and the
// period's report.csv. The schedule and the rules of "exactly once" live
// here; emails builds and sends it, the store records it.

// Digest schedules.
const (
	DigestWeekly  = "weekly"
	DigestMonthly = "monthly"
)

// DefaultDigestHour is the local hour a digest goes out when none is set.
const DefaultDigestHour = 9

// MaxDigestEmails bounds a digest's recipients.
const MaxDigestEmails = 20

// DigestSettings is a survey's digest schedule and recipients. A weekly
// digest goes out on Weekday at Hour (in TZ) and covers the last full week,
// Monday to Sunday in TZ, against the week before; a monthly one goes out on
// the first of the month at Hour and covers the last full month against the
// one before.
type DigestSettings struct {
	// Schedule is weekly, monthly, or "" (no digest; test sends still work).
	Schedule string `json:"schedule"`
	// Weekday is the day a weekly digest goes out: monday ... sunday.
	Weekday string `json:"weekday,omitempty"`
	// Hour is the hour of the day it goes out, 0-23, in TZ.
	Hour int `json:"hour"`
	// TZ is an IANA time zone name: where weeks and months begin and end.
	TZ     string   `json:"tz"`
	Emails []string `json:"emails"`
}

var weekdays = map[string]time.Weekday{"monday": time.Monday, "tuesday": time.Tuesday, "wednesday": time.Wednesday,
	"thursday": time.Thursday, "friday": time.Friday, "saturday": time.Saturday, "sunday": time.Sunday}

// ParseWeekday reads a lower-case English day name.
func ParseWeekday(s string) (time.Weekday, bool) {
	d, ok := weekdays[s]
	return d, ok
}

// DefaultDigest is what a preview or a test send uses for a survey that has
// no schedule: weekly, on Monday at 9:00 UTC.
func DefaultDigest() DigestSettings {
	return DigestSettings{Schedule: DigestWeekly, Weekday: "monday", Hour: DefaultDigestHour, TZ: "UTC", Emails: []string{}}
}

// DigestOf returns the survey's digest settings, or DefaultDigest (with the
// survey's recipients, if any) when it has no schedule.
func (s *Survey) DigestOf() DigestSettings {
	if s.Digest != nil && s.Digest.Schedule != "" {
		return *s.Digest
	}
	d := DefaultDigest()
	if s.Digest != nil {
		d.Emails = s.Digest.Emails
		if s.Digest.TZ != "" {
			d.TZ = s.Digest.TZ
		}
	}
	return d
}

// Scheduled reports whether the survey has a digest to send on its own.
func (s *Survey) Scheduled() bool {
	return s.Digest != nil && s.Digest.Schedule != "" && len(s.Digest.Emails) > 0
}

// Interval is the length of the digest's period.
func (d DigestSettings) Interval() Interval {
	if d.Schedule == DigestMonthly {
		return Month
	}
	return Week
}

// Location is the digest's time zone (UTC when unset). "Local" is refused:
// the server's own zone must not decide when a survey's week ends.
func (d DigestSettings) Location() (*time.Location, error) {
	if d.TZ == "Local" {
		return nil, fmt.Errorf("unknown time zone %q", d.TZ)
	}
	return time.LoadLocation(d.TZ)
}

// DigestPeriod is the period one digest covers, and when it is due.
type DigestPeriod struct {
	Schedule string
	Interval Interval
	Location *time.Location
	// Start and End (exclusive) are midnights in Location; Previous is the
	// start of the period it is compared with.
	Start, End, Previous time.Time
	// SendAt is when the digest is due.
	SendAt time.Time
}

// ID names the period as the store keys it: its first day.
func (p DigestPeriod) ID() string { return p.Start.Format(time.DateOnly) }

// Label names the period for people: "week of 23 Nov 2026", "November 2026".
func (p DigestPeriod) Label() string { return PeriodLabel(p.Interval, p.Start) }

// PeriodLabel names the period of an interval that starts at start.
func PeriodLabel(iv Interval, start time.Time) string {
	switch iv {
	case Month:
		return start.Format("January 2006")
	case Day:
		return start.Format("2 Jan 2006")
	}
	return "week of " + start.Format("2 Jan 2006")
}

// previous returns the start of the period before the one starting at start.
func previous(iv Interval, start time.Time) time.Time {
	switch iv {
	case Month:
		return start.AddDate(0, -1, 0)
	case Day:
		return start.AddDate(0, 0, -1)
	}
	return start.AddDate(0, 0, -7)
}

// sendAt is when the digest of the period that ends at end goes out: that
// week's weekday at the hour, or the first of that month at the hour.
func (d DigestSettings) sendAt(end time.Time) time.Time {
	offset := 0
	if d.Interval() == Week {
		wd, ok := ParseWeekday(d.Weekday)
		if !ok {
			wd = time.Monday
		}
		offset = (int(wd) + 6) % 7 // days after Monday
	}
	return time.Date(end.Year(), end.Month(), end.Day()+offset, d.Hour, 0, 0, 0, end.Location())
}

// Due returns the latest period whose digest is due at now: the last full
// week (month) once this week's (month's) send time has passed, else the
// one before it. A digest not sent at its time (Heed was down) is still due
// until the next one is; only the latest is ever sent.
func (d DigestSettings) Due(now time.Time) (DigestPeriod, error) {
	loc, err := d.Location()
	if err != nil {
		return DigestPeriod{}, err
	}
	iv := d.Interval()
	end := iv.Start(now.In(loc))
	at := d.sendAt(end)
	if now.Before(at) {
		end = previous(iv, end)
		at = d.sendAt(end)
	}
	start := previous(iv, end)
	return DigestPeriod{Schedule: d.Schedule, Interval: iv, Location: loc, Start: start, End: end,
		Previous: previous(iv, start), SendAt: at}, nil
}

// TrendQuery is the report a digest of p reads: the last n periods up to
// and including p (its last period is p, whose Change is the comparison).
func (p DigestPeriod) TrendQuery(sv *Survey, n int) ReportQuery {
	from := p.Start
	for i := 1; i < n; i++ {
		from = previous(p.Interval, from)
	}
	return ReportQuery{Survey: sv, From: from, To: p.End, Interval: p.Interval, Location: p.Location}
}

// Statuses of a digest record.
const (
	// DigestSending is a claim: the claimer is building or sending it.
	DigestSending = "sending"
	// DigestAbandoned marks a claim left "sending" for longer than any send
	// takes (its claimer crashed): it may have gone out, so it is not sent
	// again.
	DigestAbandoned = "abandoned"
	// DigestSent: the mailer took it.
	DigestSent = "sent"
	// DigestFailed: it was certainly not sent (SendGrid refused it, or the
	// send stopped before the request); a later check tries again.
	DigestFailed = "failed"
	// DigestUnknown: the request failed half-way (a timeout), so whether it
	// went out is unknown; not sent again.
	DigestUnknown = "unknown"
)

// DigestRecord is one row of a survey's digest of one period. Each claim
// and each outcome is a new row; the row with the highest Version is the
// record's state, in the store as after any merge (see Version).
type DigestRecord struct {
	SurveyID string
	Schedule string
	Period   string // its first day, YYYY-MM-DD, in the digest's zone
	// Attempt counts the claims of the period: a claim after a failure is
	// the next attempt.
	Attempt int
	Status  string
	ClaimID string
	// ClaimedAt is when the attempt was claimed (the same on its outcome).
	ClaimedAt  time.Time
	Recipients []string
	// Detail says why an attempt failed or was abandoned.
	Detail    string
	UpdatedAt time.Time
}

// stage orders the rows of one attempt: its claim, then another runner's
// "abandoned" mark, then the claimer's own outcome, which beats the mark
// (a claimer slower than the stale limit still has the last word).
func (r DigestRecord) stage() uint64 {
	switch r.Status {
	case DigestSending:
		return 1
	case DigestAbandoned:
		return 2
	}
	return 3
}

// Version encodes which row of a period wins, so that ClickHouse's
// ReplacingMergeTree, which keeps the highest version per key, keeps the
// same row Heed reads as the state:
//
//	bits 63-52  attempt (a new attempt beats every row of the previous one)
//	bits 51-50  stage (claim < abandoned mark < the claimer's outcome)
//	bits 49-8   2^42-1 - the claim time in ms (the EARLIEST claim of an
//	            attempt wins: a runner that claims after another and reads
//	            back sees the other's claim on top, so two runners racing
//	            for one period agree on one winner)
//	bits 7-0    a hash of the claim id (two claims in one millisecond)
func (r DigestRecord) Version() uint64 {
	const msBits = 42
	ms := uint64(r.ClaimedAt.UnixMilli())
	if ms >= 1<<msBits {
		ms = 1<<msBits - 1
	}
	h := fnv.New32a()
	h.Write([]byte(r.ClaimID))
	return uint64(min(r.Attempt, 1<<12-1))<<52 | r.stage()<<50 | (1<<msBits-1-ms)<<8 | uint64(h.Sum32()&0xff)
}

// Final reports whether the record ends the period's digest: nothing is
// sent for it any more.
func (r DigestRecord) Final() bool {
	return r.Status == DigestSent || r.Status == DigestUnknown || r.Status == DigestAbandoned
}

// CheckDigest normalises and checks digest settings: the schedule, the
// day and hour, the zone and the recipients (validEmail checks one
// address). Errors are keyed by JSON path under "digest.".
func CheckDigest(d *DigestSettings, validEmail func(string) bool) error {
	errs := FieldErrors{}
	d.Schedule = strings.TrimSpace(d.Schedule)
	d.Weekday = strings.ToLower(strings.TrimSpace(d.Weekday))
	d.TZ = strings.TrimSpace(d.TZ)
	switch d.Schedule {
	case "", DigestWeekly, DigestMonthly:
	default:
		errs["digest.schedule"] = "must be weekly, monthly, or empty for no digest"
	}
	switch {
	case d.Schedule == DigestWeekly && d.Weekday == "":
		d.Weekday = "monday"
	case d.Weekday == "":
	case d.Schedule != DigestWeekly:
		errs["digest.weekday"] = "applies to weekly digests only (a monthly digest goes out on the first of the month)"
	default:
		if _, ok := ParseWeekday(d.Weekday); !ok {
			errs["digest.weekday"] = "must be one of: monday, tuesday, wednesday, thursday, friday, saturday, sunday"
		}
	}
	if d.Hour < 0 || d.Hour > 23 {
		errs["digest.hour"] = "must be an hour from 0 to 23"
	}
	if d.TZ == "" {
		d.TZ = "UTC"
	}
	if _, err := d.Location(); err != nil || len(d.TZ) > 64 {
		errs["digest.tz"] = "must be an IANA time zone name, e.g. Europe/Paris"
	}
	seen := map[string]bool{}
	emails := []string{}
	for i, e := range d.Emails {
		e = strings.ToLower(strings.TrimSpace(e))
		if !validEmail(e) {
			errs[fmt.Sprintf("digest.emails[%d]", i)] = "must be an email address"
			continue
		}
		if !seen[e] {
			seen[e] = true
			emails = append(emails, e)
		}
	}
	d.Emails = emails
	switch {
	case len(d.Emails) > MaxDigestEmails:
		errs["digest.emails"] = fmt.Sprintf("must have at most %d items", MaxDigestEmails)
	case d.Schedule != "" && len(d.Emails) == 0 && len(errs) == 0:
		errs["digest.emails"] = "a scheduled digest needs at least one address"
	}
	return errs.orNil()
}
