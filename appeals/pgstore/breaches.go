package pgstore

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/slobozhanske/hotline/appeals"
)

// watcherLockID serialises overdue watchers of several servers, so their
// transactions never deadlock on each other's breach rows.
const watcherLockID = 0x61707065616c73 // "appeals"

const breachColumns = `b.id, b.appeal_id::text, a.number, b.category, b.executor, b.priority, b.kind, b.deadline,
	b.detected_at, b.control_level, a.status, b.delivery, b.attempts, b.last_error, b.delivered_at`

func scanBreach(r pgx.CollectableRow) (b appeals.Breach, err error) {
	err = r.Scan(&b.ID, &b.AppealID, &b.Number, &b.Category, &b.Executor, &b.Priority, &b.Kind, &b.Deadline,
		&b.DetectedAt, &b.ControlLevel, &b.Status, &b.Delivery, &b.Attempts, &b.LastError, &b.DeliveredAt)
	return b, err
}

// RecordBreaches finds cards past a deadline at now whose breach is not yet
// recorded, records each once, and lets apply change the card (history,
// control level) in the same transaction. It returns the new breaches.
// SOS breaches get the delivery state immediate; others "weekly".
func (s *Store) RecordBreaches(ctx context.Context, now time.Time, immediate appeals.Delivery,
	apply func(*appeals.Card, appeals.Breach) []appeals.HistoryEntry) ([]appeals.Breach, error) {
	var out []appeals.Breach
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", watcherLockID); err != nil {
			return fmt.Errorf("take watcher lock: %w", err)
		}
		rows, err := tx.Query(ctx, `WITH due AS (
				SELECT id, 'accept' AS kind, accept_by AS deadline, priority, category, executor, control_level
				  FROM appeals WHERE status = ANY($2) AND accept_by < $1
				UNION ALL
				SELECT id, 'resolve', resolve_by, priority, category, executor, control_level
				  FROM appeals WHERE status = ANY($3) AND resolve_by < $1
			), b AS (
				INSERT INTO appeal_breaches (appeal_id, kind, deadline, detected_at, priority, category, executor,
					control_level, delivery, next_attempt_at)
				SELECT id, kind, deadline, $1, priority, category, executor, control_level,
					CASE WHEN priority = 'sos' THEN $4 ELSE 'weekly' END,
					CASE WHEN priority = 'sos' THEN $1::timestamptz END
				  FROM due ORDER BY deadline
				ON CONFLICT (appeal_id, kind, deadline) DO NOTHING
				RETURNING *
			)
			SELECT `+breachColumns+` FROM b JOIN appeals a ON a.id = b.appeal_id ORDER BY b.id`,
			now, statuses(appeals.AwaitingAcceptance), statuses(appeals.AwaitingResolution), string(immediate))
		if err != nil {
			return fmt.Errorf("record breaches: %w", err)
		}
		if out, err = pgx.CollectRows(rows, scanBreach); err != nil {
			return fmt.Errorf("record breaches: %w", err)
		}
		for i := range out {
			if err := applyBreach(ctx, tx, &out[i], apply); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// applyBreach lets the domain react to a breach on the locked card.
func applyBreach(ctx context.Context, tx pgx.Tx, b *appeals.Breach, apply func(*appeals.Card, appeals.Breach) []appeals.HistoryEntry) error {
	c, err := lockCard(ctx, tx, b.AppealID)
	if err != nil {
		return fmt.Errorf("lock appeal %s for breach: %w", b.AppealID, err)
	}
	level := c.ControlLevel
	history := apply(&c, *b)
	batch := &pgx.Batch{}
	for _, h := range history {
		queueHistory(batch, c.ID, h)
	}
	if c.ControlLevel != level {
		c.UpdatedAt = b.DetectedAt
		if err := updateCard(ctx, tx, &c); err != nil {
			return err
		}
		b.ControlLevel = c.ControlLevel
		batch.Queue("UPDATE appeal_breaches SET control_level = $2 WHERE id = $1", b.ID, c.ControlLevel)
	}
	if err := sendBatch(ctx, tx, batch); err != nil {
		return fmt.Errorf("record breach of appeal %s: %w", c.Number, err)
	}
	return nil
}

// ClaimDeliveries takes up to limit SOS notifications due at now, hiding
// them from other watchers for lease (if this one dies, another retries).
func (s *Store) ClaimDeliveries(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]appeals.Breach, error) {
	rows, err := s.pool.Query(ctx, `WITH picked AS (
			SELECT id FROM appeal_breaches WHERE delivery = 'pending' AND next_attempt_at <= $1
			 ORDER BY next_attempt_at, id LIMIT $3 FOR UPDATE SKIP LOCKED
		), b AS (
			UPDATE appeal_breaches u SET next_attempt_at = $2 FROM picked WHERE u.id = picked.id RETURNING u.*
		)
		SELECT `+breachColumns+` FROM b JOIN appeals a ON a.id = b.appeal_id ORDER BY b.id`,
		now, now.Add(lease), limit)
	if err != nil {
		return nil, fmt.Errorf("claim SOS notifications: %w", err)
	}
	out, err := pgx.CollectRows(rows, scanBreach)
	if err != nil {
		return nil, fmt.Errorf("claim SOS notifications: %w", err)
	}
	return out, nil
}

// MarkDelivered records that the webhook acknowledged a notification.
func (s *Store) MarkDelivered(ctx context.Context, id int64, at time.Time) error {
	_, err := s.pool.Exec(ctx, `UPDATE appeal_breaches SET delivery = 'delivered', delivered_at = $2,
		attempts = attempts + 1, last_error = '', next_attempt_at = NULL WHERE id = $1`, id, at)
	if err != nil {
		return fmt.Errorf("mark notification %d delivered: %w", id, err)
	}
	return nil
}

// MarkDeliveryFailed records a failed attempt and when to try again.
func (s *Store) MarkDeliveryFailed(ctx context.Context, id int64, next time.Time, reason string) error {
	_, err := s.pool.Exec(ctx, `UPDATE appeal_breaches SET attempts = attempts + 1, last_error = $3,
		next_attempt_at = $2 WHERE id = $1`, id, next, reason)
	if err != nil {
		return fmt.Errorf("mark notification %d failed: %w", id, err)
	}
	return nil
}

// Breaches lists the breaches whose deadline is in [from, to), oldest first.
func (s *Store) Breaches(ctx context.Context, from, to time.Time) ([]appeals.Breach, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+breachColumns+` FROM appeal_breaches b JOIN appeals a ON a.id = b.appeal_id
		WHERE b.deadline >= $1 AND b.deadline < $2 ORDER BY b.deadline, b.id`, from, to)
	if err != nil {
		return nil, fmt.Errorf("list breaches: %w", err)
	}
	out, err := pgx.CollectRows(rows, scanBreach)
	if err != nil {
		return nil, fmt.Errorf("list breaches: %w", err)
	}
	return out, nil
}
