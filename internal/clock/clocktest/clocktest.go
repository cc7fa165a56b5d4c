// Package clocktest is a clock.Clock that moves only when a test moves it,
// for the parts whose rules depend on time (the queue's ring timeouts and
// wrap-up, the escalation's retries and acknowledgement timeout).
//
// Timers run as time.AfterFunc's do, at the instant they fall due:
//
//   - A timer set in the future (d > 0) runs when Advance reaches its
//     instant, on the goroutine that called Advance, before Advance returns,
//     in order of their instants (in the order they were set when they fall
//     due together). Time stands at that instant while it runs, so what it
//     sets is relative to then. A test sees every effect once Advance
//     returns, so the functions must not block on the test itself (the
//     queue's and the escalation's take a lock or close a channel).
//   - A timer that is due already (d <= 0) runs at once, on its own
//     goroutine, exactly as time.AfterFunc runs it: not on the next Advance.
//     The code under test may wait for it with nobody advancing the clock
//     (an acknowledgement deadline that passed while the server was
//     stopped), and a fake that held it back would hang where the server
//     goes on, or pass where it would not. It usually holds a lock as it
//     sets the timer, so the function cannot run on the caller's goroutine.
//     A test waits for its effect as for any other goroutine's.
package clocktest

import (
	"slices"
	"sync"
	"time"

	"github.com/slobozhanske/hotline/internal/clock"
)

// Clock is a clock moved by hand. The zero value is not usable: use New.
type Clock struct {
	mu     sync.Mutex
	now    time.Time
	seq    uint64
	timers []*timer // pending, in no particular order
}

// New starts a clock at the instant.
func New(start time.Time) *Clock { return &Clock{now: start} }

var _ clock.Clock = (*Clock)(nil)

type timer struct {
	c   *Clock
	at  time.Time
	seq uint64 // creation order, for timers due at one instant
	f   func()

	// done is set when the timer ran (or started to) or was stopped; only
	// the one who sets it acts, so Stop and the run never both succeed.
	done bool
}

// Now is the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// AfterFunc runs f once d has passed on the clock: on the caller of Advance,
// or at once on its own goroutine when d <= 0 (see the package doc).
func (c *Clock) AfterFunc(d time.Duration, f func()) clock.Timer {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.seq++
	t := &timer{c: c, at: c.now.Add(d), seq: c.seq, f: f}
	if d <= 0 {
		go func() {
			if t.claim() {
				f()
			}
		}()
		return t
	}
	c.timers = append(c.timers, t)
	return t
}

// claim marks the timer done; false when it was done already.
func (t *timer) claim() bool {
	t.c.mu.Lock()
	defer t.c.mu.Unlock()
	if t.done {
		return false
	}
	t.done = true
	t.c.timers = slices.DeleteFunc(t.c.timers, func(x *timer) bool { return x == t })
	return true
}

// Stop prevents the function from running; false if it already ran (or
// started to) or was stopped, as time.Timer.Stop.
func (t *timer) Stop() bool { return t.claim() }

// Advance moves time forward by d, running every timer that falls due on
// the way, each at its instant; then the clock stands at the end. Timers
// that those functions set run too when they fall due before the end.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	end := c.now.Add(d)
	c.mu.Unlock()
	for {
		c.mu.Lock()
		var next *timer
		for _, t := range c.timers {
			if t.at.After(end) {
				continue
			}
			if next == nil || t.at.Before(next.at) || (t.at.Equal(next.at) && t.seq < next.seq) {
				next = t
			}
		}
		if next == nil {
			if end.After(c.now) {
				c.now = end
			}
			c.mu.Unlock()
			return
		}
		next.done = true
		c.timers = slices.DeleteFunc(c.timers, func(t *timer) bool { return t == next })
		if next.at.After(c.now) {
			c.now = next.at
		}
		c.mu.Unlock()
		next.f()
	}
}

// Pending is the number of timers set in the future that have neither run
// nor been stopped.
func (c *Clock) Pending() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.timers)
}
