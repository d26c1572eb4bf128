package server

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"slices"
	"strings"
	"sync"
	"time"

	"heed/analytics"
)

// team caches the accounts and API keys (a few dozen rows: every request
// checks them, so they are kept in memory) and the sessions recently
// seen, and gathers the keys' uses to write them once a minute. Changes
// made through this instance apply at once; those of another instance
// within teamRefresh.
type team struct {
	store analytics.AccountStore

	mu       sync.RWMutex
	loaded   bool
	accounts map[string]analytics.Account // by id
	byEmail  map[string]string            // email -> id
	keys     map[string]analytics.APIKey  // by id
	used     map[string]time.Time         // key uses not yet written
	sessions map[string]cachedToken       // by token hash
}

// cachedToken is a session looked up a moment ago.
type cachedToken struct {
	t   analytics.AuthToken
	ok  bool
	at  time.Time
	err error
}

const (
	teamRefresh = 30 * time.Second
	// sessionCacheFor is how long a looked-up session is believed: a
	// sign-out elsewhere takes effect here within it.
	sessionCacheFor = 30 * time.Second
	// maxCachedSessions bounds the cache whatever cookies clients send;
	// when full it starts over.
	maxCachedSessions = 10000
)

func newTeam(store analytics.AccountStore) *team {
	return &team{store: store, accounts: map[string]analytics.Account{}, byEmail: map[string]string{},
		keys: map[string]analytics.APIKey{}, used: map[string]time.Time{}, sessions: map[string]cachedToken{}}
}

// load reads every account and key.
func (t *team) load(ctx context.Context) error {
	accounts, err := t.store.LoadAccounts(ctx)
	if err != nil {
		return err
	}
	keys, err := t.store.LoadAPIKeys(ctx)
	if err != nil {
		return err
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.accounts = make(map[string]analytics.Account, len(accounts))
	t.byEmail = make(map[string]string, len(accounts))
	for _, a := range accounts {
		t.accounts[a.ID] = a
		t.byEmail[a.Email] = a.ID
	}
	fresh := make(map[string]analytics.APIKey, len(keys))
	for _, k := range keys {
		if at, ok := t.used[k.ID]; ok && at.After(k.LastUsedAt) {
			k.LastUsedAt = at
		} else if old, ok := t.keys[k.ID]; ok && old.LastUsedAt.After(k.LastUsedAt) {
			k.LastUsedAt = old.LastUsedAt
		}
		fresh[k.ID] = k
	}
	t.keys = fresh
	t.loaded = true
	return nil
}

// flushUses writes the keys' uses gathered since the last flush.
func (t *team) flushUses(ctx context.Context) error {
	t.mu.Lock()
	used := t.used
	t.used = map[string]time.Time{}
	t.mu.Unlock()
	if len(used) == 0 {
		return nil
	}
	if err := t.store.TouchAPIKeys(ctx, used); err != nil {
		t.mu.Lock()
		for id, at := range used {
			if at.After(t.used[id]) {
				t.used[id] = at
			}
		}
		t.mu.Unlock()
		return err
	}
	return nil
}

func (t *team) account(id string) (analytics.Account, bool) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	a, ok := t.accounts[id]
	return a, ok
}

func (t *team) accountByEmail(email string) (analytics.Account, bool) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	a, ok := t.accounts[t.byEmail[email]]
	return a, ok
}

// list returns the accounts, by email.
func (t *team) list() []analytics.Account {
	t.mu.RLock()
	defer t.mu.RUnlock()
	out := make([]analytics.Account, 0, len(t.accounts))
	for _, a := range t.accounts {
		out = append(out, a)
	}
	slices.SortFunc(out, func(a, b analytics.Account) int { return strings.Compare(a.Email, b.Email) })
	return out
}

// listKeys returns the keys, oldest first.
func (t *team) listKeys() []analytics.APIKey {
	t.mu.RLock()
	defer t.mu.RUnlock()
	out := make([]analytics.APIKey, 0, len(t.keys))
	for _, k := range t.keys {
		out = append(out, k)
	}
	slices.SortFunc(out, func(a, b analytics.APIKey) int {
		if c := a.CreatedAt.Compare(b.CreatedAt); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return out
}

// put records an account written through this instance.
func (t *team) put(a analytics.Account) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if old, ok := t.accounts[a.ID]; ok {
		delete(t.byEmail, old.Email)
	}
	t.accounts[a.ID] = a
	t.byEmail[a.Email] = a.ID
}

func (t *team) remove(id string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if a, ok := t.accounts[id]; ok {
		delete(t.byEmail, a.Email)
		delete(t.accounts, id)
	}
}

func (t *team) putKey(k analytics.APIKey) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.keys[k.ID] = k
}

func (t *team) removeKey(id string) (analytics.APIKey, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	k, ok := t.keys[id]
	delete(t.keys, id)
	return k, ok
}

// API keys read "heed_<id>_<secret>": the id finds the key, the hash of
// the whole key proves it.
const keyPrefix = "heed_"

// newAPIKey returns a fresh key and its id.
func newAPIKey() (key, id string) {
	id = strings.ToLower(randomToken(8))
	id = strings.NewReplacer("-", "x", "_", "y").Replace(id)
	return keyPrefix + id + "_" + randomToken(32), id
}

// keyFor returns the key that key is, recording its use.
func (t *team) keyFor(key string) (analytics.APIKey, bool) {
	rest, ok := strings.CutPrefix(key, keyPrefix)
	if !ok {
		return analytics.APIKey{}, false
	}
	id, _, ok := strings.Cut(rest, "_")
	if !ok || len(id) > 64 {
		return analytics.APIKey{}, false
	}
	got := hashToken(key)
	t.mu.Lock()
	defer t.mu.Unlock()
	k, ok := t.keys[id]
	if !ok || subtle.ConstantTimeCompare([]byte(got), []byte(k.SecretHash)) != 1 {
		return analytics.APIKey{}, false
	}
	// Uses are kept to the minute: enough to tell a key in use from a
	// forgotten one, and at most one write per key per flush.
	now := time.Now().UTC().Truncate(time.Minute)
	if now.After(k.LastUsedAt) {
		k.LastUsedAt = now
		t.keys[id] = k
		t.used[id] = now
	}
	return k, true
}

// cachedSession returns a session looked up less than sessionCacheFor ago.
func (t *team) cachedSession(hash string) (cachedToken, bool) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	ct, ok := t.sessions[hash]
	if !ok || time.Since(ct.at) > sessionCacheFor {
		return cachedToken{}, false
	}
	return ct, true
}

func (t *team) cacheSession(hash string, ct cachedToken) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.sessions) >= maxCachedSessions {
		t.sessions = map[string]cachedToken{}
	}
	t.sessions[hash] = ct
}

func (t *team) forgetSession(hash string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.sessions, hash)
}

// randomToken returns n random bytes, base64url.
func randomToken(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand does not fail on supported systems
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// hashToken is how tokens and keys are stored: hex SHA-256 (they are
// random and long, so a fast hash is enough).
func hashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

func (s *Server) loadTeam(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	return s.team.load(ctx)
}

// refreshTeam reloads accounts and keys (quickly until the first load
// succeeds, then every teamRefresh) and writes the keys' uses.
func (s *Server) refreshTeam(ctx context.Context) {
	var purged time.Time
	for {
		wait := teamRefresh
		if !s.team.isLoaded() {
			wait = time.Second
		}
		select {
		case <-ctx.Done():
			// The last uses, written on the way out.
			flushCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			_ = s.team.flushUses(flushCtx)
			cancel()
			return
		case <-time.After(wait):
		}
		if err := s.team.flushUses(ctx); err != nil && ctx.Err() == nil {
			s.log.Warn("API key uses not written; retrying", "err", err)
		}
		if err := s.loadTeam(ctx); err != nil && ctx.Err() == nil {
			s.log.Warn("accounts and keys not reloaded", "err", err)
		}
		if time.Since(purged) >= tokenPurgeEvery {
			purged = time.Now()
			if n, err := s.store.PurgeAuthTokens(ctx, time.Now().Add(-tokenKeptExpired)); err != nil && ctx.Err() == nil {
				s.log.Warn("expired sessions and links not deleted", "err", err)
			} else if n > 0 {
				s.log.Info("deleted expired sessions and sign-in links", "rows", n)
			}
		}
	}
}

const (
	// tokenPurgeEvery is how often expired sessions and links are deleted.
	tokenPurgeEvery = time.Hour
	// tokenKeptExpired keeps an expired link a day, so that it still says
	// "expired" (410) rather than "not valid" (401).
	tokenKeptExpired = 24 * time.Hour
)

func (t *team) isLoaded() bool {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return t.loaded
}
