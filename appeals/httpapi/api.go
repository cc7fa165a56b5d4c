// Package httpapi is the appeals' JSON API under /api/v1/ for operators,
// executors and supervisors: cards (register, read, search, edit), their
// lifecycle, executors, deadline extensions, repeat appeals, comments,
// attachment references, history, call links, reading a number back to a
// caller, the weekly overdue report and the classifier.
//
// Routes is its route table (routes.go), served with the other APIs' by
// internal/api, which authenticates every request (internal/apiauth's
// bearer tokens), checks the roles appeals.Permissions gives each operation
// and documents every route in GET /api/v1/openapi.json. An executor sees
// and acts only on its organisation's cards (others are 404, so numbers do
// not leak). Errors are internal/api's {"error": {"code", "message",
// "field"}}; a stale version is a 409 and overwrites nothing.
package httpapi

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/slobozhanske/hotline/appeals"
	"github.com/slobozhanske/hotline/internal/api"
	"github.com/slobozhanske/hotline/internal/apiauth"
)

// CallDesk is what the API needs from telephony for an operator who
// registers an appeal during a call. The telephony side implements it.
type CallDesk interface {
	// CurrentCall is the call the operator (user) is talking on, if any.
	CurrentCall(ctx context.Context, user string) (callID string, ok bool)
	// ReadBackNumber reads the digits to the caller on the call. It should
	// start the read back and return quickly; it is called with a timeout
	// (Config.ReadBackTimeout) while the operator waits for the answer.
	// An error wrapping ErrCallNotConnected says the call is not with an
	// operator (ended, or still in the menu or the queue): a 409, since the
	// request was sound but the call is not where a number can be read.
	ReadBackNumber(ctx context.Context, callID string, digits string) error
}

// ErrCallNotConnected is CallDesk's answer for a call not talking to an
// operator.
var ErrCallNotConnected = errors.New("the call is not with an operator")

// CallRecords says which calls the server has a record of, so a card is
// never linked to a call that does not exist (a typo, a made-up id). The
// call records implement it (callrecord/pgstore.History).
type CallRecords interface {
	// KnownCall reports whether a call record has the id (or the channel id).
	KnownCall(ctx context.Context, callID string) (bool, error)
}

// Config is what the API is built from.
type Config struct {
	Service *appeals.Service
	Desk    CallDesk    // nil: no automatic call links or read backs
	Calls   CallRecords // nil: call ids are linked unchecked
	Log     *slog.Logger
	// ReadBackTimeout bounds a read back (default 5s).
	ReadBackTimeout time.Duration
}

// Handler holds the appeals' routes.
type Handler struct {
	cfg Config
	log *slog.Logger
}

// New builds the API.
func New(cfg Config) (*Handler, error) {
	if cfg.Service == nil {
		return nil, errors.New("appeals API: a service is required")
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if cfg.ReadBackTimeout <= 0 {
		cfg.ReadBackTimeout = 5 * time.Second
	}
	return &Handler{cfg: cfg, log: cfg.Log}, nil
}

// KnownExecutor says whether an executor code is in the classifier, for
// apiauth.NewTokens: an executor's token is bound to a real organisation.
func (h *Handler) KnownExecutor(code string) bool {
	return h.cfg.Service.Classifier().HasExecutor(code)
}

// rolesFor are the user roles appeals.Permissions lets do op.
func rolesFor(op appeals.Operation) []apiauth.Role {
	var out []apiauth.Role
	for _, r := range appeals.UserRoles {
		if appeals.Allowed(r, op) {
			out = append(out, apiauth.Role(r))
		}
	}
	return out
}

// cardHandler is a handler that acts as the appeals' Actor.
type cardHandler func(w http.ResponseWriter, r *http.Request, a appeals.Actor)

// as adapts it to the route table: the token's actor becomes the domain's.
func as(f cardHandler) api.Handler {
	return func(w http.ResponseWriter, r *http.Request, a apiauth.Actor) {
		f(w, r, appeals.Actor{User: a.User, Role: appeals.Role(a.Role), Executor: a.Executor})
	}
}
