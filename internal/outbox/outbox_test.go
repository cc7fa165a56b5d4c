package outbox_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
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
	// poison are items the sink never accepts: a batch holding one fails
	// with a constraint violation and writes nothing, as a transaction would.
	poison map[int]bool
	// transientAt fails these calls (1-based) as if the database were away.
	transientAt map[int]bool
}

func (s *sink) flush(_ context.Context, batch []int) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls++
	if s.down || s.transientAt[s.calls] {
		return errors.New("database away")
	}
	if s.failN > 0 {
		s.failN--
		return errors.New("database away")
	}
	for _, v := range batch {
		if s.poison[v] {
			return fmt.Errorf("write batch: %w", &pgconn.PgError{Code: "23505", Message: "duplicate key value violates unique constraint"})
		}
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
	mu    sync.Mutex
	msgs  []string
	attrs []map[string]string // each message's attributes, by key
}

func (l *logs) Enabled(context.Context, slog.Level) bool { return true }
func (l *logs) Handle(_ context.Context, r slog.Record) error {
	attrs := map[string]string{}
	r.Attrs(func(a slog.Attr) bool { attrs[a.Key] = a.Value.String(); return true })
	l.mu.Lock()
	l.msgs = append(l.msgs, r.Message)
	l.attrs = append(l.attrs, attrs)
	l.mu.Unlock()
	return nil
}

// with returns the attributes of every message msg logged.
func (l *logs) with(msg string) []map[string]string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []map[string]string
	for i, m := range l.msgs {
		if m == msg {
			out = append(out, l.attrs[i])
		}
	}
	return out
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

var msgs = outbox.Messages{Dropped: "full", Retry: "retry", Unwritten: "unwritten", Rejected: "rejected"}

type rig struct {
	box                        *outbox.Outbox[int]
	sink                       *sink
	logs                       *logs
	pending                    prometheus.Gauge
	dropped, retries, rejected prometheus.Counter
}

func newRig(cfg outbox.Config[int]) *rig {
	r := &rig{sink: &sink{}, logs: &logs{},
		pending:  prometheus.NewGauge(prometheus.GaugeOpts{Name: "pending"}),
		dropped:  prometheus.NewCounter(prometheus.CounterOpts{Name: "dropped"}),
		retries:  prometheus.NewCounter(prometheus.CounterOpts{Name: "retries"}),
		rejected: prometheus.NewCounter(prometheus.CounterOpts{Name: "rejected"}),
	}
	cfg.Flush = r.sink.flush
	cfg.Log = slog.New(r.logs)
	cfg.Pending, cfg.Dropped, cfg.Retries, cfg.Rejected = r.pending, r.dropped, r.retries, r.rejected
	cfg.Describe = func(v int) []any { return []any{"item", v} }
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

// without is from..to-1 less the given items.
func without(from, to int, skip ...int) []int {
	return slices.DeleteFunc(seq(from, to), func(v int) bool { return slices.Contains(skip, v) })
}

// One item the database will never take (a constraint violation) does not
// hold the others: it alone is dropped, counted and logged, and the rest
// are written once each, in order, with no retry backoff.
func TestAnItemThatCanNeverBeWrittenIsRejectedAndTheRestAreWrittenInOrder(t *testing.T) {
	r := newRig(outbox.Config[int]{Capacity: 100, BatchSize: 8, MinBackoff: time.Hour, MaxBackoff: time.Hour})
	r.sink.poison = map[int]bool{5: true, 13: true}
	for i := range 20 {
		r.box.Append(i)
	}
	r.run(t, time.Second)
	r.waitIdle(t) // with an hour's backoff, only a run without retries gets here
	if got := r.sink.written(); !slices.Equal(got, without(0, 20, 5, 13)) {
		t.Errorf("written %v, want 0..19 but 5 and 13, in order", got)
	}
	if v := testutil.ToFloat64(r.rejected); v != 2 {
		t.Errorf("rejected = %v, want 2", v)
	}
	if v := testutil.ToFloat64(r.retries); v != 0 {
		t.Errorf("retries = %v, want 0: a permanent failure is not retried", v)
	}
	logged := r.logs.with("rejected")
	if len(logged) != 2 || logged[0]["item"] != "5" || logged[1]["item"] != "13" ||
		!strings.Contains(logged[0]["err"], "23505") {
		t.Errorf("rejections logged as %v, want items 5 and 13 with the error", logged)
	}
}

// A transient failure while the bad item is being looked for is retried
// with the backoff like any other; nothing is lost or written twice.
func TestATransientFailureWhileLookingForTheBadItemIsRetried(t *testing.T) {
	r := newRig(outbox.Config[int]{Capacity: 100, BatchSize: 10})
	r.sink.poison = map[int]bool{3: true}
	r.sink.transientAt = map[int]bool{2: true, 3: true} // the first half, then the whole again
	for i := range 10 {
		r.box.Append(i)
	}
	r.run(t, time.Second)
	r.waitIdle(t)
	if got := r.sink.written(); !slices.Equal(got, without(0, 10, 3)) {
		t.Errorf("written %v, want 0..9 but 3, once each, in order", got)
	}
	if v := testutil.ToFloat64(r.retries); v != 2 {
		t.Errorf("retries = %v, want the 2 transient failures", v)
	}
	if v := testutil.ToFloat64(r.rejected); v != 1 {
		t.Errorf("rejected = %v, want 1", v)
	}
}

// The shutdown drain writes past a rejected item too.
func TestShutdownDrainWritesEverythingButTheRejectedItem(t *testing.T) {
	r := newRig(outbox.Config[int]{Capacity: 100, BatchSize: 4})
	r.sink.poison = map[int]bool{0: true}
	for i := range 9 {
		r.box.Append(i)
	}
	stop := r.run(t, 5*time.Second)
	stop()
	if got := r.sink.written(); !slices.Equal(got, seq(1, 9)) {
		t.Errorf("written %v, want 1..8", got)
	}
	if n := r.box.Len(); n != 0 {
		t.Errorf("%d left unwritten", n)
	}
	if n := r.logs.count("unwritten"); n != 0 {
		t.Errorf("unwritten logged %d times, want 0", n)
	}
}

func TestIsPermanentTellsBadDataFromAnAbsentDatabase(t *testing.T) {
	pg := func(code string) error { return fmt.Errorf("write: %w", &pgconn.PgError{Code: code}) }
	for _, c := range []struct {
		err  error
		want bool
	}{
		{pg("23505"), true},  // unique violation
		{pg("23503"), true},  // foreign key violation
		{pg("22P02"), true},  // invalid text representation
		{pg("22001"), true},  // string too long
		{pg("40001"), false}, // serialization failure
		{pg("40P01"), false}, // deadlock
		{pg("57P01"), false}, // admin shutdown (PostgreSQL restarting)
		{pg("08006"), false}, // connection failure
		{pg("42P01"), false}, // undefined table: the migrations have not run yet
		{errors.New("dial tcp: connection refused"), false},
		{context.DeadlineExceeded, false},
	} {
		if got := outbox.IsPermanent(c.err); got != c.want {
			t.Errorf("IsPermanent(%v) = %v, want %v", c.err, got, c.want)
		}
	}
}

// fakeClock is a clock moved by hand.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// Stalled reports an outbox whose oldest item has waited too long, and
// clears once it is written.
func TestStalledReportsAnItemWaitingTooLongUntilItIsWritten(t *testing.T) {
	clk := &fakeClock{t: time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)}
	r := newRig(outbox.Config[int]{Capacity: 10, Now: clk.now})
	if err := r.box.Stalled(30 * time.Second); err != nil {
		t.Errorf("an empty outbox: %v", err)
	}
	r.sink.setDown(true)
	r.run(t, time.Second)
	r.box.Append(1)
	clk.add(10 * time.Second)
	r.box.Append(2)
	if err := r.box.Stalled(30 * time.Second); err != nil {
		t.Errorf("oldest item 10s old, limit 30s: %v", err)
	}
	if d := r.box.OldestPending(); d != 10*time.Second {
		t.Errorf("OldestPending = %v, want 10s", d)
	}
	for testutil.ToFloat64(r.retries) == 0 { // counted once the failure is noted
		time.Sleep(time.Millisecond)
	}
	clk.add(25 * time.Second)
	err := r.box.Stalled(30 * time.Second)
	if err == nil || !strings.Contains(err.Error(), "2 unwritten, the oldest for 35s") || !strings.Contains(err.Error(), "database away") {
		t.Errorf("Stalled = %v, want the 2 items, the oldest's age and the failure", err)
	}
	r.sink.setDown(false)
	r.waitIdle(t)
	if err := r.box.Stalled(30 * time.Second); err != nil {
		t.Errorf("after the writes: %v", err)
	}
	if d := r.box.OldestPending(); d != 0 {
		t.Errorf("OldestPending = %v with nothing pending", d)
	}
}
