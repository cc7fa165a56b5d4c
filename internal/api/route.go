// Package api holds what every JSON API of the server shares, so each API
// package (appeals, queue, escalation, schedule) only translates between
// HTTP and its domain:
//
//   - the route table: each Route is a pattern, the roles it lets in, the
//     handler (which receives the authenticated apiauth.Actor) and what the
//     OpenAPI document says of it. New builds one handler from the tables
//     of every API: the mux and the document (GET /api/v1/openapi.json)
//     come from the same routes, so neither can drift from the other;
//   - the guard in front of every handler: authenticate (401), check the
//     role (403), limit the body, then call;
//   - WriteJSON, and the one error shape (ErrorBody, Error, ErrorCode);
//   - strict decoding of request bodies (Decode) and RFC 3339 query
//     parameters (Instant).
package api

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/slobozhanske/hotline/internal/apiauth"
)

// Handler serves one route for an actor whose role the route lets in.
type Handler func(w http.ResponseWriter, r *http.Request, a apiauth.Actor)

// Route is one endpoint: its pattern, who may call it, its handler and
// what the OpenAPI document says about it.
type Route struct {
	Method, Path string         // Path is absolute: /api/v1/queue/operators/{id}
	Roles        []apiauth.Role // who may call it; a handler may narrow further (an operator's own id)
	Summary      string
	Query        []Param
	Request      any // a zero value of the body type, or nil
	Response     any // a zero value of the success body type, or nil for no body
	Status       int // success status
	// ContentType of the success answer; default application/json.
	ContentType string
	// Errors describe error statuses beyond (or instead of) the ones every
	// route documents (400, 401, 403, 404, 500, and 413 with a body).
	Errors map[int]string
	Handle Handler
}

// Param is a query parameter as documented.
type Param struct {
	Name, Type, Format, Doc string
}

// Everyone is every user role, for routes anyone with a token may call.
var Everyone = apiauth.Roles

// Config is what the handler is built from.
type Config struct {
	Auth apiauth.Authenticator
	Log  *slog.Logger
	// MaxBodyBytes limits request bodies (default DefaultMaxBody).
	MaxBodyBytes int64
	// Registerer gets the requests' metrics (hotline_http_requests_total,
	// hotline_http_request_duration_seconds); nil: not registered.
	Registerer prometheus.Registerer
	// StreamWriteTimeout bounds each write of an event stream, which the
	// server's write timeout does not (default DefaultStreamWriteTimeout).
	StreamWriteTimeout time.Duration
}

// DefaultStreamWriteTimeout is Config.StreamWriteTimeout's default: twice
// the queue's heartbeat, so an idle stream's comments always fit.
const DefaultStreamWriteTimeout = 30 * time.Second

// eventStream is the content type of Server-Sent Events routes.
const eventStream = "text/event-stream"

// OpenAPIPath is where the document of every route is served.
const OpenAPIPath = "/api/v1/openapi.json"

// API serves the routes of every table it was built from, and their
// OpenAPI document.
type API struct {
	cfg     Config
	mux     *http.ServeMux
	routes  []Route
	doc     []byte
	metrics *metrics
}

// New builds the handler of the tables. It fails on a route without a
// handler or roles, on a pattern given twice, and when two JSON types of
// different packages would share a name in the document.
func New(cfg Config, tables ...[]Route) (*API, error) {
	if cfg.Auth == nil {
		return nil, errors.New("api: an authenticator is required")
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = DefaultMaxBody
	}
	if cfg.StreamWriteTimeout <= 0 {
		cfg.StreamWriteTimeout = DefaultStreamWriteTimeout
	}
	m, err := newMetrics(cfg.Registerer)
	if err != nil {
		return nil, fmt.Errorf("api: register metrics: %w", err)
	}
	a := &API{cfg: cfg, mux: http.NewServeMux(), metrics: m}
	a.routes = append(a.routes, Route{Method: "GET", Path: OpenAPIPath, Roles: Everyone,
		Summary: "The OpenAPI 3 document of every API", Response: map[string]any{}, Status: http.StatusOK, Handle: a.serveOpenAPI})
	for _, t := range tables {
		a.routes = append(a.routes, t...)
	}
	seen := map[string]bool{}
	for _, rt := range a.routes {
		pattern := rt.Method + " " + rt.Path
		switch {
		case rt.Handle == nil || len(rt.Roles) == 0 || rt.Status == 0:
			return nil, fmt.Errorf("api: route %s needs a handler, roles and a status", pattern)
		case seen[pattern]:
			return nil, fmt.Errorf("api: route %s is given twice", pattern)
		}
		seen[pattern] = true
		a.mux.Handle(pattern, a.guard(rt))
	}
	a.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		Error(w, http.StatusNotFound, "", "no such endpoint: "+r.Method+" "+r.URL.Path)
	})
	if a.doc, err = openAPI(a.routes); err != nil {
		return nil, err
	}
	return a, nil
}

// ServeHTTP implements http.Handler. Mount it at "/api/v1/". Every request
// is counted by the route it matched.
func (a *API) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	rec := &recorder{ResponseWriter: w}
	// The mux sets r.Pattern to the route it picks, the fallback's "/"
	// when none matched.
	r.Pattern = ""
	a.mux.ServeHTTP(rec, r)
	a.metrics.observe(r, rec.status(), time.Since(start))
}

// Authenticate says who the request's credentials belong to, by the
// tokens the API was built with: for the parts of the server outside the
// route tables that show more to an admin (the readiness detail).
func (a *API) Authenticate(r *http.Request) (apiauth.Actor, bool) { return a.cfg.Auth.Authenticate(r) }

// Routes are the routes served, the document's own included.
func (a *API) Routes() []Route { return slices.Clone(a.routes) }

// guard authenticates the request, checks the role, refuses bad text in
// the path and the query (checkRequest) and limits the body before the
// handler. An event stream's deadlines are its own (stream).
func (a *API) guard(rt Route) http.Handler {
	var wildcards []string
	for _, m := range pathParam.FindAllStringSubmatch(rt.Path, -1) {
		wildcards = append(wildcards, m[1])
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		actor, ok := a.cfg.Auth.Authenticate(r)
		if !ok {
			w.Header().Set("WWW-Authenticate", `Bearer realm="hotline"`)
			Error(w, http.StatusUnauthorized, "", "a valid bearer token is required")
			return
		}
		if !actor.Is(rt.Roles...) {
			Error(w, http.StatusForbidden, "", "the "+string(actor.Role)+" role may not "+rt.Method+" "+rt.Path)
			return
		}
		if !checkRequest(w, r, wildcards) {
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, a.cfg.MaxBodyBytes)
		if rt.ContentType == eventStream {
			rc := http.NewResponseController(w)
			// The server's read timeout would end the request's context
			// (its background read fails) while the stream goes on.
			_ = rc.SetReadDeadline(time.Time{})
			w = &stream{ResponseWriter: w, rc: rc, writeTimeout: a.cfg.StreamWriteTimeout}
		}
		rt.Handle(w, r, actor)
	})
}

func (a *API) serveOpenAPI(w http.ResponseWriter, _ *http.Request, _ apiauth.Actor) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	_, _ = w.Write(a.doc)
}

// roleNames lists roles for the document.
func roleNames(roles []apiauth.Role) string {
	out := make([]string, len(roles))
	for i, r := range roles {
		out[i] = string(r)
	}
	return strings.Join(out, ", ")
}
