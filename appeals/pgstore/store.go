// Package pgstore keeps appeal cards in PostgreSQL (tables of migration
// internal/store/migrations/0002_appeals.sql). It implements
// appeals.Repository and the overdue watcher's store.
package pgstore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/slobozhanske/hotline/appeals"
)

// Store is the PostgreSQL repository of appeal cards.
type Store struct {
	pool *pgxpool.Pool
	log  *slog.Logger
}

var _ appeals.Repository = (*Store)(nil)

// New returns a store over the pool (migrated by store.Migrate).
func New(pool *pgxpool.Pool, log *slog.Logger) *Store {
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return &Store{pool: pool, log: log}
}

// dbtx is what both the pool and a transaction offer.
type dbtx interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
	SendBatch(ctx context.Context, b *pgx.Batch) pgx.BatchResults
}

// inTx runs fn in a transaction, committing if it returns nil.
func (s *Store) inTx(ctx context.Context, fn func(tx pgx.Tx) error) error {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("begin transaction: %w", err)
	}
	defer func() { _ = tx.Rollback(context.Background()) }() // a no-op after Commit
	if err := fn(tx); err != nil {
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// notFound turns "no rows" into appeals.ErrNotFound.
func notFound(err error) error {
	if errors.Is(err, pgx.ErrNoRows) {
		return appeals.ErrNotFound
	}
	return err
}

// isForeignKeyViolation reports a reference to a card that does not exist.
func isForeignKeyViolation(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "23503"
}

// sendBatch sends queued statements in one round trip and reads every result.
func sendBatch(ctx context.Context, q dbtx, b *pgx.Batch) error {
	if b.Len() == 0 {
		return nil
	}
	if err := q.SendBatch(ctx, b).Close(); err != nil {
		return err
	}
	return nil
}
