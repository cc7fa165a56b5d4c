package main

import (
	"encoding/json"
	"io"
	"maps"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil/promlint"
)

// The server's /api/v1/openapi.json documents every route of every API,
// and every route it documents is served: each documented operation reaches
// its handler, and no other method of a documented path does.
func TestEveryServedRouteIsDocumentedAndEveryDocumentedRouteServed(t *testing.T) {
	r := startRig(t, mondayMorning, nil)
	probe := func(method, path string) (int, string) {
		t.Helper()
		req, err := http.NewRequest(method, r.base+path, strings.NewReader(""))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+flowSupervisorToken)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("%s %s: %v", method, path, err)
		}
		defer resp.Body.Close()
		if strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
			return resp.StatusCode, "" // an event stream: it reached its handler, which never ends
		}
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
		return resp.StatusCode, string(body)
	}
	code, raw := probe("GET", "/api/v1/openapi.json")
	var doc struct {
		Paths map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal([]byte(raw), &doc); code != http.StatusOK || err != nil {
		t.Fatalf("the document: %d %v %.300s", code, err, raw)
	}
	// Each API is there: the README's HTTP API table.
	for _, prefix := range []string{"/api/v1/appeals", "/api/v1/calls/", "/api/v1/queue/", "/api/v1/duty-roster", "/api/v1/escalations", "/api/v1/schedule/"} {
		if !slices.ContainsFunc(slices.Collect(maps.Keys(doc.Paths)), func(p string) bool { return strings.HasPrefix(p, prefix) }) {
			t.Errorf("no route under %s is documented", prefix)
		}
	}
	// The routes the issue named, each documented with its roles and the
	// database's 503.
	var described struct {
		Paths map[string]map[string]struct {
			Description string                     `json:"description"`
			Responses   map[string]json.RawMessage `json:"responses"`
		} `json:"paths"`
	}
	if err := json.Unmarshal([]byte(raw), &described); err != nil {
		t.Fatal(err)
	}
	ops := described.Paths
	for _, want := range []string{"GET /api/v1/queue/snapshot", "POST /api/v1/queue/operators", "POST /api/v1/queue/operators/{id}/pause",
		"GET /api/v1/queue/operators/{id}/events", "GET /api/v1/queue/events", "POST /api/v1/queue/calls/{call_id}/transfer",
		"GET /api/v1/queue/reports/time-in-state", "GET /api/v1/reports/overdue", "PUT /api/v1/duty-roster", "GET /api/v1/escalations/{id}",
		"POST /api/v1/escalations/{id}/cancel", "GET /api/v1/schedule/state", "PUT /api/v1/schedule/override",
		"POST /api/v1/calls/{call_id}/read-back", "POST /api/v1/appeals"} {
		method, path, _ := strings.Cut(want, " ")
		op, ok := ops[path][strings.ToLower(method)]
		if !ok {
			t.Errorf("%s is not documented", want)
			continue
		}
		if !strings.HasPrefix(op.Description, "Roles: ") || op.Responses["503"] == nil {
			t.Errorf("%s: roles %q, 503 documented %v", want, op.Description, op.Responses["503"] != nil)
		}
	}
	for path, byMethod := range ops {
		for method, op := range byMethod {
			if op.Responses["503"] == nil {
				t.Errorf("%s %s does not document the database's 503", method, path)
			}
		}
	}
	param := regexp.MustCompile(`\{[a-z_]+\}`)
	for path, ops := range doc.Paths {
		concrete := param.ReplaceAllString(path, "no-such-thing")
		for _, method := range []string{"GET", "POST", "PUT", "PATCH", "DELETE"} {
			_, documented := ops[strings.ToLower(method)]
			code, body := probe(method, concrete)
			unrouted := code == http.StatusMethodNotAllowed || strings.Contains(body, "no such endpoint")
			if documented && unrouted {
				t.Errorf("%s %s is documented but not served: %d %s", method, path, code, body)
			}
			if !documented && !unrouted {
				t.Errorf("%s %s is served but not documented: %d %s", method, path, code, body)
			}
		}
	}
	if code, body := probe("GET", "/api/v1/nowhere"); code != http.StatusNotFound || !strings.Contains(body, "no such endpoint") {
		t.Errorf("an unknown path: %d %s", code, body)
	}

	// Every route has been called: /metrics holds a series per route, and
	// stays clean for `promtool check metrics` (the same linter).
	code, metrics := probe("GET", "/metrics")
	if code != http.StatusOK || !strings.Contains(metrics, `hotline_http_requests_total{code="`) ||
		!strings.Contains(metrics, `route="/api/v1/queue/calls/{call_id}/transfer"`) {
		t.Fatalf("/metrics: %d, no route series", code)
	}
	problems, err := promlint.New(strings.NewReader(metrics)).Lint()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("promtool check metrics: %s: %s", p.Metric, p.Text)
	}
}
