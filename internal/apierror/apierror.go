// Package apierror is the error body the server's HTTP APIs answer with, so
// a supervisors' tool reads every error the same way:
//
//	{"error": {"code": "validation", "message": "…", "field": "reason"}}
//
// It is the shape the appeals API describes in its OpenAPI document; the
// queue and duty APIs write it through Write.
package apierror

import (
	"encoding/json"
	"net/http"
)

// Body is an error answer.
type Body struct {
	Error Detail `json:"error"`
}

// Detail says what went wrong and, for bad input, which field.
type Detail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
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
	case http.StatusServiceUnavailable:
		return "unavailable"
	}
	if status >= 500 {
		return "internal"
	}
	return "error"
}

// Write answers with status and an error body naming field ("" when no
// single field is at fault).
func Write(w http.ResponseWriter, status int, field, message string) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(Body{Error: Detail{Code: Code(status), Message: message, Field: field}})
}
