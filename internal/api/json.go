package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// DefaultMaxBody is the request body limit when Config.MaxBodyBytes is unset.
const DefaultMaxBody = 64 << 10

// WriteJSON answers with status and v as JSON. Answers are never cached:
// cards, callers' numbers and the duty roster are personal data.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// Decode reads one JSON object strictly into v: unknown fields, wrong types,
// malformed JSON and trailing data are answered with a 400 naming the field
// (none for the body as a whole), a body over the limit (Config.MaxBodyBytes,
// applied by the route table; DefaultMaxBody otherwise) with a 413, and
// Decode returns false.
func Decode(w http.ResponseWriter, r *http.Request, v any) bool {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, DefaultMaxBody))
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
		Error(w, http.StatusRequestEntityTooLarge, "", fmt.Sprintf("the body is larger than %d bytes", tooLarge.Limit))
	case errors.Is(err, io.EOF):
		Error(w, http.StatusBadRequest, "", "the body is empty; a JSON object is expected")
	case errors.As(err, &syntax), errors.Is(err, io.ErrUnexpectedEOF):
		Error(w, http.StatusBadRequest, "", "malformed JSON: "+err.Error())
	case errors.As(err, &typeErr):
		field := typeErr.Field
		if field == "" {
			Error(w, http.StatusBadRequest, "", "a JSON object is expected")
			return false
		}
		Error(w, http.StatusBadRequest, field, fmt.Sprintf("%s must be %s, not %s", field, jsonType(typeErr.Type.Kind().String()), typeErr.Value))
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		field := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		Error(w, http.StatusBadRequest, field, "unknown field "+field)
	default:
		Error(w, http.StatusBadRequest, "", err.Error())
	}
	return false
}

// DecodeOptional is Decode for a body a client may leave out (a pause's
// reason): v keeps its defaults when the request has none.
func DecodeOptional(w http.ResponseWriter, r *http.Request, v any) bool {
	if r.ContentLength == 0 {
		return true
	}
	return Decode(w, r, v)
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
	case kind == "slice", kind == "array":
		return "an array"
	case kind == "struct", kind == "map":
		return "an object"
	}
	return kind
}

// Instant reads the RFC 3339 query parameter name, def when it is absent;
// a bad value is answered with a 400 naming the parameter and Instant
// returns false.
func Instant(w http.ResponseWriter, r *http.Request, name string, def time.Time) (time.Time, bool) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return def, true
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		Error(w, http.StatusBadRequest, name, fmt.Sprintf("%s: %q: want an RFC 3339 instant such as 2026-12-31T23:00:00+02:00", name, v))
		return time.Time{}, false
	}
	return t, true
}

// TimePtr is nil for a zero time, so JSON shows null.
func TimePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}
