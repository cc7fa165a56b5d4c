package main

// End-to-end tests of the operator queue through the real `serve` code path:
// an operator logs in from their softphone with a feature code, a resident
// presses 0 and is put through to them, the operator sees the call in the
// API, and the records and the operator's state changes reach PostgreSQL.

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/slobozhanske/hotline/config"
	"github.com/slobozhanske/hotline/telephony/ari/aritest"
)

// op101Token is the API token of operator op101 (an operator's user name
// is their operator id).
const op101Token = "token-op101-0123456789"

// startQueueRig is the shared rig with queue timings for the wall clock
// (the dispatcher does not run on the ARI server's scaled time) and op101's
// API token.
func startQueueRig(t testing.TB) *rig {
	t.Helper()
	return startRigWith(t, rigOptions{tune: queueTune})
}

func queueTune(cfg *config.Config) {
	for i := range cfg.Queues {
		cfg.Queues[i].RingTimeout, cfg.Queues[i].WrapUp, cfg.Queues[i].AnnounceEvery = 2*time.Second, 50*time.Millisecond, 200*time.Millisecond
	}
	cfg.API.Tokens = append(cfg.API.Tokens, config.Token{User: "op101", Role: "operator", Token: op101Token})
}

func (r *rig) operatorState(id string) string {
	r.t.Helper()
	var op struct {
		State string `json:"state"`
	}
	if code := r.api("GET", "/api/v1/queue/operators/"+id, nil, &op); code != http.StatusOK {
		r.t.Fatalf("GET operator %s: %s", id, r.lastAPIError)
	}
	return op.State
}

func TestAnOperatorLogsInWithAFeatureCodeAndTakesTheCallOfAResidentWhoPresses0(t *testing.T) {
	r := startQueueRig(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	r.operatorLogsIn(ctx, "op101") // *41 from op101's softphone

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
	r.until(ctx, "op101's call in the API with the 0 pressed in its menu path", func() bool {
		return r.apiAs(op101Token, "GET", "/api/v1/queue/operators/op101/call", nil, &call) == http.StatusOK && call.Call != nil && pressed0()
	})
	if call.Call.CallerNumber != "0501234567" || call.Call.Queue != "operators" {
		t.Errorf("op101's call = %+v", *call.Call)
	}
	if st := r.operatorState("op101"); st != "on_call" {
		t.Errorf("op101 is %s while talking", st)
	}
	// An operator may not look at another operator's call.
	if code := r.apiAs(op101Token, "GET", "/api/v1/queue/operators/op102/call", nil, nil); code != http.StatusForbidden {
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
	code := r.apiAs(op101Token, "POST", "/api/v1/appeals", map[string]any{
		"surname": "Петренко", "first_name": "Олена", "patronymic": "Іванівна",
		"address": "вул. Центральна, 5", "contact_phone": "0501234567",
		"essence": "Немає холодної води з ранку", "category": "water",
	}, &created)
	if code != http.StatusCreated {
		t.Fatalf("create appeal during the call: %s", r.lastAPIError)
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
	rec := r.waitRecord(ctx, resident.ChannelID())
	if rec.outcome != "answered_by_operator" {
		t.Errorf("outcome %q, want answered_by_operator; events %v", rec.outcome, rec.events)
	}
	// The call's record names the card opened during it, and the call's end
	// (which carries no number of its own) has not wiped it.
	if rec.appealNum != created.Number || created.Number == "" {
		t.Errorf("the call's record has appeal number %q, want the card's %q", rec.appealNum, created.Number)
	}
	r.until(ctx, "op101 available after the wrap-up", func() bool { return r.operatorState("op101") == "available" })

	// Every state op101 went through is stored with its time.
	r.until(ctx, "op101's states stored", func() bool {
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
	r.noChannelsLeft(ctx)
}

func TestAResidentWhoPresses0WithNobodyLoggedInIsAskedToLeaveAMessage(t *testing.T) {
	r := startQueueRig(t)
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
	if _, err := resident.WaitForPlayback(ctx, "sound:hotline/queue-closed"); err != nil {
		t.Fatal(err)
	}
	if _, err := resident.WaitForPlayback(ctx, "sound:hotline/message-record"); err != nil {
		t.Fatal(err)
	}
	_ = resident.Hangup()
	rec := r.waitRecord(ctx, resident.ChannelID())
	if !hasEvent(rec, "queue_result:") {
		t.Errorf("no queue result in the record: %v", rec.events)
	}
}

func TestAnOperatorWhosePhoneIsOfflineIsNotOfferedCalls(t *testing.T) {
	r := startQueueRig(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	r.operatorLogsIn(ctx, "op101")
	r.operatorLogsIn(ctx, "op102")
	// op101's phone loses its registration: the app hears it from Asterisk.
	if err := r.ari.SetEndpointState("PJSIP", "op101", aritest.EndpointOffline); err != nil {
		t.Fatal(err)
	}
	r.until(ctx, "op101 seen offline", func() bool {
		var op struct {
			Online bool `json:"online"`
		}
		r.api("GET", "/api/v1/queue/operators/op101", nil, &op)
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

func TestAnOperatorTransfersTheCallerToAnotherQueueAndAnotherOperatorBackToTheMenu(t *testing.T) {
	r := startRigWith(t, rigOptions{tune: func(cfg *config.Config) {
		for i := range cfg.Queues {
			cfg.Queues[i].RingTimeout, cfg.Queues[i].WrapUp = 2*time.Second, 50*time.Millisecond
		}
		// op101 takes the operators queue only, op102 the appeals queue only.
		cfg.Operators[0].Queues, cfg.Operators[1].Queues = []string{"operators"}, []string{"appeals"}
		cfg.API.Tokens = append(cfg.API.Tokens, config.Token{User: "op101", Role: "operator", Token: op101Token})
	}})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	r.operatorLogsIn(ctx, "op101")
	r.operatorLogsIn(ctx, "op102")
	resident, err := r.ari.Dial(ctx, aritest.DialOptions{App: "hotline", Caller: "0671112233", Exten: "1580", Language: "uk"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := resident.WaitForPlayback(ctx, "sound:hotline/main-menu"); err != nil {
		t.Fatal(err)
	}
	_ = resident.Press("0")
	first, err := r.ari.WaitOutbound(ctx, "PJSIP/op101")
	if err != nil {
		t.Fatal(err)
	}
	if err := resident.WaitBridgedWith(ctx, first); err != nil {
		t.Fatal(err)
	}
	var call struct {
		Call *struct {
			CallID string `json:"call_id"`
		} `json:"call"`
	}
	r.until(ctx, "op101's call", func() bool {
		return r.apiAs(op101Token, "GET", "/api/v1/queue/operators/op101/call", nil, &call) == http.StatusOK && call.Call != nil
	})
	// A malformed transfer is refused, naming the field, and changes nothing.
	if code := r.apiAs(op101Token, "POST", "/api/v1/queue/calls/"+call.Call.CallID+"/transfer", map[string]string{"to": "elsewhere"}, nil); code != http.StatusBadRequest {
		t.Errorf("transfer to nowhere: %d, want 400", code)
	}
	// op101 hands the resident to the appeals desk: op101's phone is hung
	// up, op102's rings and takes the same caller.
	if code := r.apiAs(op101Token, "POST", "/api/v1/queue/calls/"+call.Call.CallID+"/transfer", map[string]string{"to": "queue", "queue": "appeals"}, nil); code != http.StatusAccepted {
		t.Fatalf("transfer to appeals: %s", r.lastAPIError)
	}
	if _, err := first.WaitEnded(ctx); err != nil {
		t.Fatalf("op101's phone still up after the transfer: %v", err)
	}
	second, err := r.ari.WaitOutbound(ctx, "PJSIP/op102")
	if err != nil {
		t.Fatalf("op102 never rang: %v", err)
	}
	if err := resident.WaitBridgedWith(ctx, second); err != nil {
		t.Fatal(err)
	}
	// A supervisor sends the resident back to the menu (e.g. to check a status).
	before := heard(resident, "sound:hotline/main-menu")
	if code := r.api("POST", "/api/v1/queue/calls/"+call.Call.CallID+"/transfer", map[string]string{"to": "menu"}, nil); code != http.StatusAccepted {
		t.Fatalf("transfer to the menu: %s", r.lastAPIError)
	}
	if _, err := second.WaitEnded(ctx); err != nil {
		t.Fatal(err)
	}
	r.until(ctx, "the main menu again", func() bool { return heard(resident, "sound:hotline/main-menu") > before })
	_ = resident.Hangup()
	rec := r.waitRecord(ctx, resident.ChannelID())
	if rec.outcome != "answered_by_operator" {
		t.Errorf("outcome %q, want answered_by_operator; events %v", rec.outcome, rec.events)
	}
	r.noChannelsLeft(ctx)
}

// BenchmarkCallsThroughMenuQueueAndOperator runs residents through the
// whole path of a call for an operator over loopback ARI and PostgreSQL:
// the greeting, 0 in the main menu, the queue's welcome, an offer to one of
// five operators logged in with *41 (their phones answer at once), the
// bridge; the resident then hangs up and the operator wraps up for 10 ms.
// Prompts last 1 ms. One op is callsPerOp calls, callers of them at a
// time. It reports calls/s and, from the 0 pressed to the resident being
// bridged with an operator, p50-ms and p99-ms.
func BenchmarkCallsThroughMenuQueueAndOperator(b *testing.B) {
	r := startRigWith(b, rigOptions{
		ari: aritest.Options{
			Sounds:         shippedSounds(b, 100*time.Millisecond),
			MediaDurations: map[string]time.Duration{"sound:hotline/main-menu": time.Hour}, // until the key stops it
		},
		tune: func(cfg *config.Config) {
			patientMenu(cfg)
			for i := range cfg.Queues {
				cfg.Queues[i].WrapUp, cfg.Queues[i].RingTimeout = 10*time.Millisecond, 5*time.Second
				cfg.Queues[i].Record = false
			}
		},
	})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	for _, op := range []string{"op101", "op102", "op103", "op104", "op105"} {
		r.operatorLogsIn(ctx, op)
	}
	const callsPerOp = 50
	var seq atomic.Int64
	for _, callers := range []int{5, 20} {
		b.Run(fmt.Sprintf("callers=%d", callers), func(b *testing.B) {
			calls := int64(b.N) * callsPerOp
			var mu sync.Mutex
			var waits []float64
			b.ResetTimer()
			elapsed := runCalls(b, callers, calls, func() error {
				wait, err := operatorCall(ctx, r.ari, fmt.Sprintf("+38050%07d", seq.Add(1)))
				if err != nil {
					return err
				}
				mu.Lock()
				waits = append(waits, float64(wait)/float64(time.Millisecond))
				mu.Unlock()
				return nil
			})
			b.StopTimer()
			if b.Failed() {
				return
			}
			if err := r.ari.WaitChannelsInApp(ctx, "hotline", 0); err != nil {
				b.Fatalf("channels left in the app: %v", r.ari.ChannelsInApp("hotline"))
			}
			b.ReportMetric(float64(calls)/elapsed.Seconds(), "calls/s")
			b.ReportMetric(percentile(waits, 50), "p50-ms")
			b.ReportMetric(percentile(waits, 99), "p99-ms")
			r.ari.ClearLogs()
		})
	}
}

// operatorCall is one resident: dial, 0 during the menu, wait to be
// bridged with an operator, hang up. It returns the time from the key to
// the bridge.
func operatorCall(ctx context.Context, srv *aritest.Server, caller string) (time.Duration, error) {
	p, err := srv.Dial(ctx, aritest.DialOptions{App: "hotline", Caller: caller, Exten: "1580", Language: "uk"})
	if err != nil {
		return 0, err
	}
	if _, err := p.WaitForPlayback(ctx, "sound:hotline/main-menu"); err != nil {
		return 0, fmt.Errorf("%s: %w", caller, err)
	}
	pressed := time.Now()
	_ = p.Press("0")
	st, err := p.Wait(ctx, func(st aritest.PartyState) bool { return !st.FirstBridgedAt.IsZero() || st.Ended })
	if err != nil || st.FirstBridgedAt.IsZero() {
		return 0, fmt.Errorf("%s: never bridged with an operator: %v (heard %v)", caller, err, p.HeardURIs())
	}
	wait := st.FirstBridgedAt.Sub(pressed)
	if err := p.Hangup(); err != nil {
		return 0, err
	}
	_, err = p.WaitEnded(ctx)
	return wait, err
}
