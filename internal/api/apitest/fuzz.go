package apitest

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/slobozhanske/hotline/internal/api"
)

// FuzzBodies is an API's fuzz target for its request bodies: any bytes,
// decoded by api.Decode into one of the API's request types (picked by the
// input's first argument), are accepted or answered with a 400 or a 413
// carrying the one error shape, never a panic; what is accepted holds only
// text a client may send (valid UTF-8, no NUL, no control or bidi
// character but tabs and line breaks). seeds are added to the corpus
// committed under testdata/fuzz, each with every type.
func FuzzBodies(f *testing.F, types []any, seeds ...string) {
	for i := range types {
		for _, s := range seeds {
			f.Add(uint8(i), []byte(s))
		}
	}
	f.Fuzz(func(t *testing.T, which uint8, body []byte) {
		typ := reflect.TypeOf(types[int(which)%len(types)])
		v := reflect.New(typ)
		r := httptest.NewRequest("POST", "/api/v1/x", bytes.NewReader(body))
		w := httptest.NewRecorder()
		if api.Decode(w, r, v.Interface()) {
			if w.Body.Len() > 0 {
				t.Fatalf("%s: accepted, yet answered %d %s", typ, w.Code, w.Body)
			}
			checkStrings(t, typ.Name(), v.Elem())
			return
		}
		var e api.ErrorBody
		if w.Code != http.StatusBadRequest && w.Code != http.StatusRequestEntityTooLarge ||
			json.Unmarshal(w.Body.Bytes(), &e) != nil || e.Error.Code == "" || !utf8.ValidString(e.Error.Field) {
			t.Fatalf("%s: refused with %d %q", typ, w.Code, w.Body)
		}
	})
}

// checkStrings fails on a string in v a client may not send.
func checkStrings(t *testing.T, path string, v reflect.Value) {
	t.Helper()
	switch v.Kind() {
	case reflect.String:
		s := v.String()
		if !utf8.ValidString(s) || strings.ContainsFunc(s, func(r rune) bool {
			return r < 0x20 && r != '\t' && r != '\n' && r != '\r' || r == 0x7f || r == utf8.RuneError || r >= 0x202a && r <= 0x202e || r >= 0x2066 && r <= 0x2069
		}) {
			t.Fatalf("%s: %q was accepted", path, s)
		}
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			checkStrings(t, path, v.Elem())
		}
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				checkStrings(t, path+"."+v.Type().Field(i).Name, v.Field(i))
			}
		}
	case reflect.Slice, reflect.Array:
		for i := range v.Len() {
			checkStrings(t, path, v.Index(i))
		}
	case reflect.Map:
		for _, k := range v.MapKeys() {
			checkStrings(t, path, k)
			checkStrings(t, path, v.MapIndex(k))
		}
	}
}
