package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/slobozhanske/hotline/config"
	"github.com/slobozhanske/hotline/internal/dbtest"
	"github.com/slobozhanske/hotline/internal/httpserver"
)

// testConfig is the shipped config with the test's database and ARI.
func testConfig(tb testing.TB, dbURL, ariURL string) *config.Config {
	tb.Helper()
	tb.Setenv("HOTLINE_DATABASE_URL", dbURL)
	tb.Setenv("HOTLINE_ARI_PASSWORD", flowARIPassword)
	tb.Setenv("HOTLINE_ARI_URL", ariURL)
	tb.Setenv("HOTLINE_HTTP_LISTEN", "127.0.0.1:0")
	tb.Setenv("HOTLINE_ARI_RECONNECT_MAX", "200ms")
	tb.Setenv("HOTLINE_ARI_RECONNECT_MIN", "50ms")
	tb.Setenv("HOTLINE_CALLS_SHUTDOWN_GRACE", "2s")
	cfg, err := config.Load("../../config/hotline.yaml")
	if err != nil {
		tb.Fatal(err)
	}
	cfg.API.Tokens = append(cfg.API.Tokens, config.Token{User: "test-admin", Role: "admin", Token: testAdminToken})
	return cfg
}

// testAdminToken is an admin's: readiness() reads the checks' detail with it.
const testAdminToken = "token-test-admin-0123456789"

func testLogger(t *testing.T) *slog.Logger {
	if testing.Verbose() {
		return slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// startServer runs serve() in the background and returns its base URL; the
// server is shut down (and must return cleanly) when the test ends.
func startServer(t *testing.T, cfg *config.Config) string {
	return startServerAt(t, cfg, nil)
}

// startServerAt is startServer with the schedule read at now() (nil: the real clock).
func startServerAt(t *testing.T, cfg *config.Config, now func() time.Time) string {
	t.Helper()
	return startServerWith(t, cfg, testLogger(t), serveHooks{now: now})
}

// startServerWith runs serve with log and hooks until the test ends and
// returns its base URL once it listens.
func startServerWith(t *testing.T, cfg *config.Config, log *slog.Logger, hooks serveHooks) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	started := make(chan string, 1)
	hooks.started = started
	done := make(chan error, 1)
	go func() { done <- serve(ctx, cfg, log, hooks) }()
	var addr string
	select {
	case addr = <-started:
	case err := <-done:
		t.Fatalf("serve returned before listening: %v", err)
	case <-time.After(30 * time.Second):
		t.Fatal("server did not start listening within 30 s")
	}
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("serve returned %v on shutdown", err)
			}
		case <-time.After(30 * time.Second):
			t.Error("server did not shut down within 30 s")
		}
	})
	return "http://" + addr
}

// readiness is /readyz as an admin reads it, with why each check fails.
func readiness(t *testing.T, base string) (int, httpserver.Readiness) {
	t.Helper()
	return readinessAs(t, base, testAdminToken)
}

// readinessAs is /readyz with the bearer token ("" for none).
func readinessAs(t *testing.T, base, token string) (int, httpserver.Readiness) {
	t.Helper()
	req, err := http.NewRequest("GET", base+"/readyz", nil)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET /readyz: %v", err)
	}
	defer resp.Body.Close()
	var r httpserver.Readiness
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
		t.Fatalf("decode /readyz: %v", err)
	}
	return resp.StatusCode, r
}

// eventually polls cond until it holds or the deadline passes.
func eventually(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		if cond() {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("not within %v: %s", within, what)
}

// closedPort is a loopback address where nothing listens: no Asterisk here.
func closedPort(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

func TestServerWithoutAsteriskIsAliveAndReportsEachPart(t *testing.T) {
	cfg := testConfig(t, dbtest.NewDatabase(t), "http://"+closedPort(t)+"/ari")
	base := startServer(t, cfg)

	resp, err := http.Get(base + "/healthz")
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("/healthz: %v %v", resp, err)
	}
	resp.Body.Close()

	eventually(t, 10*time.Second, "database ready, ARI not", func() bool {
		code, r := readiness(t, base)
		return code == http.StatusServiceUnavailable && r.Checks["database"].OK && !r.Checks["ari"].OK &&
			strings.Contains(r.Checks["ari"].Error, "not connected")
	})
	// Without an admin's token: ok or not per check, and nothing of why
	// (the detail names URLs, hosts and the database's user).
	for _, token := range []string{"", "not-a-token"} {
		code, r := readinessAs(t, base, token)
		if code != http.StatusServiceUnavailable || r.Checks["ari"].OK || !r.Checks["database"].OK {
			t.Errorf("/readyz with %q: %d %+v", token, code, r)
		}
		for name, c := range r.Checks {
			if c.Error != "" {
				t.Errorf("/readyz with %q tells why %s fails: %q", token, name, c.Error)
			}
		}
	}

	resp, err = http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, m := range []string{"go_goroutines", "process_cpu_seconds_total", "hotline_ari_connected 0", "hotline_calls_live"} {
		if !strings.Contains(string(body), m) {
			t.Errorf("/metrics lacks %s", m)
		}
	}
}

// A PostgreSQL restart: /readyz reports the database down while it is, and
// the server recovers by itself when it is back.
func TestServerRecoversWhenPostgreSQLRestarts(t *testing.T) {
	pg := dbtest.StartServer(t)
	cfg := testConfig(t, pg.URL(), "http://"+closedPort(t)+"/ari")
	base := startServer(t, cfg)

	eventually(t, 15*time.Second, "database ready", func() bool {
		_, r := readiness(t, base)
		return r.Checks["database"].OK
	})
	pg.Stop()
	eventually(t, 15*time.Second, "database reported down", func() bool {
		_, r := readiness(t, base)
		return !r.Checks["database"].OK && r.Checks["database"].Error != ""
	})
	pg.Start()
	eventually(t, 20*time.Second, "database ready again", func() bool {
		_, r := readiness(t, base)
		return r.Checks["database"].OK
	})
}
