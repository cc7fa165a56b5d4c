package outbox_test

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/slobozhanske/hotline/internal/outbox"
)

// sink is a flush target that records every batch it accepts and fails
// while told to.
type sink struct {
	mu      sync.Mutex
	batches [][]int
	calls   int
	failN   int  // fail this many more calls
	down    bool // fail every call while set
}

func (s *sink) flush(_ context.Context, batch []int) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls++
	if s.down {
		return errors.New("database away")
	}
	if s.failN > 0 {
		s.failN--
		return errors.New("database away")
	}
	s.batches = append(s.batches, slices.Clone(batch))
	return nil
}

func (s *sink) setDown(down bool) { s.mu.Lock(); s.down = down; s.mu.Unlock() }

func (s *sink) written() []int {
	s.mu.Lock()
	defer s.mu.Unlock()
	var all []int
	for _, b := range s.batches {
		all = append(all, b...)
	}
	return all
}

func (s *sink) callCount() int { s.mu.Lock(); defer s.mu.Unlock(); return s.calls }

// logs records the messages logged.
type logs struct {
	mu   sync.Mutex
	msgs []string
}

func (l *logs) Enabled(context.Context, slog.Level) bool { return true }
func (l *logs) Handle(_ context.Context, r slog.Record) error {
	l.mu.Lock()
	l.msgs = append(l.msgs, r.Message)
	l.mu.Unlock()
	return nil
}
func (l *logs) WithAttrs([]slog.Attr) slog.Handler { return l }
func (l *logs) WithGroup(string) slog.Handler      { return l }
func (l *logs) count(msg string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, m := range l.msgs {
		if m == msg {
			n++
		}
	}
	return n
}

var msgs = outbox.Messages{Dropped: "full", Retry: "retry", Unwritten: "unwritten"}

type rig struct {
	box              *outbox.Outbox[int]
	sink             *sink
	logs             *logs
	pending          prometheus.Gauge
	dropped, retries prometheus.Counter
}

func newRig(cfg outbox.Config[int]) *rig {
	r := &rig{sink: &sink{}, logs: &logs{},
		pending: prometheus.NewGauge(prometheus.GaugeOpts{Name: "pending"}),
		dropped: prometheus.NewCounter(prometheus.CounterOpts{Name: "dropped"}),
		retries: prometheus.NewCounter(prometheus.CounterOpts{Name: "retries"}),
	}
	cfg.Flush = r.sink.flush
	cfg.Log = slog.New(r.logs)
	cfg.Pending, cfg.Dropped, cfg.Retries = r.pending, r.dropped, r.retries
	cfg.Messages = msgs
	if cfg.MinBackoff == 0 {
		cfg.MinBackoff = time.Millisecond
		cfg.MaxBackoff = 5 * time.Millisecond
	}
	if cfg.DrainPause == 0 {
		cfg.DrainPause = time.Millisecond
	}
	r.box = outbox.New(cfg)
	return r
}

// run starts Run and returns a stop that cancels it and waits for it to end.
func (r *rig) run(t *testing.T, drainTimeout time.Duration) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); r.box.Run(ctx, drainTimeout) }()
	var once sync.Once
	stop = func() { once.Do(func() { cancel(); <-done }) }
	t.Cleanup(stop)
	return stop
}

func (r *rig) waitIdle(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := r.box.WaitIdle(ctx); err != nil {
		t.Fatalf("still %d pending: %v", r.box.Len(), err)
	}
}

func seq(from, to int) []int {
	var s []int
	for i := from; i < to; i++ {
		s = append(s, i)
	}
	return s
}

func TestItemsAreWrittenInOrderInBoundedBatches(t *testing.T) {
	r := newRig(outbox.Config[int]{Capacity: 100, BatchSize: 3})
	for i := range 10 { // queued before Run: 3+3+3+1
		r.box.Append(i)
	}
	r.run(t, time.Second)
	r.waitIdle(t)
	for i := 10; i < 20; i++ { // and while it runs
		r.box.Append(i)
	}
	r.waitIdle(t)
	if got := r.sink.written(); !slices.Equal(got, seq(0, 20)) {
		t.Errorf("written %v, want 0..19 in order", got)
	}
	r.sink.mu.Lock()
	for _, b := range r.sink.batches {
		if len(b) == 0 || len(b) > 3 {
			t.Errorf("batch of %d, want 1..3", len(b))
		}
	}
	r.sink.mu.Unlock()
	if v := testutil.ToFloat64(r.pending); v != 0 {
		t.Errorf("pending gauge = %v, want 0", v)
	}
}

func TestAFailedBatchIsRetriedWholeUntilItSucceeds(t *testing.T) {
	r := newRig(outbox.Config[int]{Capacity: 100, BatchSize: 4})
	r.sink.failN = 3
	for i := range 10 {
		r.box.Append(i)
	}
	r.run(t, time.Second)
	r.waitIdle(t)
	if got := r.sink.written(); !slices.Equal(got, seq(0, 10)) {
		t.Errorf("written %v, want 0..9 once each, in order", got)
	}
	if v := testutil.ToFloat64(r.retries); v != 3 {
		t.Errorf("retries = %v, want 3", v)
	}
	if n := r.logs.count("retry"); n != 3 {
		t.Errorf("retry logged %d times, want 3", n)
	}
}

func TestAFullBufferDropsCountsAndLogsSparingly(t *testing.T) {
	r := newRig(outbox.Config[int]{Capacity: 5})
	for i := range 1005 { // no Run: nothing leaves the buffer
		r.box.Append(i)
	}
	if n := r.box.Len(); n != 5 {
		t.Errorf("Len = %d, want the capacity 5", n)
	}
	if v := testutil.ToFloat64(r.dropped); v != 1000 {
		t.Errorf("dropped = %v, want 1000", v)
	}
	if v := testutil.ToFloat64(r.pending); v != 5 {
		t.Errorf("pending gauge = %v, want 5", v)
	}
	if n := r.logs.count("full"); n != 2 { // the 1st and the 1000th
		t.Errorf("drop logged %d times, want 2", n)
	}
	r.run(t, time.Second)
	r.waitIdle(t)
	if got := r.sink.written(); !slices.Equal(got, seq(0, 5)) {
		t.Errorf("written %v, want the first five", got)
	}
}

func TestShutdownDrainsWhatIsLeft(t *testing.T) {
	r := newRig(outbox.Config[int]{Capacity: 100, BatchSize: 2})
	r.sink.setDown(true)
	stop := r.run(t, 5*time.Second)
	for i := range 7 {
		r.box.Append(i)
	}
	for r.sink.callCount() == 0 { // let Run fail at least once
		time.Sleep(time.Millisecond)
	}
	go func() { time.Sleep(20 * time.Millisecond); r.sink.setDown(false) }()
	stop() // returns once the drain has written everything
	if got := r.sink.written(); !slices.Equal(got, seq(0, 7)) {
		t.Errorf("written %v, want 0..6 in order", got)
	}
	if n := r.logs.count("unwritten"); n != 0 {
		t.Errorf("unwritten logged %d times, want 0", n)
	}
}

func TestShutdownDrainIsBoundedByItsTimeout(t *testing.T) {
	r := newRig(outbox.Config[int]{Capacity: 100})
	r.sink.setDown(true)
	for i := range 3 {
		r.box.Append(i)
	}
	stop := r.run(t, 50*time.Millisecond)
	began := time.Now()
	stop()
	if d := time.Since(began); d > 2*time.Second {
		t.Errorf("Run took %v to return, want about the drain timeout", d)
	}
	if n := r.box.Len(); n != 3 {
		t.Errorf("Len = %d, want 3 unwritten", n)
	}
	if n := r.logs.count("unwritten"); n != 1 {
		t.Errorf("unwritten logged %d times, want 1", n)
	}
}

// While the database is away new items do not cut the backoff short: the
// buffer retries at its own pace, not at the pace of arrivals.
func TestAppendsDuringTheBackoffWaitForIt(t *testing.T) {
	r := newRig(outbox.Config[int]{Capacity: 100, MinBackoff: time.Hour, MaxBackoff: time.Hour})
	r.sink.failN = 1
	stop := r.run(t, time.Second)
	r.box.Append(1)
	for r.sink.callCount() == 0 {
		time.Sleep(time.Millisecond)
	}
	r.box.Append(2)
	time.Sleep(50 * time.Millisecond)
	if got := r.sink.written(); len(got) != 0 {
		t.Errorf("written %v during the backoff, want nothing", got)
	}
	stop()
	if got := r.sink.written(); !slices.Equal(got, []int{1, 2}) {
		t.Errorf("after shutdown written %v, want [1 2]", got)
	}
}

func TestWaitIdleEndsWithItsContext(t *testing.T) {
	r := newRig(outbox.Config[int]{Capacity: 10})
	r.box.Append(1)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if err := r.box.WaitIdle(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("WaitIdle = %v, want the deadline", err)
	}
}
