package analytics

import (
	"context"
	"fmt"
	"net/mail"
	"strings"
	"time"
)

// The people who use Heed itself (not the customers who answer surveys):
// accounts that sign in, API keys for machines, their sessions and
// one-time sign-in links, and the audit log of what they did. Package
// server checks them on every request (server/access.go).

// Role is what an account or an API key may do.
type Role string

const (
	// RoleAdmin may do everything: accounts, keys, erasure, the audit log.
	RoleAdmin Role = "admin"
	// RoleManager runs surveys, sends, reports, contacts, churn and
	// cases; no accounts, keys, erasure or survey deletion.
	RoleManager Role = "manager"
	// RoleViewer reads reports, answers and CSVs.
	RoleViewer Role = "viewer"
	// RoleIngest is for backends: it posts contacts and churn records
	// (answers need no key), and reads nothing.
	RoleIngest Role = "ingest"
)

// Roles lists the roles, most powerful first.
var Roles = []Role{RoleAdmin, RoleManager, RoleViewer, RoleIngest}

// Valid reports whether r is one of Roles.
func (r Role) Valid() bool {
	for _, v := range Roles {
		if r == v {
			return true
		}
	}
	return false
}

// ParseRole reads a role's name.
func ParseRole(s string) (Role, error) {
	if r := Role(s); r.Valid() {
		return r, nil
	}
	return "", fmt.Errorf("role %q is not one of admin, manager, viewer, ingest", s)
}

// NormalizeEmail checks an address as contacts are checked (Deliverable)
// and lower-cases it: the one form accounts are found by.
func NormalizeEmail(s string) (string, error) {
	addr, err := mail.ParseAddress(strings.TrimSpace(s))
	if err != nil || !Deliverable(addr.Address) {
		return "", fmt.Errorf("%q is not an email address", s)
	}
	return strings.ToLower(addr.Address), nil
}

// Account is a person who signs in to Heed's dashboard. Accounts are for
// people: RoleIngest is for API keys only.
type Account struct {
	ID    string `json:"id"`
	Email string `json:"email"` // normalised (NormalizeEmail); unique among accounts
	Name  string `json:"name"`
	Role  Role   `json:"role"`
	// PasswordHash is the argon2id hash of the account's password (PHC
	// string); empty: the account signs in with emailed links only.
	PasswordHash string `json:"-"`
	// SessionsAfter ends every session created before it: signing out
	// everywhere moves it to now.
	SessionsAfter time.Time `json:"-"`
	InvitedBy     string    `json:"invited_by"`
	CreatedAt     time.Time `json:"created_at"`
	UpdatedAt     time.Time `json:"updated_at"`
}

// HasPassword reports whether the account may sign in with a password.
func (a Account) HasPassword() bool { return a.PasswordHash != "" }

// APIKey lets a machine call the API with a role. Only a hash of its
// secret is stored: the key is shown once, when created.
type APIKey struct {
	ID   string `json:"id"` // public; part of the key itself
	Name string `json:"name"`
	Role Role   `json:"role"`
	// Surveys limits the key to these surveys; empty: every survey.
	Surveys    []string  `json:"surveys"`
	SecretHash string    `json:"-"` // hex SHA-256 of the whole key
	CreatedBy  string    `json:"created_by"`
	CreatedAt  time.Time `json:"created_at"`
	// LastUsedAt is when the key was last accepted (to the minute);
	// zero when never.
	LastUsedAt time.Time `json:"last_used_at"`
}

// AllowsSurvey reports whether the key reaches a survey.
func (k APIKey) AllowsSurvey(id string) bool {
	if len(k.Surveys) == 0 {
		return true
	}
	for _, s := range k.Surveys {
		if s == id {
			return true
		}
	}
	return false
}

// Kinds of AuthToken.
const (
	TokenSession = "session" // a signed-in browser's cookie
	TokenLink    = "link"    // an emailed one-time sign-in link
)

// AuthToken is a session or a one-time sign-in link. Only the hash of the
// token is stored, so the table cannot be used to sign in.
type AuthToken struct {
	Hash      string // hex SHA-256 of the token
	Kind      string // TokenSession or TokenLink
	AccountID string
	CreatedAt time.Time
	ExpiresAt time.Time
	// Revoked: signed out, or a link already used.
	Revoked bool
}

// AuditEntry is one thing someone did: who, what, to what, when. It holds
// no customer data (an erasure says how much it removed, not whom).
type AuditEntry struct {
	At time.Time `json:"at"`
	// Actor is who did it: an account's email, "key:<id>" for an API key,
	// "bootstrap" for HEED_ADMIN_KEY, or "" for someone not signed in (a
	// failed sign-in).
	Actor  string `json:"actor"`
	Role   Role   `json:"role"`
	Action string `json:"action"` // e.g. "survey.update", "key.create"
	Target string `json:"target"` // e.g. a survey id, a key id, an account's email
	Detail string `json:"detail"` // a short note, e.g. "role manager"
	IP     string `json:"ip"`
}

// AuditQuery selects audit entries: newest first, before Before (zero:
// now), at most Limit.
type AuditQuery struct {
	Before time.Time
	// Action is "" for all, an action ("signin.link_sent"), or a family
	// ending in "." ("signout." is "signout" and every "signout.<...>").
	Action string
	Limit  int
}

// AccountStore keeps accounts, API keys, sign-in tokens and the audit log.
type AccountStore interface {
	// LoadAccounts returns every account not removed.
	LoadAccounts(ctx context.Context) ([]Account, error)
	// SaveAccount writes a new or changed account (the last write wins).
	SaveAccount(ctx context.Context, a Account) error
	// RemoveAccount writes an account's tombstone, which wins over every
	// other write of it.
	RemoveAccount(ctx context.Context, id string) error
	// LoadAPIKeys returns every key not revoked, with its last use.
	LoadAPIKeys(ctx context.Context) ([]APIKey, error)
	SaveAPIKey(ctx context.Context, k APIKey) error
	// RevokeAPIKey writes a key's tombstone, which wins over every other
	// write of it.
	RevokeAPIKey(ctx context.Context, id string) error
	// TouchAPIKeys records when keys were last used.
	TouchAPIKeys(ctx context.Context, used map[string]time.Time) error
	// SaveAuthToken writes a session or sign-in link.
	SaveAuthToken(ctx context.Context, t AuthToken) error
	// AuthToken returns a token by its hash, revoked or not; ok is false
	// when there is none.
	AuthToken(ctx context.Context, hash string) (t AuthToken, ok bool, err error)
	// RevokeAuthToken revokes a token: its revocation wins over every
	// other write of it.
	RevokeAuthToken(ctx context.Context, t AuthToken) error
	// PurgeAuthTokens deletes the sessions and links that expired before
	// a time, and says how many rows went.
	PurgeAuthTokens(ctx context.Context, before time.Time) (int, error)
	// CountSignInLinks counts the one-time links of an account created
	// at or after since whose lifetime is at most maxTTL (sign-in links,
	// not invitations), revoked or not: what bounds the sign-in emails an
	// account gets, the same on every instance.
	CountSignInLinks(ctx context.Context, accountID string, since time.Time, maxTTL time.Duration) (int, error)
	// AppendAudit records audit entries.
	AppendAudit(ctx context.Context, entries []AuditEntry) error
	// AuditTimes returns when action was recorded on target at or after
	// since, newest first, at most limit (the failed sign-ins of an
	// address, counted the same on every instance).
	AuditTimes(ctx context.Context, action, target string, since time.Time, limit int) ([]time.Time, error)
	// Audit returns the entries of q.
	Audit(ctx context.Context, q AuditQuery) ([]AuditEntry, error)
}
