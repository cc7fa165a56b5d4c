package httpapi

import (
	"errors"
	"net/http"

	"github.com/slobozhanske/hotline/appeals"
	"github.com/slobozhanske/hotline/internal/api"
)

// writeErr translates the domain's errors into HTTP. The 409s carry codes of
// their own, since a client reloads on a stale version but not on a
// forbidden transition.
func (h *Handler) writeErr(w http.ResponseWriter, r *http.Request, err error) {
	if ve, ok := appeals.IsValidation(err); ok {
		api.Error(w, http.StatusBadRequest, ve.Field, ve.Message)
		return
	}
	switch {
	case errors.Is(err, appeals.ErrNotFound):
		api.Error(w, http.StatusNotFound, "", "no such appeal")
	case errors.Is(err, appeals.ErrVersionConflict):
		api.ErrorCode(w, http.StatusConflict, "version_conflict", "version", "the appeal was changed by someone else; reload it and try again")
	case errors.Is(err, appeals.ErrInvalidTransition):
		api.ErrorCode(w, http.StatusConflict, "invalid_transition", "to", err.Error())
	case errors.Is(err, appeals.ErrInvalidState):
		api.ErrorCode(w, http.StatusConflict, "invalid_state", "", err.Error())
	case errors.Is(err, appeals.ErrForbidden):
		api.Error(w, http.StatusForbidden, "", err.Error())
	case errors.Is(err, errUnknownCall):
		api.ErrorCode(w, http.StatusUnprocessableEntity, "unknown_call", "call_id", err.Error())
	default:
		// The rest is every API's: the database away is a 503, a client
		// gone is nothing, the unexpected a logged 500.
		api.Fail(w, h.log.With("method", r.Method, "path", r.URL.Path), "appeals API", err)
	}
}
