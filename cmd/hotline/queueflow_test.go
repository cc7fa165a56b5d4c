package main

// End-to-end tests of the operator queue through the real `serve` code path:
// an operator logs in from their softphone with a feature code, a resident
// presses 0 and is put through to them, the operator sees the call in the
// API, and the records and the operator's state changes reach PostgreSQL.

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/slobozhanske/hotline/config"
	"github.com/slobozhanske/hotline/internal/dbtest"
	"github.com/slobozhanske/hotline/internal/store"
	"github.com/slobozhanske/hotline/telephony/aritest"
)

// Tokens of the queue tests' API users: op101 is an operator (the user name
// is the operator id), boss a supervisor.
const (
	op101Token = "token-op101-0123456789"
	bossToken  = "token-boss-0123456789"
)

// queueRig is a server whose operators' phones exist in the ARI test
// server before it connects, as pjsip.conf's endpoints do in Asterisk.
type queueRig struct {
	t    *testing.T
	ari  *aritest.Server
	pool *pgxpool.Pool
	base string
	cfg  *config.Config
}

func startQueueRig(t *testing.T, at time.Time, online ...string) *queueRig {
	t.Helper()
	srv := aritest.Start(t, aritest.Options{TimeScale: 0.01, Language: "uk", EventBuffer: 1 << 15})
	for i := 101; i <= 105; i++ {
		id := "op" + strconv.Itoa(i)
		state := aritest.EndpointOffline
		if slices.Contains(online, id) {
			state = aritest.EndpointOnline
		}
		if err := srv.SetEndpointState("PJSIP", id, state); err != nil {
			t.Fatal(err)
		}
	}
	dbURL := dbtest.NewDatabase(t)
	cfg := testConfig(t, dbURL, srv.URL())
	cfg.ARI.Username, cfg.ARI.Password = srv.Username(), config.Secret(srv.Password())
	cfg.SIP.ProbeTarget = ""
	for name, n := range cfg.Menu.Nodes {
		n.FirstKeyTimeout, n.InterKeyTimeout = 300*time.Millisecond, 200*time.Millisecond
		cfg.Menu.Nodes[name] = n
	}
	for i := range cfg.Queues {
		// Real seconds: the dispatcher runs on the wall clock.
		cfg.Queues[i].RingTimeout, cfg.Queues[i].WrapUp, cfg.Queues[i].AnnounceEvery = 2*time.Second, 50*time.Millisecond, 200*time.Millisecond
	}
	cfg.API.Tokens = []config.Token{
		{User: "op101", Role: "operator", Token: op101Token},
		{User: "boss", Role: "supervisor", Token: bossToken},
	}
	base := startServerAt(t, cfg, func() time.Time { return at })
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.WaitAppConnected(ctx, cfg.ARI.Application); err != nil {
		t.Fatalf("the server did not connect to ARI: %v", err)
	}
	// Calls placed before the app has listed the channels already in Stasis
	// (re-adoption after connecting) would be taken for leftovers.
	for !slices.ContainsFunc(srv.Requests(), func(rq aritest.RequestRecord) bool {
		return rq.Method == "GET" && rq.Path == "/applications/"+cfg.ARI.Application
	}) {
		if ctx.Err() != nil {
			t.Fatal("the app never listed its channels")
		}
		time.Sleep(5 * time.Millisecond)
	}
	pool, err := store.Open(context.Background(), dbURL, 4)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	r := &queueRig{t: t, ari: srv, pool: pool, base: base, cfg: cfg}
	// The operators are loaded from the database once the migrations ran;
	// until then a feature code would find them too, but wait so the test
	// does not race the restore of their presence.
	r.eventually(10*time.Second, "the queue API answers", func() bool {
		var ops []json.RawMessage
		return r.api("GET", "/api/v1/queue/operators", bossToken, nil, &ops) == http.StatusOK && len(ops) == 5
	})
	return r
}

// feature dials a feature code from an operator's phone and returns the
// prompt the server answered with.
func (r *queueRig) feature(ctx context.Context, op, exten, name string) string {
	r.t.Helper()
	p, err := r.ari.Dial(ctx, aritest.DialOptions{App: "hotline", Args: []string{"feature", name},
		Caller: strings.TrimPrefix(op, "op"), Exten: exten, Context: "operators", Endpoint: "PJSIP/" + op, Language: "uk"})
	if err != nil {
		r.t.Fatalf("dial %s from %s: %v", exten, op, err)
	}
	h, err := p.WaitForPlayback(ctx, "sound:hotline/agent-")
	if err != nil {
		r.t.Fatalf("%s from %s: no confirmation prompt: %v", exten, op, err)
	}
	if _, err := p.WaitEnded(ctx); err != nil {
		r.t.Fatalf("%s from %s: the server did not hang up after the prompt: %v", exten, op, err)
	}
	return h.MediaURI
}

func (r *queueRig) api(method, path, token string, body any, out any) int {
	r.t.Helper()
	var rd *strings.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = strings.NewReader(string(b))
	} else {
		rd = strings.NewReader("")
	}
	req, _ := http.NewRequest(method, r.base+path, rd)
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		r.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	if out != nil && resp.StatusCode < 300 {
		if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
			r.t.Fatalf("%s %s: decode: %v", method, path, err)
		}
	}
	return resp.StatusCode
}

func (r *queueRig) eventually(within time.Duration, what string, cond func() bool) {
	r.t.Helper()
	eventually(r.t, within, what, cond)
}

func (r *queueRig) operatorState(id string) string {
	var op struct {
		State string `json:"state"`
	}
	if code := r.api("GET", "/api/v1/queue/operators/"+id, bossToken, nil, &op); code != http.StatusOK {
		r.t.Fatalf("GET operator %s: %d", id, code)
	}
	return op.State
}

func TestAnOperatorLogsInWithAFeatureCodeAndTakesTheCallOfAResidentWhoPresses0(t *testing.T) {
	r := startQueueRig(t, mondayMorning, "op101")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	if got := r.feature(ctx, "op101", "*41", "login"); got != "sound:hotline/agent-logged-in" {
		t.Fatalf("*41 answered with %s", got)
	}
	r.eventually(5*time.Second, "op101 available after *41", func() bool { return r.operatorState("op101") == "available" })

	r.ari.SetPhone("PJSIP/op101", aritest.PhoneBehavior{Outcome: aritest.Answer, After: 2 * time.Second})
	resident, err := r.ari.Dial(ctx, aritest.DialOptions{App: "hotline", Caller: "0501234567", Exten: "1580", Language: "uk"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := resident.WaitForPlayback(ctx, "sound:hotline/main-menu"); err != nil {
		t.Fatal(err)
	}
	if err := resident.Press("0"); err != nil {
		t.Fatal(err)
	}
	phone, err := r.ari.WaitOutbound(ctx, "PJSIP/op101")
	if err != nil {
		t.Fatalf("the operator's phone never rang: %v", err)
	}
	if st := phone.Snapshot(); st.Caller != "0501234567" {
		t.Errorf("the operator's phone shows %q, want the resident's number", st.Caller)
	}
	if err := resident.WaitBridgedWith(ctx, phone); err != nil {
		t.Fatalf("resident and operator not bridged: %v", err)
	}

	// The operator sees whom they talk to, and how the caller got there.
	var call struct {
		Call *struct {
			CallID       string `json:"call_id"`
			CallerNumber string `json:"caller_number"`
			Queue        string `json:"queue"`
		} `json:"call"`
		MenuPath []struct {
			Kind, Node, Key string
		} `json:"menu_path"`
	}
	// (The menu path is read from the call's events, written a moment after they happen.)
	pressed0 := func() bool {
		return slices.ContainsFunc(call.MenuPath, func(s struct{ Kind, Node, Key string }) bool { return s.Key == "0" })
	}
	r.eventually(5*time.Second, "op101's call in the API with the 0 pressed in its menu path", func() bool {
		return r.api("GET", "/api/v1/queue/operators/op101/call", op101Token, nil, &call) == http.StatusOK && call.Call != nil && pressed0()
	})
	if call.Call.CallerNumber != "0501234567" || call.Call.Queue != "operators" {
		t.Errorf("op101's call = %+v", *call.Call)
	}
	if st := r.operatorState("op101"); st != "on_call" {
		t.Errorf("op101 is %s while talking", st)
	}
	// An operator may not look at another operator's call.
	if code := r.api("GET", "/api/v1/queue/operators/op102/call", op101Token, nil, nil); code != http.StatusForbidden {
		t.Errorf("op101 reading op102's call: %d, want 403", code)
	}

	// The operator registers the resident's appeal while they talk: the card
	// is linked to this call and its number is read into the conversation,
	// so the resident hears it as confirmation (the operator hears it too).
	var created struct {
		ID     string `json:"id"`
		Number string `json:"number"`
		Calls  []struct {
			CallID string `json:"call_id"`
		} `json:"calls"`
		ReadBack *struct {
			CallID string `json:"call_id"`
			Digits string `json:"digits"`
			Done   bool   `json:"done"`
			Error  string `json:"error"`
		} `json:"read_back"`
	}
	code := r.api("POST", "/api/v1/appeals", op101Token, map[string]any{
		"surname": "Петренко", "first_name": "Олена", "patronymic": "Іванівна",
		"address": "вул. Центральна, 5", "contact_phone": "0501234567",
		"essence": "Немає холодної води з ранку", "category": "water",
	}, &created)
	if code != http.StatusCreated {
		t.Fatalf("create appeal during the call: %d", code)
	}
	if created.ReadBack == nil || !created.ReadBack.Done || created.ReadBack.CallID != call.Call.CallID {
		t.Fatalf("the number was not read back into the call: %+v", created.ReadBack)
	}
	if len(created.Calls) != 1 || created.Calls[0].CallID != call.Call.CallID {
		t.Errorf("the card is linked to %+v, want the call %s", created.Calls, call.Call.CallID)
	}
	h, err := resident.WaitForPlayback(ctx, "digits:")
	if err != nil {
		t.Fatalf("the resident did not hear the number: %v", err)
	}
	if h.MediaURI != "digits:"+created.ReadBack.Digits || !strings.HasPrefix(h.Target, "bridge:") {
		t.Errorf("the resident heard %s on %s, want digits:%s in the bridge", h.MediaURI, h.Target, created.ReadBack.Digits)
	}
	if heard(phone, "digits:"+created.ReadBack.Digits) == 0 {
		t.Errorf("the operator did not hear the number: %v", phone.HeardURIs())
	}
	if heard(resident, "sound:hotline/appeal-registered") == 0 {
		t.Errorf("no \"your appeal is registered\" before the number: %v", resident.HeardURIs())
	}

	// The operator hangs up first: the resident hears goodbye, the call
	// record says answered by an operator, and op101 wraps up then is free.
	if err := phone.Hangup(); err != nil {
		t.Fatal(err)
	}
	if _, err := resident.WaitForPlayback(ctx, "sound:hotline/goodbye"); err != nil {
		t.Fatal(err)
	}
	if _, err := resident.WaitEnded(ctx); err != nil {
		t.Fatal(err)
	}
	rec := (&rig{t: t, ari: r.ari, pool: r.pool}).waitRecord(ctx, resident.ChannelID())
	if rec.outcome != "answered_by_operator" {
		t.Errorf("outcome %q, want answered_by_operator; events %v", rec.outcome, rec.events)
	}
	r.eventually(5*time.Second, "op101 available after the wrap-up", func() bool { return r.operatorState("op101") == "available" })

	// Every state op101 went through is stored with its time.
	r.eventually(5*time.Second, "op101's states stored", func() bool {
		var states []string
		rows, err := r.pool.Query(ctx, `SELECT state FROM queue_operator_states WHERE operator_id = 'op101' ORDER BY at, seq`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		for rows.Next() {
			var s string
			_ = rows.Scan(&s)
			states = append(states, s)
		}
		want := []string{"available", "ringing", "on_call", "wrap_up", "available"}
		return isSubsequence(want, states)
	})
	if left := r.ari.ChannelsInApp("hotline"); len(left) != 0 {
		t.Errorf("channels left in the app: %v", left)
	}
}

func TestAResidentWhoPresses0WithNobodyLoggedInIsAskedToLeaveAMessage(t *testing.T) {
	r := startQueueRig(t, mondayMorning, "op101")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	resident, err := r.ari.Dial(ctx, aritest.DialOptions{App: "hotline", Caller: "0501234567", Exten: "1580", Language: "uk"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := resident.WaitForPlayback(ctx, "sound:hotline/main-menu"); err != nil {
		t.Fatal(err)
	}
	_ = resident.Press("0")
	if _, err := resident.WaitForPlayback(ctx, "sound:hotline/queue-full"); err != nil {
		t.Fatal(err)
	}
	if _, err := resident.WaitForPlayback(ctx, "sound:hotline/message-record"); err != nil {
		t.Fatal(err)
	}
	_ = resident.Hangup()
	rec := (&rig{t: t, ari: r.ari, pool: r.pool}).waitRecord(ctx, resident.ChannelID())
	if !hasEvent(rec, "queue_result:") {
		t.Errorf("no queue result in the record: %v", rec.events)
	}
}

func TestAnOperatorWhosePhoneIsOfflineIsNotOfferedCalls(t *testing.T) {
	r := startQueueRig(t, mondayMorning, "op101", "op102")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for _, op := range []string{"op101", "op102"} {
		if code := r.api("POST", "/api/v1/queue/operators/"+op+"/login", bossToken, map[string]string{}, nil); code != http.StatusOK && code != http.StatusNoContent {
			t.Fatalf("login %s: %d", op, code)
		}
	}
	// op101's phone loses its registration: the app hears it from Asterisk.
	if err := r.ari.SetEndpointState("PJSIP", "op101", aritest.EndpointOffline); err != nil {
		t.Fatal(err)
	}
	r.eventually(5*time.Second, "op101 seen offline", func() bool {
		var op struct {
			Online bool `json:"online"`
		}
		r.api("GET", "/api/v1/queue/operators/op101", bossToken, nil, &op)
		return !op.Online
	})
	r.ari.SetPhone("PJSIP/op102", aritest.PhoneBehavior{Outcome: aritest.Answer, After: time.Second})
	resident, err := r.ari.Dial(ctx, aritest.DialOptions{App: "hotline", Caller: "0507654321", Exten: "1580", Language: "uk"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := resident.WaitForPlayback(ctx, "sound:hotline/main-menu"); err != nil {
		t.Fatal(err)
	}
	_ = resident.Press("0")
	phone, err := r.ari.WaitOutbound(ctx, "PJSIP/op102")
	if err != nil {
		t.Fatalf("op102 never rang: %v", err)
	}
	if err := resident.WaitBridgedWith(ctx, phone); err != nil {
		t.Fatal(err)
	}
	_ = resident.Hangup()
	if _, err := phone.WaitEnded(ctx); err != nil {
		t.Fatal(err)
	}
	for _, rq := range r.ari.Requests() {
		if rq.Method == "POST" && strings.HasPrefix(rq.Path, "/channels") && strings.Contains(rq.Query, "op101") {
			t.Errorf("op101's offline phone was rung: %s %s?%s", rq.Method, rq.Path, rq.Query)
		}
	}
}

// isSubsequence reports whether want appears in got in order (other
// entries may stand between).
func isSubsequence(want, got []string) bool {
	i := 0
	for _, g := range got {
		if i < len(want) && g == want[i] {
			i++
		}
	}
	return i == len(want)
}
