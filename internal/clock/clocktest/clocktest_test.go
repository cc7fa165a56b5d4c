package clocktest

import (
	"slices"
	"sync"
	"testing"
	"time"
)

var start = time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)

func TestTimersRunOnAdvanceInOrderAtTheirInstant(t *testing.T) {
	c := New(start)
	var got []string
	at := map[string]time.Time{}
	set := func(name string, d time.Duration) {
		c.AfterFunc(d, func() { got = append(got, name); at[name] = c.Now() })
	}
	set("c", 3*time.Second)
	set("a", time.Second)
	set("b1", 2*time.Second)
	set("b2", 2*time.Second) // due with b1: runs after it, in the order set
	c.Advance(1500 * time.Millisecond)
	if !slices.Equal(got, []string{"a"}) {
		t.Fatalf("after 1.5s ran %v, want [a]", got)
	}
	if c.Pending() != 3 {
		t.Fatalf("pending %d, want 3", c.Pending())
	}
	c.Advance(10 * time.Second)
	if want := []string{"a", "b1", "b2", "c"}; !slices.Equal(got, want) {
		t.Fatalf("ran %v, want %v", got, want)
	}
	if !at["b2"].Equal(start.Add(2*time.Second)) || !at["c"].Equal(start.Add(3*time.Second)) {
		t.Fatalf("ran at %v; each timer runs with the clock at its instant", at)
	}
	if now := c.Now(); !now.Equal(start.Add(11500 * time.Millisecond)) {
		t.Fatalf("now %v, want the end of the advances", now)
	}
}

func TestATimerSetByATimerRunsWithinTheSameAdvance(t *testing.T) {
	c := New(start)
	var ranAt time.Time
	c.AfterFunc(time.Second, func() {
		c.AfterFunc(time.Second, func() { ranAt = c.Now() })
	})
	c.Advance(5 * time.Second)
	if !ranAt.Equal(start.Add(2 * time.Second)) {
		t.Fatalf("the second timer ran at %v, want 2s after the start", ranAt)
	}
}

func TestStop(t *testing.T) {
	c := New(start)
	ran := false
	tm := c.AfterFunc(time.Second, func() { ran = true })
	if !tm.Stop() {
		t.Fatal("Stop of a pending timer = false")
	}
	if tm.Stop() {
		t.Fatal("second Stop = true")
	}
	c.Advance(time.Minute)
	if ran || c.Pending() != 0 {
		t.Fatalf("a stopped timer ran (%v) or is pending (%d)", ran, c.Pending())
	}
	done := c.AfterFunc(time.Second, func() {})
	c.Advance(time.Second)
	if done.Stop() {
		t.Fatal("Stop of a timer that ran = true")
	}
}

// A timer due already runs at once, as time.AfterFunc's: nobody advances
// the clock here, and the function runs while the caller still holds the
// lock it needs (as the queue's dispatcher does).
func TestATimerDueAlreadyRunsAtOnceOnItsOwnGoroutine(t *testing.T) {
	for _, d := range []time.Duration{0, -time.Second} {
		c := New(start)
		var mu sync.Mutex
		ran := make(chan time.Time, 1)
		mu.Lock()
		c.AfterFunc(d, func() {
			mu.Lock()
			defer mu.Unlock()
			ran <- c.Now()
		})
		mu.Unlock()
		select {
		case at := <-ran:
			if !at.Equal(start) {
				t.Fatalf("d=%v: ran with the clock at %v, want it unmoved", d, at)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("d=%v: a timer due already did not run without an Advance", d)
		}
		if c.Pending() != 0 {
			t.Fatalf("d=%v: pending %d", d, c.Pending())
		}
	}
}

func TestAStoppedDueTimerRunsAtMostOnce(t *testing.T) {
	c := New(start)
	runs := make(chan struct{}, 2)
	tm := c.AfterFunc(0, func() { runs <- struct{}{} })
	stopped := tm.Stop()
	if !stopped {
		<-runs // Stop lost the race: the function ran (or is running) instead
	}
	if tm.Stop() {
		t.Fatal("a second Stop succeeded")
	}
	c.Advance(time.Hour)
	select {
	case <-runs:
		t.Fatalf("ran after Stop = %v", stopped)
	default:
	}
}
