package analytics

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Retention: a survey may keep its answers' personal parts for a number of
// days (Survey.RetentionDays; 0 keeps them for ever). Past that, an answer
// is anonymised: its comment, respondent and properties are emptied, and
// its score, reasons, channel and dates stay, so that every report of
// scores and reasons (NPS, reason shares, trends) is the same before and
// after. What else linked the answer to its person goes too: the churn
// report's row of a customer whose last answer aged out, the widget's
// dismissals, and the notes of the answers' cases (their state, which holds
// no personal data of the respondent, stays for the time-to-close figures).
//
// The rule holds in storage: the store anonymises any row it is given for
// an answer first given before the cutoff (a late follow-up or confirmation
// of an old answer, a replayed spool), so a merge can never bring a comment
// back (see clickhouse.DB.SetRetention).

// MaxRetentionDays bounds Survey.RetentionDays (100 years).
const MaxRetentionDays = 36500

// RetentionCutoff is the time before which sv's answers are anonymised;
// zero when the survey keeps them for ever.
func (sv *Survey) RetentionCutoff(now time.Time) time.Time {
	if sv == nil || sv.RetentionDays <= 0 {
		return time.Time{}
	}
	return now.UTC().Truncate(time.Second).AddDate(0, 0, -sv.RetentionDays)
}

// RetentionCutoff is the cutoff of a cached survey (zero for one not
// cached): what the store applies to the answers it is given.
func (s *Surveys) RetentionCutoff(surveyID string, now time.Time) time.Time {
	sv, ok := s.Get(surveyID)
	if !ok {
		return time.Time{}
	}
	return sv.RetentionCutoff(now)
}

// Anonymise empties what of an answer is personal (comment, respondent,
// properties) and keeps what reports count (score, reasons, channel,
// dates): what retention does to an answer past its survey's retention,
// in every store. It reports whether there was anything to empty.
func (r *Response) Anonymise() bool {
	if r.Comment == "" && r.Respondent == "" && len(r.Properties) == 0 {
		return false
	}
	r.Comment, r.Respondent, r.Properties = "", "", nil
	return true
}

// RetentionSummary says what one run of a survey's retention changed, in
// stored rows; it holds no personal data.
type RetentionSummary struct {
	SurveyID string    `json:"survey_id"`
	Before   time.Time `json:"before"`
	// Answers counts the answer rows anonymised (also those of the
	// previous layout's table).
	Answers    uint64 `json:"answers"`
	Customers  uint64 `json:"last_answers"`
	Dismissals uint64 `json:"dismissals"`
	CaseNotes  uint64 `json:"case_notes"`
	// Done is false while ClickHouse is still applying the changes.
	Done bool `json:"done"`
}

// Changed says whether the run found anything to anonymise.
func (s RetentionSummary) Changed() bool {
	return s.Answers+s.Customers+s.Dismissals+s.CaseNotes > 0
}

// RetentionStore anonymises answers past their survey's retention.
type RetentionStore interface {
	// AnonymiseAnswers anonymises the survey's answers first given before
	// a time, and what links them to their person, waiting up to wait for
	// the changes to finish (Done). Answers already anonymised cost no
	// rewrite: a run that finds nothing changes nothing.
	AnonymiseAnswers(ctx context.Context, surveyID string, before time.Time, wait time.Duration) (RetentionSummary, error)
}

// RunRetention anonymises, for every survey with a retention, its answers
// past it. A survey that fails does not hold the others back.
func RunRetention(ctx context.Context, store RetentionStore, surveys []*Survey, now time.Time, wait time.Duration) ([]RetentionSummary, error) {
	var out []RetentionSummary
	var errs []error
	for _, sv := range surveys {
		cutoff := sv.RetentionCutoff(now)
		if cutoff.IsZero() {
			continue
		}
		sum, err := store.AnonymiseAnswers(ctx, sv.ID, cutoff, wait)
		if err != nil {
			errs = append(errs, fmt.Errorf("retention of survey %s: %w", sv.ID, err))
			continue
		}
		out = append(out, sum)
	}
	return out, errors.Join(errs...)
}
