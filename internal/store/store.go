// Package store opens the PostgreSQL pool and applies the schema migrations
// embedded in the binary.
package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// Pool is the connection pool every store shares, named here so that the
// wiring in cmd/ passes it on without depending on the driver.
type Pool = pgxpool.Pool

// Open connects a pool to the database at url. It does not wait for the
// server: a pool reconnects by itself, so the server can start while
// PostgreSQL is still coming up and recover when it restarts.
func Open(ctx context.Context, url string, maxConns int32) (*Pool, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("parse database url: %w", err)
	}
	if maxConns > 0 {
		cfg.MaxConns = maxConns
	}
	// Check connections before use so that a pool survives a PostgreSQL
	// restart without handing out dead connections.
	cfg.HealthCheckPeriod = 5 * time.Second
	cfg.ConnConfig.ConnectTimeout = 5 * time.Second
	cfg.ConnConfig.RuntimeParams["application_name"] = "hotline"
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("create database pool: %w", err)
	}
	return pool, nil
}

// Ping reports whether the database answers within the context's deadline.
func Ping(ctx context.Context, pool *pgxpool.Pool) error {
	if err := pool.Ping(ctx); err != nil {
		return fmt.Errorf("ping database: %w", err)
	}
	return nil
}
