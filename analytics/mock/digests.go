package mock

import (
	"context"
	"time"

	"heed/analytics"
)

type digestKey struct{ survey, schedule, period string }

// digestRow is a stored row: the record, with the version it was written
// with (taken before its times are cut to the second).
type digestRow struct {
	r       analytics.DigestRecord
	version uint64
}

// SaveDigest implements analytics.DigestStore: every row is kept, as
// ClickHouse keeps them until a merge.
func (s *Store) SaveDigest(ctx context.Context, r analytics.DigestRecord) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.Err != nil {
		return s.Err
	}
	if s.digests == nil {
		s.digests = map[digestKey][]digestRow{}
	}
	if r.UpdatedAt.IsZero() {
		r.UpdatedAt = time.Now()
	}
	v := r.Version()
	// To the second, as the store's DateTime columns keep them.
	r.ClaimedAt, r.UpdatedAt = r.ClaimedAt.UTC().Truncate(time.Second), r.UpdatedAt.UTC().Truncate(time.Second)
	r.Recipients = append([]string{}, r.Recipients...)
	k := digestKey{r.SurveyID, r.Schedule, r.Period}
	s.digests[k] = append(s.digests[k], digestRow{r, v})
	return nil
}

// Digest implements analytics.DigestStore: the row with the highest
// version (the later row on a tie).
func (s *Store) Digest(ctx context.Context, surveyID, schedule, period string) (analytics.DigestRecord, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.Err != nil {
		return analytics.DigestRecord{}, false, s.Err
	}
	var best *digestRow
	for i, row := range s.digests[digestKey{surveyID, schedule, period}] {
		if best == nil || row.version >= best.version {
			best = &s.digests[digestKey{surveyID, schedule, period}][i]
		}
	}
	if best == nil {
		return analytics.DigestRecord{SurveyID: surveyID, Schedule: schedule, Period: period}, false, nil
	}
	return best.r, true, nil
}
