// Package httpapi is the operator queue's HTTP API, mounted at
// /api/v1/queue/: operators (list, add, change, remove; log in, log out,
// pause, unpause), supervisors' snapshots and reports, an operator's
// current call with the caller's earlier calls, per-operator event streams
// (Server-Sent Events), and transfers of a call back to the menu or to
// another queue.
//
// Who may do what: supervisors and admins everything; an operator (role
// operator, whose user name is the operator id) their own state, their own
// call and events, and transfers of the call they are on.
//
//	GET    /api/v1/queue/snapshot                      queues, callers waiting, operators by state, stats
//	GET    /api/v1/queue/queues/{name}                 one queue
//	GET    /api/v1/queue/operators                     every operator with state
//	POST   /api/v1/queue/operators                     add an operator
//	GET    /api/v1/queue/operators/{id}                one operator with state
//	PUT    /api/v1/queue/operators/{id}                add or change an operator
//	DELETE /api/v1/queue/operators/{id}                remove an operator (not while ringing or on a call)
//	POST   /api/v1/queue/operators/{id}/login          also logout, pause ({"reason": "lunch"}), unpause
//	GET    /api/v1/queue/operators/{id}/call           the call ringing or talked to, its menu path, the caller's earlier calls
//	GET    /api/v1/queue/operators/{id}/events         Server-Sent Events: state, offer, offer_ended, connected, released
//	GET    /api/v1/queue/events                        every operator's events (supervisors)
//	POST   /api/v1/queue/calls/{call_id}/transfer      {"to": "menu"} or {"to": "queue", "queue": "appeals"}
//	GET    /api/v1/queue/reports/time-in-state?from=&to=   time per state and occupancy (RFC 3339 times)
//
// Errors are {"error": {"code": "...", "message": "...", "field": "..."}}
// (internal/apierror, as the appeals API); malformed input is a 400 that names the field.
package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/slobozhanske/hotline/internal/apiauth"
	"github.com/slobozhanske/hotline/internal/apierror"
	"github.com/slobozhanske/hotline/telephony/callrecord"
	"github.com/slobozhanske/hotline/telephony/queue"
	queuepg "github.com/slobozhanske/hotline/telephony/queue/pgstore"
)

// Authorizer says who makes a request and whether they have one of the
// roles (the appeals API's tokens answer it).
type Authorizer = apiauth.Authorizer

// AuthorizerFunc adapts a function to Authorizer.
type AuthorizerFunc = apiauth.AuthorizerFunc

// Roles the API knows.
const (
	RoleOperator   = apiauth.RoleOperator
	RoleSupervisor = apiauth.RoleSupervisor
	RoleAdmin      = apiauth.RoleAdmin
)

// Config is what the API is built from.
type Config struct {
	Dispatcher *queue.Dispatcher
	Store      *queuepg.Store
	Calls      CallHistory // the current call's menu path and the caller's earlier calls
	Auth       Authorizer
	Log        *slog.Logger
	// Heartbeat is how often an idle event stream sends a comment (default 15s).
	Heartbeat time.Duration
	// Now is the clock for reports (default time.Now).
	Now func() time.Time
}

// CallHistory reads the call records an operator sees of the call they
// are on (*callrecord/pgstore.History).
type CallHistory interface {
	MenuPath(ctx context.Context, callID string) ([]callrecord.MenuStep, error)
	CallerHistory(ctx context.Context, callerNumber, exceptCallID string, limit int) ([]callrecord.EarlierCall, error)
}

// Handler serves the API.
type Handler struct {
	ctx context.Context
	cfg Config
	d   *queue.Dispatcher
	mux *http.ServeMux
	log *slog.Logger
	// edits serialises changes of operator definitions, so the check, the
	// database write and the dispatcher's change happen as one.
	edits sync.Mutex
}

// New builds the handler. Event streams end when ctx does (the server's shutdown).
func New(ctx context.Context, cfg Config) *Handler {
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if cfg.Heartbeat <= 0 {
		cfg.Heartbeat = 15 * time.Second
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	h := &Handler{ctx: ctx, cfg: cfg, d: cfg.Dispatcher, mux: http.NewServeMux(), log: cfg.Log}
	const p = "/api/v1/queue/"
	h.mux.HandleFunc("GET "+p+"snapshot", h.snapshot)
	h.mux.HandleFunc("GET "+p+"queues/{name}", h.queueSnapshot)
	h.mux.HandleFunc("GET "+p+"operators", h.listOperators)
	h.mux.HandleFunc("POST "+p+"operators", h.createOperator)
	h.mux.HandleFunc("GET "+p+"operators/{id}", h.getOperator)
	h.mux.HandleFunc("PUT "+p+"operators/{id}", h.putOperator)
	h.mux.HandleFunc("DELETE "+p+"operators/{id}", h.deleteOperator)
	h.mux.HandleFunc("POST "+p+"operators/{id}/{action}", h.operatorAction)
	h.mux.HandleFunc("GET "+p+"operators/{id}/call", h.operatorCall)
	h.mux.HandleFunc("GET "+p+"operators/{id}/events", h.operatorEvents)
	h.mux.HandleFunc("GET "+p+"events", h.allEvents)
	h.mux.HandleFunc("POST "+p+"calls/{call_id}/transfer", h.transfer)
	h.mux.HandleFunc("GET "+p+"reports/time-in-state", h.timeInState)
	h.mux.HandleFunc(p, func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "", "no such resource: "+r.Method+" "+r.URL.Path)
	})
	return h
}

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.mux.ServeHTTP(w, r) }

// --- access ---------------------------------------------------------------

// supervisor lets supervisors and admins through.
func (h *Handler) supervisor(w http.ResponseWriter, r *http.Request) (string, bool) {
	user, ok := h.cfg.Auth.Authorize(r, RoleSupervisor, RoleAdmin)
	if !ok {
		deny(w, user)
	}
	return user, ok
}

// selfOrSupervisor lets through supervisors, admins and the operator whose id is given.
func (h *Handler) selfOrSupervisor(w http.ResponseWriter, r *http.Request, operatorID string) (user string, privileged, ok bool) {
	if user, ok := h.cfg.Auth.Authorize(r, RoleSupervisor, RoleAdmin); ok {
		return user, true, true
	}
	user, ok = h.cfg.Auth.Authorize(r, RoleOperator)
	if ok && user == operatorID {
		return user, false, true
	}
	deny(w, user)
	return user, false, false
}

func deny(w http.ResponseWriter, user string) {
	if user == "" {
		writeError(w, http.StatusUnauthorized, "", "authentication required")
		return
	}
	writeError(w, http.StatusForbidden, "", "not allowed for "+user)
}

// --- JSON -----------------------------------------------------------------

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

// writeError answers with the servers' common error body (internal/apierror).
func writeError(w http.ResponseWriter, code int, field, msg string) {
	apierror.Write(w, code, field, msg)
}

// writeErr maps domain and store errors to statuses.
func (h *Handler) writeErr(w http.ResponseWriter, err error) {
	var fe *queue.FieldError
	switch {
	case errors.As(err, &fe):
		writeError(w, http.StatusBadRequest, fe.Field, fe.Error())
	case errors.Is(err, queue.ErrUnknownOperator), errors.Is(err, queue.ErrCallNotFound), errors.Is(err, queue.ErrUnknownQueue):
		writeError(w, http.StatusNotFound, "", err.Error())
	case errors.Is(err, queue.ErrOperatorBusy), errors.Is(err, queue.ErrNotLoggedIn), errors.Is(err, queue.ErrDuplicate):
		writeError(w, http.StatusConflict, "", err.Error())
	case errors.Is(err, queuepg.ErrEndpointTaken):
		writeError(w, http.StatusConflict, "endpoint", err.Error())
	default:
		h.log.Error("queue API", "err", err)
		writeError(w, http.StatusInternalServerError, "", "internal error")
	}
}

// decode reads a JSON body strictly (apierror.Decode).
func decode(w http.ResponseWriter, r *http.Request, v any) bool { return apierror.Decode(w, r, v) }
