// Package httpapi is the HTTP API of the parts of the working-hours
// schedule supervisors change at run time (schedule.Manager): exceptions
// by date and the manual day/night switch, with the schedule's state at any
// instant, under /api/v1/schedule/.
//
// Routes is its route table (routes.go), served with the other APIs' by
// internal/api, which authenticates every request (internal/apiauth), checks
// the roles and documents every route in GET /api/v1/openapi.json.
// Supervisors and admins change; operators, supervisors and admins read.
// Errors are internal/api's {"error": {"code", "message", "field"}};
// malformed input is a 400 that names the field.
package httpapi

import (
	"errors"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/slobozhanske/hotline/internal/api"
	"github.com/slobozhanske/hotline/internal/apiauth"
	"github.com/slobozhanske/hotline/telephony/schedule"
)

// Config is what the API is built from.
type Config struct {
	Schedule *schedule.Manager
	Now      func() time.Time // default time.Now
	Log      *slog.Logger
}

// Handler holds the schedule's routes.
type Handler struct {
	cfg Config
	log *slog.Logger
}

// New builds the API.
func New(cfg Config) (*Handler, error) {
	if cfg.Schedule == nil {
		return nil, errors.New("schedule API: the schedule's manager is required")
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
	case errors.Is(err, schedule.ErrNotFound):
		api.Error(w, http.StatusNotFound, "", err.Error())
	case errors.Is(err, schedule.ErrNotLoaded):
		w.Header().Set("Retry-After", "5")
		api.Error(w, http.StatusServiceUnavailable, "", err.Error())
	default:
		api.Fail(w, h.log, "schedule API", err)
	}
}
