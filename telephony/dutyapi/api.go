// Package dutyapi is the HTTP API of what happens after hours: the duty
// roster, the SOS escalations to the person on duty, and the parts of the
// working-hours schedule supervisors change at run time (exceptions and
// the day/night switch), with the schedule's state at any instant.
//
// Supervisors and admins change; operators, supervisors and admins read.
//
//	GET    /api/v1/duty-roster                       every shift, and the one on duty now
//	PUT    /api/v1/duty-roster                       replace the roster {"shifts": [...]}
//	GET    /api/v1/duty-roster/on-duty?at=           the chain on duty at an instant (RFC 3339; default now)
//	POST   /api/v1/duty-roster/shifts                add a shift {"from": "", "to": "", "people": [{"name", "phone"}]}
//	GET    /api/v1/duty-roster/shifts/{id}           one shift
//	PUT    /api/v1/duty-roster/shifts/{id}           change a shift
//	DELETE /api/v1/duty-roster/shifts/{id}           remove a shift
//	GET    /api/v1/escalations?state=&limit=         escalations, newest first, with their attempts
//	GET    /api/v1/escalations/{id}                  one escalation with its attempts
//	POST   /api/v1/escalations/{id}/cancel           stop an active escalation {"reason": "..."}
//	GET    /api/v1/schedule/exceptions               the exceptions in force and where they come from
//	GET    /api/v1/schedule/exceptions/{date}        one date's exception
//	PUT    /api/v1/schedule/exceptions/{date}        set a date's exception {"name", "closed", "hours", "breaks"}
//	DELETE /api/v1/schedule/exceptions/{date}        remove it (the configuration's too)
//	GET    /api/v1/schedule/override                 the day/night switch in force, or null
//	PUT    /api/v1/schedule/override                 flip it {"state": "open"|"closed", "until": RFC 3339, "reason"}
//	DELETE /api/v1/schedule/override                 back to the rules
//	GET    /api/v1/schedule/override/history         the latest settings of the switch
//	GET    /api/v1/schedule/state?at=                state, deciding rule, next change and next opening at an instant
//
// An empty from and to of a shift make it the standing chain (at most one).
// Errors are {"error": {"code": "...", "message": "...", "field": "..."}}
// (internal/apierror, as the appeals API); malformed input is a 400
// that names the field.
package dutyapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/slobozhanske/hotline/internal/apiauth"
	"github.com/slobozhanske/hotline/internal/apierror"
	"github.com/slobozhanske/hotline/telephony/escalation"
	"github.com/slobozhanske/hotline/telephony/schedule"
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

// Escalations is what the API needs of the engine (*escalation.Engine).
type Escalations interface {
	List(ctx context.Context, f escalation.Filter) ([]escalation.Escalation, error)
	Get(ctx context.Context, id string) (escalation.Escalation, error)
	Cancel(ctx context.Context, id, by, reason string) (escalation.Escalation, error)
}

// Config is what the handler is built from. A nil part leaves its routes
// answering 404.
type Config struct {
	Duty        *escalation.Duty
	Escalations Escalations
	Schedule    *schedule.Manager
	Auth        Authorizer
	Now         func() time.Time // default time.Now
	Log         *slog.Logger
}

// Handler serves the API.
type Handler struct {
	cfg Config
	mux *http.ServeMux
	log *slog.Logger
}

// New builds the handler.
func New(cfg Config) *Handler {
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	h := &Handler{cfg: cfg, mux: http.NewServeMux(), log: cfg.Log}
	if cfg.Duty != nil {
		const p = "/api/v1/duty-roster"
		h.mux.HandleFunc("GET "+p, h.getRoster)
		h.mux.HandleFunc("PUT "+p, h.putRoster)
		h.mux.HandleFunc("GET "+p+"/on-duty", h.onDuty)
		h.mux.HandleFunc("POST "+p+"/shifts", h.createShift)
		h.mux.HandleFunc("GET "+p+"/shifts/{id}", h.getShift)
		h.mux.HandleFunc("PUT "+p+"/shifts/{id}", h.putShift)
		h.mux.HandleFunc("DELETE "+p+"/shifts/{id}", h.deleteShift)
	}
	if cfg.Escalations != nil {
		const p = "/api/v1/escalations"
		h.mux.HandleFunc("GET "+p, h.listEscalations)
		h.mux.HandleFunc("GET "+p+"/{id}", h.getEscalation)
		h.mux.HandleFunc("POST "+p+"/{id}/cancel", h.cancelEscalation)
	}
	if cfg.Schedule != nil {
		const p = "/api/v1/schedule"
		h.mux.HandleFunc("GET "+p+"/exceptions", h.listExceptions)
		h.mux.HandleFunc("GET "+p+"/exceptions/{date}", h.getException)
		h.mux.HandleFunc("PUT "+p+"/exceptions/{date}", h.putException)
		h.mux.HandleFunc("DELETE "+p+"/exceptions/{date}", h.deleteException)
		h.mux.HandleFunc("GET "+p+"/override", h.getOverride)
		h.mux.HandleFunc("PUT "+p+"/override", h.putOverride)
		h.mux.HandleFunc("DELETE "+p+"/override", h.deleteOverride)
		h.mux.HandleFunc("GET "+p+"/override/history", h.overrideHistory)
		h.mux.HandleFunc("GET "+p+"/state", h.scheduleState)
	}
	h.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "", "no such resource: "+r.Method+" "+r.URL.Path)
	})
	return h
}

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.mux.ServeHTTP(w, r) }

// Patterns are the paths to mount the handler on.
var Patterns = []string{"/api/v1/duty-roster", "/api/v1/duty-roster/", "/api/v1/escalations", "/api/v1/escalations/", "/api/v1/schedule/"}

// --- access ---------------------------------------------------------------

// reader lets operators, supervisors and admins through.
func (h *Handler) reader(w http.ResponseWriter, r *http.Request) (string, bool) {
	return h.allow(w, r, RoleOperator, RoleSupervisor, RoleAdmin)
}

// editor lets supervisors and admins through.
func (h *Handler) editor(w http.ResponseWriter, r *http.Request) (string, bool) {
	return h.allow(w, r, RoleSupervisor, RoleAdmin)
}

func (h *Handler) allow(w http.ResponseWriter, r *http.Request, roles ...string) (string, bool) {
	user, ok := h.cfg.Auth.Authorize(r, roles...)
	switch {
	case ok:
		return user, true
	case user == "":
		writeError(w, http.StatusUnauthorized, "", "authentication required")
	default:
		writeError(w, http.StatusForbidden, "", "not allowed for "+user)
	}
	return user, false
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
	var fe *escalation.FieldError
	var sfe *schedule.FieldError
	switch {
	case errors.As(err, &fe):
		writeError(w, http.StatusBadRequest, fe.Field, fe.Error())
	case errors.As(err, &sfe):
		writeError(w, http.StatusBadRequest, sfe.Field, sfe.Error())
	case errors.Is(err, escalation.ErrNotFound), errors.Is(err, escalation.ErrShiftNotFound), errors.Is(err, schedule.ErrNotFound):
		writeError(w, http.StatusNotFound, "", err.Error())
	case errors.Is(err, escalation.ErrNotActive):
		writeError(w, http.StatusConflict, "", err.Error())
	case errors.Is(err, escalation.ErrRosterNotLoaded), errors.Is(err, schedule.ErrNotLoaded):
		w.Header().Set("Retry-After", "5")
		writeError(w, http.StatusServiceUnavailable, "", err.Error())
	default:
		h.log.Error("duty API", "err", err)
		writeError(w, http.StatusInternalServerError, "", "internal error")
	}
}

// decode reads a JSON body strictly (apierror.Decode).
func decode(w http.ResponseWriter, r *http.Request, v any) bool { return apierror.Decode(w, r, v) }

// instant reads an RFC 3339 query parameter; now when absent.
func (h *Handler) instant(w http.ResponseWriter, r *http.Request, name string) (time.Time, bool) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return h.cfg.Now(), true
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		writeError(w, http.StatusBadRequest, name, fmt.Sprintf("%s: %q: want an RFC 3339 instant such as 2026-12-31T23:00:00+02:00", name, v))
		return time.Time{}, false
	}
	return t, true
}

// timePtr is nil for a zero time, so JSON shows null.
func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}
