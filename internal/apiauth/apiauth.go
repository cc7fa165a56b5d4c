// Package apiauth owns who may call the server's HTTP APIs: the user roles
// (declared here once for every API), the bearer tokens that grant them
// (config api.tokens / HOTLINE_API_TOKENS_FILE) and the lookup of a
// request's token. Every API (appeals, queue, duty roster and escalations,
// schedule) authenticates through one *Tokens, wired in cmd/hotline; the
// route tables of internal/apiroute check the roles.
package apiauth

import (
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"net/http"
	"slices"
	"strings"
)

// Role is what an API user may do.
type Role string

// The roles of the API users.
const (
	RoleOperator   Role = "operator"   // contact-centre operator; the user name is the operator id
	RoleExecutor   Role = "executor"   // an executor organisation's person, bound to its code
	RoleSupervisor Role = "supervisor" // supervises queues, deadlines, the roster and the schedule
	RoleAdmin      Role = "admin"      // everything
)

// Sets of roles the APIs let in.
var (
	// Roles are every role, in the order documents list them.
	Roles = []Role{RoleOperator, RoleExecutor, RoleSupervisor, RoleAdmin}
	// Staff are the contact centre's own people: not executors.
	Staff = []Role{RoleOperator, RoleSupervisor, RoleAdmin}
	// Supervisors are those who change queues, the roster and the schedule.
	Supervisors = []Role{RoleSupervisor, RoleAdmin}
)

// Valid reports whether r is one of Roles.
func (r Role) Valid() bool { return slices.Contains(Roles, r) }

// Actor is who makes a request: the token's user, their role and, for an
// executor, the organisation's code.
type Actor struct {
	User     string
	Role     Role
	Executor string
}

// Is reports whether the actor holds one of the roles.
func (a Actor) Is(roles ...Role) bool { return slices.Contains(roles, a.Role) }

// Token grants a user a role; an executor's token is bound to its
// organisation (the executor code). These come from the config as plain
// values.
type Token struct {
	User     string
	Role     string // operator, executor, supervisor, admin
	Executor string // executor code, for the executor role
	Token    string
}

// Authenticator says who a request's credentials belong to; false for a
// request without valid credentials.
type Authenticator interface {
	Authenticate(r *http.Request) (Actor, bool)
}

// Tokens answers who a bearer token belongs to. It keeps only digests and
// compares them all in constant time, so neither the answer's timing nor
// a memory dump tells a token. Safe for concurrent use (read-only).
type Tokens struct {
	digests [][32]byte
	actors  []Actor
}

// NewTokens checks the tokens and builds the table. knownExecutor says
// whether an executor code exists (the appeals' classifier); nil accepts
// none, so an executor token is then an error.
func NewTokens(tokens []Token, knownExecutor func(code string) bool) (*Tokens, error) {
	t := &Tokens{}
	seen := map[[32]byte]bool{}
	for i, tok := range tokens {
		role := Role(tok.Role)
		switch {
		case tok.User == "":
			return nil, fmt.Errorf("api token %d: user is empty", i)
		case !role.Valid():
			return nil, fmt.Errorf("api token of %s: unknown role %q (operator, executor, supervisor, admin)", tok.User, tok.Role)
		case tok.Token == "":
			return nil, fmt.Errorf("api token of %s: token is empty", tok.User)
		case role == RoleExecutor && (knownExecutor == nil || !knownExecutor(tok.Executor)):
			return nil, fmt.Errorf("api token of %s: executor %q is not in the classifier", tok.User, tok.Executor)
		case role != RoleExecutor && tok.Executor != "":
			return nil, fmt.Errorf("api token of %s: only executors are bound to an organisation", tok.User)
		}
		d := sha256.Sum256([]byte(tok.Token))
		if seen[d] {
			return nil, fmt.Errorf("api token of %s: the same token is given twice", tok.User)
		}
		seen[d] = true
		t.digests = append(t.digests, d)
		t.actors = append(t.actors, Actor{User: tok.User, Role: role, Executor: tok.Executor})
	}
	return t, nil
}

// Authenticate returns the actor of the request's bearer token.
func (t *Tokens) Authenticate(r *http.Request) (Actor, bool) {
	scheme, tok, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || tok == "" {
		return Actor{}, false
	}
	d := sha256.Sum256([]byte(strings.TrimSpace(tok)))
	found := -1
	for i := range t.digests { // no early exit: every token is compared
		if subtle.ConstantTimeCompare(d[:], t.digests[i][:]) == 1 {
			found = i
		}
	}
	if found < 0 {
		return Actor{}, false
	}
	return t.actors[found], true
}
