// Package outbox is a bounded write-behind buffer: producers Append items
// without waiting, and one Run goroutine hands them to a flush function in
// order, in batches, retrying with backoff while the flush fails (the
// database is away) and draining what is left, for a bounded time, on
// shutdown. What the buffer cannot hold is dropped, counted and logged.
//
// A batch that fails is replayed whole, so flush must be idempotent (or
// all-or-nothing, such as one transaction per batch).
package outbox

import (
	"context"
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
	// Flush writes one batch, in order. It must not keep or change the
	// slice. If it fails the same batch (and what follows) is offered again.
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
}

// Outbox is a bounded write-behind buffer of T; see the package comment.
type Outbox[T any] struct {
	cfg  Config[T]
	wake chan struct{}

	mu      sync.Mutex
	queue   []T
	dropped int
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
		if err := o.flush(ctx); err != nil {
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
// the queue only once Flush has succeeded.
func (o *Outbox[T]) flush(ctx context.Context) error {
	for {
		o.mu.Lock()
		n := min(len(o.queue), o.cfg.BatchSize)
		batch := o.queue[:n:n]
		o.mu.Unlock()
		if n == 0 {
			return nil
		}
		bctx, cancel := context.WithTimeout(ctx, o.cfg.BatchTimeout)
		err := o.cfg.Flush(bctx, batch)
		cancel()
		if err != nil {
			return err
		}
		o.mu.Lock()
		o.queue = o.queue[n:]
		if len(o.queue) == 0 {
			o.queue = nil
		}
		o.setPending(len(o.queue))
		o.mu.Unlock()
	}
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
