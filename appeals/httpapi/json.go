package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/slobozhanske/hotline/appeals"
)

// ErrorBody is every error response: {"error": {"code": …, "message": …, "field": …}}.
type ErrorBody struct {
	Error ErrorDetail `json:"error" oa:"required"`
}

// ErrorDetail says what went wrong and, for bad input, with which field.
type ErrorDetail struct {
	Code    string `json:"code" oa:"required" enum:"validation,unauthorized,forbidden,not_found,version_conflict,invalid_transition,invalid_state,call_not_linked,too_large,unavailable,read_back_failed,internal"`
	Message string `json:"message" oa:"required"`
	Field   string `json:"field,omitempty"`
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store") // cards hold personal data
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, status int, code, field, msg string) {
	writeJSON(w, status, ErrorBody{Error: ErrorDetail{Code: code, Message: msg, Field: field}})
}

// writeErr translates the domain's errors into HTTP.
func (h *Handler) writeErr(w http.ResponseWriter, r *http.Request, err error) {
	if ve, ok := appeals.IsValidation(err); ok {
		writeError(w, http.StatusBadRequest, "validation", ve.Field, ve.Message)
		return
	}
	switch {
	case errors.Is(err, appeals.ErrNotFound):
		writeError(w, http.StatusNotFound, "not_found", "", "no such appeal")
	case errors.Is(err, appeals.ErrVersionConflict):
		writeError(w, http.StatusConflict, "version_conflict", "version", "the appeal was changed by someone else; reload it and try again")
	case errors.Is(err, appeals.ErrInvalidTransition):
		writeError(w, http.StatusConflict, "invalid_transition", "to", err.Error())
	case errors.Is(err, appeals.ErrInvalidState):
		writeError(w, http.StatusConflict, "invalid_state", "", err.Error())
	case errors.Is(err, appeals.ErrForbidden):
		writeError(w, http.StatusForbidden, "forbidden", "", err.Error())
	case errors.Is(err, context.Canceled):
		// The client went away; nobody reads the answer.
	default:
		h.log.Error("appeals API", "method", r.Method, "path", r.URL.Path, "err", err)
		writeError(w, http.StatusInternalServerError, "internal", "", "internal error")
	}
}

// decode reads one JSON object strictly: unknown fields, wrong types,
// malformed JSON and trailing data are 400s naming the field; a body over
// the limit is a 413.
func (h *Handler) decode(w http.ResponseWriter, r *http.Request, v any) bool {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, h.cfg.MaxBodyBytes))
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if err == nil {
		if _, terr := dec.Token(); terr != io.EOF {
			err = errors.New("trailing data after the JSON object")
		}
	}
	if err == nil {
		return true
	}
	var (
		syntax   *json.SyntaxError
		typeErr  *json.UnmarshalTypeError
		tooLarge *http.MaxBytesError
	)
	switch {
	case errors.As(err, &tooLarge):
		writeError(w, http.StatusRequestEntityTooLarge, "too_large", "", fmt.Sprintf("the body is larger than %d bytes", tooLarge.Limit))
	case errors.Is(err, io.EOF):
		writeError(w, http.StatusBadRequest, "validation", "", "the body is empty; a JSON object is expected")
	case errors.As(err, &syntax), errors.Is(err, io.ErrUnexpectedEOF):
		writeError(w, http.StatusBadRequest, "validation", "", "malformed JSON: "+err.Error())
	case errors.As(err, &typeErr):
		field := typeErr.Field
		if field == "" {
			writeError(w, http.StatusBadRequest, "validation", "", "a JSON object is expected")
			return false
		}
		writeError(w, http.StatusBadRequest, "validation", field, fmt.Sprintf("%s must be %s, not %s", field, jsonType(typeErr.Type.Kind().String()), typeErr.Value))
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		field := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		writeError(w, http.StatusBadRequest, "validation", field, "unknown field "+field)
	default:
		writeError(w, http.StatusBadRequest, "validation", "", err.Error())
	}
	return false
}

// jsonType names a Go kind the way a JSON client thinks of it.
func jsonType(kind string) string {
	switch {
	case kind == "string":
		return "a string"
	case kind == "bool":
		return "true or false"
	case strings.HasPrefix(kind, "int"), strings.HasPrefix(kind, "uint"), strings.HasPrefix(kind, "float"):
		return "a number"
	case kind == "slice":
		return "an array"
	case kind == "struct", kind == "map":
		return "an object"
	}
	return kind
}
