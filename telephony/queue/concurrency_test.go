package queue

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"
)

// busyTracker proves no operator ever has two calls: an operator is busy
// from the moment their phone is asked to ring until the adapter frees it.
type busyTracker struct {
	t    *testing.T
	mu   sync.Mutex
	busy map[string]int
	max  int
}

func (b *busyTracker) start(op string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.busy[op]++
	if b.busy[op] > 1 {
		b.t.Errorf("operator %s has %d calls at once", op, b.busy[op])
	}
	b.max = max(b.max, b.busy[op])
}

func (b *busyTracker) end(op string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.busy[op]--
}

// simCaller plays the adapter for one caller, with real time: it rings the
// phones offered (each answers, rings out or is busy at random), talks for a
// random time, and hangs up if kept waiting past its patience.
func simCaller(ctx context.Context, d *Dispatcher, tr *busyTracker, id int, patience time.Duration, rng *rand.Rand, rngMu *sync.Mutex) (Outcome, error) {
	w, err := d.Join(JoinRequest{CallID: fmt.Sprintf("c%02d", id), Queue: "operators"})
	if err != nil {
		return "", err
	}
	random := func(n int) time.Duration {
		rngMu.Lock()
		defer rngMu.Unlock()
		return time.Duration(rng.IntN(n)) * time.Millisecond
	}
	chance := func() float64 {
		rngMu.Lock()
		defer rngMu.Unlock()
		return rng.Float64()
	}
	phones, stopPhones := context.WithCancel(ctx)
	var wg sync.WaitGroup
	answered := make(chan *Offer, 16)
	ring := func(o *Offer) {
		defer wg.Done()
		tr.start(o.OperatorID)
		behaviour := chance()
		var pickUp <-chan time.Time
		switch {
		case behaviour < 0.1: // busy
			tr.end(o.OperatorID)
			w.Decline(o, FailBusy)
			return
		case behaviour < 0.25: // lets it ring out
		default:
			pickUp = time.After(random(40))
		}
		select {
		case <-pickUp:
			if err := w.Accept(o); err == nil {
				answered <- o
				return
			}
			tr.end(o.OperatorID)
			w.Decline(o, FailRevoked)
		case <-o.Done():
			tr.end(o.OperatorID)
			w.Decline(o, FailRevoked)
		case <-phones.Done():
			tr.end(o.OperatorID)
			w.Decline(o, FailRevoked)
		}
	}
	leave := func(outcome Outcome) Outcome {
		stopPhones()
		wg.Wait()
		close(answered)
		for o := range answered { // answered as the caller hung up
			tr.end(o.OperatorID)
			outcome = OutcomeAnswered
		}
		w.Leave(outcome)
		return outcome
	}
	giveUp := time.After(patience)
	for {
		select {
		case <-w.Offers():
			for _, o := range w.TakeOffers() {
				wg.Add(1)
				go ring(o)
			}
		case o := <-answered:
			time.Sleep(random(10)) // the conversation
			tr.end(o.OperatorID)
			w.Release()
			stopPhones()
			wg.Wait()
			w.Leave(OutcomeAnswered)
			return OutcomeAnswered, nil
		case <-w.Events():
			for _, ev := range w.TakeEvents() {
				return leave(Outcome(ev.Kind)), nil
			}
		case <-giveUp:
			return leave(OutcomeAbandoned), nil
		case <-ctx.Done():
			return leave(OutcomeError), ctx.Err()
		}
	}
}

func TestFiftyCallersAndFiveOperatorsAtOnce(t *testing.T) {
	for _, strategy := range []Strategy{LongestIdle, RoundRobin, RingAll} {
		t.Run(string(strategy), func(t *testing.T) {
			q := QueueConfig{Name: "operators", Strategy: strategy, RingTimeout: 30 * time.Millisecond,
				WrapUp: 2 * time.Millisecond, MaxNoAnswer: 1000, RetryDelay: 3 * time.Millisecond, MaxLength: 100}
			d, err := New(Config{Queues: []QueueConfig{q}, Operators: ops("a", "b", "c", "d", "e"), Log: quietLog(), ReleaseTimeout: time.Minute})
			if err != nil {
				t.Fatal(err)
			}
			for _, id := range []string{"a", "b", "c", "d", "e"} {
				d.Login(id)
			}
			tr := &busyTracker{t: t, busy: map[string]int{}}
			rng := rand.New(rand.NewPCG(1, uint64(len(strategy))))
			var rngMu sync.Mutex
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()

			// One caller in five hangs up within 100 ms; the others wait.
			patience := make([]time.Duration, 50)
			for i := range patience {
				patience[i] = 10 * time.Second
				if i%5 == 0 {
					patience[i] = time.Duration(rng.IntN(100)) * time.Millisecond
				}
			}
			outcomes := make([]Outcome, 50)
			errs := make([]error, 50)
			var wg sync.WaitGroup
			for i := range 50 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					outcomes[i], errs[i] = simCaller(ctx, d, tr, i, patience[i], rng, &rngMu)
				}()
			}
			wg.Wait()
			count := map[Outcome]int{}
			for i, o := range outcomes {
				if errs[i] != nil {
					t.Errorf("caller %d: %v", i, errs[i])
				}
				count[o]++
			}
			if count[OutcomeAnswered]+count[OutcomeAbandoned] != 50 {
				t.Fatalf("outcomes %v: every caller must be answered or abandon", count)
			}
			if count[OutcomeAnswered] < 30 {
				t.Fatalf("only %d answered", count[OutcomeAnswered])
			}
			// The last wrap-ups end on the wall clock: the check waits for
			// every operator to be available again rather than sleeping
			// for a guess, then nobody may be left in the queue.
			s := untilAllAvailable(d, 5*time.Second)
			for _, op := range s.Operators {
				if op.State != Available || op.Call != nil {
					t.Fatalf("operator %s left %s with %+v", op.ID, op.State, op.Call)
				}
			}
			if n := len(s.Queues[0].Waiting) + len(s.Queues[0].Talking); n != 0 {
				t.Fatalf("%d callers still in the queue", n)
			}
			st := s.Queues[0].Stats
			if st.Answered != count[OutcomeAnswered] || st.Abandoned != count[OutcomeAbandoned] {
				t.Fatalf("stats %+v disagree with the callers' outcomes %v", st, count)
			}
			t.Logf("%s: %v, %d offers", strategy, count, st.Offers)
		})
	}
}

// untilAllAvailable is the snapshot once every operator is available with
// no call, or the last one taken when within has passed.
func untilAllAvailable(d *Dispatcher, within time.Duration) Snapshot {
	deadline := time.Now().Add(within)
	for {
		s := d.Snapshot()
		free := true
		for _, op := range s.Operators {
			free = free && op.State == Available && op.Call == nil
		}
		if free || time.Now().After(deadline) {
			return s
		}
		time.Sleep(time.Millisecond)
	}
}
