package apierror

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// Decode reads a JSON body (at most 64 KiB) strictly into v: unknown fields,
// wrong types and malformed JSON are answered with a 400 (413 when too
// large) naming the field, and Decode returns false.
func Decode(w http.ResponseWriter, r *http.Request, v any) bool {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 64<<10))
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if err == nil && dec.More() {
		err = errors.New("one JSON object expected")
	}
	if err == nil {
		return true
	}
	var te *json.UnmarshalTypeError
	var se *json.SyntaxError
	var mb *http.MaxBytesError
	switch {
	case errors.As(err, &te):
		Write(w, http.StatusBadRequest, te.Field, fmt.Sprintf("%s: must be %s", te.Field, jsonType(te.Type.Kind().String())))
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		field := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		Write(w, http.StatusBadRequest, field, "unknown field "+field)
	case errors.As(err, &se):
		Write(w, http.StatusBadRequest, "body", fmt.Sprintf("malformed JSON at byte %d", se.Offset))
	case errors.As(err, &mb):
		Write(w, http.StatusRequestEntityTooLarge, "body", "body too large")
	case errors.Is(err, io.EOF):
		Write(w, http.StatusBadRequest, "body", "a JSON object is required")
	default:
		Write(w, http.StatusBadRequest, "body", "malformed JSON: "+err.Error())
	}
	return false
}

func jsonType(kind string) string {
	switch kind {
	case "string":
		return "a string"
	case "slice", "array":
		return "a list"
	case "map", "struct":
		return "an object"
	case "bool":
		return "true or false"
	}
	return "a number"
}
