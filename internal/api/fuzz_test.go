package api_test

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/slobozhanske/hotline/internal/api"
	"github.com/slobozhanske/hotline/internal/apiauth"
)

// routerTable has the shapes of the server's routes: wildcards at several
// depths, a path that is both a route and a prefix, a query, a body, an
// event stream, and handlers that fail as a store does.
func routerTable(badText func(id string)) []api.Route {
	ok := func(w http.ResponseWriter, r *http.Request, _ apiauth.Actor) {
		api.WriteJSON(w, http.StatusOK, map[string]string{"id": r.PathValue("id")})
	}
	body := func(w http.ResponseWriter, r *http.Request, _ apiauth.Actor) {
		var n Note
		if api.Decode(w, r, &n) {
			api.WriteJSON(w, http.StatusOK, n)
		}
	}
	store := func(w http.ResponseWriter, r *http.Request, _ apiauth.Actor) {
		// What a store answers for the text it is given: PostgreSQL
		// refuses NUL and invalid UTF-8 (the guard must have refused it
		// first); a lookup that finds nothing.
		id := r.PathValue("id")
		switch {
		case strings.ContainsRune(id, 0) || !utf8.ValidString(id):
			badText(id)
			api.Fail(w, slog.New(slog.DiscardHandler), "fuzz API", &pgconn.PgError{Code: "22021"})
		case id == "down":
			api.Fail(w, slog.New(slog.DiscardHandler), "fuzz API", fmt.Errorf("get: %w", &pgconn.ConnectError{}))
		default:
			api.Error(w, http.StatusNotFound, "", "no such thing")
		}
	}
	at := func(w http.ResponseWriter, r *http.Request, _ apiauth.Actor) {
		if t, ok := api.Instant(w, r, "at", time.Now()); ok {
			api.WriteJSON(w, http.StatusOK, map[string]time.Time{"at": t, "next": t.AddDate(1, 1, 0)})
		}
	}
	events := func(w http.ResponseWriter, r *http.Request, _ apiauth.Actor) {
		w.Header().Set("Content-Type", "text/event-stream")
		_, _ = fmt.Fprint(w, ": hello\n\n")
		_ = http.NewResponseController(w).Flush()
	}
	staff := []apiauth.Role{apiauth.RoleOperator, apiauth.RoleSupervisor, apiauth.RoleAdmin}
	return []api.Route{
		{Method: "GET", Path: "/api/v1/appeals", Roles: api.Everyone, Query: []api.Param{{Name: "q", Type: "string"}}, Status: 200, Handle: ok},
		{Method: "POST", Path: "/api/v1/appeals", Roles: staff, Request: Note{}, Status: 201, Handle: body},
		{Method: "GET", Path: "/api/v1/appeals/{id}", Roles: api.Everyone, Status: 200, Handle: store},
		{Method: "PATCH", Path: "/api/v1/appeals/{id}", Roles: staff, Request: Note{}, Status: 200, Handle: body},
		{Method: "GET", Path: "/api/v1/appeals/{id}/history", Roles: api.Everyone, Status: 200, Handle: store},
		{Method: "POST", Path: "/api/v1/calls/{call_id}/read-back", Roles: staff, Request: Note{}, Status: 200, Handle: body},
		{Method: "PUT", Path: "/api/v1/queue/operators/{id}", Roles: apiauth.Supervisors, Request: Note{}, Status: 200, Handle: body},
		{Method: "GET", Path: "/api/v1/queue/operators/{id}/events", Roles: staff, ContentType: "text/event-stream", Status: 200, Handle: events},
		{Method: "GET", Path: "/api/v1/schedule/state", Roles: staff, Query: []api.Param{{Name: "at", Type: "string"}}, Status: 200, Handle: at},
		{Method: "DELETE", Path: "/api/v1/schedule/exceptions/{date}", Roles: apiauth.Supervisors, Status: 204, Handle: store},
	}
}

// FuzzRouter sends any method, path, query, token and body through the
// route table's mux and guard: the answer is never a 5xx but a 503 (the
// store's "down"), the error shape is always JSON, and nothing panics.
// Corpus: testdata/fuzz/FuzzRouter.
func FuzzRouter(f *testing.F) {
	var reached atomic.Pointer[string]
	a, err := api.New(api.Config{Auth: byName{}}, routerTable(func(id string) { reached.Store(&id) }))
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range []struct{ method, path, query, role, body string }{
		{"GET", "/api/v1/appeals", "q=вода", "operator", ""},
		{"GET", "/api/v1/appeals/2026-000001", "", "executor", ""},
		{"GET", "/api/v1/appeals/a%00b/history", "", "admin", ""},
		{"GET", "/api/v1/appeals/%FF", "", "admin", ""},
		{"GET", "/api/v1/appeals/down", "", "admin", ""},
		{"PATCH", "/api/v1/appeals/x", "", "supervisor", `{"text": "a", "text": "b"}`},
		{"POST", "/api/v1/appeals", "", "operator", "{\"text\": \"\xff\"}"},
		{"POST", "/api/v1/calls/1700000000.1/read-back", "", "operator", `{"text": "\u202e"}`},
		{"PUT", "/api/v1/queue/operators/op%2F101", "", "supervisor", `{"tags": [[[[]]]]}`},
		{"GET", "/api/v1/queue/operators/op101/events", "", "operator", ""},
		{"GET", "/api/v1/schedule/state", "at=9999-12-31T23:59:59Z", "supervisor", ""},
		{"GET", "/api/v1/schedule/state", "at=%zz&at=1", "supervisor", ""},
		{"DELETE", "/api/v1/schedule/exceptions/2026-12-31", "", "operator", ""},
		{"BREW", "//api/v1/../appeals", "", "", ""},
		{"GET", "/api/v1/openapi.json", "", "nobody", ""},
	} {
		f.Add(s.method, s.path, s.query, s.role, []byte(s.body))
	}
	f.Fuzz(func(t *testing.T, method, path, query, role string, body []byte) {
		r, err := http.NewRequest("GET", "http://hotline/", strings.NewReader(string(body)))
		if err != nil {
			t.Skip()
		}
		if method == "" || strings.ContainsAny(method, " \t\r\n()<>@,;:\\\"/[]?={}") || !utf8.ValidString(method) {
			t.Skip() // net/http refuses such a request line before any handler
		}
		r.Method = method
		unescaped, err := url.PathUnescape(path)
		if err != nil || !strings.HasPrefix(path, "/") {
			t.Skip() // the server answers 400 to such a request line itself
		}
		r.URL = &url.URL{Path: unescaped, RawPath: path, RawQuery: query}
		r.RequestURI = path
		if role != "" {
			r.Header.Set("Authorization", "Bearer "+role)
		}
		w := httptest.NewRecorder()
		a.ServeHTTP(w, r)
		switch {
		case w.Code >= 500 && w.Code != http.StatusServiceUnavailable:
			t.Fatalf("%s %s?%s as %q: %d %s", method, path, query, role, w.Code, w.Body)
		case w.Code == http.StatusServiceUnavailable && w.Header().Get("Retry-After") == "":
			t.Fatalf("a 503 without Retry-After: %s %s", method, path)
		case w.Code >= 400 && w.Code != http.StatusMethodNotAllowed && w.Code != http.StatusMovedPermanently:
			var e api.ErrorBody
			if err := json.Unmarshal(w.Body.Bytes(), &e); err != nil || e.Error.Code == "" {
				t.Fatalf("%s %s: %d without the error shape: %q", method, path, w.Code, w.Body)
			}
		}
		if id := reached.Swap(nil); id != nil {
			t.Fatalf("%s %s: text the database refuses reached the handler: %q", method, path, *id)
		}
	})
}
