// Package httpserver is the server's HTTP listener: liveness, readiness,
// Prometheus metrics, and whatever API handlers the services mount.
package httpserver

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sort"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/slobozhanske/hotline/internal/apiauth"
)

// Check reports whether one part the server depends on is working.
type Check func(ctx context.Context) error

// Server serves /healthz, /readyz, /metrics and mounted handlers.
type Server struct {
	mux      *http.ServeMux
	log      *slog.Logger
	registry *prometheus.Registry
	timeouts Timeouts

	mu     sync.Mutex
	checks map[string]Check
	failed map[string]string // the checks failing at the last look, with their errors
	admins apiauth.Authenticator
}

// Timeouts bound what one connection may hold: a client that sends its
// headers or body slowly, or reads the answer slowly, or keeps an idle
// connection. Event streams set their own write deadlines
// (internal/api) and have no read deadline once their request is read.
type Timeouts struct {
	ReadHeader time.Duration // the request line and headers
	Read       time.Duration // the whole request, body included
	Write      time.Duration // from the end of the request's headers to the end of the answer
	Idle       time.Duration // a kept-alive connection between requests
	// MaxHeaderBytes bounds the request line and headers.
	MaxHeaderBytes int
}

// DefaultTimeouts are the server's: no API takes a body of more than 64 KiB
// or a minute to answer.
var DefaultTimeouts = Timeouts{ReadHeader: 10 * time.Second, Read: 30 * time.Second, Write: time.Minute,
	Idle: 2 * time.Minute, MaxHeaderBytes: 64 << 10}

// SetTimeouts replaces DefaultTimeouts; call it before Serve.
func (s *Server) SetTimeouts(t Timeouts) { s.timeouts = t }

// ShowReadinessDetailTo lets the admins auth recognises read why a check
// fails in /readyz (it may name URLs, hosts and database users); everyone
// else sees only ok or not per check. The failures are logged either way.
func (s *Server) ShowReadinessDetailTo(auth apiauth.Authenticator) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.admins = auth
}

// New builds a server with a fresh metrics registry holding the Go and
// process collectors.
func New(log *slog.Logger) *Server {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	s := &Server{mux: http.NewServeMux(), log: log, registry: reg, checks: map[string]Check{}, failed: map[string]string{},
		timeouts: DefaultTimeouts}
	s.mux.HandleFunc("GET /healthz", s.healthz)
	s.mux.HandleFunc("GET /readyz", s.readyz)
	s.mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelError)}))
	return s
}

// Registry is where every package registers its metrics.
func (s *Server) Registry() *prometheus.Registry { return s.registry }

// AddCheck adds a named readiness check.
func (s *Server) AddCheck(name string, c Check) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.checks[name] = c
}

// Handle mounts a handler on the mux (Go 1.22 patterns, e.g. "/api/v1/").
func (s *Server) Handle(pattern string, h http.Handler) { s.mux.Handle(pattern, h) }

// Handler is the server's root handler, for tests.
func (s *Server) Handler() http.Handler { return s.mux }

func (s *Server) healthz(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "alive"})
}

// CheckResult is one part of the readiness report. Error is shown only to
// an admin (ShowReadinessDetailTo).
type CheckResult struct {
	OK    bool   `json:"ok"`
	Error string `json:"error,omitempty"`
}

// Readiness is the /readyz body.
type Readiness struct {
	Status string                 `json:"status"` // ready or not_ready
	Checks map[string]CheckResult `json:"checks"`
}

// Ready runs every check concurrently, each bounded by a short timeout.
func (s *Server) Ready(ctx context.Context) Readiness {
	s.mu.Lock()
	names := make([]string, 0, len(s.checks))
	for n := range s.checks {
		names = append(names, n)
	}
	checks := make(map[string]Check, len(s.checks))
	for n, c := range s.checks {
		checks[n] = c
	}
	s.mu.Unlock()
	sort.Strings(names)

	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	results := make([]CheckResult, len(names))
	var wg sync.WaitGroup
	for i, n := range names {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := checks[n](ctx); err != nil {
				results[i] = CheckResult{Error: err.Error()}
				return
			}
			results[i] = CheckResult{OK: true}
		}()
	}
	wg.Wait()
	r := Readiness{Status: "ready", Checks: map[string]CheckResult{}}
	for i, n := range names {
		r.Checks[n] = results[i]
		if !results[i].OK {
			r.Status = "not_ready"
		}
	}
	s.logChanges(r)
	return r
}

// logChanges logs a check that starts failing, or fails differently, and
// one that is ok again: the detail /readyz keeps from most clients goes to
// the log once per change, not once per probe.
func (s *Server) logChanges(r Readiness) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for name, c := range r.Checks {
		before, wasFailing := s.failed[name]
		switch {
		case !c.OK && (!wasFailing || before != c.Error):
			s.failed[name] = c.Error
			s.log.Warn("readiness check failing", "check", name, "err", c.Error)
		case c.OK && wasFailing:
			delete(s.failed, name)
			s.log.Info("readiness check ok again", "check", name)
		}
	}
}

func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	rd := s.Ready(r.Context())
	code := http.StatusOK
	if rd.Status != "ready" {
		code = http.StatusServiceUnavailable
	}
	if !s.isAdmin(r) {
		for name, c := range rd.Checks {
			rd.Checks[name] = CheckResult{OK: c.OK}
		}
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, code, rd)
}

func (s *Server) isAdmin(r *http.Request) bool {
	s.mu.Lock()
	auth := s.admins
	s.mu.Unlock()
	if auth == nil || r.Header.Get("Authorization") == "" {
		return false
	}
	a, ok := auth.Authenticate(r)
	return ok && a.Is(apiauth.RoleAdmin)
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

// Serve serves on ln until ctx is cancelled, then shuts down gracefully
// within shutdownTimeout.
func (s *Server) Serve(ctx context.Context, ln net.Listener, shutdownTimeout time.Duration) error {
	t := s.timeouts
	srv := &http.Server{
		Handler:           s.mux,
		ReadHeaderTimeout: t.ReadHeader,
		ReadTimeout:       t.Read,
		WriteTimeout:      t.Write,
		IdleTimeout:       t.Idle,
		MaxHeaderBytes:    t.MaxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	s.log.Info("HTTP listening", "addr", ln.Addr().String())
	select {
	case err := <-errc:
		return fmt.Errorf("HTTP server: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("HTTP shutdown: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("HTTP server: %w", err)
	}
	return nil
}
