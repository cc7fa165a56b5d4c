package queuestore

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/slobozhanske/hotline/telephony/queue"
)

// StateLog is the dispatcher's queue.StateLog over PostgreSQL. Append only
// queues the change in memory (the dispatcher calls it under its lock); Run
// writes the queue in order, in batches, retrying while the database is
// away. The queue is bounded: what it cannot hold is dropped, counted and logged.
type StateLog struct {
	pool     *pgxpool.Pool
	log      *slog.Logger
	capacity int

	mu      sync.Mutex
	queue   []queue.StateChange
	dropped int
	wake    chan struct{}

	pending prometheus.Gauge
	drops   prometheus.Counter
}

var _ queue.StateLog = (*StateLog)(nil)

// NewStateLog builds a state log holding at most capacity unwritten changes.
func NewStateLog(pool *pgxpool.Pool, capacity int, log *slog.Logger, reg prometheus.Registerer) *StateLog {
	l := &StateLog{pool: pool, log: log, capacity: max(capacity, 1), wake: make(chan struct{}, 1),
		pending: prometheus.NewGauge(prometheus.GaugeOpts{Name: "hotline_queue_state_log_pending",
			Help: "Operator state changes waiting to be written to the database."}),
		drops: prometheus.NewCounter(prometheus.CounterOpts{Name: "hotline_queue_state_log_dropped_total",
			Help: "Operator state changes dropped because the in-memory queue was full."}),
	}
	if reg != nil {
		reg.MustRegister(l.pending, l.drops)
	}
	return l
}

// Append queues a change; it never blocks.
func (l *StateLog) Append(c queue.StateChange) {
	l.mu.Lock()
	if len(l.queue) >= l.capacity {
		l.dropped++
		n := l.dropped
		l.mu.Unlock()
		l.drops.Inc()
		if n == 1 || n%1000 == 0 {
			l.log.Error("operator state log full: change dropped (database away for too long?)", "dropped_total", n, "capacity", l.capacity)
		}
		return
	}
	l.queue = append(l.queue, c)
	l.pending.Set(float64(len(l.queue)))
	l.mu.Unlock()
	select {
	case l.wake <- struct{}{}:
	default:
	}
}

// Len is the number of changes not yet written.
func (l *StateLog) Len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.queue)
}

// Run writes until ctx is cancelled, then for up to drainTimeout more.
func (l *StateLog) Run(ctx context.Context, drainTimeout time.Duration) {
	backoff := 100 * time.Millisecond
	for {
		err := l.flush(ctx)
		if err != nil {
			l.log.Warn("operator state log: write failed; will retry", "err", err, "pending", l.Len(), "retry_in", backoff)
		} else {
			backoff = 100 * time.Millisecond
		}
		var retry <-chan time.Time
		if err != nil {
			retry = time.After(backoff)
			backoff = min(backoff*2, 5*time.Second)
		}
		select {
		case <-ctx.Done():
			l.drain(drainTimeout)
			return
		case <-l.wake:
		case <-retry:
		}
	}
}

func (l *StateLog) drain(timeout time.Duration) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	for l.Len() > 0 && ctx.Err() == nil {
		if err := l.flush(ctx); err != nil {
			select {
			case <-ctx.Done():
			case <-time.After(200 * time.Millisecond):
			}
		}
	}
	if n := l.Len(); n > 0 {
		l.log.Error("shutting down with operator state changes unwritten", "pending", n)
	}
}

// flush writes everything queued now, 500 at a time, each batch in one transaction.
func (l *StateLog) flush(ctx context.Context) error {
	for {
		l.mu.Lock()
		n := min(len(l.queue), 500)
		batch := l.queue[:n:n]
		l.mu.Unlock()
		if n == 0 {
			return nil
		}
		wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		err := pgx.BeginFunc(wctx, l.pool, func(tx pgx.Tx) error {
			b := &pgx.Batch{}
			for _, c := range batch {
				b.Queue(`INSERT INTO queue_operator_states (id, operator_id, state, reason, online, call_id, queue, at)
					VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (id) DO NOTHING`,
					c.ID, c.OperatorID, string(c.State), string(c.Reason), c.Online, c.CallID, c.Queue, c.At)
			}
			return tx.SendBatch(wctx, b).Close()
		})
		cancel()
		if err != nil {
			return fmt.Errorf("write %d operator state changes: %w", n, err)
		}
		l.mu.Lock()
		l.queue = l.queue[n:]
		if len(l.queue) == 0 {
			l.queue = nil
		}
		l.pending.Set(float64(len(l.queue)))
		l.mu.Unlock()
	}
}

// WaitIdle blocks until every queued change is written or ctx ends.
func (l *StateLog) WaitIdle(ctx context.Context) error {
	for l.Len() > 0 {
		select {
		case <-ctx.Done():
			return fmt.Errorf("operator state changes still pending (%d): %w", l.Len(), ctx.Err())
		case <-time.After(10 * time.Millisecond):
		}
	}
	return nil
}
