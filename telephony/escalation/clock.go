package escalation

import (
	"context"
	"errors"
	"time"

	"github.com/slobozhanske/hotline/internal/clock"
)

// Clock tells the time and runs functions later. The engine takes every
// time from it — retry delays, the ring backstop, the acknowledgement
// timeout, the instants it stores — so tests can move time by hand.
type Clock = clock.Clock

// Timer is a pending AfterFunc.
type Timer = clock.Timer

// SystemClock is the wall clock.
func SystemClock() Clock { return clock.System() }

// sleep waits d on the clock; false when ctx ended first.
func sleep(ctx context.Context, c Clock, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	done := make(chan struct{})
	t := c.AfterFunc(d, func() { close(done) })
	defer t.Stop()
	select {
	case <-done:
		return true
	case <-ctx.Done():
		return false
	}
}

// withTimeout is context.WithTimeout on the clock: the context ends with
// cause once d has passed.
func withTimeout(ctx context.Context, c Clock, d time.Duration, cause error) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancelCause(ctx)
	t := c.AfterFunc(d, func() { cancel(cause) })
	return ctx, func() {
		t.Stop()
		cancel(context.Canceled)
	}
}

// timedOut reports whether ctx ended because of its clock timeout cause
// (and not because its parent ended).
func timedOut(ctx context.Context, cause error) bool {
	return errors.Is(context.Cause(ctx), cause)
}
