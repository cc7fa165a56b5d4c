package queuecall_test

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/slobozhanske/hotline/ivr"
	"github.com/slobozhanske/hotline/telephony/ari/aritest"
	"github.com/slobozhanske/hotline/telephony/ari/queuecall"
	"github.com/slobozhanske/hotline/telephony/queue"
)

func TestACallerWaitsWithMusicHearsTheirPlaceAndTalksToTheOperator(t *testing.T) {
	q := defaultQueue()
	r := newRig(t, rigOptions{queue: q, operators: 1, media: queuecall.QueueOptions{
		MOHClass: "hotline", AnnounceEvery: 60 * time.Millisecond, LeaveMessageKey: '1', Record: true}})
	ctx := r.ctx(20 * time.Second)
	r.login("op101")
	r.srv.SetPhone("PJSIP/op101", aritest.PhoneBehavior{Outcome: aritest.Answer, After: 2 * time.Second})
	first := r.dial(ctx, "0501111111")
	op, err := r.srv.WaitOutbound(ctx, "PJSIP/op101")
	if err != nil {
		t.Fatal(err)
	}
	if st := op.Snapshot(); st.Caller != "0501111111" {
		t.Fatalf("the operator's phone shows %q, want the resident's number", st.Caller)
	}
	bridged(t, ctx, first, op)
	// A second caller waits while op101 talks.
	second := r.dial(ctx, "0502222222")
	if _, err := second.WaitForPlayback(ctx, "sound:hotline/queue-welcome"); err != nil {
		t.Fatal(err)
	}
	if _, err := second.WaitForPlayback(ctx, "sound:hotline/queue-position"); err != nil {
		t.Fatal(err)
	}
	if h, err := second.WaitForPlayback(ctx, "sound:digits/"); err != nil || h.MediaURI != "sound:digits/1" {
		t.Fatalf("position said as %v (%v), want digits/1", h.MediaURI, err)
	}
	if err := second.WaitMOH(ctx, "hotline"); err != nil {
		t.Fatal(err)
	}
	if _, err := second.WaitForPlayback(ctx, "sound:hotline/queue-leave-message-offer"); err != nil {
		t.Fatal(err)
	}
	// Announcements come back between stretches of music.
	if _, err := second.WaitForPlayback(ctx, "sound:hotline/queue-position"); err != nil {
		t.Fatal(err)
	}
	// The caller hangs up first: the operator's leg is hung up and op101 wraps up.
	first.Hangup()
	if _, err := op.WaitEnded(ctx); err != nil {
		t.Fatal(err)
	}
	if res := r.waitResult(ctx, "0501111111"); res.Kind != "answered" || res.Operator != "op101" {
		t.Fatalf("first caller: %+v", res)
	}
	op2, err := r.srv.WaitOutbound(ctx, "PJSIP/op101")
	if err != nil {
		t.Fatal(err)
	}
	bridged(t, ctx, second, op2)
	if second.MOHClass() != "" {
		t.Fatalf("music still on in the conversation: %q", second.MOHClass())
	}
	second.Hangup()
	r.waitResult(ctx, "0502222222")
	outcome, recording, _ := r.callRow("0501111111")
	if outcome != "answered_by_operator" || !strings.HasPrefix(recording, "queue-") {
		t.Fatalf("call record: outcome %q, recording %q", outcome, recording)
	}
	r.noChannelsLeft(ctx)
}

func TestWhenTheOperatorHangsUpFirstTheCallerHearsGoodbyeAndMayRateTheCall(t *testing.T) {
	r := newRig(t, rigOptions{operators: 1, media: queuecall.QueueOptions{PostCallRating: true}})
	ctx := r.ctx(20 * time.Second)
	r.login("op101")
	r.srv.SetPhone("PJSIP/op101", talksThenHangsUp(0, 5*time.Second))
	caller := r.dial(ctx, "0503333333")
	if _, err := caller.WaitForPlayback(ctx, "sound:hotline/rating-request"); err != nil {
		t.Fatal(err)
	}
	caller.Press("4")
	if _, err := caller.WaitForPlayback(ctx, "sound:hotline/rating-thanks"); err != nil {
		t.Fatal(err)
	}
	if _, err := caller.WaitForPlayback(ctx, "sound:hotline/goodbye"); err != nil {
		t.Fatal(err)
	}
	if res := r.waitResult(ctx, "0503333333"); res.Kind != "answered" {
		t.Fatalf("result %+v", res)
	}
	if _, _, rating := r.callRow("0503333333"); rating == nil || *rating != 4 {
		t.Fatalf("rating stored: %v, want 4", rating)
	}
	if s, _ := r.d.Operator("op101"); s.State != queue.WrapUp && s.State != queue.Available {
		t.Fatalf("op101 after the call: %s", s.State)
	}
	caller.Hangup()
	r.noChannelsLeft(ctx)
}

func TestACallerWhoHangsUpWhileThePhoneRingsStopsItAtOnce(t *testing.T) {
	q := defaultQueue()
	q.RingTimeout = 5 * time.Second // far beyond the test
	r := newRig(t, rigOptions{queue: q, operators: 1})
	ctx := r.ctx(20 * time.Second)
	r.login("op101")
	r.srv.SetPhone("PJSIP/op101", aritest.PhoneBehavior{Outcome: aritest.NoAnswer})
	caller := r.dial(ctx, "0504444444")
	op, err := r.srv.WaitOutbound(ctx, "PJSIP/op101")
	if err != nil {
		t.Fatal(err)
	}
	if err := op.WaitState(ctx, "Ringing"); err != nil {
		t.Fatal(err)
	}
	hungUp := time.Now()
	caller.Hangup()
	end, err := op.WaitEnded(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if took := time.Since(hungUp); took > time.Second || end.By != aritest.ByApp {
		t.Fatalf("the operator's phone stopped after %v, by %s", took, end.By)
	}
	if res := r.waitResult(ctx, "0504444444"); res.Kind != "abandoned" {
		t.Fatalf("result %+v, want abandoned", res)
	}
	if outcome, _, _ := r.callRow("0504444444"); outcome != "abandoned_in_queue" {
		t.Fatalf("call record outcome %q", outcome)
	}
	eventually(t, ctx, "op101 available again with no ring-out counted", func() bool {
		s, _ := r.d.Operator("op101")
		return s.State == queue.Available && s.NoAnswers == 0
	})
	r.noChannelsLeft(ctx)
}

func TestAnOperatorWhoLetsCallsRingOutIsPausedAndTheCallGoesToTheNext(t *testing.T) {
	q := defaultQueue()
	q.RingTimeout, q.MaxNoAnswer = 100*time.Millisecond, 2
	r := newRig(t, rigOptions{queue: q, operators: 2})
	ctx := r.ctx(20 * time.Second)
	r.srv.SetPhone("PJSIP/op101", aritest.PhoneBehavior{Outcome: aritest.NoAnswer})
	r.login("op101")
	caller := r.dial(ctx, "0505555555")
	for range 2 {
		leg, err := r.srv.WaitOutbound(ctx, "PJSIP/op101")
		if err != nil {
			t.Fatal(err)
		}
		if end, err := leg.WaitEnded(ctx); err != nil || end.By != aritest.ByApp {
			t.Fatalf("ring-out ended by %v (%v), want the app after the ring timeout", end.By, err)
		}
	}
	eventually(t, ctx, "op101 paused for no_answer after two ring-outs", func() bool {
		s, _ := r.d.Operator("op101")
		return s.State == queue.Paused && s.Reason == queue.ReasonNoAnswer
	})
	r.login("op102")
	op, err := r.srv.WaitOutbound(ctx, "PJSIP/op102")
	if err != nil {
		t.Fatal(err)
	}
	bridged(t, ctx, caller, op)
	op.Hangup()
	caller.Hangup()
	r.waitResult(ctx, "0505555555")
	r.noChannelsLeft(ctx)
}

func TestAnOperatorWhoHangsUpAsTheyAnswerCostsTheCallerNothingAndTheNextOperatorTakesTheCall(t *testing.T) {
	r := newRig(t, rigOptions{operators: 2, media: queuecall.QueueOptions{PostCallRating: true}})
	ctx := r.ctx(20 * time.Second)
	// op101 picks up and drops the call at once, before the bridge.
	r.srv.SetPhone("PJSIP/op101", aritest.PhoneBehavior{OnAnswer: func(p *aritest.Party) { _ = p.Hangup() }})
	r.login("op101", "op102") // op101 idle longest: rung first
	caller := r.dial(ctx, "0501212121")
	lost, err := r.srv.WaitOutbound(ctx, "PJSIP/op101")
	if err != nil {
		t.Fatal(err)
	}
	if end, err := lost.WaitEnded(ctx); err != nil || end.By != aritest.ByParty {
		t.Fatalf("op101's leg ended by %v (%v), want the operator", end.By, err)
	}
	op, err := r.srv.WaitOutbound(ctx, "PJSIP/op102")
	if err != nil {
		t.Fatal(err)
	}
	bridged(t, ctx, caller, op)
	if s, _ := r.d.Operator("op101"); s.State != queue.Available || s.Handled != 0 {
		t.Fatalf("op101 after the lost answer: %s, %d handled; want available, none", s.State, s.Handled)
	}
	if h := caller.HeardURIs(); slices.Contains(h, "sound:hotline/goodbye") || slices.Contains(h, "sound:hotline/rating-request") {
		t.Fatalf("the caller was sent off after the lost answer: heard %v", h)
	}
	caller.Hangup()
	if res := r.waitResult(ctx, "0501212121"); res.Kind != "answered" || res.Operator != "op102" {
		t.Fatalf("result %+v, want answered by op102", res)
	}
	if st := r.d.Snapshot().Queues[0].Stats; st.Answered != 1 {
		t.Fatalf("%d answers counted, want 1 (the lost one does not count)", st.Answered)
	}
	if err := r.records.WaitIdle(ctx); err != nil {
		t.Fatal(err)
	}
	var lostNoted int
	if err := r.pool.QueryRow(ctx, `SELECT count(*) FROM call_events e JOIN calls c ON c.id = e.call_id
		WHERE c.caller_number = $1 AND e.kind = 'queue' AND e.detail->>'event' = 'operator_lost' AND e.detail->>'operator' = 'op101'`,
		"0501212121").Scan(&lostNoted); err != nil || lostNoted != 1 {
		t.Fatalf("operator_lost noted %d times (%v), want once", lostNoted, err)
	}
	r.noChannelsLeft(ctx)
	r.neverTwoCallsAtOnce()
}

func TestAnOperatorWhosePhoneGoesOfflineWhileRingingIsSkipped(t *testing.T) {
	q := defaultQueue()
	q.RingTimeout = 5 * time.Second
	r := newRig(t, rigOptions{queue: q, operators: 2})
	ctx := r.ctx(20 * time.Second)
	r.srv.SetPhone("PJSIP/op101", aritest.PhoneBehavior{Outcome: aritest.NoAnswer})
	r.srv.SetPhone("PJSIP/op102", aritest.PhoneBehavior{After: time.Second})
	r.login("op101", "op102") // op101 idle longest: rung first
	caller := r.dial(ctx, "0506666666")
	leg, err := r.srv.WaitOutbound(ctx, "PJSIP/op101")
	if err != nil {
		t.Fatal(err)
	}
	if err := leg.WaitState(ctx, "Ringing"); err != nil {
		t.Fatal(err)
	}
	r.srv.SetEndpointState("PJSIP", "op101", aritest.EndpointOffline)
	if end, err := leg.WaitEnded(ctx); err != nil || end.By != aritest.ByApp {
		t.Fatalf("op101's ringing leg ended by %v (%v), want the app", end.By, err)
	}
	op, err := r.srv.WaitOutbound(ctx, "PJSIP/op102")
	if err != nil {
		t.Fatal(err)
	}
	bridged(t, ctx, caller, op)
	// op102 is busy and op101 offline: the next caller waits, op101 is not rung.
	next := r.dial(ctx, "0507777777")
	if _, err := next.WaitForPlayback(ctx, "sound:hotline/queue-welcome"); err != nil {
		t.Fatal(err)
	}
	time.Sleep(50 * time.Millisecond)
	if s, _ := r.d.Operator("op101"); s.Online || s.State != queue.Available {
		t.Fatalf("op101: online %v, %s", s.Online, s.State)
	}
	r.srv.SetEndpointState("PJSIP", "op101", aritest.EndpointOnline)
	r.srv.SetPhone("PJSIP/op101", aritest.PhoneBehavior{})
	op1, err := r.srv.WaitOutbound(ctx, "PJSIP/op101")
	if err != nil {
		t.Fatal(err)
	}
	bridged(t, ctx, next, op1)
	for _, p := range []*aritest.Party{caller, next} {
		p.Hangup()
	}
	r.waitResult(ctx, "0506666666")
	r.waitResult(ctx, "0507777777")
	r.noChannelsLeft(ctx)
	r.neverTwoCallsAtOnce()
}

func TestCallersAreAnsweredInOrderAndAnSOSCallerGoesFirst(t *testing.T) {
	r := newRig(t, rigOptions{operators: 1})
	ctx := r.ctx(20 * time.Second)
	r.d.Login("op101")
	r.d.Pause("op101", queue.ReasonBreak)
	var parties []*aritest.Party
	numbers := []string{"0500000001", "0500000002", "0500000003", "0500000004"}
	for i, n := range numbers {
		var args []string
		if i == 3 {
			args = []string{"sos"}
		}
		p := r.dial(ctx, n, args...)
		if _, err := p.WaitForPlayback(ctx, "sound:hotline/queue-welcome"); err != nil {
			t.Fatal(err)
		}
		parties = append(parties, p)
	}
	r.srv.SetPhone("PJSIP/op101", talksThenHangsUp(0, time.Second))
	r.d.Unpause("op101")
	want := []string{"0500000004", "0500000001", "0500000002", "0500000003"}
	var got []string
	for range want {
		leg, err := r.srv.WaitOutbound(ctx, "PJSIP/op101")
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, leg.Snapshot().Caller)
		leg.WaitEnded(ctx)
	}
	if !slices.Equal(got, want) {
		t.Fatalf("answered in the order %v, want %v (SOS first, then first in, first out)", got, want)
	}
	for _, p := range parties {
		p.Hangup()
	}
	for _, n := range numbers {
		r.waitResult(ctx, n)
	}
	r.noChannelsLeft(ctx)
}

func TestACallerMayLeaveAMessageInsteadOfWaiting(t *testing.T) {
	r := newRig(t, rigOptions{operators: 1, media: queuecall.QueueOptions{LeaveMessageKey: '1', MOHClass: "hotline"}})
	ctx := r.ctx(20 * time.Second)
	r.d.Login("op101")
	r.d.Pause("op101", queue.ReasonLunch)
	caller := r.dial(ctx, "0508888888")
	if err := caller.WaitMOH(ctx, "hotline"); err != nil {
		t.Fatal(err)
	}
	caller.Press("1")
	if res := r.waitResult(ctx, "0508888888"); res.Kind != "message" {
		t.Fatalf("result %+v, want message", res)
	}
	if _, err := caller.Wait(ctx, func(st aritest.PartyState) bool { return st.MOHClass == "" }); err != nil {
		t.Fatal("music still playing when the menu takes over")
	}
	r.noChannelsLeft(ctx)
}

func TestNobodyLoggedInMeansTheQueueIsClosed(t *testing.T) {
	r := newRig(t, rigOptions{operators: 1})
	ctx := r.ctx(20 * time.Second)
	r.dial(ctx, "0509999999")
	if res := r.waitResult(ctx, "0509999999"); res.Kind != "closed" {
		t.Fatalf("result %+v, want closed", res)
	}
	r.noChannelsLeft(ctx)
}

// The rig's handler tells waitResult how each Join returned; nothing may
// hold it there, for the app hangs the caller up only once it returns. More
// callers than any buffer would hold (the benchmark's residents once stayed
// on the line for ever after the 1000th call, whose results nobody reads)
// must all be hung up.
func TestEveryCallerIsHungUpEvenWhenNobodyReadsTheResults(t *testing.T) {
	r := newRig(t, rigOptions{operators: 1})
	ctx := r.ctx(2 * time.Minute)
	const callers = 1500
	var next atomic.Int64
	var wg sync.WaitGroup
	for range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= callers || ctx.Err() != nil {
					return
				}
				p, err := r.srv.Dial(ctx, aritest.DialOptions{App: "hotline", Caller: fmt.Sprintf("050%07d", i)})
				if err != nil {
					t.Error(err)
					return
				}
				if _, err := p.WaitEnded(ctx); err != nil {
					t.Errorf("caller %d was never hung up: %v", i, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	r.srv.ClearLogs()
	r.noChannelsLeft(ctx)
}

func TestOperatorsLogInPauseAndLogOutWithFeatureCodes(t *testing.T) {
	r := newRig(t, rigOptions{operators: 1})
	ctx := r.ctx(20 * time.Second)
	steps := []struct {
		feature string
		prompt  string
		state   queue.State
	}{
		{"login", "sound:hotline/agent-logged-in", queue.Available},
		{"pause", "sound:hotline/agent-paused", queue.Paused},
		{"unpause", "sound:hotline/agent-unpaused", queue.Available},
		{"logout", "sound:hotline/agent-logged-out", queue.LoggedOut},
	}
	for _, s := range steps {
		p, err := r.srv.Dial(ctx, aritest.DialOptions{App: "hotline", Endpoint: "PJSIP/op101", Caller: "101", Exten: "*4x", Args: []string{"feature", s.feature}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := p.WaitEnded(ctx); err != nil {
			t.Fatal(err)
		}
		if h := p.HeardURIs(); !slices.Equal(h, []string{s.prompt}) {
			t.Fatalf("%s: heard %v, want %s", s.feature, h, s.prompt)
		}
		if st, _ := r.d.Operator("op101"); st.State != s.state {
			t.Fatalf("after %s op101 is %s", s.feature, st.State)
		}
	}
	p, _ := r.srv.Dial(ctx, aritest.DialOptions{App: "hotline", Endpoint: "PJSIP/stranger", Caller: "999", Args: []string{"feature", "login"}})
	p.WaitEnded(ctx)
	if h := p.HeardURIs(); !slices.Equal(h, []string{"sound:hotline/agent-unknown"}) {
		t.Fatalf("unknown phone heard %v", h)
	}
	r.noChannelsLeft(ctx)
}

// Fifty residents and five operators: four answer after 1–4 s and hang up
// 2–30 s later (simulated), the fifth lets every call ring out; one resident
// in six gives up after 1–40 s. At this time scale 2 s is 20 ms, so some
// operators hang up before the bridge: those answers are lost and the caller
// waits for the next operator.
func TestFiftyCallersAndFiveOperatorsOverARI(t *testing.T) {
	r := newRig(t, rigOptions{operators: 5})
	ctx := r.ctx(60 * time.Second)
	rng := rand.New(rand.NewPCG(4, 2))
	var rngMu sync.Mutex
	between := func(lo, hi int) time.Duration {
		rngMu.Lock()
		defer rngMu.Unlock()
		return time.Duration(lo+rng.IntN(hi-lo+1)) * time.Second
	}
	for i := range 4 {
		r.srv.SetPhone("PJSIP/"+opID(i), aritest.PhoneBehavior{After: between(1, 4), OnAnswer: func(p *aritest.Party) {
			p.HangupAfter(between(2, 30))
		}})
	}
	// op105 is away from the desk: every call to it rings out.
	r.srv.SetPhone("PJSIP/op105", aritest.PhoneBehavior{Outcome: aritest.NoAnswer})
	r.login("op101", "op102", "op103", "op104", "op105")
	var numbers []string
	var parties []*aritest.Party
	for i := range 50 {
		n := fmt.Sprintf("05010000%02d", i)
		p := r.dial(ctx, n)
		if i%6 == 0 {
			p.HangupAfter(between(1, 40))
		}
		numbers = append(numbers, n)
		parties = append(parties, p)
	}
	count := map[ivr.QueueResultKind]int{}
	for i, n := range numbers {
		res := r.waitResult(ctx, n)
		count[res.Kind]++
		if res.Kind == ivr.QueueAnswered {
			parties[i].Hangup()
		}
	}
	if count[ivr.QueueAnswered]+count[ivr.QueueAbandoned] != 50 || count[ivr.QueueAnswered] < 40 {
		t.Fatalf("results %v: every caller is answered or abandons", count)
	}
	r.noChannelsLeft(ctx)
	legs := r.neverTwoCallsAtOnce()
	t.Logf("results %v, %d operator legs", count, legs)
}
