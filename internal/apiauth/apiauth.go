// Package apiauth is the one shape of authorisation the HTTP APIs share:
// the appeals API holds the bearer tokens and answers for the queue and
// duty APIs, which know only this interface and the role names.
package apiauth

import "net/http"

// Authorizer says who makes a request and whether they have one of the
// roles. ok is false with an empty user for an unauthenticated request (401)
// and with the user for a forbidden one (403).
type Authorizer interface {
	Authorize(r *http.Request, roles ...string) (user string, ok bool)
}

// AuthorizerFunc adapts a function to Authorizer.
type AuthorizerFunc func(r *http.Request, roles ...string) (string, bool)

// Authorize implements Authorizer.
func (f AuthorizerFunc) Authorize(r *http.Request, roles ...string) (string, bool) {
	return f(r, roles...)
}

// Roles of the API users (config api.tokens).
const (
	RoleOperator   = "operator"
	RoleExecutor   = "executor"
	RoleSupervisor = "supervisor"
	RoleAdmin      = "admin"
)
