package api_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/slobozhanske/hotline/internal/api"
	"github.com/slobozhanske/hotline/internal/apiauth"
)

// Note is a request body with free text, as an appeal's essence is.
type Note struct {
	Text string   `json:"text"`
	Tags []string `json:"tags"`
	Sub  *struct {
		Name string `json:"name"`
	} `json:"sub"`
}

// noteTable is a route whose handler would pass its id, query and body to
// the database: it records what reached it.
func noteTable(reached *[]string, fail error) []api.Route {
	return []api.Route{
		{Method: "PUT", Path: "/api/v1/notes/{id}", Roles: api.Everyone, Summary: "a note", Request: Note{}, Response: Note{}, Status: 200,
			Handle: func(w http.ResponseWriter, r *http.Request, _ apiauth.Actor) {
				var n Note
				if !api.Decode(w, r, &n) {
					return
				}
				*reached = append(*reached, r.PathValue("id")+" "+n.Text)
				api.WriteJSON(w, http.StatusOK, n)
			}},
		{Method: "GET", Path: "/api/v1/notes/{id}", Roles: api.Everyone, Summary: "a note", Response: Note{}, Status: 200,
			Query: []api.Param{{Name: "q", Type: "string"}},
			Handle: func(w http.ResponseWriter, r *http.Request, _ apiauth.Actor) {
				*reached = append(*reached, r.PathValue("id")+" "+r.URL.Query().Get("q"))
				if fail != nil {
					api.Fail(w, slog.New(slog.DiscardHandler), "notes API", fail)
					return
				}
				api.WriteJSON(w, http.StatusOK, Note{})
			}},
		{Method: "GET", Path: "/api/v1/far", Roles: api.Everyone, Summary: "a time JSON cannot hold", Response: Note{}, Status: 200,
			Handle: func(w http.ResponseWriter, r *http.Request, _ apiauth.Actor) {
				api.WriteJSON(w, http.StatusOK, map[string]time.Time{"at": time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)})
			}},
		{Method: "GET", Path: "/api/v1/at", Roles: api.Everyone, Summary: "an instant", Response: Note{}, Status: 200,
			Handle: func(w http.ResponseWriter, r *http.Request, _ apiauth.Actor) {
				if _, ok := api.Instant(w, r, "at", time.Now()); ok {
					api.WriteJSON(w, http.StatusOK, Note{})
				}
			}},
	}
}

func newNotes(t *testing.T, fail error) (*api.API, *[]string, *prometheus.Registry) {
	t.Helper()
	reached := new([]string)
	reg := prometheus.NewRegistry()
	a, err := api.New(api.Config{Auth: byName{}, Registerer: reg}, noteTable(reached, fail))
	if err != nil {
		t.Fatal(err)
	}
	return a, reached, reg
}

// serveRaw serves a request whose path and query are given raw, as a
// hostile client sends them.
func serveRaw(a *api.API, method, rawPath, body string) (int, string, http.Header) {
	r, _ := http.NewRequest(method, "http://hotline", strings.NewReader(body))
	path, query, _ := strings.Cut(rawPath, "?")
	r.URL = &url.URL{Scheme: "http", Host: "hotline", RawPath: path, RawQuery: query}
	r.URL.Path, _ = url.PathUnescape(path)
	r.RequestURI = rawPath
	r.Header.Set("Authorization", "Bearer operator")
	w := newRecorder()
	a.ServeHTTP(w, r)
	return w.code, w.body.String(), w.Header()
}

type recorder struct {
	header http.Header
	code   int
	body   bytes.Buffer
}

func newRecorder() *recorder { return &recorder{header: http.Header{}} }

func (r *recorder) Header() http.Header { return r.header }
func (r *recorder) WriteHeader(code int) {
	if r.code == 0 {
		r.code = code
	}
}
func (r *recorder) Write(b []byte) (int, error) {
	if r.code == 0 {
		r.code = 200
	}
	return r.body.Write(b)
}

// Bad bytes in a path segment, a query value or a JSON string are the
// client's error: a 400 naming the parameter or field, and the handler
// (and so the database) never sees them.
func TestBadBytesAreA400NamingTheParameterAndNeverReachTheHandler(t *testing.T) {
	a, reached, _ := newNotes(t, nil)
	for _, tc := range []struct {
		name, method, path, body, field, message string
	}{
		{"NUL in a path segment", "GET", "/api/v1/notes/a%00b", "", "id", "NUL"},
		{"invalid UTF-8 in a path segment", "GET", "/api/v1/notes/%C3%28", "", "id", "UTF-8"},
		{"a control character in a path segment", "GET", "/api/v1/notes/a%1Bb", "", "id", "control"},
		{"NUL in a query value", "GET", "/api/v1/notes/1?q=a%00", "", "q", "NUL"},
		{"invalid UTF-8 in a query value", "GET", "/api/v1/notes/1?q=%FF%FE", "", "q", "UTF-8"},
		{"a bidi override in a query value", "GET", "/api/v1/notes/1?q=%E2%80%AEabc", "", "q", "bidirectional"},
		{"a malformed query string", "GET", "/api/v1/notes/1?q=%zz", "", "", "malformed query"},
		{"invalid UTF-8 in a JSON string", "PUT", "/api/v1/notes/1", "{\"text\": \"a\xff\xfeb\"}", "text", "UTF-8"},
		{"invalid UTF-8 in a nested string", "PUT", "/api/v1/notes/1", "{\"tags\": [\"ok\", \"\xc3\x28\"]}", "tags[1]", "UTF-8"},
		{"a NUL escape in a JSON string", "PUT", "/api/v1/notes/1", `{"text": "a\u0000b"}`, "text", "NUL"},
		{"a lone surrogate in a JSON string", "PUT", "/api/v1/notes/1", `{"text": "a\ud800b"}`, "text", "U+FFFD"},
		{"a bidi override in free text", "PUT", "/api/v1/notes/1", "{\"text\": \"Оплачено\u202eдобре\"}", "text", "bidirectional"},
		{"a bidi isolate in free text", "PUT", "/api/v1/notes/1", `{"sub": {"name": "x\u2067y"}}`, "sub.name", "bidirectional"},
		{"an escape control in free text", "PUT", "/api/v1/notes/1", `{"text": "a\u001b[31mred"}`, "text", "control"},
		{"a duplicate key", "PUT", "/api/v1/notes/1", `{"text": "a", "text": "b"}`, "text", "twice"},
		{"a duplicate key differing in case", "PUT", "/api/v1/notes/1", `{"text": "a", "Text": "b"}`, "Text", "twice"},
		{"a duplicate nested key", "PUT", "/api/v1/notes/1", `{"sub": {"name": "a", "name": "b"}}`, "sub.name", "twice"},
		{"deep nesting", "PUT", "/api/v1/notes/1", `{"tags": ` + strings.Repeat("[", 40) + strings.Repeat("]", 40) + `}`, "", "deeper"},
	} {
		code, body, _ := serveRaw(a, tc.method, tc.path, tc.body)
		if code != http.StatusBadRequest || !strings.Contains(body, `"field":"`+tc.field+`"`) && tc.field != "" || !strings.Contains(body, tc.message) {
			t.Errorf("%s: %d %s, want 400 naming %q with %q", tc.name, code, body, tc.field, tc.message)
		}
	}
	if len(*reached) != 0 {
		t.Errorf("bad text reached the handlers: %q", *reached)
	}
	// Text that is fine: Ukrainian, apostrophes, line breaks, tabs, emoji.
	code, body, _ := serveRaw(a, "PUT", "/api/v1/notes/%D0%B0-1", `{"text": "Вода не йде з кранів,\n\tкв. 5 — м'ята труба 🚰"}`)
	if code != http.StatusOK {
		t.Errorf("good text: %d %s", code, body)
	}
	code, body, _ = serveRaw(a, "GET", "/api/v1/notes/1?q=%D0%BF%D1%80%D0%B8%D0%B2%D1%96%D1%82", "")
	if code != http.StatusOK {
		t.Errorf("a good query: %d %s", code, body)
	}
	if len(*reached) != 2 {
		t.Errorf("good requests reached the handlers: %q", *reached)
	}
}

// The database away is a 503 with Retry-After, not a 500, whatever the
// driver's error looks like; a value the database refuses as data is a 400.
func TestTheDatabaseAwayIsA503WithRetryAfter(t *testing.T) {
	refused := &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connect: connection refused")}
	for _, tc := range []struct {
		name string
		err  error
		code int
	}{
		{"a refused connection", fmt.Errorf("search appeals: %w", &pgconn.ConnectError{}), 503},
		{"a dial error", fmt.Errorf("get appeal: %w", refused), 503},
		{"the server shutting down", fmt.Errorf("q: %w", &pgconn.PgError{Code: "57P01", Message: "terminating connection due to administrator command"}), 503},
		{"the server starting", &pgconn.PgError{Code: "57P03", Message: "the database system is starting up"}, 503},
		{"the schema not migrated yet", fmt.Errorf("list escalations: %w", &pgconn.PgError{Code: "42P01", Message: `relation "escalations" does not exist`}), 503},
		{"a query out of time", fmt.Errorf("q: %w", context.DeadlineExceeded), 503},
		{"text not in the encoding", fmt.Errorf("q: %w", &pgconn.PgError{Code: "22021", Message: "invalid byte sequence for encoding"}), 400},
		{"a bug", errors.New("nil map"), 500},
	} {
		a, _, _ := newNotes(t, tc.err)
		code, body, h := serveRaw(a, "GET", "/api/v1/notes/1", "")
		if code != tc.code {
			t.Errorf("%s: %d %s, want %d", tc.name, code, body, tc.code)
		}
		if tc.code == 503 && (h.Get("Retry-After") == "" || !strings.Contains(body, `"code":"unavailable"`)) {
			t.Errorf("%s: no Retry-After or code unavailable: %v %s", tc.name, h, body)
		}
	}
}

// Requests are counted by their route's pattern, never the raw path, and
// by status; what no route matches is "unmatched".
func TestRequestsAreCountedByRoutePatternMethodAndCode(t *testing.T) {
	a, _, reg := newNotes(t, nil)
	serveRaw(a, "GET", "/api/v1/notes/2026-000123", "")
	serveRaw(a, "GET", "/api/v1/notes/2026-000124", "")
	serveRaw(a, "GET", "/api/v1/notes/x%00", "")
	serveRaw(a, "GET", "/api/v1/nowhere/at/all", "")
	serveRaw(a, "BREW", "/api/v1/notes/1", "")
	for _, tc := range []struct {
		route, method, code string
		want                float64
	}{
		{"/api/v1/notes/{id}", "GET", "200", 2},
		{"/api/v1/notes/{id}", "GET", "400", 1},
		{"unmatched", "GET", "404", 1},
		{"unmatched", "other", "404", 1}, // the fallback matches every method
	} {
		c, err := requests(reg, tc.route, tc.method, tc.code)
		if err != nil || c != tc.want {
			t.Errorf("hotline_http_requests_total{route=%q,method=%q,code=%q} = %v (%v), want %v", tc.route, tc.method, tc.code, c, err, tc.want)
		}
	}
	if n := testutil.CollectAndCount(reg, "hotline_http_request_duration_seconds"); n != 2 {
		t.Errorf("duration series: %d, want 2 (the route and unmatched)", n)
	}
	if problems, err := testutil.CollectAndLint(reg); err != nil || len(problems) > 0 {
		t.Errorf("metrics lint: %v %v", problems, err)
	}
}

func requests(reg *prometheus.Registry, route, method, code string) (float64, error) {
	mfs, err := reg.Gather()
	if err != nil {
		return 0, err
	}
	for _, mf := range mfs {
		if mf.GetName() != "hotline_http_requests_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			if labels["route"] == route && labels["method"] == method && labels["code"] == code {
				return m.GetCounter().GetValue(), nil
			}
		}
	}
	return 0, nil
}

// An answer JSON cannot hold is a 500 with a body, never an empty 200; an
// instant whose consequences JSON cannot hold is refused up front.
func TestAnAnswerIsEncodedBeforeItsStatusIsSent(t *testing.T) {
	a, _, _ := newNotes(t, nil)
	if code, body, _ := serveRaw(a, "GET", "/api/v1/far", ""); code != 500 || !strings.Contains(body, `"code":"internal"`) {
		t.Errorf("an unencodable answer: %d %q", code, body)
	}
	for _, at := range []string{"9999-12-31T23:59:59Z", "0001-01-01T00:00:00Z"} {
		if code, body, _ := serveRaw(a, "GET", "/api/v1/at?at="+url.QueryEscape(at), ""); code != 400 || !strings.Contains(body, `"field":"at"`) {
			t.Errorf("at=%s: %d %s", at, code, body)
		}
	}
	if code, body, _ := serveRaw(a, "GET", "/api/v1/at?at=2026-11-23T10:00:00%2B02:00", ""); code != 200 {
		t.Errorf("a good instant: %d %s", code, body)
	}
}
