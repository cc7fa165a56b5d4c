// Package httpapi is the operator queue's HTTP API under /api/v1/queue/:
// operators (list, add, change, remove; log in, log out, pause, unpause),
// supervisors' snapshots and reports, an operator's current call with the
// caller's menu path and earlier calls, per-operator event streams
// (Server-Sent Events), and transfers of a call back to the menu or to
// another queue.
//
// Routes is its route table (routes.go), served with the other APIs' by
// internal/api, which authenticates every request (internal/apiauth), checks
// the roles and documents every route in GET /api/v1/openapi.json. Who may
// do what: supervisors and admins everything; an operator (whose user name
// is the operator id) their own state, call and events, and transfers of the
// call they are on. Operators are added, changed and removed through
// queue.Roster; the handlers only translate. Errors are internal/api's
// {"error": {"code", "message", "field"}}; malformed input is a 400 that
// names the field.
package httpapi

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/slobozhanske/hotline/internal/api"
	"github.com/slobozhanske/hotline/internal/apiauth"
	"github.com/slobozhanske/hotline/telephony/callrecord"
	"github.com/slobozhanske/hotline/telephony/queue"
	queuepg "github.com/slobozhanske/hotline/telephony/queue/pgstore"
)

// Config is what the API is built from.
type Config struct {
	Dispatcher *queue.Dispatcher
	Roster     *queue.Roster // adds, changes and removes operators
	Reports    Reports
	Calls      CallHistory // the current call's menu path and the caller's earlier calls
	Log        *slog.Logger
	// Heartbeat is how often an idle event stream sends a comment (default 15s).
	Heartbeat time.Duration
	// Now is the clock for reports (default time.Now).
	Now func() time.Time
}

// Reports are the operators' time-in-state figures (*queue/pgstore.Store).
type Reports interface {
	TimeInStates(ctx context.Context, from, to, now time.Time) ([]queuepg.TimeInState, error)
}

// CallHistory reads the call records an operator sees of the call they
// are on (*callrecord/pgstore.History).
type CallHistory interface {
	MenuPath(ctx context.Context, callID string) ([]callrecord.MenuStep, error)
	CallerHistory(ctx context.Context, callerNumber, exceptCallID string, limit int) ([]callrecord.EarlierCall, error)
}

// Handler holds the queue's routes.
type Handler struct {
	ctx context.Context
	cfg Config
	d   *queue.Dispatcher
	log *slog.Logger
}

// New builds the API. Event streams end when ctx does (the server's shutdown).
func New(ctx context.Context, cfg Config) (*Handler, error) {
	if cfg.Dispatcher == nil || cfg.Roster == nil || cfg.Reports == nil || cfg.Calls == nil {
		return nil, errors.New("queue API: a dispatcher, a roster, reports and call history are required")
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if cfg.Heartbeat <= 0 {
		cfg.Heartbeat = 15 * time.Second
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Handler{ctx: ctx, cfg: cfg, d: cfg.Dispatcher, log: cfg.Log}, nil
}

// Who may call a route; an operator's own routes also check the id (self).
var supervisors, operatorsToo = apiauth.Supervisors, apiauth.Staff

// self lets through supervisors, admins and the operator whose id is in the
// path; it answers 403 to another operator.
func self(w http.ResponseWriter, r *http.Request, a apiauth.Actor) (string, bool) {
	id := r.PathValue("id")
	if a.Is(supervisors...) || a.User == id {
		return id, true
	}
	api.Error(w, http.StatusForbidden, "", a.User+" may act only as operator "+a.User)
	return id, false
}

// writeErr maps domain and store errors to statuses.
func (h *Handler) writeErr(w http.ResponseWriter, err error) {
	switch {
	case errors.Is(err, queue.ErrOperatorExists):
		api.Error(w, http.StatusConflict, "id", err.Error())
	case errors.Is(err, queue.ErrEndpointTaken):
		api.Error(w, http.StatusConflict, "endpoint", err.Error())
	case errors.Is(err, queue.ErrUnknownOperator), errors.Is(err, queue.ErrCallNotFound), errors.Is(err, queue.ErrUnknownQueue):
		api.Error(w, http.StatusNotFound, "", err.Error())
	case errors.Is(err, queue.ErrOperatorBusy), errors.Is(err, queue.ErrNotLoggedIn), errors.Is(err, queue.ErrDuplicate):
		api.Error(w, http.StatusConflict, "", err.Error())
	default:
		api.Fail(w, h.log, "queue API", err)
	}
}
