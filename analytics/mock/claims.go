package mock

import (
	"context"

	"heed/analytics"
)

type claimKey struct{ job, holder string }

// SaveClaim implements analytics.ClaimStore: the highest version of each
// job and holder is kept, as the ClickHouse table's merges keep it.
func (s *Store) SaveClaim(ctx context.Context, r analytics.ClaimRow) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.Err != nil {
		return s.Err
	}
	if s.claims == nil {
		s.claims = map[claimKey]analytics.ClaimRow{}
	}
	k := claimKey{r.Job, r.Holder}
	if old, ok := s.claims[k]; !ok || r.Version > old.Version {
		s.claims[k] = r
	}
	return nil
}

// Claims implements analytics.ClaimStore.
func (s *Store) Claims(ctx context.Context, job string) ([]analytics.ClaimRow, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.Err != nil {
		return nil, s.Err
	}
	var out []analytics.ClaimRow
	for k, r := range s.claims {
		if k.job == job {
			out = append(out, r)
		}
	}
	return out, nil
}
