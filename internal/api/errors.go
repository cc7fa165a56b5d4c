package api

import (
	"context"
	"errors"
	"log/slog"
	"net/http"

	"github.com/slobozhanske/hotline/internal/fielderr"
)

// ErrorBody is every error answer of every API:
//
//	{"error": {"code": "validation", "message": "…", "field": "reason"}}
//
// so a supervisors' tool reads every error the same way.
type ErrorBody struct {
	Error ErrorDetail `json:"error" oa:"required"`
}

// ErrorDetail says what went wrong and, for bad input, which field ("" when
// no single field is at fault: a malformed or oversized body, a missing
// token). Code is Code(status) unless an API names a more precise one
// (the appeals' version_conflict, invalid_transition, …).
type ErrorDetail struct {
	Code    string `json:"code" oa:"required" enum:"validation,unauthorized,forbidden,not_found,conflict,version_conflict,invalid_transition,invalid_state,call_not_linked,call_not_connected,unknown_call,too_large,unprocessable,unavailable,read_back_failed,internal,error"`
	Message string `json:"message" oa:"required"`
	Field   string `json:"field,omitempty"`
}

// Code is the error code of an HTTP status.
func Code(status int) string {
	switch status {
	case http.StatusBadRequest:
		return "validation"
	case http.StatusUnauthorized:
		return "unauthorized"
	case http.StatusForbidden:
		return "forbidden"
	case http.StatusNotFound:
		return "not_found"
	case http.StatusConflict:
		return "conflict"
	case http.StatusRequestEntityTooLarge:
		return "too_large"
	case http.StatusUnprocessableEntity:
		return "unprocessable"
	case http.StatusServiceUnavailable:
		return "unavailable"
	}
	if status >= 500 {
		return "internal"
	}
	return "error"
}

// Error answers with status, its code (Code) and a message naming field.
func Error(w http.ResponseWriter, status int, field, message string) {
	ErrorCode(w, status, Code(status), field, message)
}

// ErrorCode answers with status and an explicit code, for the errors a
// client must tell apart within one status (a stale version and a
// forbidden transition are both 409s).
func ErrorCode(w http.ResponseWriter, status int, code, field, message string) {
	WriteJSON(w, status, ErrorBody{Error: ErrorDetail{Code: code, Message: message, Field: field}})
}

// Fail answers an error the API did not map to a status of its own, the
// same for every API: a *fielderr.Error (any domain's bad input) is a 400
// naming its field; a value the database refuses as data is a 400 too; the
// database away is a 503 with Retry-After, logged rate-limited
// (Unavailable); a client that went away gets nothing, since nobody reads
// the answer; the rest is logged under what (the API's name) and answered
// with a 500 that tells the client nothing of the internals.
func Fail(w http.ResponseWriter, log *slog.Logger, what string, err error) {
	if fe, ok := fielderr.As(err); ok {
		Error(w, http.StatusBadRequest, fe.Field, fe.Error())
		return
	}
	switch {
	case errors.Is(err, context.Canceled):
	case Unavailable(err):
		answerUnavailable(w, log, what, err)
	case refusedValue(err):
		log.Warn(what+": the database refused a value", "err", err)
		Error(w, http.StatusBadRequest, "", "a value is not acceptable to the database")
	default:
		log.Error(what, "err", err)
		Error(w, http.StatusInternalServerError, "", "internal error")
	}
}
