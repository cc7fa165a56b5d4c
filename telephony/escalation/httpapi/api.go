// Package httpapi is the HTTP API of what happens after hours: the duty
// roster (escalation.Duty) and the SOS escalations to the person on duty
// (escalation.Engine), under /api/v1/duty-roster and /api/v1/escalations.
//
// Routes is its route table (routes.go), served with the other APIs' by
// internal/api, which authenticates every request (internal/apiauth), checks
// the roles and documents every route in GET /api/v1/openapi.json.
// Supervisors and admins change; operators, supervisors and admins read.
// An empty from and to of a shift make it the standing chain (at most one).
// Errors are internal/api's {"error": {"code", "message", "field"}};
// malformed input is a 400 that names the field.
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
	"github.com/slobozhanske/hotline/telephony/escalation"
)

// Escalations is what the API needs of the engine (*escalation.Engine).
type Escalations interface {
	List(ctx context.Context, f escalation.Filter) ([]escalation.Escalation, error)
	Get(ctx context.Context, id string) (escalation.Escalation, error)
	Cancel(ctx context.Context, id, by, reason string) (escalation.Escalation, error)
}

// Config is what the API is built from.
type Config struct {
	Duty        *escalation.Duty
	Escalations Escalations
	Now         func() time.Time // default time.Now
	Log         *slog.Logger
}

// Handler holds the roster's and the escalations' routes.
type Handler struct {
	cfg Config
	log *slog.Logger
}

// New builds the API.
func New(cfg Config) (*Handler, error) {
	if cfg.Duty == nil || cfg.Escalations == nil {
		return nil, errors.New("escalation API: the duty roster and the escalations are required")
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Handler{cfg: cfg, log: cfg.Log}, nil
}

// Who may call a route: the staff read, supervisors change.
var readers, editors = apiauth.Staff, apiauth.Supervisors

// writeErr maps domain and store errors to statuses.
func (h *Handler) writeErr(w http.ResponseWriter, err error) {
	switch {
	case errors.Is(err, escalation.ErrNotFound), errors.Is(err, escalation.ErrShiftNotFound):
		api.Error(w, http.StatusNotFound, "", err.Error())
	case errors.Is(err, escalation.ErrNotActive):
		api.Error(w, http.StatusConflict, "", err.Error())
	case errors.Is(err, escalation.ErrRosterNotLoaded):
		w.Header().Set("Retry-After", "5")
		api.Error(w, http.StatusServiceUnavailable, "", err.Error())
	default:
		api.Fail(w, h.log, "escalation API", err)
	}
}
