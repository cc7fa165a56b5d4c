// Package outbox is a bounded write-behind buffer: producers Append items
// without waiting, and one Run goroutine hands them to a flush function in
// order, in batches, retrying with backoff while the flush fails (the
// database is away) and draining what is left, for a bounded time, on
// shutdown. What the buffer cannot hold is dropped, counted and logged.
//
// A batch that fails is replayed whole, so flush must be idempotent (or
// all-or-nothing, such as one transaction per batch).
//
// A failure is either transient (the database is away, restarting, or a
// transaction lost a serialization or deadlock race: the same batch will
// succeed later) or permanent (an item the database will never accept, such
// as a constraint violation). Retrying a permanent failure for ever would
// hold every later item behind one bad item, so on a permanent failure the
// batch is split in halves, each flushed on its own, down to the single
// items that fail; only those are dropped (rejected: counted and logged) and
// everything else is written, in order.
package outbox

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Defaults used where a Config leaves a field zero.
const (
	DefaultBatchSize    = 500
	DefaultBatchTimeout = 10 * time.Second
	DefaultMinBackoff   = 100 * time.Millisecond
	DefaultMaxBackoff   = 5 * time.Second
	DefaultDrainPause   = 200 * time.Millisecond
)

// Config describes an outbox. Flush is required; the rest is optional.
type Config[T any] struct {
	// Capacity is the most items held unwritten; an Append beyond it is
	// dropped. Zero or less drops everything.
	Capacity int
	// Flush writes one batch, in order, all or nothing. It must not keep or
	// change the slice. If it fails transiently the same batch (and what
	// follows) is offered again after a backoff; if it fails permanently,
	// parts of the batch are offered on their own (see the package comment).
	Flush func(ctx context.Context, batch []T) error
	// BatchSize is the most items handed to one Flush (default 500).
	BatchSize int
	// BatchTimeout bounds each Flush call (default 10s).
	BatchTimeout time.Duration
	// MinBackoff and MaxBackoff bound the pause after a failed flush; it
	// doubles on each failure and is reset by a success (100ms, 5s).
	MinBackoff, MaxBackoff time.Duration
	// DrainPause is the pause between failed attempts while draining at
	// shutdown (default 200ms).
	DrainPause time.Duration
	Log        *slog.Logger // default slog.Default()
	// Pending is set to the number of items unwritten; Dropped counts the
	// items dropped; Retries counts failed flushes in Run. Each may be nil.
	// The caller registers them.
	Pending prometheus.Gauge
	Dropped prometheus.Counter
	Retries prometheus.Counter
	// Rejected counts items dropped because they failed permanently. May be nil.
	Rejected prometheus.Counter
	// Permanent tells a permanent failure of Flush from a transient one
	// (default IsPermanent: SQLSTATE classes 22 and 23).
	Permanent func(error) bool
	// Describe gives the log attributes (key, value pairs) that identify a
	// rejected item. May be nil.
	Describe func(T) []any
	// Now is the clock the ages of pending items are measured with
	// (default time.Now).
	Now func() time.Time
	// Messages are the log messages; see Messages.
	Messages Messages
}

// Messages are what the outbox logs.
type Messages struct {
	// Dropped is logged (Error, with dropped_total and capacity) on the
	// first dropped item and every 1000th after.
	Dropped string
	// Retry is logged (Warn, with err, pending and retry_in) when a flush
	// in Run fails.
	Retry string
	// Unwritten is logged (Error, with pending) when Run returns with
	// items still unwritten.
	Unwritten string
	// Rejected is logged (Error, with err and the item's Describe
	// attributes) for each item dropped because it failed permanently.
	Rejected string
}

// IsPermanent reports whether err carries an SQLSTATE (as PostgreSQL
// errors do, through an SQLState method) of class 22, data exception, or
// 23, integrity constraint violation: the statement will fail the same way
// however often it is retried. Everything else is taken as transient — a
// lost connection, a server shutting down (57P), a serialization failure or
// deadlock (40), and also a missing table (42P01), since writers start
// before the migrations have run.
func IsPermanent(err error) bool {
	var coded interface{ SQLState() string }
	if !errors.As(err, &coded) {
		return false
	}
	code := coded.SQLState()
	return len(code) == 5 && (code[:2] == "22" || code[:2] == "23")
}

// Outbox is a bounded write-behind buffer of T; see the package comment.
type Outbox[T any] struct {
	cfg  Config[T]
	wake chan struct{}

	mu      sync.Mutex
	queue   []T
	queued  []time.Time // when each item of queue was appended
	dropped int
	// failingSince is when the current run of failed flushes began (zero
	// while flushes succeed); lastErr is the latest failure.
	failingSince time.Time
	lastErr      error
}

// New builds an outbox from cfg, filling in the defaults.
func New[T any](cfg Config[T]) *Outbox[T] {
	if cfg.Flush == nil {
		panic("outbox: Config.Flush is nil")
	}
	if cfg.BatchSize <= 0 {
		cfg.BatchSize = DefaultBatchSize
	}
	if cfg.BatchTimeout <= 0 {
		cfg.BatchTimeout = DefaultBatchTimeout
	}
	if cfg.MinBackoff <= 0 {
		cfg.MinBackoff = DefaultMinBackoff
	}
	if cfg.MaxBackoff < cfg.MinBackoff {
		cfg.MaxBackoff = max(DefaultMaxBackoff, cfg.MinBackoff)
	}
	if cfg.DrainPause <= 0 {
		cfg.DrainPause = DefaultDrainPause
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.Messages.Dropped == "" {
		cfg.Messages.Dropped = "outbox full: item dropped"
	}
	if cfg.Messages.Retry == "" {
		cfg.Messages.Retry = "outbox: write failed; will retry"
	}
	if cfg.Messages.Unwritten == "" {
		cfg.Messages.Unwritten = "shutting down with outbox items unwritten"
	}
	if cfg.Messages.Rejected == "" {
		cfg.Messages.Rejected = "outbox: item rejected for good; dropped"
	}
	if cfg.Permanent == nil {
		cfg.Permanent = IsPermanent
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Outbox[T]{cfg: cfg, wake: make(chan struct{}, 1)}
}

// Append queues v; it never blocks. If the outbox is full v is dropped,
// counted and (on the first and every 1000th drop) logged.
func (o *Outbox[T]) Append(v T) {
	o.mu.Lock()
	if len(o.queue) >= o.cfg.Capacity {
		o.dropped++
		n := o.dropped
		o.mu.Unlock()
		if o.cfg.Dropped != nil {
			o.cfg.Dropped.Inc()
		}
		if n == 1 || n%1000 == 0 {
			o.cfg.Log.Error(o.cfg.Messages.Dropped, "dropped_total", n, "capacity", o.cfg.Capacity)
		}
		return
	}
	o.queue = append(o.queue, v)
	o.queued = append(o.queued, o.cfg.Now())
	o.setPending(len(o.queue))
	o.mu.Unlock()
	select {
	case o.wake <- struct{}{}:
	default:
	}
}

// Len is the number of items not yet written.
func (o *Outbox[T]) Len() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return len(o.queue)
}

// Run writes queued items until ctx is cancelled, then tries for up to
// drainTimeout more to write what is left. Only one Run may be active.
func (o *Outbox[T]) Run(ctx context.Context, drainTimeout time.Duration) {
	backoff := o.cfg.MinBackoff
	for {
		err := o.flush(ctx)
		o.noteResult(err)
		wake := o.wake
		var retry *time.Timer
		var retryC <-chan time.Time
		if err != nil {
			if o.cfg.Retries != nil {
				o.cfg.Retries.Inc()
			}
			o.cfg.Log.Warn(o.cfg.Messages.Retry, "err", err, "pending", o.Len(), "retry_in", backoff)
			retry = time.NewTimer(backoff)
			retryC = retry.C
			backoff = min(backoff*2, o.cfg.MaxBackoff)
			wake = nil // new items wait for the retry: the database sets the pace, not arrivals
		} else {
			backoff = o.cfg.MinBackoff
		}
		select {
		case <-ctx.Done():
		case <-wake:
		case <-retryC:
		}
		if retry != nil {
			retry.Stop()
		}
		if ctx.Err() != nil {
			o.drain(drainTimeout)
			return
		}
	}
}

func (o *Outbox[T]) drain(timeout time.Duration) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	for o.Len() > 0 && ctx.Err() == nil {
		err := o.flush(ctx)
		o.noteResult(err)
		if err != nil {
			t := time.NewTimer(o.cfg.DrainPause)
			select {
			case <-ctx.Done():
			case <-t.C:
			}
			t.Stop()
		}
	}
	if n := o.Len(); n > 0 {
		o.cfg.Log.Error(o.cfg.Messages.Unwritten, "pending", n)
	}
}

// flush writes everything queued now, in batches, in order; a batch leaves
// the queue only once Flush has succeeded (or its items were rejected). It
// returns the first transient failure.
func (o *Outbox[T]) flush(ctx context.Context) error {
	for {
		o.mu.Lock()
		n := min(len(o.queue), o.cfg.BatchSize)
		// A copy: the queue's backing array is shared with Append.
		batch := append([]T(nil), o.queue[:n]...)
		o.mu.Unlock()
		if n == 0 {
			return nil
		}
		if err := o.write(ctx, batch); err != nil {
			return err
		}
	}
}

// write flushes batch, the head of the queue, and takes it off the queue.
// On a permanent failure it writes each half on its own, and so on down to
// the single items that fail, which it rejects; the halves are taken in
// order, so what is written keeps its order. A transient failure stops it:
// what was written is off the queue, the rest is retried later.
func (o *Outbox[T]) write(ctx context.Context, batch []T) error {
	bctx, cancel := context.WithTimeout(ctx, o.cfg.BatchTimeout)
	err := o.cfg.Flush(bctx, batch)
	cancel()
	switch {
	case err == nil:
		o.pop(len(batch))
		return nil
	case ctx.Err() != nil || !o.cfg.Permanent(err):
		return err
	case len(batch) == 1:
		o.reject(batch[0], err)
		o.pop(1)
		return nil
	}
	mid := len(batch) / 2
	if err := o.write(ctx, batch[:mid]); err != nil {
		return err
	}
	return o.write(ctx, batch[mid:])
}

// pop takes n written (or rejected) items off the head of the queue.
func (o *Outbox[T]) pop(n int) {
	o.mu.Lock()
	defer o.mu.Unlock()
	clear(o.queue[:n]) // let the items be collected
	o.queue, o.queued = o.queue[n:], o.queued[n:]
	if len(o.queue) == 0 {
		o.queue, o.queued = nil, nil
	}
	o.setPending(len(o.queue))
}

func (o *Outbox[T]) reject(v T, err error) {
	if o.cfg.Rejected != nil {
		o.cfg.Rejected.Inc()
	}
	attrs := []any{"err", err}
	if o.cfg.Describe != nil {
		attrs = append(attrs, o.cfg.Describe(v)...)
	}
	o.cfg.Log.Error(o.cfg.Messages.Rejected, attrs...)
}

// noteResult keeps the state Stalled reports: since when flushes fail, and why.
func (o *Outbox[T]) noteResult(err error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if err == nil {
		o.failingSince, o.lastErr = time.Time{}, nil
		return
	}
	if o.failingSince.IsZero() {
		o.failingSince = o.cfg.Now()
	}
	o.lastErr = err
}

// OldestPending is how long the oldest unwritten item has waited (zero
// when none waits).
func (o *Outbox[T]) OldestPending() time.Duration {
	o.mu.Lock()
	defer o.mu.Unlock()
	if len(o.queued) == 0 {
		return 0
	}
	return max(o.cfg.Now().Sub(o.queued[0]), 0)
}

// Stalled returns an error when the outbox is not keeping up: its oldest
// unwritten item has waited longer than limit, or its flushes have been
// failing for longer than limit. Nil otherwise. Its message says how long,
// how many items wait and the last failure, for a readiness report.
func (o *Outbox[T]) Stalled(limit time.Duration) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	now := o.cfg.Now()
	var oldest, failing time.Duration
	if len(o.queued) > 0 {
		oldest = now.Sub(o.queued[0])
	}
	if !o.failingSince.IsZero() {
		failing = now.Sub(o.failingSince)
	}
	if oldest <= limit && failing <= limit {
		return nil
	}
	msg := fmt.Sprintf("%d unwritten, the oldest for %v", len(o.queue), oldest.Round(time.Millisecond))
	if failing > 0 {
		msg += fmt.Sprintf("; writes failing for %v", failing.Round(time.Millisecond))
	}
	if o.lastErr != nil {
		return fmt.Errorf("%s (limit %v): %w", msg, limit, o.lastErr)
	}
	return fmt.Errorf("%s (limit %v)", msg, limit)
}

func (o *Outbox[T]) setPending(n int) {
	if o.cfg.Pending != nil {
		o.cfg.Pending.Set(float64(n))
	}
}

// WaitIdle blocks until every queued item is written, and then returns nil,
// or until ctx ends, and then returns ctx.Err().
func (o *Outbox[T]) WaitIdle(ctx context.Context) error {
	for o.Len() > 0 {
		t := time.NewTimer(10 * time.Millisecond)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
	return nil
}
