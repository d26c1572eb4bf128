package mock

import (
	"context"
	"sort"
	"strings"
	"time"

	"heed/analytics"
)

// accountRows holds accounts, keys, tokens and the audit log in memory.
type accountRows struct {
	accounts map[string]analytics.Account
	keys     map[string]analytics.APIKey
	tokens   map[string]analytics.AuthToken
	audit    []analytics.AuditEntry
}

func (s *Store) accountsInit() {
	if s.acc.accounts == nil {
		s.acc.accounts = map[string]analytics.Account{}
		s.acc.keys = map[string]analytics.APIKey{}
		s.acc.tokens = map[string]analytics.AuthToken{}
	}
}

// LoadAccounts implements analytics.AccountStore.
func (s *Store) LoadAccounts(ctx context.Context) ([]analytics.Account, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.Err != nil {
		return nil, s.Err
	}
	s.accountsInit()
	out := make([]analytics.Account, 0, len(s.acc.accounts))
	for _, a := range s.acc.accounts {
		out = append(out, a)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Email < out[j].Email })
	return out, nil
}

// SaveAccount implements analytics.AccountStore.
func (s *Store) SaveAccount(ctx context.Context, a analytics.Account) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.Err != nil {
		return s.Err
	}
	s.accountsInit()
	s.acc.accounts[a.ID] = a
	return nil
}

// RemoveAccount implements analytics.AccountStore.
func (s *Store) RemoveAccount(ctx context.Context, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.Err != nil {
		return s.Err
	}
	s.accountsInit()
	delete(s.acc.accounts, id)
	return nil
}

// LoadAPIKeys implements analytics.AccountStore.
func (s *Store) LoadAPIKeys(ctx context.Context) ([]analytics.APIKey, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.Err != nil {
		return nil, s.Err
	}
	s.accountsInit()
	out := make([]analytics.APIKey, 0, len(s.acc.keys))
	for _, k := range s.acc.keys {
		out = append(out, k)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].CreatedAt.Before(out[j].CreatedAt) })
	return out, nil
}

// SaveAPIKey implements analytics.AccountStore.
func (s *Store) SaveAPIKey(ctx context.Context, k analytics.APIKey) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.Err != nil {
		return s.Err
	}
	s.accountsInit()
	s.acc.keys[k.ID] = k
	return nil
}

// RevokeAPIKey implements analytics.AccountStore.
func (s *Store) RevokeAPIKey(ctx context.Context, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.Err != nil {
		return s.Err
	}
	s.accountsInit()
	delete(s.acc.keys, id)
	return nil
}

// TouchAPIKeys implements analytics.AccountStore.
func (s *Store) TouchAPIKeys(ctx context.Context, used map[string]time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.Err != nil {
		return s.Err
	}
	s.accountsInit()
	for id, at := range used {
		if k, ok := s.acc.keys[id]; ok && at.After(k.LastUsedAt) {
			k.LastUsedAt = at
			s.acc.keys[id] = k
		}
	}
	return nil
}

// SaveAuthToken implements analytics.AccountStore.
func (s *Store) SaveAuthToken(ctx context.Context, t analytics.AuthToken) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.Err != nil {
		return s.Err
	}
	s.accountsInit()
	if old, ok := s.acc.tokens[t.Hash]; ok && old.Revoked {
		return nil // a revocation wins
	}
	s.acc.tokens[t.Hash] = t
	return nil
}

// AuthToken implements analytics.AccountStore.
func (s *Store) AuthToken(ctx context.Context, hash string) (analytics.AuthToken, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.Err != nil {
		return analytics.AuthToken{}, false, s.Err
	}
	s.accountsInit()
	t, ok := s.acc.tokens[hash]
	return t, ok, nil
}

// RevokeAuthToken implements analytics.AccountStore.
func (s *Store) RevokeAuthToken(ctx context.Context, t analytics.AuthToken) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.Err != nil {
		return s.Err
	}
	s.accountsInit()
	t.Revoked = true
	s.acc.tokens[t.Hash] = t
	return nil
}

// PurgeAuthTokens implements analytics.AccountStore.
func (s *Store) PurgeAuthTokens(ctx context.Context, before time.Time) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.Err != nil {
		return 0, s.Err
	}
	s.accountsInit()
	n := 0
	for h, t := range s.acc.tokens {
		if t.ExpiresAt.Before(before) {
			delete(s.acc.tokens, h)
			n++
		}
	}
	return n, nil
}

// CountSignInLinks implements analytics.AccountStore.
func (s *Store) CountSignInLinks(ctx context.Context, accountID string, since time.Time, maxTTL time.Duration) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.Err != nil {
		return 0, s.Err
	}
	s.accountsInit()
	n := 0
	for _, t := range s.acc.tokens {
		if t.Kind == analytics.TokenLink && t.AccountID == accountID && !t.CreatedAt.Before(since) && t.ExpiresAt.Sub(t.CreatedAt) <= maxTTL {
			n++
		}
	}
	return n, nil
}

// AuditTimes implements analytics.AccountStore.
func (s *Store) AuditTimes(ctx context.Context, action, target string, since time.Time, limit int) ([]time.Time, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.Err != nil {
		return nil, s.Err
	}
	var out []time.Time
	for _, e := range s.acc.audit {
		if e.Action == action && e.Target == target && !e.At.Before(since.Truncate(time.Second)) {
			out = append(out, e.At)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].After(out[j]) })
	if len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

// AppendAudit implements analytics.AccountStore.
func (s *Store) AppendAudit(ctx context.Context, entries []analytics.AuditEntry) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.Err != nil {
		return s.Err
	}
	for _, e := range entries {
		if e.At.IsZero() {
			e.At = time.Now()
		}
		e.At = e.At.UTC().Truncate(time.Second)
		s.acc.audit = append(s.acc.audit, e)
	}
	return nil
}

// Audit implements analytics.AccountStore.
func (s *Store) Audit(ctx context.Context, q analytics.AuditQuery) ([]analytics.AuditEntry, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.Err != nil {
		return nil, s.Err
	}
	before := q.Before
	if before.IsZero() {
		before = time.Now().Add(time.Second)
	}
	// Newest first, as ClickHouse orders them (by time, then by write).
	all := make([]analytics.AuditEntry, len(s.acc.audit))
	for i, e := range s.acc.audit {
		all[len(all)-1-i] = e
	}
	sort.SliceStable(all, func(i, j int) bool { return all[i].At.After(all[j].At) })
	out := []analytics.AuditEntry{}
	for i := 0; i < len(all) && len(out) < q.Limit; i++ {
		e := all[i]
		if !e.At.Before(before) {
			continue
		}
		if family, ok := strings.CutSuffix(q.Action, "."); ok {
			if e.Action != family && !strings.HasPrefix(e.Action, q.Action) {
				continue
			}
		} else if q.Action != "" && e.Action != q.Action {
			continue
		}
		out = append(out, e)
	}
	return out, nil
}
