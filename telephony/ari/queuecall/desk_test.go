package queuecall_test

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/slobozhanske/hotline/appeals/httpapi"
	"github.com/slobozhanske/hotline/telephony/ari/aritest"
	"github.com/slobozhanske/hotline/telephony/ari/queuecall"
	"github.com/slobozhanske/hotline/telephony/queue"
)

// The appeals API takes the queue as its call desk.
var _ httpapi.CallDesk = (*queuecall.Service)(nil)

// callID is the call record id of a resident's call (the id appeal cards link to).
func (r *rig) callID(number string) string {
	r.t.Helper()
	ctx := r.ctx(10 * time.Second)
	if err := r.records.WaitIdle(ctx); err != nil {
		r.t.Fatal(err)
	}
	var id string
	if err := r.pool.QueryRow(ctx, `SELECT id FROM calls WHERE caller_number = $1`, number).Scan(&id); err != nil {
		r.t.Fatalf("call record of %s: %v", number, err)
	}
	return id
}

func TestAnOperatorInConversationHearsTheAppealNumberReadToTheCallerOnTheirCall(t *testing.T) {
	r := newRig(t, rigOptions{operators: 1})
	ctx := r.ctx(20 * time.Second)
	r.login("op101")
	caller := r.dial(ctx, "0503030303")
	op, err := r.srv.WaitOutbound(ctx, "PJSIP/op101")
	if err != nil {
		t.Fatal(err)
	}
	bridged(t, ctx, caller, op)
	want := r.callID("0503030303")
	// The API user op101 is operator op101.
	got, onCall := r.svc.CurrentCall(ctx, "op101")
	if !onCall || got != want {
		t.Fatalf("op101's current call: %q, %v; want %q", got, onCall, want)
	}

	if err := r.svc.ReadBackNumber(ctx, got, "2026-000123"); err != nil {
		t.Fatal(err)
	}
	bridge := "bridge:" + caller.BridgeID()
	for _, p := range []*aritest.Party{caller, op} {
		for _, media := range []string{"sound:hotline/appeal-registered", "digits:2026000123"} {
			h, err := p.WaitForPlaybackEnd(ctx, media)
			if err != nil {
				t.Fatalf("%s never heard %s: %v (heard %v)", p.ChannelID(), media, err, p.HeardURIs())
			}
			if h.MediaURI != media || h.Target != bridge || h.Outcome != aritest.HeardDone {
				t.Fatalf("%s heard %+v, want %s played to the whole %s", p.ChannelID(), h, media, bridge)
			}
		}
	}
	if !caller.InBridgeWith(op) {
		t.Fatal("the read back broke the conversation")
	}
	caller.Hangup()
	if res := r.waitResult(ctx, "0503030303"); res.Kind != "answered" {
		t.Fatalf("result %+v", res)
	}
	if _, onCall := r.svc.CurrentCall(ctx, "op101"); onCall {
		t.Fatal("op101 still has a current call after the caller hung up")
	}
	r.noChannelsLeft(ctx)
}

func TestAnOperatorNotTalkingToAnyoneHasNoCurrentCall(t *testing.T) {
	q := defaultQueue()
	q.RingTimeout = 5 * time.Second // far beyond the test
	r := newRig(t, rigOptions{queue: q, operators: 2})
	ctx := r.ctx(20 * time.Second)
	r.srv.SetPhone("PJSIP/op101", aritest.PhoneBehavior{Outcome: aritest.NoAnswer})
	r.login("op101", "op102") // op101 idle longest: rung first
	for _, user := range []string{"op101", "op102", "supervisor", ""} {
		if id, onCall := r.svc.CurrentCall(ctx, user); onCall {
			t.Fatalf("%q has current call %s before any call", user, id)
		}
	}
	caller := r.dial(ctx, "0504040404")
	ringing, err := r.srv.WaitOutbound(ctx, "PJSIP/op101")
	if err != nil {
		t.Fatal(err)
	}
	if err := ringing.WaitState(ctx, "Ringing"); err != nil {
		t.Fatal(err)
	}
	for _, user := range []string{"op101", "op102"} { // ringing; idle
		if id, onCall := r.svc.CurrentCall(ctx, user); onCall {
			t.Fatalf("%s has current call %s while the caller waits", user, id)
		}
	}
	caller.Hangup()
	r.waitResult(ctx, "0504040404")
	r.noChannelsLeft(ctx)
}

func TestAnAppealNumberCannotBeReadToACallNotInConversation(t *testing.T) {
	r := newRig(t, rigOptions{operators: 1})
	ctx := r.ctx(20 * time.Second)
	r.login("op101")
	if err := r.d.Pause("op101", queue.ReasonBreak); err != nil {
		t.Fatal(err)
	}
	caller := r.dial(ctx, "0505050505")
	if err := caller.WaitMOH(ctx, "hotline"); err != nil {
		t.Fatal(err)
	}
	waiting := r.callID("0505050505")
	if err := r.svc.ReadBackNumber(ctx, waiting, "123"); !errors.Is(err, queue.ErrNotInConversation) {
		t.Fatalf("read back to a waiting caller: %v, want not in conversation", err)
	}
	if err := r.svc.ReadBackNumber(ctx, "no-such-call", "123"); !errors.Is(err, queue.ErrCallNotFound) {
		t.Fatalf("read back to an unknown call: %v, want call not found", err)
	}
	// Nor without digits to read, even in conversation.
	r.d.Unpause("op101")
	op, err := r.srv.WaitOutbound(ctx, "PJSIP/op101")
	if err != nil {
		t.Fatal(err)
	}
	bridged(t, ctx, caller, op)
	if err := r.svc.ReadBackNumber(ctx, waiting, "-#"); err == nil {
		t.Fatal("a read back without digits was taken")
	}
	time.Sleep(20 * time.Millisecond) // a wrong playback would have started by now
	if slices.ContainsFunc(caller.HeardURIs(), func(m string) bool {
		return m == "sound:hotline/appeal-registered" || strings.HasPrefix(m, "digits:")
	}) {
		t.Fatalf("the caller heard a read back: %v", caller.HeardURIs())
	}
	caller.Hangup()
	r.waitResult(ctx, "0505050505")
	r.noChannelsLeft(ctx)
}
