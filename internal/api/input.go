package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Every text a client sends reaches the domains and PostgreSQL only once it
// is checked here: the path's wildcards and the query by the guard, JSON
// bodies by Decode. PostgreSQL refuses a NUL byte and invalid UTF-8
// (SQLSTATE 22021), which would otherwise come back as a 500, and a
// bidi override in a card's text would show an executor something other
// than what was stored.

// maxJSONDepth bounds how deeply a body's arrays and objects nest: no
// request of any API nests more than a few levels.
const maxJSONDepth = 32

// textProblem says what is wrong with s as text a client may send, "" when
// nothing is. multiline lets through tabs and line breaks (a card's essence
// has paragraphs); a path segment or a query value has none.
func textProblem(s string, multiline bool) string {
	if !utf8.ValidString(s) {
		return "is not valid UTF-8"
	}
	for _, r := range s {
		switch {
		case r == 0:
			return "contains a NUL byte"
		case r == utf8.RuneError:
			// A JSON escape of a lone surrogate (\ud800) decodes to U+FFFD:
			// the client's text was broken before it was sent.
			return "contains U+FFFD, the mark of text that is not valid UTF-8"
		case multiline && (r == '\t' || r == '\n' || r == '\r'):
		case r < 0x20 || r >= 0x7f && r < 0xa0:
			return fmt.Sprintf("contains the control character U+%04X", r)
		case bidiControl(r):
			return fmt.Sprintf("contains the bidirectional control U+%04X, which could make the text read differently from what is stored", r)
		case r == 0x2028 || r == 0x2029:
			return fmt.Sprintf("contains the separator U+%04X; use a line break", r)
		}
	}
	return ""
}

// bidiControl reports the invisible characters that reorder text: the
// embeddings, overrides and isolates and the implicit marks.
func bidiControl(r rune) bool {
	return r == 0x061c || r == 0x200e || r == 0x200f || r >= 0x202a && r <= 0x202e || r >= 0x2066 && r <= 0x2069
}

// printable is s as it may be quoted in an answer: invalid bytes escaped.
func printable(s string) string {
	q := strconv.QuoteToASCII(s)
	return q[1 : len(q)-1]
}

// checkRequest refuses bad text in the route's path wildcards and in the
// query (a malformed query string included) with a 400 naming the
// parameter; false when it answered.
func checkRequest(w http.ResponseWriter, r *http.Request, wildcards []string) bool {
	for _, name := range wildcards {
		if p := textProblem(r.PathValue(name), false); p != "" {
			Error(w, http.StatusBadRequest, name, name+" "+p)
			return false
		}
	}
	if r.URL.RawQuery == "" {
		return true
	}
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		// r.URL.Query() would drop the bad pair silently, and the handler
		// would then answer as if the parameter were not given.
		Error(w, http.StatusBadRequest, "", "malformed query string: "+printable(err.Error()))
		return false
	}
	for name, values := range q {
		if p := textProblem(name, false); p != "" {
			Error(w, http.StatusBadRequest, printable(name), "the query parameter's name "+p)
			return false
		}
		for _, v := range values {
			if p := textProblem(v, false); p != "" {
				Error(w, http.StatusBadRequest, name, name+" "+p)
				return false
			}
		}
	}
	return true
}

// errBadJSONText is a problem checkJSON found, at a field.
type errBadJSONText struct{ field, msg string }

func (e *errBadJSONText) Error() string { return e.msg }

// checkJSON walks the body's tokens before it is decoded: every key and
// string must be text a client may send (textProblem), and no object may
// give a key twice (encoding/json keeps the last silently, so a client and
// a proxy that read the first would disagree with the server). Keys that
// differ only in case count as the same, since encoding/json matches
// struct fields regardless of case. Malformed JSON is left to the decoder,
// which names it better.
func checkJSON(raw []byte) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	wk := jsonWalk{dec: dec, invalidUTF8: !utf8.Valid(raw)}
	err := wk.walk("", 0)
	var bad *errBadJSONText
	if errors.As(err, &bad) {
		return bad
	}
	if wk.invalidUTF8 {
		return &errBadJSONText{msg: "the body is not valid UTF-8"}
	}
	return nil
}

// jsonWalk is one walk of a body's tokens.
type jsonWalk struct {
	dec *json.Decoder
	// invalidUTF8: the body has bytes that are not UTF-8, which the decoder
	// turns into U+FFFD, so a string with U+FFFD is where they were.
	invalidUTF8 bool
}

func (wk *jsonWalk) problem(s string, multiline bool) string {
	p := textProblem(s, multiline)
	if wk.invalidUTF8 && strings.HasPrefix(p, "contains U+FFFD") {
		return "is not valid UTF-8"
	}
	return p
}

func (wk *jsonWalk) walk(path string, depth int) error {
	dec := wk.dec
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	if depth > maxJSONDepth {
		return &errBadJSONText{field: path, msg: fmt.Sprintf("the body nests deeper than %d levels", maxJSONDepth)}
	}
	switch t := tok.(type) {
	case string:
		if p := wk.problem(t, true); p != "" {
			return &errBadJSONText{field: path, msg: fieldMsg(path, p)}
		}
	case json.Delim:
		switch t {
		case '{':
			var keys []string
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return err
				}
				key, _ := kt.(string)
				field := key
				if path != "" {
					field = path + "." + key
				}
				if p := wk.problem(key, false); p != "" {
					return &errBadJSONText{field: printable(field), msg: "a key " + p}
				}
				for _, k := range keys {
					if strings.EqualFold(k, key) {
						return &errBadJSONText{field: field, msg: fmt.Sprintf("%s is given twice", field)}
					}
				}
				keys = append(keys, key)
				if err := wk.walk(field, depth+1); err != nil {
					return err
				}
			}
			_, err = dec.Token()
			return err
		case '[':
			for i := 0; dec.More(); i++ {
				if err := wk.walk(fmt.Sprintf("%s[%d]", path, i), depth+1); err != nil {
					return err
				}
			}
			_, err = dec.Token()
			return err
		}
	}
	return nil
}

func fieldMsg(field, problem string) string {
	if field == "" {
		return "the body " + problem
	}
	return field + " " + problem
}
