// Package apiauth owns who may call the server's HTTP APIs: the user roles
// (declared here once for every API), the bearer tokens that grant them
// (config api.tokens / HOTLINE_API_TOKENS_FILE) and the lookup of a
// request's token. Every API (appeals, queue, duty roster and escalations,
// schedule) authenticates through one *Tokens, wired in cmd/hotline; the
// route tables of internal/api check the roles. A tokens file (ReadFile)
// may hold digests instead of the tokens, is reloaded on SIGHUP
// (ReloadOnHangup) and gets new tokens from `hotline token add`.
package apiauth

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
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
	// Token is the bearer token itself, or DigestPrefix and the hex of its
	// SHA-256 digest, so a tokens file need not hold the secret.
	Token string
}

// DigestPrefix marks a token given by its SHA-256 digest:
// "sha256:" and 64 hex digits.
const DigestPrefix = "sha256:"

// Digest is the form of secret a tokens file may hold instead of it.
func Digest(secret string) string {
	d := sha256.Sum256([]byte(secret))
	return DigestPrefix + hex.EncodeToString(d[:])
}

// digestOf is the digest a token stands for: its own, or the one it gives.
func digestOf(token string) ([32]byte, error) {
	var d [32]byte
	hexDigest, isDigest := strings.CutPrefix(token, DigestPrefix)
	if !isDigest {
		return sha256.Sum256([]byte(token)), nil
	}
	b, err := hex.DecodeString(hexDigest)
	if err != nil || len(b) != len(d) {
		return d, fmt.Errorf("a %s token must be 64 hex digits", DigestPrefix)
	}
	copy(d[:], b)
	return d, nil
}

// Authenticator says who a request's credentials belong to; false for a
// request without valid credentials.
type Authenticator interface {
	Authenticate(r *http.Request) (Actor, bool)
}

// Tokens answers who a bearer token belongs to. It keeps only digests and
// compares them all in constant time, so neither the answer's timing nor
// a memory dump tells a token. Safe for concurrent use; Replace swaps the
// whole table at once, so a request is checked against either the old
// tokens or the new, never a mix, and none in flight is disturbed.
type Tokens struct {
	knownExecutor func(code string) bool
	table         atomic.Pointer[table]
}

type table struct {
	digests [][32]byte
	actors  []Actor
}

// NewTokens checks the tokens and builds the table. knownExecutor says
// whether an executor code exists (the appeals' classifier); nil accepts
// none, so an executor token is then an error.
func NewTokens(tokens []Token, knownExecutor func(code string) bool) (*Tokens, error) {
	t := &Tokens{knownExecutor: knownExecutor}
	if err := t.Replace(tokens); err != nil {
		return nil, err
	}
	return t, nil
}

// Replace checks the tokens as NewTokens does and, when every one is
// good, makes them the only ones in force; on an error the tokens in force
// stay.
func (t *Tokens) Replace(tokens []Token) error {
	tb := &table{}
	seen := map[[32]byte]bool{}
	for i, tok := range tokens {
		role := Role(tok.Role)
		switch {
		case tok.User == "":
			return fmt.Errorf("api token %d: user is empty", i)
		case !role.Valid():
			return fmt.Errorf("api token of %s: unknown role %q (operator, executor, supervisor, admin)", tok.User, tok.Role)
		case tok.Token == "":
			return fmt.Errorf("api token of %s: token is empty", tok.User)
		case role == RoleExecutor && (t.knownExecutor == nil || !t.knownExecutor(tok.Executor)):
			return fmt.Errorf("api token of %s: executor %q is not in the classifier", tok.User, tok.Executor)
		case role != RoleExecutor && tok.Executor != "":
			return fmt.Errorf("api token of %s: only executors are bound to an organisation", tok.User)
		}
		d, err := digestOf(tok.Token)
		if err != nil {
			return fmt.Errorf("api token of %s: %w", tok.User, err)
		}
		if seen[d] {
			return fmt.Errorf("api token of %s: the same token is given twice", tok.User)
		}
		seen[d] = true
		tb.digests = append(tb.digests, d)
		tb.actors = append(tb.actors, Actor{User: tok.User, Role: role, Executor: tok.Executor})
	}
	t.table.Store(tb)
	return nil
}

// Len is how many tokens are in force.
func (t *Tokens) Len() int { return len(t.table.Load().digests) }

// Authenticate returns the actor of the request's bearer token.
func (t *Tokens) Authenticate(r *http.Request) (Actor, bool) {
	scheme, tok, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || tok == "" {
		return Actor{}, false
	}
	d := sha256.Sum256([]byte(strings.TrimSpace(tok)))
	tb := t.table.Load()
	found := -1
	for i := range tb.digests { // no early exit: every token is compared
		if subtle.ConstantTimeCompare(d[:], tb.digests[i][:]) == 1 {
			found = i
		}
	}
	if found < 0 {
		return Actor{}, false
	}
	return tb.actors[found], true
}
