// Package esctest has what tests of the escalation need beside a real
// database: a clock moved by hand, phones on duty that answer (or not) as a
// script says, and an appeal history in memory.
package esctest

import (
	"slices"
	"sync"
	"time"

	"github.com/slobozhanske/hotline/telephony/escalation"
)

// Clock moves only when told; timers due run in order on the caller of
// Advance (they must not block: the engine's only close channels and cancel
// contexts).
type Clock struct {
	mu     sync.Mutex
	now    time.Time
	timers []*timer
}

type timer struct {
	c  *Clock
	at time.Time
	f  func()
}

// NewClock starts a clock at the instant.
func NewClock(start time.Time) *Clock { return &Clock{now: start} }

// Now implements escalation.Clock.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// AfterFunc implements escalation.Clock. A function due already runs at once
// on its own goroutine, as with time.AfterFunc.
func (c *Clock) AfterFunc(d time.Duration, f func()) escalation.Timer {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := &timer{c: c, at: c.now.Add(d), f: f}
	if d <= 0 {
		go f()
		return t
	}
	c.timers = append(c.timers, t)
	return t
}

func (t *timer) Stop() bool {
	t.c.mu.Lock()
	defer t.c.mu.Unlock()
	i := slices.Index(t.c.timers, t)
	if i < 0 {
		return false
	}
	t.c.timers = slices.Delete(t.c.timers, i, i+1)
	return true
}

// Advance moves time forward by d, running every timer that falls due at its instant.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	end := c.now.Add(d)
	c.mu.Unlock()
	for {
		c.mu.Lock()
		var next *timer
		for _, t := range c.timers {
			if !t.at.After(end) && (next == nil || t.at.Before(next.at)) {
				next = t
			}
		}
		if next == nil {
			c.now = end
			c.mu.Unlock()
			return
		}
		c.timers = slices.DeleteFunc(c.timers, func(t *timer) bool { return t == next })
		c.now = next.at
		c.mu.Unlock()
		next.f()
	}
}

// Pending is the number of timers waiting.
func (c *Clock) Pending() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.timers)
}

// ScaledClock is the wall clock running faster, to match the ARI test
// server's TimeScale: d of its time passes in d×scale of real time.
type ScaledClock struct {
	start time.Time
	real  time.Time
	scale float64
}

// NewScaledClock starts a scaled clock at the instant.
func NewScaledClock(start time.Time, scale float64) *ScaledClock {
	return &ScaledClock{start: start, real: time.Now(), scale: scale}
}

// Now implements escalation.Clock.
func (c *ScaledClock) Now() time.Time {
	return c.start.Add(time.Duration(float64(time.Since(c.real)) / c.scale))
}

// AfterFunc implements escalation.Clock.
func (c *ScaledClock) AfterFunc(d time.Duration, f func()) escalation.Timer {
	return time.AfterFunc(time.Duration(float64(d)*c.scale), f)
}
