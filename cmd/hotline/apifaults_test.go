package main

// The API tried as a hostile client would, against the real server: bad
// bytes, made-up calls, far instants, the database stopped and started,
// and random requests over every documented route and role.
//
// The run of 10,000 random requests (with the database up, then as
// many with it stopped), printing the status counts:
//
//	go test ./cmd/hotline -run TestTheAPIUnderAttackAndUnderFaults -api-requests 10000 -v
//
// (make api-fuzz-run does the same.)

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"math/rand/v2"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slobozhanske/hotline/config"
	"github.com/slobozhanske/hotline/internal/dbtest"
	"github.com/slobozhanske/hotline/internal/store"
)

var apiSeed = flag.Uint64("api-seed", 0, "the random requests' seed, to repeat a run (0: a new one, logged)")

var apiRequests = flag.Int("api-requests", 400, "random API requests TestTheAPIUnderAttackAndUnderFaults sends with the database up, and again with it stopped")

// The fault test's users, one per role (their names are what the routes
// check: op101 is an operator of the shipped config).
var faultUsers = map[string]string{
	"admin":      testAdminToken,
	"supervisor": "token-fault-supervisor-0123456789",
	"operator":   "token-fault-op101-0123456789",
	"executor":   "token-fault-vodokanal-0123456789",
}

// logCapture keeps what the server logs that the test looks at: panics,
// and the API's lines about the database.
type logCapture struct {
	mu          sync.Mutex
	panics      []string
	unavailable int      // "database unavailable" lines of the API
	apiErrors   int      // ERROR lines of the API
	errorLines  []string // and what they say
}

func (c *logCapture) Enabled(context.Context, slog.Level) bool { return true }
func (c *logCapture) WithAttrs(as []slog.Attr) slog.Handler {
	return &logView{c: c, attrs: as}
}
func (c *logCapture) WithGroup(string) slog.Handler { return c }
func (c *logCapture) Handle(_ context.Context, r slog.Record) error {
	return c.record(nil, r)
}

func (c *logCapture) record(attrs []slog.Attr, r slog.Record) error {
	api := false
	for _, a := range attrs {
		api = api || a.Key == "component" && a.Value.String() == "api"
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if strings.Contains(r.Message, "panic") {
		c.panics = append(c.panics, r.Message)
	}
	if api && strings.Contains(r.Message, "database unavailable") {
		c.unavailable++
	}
	if api && r.Level >= slog.LevelError {
		c.apiErrors++
		var detail []string
		r.Attrs(func(a slog.Attr) bool { detail = append(detail, a.String()); return true })
		c.errorLines = append(c.errorLines, r.Message+" "+strings.Join(detail, " "))
	}
	return nil
}

type logView struct {
	c     *logCapture
	attrs []slog.Attr
}

func (v *logView) Enabled(context.Context, slog.Level) bool { return true }
func (v *logView) WithAttrs(as []slog.Attr) slog.Handler {
	return &logView{c: v.c, attrs: append(slices.Clone(v.attrs), as...)}
}
func (v *logView) WithGroup(string) slog.Handler { return v }
func (v *logView) Handle(_ context.Context, r slog.Record) error {
	return v.c.record(v.attrs, r)
}

func (c *logCapture) counts() (panics []string, unavailable, apiErrors int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.panics), c.unavailable, c.apiErrors
}

type faultClient struct {
	t    *testing.T
	base string
	http *http.Client
}

type answer struct {
	code   int
	body   string
	header http.Header
	err    error
}

// do sends a request with a raw path and query (escapes as given) as the
// token's holder ("" for none).
func (c *faultClient) do(token, method, rawPath, body string) answer {
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, c.base+rawPath, rd)
	if err != nil {
		return answer{err: err}
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return answer{err: err}
	}
	defer resp.Body.Close()
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		return answer{code: resp.StatusCode, header: resp.Header} // a stream: its status is the answer
	}
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return answer{code: resp.StatusCode, body: string(raw), header: resp.Header, err: err}
}

func (c *faultClient) expect(token, method, path, body string, code int, field string) answer {
	c.t.Helper()
	a := c.do(token, method, path, body)
	var e struct {
		Error struct{ Field string } `json:"error"`
	}
	_ = json.Unmarshal([]byte(a.body), &e)
	if a.err != nil || a.code != code || field != "" && e.Error.Field != field {
		c.t.Errorf("%s %s %.80q: %d %v %.300s, want %d naming %q", method, path, body, a.code, a.err, a.body, code, field)
	}
	return a
}

func TestTheAPIUnderAttackAndUnderFaults(t *testing.T) {
	pg := dbtest.StartServer(t)
	cfg := testConfig(t, pg.URL(), "http://"+closedPort(t)+"/ari")
	for role, token := range faultUsers {
		if role == "admin" {
			continue
		}
		tok := config.Token{User: "fault-" + role, Role: role, Token: config.Secret(token)}
		switch role {
		case "operator":
			tok.User = "op101"
		case "executor":
			tok.User, tok.Executor = "vk1", "vodokanal"
		}
		cfg.API.Tokens = append(cfg.API.Tokens, tok)
	}
	logs := &logCapture{}
	base := startServerLogged(t, cfg, slog.New(logs))
	c := &faultClient{t: t, base: base, http: &http.Client{Timeout: 15 * time.Second}}
	sup, op := faultUsers["supervisor"], faultUsers["operator"]
	// Migrated, and the stored roster, schedule and operators loaded.
	eventually(t, 20*time.Second, "the API answers from the database", func() bool {
		return c.do(sup, "GET", "/api/v1/appeals", "").code == http.StatusOK &&
			c.do(sup, "GET", "/api/v1/escalations", "").code == http.StatusOK &&
			c.do(sup, "GET", "/api/v1/queue/reports/time-in-state", "").code == http.StatusOK &&
			c.do(sup, "DELETE", "/api/v1/schedule/exceptions/1999-01-01", "").code == http.StatusNotFound
	})

	t.Run("bad bytes are a 400 naming the parameter", func(t *testing.T) {
		c := &faultClient{t: t, base: base, http: c.http}
		for _, path := range []string{"/api/v1/appeals/%00", "/api/v1/appeals/2026-%FF", "/api/v1/appeals/00000000-0000-4000-8000-00000000%C3%28",
			"/api/v1/escalations/%00x", "/api/v1/queue/operators/op%00", "/api/v1/duty-roster/shifts/%FF"} {
			c.expect(sup, "GET", path, "", 400, "id")
		}
		for _, q := range []string{"number=%00", "phone=%FF%FE", "address=%E2%80%AE", "status=a%00"} {
			name, _, _ := strings.Cut(q, "=")
			c.expect(sup, "GET", "/api/v1/appeals?"+q, "", 400, name)
		}
		c.expect(sup, "PUT", "/api/v1/queue/operators/op%00", `{"name": "x", "endpoint": "PJSIP/op199", "queues": ["operators"]}`, 400, "id")
		card := `{"surname": "Шевченко", "first_name": "Олена", "essence": "Тече вода%s", "category": "water", "contact_phone": "0501234567", "address": "вул. Центральна, 5"}`
		c.expect(op, "POST", "/api/v1/appeals", fmt.Sprintf(card, "\xff\xfe"), 400, "essence")
		c.expect(op, "POST", "/api/v1/appeals", fmt.Sprintf(card, `\u0000`), 400, "essence")
		c.expect(op, "POST", "/api/v1/appeals", fmt.Sprintf(card, `\u202e`), 400, "essence")
		c.expect(op, "POST", "/api/v1/appeals", strings.Replace(fmt.Sprintf(card, ""), `"category"`, `"essence": "друге", "category"`, 1), 400, "essence")
		c.expect(sup, "PUT", "/api/v1/queue/operators/op199", "{\"name\": \"Оп\xc3\x28\", \"endpoint\": \"PJSIP/op199\", \"queues\": [\"operators\"]}", 400, "name")
	})

	t.Run("answers say what happened", func(t *testing.T) {
		c := &faultClient{t: t, base: base, http: c.http}
		card := `{"surname": "Шевченко", "first_name": "Олена", "essence": "Тече вода", "category": "water", "contact_phone": "0501234567", "address": "вул. Центральна, 5"%s}`
		c.expect(op, "POST", "/api/v1/appeals", fmt.Sprintf(card, `, "call_id": "no-such-call"`), 422, "call_id")
		ctx := context.Background()
		pool, err := store.Open(ctx, pg.URL(), 2)
		if err != nil {
			t.Fatal(err)
		}
		defer pool.Close()
		if _, err := pool.Exec(ctx, `INSERT INTO calls (id, channel_id, arrived_at, ended_at) VALUES ('1700000000.9', 'ch-9', now(), now())`); err != nil {
			t.Fatal(err)
		}
		a := c.expect(op, "POST", "/api/v1/appeals", fmt.Sprintf(card, `, "call_id": "1700000000.9"`), 201, "")
		var created struct{ ID string }
		_ = json.Unmarshal([]byte(a.body), &created)
		// The call ended long ago: nobody is there to hear the number.
		c.expect(op, "POST", "/api/v1/calls/1700000000.9/read-back", fmt.Sprintf(`{"appeal_id": %q}`, created.ID), 409, "call_id")
		c.expect(sup, "GET", "/api/v1/schedule/state?at=9999-12-31T23:59:59Z", "", 400, "at")
		c.expect(sup, "GET", "/api/v1/duty-roster/on-duty?at=9999-12-31T23:59:59Z", "", 400, "at")
	})

	doc := documentedRoutes(t, c)
	seed := *apiSeed
	if seed == 0 {
		seed = uint64(time.Now().UnixNano())
	}
	t.Logf("random requests: seed %d (repeat with -api-seed %[1]d)", seed)
	gen := &requestGen{rnd: rand.New(rand.NewPCG(seed, 1)), doc: doc}

	t.Run("random requests with the database up", func(t *testing.T) {
		counts, bad := fire(c, gen, *apiRequests)
		t.Logf("database up, %d requests: %s", *apiRequests, formatCounts(counts))
		for _, b := range bad {
			t.Errorf("%s", b)
		}
		if len(bad) > 0 {
			logs.mu.Lock()
			t.Logf("the API's ERROR lines:\n%s", strings.Join(logs.errorLines, "\n"))
			logs.mu.Unlock()
		}
	})

	pg.Stop()
	_, unavailableBefore, apiErrorsBefore := logs.counts()
	t.Run("the database away is 503 with Retry-After", func(t *testing.T) {
		c := &faultClient{t: t, base: base, http: c.http}
		for _, path := range []string{"/api/v1/appeals", "/api/v1/appeals/2026-000001", "/api/v1/escalations", "/api/v1/queue/reports/time-in-state",
			"/api/v1/schedule/override/history"} {
			a := c.expect(sup, "GET", path, "", 503, "")
			if a.header.Get("Retry-After") == "" || !strings.Contains(a.body, `"code":"unavailable"`) {
				t.Errorf("GET %s: %v %s", path, a.header, a.body)
			}
		}
		counts, bad := fire(c, gen, *apiRequests)
		t.Logf("database stopped, %d requests: %s", *apiRequests, formatCounts(counts))
		for _, b := range bad {
			t.Errorf("%s", b)
		}
		if counts[503] == 0 {
			t.Error("no request found the database away")
		}
		_, unavailable, apiErrors := logs.counts()
		// One line every few seconds for every API at once (the first may
		// have come while the migrations ran, a moment before).
		if lines := unavailable - unavailableBefore; lines > 2 || unavailable < 1 {
			t.Errorf("%d 503s were logged in %d lines (%d in all), want one every few seconds", counts[503]+5, lines, unavailable)
		}
		if apiErrors != apiErrorsBefore {
			t.Errorf("the API logged %d ERROR lines while the database was away", apiErrors-apiErrorsBefore)
		}
	})

	pg.Start()
	eventually(t, 20*time.Second, "the API answers from the database again", func() bool {
		return c.do(sup, "GET", "/api/v1/appeals", "").code == http.StatusOK
	})
	if panics, _, _ := logs.counts(); len(panics) > 0 {
		t.Errorf("the server panicked: %q", panics)
	}
	metrics := c.do("", "GET", "/metrics", "")
	for _, want := range []string{`hotline_http_requests_total{code="400",method="GET",route="/api/v1/appeals/{id}"}`,
		`hotline_http_requests_total{code="503",method="GET",route="/api/v1/appeals"}`,
		`hotline_http_request_duration_seconds_bucket{route="/api/v1/schedule/state"`} {
		if !strings.Contains(metrics.body, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	if strings.Contains(metrics.body, `route="/api/v1/appeals/2026`) {
		t.Error("/metrics labels a request with its raw path")
	}
}

// startServerLogged is startServer with the server's log going to log.
func startServerLogged(t *testing.T, cfg *config.Config, log *slog.Logger) string {
	t.Helper()
	return startServerWith(t, cfg, log, serveHooks{})
}

// fire sends n random requests from 8 clients at once; bad lists the
// answers the issue rules out: a 5xx other than 503, a connection cut
// (a panic), no answer.
func fire(c *faultClient, gen *requestGen, n int) (counts map[int]int, bad []string) {
	counts = map[int]int{}
	var mu sync.Mutex
	reqs := make(chan randomRequest)
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for rq := range reqs {
				a := c.do(rq.token, rq.method, rq.path, rq.body)
				mu.Lock()
				switch {
				case a.err != nil:
					counts[0]++
					bad = append(bad, fmt.Sprintf("%s: no answer: %v", rq, a.err))
				default:
					counts[a.code]++
					if a.code >= 500 && a.code != http.StatusServiceUnavailable {
						bad = append(bad, fmt.Sprintf("%s: %d %.300s", rq, a.code, a.body))
					}
				}
				mu.Unlock()
			}
		}()
	}
	for range n {
		reqs <- gen.next()
	}
	close(reqs)
	wg.Wait()
	if len(bad) > 20 {
		bad = append(bad[:20], fmt.Sprintf("… and %d more", len(bad)-20))
	}
	return counts, bad
}

func formatCounts(counts map[int]int) string {
	var parts []string
	for _, code := range slices.Sorted(maps.Keys(counts)) {
		parts = append(parts, fmt.Sprintf("%d×%d", code, counts[code]))
	}
	return strings.Join(parts, " ")
}

// docRoute is one documented operation.
type docRoute struct {
	method, path string
	query        []string
	body         map[string]any // the request body's schema, nil for none
}

type openAPIDoc struct {
	Paths map[string]map[string]struct {
		Parameters []struct {
			Name string `json:"name"`
			In   string `json:"in"`
		} `json:"parameters"`
		RequestBody *struct {
			Content map[string]struct {
				Schema map[string]any `json:"schema"`
			} `json:"content"`
		} `json:"requestBody"`
	} `json:"paths"`
	Components struct {
		Schemas map[string]map[string]any `json:"schemas"`
	} `json:"components"`
}

type apiDoc struct {
	routes  []docRoute
	schemas map[string]map[string]any
}

func documentedRoutes(t *testing.T, c *faultClient) *apiDoc {
	t.Helper()
	a := c.do(testAdminToken, "GET", "/api/v1/openapi.json", "")
	var doc openAPIDoc
	if err := json.Unmarshal([]byte(a.body), &doc); err != nil {
		t.Fatalf("the document: %v", err)
	}
	out := &apiDoc{schemas: doc.Components.Schemas}
	for _, path := range slices.Sorted(maps.Keys(doc.Paths)) {
		ops := doc.Paths[path]
		for _, method := range slices.Sorted(maps.Keys(ops)) {
			op := ops[method]
			r := docRoute{method: strings.ToUpper(method), path: path}
			for _, p := range op.Parameters {
				if p.In == "query" {
					r.query = append(r.query, p.Name)
				}
			}
			if op.RequestBody != nil {
				r.body = op.RequestBody.Content["application/json"].Schema
			}
			out.routes = append(out.routes, r)
		}
	}
	if len(out.routes) < 40 {
		t.Fatalf("only %d routes documented", len(out.routes))
	}
	return out
}

type randomRequest struct {
	token, method, path, body string
}

func (r randomRequest) String() string {
	role := "nobody"
	for name, tok := range faultUsers {
		if tok == r.token {
			role = name
		}
	}
	return fmt.Sprintf("%s %s as %s, body %.200q", r.method, r.path, role, r.body)
}

// requestGen makes random requests: a documented route (now and then
// another method), a role (now and then none or a wrong token), path
// wildcards and query values good, odd and hostile, and a body built from
// the route's schema, now and then broken.
type requestGen struct {
	mu  sync.Mutex
	rnd *rand.Rand
	doc *apiDoc
}

var (
	wildcardValues = []string{"00000000-0000-4000-8000-000000000000", "2026-000001", "2026000001", "op101", "op102", "op999",
		"2026-12-31", "2026-02-30", "1700000000.9", "x", "%00", "%FF", "a%E2%80%AEb", "%C3%28", "%2F", "..", "%20",
		strings.Repeat("9", 300), "'%3B%20DROP%20TABLE%20calls%3B--", "%D0%B2%D0%BE%D0%B4%D0%B0"}
	queryValues = []string{"", "1", "-1", "0", "500", "501", "99999999999999999999", "true", "yes", "2026-W47", "2026-W99",
		"2026-11-23", "2026-11-23T10:00:00%2B02:00", "9999-12-31T23:59:59Z", "0000-01-01T00:00:00Z", "registered,closed",
		"active", "water", "vodokanal", "%00", "%FF%FE", "%E2%80%AE", "%zz", "%D0%B2%D1%83%D0%BB"}
	stringValues = []string{"", "x", "Вода тече", "op101", "PJSIP/op104", "vodokanal", "water", "sos", "phone", "closed", "open",
		"accepted", "2026-000001", "2026-12-31", "08:00", "25:00", "2026-11-23T10:00:00+02:00", "9999-12-31T23:59:59Z",
		"0000-01-01T00:00:00Z", "00000000-0000-4000-8000-000000000000", "0501234567", "+380501234567", "a@b.c",
		strings.Repeat("я", 3000), "a\x00b", "\u202eabc", "x\u2066y", "\x1b[31m", "\ufffd", "'; DROP TABLE calls;--"}
	methods = []string{"GET", "POST", "PUT", "PATCH", "DELETE"}
)

func (g *requestGen) next() randomRequest {
	g.mu.Lock()
	defer g.mu.Unlock()
	rt := g.doc.routes[g.rnd.IntN(len(g.doc.routes))]
	rq := randomRequest{method: rt.method}
	if g.rnd.IntN(10) == 0 {
		rq.method = methods[g.rnd.IntN(len(methods))]
	}
	switch n := g.rnd.IntN(20); {
	case n == 0:
	case n == 1:
		rq.token = "not-a-token-0123456789"
	default:
		roles := slices.Sorted(maps.Keys(faultUsers))
		rq.token = faultUsers[roles[g.rnd.IntN(len(roles))]]
	}
	rq.path = regexp.MustCompile(`\{[a-z_]+\}`).ReplaceAllStringFunc(rt.path, func(string) string {
		return wildcardValues[g.rnd.IntN(len(wildcardValues))]
	})
	var query []string
	for _, name := range rt.query {
		if g.rnd.IntN(2) == 0 {
			query = append(query, name+"="+queryValues[g.rnd.IntN(len(queryValues))])
		}
	}
	if g.rnd.IntN(15) == 0 {
		query = append(query, "stauts=1")
	}
	if len(query) > 0 {
		rq.path += "?" + strings.Join(query, "&")
	}
	if rt.body != nil && g.rnd.IntN(12) != 0 {
		b, _ := json.Marshal(g.value(rt.body, 0))
		rq.body = g.mutate(string(b))
	}
	return rq
}

// value is a random value of the schema.
func (g *requestGen) value(s map[string]any, depth int) any {
	if ref, ok := s["$ref"].(string); ok {
		return g.value(g.doc.schemas[strings.TrimPrefix(ref, "#/components/schemas/")], depth)
	}
	if depth > 5 {
		return nil
	}
	if enum, ok := s["enum"].([]any); ok && g.rnd.IntN(4) != 0 {
		return enum[g.rnd.IntN(len(enum))]
	}
	switch s["type"] {
	case "object":
		props, _ := s["properties"].(map[string]any)
		out := map[string]any{}
		for _, name := range slices.Sorted(maps.Keys(props)) {
			if g.rnd.IntN(10) < 7 {
				p, _ := props[name].(map[string]any)
				out[name] = g.value(p, depth+1)
			}
		}
		if g.rnd.IntN(20) == 0 {
			out["colour"] = "red"
		}
		return out
	case "array":
		items, _ := s["items"].(map[string]any)
		out := []any{}
		for range g.rnd.IntN(4) {
			out = append(out, g.value(items, depth+1))
		}
		return out
	case "integer":
		return []any{0, 1, -1, 2, 42, 2026, 1 << 40, "1"}[g.rnd.IntN(8)]
	case "number":
		return []any{0.5, -1e300, 3}[g.rnd.IntN(3)]
	case "boolean":
		return g.rnd.IntN(2) == 0
	}
	if g.rnd.IntN(25) == 0 {
		return []any{nil, 7, true, []any{}}[g.rnd.IntN(4)]
	}
	return stringValues[g.rnd.IntN(len(stringValues))]
}

// mutate breaks a body now and then the ways a hostile client would.
func (g *requestGen) mutate(body string) string {
	switch g.rnd.IntN(12) {
	case 0: // invalid UTF-8 inside a string
		if i := strings.Index(body, `":"`); i >= 0 {
			return body[:i+3] + "\xff\xfe" + body[i+3:]
		}
	case 1: // a key given twice
		if i := strings.Index(body, `{"`); i >= 0 {
			if j := strings.Index(body[i:], `,`); j > 0 {
				return body[:i+j] + "," + body[i+1:i+j] + body[i+j:]
			}
		}
	case 2: // cut short
		return body[:g.rnd.IntN(len(body)+1)]
	case 3: // trailing data
		return body + ` {}`
	case 4: // not an object
		return []string{"null", "[]", `"x"`, "1", "{", "\x00"}[g.rnd.IntN(6)]
	case 5: // deep nesting
		return strings.Repeat("[", 5000) + strings.Repeat("]", 5000)
	}
	return body
}
