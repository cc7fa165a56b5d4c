package queue

import (
	"testing"
	"time"
)

// After a controller restart the callers found waiting in Asterisk join
// again with the time they first joined: nobody who arrived meanwhile
// overtakes them, and they are in line among themselves as before.
func TestACallerTakenOverAfterARestartKeepsTheirPlaceAndJoinTime(t *testing.T) {
	q := operatorQueue()
	q.WrapUp = 0
	h := newHarness(t, []QueueConfig{q}, ops("a"))
	h.loginAll("a")
	busy := h.join("operators", 0)
	h.answer(busy, "a")

	firstJoined := h.clock.Now().Add(-3 * time.Minute)
	newcomer := h.join("operators", 0) // arrived after the restart
	h.clock.Advance(time.Second)
	second, err := h.d.Join(JoinRequest{CallID: "second", Queue: "operators", JoinedAt: firstJoined.Add(time.Minute)})
	if err != nil {
		t.Fatal(err)
	}
	first, err := h.d.Join(JoinRequest{CallID: "first", Queue: "operators", JoinedAt: firstJoined})
	if err != nil {
		t.Fatal(err)
	}
	for want, w := range map[int]*Waiter{1: first, 2: second, 3: newcomer} {
		if p := w.Position(); p.Position != want {
			t.Errorf("%s at position %d, want %d", w.req.CallID, p.Position, want)
		}
	}
	busy.Leave(OutcomeAnswered)
	h.noOffer(second)
	h.noOffer(newcomer)
	h.answer(first, "a")
	if info := first.info(); !info.JoinedAt.Equal(firstJoined) {
		t.Errorf("joined at %v, want the original %v", info.JoinedAt, firstJoined)
	}
}

// max_wait counts from the original join: a caller who had waited most of
// it before the restart overflows after the rest.
func TestMaxWaitOfACallerTakenOverCountsFromTheirFirstJoin(t *testing.T) {
	q := operatorQueue()
	q.MaxWait = 5 * time.Minute
	h := newHarness(t, []QueueConfig{q}, ops("a"))
	h.loginAll("a")
	h.answer(h.join("operators", 0), "a") // the only operator is busy
	w, err := h.d.Join(JoinRequest{CallID: "old", Queue: "operators", JoinedAt: h.clock.Now().Add(-4 * time.Minute)})
	if err != nil {
		t.Fatal(err)
	}
	h.clock.Advance(59 * time.Second)
	if got := h.events(w); len(got) != 0 {
		t.Fatalf("events %v before max_wait", got)
	}
	h.clock.Advance(2 * time.Second)
	if got := h.events(w); len(got) != 1 || got[0] != EventOverflow {
		t.Fatalf("events %v, want overflow a minute after the restart", got)
	}
}

// A conversation found going on after a restart is given back: the operator
// is on that call (offered nothing else) and wraps up when it ends.
func TestAConversationTakenOverAfterARestartKeepsTheOperatorOnTheCall(t *testing.T) {
	h := newHarness(t, []QueueConfig{operatorQueue()}, ops("a", "b"))
	h.loginAll("a", "b")
	answered := h.clock.Now().Add(-time.Minute)
	talking, err := h.d.Reattach(JoinRequest{CallID: "talking", Queue: "operators"}, "a", answered)
	if err != nil {
		t.Fatal(err)
	}
	h.wantState("a", OnCall)
	next := h.join("operators", 0)
	h.offerTo(next, "b")
	if _, err := h.d.Reattach(JoinRequest{CallID: "other", Queue: "operators"}, "a", answered); err == nil {
		t.Error("an operator already on a call took over a second conversation")
	}
	if _, err := h.d.Reattach(JoinRequest{CallID: "ghost", Queue: "operators"}, "nobody", answered); err == nil {
		t.Error("an unknown operator took over a conversation")
	}
	talking.Release()
	h.wantState("a", WrapUp)
}
