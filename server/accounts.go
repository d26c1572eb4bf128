package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"heed/analytics"
	"heed/emails"
)

// The people who use Heed: signing in and out, one's own account, and
// (admins) accounts, API keys and the audit log.

// meResponse is who the caller is and what they may do.
type meResponse struct {
	Kind    string             `json:"kind"` // bootstrap, key, session
	Role    analytics.Role     `json:"role"`
	Account *analytics.Account `json:"account,omitempty"`
	Key     *analytics.APIKey  `json:"key,omitempty"`
	// CSRFToken goes in the X-CSRF-Token header of every request of the
	// session that changes something.
	CSRFToken   string          `json:"csrf_token,omitempty"`
	HasPassword bool            `json:"has_password"`
	Can         map[string]bool `json:"can"`
}

// getMe handles GET /api/v1/me.
func (s *Server) getMe(c echo.Context) error {
	p := caller(c)
	out := meResponse{Kind: p.Kind, Role: p.Role, Account: p.Account, Key: p.Key, Can: map[string]bool{}}
	if p.Kind == bySession {
		out.CSRFToken = csrfToken(p.token)
		out.HasPassword = p.Account.HasPassword()
	}
	for _, a := range []access{accessRead, accessManage, accessIngest, accessAdmin} {
		out.Can[a.String()] = roleAllows(p.Role, a)
	}
	return c.JSON(http.StatusOK, out)
}

// signInEmailInput asks for a link.
type signInEmailInput struct {
	Email string `json:"email" validate:"required,max=254"`
}

// postSignInEmail handles POST /api/v1/sign-in/email: emails a one-time
// link when the address has an account (at most signInMailsPerWindow per
// window). The answer is the same either way, and given before anything is
// looked up (askSignInLink), so the endpoint does not tell who has an
// account, not even by its time.
func (s *Server) postSignInEmail(c echo.Context) error {
	var in signInEmailInput
	if err := s.bindValid(c, &in); err != nil {
		return err
	}
	email, err := analytics.NormalizeEmail(in.Email)
	if err != nil {
		return invalid(map[string]string{"email": "is not an email address"})
	}
	s.askSignInLink(email, c.RealIP())
	return c.JSON(http.StatusAccepted, map[string]string{
		"message": "if " + email + " has an account, a sign-in link is on its way; it works once, for " + strconv.Itoa(int(linkTTL/time.Minute)) + " minutes"})
}

// signInLinkInput spends a link.
type signInLinkInput struct {
	Token string `json:"token" validate:"required,max=128"`
}

// postSignInLink handles POST /api/v1/sign-in/link: the dashboard sends
// the token of the link it was opened with (a click, not the mere opening
// of the link: mail scanners open links).
func (s *Server) postSignInLink(c echo.Context) error {
	var in signInLinkInput
	if err := s.bindValid(c, &in); err != nil {
		return err
	}
	a, err := s.useSignInLink(c.Request().Context(), in.Token)
	switch {
	case errors.Is(err, errLinkUnknown):
		s.failedAuth(c)
		return newError(http.StatusUnauthorized, "this sign-in link is not valid; ask for a new one")
	case errors.Is(err, errLinkUsed):
		return newError(http.StatusGone, "this sign-in link was used already or has expired; ask for a new one")
	case err != nil:
		return err
	}
	if err := s.startSession(c, a); err != nil {
		return err
	}
	s.audit(c, analytics.AuditEntry{Action: "signin.link", Target: a.Email})
	return s.getMe(c)
}

// signInPasswordInput signs in with a password.
type signInPasswordInput struct {
	Email    string `json:"email" validate:"required,max=254"`
	Password string `json:"password" validate:"required,max=256"`
}

// postSignInPassword handles POST /api/v1/sign-in/password.
func (s *Server) postSignInPassword(c echo.Context) error {
	var in signInPasswordInput
	if err := s.bindValid(c, &in); err != nil {
		return err
	}
	email, _ := analytics.NormalizeEmail(in.Email)
	if err := s.passwordLocked(c, email); err != nil {
		return err
	}
	a, found := s.team.accountByEmail(email)
	ok, err := checkPassword(c.Request().Context(), in.Password, a.PasswordHash)
	if err != nil {
		return err
	}
	if !found || !ok {
		s.failedAuth(c)
		s.audit(c, analytics.AuditEntry{Action: "signin.failed", Target: email, Detail: "wrong email or password"})
		return newError(http.StatusUnauthorized, "wrong email or password")
	}
	if err := s.startSession(c, a); err != nil {
		return err
	}
	s.audit(c, analytics.AuditEntry{Action: "signin.password", Target: a.Email})
	return s.getMe(c)
}

// postSignOut handles POST /api/v1/sign-out: ends this session.
func (s *Server) postSignOut(c echo.Context) error {
	p := caller(c)
	if p.Kind != bySession {
		return newError(http.StatusBadRequest, "only a signed-in browser can sign out; revoke an API key instead")
	}
	if err := s.store.RevokeAuthToken(c.Request().Context(), p.session); err != nil {
		return err
	}
	s.team.forgetSession(p.session.Hash)
	clearSessionCookie(c)
	s.audit(c, analytics.AuditEntry{Action: "signout", Target: p.Account.Email})
	return c.NoContent(http.StatusNoContent)
}

// postSignOutEverywhere handles POST /api/v1/sign-out/everywhere: ends
// every session of the account, on every device and instance.
func (s *Server) postSignOutEverywhere(c echo.Context) error {
	p := caller(c)
	if p.Kind != bySession {
		return newError(http.StatusBadRequest, "only a signed-in browser can sign out; revoke an API key instead")
	}
	a := *p.Account
	endSessions(&a)
	a.UpdatedAt = time.Now().UTC()
	if err := s.store.SaveAccount(c.Request().Context(), a); err != nil {
		return err
	}
	s.team.put(a)
	if err := s.store.RevokeAuthToken(c.Request().Context(), p.session); err != nil {
		return err
	}
	s.team.forgetSession(p.session.Hash)
	clearSessionCookie(c)
	s.audit(c, analytics.AuditEntry{Action: "signout.everywhere", Target: a.Email})
	return c.NoContent(http.StatusNoContent)
}

// endSessions moves a's SessionsAfter past every session it has: a second
// later than now (a session started in this second ends too) and than the
// last move (sessions started since it start at it; see startSession).
func endSessions(a *analytics.Account) {
	now := time.Now().UTC().Truncate(time.Second)
	if last := a.SessionsAfter.UTC(); now.Before(last) {
		now = last
	}
	a.SessionsAfter = now.Add(time.Second)
}

// passwordInput sets one's password.
type passwordInput struct {
	Password string `json:"password" validate:"required,max=256"`
	// Current is required when the account has a password already.
	Current string `json:"current_password" validate:"max=256"`
}

// putMyPassword handles PUT /api/v1/me/password.
func (s *Server) putMyPassword(c echo.Context) error {
	p := caller(c)
	if p.Kind != bySession {
		return newError(http.StatusBadRequest, "only a signed-in person has a password; API keys do not")
	}
	var in passwordInput
	if err := s.bindValid(c, &in); err != nil {
		return err
	}
	if n := len([]rune(in.Password)); n < minPassword || n > maxPassword {
		return invalid(map[string]string{"password": fmt.Sprintf("must be %d to %d characters", minPassword, maxPassword)})
	}
	a, _ := s.team.account(p.Account.ID)
	if a.HasPassword() {
		ok, err := checkPassword(c.Request().Context(), in.Current, a.PasswordHash)
		if err != nil {
			return err
		}
		if !ok {
			s.failedAuth(c)
			return invalid(map[string]string{"current_password": "is wrong"})
		}
	}
	hash, err := hashPassword(c.Request().Context(), in.Password)
	if err != nil {
		return err
	}
	a.PasswordHash = hash
	a.UpdatedAt = time.Now().UTC()
	// Every other session ends, on every instance, as on signing out
	// everywhere; this one is reissued after the move (startSession).
	endSessions(&a)
	ctx := c.Request().Context()
	if err := s.store.SaveAccount(ctx, a); err != nil {
		return err
	}
	s.team.put(a)
	if err := s.store.RevokeAuthToken(ctx, p.session); err != nil {
		return err
	}
	s.team.forgetSession(p.session.Hash)
	if err := s.startSession(c, a); err != nil {
		return err
	}
	s.audit(c, analytics.AuditEntry{Action: "account.password", Target: a.Email, Detail: "other sessions ended"})
	return c.NoContent(http.StatusNoContent)
}

// accountInput invites a person.
type accountInput struct {
	Email string         `json:"email" validate:"required,max=254"`
	Name  string         `json:"name" validate:"max=200"`
	Role  analytics.Role `json:"role" validate:"required"`
}

// listAccounts handles GET /api/v1/accounts.
func (s *Server) listAccounts(c echo.Context) error {
	return c.JSON(http.StatusOK, map[string]any{"accounts": s.team.list()})
}

// createAccount handles POST /api/v1/accounts: creates the account and
// emails its invitation.
func (s *Server) createAccount(c echo.Context) error {
	var in accountInput
	if err := s.bindValid(c, &in); err != nil {
		return err
	}
	a, fields := NewAccount(in.Email, in.Name, in.Role, caller(c).actor())
	if len(fields) > 0 {
		return invalid(fields)
	}
	if _, ok := s.team.accountByEmail(a.Email); ok {
		return newError(http.StatusConflict, "%s has an account already", a.Email)
	}
	if err := s.store.SaveAccount(c.Request().Context(), a); err != nil {
		return err
	}
	s.team.put(a)
	s.audit(c, analytics.AuditEntry{Action: "account.invite", Target: a.Email, Detail: "role " + string(a.Role)})
	if err := s.invite(c, a); err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, a)
}

// NewAccount checks an invitation (POST /api/v1/accounts, `heed accounts
// add`) and builds its account; fields says what is wrong.
func NewAccount(email, name string, role analytics.Role, by string) (analytics.Account, map[string]string) {
	fields := map[string]string{}
	addr, err := analytics.NormalizeEmail(email)
	if err != nil {
		fields["email"] = "is not an email address"
	}
	if err := accountRole(role); err != nil {
		fields["role"] = err.Error()
	}
	now := time.Now().UTC().Truncate(time.Second)
	return analytics.Account{ID: strings.ToLower(randomToken(9)), Email: addr, Name: strings.TrimSpace(analytics.CleanLine(name)), Role: role,
		InvitedBy: by, CreatedAt: now, UpdatedAt: now}, fields
}

// accountRole checks a role for an account: ingest is for API keys.
func accountRole(r analytics.Role) error {
	if !r.Valid() || r == analytics.RoleIngest {
		return errors.New("must be admin, manager or viewer")
	}
	return nil
}

// invite emails a an invitation link.
func (s *Server) invite(c echo.Context, a analytics.Account) error {
	ctx := context.WithoutCancel(c.Request().Context())
	link, err := s.newSignInLink(ctx, a, inviteTTL)
	if err != nil {
		return err
	}
	if err := s.emailing.SendSignIn(ctx, emails.SignIn{To: a.Email, Name: a.Name, URL: link, Invite: true,
		By: caller(c).actor(), Role: string(a.Role), Expires: inviteTTL}); err != nil {
		return fmt.Errorf("email the invitation: %w", err)
	}
	return nil
}

// reinviteAccount handles POST /api/v1/accounts/:id/invite: a new
// invitation (the old links keep working until they expire).
func (s *Server) reinviteAccount(c echo.Context) error {
	a, err := s.accountParam(c)
	if err != nil {
		return err
	}
	if err := s.invite(c, a); err != nil {
		return err
	}
	s.audit(c, analytics.AuditEntry{Action: "account.reinvite", Target: a.Email})
	return c.JSON(http.StatusAccepted, map[string]string{"message": "invitation sent to " + a.Email})
}

// accountPatch changes an account.
type accountPatch struct {
	Name *string         `json:"name" validate:"omitempty,max=200"`
	Role *analytics.Role `json:"role"`
}

// patchAccount handles PATCH /api/v1/accounts/:id.
func (s *Server) patchAccount(c echo.Context) error {
	a, err := s.accountParam(c)
	if err != nil {
		return err
	}
	var in accountPatch
	if err := s.bindValid(c, &in); err != nil {
		return err
	}
	var changes []string
	if in.Role != nil && *in.Role != a.Role {
		if err := accountRole(*in.Role); err != nil {
			return invalid(map[string]string{"role": err.Error()})
		}
		changes = append(changes, "role "+string(a.Role)+" -> "+string(*in.Role))
		a.Role = *in.Role
	}
	if in.Name != nil && strings.TrimSpace(analytics.CleanLine(*in.Name)) != a.Name {
		a.Name = strings.TrimSpace(analytics.CleanLine(*in.Name))
		changes = append(changes, "name")
	}
	if len(changes) == 0 {
		return c.JSON(http.StatusOK, a)
	}
	a.UpdatedAt = time.Now().UTC()
	if err := s.store.SaveAccount(c.Request().Context(), a); err != nil {
		return err
	}
	s.team.put(a)
	s.audit(c, analytics.AuditEntry{Action: "account.update", Target: a.Email, Detail: strings.Join(changes, ", ")})
	return c.JSON(http.StatusOK, a)
}

// deleteAccount handles DELETE /api/v1/accounts/:id: the person can no
// longer sign in, and their sessions end.
func (s *Server) deleteAccount(c echo.Context) error {
	a, err := s.accountParam(c)
	if err != nil {
		return err
	}
	if p := caller(c); p.Account != nil && p.Account.ID == a.ID {
		return newError(http.StatusConflict, "you cannot remove your own account; ask another admin")
	}
	if err := s.store.RemoveAccount(c.Request().Context(), a.ID); err != nil {
		return err
	}
	s.team.remove(a.ID)
	s.audit(c, analytics.AuditEntry{Action: "account.remove", Target: a.Email})
	return c.NoContent(http.StatusNoContent)
}

func (s *Server) accountParam(c echo.Context) (analytics.Account, error) {
	if a, ok := s.team.account(c.Param("id")); ok {
		return a, nil
	}
	return analytics.Account{}, newError(http.StatusNotFound, "no such account")
}

// keyInput creates an API key.
type keyInput struct {
	Name    string         `json:"name" validate:"required,max=100"`
	Role    analytics.Role `json:"role" validate:"required"`
	Surveys []string       `json:"surveys" validate:"max=100,dive,max=64"`
}

// keyCreated is the answer to creating a key: the only time the key is
// shown.
type keyCreated struct {
	analytics.APIKey
	Key string `json:"key"`
}

// listKeys handles GET /api/v1/keys.
func (s *Server) listKeys(c echo.Context) error {
	return c.JSON(http.StatusOK, map[string]any{"keys": s.team.listKeys()})
}

// createKey handles POST /api/v1/keys.
func (s *Server) createKey(c echo.Context) error {
	var in keyInput
	if err := s.bindValid(c, &in); err != nil {
		return err
	}
	if !in.Role.Valid() {
		return invalid(map[string]string{"role": "must be admin, manager, viewer or ingest"})
	}
	for _, id := range in.Surveys {
		if _, ok := s.surveys.Lookup(c.Request().Context(), id); !ok {
			return invalid(map[string]string{"surveys": "no survey " + id})
		}
	}
	k, key, err := CreateAPIKey(c.Request().Context(), s.store, strings.TrimSpace(analytics.CleanLine(in.Name)), in.Role, in.Surveys, caller(c).actor())
	if err != nil {
		return err
	}
	s.team.putKey(k)
	detail := "role " + string(k.Role)
	if len(k.Surveys) > 0 {
		detail += ", surveys " + strings.Join(k.Surveys, " ")
	}
	s.audit(c, analytics.AuditEntry{Action: "key.create", Target: k.ID, Detail: detail})
	return c.JSON(http.StatusCreated, keyCreated{APIKey: k, Key: key})
}

// CreateAPIKey makes and stores a key: what POST /api/v1/keys and
// `heed keys create` do. The key itself is returned once and never
// stored.
func CreateAPIKey(ctx context.Context, store analytics.AccountStore, name string, role analytics.Role, surveys []string, by string) (analytics.APIKey, string, error) {
	key, id := newAPIKey()
	k := analytics.APIKey{ID: id, Name: strings.TrimSpace(name), Role: role, Surveys: surveys, SecretHash: hashToken(key),
		CreatedBy: by, CreatedAt: time.Now().UTC().Truncate(time.Second)}
	if len(k.Surveys) == 0 {
		k.Surveys = nil
	}
	if err := store.SaveAPIKey(ctx, k); err != nil {
		return analytics.APIKey{}, "", err
	}
	return k, key, nil
}

// deleteKey handles DELETE /api/v1/keys/:id: revokes the key.
func (s *Server) deleteKey(c echo.Context) error {
	id := c.Param("id")
	if _, ok := s.team.removeKey(id); !ok {
		return newError(http.StatusNotFound, "no such key")
	}
	if err := s.store.RevokeAPIKey(c.Request().Context(), id); err != nil {
		return err
	}
	s.audit(c, analytics.AuditEntry{Action: "key.revoke", Target: id})
	return c.NoContent(http.StatusNoContent)
}

// getAudit handles GET /api/v1/audit?before=RFC3339&action=key.&limit=N.
func (s *Server) getAudit(c echo.Context) error {
	q := analytics.AuditQuery{Action: c.QueryParam("action"), Limit: 100}
	if v := c.QueryParam("before"); v != "" {
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			return invalid(map[string]string{"before": "must be an RFC 3339 time, e.g. 2026-12-01T10:00:00Z"})
		}
		q.Before = t
	}
	if v := c.QueryParam("limit"); v != "" {
		n, err := parseLimit(v, 1000)
		if err != nil {
			return invalid(map[string]string{"limit": err.Error()})
		}
		q.Limit = n
	}
	if len(q.Action) > 64 || !auditAction.MatchString(q.Action) {
		return invalid(map[string]string{"action": "must be an action name (e.g. key.create), or a family ending in '.' (e.g. key.)"})
	}
	entries, err := s.store.Audit(c.Request().Context(), q)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"entries": entries})
}

var auditAction = regexp.MustCompile(`^[a-z_.]*$`)

// audit records what the caller did. A failure to record is logged, not
// returned: the change is made already.
func (s *Server) audit(c echo.Context, e analytics.AuditEntry) {
	p := caller(c)
	e.Actor = p.actor()
	if p != nil {
		e.Role = p.Role
	}
	e.IP = c.RealIP()
	e.At = time.Now().UTC()
	if err := s.store.AppendAudit(context.WithoutCancel(c.Request().Context()), []analytics.AuditEntry{e}); err != nil {
		s.log.Error("audit entry not written", "action", e.Action, "target", e.Target, "err", err)
	}
}

// ContactImportDetail is the audit detail of a contacts import (the
// dashboard's upload, `heed contacts import`): counts, never whom.
func ContactImportDetail(source string, sum analytics.ContactImport) string {
	return fmt.Sprintf("%s: %d new, %d updated, %d duplicates, %d invalid", source, sum.New, sum.Updated, sum.Duplicates, len(sum.Invalid))
}

// bindValid decodes a JSON body into v and validates it.
func (s *Server) bindValid(c echo.Context, v any) error {
	if err := decodeJSON(c, v, false); err != nil {
		return err
	}
	return s.validate.Struct(v)
}

// parseLimit reads a positive count of at most most.
func parseLimit(v string, most int) (int, error) {
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > most {
		return 0, fmt.Errorf("must be a whole number from 1 to %d", most)
	}
	return n, nil
}
