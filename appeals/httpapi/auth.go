package httpapi

import (
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"net/http"
	"strings"

	"github.com/slobozhanske/hotline/appeals"
)

// Token grants a user a role; an executor's token is bound to its
// organisation (the executor code). These come from the config's
// api.tokens / api.tokens_file as plain values.
type Token struct {
	User     string
	Role     string // operator, executor, supervisor, admin
	Executor string // executor code, for the executor role
	Token    string
}

// tokenTable answers who a bearer token belongs to. It keeps only digests
// and compares them all in constant time, so neither the answer's timing
// nor a memory dump tells a token.
type tokenTable struct {
	digests [][32]byte
	actors  []appeals.Actor
}

func newTokenTable(tokens []Token, cl *appeals.Classifier) (*tokenTable, error) {
	t := &tokenTable{}
	seen := map[[32]byte]bool{}
	for i, tok := range tokens {
		role := appeals.Role(tok.Role)
		switch {
		case tok.User == "":
			return nil, fmt.Errorf("api token %d: user is empty", i)
		case !role.Valid():
			return nil, fmt.Errorf("api token of %s: unknown role %q (operator, executor, supervisor, admin)", tok.User, tok.Role)
		case tok.Token == "":
			return nil, fmt.Errorf("api token of %s: token is empty", tok.User)
		case role == appeals.RoleExecutor && !cl.HasExecutor(tok.Executor):
			return nil, fmt.Errorf("api token of %s: executor %q is not in the classifier", tok.User, tok.Executor)
		case role != appeals.RoleExecutor && tok.Executor != "":
			return nil, fmt.Errorf("api token of %s: only executors are bound to an organisation", tok.User)
		}
		d := sha256.Sum256([]byte(tok.Token))
		if seen[d] {
			return nil, fmt.Errorf("api token of %s: the same token is given twice", tok.User)
		}
		seen[d] = true
		t.digests = append(t.digests, d)
		t.actors = append(t.actors, appeals.Actor{User: tok.User, Role: role, Executor: tok.Executor})
	}
	return t, nil
}

// lookup returns the actor of the request's bearer token.
func (t *tokenTable) lookup(r *http.Request) (appeals.Actor, bool) {
	scheme, tok, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || tok == "" {
		return appeals.Actor{}, false
	}
	d := sha256.Sum256([]byte(strings.TrimSpace(tok)))
	found := -1
	for i := range t.digests { // no early exit: every token is compared
		if subtle.ConstantTimeCompare(d[:], t.digests[i][:]) == 1 {
			found = i
		}
	}
	if found < 0 {
		return appeals.Actor{}, false
	}
	return t.actors[found], true
}

// Authorize says who makes a request and whether they hold one of the
// roles, in the shape telephony/queue/queueapi's Authorizer wants, so the
// server can share one token table between APIs.
func (h *Handler) Authorize(r *http.Request, roles ...string) (user string, ok bool) {
	a, found := h.tokens.lookup(r)
	if !found {
		return "", false
	}
	for _, role := range roles {
		if string(a.Role) == role {
			return a.User, true
		}
	}
	return a.User, false
}
