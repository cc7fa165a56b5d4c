package queue

import (
	"io"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/slobozhanske/hotline/internal/clock/clocktest"
)

// testStart is when the tests' clock starts: a Monday morning.
var testStart = time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)

func newFakeClock() *clocktest.Clock { return clocktest.New(testStart) }

// memLog is a StateLog in memory.
type memLog struct {
	mu      sync.Mutex
	changes []StateChange
}

func (l *memLog) Append(c StateChange) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.changes = append(l.changes, c)
}

func (l *memLog) of(id string) []StateChange {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []StateChange
	for _, c := range l.changes {
		if c.OperatorID == id {
			out = append(out, c)
		}
	}
	return out
}

type harness struct {
	t     *testing.T
	clock *clocktest.Clock
	log   *memLog
	d     *Dispatcher
	calls int
}

// operatorQueue is the queue of the tests: the hotline's defaults.
func operatorQueue() QueueConfig {
	return QueueConfig{Name: "operators", Strategy: LongestIdle, RingTimeout: 15 * time.Second, WrapUp: 10 * time.Second,
		MaxNoAnswer: 3, RetryDelay: 5 * time.Second, MaxWait: 15 * time.Minute, MaxLength: 50, ServiceLevel: 20 * time.Second}
}

func ops(ids ...string) []Operator {
	var out []Operator
	for _, id := range ids {
		out = append(out, Operator{ID: id, Name: "Operator " + id, Endpoint: "PJSIP/" + id, Queues: []string{"operators"}})
	}
	return out
}

func quietLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func newHarness(t *testing.T, queues []QueueConfig, operators []Operator) *harness {
	t.Helper()
	h := &harness{t: t, clock: newFakeClock(), log: &memLog{}}
	d, err := New(Config{Queues: queues, Operators: operators, Clock: h.clock, StateLog: h.log, Log: quietLog()})
	if err != nil {
		t.Fatal(err)
	}
	h.d = d
	return h
}

// loginAll logs every operator in, a second apart, in the order given.
func (h *harness) loginAll(ids ...string) {
	h.t.Helper()
	for _, id := range ids {
		if err := h.d.Login(id); err != nil {
			h.t.Fatal(err)
		}
		h.clock.Advance(time.Second)
	}
}

func (h *harness) join(queue string, priority int) *Waiter {
	h.t.Helper()
	h.calls++
	w, err := h.d.Join(JoinRequest{CallID: callName(h.calls), CallerNumber: "050000000" + callName(h.calls), Queue: queue, Priority: priority})
	if err != nil {
		h.t.Fatalf("join: %v", err)
	}
	return w
}

func callName(n int) string { return "call" + string(rune('0'+n/10)) + string(rune('0'+n%10)) }

// offerTo takes the caller's new offers and expects exactly these operators rung.
func (h *harness) offerTo(w *Waiter, want ...string) []*Offer {
	h.t.Helper()
	offers := w.TakeOffers()
	var got []string
	for _, o := range offers {
		got = append(got, o.OperatorID)
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		h.t.Fatalf("%s: offered to %v, want %v", w.CallID(), got, want)
	}
	return offers
}

func (h *harness) noOffer(w *Waiter) {
	h.t.Helper()
	if got := w.TakeOffers(); len(got) > 0 {
		h.t.Fatalf("%s: offered to %s, want no offer", w.CallID(), got[0].OperatorID)
	}
}

func (h *harness) state(id string) State {
	h.t.Helper()
	s, ok := h.d.Operator(id)
	if !ok {
		h.t.Fatalf("no operator %s", id)
	}
	return s.State
}

func (h *harness) wantState(id string, want State) {
	h.t.Helper()
	if got := h.state(id); got != want {
		h.t.Fatalf("operator %s is %s, want %s", id, got, want)
	}
}

// answer: the operator picks up the one offer just made to them.
func (h *harness) answer(w *Waiter, id string) {
	h.t.Helper()
	o := h.offerTo(w, id)[0]
	if err := w.Accept(o); err != nil {
		h.t.Fatalf("accept: %v", err)
	}
}

func (h *harness) events(w *Waiter) []EventKind {
	var out []EventKind
	for _, e := range w.TakeEvents() {
		out = append(out, e.Kind)
	}
	return out
}
