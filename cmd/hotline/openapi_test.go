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
}
