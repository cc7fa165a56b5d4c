package queue

import (
	"context"
	"errors"
	"fmt"
	"slices"
)

// ErrNotInConversation: the call is in a queue but nobody talks to the
// caller now (still waiting, or the conversation is over).
var ErrNotInConversation = errors.New("call is not in conversation with an operator")

// ReadBack asks the owner of a call in conversation to read digits (an
// appeal's number) to both the caller and the operator. The owner answers
// exactly once with Done: nil once the reading has started, or why it could
// not.
type ReadBack struct {
	Digits string
	result chan error
}

// Done reports the outcome to whoever asked; later calls are ignored.
func (r *ReadBack) Done(err error) {
	select {
	case r.result <- err:
	default:
	}
}

// Conversation is the call the operator is talking on now: answered and
// not yet released (not while ringing or wrapping up).
func (d *Dispatcher) Conversation(operatorID string) (callID string, ok bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	op, found := d.ops[operatorID]
	if !found || op.activity != OnCall || op.call == nil || !op.call.talkingLocked() {
		return "", false
	}
	return op.call.req.CallID, true
}

// ReadBack hands digits to the goroutine that owns a call in conversation
// (it owns the bridge, as it owns everything its call created) and waits
// until the reading has started, or ctx ends. ErrCallNotFound when the
// call is in no queue, ErrNotInConversation when nobody talks to the caller.
func (d *Dispatcher) ReadBack(ctx context.Context, callID, digits string) error {
	rb := &ReadBack{Digits: digits, result: make(chan error, 1)}
	d.mu.Lock()
	w, ok := d.calls[callID]
	switch {
	case !ok:
		d.mu.Unlock()
		return fmt.Errorf("read back on call %s: %w", callID, ErrCallNotFound)
	case !w.talkingLocked():
		d.mu.Unlock()
		return fmt.Errorf("read back on call %s: %w", callID, ErrNotInConversation)
	}
	w.push(Event{Kind: EventReadBack, ReadBack: rb})
	d.mu.Unlock()
	select {
	case err := <-rb.result:
		if err != nil {
			return fmt.Errorf("read back on call %s: %w", callID, err)
		}
		return nil
	case <-ctx.Done():
		return fmt.Errorf("read back on call %s: %w", callID, ctx.Err())
	}
}

// talkingLocked: answered, and the conversation not over.
func (w *Waiter) talkingLocked() bool { return w.status == connected && !w.released }

// refuseReadBacksLocked answers the read backs still pending once the
// conversation is over (or never began): nobody will play them.
func (w *Waiter) refuseReadBacksLocked() {
	w.events = slices.DeleteFunc(w.events, func(ev Event) bool {
		if ev.Kind != EventReadBack {
			return false
		}
		ev.ReadBack.Done(ErrNotInConversation)
		return true
	})
}
