package escalation

import (
	"context"
	"log/slog"
	"sync"

	"github.com/slobozhanske/hotline/ivr"
)

// Handoff keeps the caller on the line (escalation.keep_caller_on_line):
// the caller's goroutine waits on Accepted while the chain is phoned; once a
// person on duty accepts, they hear "connecting you to the caller" and Take
// gives the caller's goroutine their line to bridge. Ownership moves with
// it: whoever holds the line must Hangup it. The caller's goroutine must
// Release the handoff when it stops waiting (the caller hung up, or it gave
// up waiting); the escalation then goes on as usual without the caller.
type Handoff struct {
	accepted chan struct{} // closed when a line is offered
	resolved chan struct{} // closed when the offer is taken or the handoff released

	mu       sync.Mutex
	line     Line
	taken    bool
	released bool
	offered  bool
}

func newHandoff() *Handoff {
	return &Handoff{accepted: make(chan struct{}), resolved: make(chan struct{})}
}

// Accepted is closed once a person on duty accepted and waits for the caller.
func (h *Handoff) Accepted() <-chan struct{} { return h.accepted }

// Done is closed once the handoff can no longer connect anyone: the line was
// taken, the offer withdrawn, the handoff released, or the escalation ended
// without an acceptance. A caller waiting on Accepted also waits on Done.
func (h *Handoff) Done() <-chan struct{} { return h.resolved }

// Take returns the accepted line, now the caller's goroutine's to bridge and
// hang up; false when there is none (any more): the offer was withdrawn
// after Settings.HandoffWait, or the handoff was released.
func (h *Handoff) Take() (Line, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.offered || h.taken || h.released || h.line == nil {
		return nil, false
	}
	h.taken = true
	close(h.resolved)
	return h.line, true
}

// Release says the caller no longer waits. It is safe to call more than
// once, and after Take.
func (h *Handoff) Release() { h.release() }

func (h *Handoff) release() {
	if h == nil {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.released || h.taken {
		return
	}
	h.released = true
	h.line = nil
	close(h.resolved)
}

// offer makes the line available to Take; false if the caller has gone.
func (h *Handoff) offer(line Line) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.released || h.offered {
		return false
	}
	h.offered, h.line = true, line
	close(h.accepted)
	return true
}

// withdraw takes an untaken offer back; false when it was taken.
func (h *Handoff) withdraw() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.taken {
		return false
	}
	if !h.released {
		h.released = true
		close(h.resolved)
	}
	h.line = nil
	return true
}

// StartWithCaller is Start for keep_caller_on_line: the caller stays on the
// line, and the returned Handoff connects them to the person on duty who
// accepts. The caller's goroutine must Release it when it stops waiting.
func (e *Engine) StartWithCaller(ctx context.Context, alert ivr.SOSAlert) (*Handoff, error) {
	h := newHandoff()
	if _, err := e.start(ctx, alert, h); err != nil {
		return nil, err
	}
	return h, nil
}

// handOver offers the accepted line to the waiting caller; true when the
// caller's goroutine took it (and now owns it).
func (e *Engine) handOver(ctx context.Context, line Line, h *Handoff, log *slog.Logger) bool {
	h.mu.Lock()
	waiting := !h.released
	h.mu.Unlock()
	if !waiting {
		return false
	}
	if err := line.Play(ctx, e.prompts.ConnectingCaller); err != nil {
		log.Debug("play connecting-caller", "err", err)
	}
	if !h.offer(line) {
		return false
	}
	wctx, cancel := withTimeout(ctx, e.clock, e.s.HandoffWait, context.DeadlineExceeded)
	defer cancel()
	select {
	case <-h.resolved:
	case <-wctx.Done():
	}
	if h.withdraw() {
		log.Info("the caller was not connected to the person on duty", "reason", "the caller left or was not taken in time")
		return false
	}
	log.Info("the person on duty is handed to the caller's call")
	return true
}
