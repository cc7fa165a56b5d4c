package httpapi_test

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/slobozhanske/hotline/internal/api"
	"github.com/slobozhanske/hotline/internal/apiauth"
	"github.com/slobozhanske/hotline/internal/dbtest"
	callrecordpg "github.com/slobozhanske/hotline/telephony/callrecord/pgstore"
	"github.com/slobozhanske/hotline/telephony/queue"
	"github.com/slobozhanske/hotline/telephony/queue/httpapi"
	queuepg "github.com/slobozhanske/hotline/telephony/queue/pgstore"
)

// testTokens are the test users' bearer tokens; each reads "<user> <role>".
func testTokens(t *testing.T) *apiauth.Tokens {
	t.Helper()
	var list []apiauth.Token
	for _, tok := range []string{supervisor, op101, "op102 operator"} {
		user, role, _ := strings.Cut(tok, " ")
		list = append(list, apiauth.Token{User: user, Role: role, Token: tok})
	}
	tokens, err := apiauth.NewTokens(list, nil)
	if err != nil {
		t.Fatal(err)
	}
	return tokens
}

func newEnv(t *testing.T) (*queue.Dispatcher, *queuepg.Store, *httptest.Server) {
	t.Helper()
	pool := dbtest.NewPool(t)
	store := queuepg.New(pool)
	fromConfig := []queue.Operator{
		{ID: "op101", Name: "Ганна", Endpoint: "PJSIP/op101", Queues: []string{"operators", "appeals"}},
		{ID: "op102", Name: "Петро", Endpoint: "PJSIP/op102", Queues: []string{"operators"}},
	}
	d, err := queue.New(queue.Config{
		Queues:    []queue.QueueConfig{{Name: "operators", Title: "Оператори"}, {Name: "appeals"}},
		Operators: fromConfig,
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	queueAPI, err := httpapi.New(ctx, httpapi.Config{Dispatcher: d, Roster: queue.NewRoster(d, store, fromConfig, quiet),
		Reports: store, Calls: callrecordpg.NewHistory(pool), Log: quiet, Heartbeat: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	h, err := api.New(api.Config{Auth: testTokens(t), Log: quiet}, queueAPI.Routes())
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(func() { cancel(); srv.Close() })
	_, _ = pool.Exec(context.Background(), `INSERT INTO calls (id, channel_id, caller_number, arrived_at, outcome, appeal_number)
		VALUES ('earlier', 'ch-e', '0501234567', now() - interval '3 days', 'message_left', '2026-000042')`)
	return d, store, srv
}

type response struct {
	code int
	body map[string]any
	list []any
}

// errorField is the field an error answer names ({"error": {"field": …}});
// "" when it names none.
func (r response) errorField() string {
	e, _ := r.body["error"].(map[string]any)
	f, _ := e["field"].(string)
	return f
}

func call(t *testing.T, srv *httptest.Server, user, method, path, body string) response {
	t.Helper()
	req, err := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if user != "" {
		req.Header.Set("Authorization", "Bearer "+user)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	r := response{code: resp.StatusCode}
	if len(raw) > 0 && raw[0] == '[' {
		_ = json.Unmarshal(raw, &r.list)
	} else if len(raw) > 0 {
		if err := json.Unmarshal(raw, &r.body); err != nil {
			t.Fatalf("%s %s: not JSON: %s", method, path, raw)
		}
	}
	return r
}

const (
	supervisor = "olena supervisor"
	op101      = "op101 operator"
)

func TestSupervisorsAddChangeAndRemoveOperators(t *testing.T) {
	d, store, srv := newEnv(t)
	r := call(t, srv, supervisor, "POST", "/api/v1/queue/operators",
		`{"id":"op103","name":"Ірина","endpoint":"PJSIP/op103","queues":["operators"],"skills":{"law":1}}`)
	if r.code != http.StatusCreated || r.body["state"] != "logged_out" {
		t.Fatalf("create: %d %v", r.code, r.body)
	}
	if r := call(t, srv, supervisor, "POST", "/api/v1/queue/operators", `{"id":"op103","endpoint":"PJSIP/x"}`); r.code != http.StatusConflict {
		t.Fatalf("creating it again: %d %v", r.code, r.body)
	}
	r = call(t, srv, supervisor, "PUT", "/api/v1/queue/operators/op103", `{"name":"Ірина К.","endpoint":"PJSIP/op103","queues":["appeals"]}`)
	if r.code != http.StatusOK || r.body["name"] != "Ірина К." {
		t.Fatalf("change: %d %v", r.code, r.body)
	}
	if o, _ := d.Operator("op103"); len(o.Queues) != 1 || o.Queues[0] != "appeals" {
		t.Fatalf("dispatcher has %+v", o.Operator)
	}
	// The database has the change, for the next start.
	rows, err := store.Operators(context.Background())
	if err != nil || len(rows) != 1 || rows[0].Name != "Ірина К." || rows[0].UpdatedBy != "olena" {
		t.Fatalf("stored %+v %v", rows, err)
	}
	r = call(t, srv, supervisor, "GET", "/api/v1/queue/operators", "")
	if r.code != http.StatusOK || len(r.list) != 3 {
		t.Fatalf("list: %d %v", r.code, r.list)
	}
	// An operator on a call cannot be removed.
	d.Login("op102")
	w, _ := d.Join(queue.JoinRequest{CallID: "c1", Queue: "operators"})
	if r := call(t, srv, supervisor, "DELETE", "/api/v1/queue/operators/op102", ""); r.code != http.StatusConflict {
		t.Fatalf("removing a ringing operator: %d %v", r.code, r.body)
	}
	w.Leave(queue.OutcomeAbandoned)
	for _, o := range w.TakeOffers() {
		w.Decline(o, queue.FailRevoked)
	}
	if r := call(t, srv, supervisor, "DELETE", "/api/v1/queue/operators/op102", ""); r.code != http.StatusNoContent {
		t.Fatalf("remove: %d %v", r.code, r.body)
	}
	if r := call(t, srv, supervisor, "GET", "/api/v1/queue/operators/op102", ""); r.code != http.StatusNotFound {
		t.Fatalf("removed operator: %d", r.code)
	}
	rows, _ = store.Operators(context.Background())
	merged, _ := queue.MergeOperators([]queue.Operator{{ID: "op102", Endpoint: "PJSIP/op102"}}, rows, []string{"operators"})
	for _, o := range merged {
		if o.ID == "op102" {
			t.Fatal("op102 from the config file comes back after a restart")
		}
	}
}

func TestMalformedInputIsA400NamingTheField(t *testing.T) {
	_, _, srv := newEnv(t)
	cases := []struct {
		method, path, body, field string
	}{
		{"POST", "/api/v1/queue/operators", `{"id":"op9","endpoint":"PJSIP/op9","queues":"operators"}`, "queues"},
		{"POST", "/api/v1/queue/operators", `{"id":"op9","endpoint":"PJSIP/op9","colour":"red"}`, "colour"},
		{"POST", "/api/v1/queue/operators", `{"id":"op9","endpoint":"op9"}`, "endpoint"},
		{"POST", "/api/v1/queue/operators", `{"id":"Op 9","endpoint":"PJSIP/op9"}`, "id"},
		{"POST", "/api/v1/queue/operators", `{"endpoint":"PJSIP/op9"}`, "id"},
		{"POST", "/api/v1/queue/operators", `{"id":"op9","endpoint":"PJSIP/op9","queues":["nope"]}`, "queues"},
		{"POST", "/api/v1/queue/operators", `{"id":"op9","endpoint":"PJSIP/op101"}`, "endpoint"},
		{"POST", "/api/v1/queue/operators", `{"id":"op9","endpoint":"PJSIP/op9","skills":{"law":-1}}`, "skills.law"},
		{"POST", "/api/v1/queue/operators", `{"id":"op9",`, ""}, // the body as a whole: no field
		{"POST", "/api/v1/queue/operators", ``, ""},
		{"PUT", "/api/v1/queue/operators/op9", `{"id":"op10","endpoint":"PJSIP/op10"}`, "id"},
		{"POST", "/api/v1/queue/operators/op101/pause", `{"reason":"nap"}`, "reason"},
		{"POST", "/api/v1/queue/calls/c1/transfer", `{"to":"elsewhere"}`, "to"},
		{"POST", "/api/v1/queue/calls/c1/transfer", `{"to":"queue"}`, "queue"},
		{"GET", "/api/v1/queue/reports/time-in-state?from=yesterday", ``, "from"},
	}
	for _, c := range cases {
		r := call(t, srv, supervisor, c.method, c.path, c.body)
		if r.code != http.StatusBadRequest || r.errorField() != c.field {
			t.Errorf("%s %s %s: %d %v, want 400 naming %q", c.method, c.path, c.body, r.code, r.body, c.field)
		}
	}
}

func TestOperatorsChangeOnlyTheirOwnState(t *testing.T) {
	d, _, srv := newEnv(t)
	if r := call(t, srv, op101, "POST", "/api/v1/queue/operators/op101/login", ""); r.code != http.StatusOK || r.body["state"] != "available" {
		t.Fatalf("op101 logs in: %d %v", r.code, r.body)
	}
	r := call(t, srv, op101, "POST", "/api/v1/queue/operators/op101/pause", `{"reason":"lunch"}`)
	if r.code != http.StatusOK || r.body["state"] != "paused" || r.body["reason"] != "lunch" {
		t.Fatalf("op101 pauses for lunch: %d %v", r.code, r.body)
	}
	if r := call(t, srv, op101, "POST", "/api/v1/queue/operators/op102/login", ""); r.code != http.StatusForbidden {
		t.Fatalf("op101 logs op102 in: %d", r.code)
	}
	if r := call(t, srv, op101, "GET", "/api/v1/queue/snapshot", ""); r.code != http.StatusForbidden {
		t.Fatalf("op101 reads the supervisors' snapshot: %d", r.code)
	}
	if r := call(t, srv, "", "POST", "/api/v1/queue/operators/op101/unpause", ""); r.code != http.StatusUnauthorized {
		t.Fatalf("no credentials: %d", r.code)
	}
	if r := call(t, srv, supervisor, "POST", "/api/v1/queue/operators/op102/pause", ""); r.code != http.StatusConflict {
		t.Fatalf("pausing a logged-out operator: %d %v", r.code, r.body)
	}
	if r := call(t, srv, supervisor, "POST", "/api/v1/queue/operators/op101/unpause", ""); r.code != http.StatusOK {
		t.Fatalf("supervisor unpauses op101: %d", r.code)
	}
	if s, _ := d.Operator("op101"); s.State != queue.Available {
		t.Fatalf("op101 is %s", s.State)
	}
}

func TestTheOperatorSeesTheCallRingingWithTheCallersEarlierCalls(t *testing.T) {
	d, _, srv := newEnv(t)
	d.Login("op101")
	if _, err := d.Join(queue.JoinRequest{CallID: "now", CallerNumber: "0501234567", Queue: "operators"}); err != nil {
		t.Fatal(err)
	}
	r := call(t, srv, op101, "GET", "/api/v1/queue/operators/op101/call", "")
	if r.code != http.StatusOK {
		t.Fatalf("%d %v", r.code, r.body)
	}
	c, _ := r.body["call"].(map[string]any)
	if c["call_id"] != "now" || c["caller_number"] != "0501234567" || c["offer_id"] == "" {
		t.Fatalf("call %v", r.body["call"])
	}
	earlier, _ := r.body["earlier_calls"].([]any)
	if len(earlier) != 1 || earlier[0].(map[string]any)["appeal_number"] != "2026-000042" {
		t.Fatalf("earlier calls %v", r.body["earlier_calls"])
	}
	r = call(t, srv, "op102 operator", "GET", "/api/v1/queue/operators/op102/call", "")
	if r.code != http.StatusOK || r.body["call"] != nil {
		t.Fatalf("op102 has no call: %d %v", r.code, r.body)
	}
}

func TestSupervisorsSeeCallersWaitingAndOperatorsByState(t *testing.T) {
	d, _, srv := newEnv(t)
	d.Login("op101")
	d.Pause("op101", queue.ReasonBreak)
	for _, id := range []string{"a", "b"} {
		if _, err := d.Join(queue.JoinRequest{CallID: id, CallerNumber: "050" + id, Queue: "operators"}); err != nil {
			t.Fatal(err)
		}
	}
	r := call(t, srv, supervisor, "GET", "/api/v1/queue/queues/operators", "")
	if r.code != http.StatusOK {
		t.Fatalf("%d %v", r.code, r.body)
	}
	waiting, _ := r.body["waiting"].([]any)
	if len(waiting) != 2 || waiting[1].(map[string]any)["position"] != 2.0 {
		t.Fatalf("waiting %v", r.body["waiting"])
	}
	ops := r.body["operators"].(map[string]any)
	if ops["paused"] != 1.0 || ops["logged_out"] != 1.0 {
		t.Fatalf("operators by state %v", ops)
	}
	if r := call(t, srv, supervisor, "GET", "/api/v1/queue/queues/nope", ""); r.code != http.StatusNotFound {
		t.Fatalf("unknown queue: %d", r.code)
	}
	if r := call(t, srv, supervisor, "GET", "/api/v1/queue/snapshot", ""); r.code != http.StatusOK || len(r.body["queues"].([]any)) != 2 {
		t.Fatalf("snapshot: %d %v", r.code, r.body)
	}
}

func TestATransferIsPassedToTheCall(t *testing.T) {
	d, _, srv := newEnv(t)
	d.Login("op101")
	w, _ := d.Join(queue.JoinRequest{CallID: "c1", Queue: "operators"})
	o := w.TakeOffers()[0]
	if err := w.Accept(o); err != nil {
		t.Fatal(err)
	}
	if r := call(t, srv, "op102 operator", "POST", "/api/v1/queue/calls/c1/transfer", `{"to":"menu"}`); r.code != http.StatusForbidden {
		t.Fatalf("op102 transfers op101's call: %d", r.code)
	}
	if r := call(t, srv, op101, "POST", "/api/v1/queue/calls/c1/transfer", `{"to":"queue","queue":"appeals"}`); r.code != http.StatusAccepted {
		t.Fatalf("op101 transfers their call: %d %v", r.code, r.body)
	}
	ev := w.TakeEvents()
	if len(ev) != 1 || ev[0].Transfer.Queue != "appeals" || ev[0].By != "op101" {
		t.Fatalf("the call got %+v", ev)
	}
	if r := call(t, srv, supervisor, "POST", "/api/v1/queue/calls/gone/transfer", `{"to":"menu"}`); r.code != http.StatusNotFound {
		t.Fatalf("unknown call: %d", r.code)
	}
}

func TestAnOperatorsEventStreamShowsOffersAndStateChanges(t *testing.T) {
	d, _, srv := newEnv(t)
	req, _ := http.NewRequest("GET", srv.URL+"/api/v1/queue/operators/op101/events", nil)
	req.Header.Set("Authorization", "Bearer "+op101)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	resp, err := http.DefaultClient.Do(req.WithContext(ctx))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("content type %q", ct)
	}
	events := make(chan [2]string, 32)
	go func() {
		sc := bufio.NewScanner(resp.Body)
		var kind string
		for sc.Scan() {
			line := sc.Text()
			if k, ok := strings.CutPrefix(line, "event: "); ok {
				kind = k
			}
			if data, ok := strings.CutPrefix(line, "data: "); ok {
				events <- [2]string{kind, data}
			}
		}
		close(events)
	}()
	next := func() (string, map[string]any) {
		t.Helper()
		select {
		case e, ok := <-events:
			if !ok {
				t.Fatal("stream ended")
			}
			var m map[string]any
			_ = json.Unmarshal([]byte(e[1]), &m)
			return e[0], m
		case <-ctx.Done():
			t.Fatal("no event")
		}
		return "", nil
	}
	if k, m := next(); k != "snapshot" || m["state"] != "logged_out" {
		t.Fatalf("first event %s %v", k, m)
	}
	d.Login("op102") // someone else's: not on op101's stream
	d.Login("op101")
	if k, m := next(); k != "state" || m["state"] != "available" || m["operator_id"] != "op101" {
		t.Fatalf("after login: %s %v", k, m)
	}
	d.Join(queue.JoinRequest{CallID: "c1", CallerNumber: "0501234567", Queue: "appeals"})
	k1, _ := next()
	k2, m := next()
	if k1 != "state" || k2 != "offer" || m["call"].(map[string]any)["caller_number"] != "0501234567" {
		t.Fatalf("after a caller joined: %s, %s %v", k1, k2, m)
	}
}

func TestTimeInStateReport(t *testing.T) {
	_, _, srv := newEnv(t)
	r := call(t, srv, supervisor, "GET", "/api/v1/queue/reports/time-in-state?from=2026-11-23T08:00:00%2B02:00&to=2026-11-23T17:00:00%2B02:00", "")
	if r.code != http.StatusOK || r.body["operators"] == nil {
		t.Fatalf("%d %v", r.code, r.body)
	}
}
