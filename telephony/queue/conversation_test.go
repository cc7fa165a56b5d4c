package queue

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestAnOperatorsConversationIsTheCallTheyTalkOnNotOneRingingOrWrappedUp(t *testing.T) {
	h := newHarness(t, []QueueConfig{operatorQueue()}, ops("a", "b"))
	h.loginAll("a", "b")
	w := h.join("operators", 0)
	o := h.offerTo(w, "a")[0]
	if id, ok := h.d.Conversation("a"); ok {
		t.Fatalf("a talks on %s while the phone rings", id)
	}
	if err := w.Accept(o); err != nil {
		t.Fatal(err)
	}
	if id, ok := h.d.Conversation("a"); !ok || id != w.CallID() {
		t.Fatalf("a's conversation: %q, %v; want %s", id, ok, w.CallID())
	}
	for _, other := range []string{"b", "nobody"} {
		if id, ok := h.d.Conversation(other); ok {
			t.Fatalf("%s talks on %s", other, id)
		}
	}
	w.Release()
	h.wantState("a", WrapUp)
	if id, ok := h.d.Conversation("a"); ok {
		t.Fatalf("a still talks on %s in wrap-up", id)
	}
}

func TestAReadBackGoesToTheOwnerOfACallInConversationAndIsRefusedOtherwise(t *testing.T) {
	h := newHarness(t, []QueueConfig{operatorQueue()}, ops("a"))
	h.loginAll("a")
	w := h.join("operators", 0)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := h.d.ReadBack(ctx, w.CallID(), "123"); !errors.Is(err, ErrNotInConversation) {
		t.Fatalf("read back to a waiting caller: %v", err)
	}
	if err := h.d.ReadBack(ctx, "unknown", "123"); !errors.Is(err, ErrCallNotFound) {
		t.Fatalf("read back to an unknown call: %v", err)
	}
	h.answer(w, "a")

	// The owner plays it and says it started.
	owner := func(answer func(rb *ReadBack)) {
		<-w.Events()
		for _, ev := range w.TakeEvents() {
			if ev.Kind == EventReadBack {
				answer(ev.ReadBack)
			}
		}
	}
	go owner(func(rb *ReadBack) {
		if rb.Digits != "123" {
			rb.Done(errors.New("wrong digits " + rb.Digits))
			return
		}
		rb.Done(nil)
	})
	if err := h.d.ReadBack(ctx, w.CallID(), "123"); err != nil {
		t.Fatal(err)
	}
	go owner(func(rb *ReadBack) { rb.Done(errors.New("bridge gone")) })
	if err := h.d.ReadBack(ctx, w.CallID(), "123"); err == nil || err.Error() != "read back on call "+w.CallID()+": bridge gone" {
		t.Fatalf("a failed read back reported %v", err)
	}

	// One still pending when the conversation ends is refused, not left waiting.
	done := make(chan error, 1)
	go func() { done <- h.d.ReadBack(ctx, w.CallID(), "123") }()
	<-w.Events()
	w.Release()
	if err := <-done; !errors.Is(err, ErrNotInConversation) {
		t.Fatalf("read back pending at the end of the conversation: %v", err)
	}
	if err := h.d.ReadBack(ctx, w.CallID(), "123"); !errors.Is(err, ErrNotInConversation) {
		t.Fatalf("read back after the conversation: %v", err)
	}
}
