package pgstore

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/slobozhanske/hotline/internal/outbox"
	"github.com/slobozhanske/hotline/telephony/queue"
)

// StateLog is the dispatcher's queue.StateLog over PostgreSQL. Append only
// queues the change in memory (the dispatcher calls it under its lock); Run
// writes the queue in order, in batches, retrying while the database is
// away. The queue is bounded: what it cannot hold is dropped, counted and logged.
type StateLog struct {
	pool *pgxpool.Pool
	box  *outbox.Outbox[queue.StateChange]
}

var _ queue.StateLog = (*StateLog)(nil)

// NewStateLog builds a state log holding at most capacity unwritten changes.
func NewStateLog(pool *pgxpool.Pool, capacity int, log *slog.Logger, reg prometheus.Registerer) *StateLog {
	pending := prometheus.NewGauge(prometheus.GaugeOpts{Name: "hotline_queue_state_log_pending",
		Help: "Operator state changes waiting to be written to the database."})
	drops := prometheus.NewCounter(prometheus.CounterOpts{Name: "hotline_queue_state_log_dropped_total",
		Help: "Operator state changes dropped because the in-memory queue was full."})
	if reg != nil {
		reg.MustRegister(pending, drops)
	}
	l := &StateLog{pool: pool}
	l.box = outbox.New(outbox.Config[queue.StateChange]{
		Capacity: max(capacity, 1),
		Flush:    l.write,
		Log:      log,
		Pending:  pending,
		Dropped:  drops,
		Messages: outbox.Messages{
			Dropped:   "operator state log full: change dropped (database away for too long?)",
			Retry:     "operator state log: write failed; will retry",
			Unwritten: "shutting down with operator state changes unwritten",
		},
	})
	return l
}

// Append queues a change; it never blocks.
func (l *StateLog) Append(c queue.StateChange) { l.box.Append(c) }

// Len is the number of changes not yet written.
func (l *StateLog) Len() int { return l.box.Len() }

// Run writes until ctx is cancelled, then for up to drainTimeout more.
func (l *StateLog) Run(ctx context.Context, drainTimeout time.Duration) {
	l.box.Run(ctx, drainTimeout)
}

// write writes one batch (at most 500 changes, in order) in one
// transaction; the outbox bounds its time.
func (l *StateLog) write(ctx context.Context, batch []queue.StateChange) error {
	err := pgx.BeginFunc(ctx, l.pool, func(tx pgx.Tx) error {
		b := &pgx.Batch{}
		for _, c := range batch {
			b.Queue(`INSERT INTO queue_operator_states (id, operator_id, state, presence, reason, online, call_id, queue, at)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (id) DO NOTHING`,
				c.ID, c.OperatorID, string(c.State), string(c.Presence), string(c.Reason), c.Online, c.CallID, c.Queue, c.At)
		}
		return tx.SendBatch(ctx, b).Close()
	})
	if err != nil {
		return fmt.Errorf("write %d operator state changes: %w", len(batch), err)
	}
	return nil
}

// WaitIdle blocks until every queued change is written or ctx ends.
func (l *StateLog) WaitIdle(ctx context.Context) error {
	if err := l.box.WaitIdle(ctx); err != nil {
		return fmt.Errorf("operator state changes still pending (%d): %w", l.box.Len(), err)
	}
	return nil
}
