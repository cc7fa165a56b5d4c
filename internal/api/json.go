package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"
)

// DefaultMaxBody is the request body limit when Config.MaxBodyBytes is unset.
const DefaultMaxBody = 64 << 10

// WriteJSON answers with status and v as JSON. Answers are never cached:
// cards, callers' numbers and the duty roster are personal data. The body is
// encoded before anything is sent, so a value JSON cannot hold (a time past
// the year 9999) is a logged 500, never a 200 with an empty body.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		slog.Error("encode an API answer", "status", status, "err", err)
		status = http.StatusInternalServerError
		b, _ = json.Marshal(ErrorBody{Error: ErrorDetail{Code: Code(status), Message: "internal error"}})
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}

// Decode reads one JSON object strictly into v: unknown fields, wrong types,
// malformed JSON, trailing data, duplicate keys, invalid UTF-8 and control
// or bidi characters in strings (checkJSON) are answered with a 400 naming
// the field (none for the body as a whole), a body over the limit
// (Config.MaxBodyBytes, applied by the route table; DefaultMaxBody
// otherwise) with a 413, and Decode returns false.
func Decode(w http.ResponseWriter, r *http.Request, v any) bool {
	raw, err := io.ReadAll(http.MaxBytesReader(w, r.Body, DefaultMaxBody))
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		Error(w, http.StatusRequestEntityTooLarge, "", fmt.Sprintf("the body is larger than %d bytes", tooLarge.Limit))
		return false
	case err != nil:
		// A body cut off: the client went away, or stalled past the
		// server's read timeout.
		Error(w, http.StatusBadRequest, "", "the body could not be read: "+err.Error())
		return false
	case len(bytes.TrimSpace(raw)) == 0:
		Error(w, http.StatusBadRequest, "", "the body is empty; a JSON object is expected")
		return false
	}
	if err := checkJSON(raw); err != nil {
		var bad *errBadJSONText
		errors.As(err, &bad)
		Error(w, http.StatusBadRequest, bad.field, bad.msg)
		return false
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	err = dec.Decode(v)
	if err == nil {
		if _, terr := dec.Token(); terr != io.EOF {
			err = errors.New("trailing data after the JSON object")
		}
	}
	if err == nil {
		return true
	}
	var (
		syntax  *json.SyntaxError
		typeErr *json.UnmarshalTypeError
	)
	switch {
	case errors.As(err, &syntax), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
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
		// A value a type refuses (time.Time's UnmarshalJSON, …).
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
// a bad value (or one outside MinYear–MaxYear) is answered with a 400 naming the parameter and Instant
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
	if y := t.UTC().Year(); y < MinYear || y > MaxYear {
		// What is computed from the instant (the schedule's next change,
		// up to ~400 days on) must still be a time JSON can carry.
		Error(w, http.StatusBadRequest, name, fmt.Sprintf("%s: %q: want an instant in the years %d to %d", name, v, MinYear, MaxYear))
		return time.Time{}, false
	}
	return t, true
}

// The years an instant in a query may fall in (Instant).
const (
	MinYear = 1970
	MaxYear = 9000
)

// TimePtr is nil for a zero time, so JSON shows null.
func TimePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}
