package aritest_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/CyCoreSystems/ari/v5"

	"github.com/slobozhanske/hotline/telephony/ari/aritest"
)

func TestOriginateOperatorAndBridge(t *testing.T) {
	srv := aritest.Start(t, aritest.Options{TimeScale: fast})
	ctx := testCtx(t)
	ec := mustEvents(t, srv, "hotline")
	cl := newClient(srv, "hotline")
	srv.SetPhone("PJSIP/op101", aritest.PhoneBehavior{Outcome: aritest.Answer, After: 2 * time.Second})

	res, err := srv.Dial(ctx, aritest.DialOptions{App: "hotline", Caller: "+380501234567"})
	if err != nil {
		t.Fatal(err)
	}
	if err := cl.Channel().Answer(chKey(res.ChannelID())); err != nil {
		t.Fatal(err)
	}
	if err := cl.Channel().MOH(chKey(res.ChannelID()), "queue"); err != nil {
		t.Fatal(err)
	}
	if got := res.MOHClass(); got != "queue" {
		t.Fatalf("MOH class %q", got)
	}

	opH, err := cl.Channel().Originate(nil, ari.OriginateRequest{
		Endpoint: "PJSIP/op101", App: "hotline", AppArgs: "operator,101", CallerID: `"Hotline" <1580>`, Timeout: 30, ChannelID: "op-leg-1",
	})
	if err != nil {
		t.Fatal(err)
	}
	op, err := srv.WaitOutbound(ctx, "PJSIP/op101")
	if err != nil || op.ChannelID() != opH.ID() {
		t.Fatalf("outbound %v %v", op, err)
	}
	ring := ec.mustWait(ctx, "ChannelStateChange", "op-leg-1").(*ari.ChannelStateChange)
	if ring.Channel.State != "Ringing" {
		t.Fatalf("first state change %s, want Ringing", ring.Channel.State)
	}
	ss := ec.mustWait(ctx, "StasisStart", "op-leg-1").(*ari.StasisStart)
	if ss.Channel.State != "Up" || len(ss.Args) != 2 || ss.Args[1] != "101" || ss.Channel.Caller.Number != "1580" {
		t.Fatalf("operator StasisStart %+v", ss)
	}

	bh, err := cl.Bridge().Create(ari.NewKey(ari.BridgeKey, "call-1"), "mixing", "call-1")
	if err != nil {
		t.Fatal(err)
	}
	if err := cl.Channel().StopMOH(chKey(res.ChannelID())); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{res.ChannelID(), "op-leg-1"} {
		if err := bh.AddChannel(id); err != nil {
			t.Fatal(err)
		}
		ec.mustWait(ctx, "ChannelEnteredBridge", id)
	}
	if !res.InBridgeWith(op) {
		t.Fatal("resident not bridged with operator")
	}
	if err := bh.AddChannel("op-leg-1"); code(err) != http.StatusConflict {
		t.Fatalf("add twice: %v (code %d), want 409", err, code(err))
	}
	data, err := bh.Data()
	if err != nil || len(data.ChannelIDs) != 2 || data.Type != "mixing" {
		t.Fatalf("bridge data %+v %v", data, err)
	}
	if _, err := bh.Play("pb-b", "sound:beep"); err != nil {
		t.Fatal(err)
	}
	if h, err := op.WaitForPlaybackEnd(ctx, "sound:beep"); err != nil || h.Target != "bridge:call-1" {
		t.Fatalf("operator heard %+v %v", h, err)
	}

	op.HangupAfter(time.Second)
	ec.mustWait(ctx, "ChannelLeftBridge", "op-leg-1")
	end, err := op.WaitEnded(ctx)
	// A BYE carries no cause: ChannelDestroyed says 0 (trace 07).
	if err != nil || end.By != aritest.ByParty || end.Cause != 0 {
		t.Fatalf("operator end %+v %v", end, err)
	}
	ec.mustWait(ctx, "ChannelDestroyed", "op-leg-1")
	types := ec.types("op-leg-1")
	want := []string{"ChannelHangupRequest", "ChannelLeftBridge", "StasisEnd", "ChannelVarset", "ChannelDestroyed"}
	if n := len(types); n < len(want) || !equal(types[n-len(want):], want) {
		t.Fatalf("operator events %v", types)
	}
	if err := bh.Delete(); err != nil {
		t.Fatal(err)
	}
	// The application was subscribed to the bridge only through its
	// channels: once they have left, BridgeDestroyed does not reach it
	// (trace 09).
	ec.mustWait(ctx, "ChannelLeftBridge", res.ChannelID())
	for _, typ := range ec.types("") {
		if typ == "BridgeDestroyed" {
			t.Errorf("BridgeDestroyed reached an application not subscribed to the bridge")
		}
	}
	if _, err := cl.Bridge().Data(ari.NewKey(ari.BridgeKey, "call-1")); code(err) != 404 {
		t.Fatalf("deleted bridge: %v", err)
	}
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestOperatorOutcomes(t *testing.T) {
	srv := aritest.Start(t, aritest.Options{TimeScale: fast})
	ctx := testCtx(t)
	ec := mustEvents(t, srv, "hotline")
	cl := newClient(srv, "hotline")
	srv.SetPhone("PJSIP/busy", aritest.PhoneBehavior{Outcome: aritest.Busy})
	srv.SetPhone("PJSIP/sleepy", aritest.PhoneBehavior{Outcome: aritest.NoAnswer})
	srv.SetPhone("PJSIP/0501234567@trunk", aritest.PhoneBehavior{Outcome: aritest.Reject, After: time.Second})

	cases := []struct {
		endpoint string
		timeout  int
		cause    int
	}{
		{"PJSIP/busy", 30, 17},
		{"PJSIP/sleepy", 2, 19},
		{"PJSIP/0501234567@trunk", 30, 21},
	}
	for _, c := range cases {
		h, err := cl.Channel().Originate(nil, ari.OriginateRequest{Endpoint: c.endpoint, App: "hotline", Timeout: c.timeout})
		if err != nil {
			t.Fatalf("%s: %v", c.endpoint, err)
		}
		cd := ec.mustWait(ctx, "ChannelDestroyed", h.ID()).(*ari.ChannelDestroyed)
		if cd.Cause != c.cause || cd.CauseTxt != aritest.CauseText(c.cause) {
			t.Errorf("%s: destroyed with %d %q, want %d", c.endpoint, cd.Cause, cd.CauseTxt, c.cause)
		}
		for _, typ := range ec.types(h.ID()) {
			if typ == "StasisStart" {
				t.Errorf("%s: got StasisStart", c.endpoint)
			}
		}
	}

	// Offline endpoint: an application subscribed to it hears the state
	// change, and originate fails with 500 as chan_pjsip cannot allocate.
	if err := srv.SetEndpointState("PJSIP", "op102", aritest.EndpointOnline); err != nil {
		t.Fatal(err)
	}
	if err := cl.Application().Subscribe(ari.NewKey(ari.ApplicationKey, "hotline"), "endpoint:PJSIP/op102"); err != nil {
		t.Fatal(err)
	}
	if err := srv.SetEndpointState("PJSIP", "op102", aritest.EndpointOffline); err != nil {
		t.Fatal(err)
	}
	esc := ec.mustWait(ctx, "EndpointStateChange", "").(*ari.EndpointStateChange)
	if esc.Endpoint.Resource != "op102" || esc.Endpoint.State != "offline" {
		t.Fatalf("EndpointStateChange %+v", esc.Endpoint)
	}
	_, err := cl.Channel().Originate(nil, ari.OriginateRequest{Endpoint: "PJSIP/op102", App: "hotline"})
	if code(err) != http.StatusInternalServerError {
		t.Fatalf("originate to offline endpoint: %v, want 500", err)
	}
	ep, err := cl.Endpoint().Data(ari.NewKey(ari.EndpointKey, "PJSIP/op102"))
	if err != nil || ep.State != "offline" {
		t.Fatalf("endpoint %+v %v", ep, err)
	}
}

func TestCreateAndDial(t *testing.T) {
	srv := aritest.Start(t, aritest.Options{TimeScale: fast})
	ctx := testCtx(t)
	ec := mustEvents(t, srv, "hotline")
	cl := newClient(srv, "hotline")
	srv.SetPhone("PJSIP/op103", aritest.PhoneBehavior{After: time.Second, OnAnswer: func(p *aritest.Party) { _ = p.Press("1") }})

	h, err := cl.Channel().Create(nil, ari.ChannelCreateRequest{Endpoint: "PJSIP/op103", App: "hotline", AppArgs: "dialed"})
	if err != nil {
		t.Fatal(err)
	}
	ss := ec.mustWait(ctx, "StasisStart", h.ID()).(*ari.StasisStart)
	if ss.Channel.State != "Down" {
		t.Fatalf("created channel state %s", ss.Channel.State)
	}
	if err := cl.Channel().Dial(h.Key(), "", 10*time.Second); err != nil {
		t.Fatal(err)
	}
	ec.mustWait(ctx, "ChannelDtmfReceived", h.ID())
	if err := cl.Channel().Dial(h.Key(), "", 0); code(err) != http.StatusConflict {
		t.Fatalf("second dial: %v, want 409", err)
	}
	var sawUp bool
	for _, typ := range ec.types(h.ID()) {
		if typ == "StasisStart" && sawUp {
			t.Fatal("second StasisStart")
		}
		sawUp = sawUp || typ == "ChannelStateChange"
	}
}

// With BridgeReAddLikeAsterisk, adding a channel to the bridge it is in
// answers 204 and the channel leaves and re-enters, as Asterisk 22 does.
func TestBridgeReAddLikeAsterisk(t *testing.T) {
	srv := aritest.Start(t, aritest.Options{BridgeReAddLikeAsterisk: true})
	ctx := testCtx(t)
	ec := mustEvents(t, srv, "hotline")
	cl := newClient(srv, "hotline")
	res, err := srv.Dial(ctx, aritest.DialOptions{App: "hotline"})
	if err != nil {
		t.Fatal(err)
	}
	bh, err := cl.Bridge().Create(ari.NewKey(ari.BridgeKey, "b"), "mixing", "")
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ {
		if err := bh.AddChannel(res.ChannelID()); err != nil {
			t.Fatalf("add %d: %v", i, err)
		}
	}
	if err := cl.Channel().Hangup(chKey(res.ChannelID()), ""); err != nil {
		t.Fatal(err)
	}
	ec.mustWait(ctx, "StasisEnd", res.ChannelID())
	got := ec.types(res.ChannelID())
	want := []string{"StasisStart", "ChannelEnteredBridge", "ChannelLeftBridge", "ChannelEnteredBridge",
		"ChannelHangupRequest", "ChannelLeftBridge", "StasisEnd"}
	if !equal(got, want) {
		t.Fatalf("events %v, want %v", got, want)
	}
	hr, _ := ec.wait(ctx, "ChannelHangupRequest", res.ChannelID(), nil)
	if r := hr.(*ari.ChannelHangupRequest); !r.Soft || r.Cause != 32 {
		t.Fatalf("DELETE hangup request %+v, want soft with cause 32 (AST_SOFTHANGUP_EXPLICIT)", r)
	}
}
