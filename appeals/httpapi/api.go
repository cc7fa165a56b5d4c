// Package httpapi is the appeals' JSON API under /api/v1/ for operators,
// executors and supervisors: cards (register, read, search, edit), their
// lifecycle, executors, deadline extensions, repeat appeals, comments,
// attachment references, history, call links, reading a number back to a
// caller, the weekly overdue report, the classifier, and the OpenAPI 3
// document of all of it (GET /api/v1/openapi.json).
//
// Every request carries a bearer token (see Token); roles are checked on
// every endpoint, and an executor sees and acts only on its organisation's
// cards (others are 404, so numbers do not leak). Errors are
// {"error": {"code", "message", "field"}}; a stale version is a 409 and
// overwrites nothing.
//
// Mount the handler at "/api/v1/": more specific prefixes of other APIs
// (e.g. /api/v1/queue/) still win on the server's mux.
package httpapi

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/slobozhanske/hotline/appeals"
)

// CallDesk is what the API needs from telephony for an operator who
// registers an appeal during a call. The telephony side implements it.
type CallDesk interface {
	// CurrentCall is the call the operator (user) is talking on, if any.
	CurrentCall(ctx context.Context, user string) (callID string, ok bool)
	// ReadBackNumber reads the digits to the caller on the call. It should
	// start the read back and return quickly; it is called with a timeout
	// (Config.ReadBackTimeout) while the operator waits for the answer.
	ReadBackNumber(ctx context.Context, callID string, digits string) error
}

// Config is what the API is built from.
type Config struct {
	Service *appeals.Service
	Tokens  []Token
	Desk    CallDesk // nil: no automatic call links or read backs
	Log     *slog.Logger
	// MaxBodyBytes limits request bodies (default 64 KiB).
	MaxBodyBytes int64
	// ReadBackTimeout bounds a read back (default 5s).
	ReadBackTimeout time.Duration
}

// Handler serves the API.
type Handler struct {
	cfg    Config
	tokens *tokenTable
	mux    *http.ServeMux
	log    *slog.Logger
	routes []route
	doc    []byte // the OpenAPI document, built once
}

// New builds the handler; it fails on a bad token list.
func New(cfg Config) (*Handler, error) {
	if cfg.Service == nil {
		return nil, errors.New("appeals API: a service is required")
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = 64 << 10
	}
	if cfg.ReadBackTimeout <= 0 {
		cfg.ReadBackTimeout = 5 * time.Second
	}
	tokens, err := newTokenTable(cfg.Tokens, cfg.Service.Classifier())
	if err != nil {
		return nil, err
	}
	h := &Handler{cfg: cfg, tokens: tokens, mux: http.NewServeMux(), log: cfg.Log}
	h.routes = h.table()
	for _, rt := range h.routes {
		h.mux.Handle(rt.method+" "+rt.path, h.guard(rt))
	}
	h.mux.HandleFunc("/api/v1/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "not_found", "", "no such endpoint: "+r.Method+" "+r.URL.Path)
	})
	if h.doc, err = h.openAPI(); err != nil {
		return nil, err
	}
	return h, nil
}

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.mux.ServeHTTP(w, r) }

// route is one endpoint: its pattern, who may call it, its handler and
// what the OpenAPI document says about it.
type route struct {
	method, path string
	op           appeals.Operation // roles come from appeals.Permissions[op]
	summary      string
	query        []queryParam
	request      any // a zero value of the body type, or nil
	response     any // a zero value of the success body type
	status       int // success status
	handle       func(w http.ResponseWriter, r *http.Request, a appeals.Actor)
}

type queryParam struct {
	name, typ, format, doc string
}

// roles are the user roles the route lets in.
func (rt route) roles() []appeals.Role {
	var out []appeals.Role
	for _, r := range appeals.UserRoles {
		if appeals.Allowed(r, rt.op) {
			out = append(out, r)
		}
	}
	return out
}

// guard authenticates the request and checks the role before the handler.
func (h *Handler) guard(rt route) http.Handler {
	roles := rt.roles()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a, ok := h.tokens.lookup(r)
		if !ok {
			w.Header().Set("WWW-Authenticate", `Bearer realm="hotline"`)
			writeError(w, http.StatusUnauthorized, "unauthorized", "", "a valid bearer token is required")
			return
		}
		allowed := false
		for _, role := range roles {
			allowed = allowed || role == a.Role
		}
		if !allowed {
			writeError(w, http.StatusForbidden, "forbidden", "", "the "+string(a.Role)+" role may not "+rt.method+" "+rt.path)
			return
		}
		rt.handle(w, r, a)
	})
}
