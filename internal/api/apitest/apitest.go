// Package apitest serves route tables over real HTTP for the APIs' tests,
// with bearer tokens that are the users' names, and reads the answers.
package apitest

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/slobozhanske/hotline/internal/api"
	"github.com/slobozhanske/hotline/internal/apiauth"
)

// Server is the routes served with the users' tokens.
type Server struct {
	t   *testing.T
	URL string
}

// Serve serves the tables; each user's bearer token is their name. An
// executor is bound to the organisation "vodokanal".
func Serve(t *testing.T, users map[string]apiauth.Role, tables ...[]api.Route) *Server {
	t.Helper()
	var list []apiauth.Token
	for user, role := range users {
		tok := apiauth.Token{User: user, Role: string(role), Token: user}
		if role == apiauth.RoleExecutor {
			tok.Executor = "vodokanal"
		}
		list = append(list, tok)
	}
	tokens, err := apiauth.NewTokens(list, func(code string) bool { return code == "vodokanal" })
	if err != nil {
		t.Fatal(err)
	}
	h, err := api.New(api.Config{Auth: tokens, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}, tables...)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return &Server{t: t, URL: srv.URL}
}

// Response is an answer: a JSON object in Body, a JSON array in List.
type Response struct {
	Code int
	Body map[string]any
	List []any
	Raw  string
}

// Field is the field an error answer names ({"error": {"field": …}}); ""
// when it names none.
func (r Response) Field() string {
	e, _ := r.Body["error"].(map[string]any)
	f, _ := e["field"].(string)
	return f
}

// Do sends a request as user ("" for none) with a JSON body ("" for none).
func (s *Server) Do(user, method, path, body string) Response {
	s.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, s.URL+path, rd)
	if err != nil {
		s.t.Fatal(err)
	}
	if user != "" {
		req.Header.Set("Authorization", "Bearer "+user)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	out := Response{Code: res.StatusCode, Raw: string(raw)}
	if len(raw) > 0 && raw[0] == '[' {
		_ = json.Unmarshal(raw, &out.List)
	} else if len(raw) > 0 {
		_ = json.Unmarshal(raw, &out.Body)
	}
	return out
}

// Expect fails the test unless the answer has the status and, when field
// is given, names that field.
func (s *Server) Expect(r Response, code int, field string) {
	s.t.Helper()
	if r.Code != code {
		s.t.Fatalf("status %d, want %d: %s", r.Code, code, r.Raw)
	}
	if field != "" && r.Field() != field {
		s.t.Fatalf("error names field %q, want %s: %s", r.Field(), field, r.Raw)
	}
}
