// Package pgstore writes call records and their events to PostgreSQL as
// calls happen. Writes are queued in memory and applied in order by one
// goroutine, so call handling never waits for the database and goes on while
// it is down; the queue is bounded, and what it cannot hold is counted and logged.
//
// A write the database can never accept (a constraint violation, bad data)
// is dropped alone, logged and counted (hotline_call_record_writes_rejected_total)
// rather than holding every later call's record behind it; see
// internal/outbox. A writer that falls behind shows in Stalled (/readyz)
// and in hotline_call_record_oldest_pending_seconds.
//
// After a crash the server finds calls still in its Stasis application and
// takes them over. Such a call continues the record it already has (see
// History.OpenCall), and records left open by calls that ended while no
// server was watching are closed by CloseOrphans.
package pgstore

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/slobozhanske/hotline/internal/outbox"
	"github.com/slobozhanske/hotline/telephony/callrecord"
)

// op is one queued write; every op is idempotent, so a batch that failed
// half-way can be replayed whole. kind and callID name it in the log when
// it is rejected.
type op struct {
	kind   string // start, event, answered, outcome, rating, ended
	callID string
	sql    string
	args   []any
}

// Writer queues call-record writes and applies them.
type Writer struct {
	pool *pgxpool.Pool
	box  *outbox.Outbox[op]
	log  *slog.Logger
}

// NewWriter builds a writer holding at most capacity pending writes.
func NewWriter(pool *pgxpool.Pool, capacity int, log *slog.Logger, reg prometheus.Registerer) *Writer {
	pending := prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "hotline_call_record_writes_pending", Help: "Call-record writes waiting for the database."})
	drops := prometheus.NewCounter(prometheus.CounterOpts{
		Name: "hotline_call_record_writes_dropped_total", Help: "Call-record writes dropped because the in-memory queue was full."})
	retries := prometheus.NewCounter(prometheus.CounterOpts{
		Name: "hotline_call_record_write_retries_total", Help: "Failed batches of call-record writes that were retried."})
	rejected := prometheus.NewCounter(prometheus.CounterOpts{
		Name: "hotline_call_record_writes_rejected_total",
		Help: "Call-record writes dropped because the database refused them for good (constraint violation, invalid data)."})
	if log == nil {
		log = slog.Default()
	}
	w := &Writer{pool: pool, log: log}
	oldest := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "hotline_call_record_oldest_pending_seconds",
		Help: "How long the oldest call-record write not yet in the database has waited (0: none waits)."},
		func() float64 { return w.box.OldestPending().Seconds() })
	if reg != nil {
		reg.MustRegister(pending, drops, retries, rejected, oldest)
	}
	w.box = outbox.New(outbox.Config[op]{
		Capacity: capacity,
		Flush:    w.apply,
		Log:      log,
		Pending:  pending,
		Dropped:  drops,
		Retries:  retries,
		Rejected: rejected,
		Describe: func(o op) []any { return []any{"write", o.kind, "call", o.callID} },
		Messages: outbox.Messages{
			Dropped:   "call-record queue full: write dropped (database unreachable for too long?)",
			Retry:     "call-record write failed; will retry",
			Unwritten: "shutting down with call-record writes unwritten",
			Rejected:  "call-record write refused by the database for good; dropped",
		},
	})
	return w
}

// Start records a call's arrival. A record that already exists, by its id
// or by its channel, is left as it is: a call taken over after a restart
// continues the record its channel has (History.OpenCall gives its id), and
// Start with that id writes nothing. Starting a channel that has a record
// under another id writes nothing either (the channel's one record stays
// the one it had), and the new id's events are then refused by the
// database and dropped, so continue the existing record instead.
func (w *Writer) Start(r callrecord.Record) {
	if r.Direction == "" {
		r.Direction = "inbound"
	}
	// No conflict target: both the primary key and calls_channel_id_key.
	w.enqueue(op{"start", r.ID, `INSERT INTO calls (id, channel_id, unique_id, direction, caller_number, caller_name, dialed, arrived_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING`,
		[]any{r.ID, r.ChannelID, r.UniqueID, r.Direction, r.CallerNumber, r.CallerName, r.Dialed, r.ArrivedAt}})
}

// Event appends one step of the call; seq orders steps within the call.
func (w *Writer) Event(callID string, seq int, at time.Time, kind, node string, detail map[string]string) {
	if detail == nil {
		detail = map[string]string{}
	}
	b, err := json.Marshal(detail)
	if err != nil {
		b = []byte("{}")
	}
	w.enqueue(op{"event", callID, `INSERT INTO call_events (call_id, seq, at, kind, node, detail)
		VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (call_id, seq) DO NOTHING`,
		[]any{callID, seq, at, kind, node, string(b)}})
}

// Answered records when the app answered the call.
func (w *Writer) Answered(callID string, at time.Time) {
	w.enqueue(op{"answered", callID, `UPDATE calls SET answered_at = COALESCE(answered_at, $2), updated_at = now() WHERE id = $1`,
		[]any{callID, at}})
}

// Outcome records the outcome so far (a call in a queue is "queued" before
// it ends). An empty appeal number or recording keeps the one recorded: a
// card an operator opened for the call (linked through appeal_calls, which
// sets calls.appeal_number in the database, migration 0007) is not undone
// by the call's own outcome.
func (w *Writer) Outcome(callID, outcome, appealNumber, recording string) {
	w.enqueue(op{"outcome", callID, `UPDATE calls SET outcome = $2,
			appeal_number = CASE WHEN $3 <> '' THEN $3 ELSE appeal_number END,
			recording = CASE WHEN $4 <> '' THEN $4 ELSE recording END,
			updated_at = now() WHERE id = $1`,
		[]any{callID, outcome, appealNumber, recording}})
}

// Rating records a caller's post-call rating (1–5).
func (w *Writer) Rating(callID string, rating int) {
	w.enqueue(op{"rating", callID, `UPDATE calls SET rating = $2, updated_at = now() WHERE id = $1`, []any{callID, rating}})
}

// Ended records the end of a call; like Outcome, empty fields keep what is
// recorded.
func (w *Writer) Ended(callID string, e callrecord.End) {
	w.enqueue(op{"ended", callID, `UPDATE calls SET ended_at = COALESCE(ended_at, $2),
			outcome = CASE WHEN $3 <> '' THEN $3 ELSE outcome END,
			appeal_number = CASE WHEN $4 <> '' THEN $4 ELSE appeal_number END,
			recording = CASE WHEN $5 <> '' THEN $5 ELSE recording END,
			hangup_cause = $6, hangup_cause_text = $7, updated_at = now() WHERE id = $1`,
		[]any{callID, e.At, e.Outcome, e.AppealNumber, e.Recording, e.Cause, e.CauseText}})
}

func (w *Writer) enqueue(o op) { w.box.Append(o) }

// Run applies queued writes until ctx is cancelled, then tries for up to
// drainTimeout more to write what is left, so calls ended at shutdown keep
// complete records.
func (w *Writer) Run(ctx context.Context, drainTimeout time.Duration) {
	w.box.Run(ctx, drainTimeout)
}

// apply writes one batch in one transaction; the outbox bounds its time.
func (w *Writer) apply(ctx context.Context, batch []op) error {
	return pgx.BeginFunc(ctx, w.pool, func(tx pgx.Tx) error {
		b := &pgx.Batch{}
		for _, o := range batch {
			b.Queue(o.sql, o.args...)
		}
		if err := tx.SendBatch(ctx, b).Close(); err != nil {
			return fmt.Errorf("write %d call-record changes: %w", len(batch), err)
		}
		return nil
	})
}

// Len is the number of writes waiting.
func (w *Writer) Len() int { return w.box.Len() }

// DefaultStallAfter is how long the oldest write may wait before the writer
// is reported stuck: well past a PostgreSQL restart, well short of the
// buffer filling at a busy hour.
const DefaultStallAfter = 30 * time.Second

// Stalled is the writer's readiness: an error when its oldest pending write
// has waited longer than limit or its writes have been failing that long
// (the database is away, or slow, or a lock holds the writes), nil
// otherwise. A write the database refuses for good does not stall it: it
// is dropped (see the package comment).
func (w *Writer) Stalled(limit time.Duration) error {
	if err := w.box.Stalled(limit); err != nil {
		return fmt.Errorf("call records not being written: %w", err)
	}
	return nil
}

// WaitIdle blocks until every queued write is applied or ctx ends (tests, shutdown).
func (w *Writer) WaitIdle(ctx context.Context) error {
	if err := w.box.WaitIdle(ctx); err != nil {
		return fmt.Errorf("call records still pending (%d): %w", w.box.Len(), err)
	}
	return nil
}
