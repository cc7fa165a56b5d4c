package httpapi

import (
	"context"
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
	case errors.Is(err, context.Canceled):
		// The client went away; nobody reads the answer.
	default:
		h.log.Error("appeals API", "method", r.Method, "path", r.URL.Path, "err", err)
		api.Error(w, http.StatusInternalServerError, "", "internal error")
	}
}
