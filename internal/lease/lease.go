// Package lease decides which of several `hotline serve` processes sharing
// one PostgreSQL and one Asterisk is active: the one holding the lease row
// (migration 0008_leader_lease.sql). The holder renews it every TTL/3; a
// standby polls as often and takes it over once it has expired, with a
// fencing token one higher.
//
// Time is the database's (now()), so the processes' clocks need not agree.
// A holder trusts its lease only until its last successful renewal, as
// measured on its own monotonic clock from before the renewal was sent,
// plus the TTL minus a safety margin: a process that was paused (SIGSTOP, a
// VM frozen) or cut off from the database for longer than that knows, the
// moment it runs again, that it may no longer act, before anyone else could
// have taken over. Valid is what every command to Asterisk checks (fencing).
package lease

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Config tunes a lease.
type Config struct {
	Name   string        // what the lease is for: the ARI application
	Holder string        // this process, unique among the contenders
	TTL    time.Duration // how long a renewal lasts (default 3s)
	// Margin is taken off the TTL when this process judges its own lease:
	// it stops acting that much before anyone else may start (default TTL/4).
	Margin time.Duration
	Log    *slog.Logger
}

// Lease is one process's claim on the lease. Safe for concurrent use.
type Lease struct {
	pool *pgxpool.Pool
	cfg  Config

	mu      sync.Mutex
	token   int64     // 0: not held
	validTo time.Time // monotonic: the local end of the lease
	lost    chan struct{}
	won     chan struct{}
}

// New prepares a claim; Run contends for it.
func New(pool *pgxpool.Pool, cfg Config) (*Lease, error) {
	if cfg.Name == "" || cfg.Holder == "" {
		return nil, errors.New("lease: name and holder are required")
	}
	if cfg.TTL <= 0 {
		cfg.TTL = 3 * time.Second
	}
	if cfg.Margin <= 0 || cfg.Margin >= cfg.TTL {
		cfg.Margin = cfg.TTL / 4
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	return &Lease{pool: pool, cfg: cfg, won: make(chan struct{}), lost: make(chan struct{})}, nil
}

// Won is closed when this process first holds the lease.
func (l *Lease) Won() <-chan struct{} { return l.won }

// Lost is closed when this process, having held the lease, may no longer
// act: its renewal failed past the lease's end, or another holds it.
func (l *Lease) Lost() <-chan struct{} { return l.lost }

// Valid reports whether this process holds the lease now, by its own
// clock; a process that has lost it never holds it again (it restarts as a
// standby), so a false is final once Lost is closed.
func (l *Lease) Valid() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.token != 0 && time.Now().Before(l.validTo)
}

// Token is the fencing token of the lease this process holds (0: none).
func (l *Lease) Token() int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.token
}

// Run contends for the lease until ctx ends or the lease, once won, is
// lost (then it returns ErrLost). As standby it polls every TTL/3; as
// holder it renews as often.
func (l *Lease) Run(ctx context.Context) error {
	every := l.cfg.TTL / 3
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if err := l.step(ctx); err != nil {
			return err
		}
		select {
		case <-ctx.Done():
			l.release()
			return nil
		case <-t.C:
		}
	}
}

// ErrLost: this process held the lease and no longer does.
var ErrLost = errors.New("lease lost")

func (l *Lease) step(ctx context.Context) error {
	sent := time.Now()
	token, err := l.claim(ctx)
	l.mu.Lock()
	defer l.mu.Unlock()
	held := l.token != 0
	switch {
	case err != nil && held && !sent.Before(l.validTo):
		// The renewal did not get through before the lease ran out.
		return l.loseLocked(fmt.Errorf("renew: %w", err))
	case err != nil && held:
		l.cfg.Log.Warn("lease renewal failed; still held for now", "err", err, "valid_for", time.Until(l.validTo).Round(time.Millisecond))
		return nil
	case err != nil:
		l.cfg.Log.Debug("lease claim failed", "err", err)
		return nil
	case token == 0 && held:
		return l.loseLocked(errors.New("another process holds it"))
	case token == 0:
		return nil
	case held && token != l.token:
		// Taken over and back: whatever this process did meanwhile is stale.
		return l.loseLocked(fmt.Errorf("token moved from %d to %d", l.token, token))
	}
	if !time.Now().Before(l.validToFor(sent)) {
		return nil // the answer came too late to act on; the next step asks again
	}
	l.validTo = l.validToFor(sent)
	if !held {
		l.token = token
		l.cfg.Log.Info("lease won: this process is active", "token", token, "holder", l.cfg.Holder)
		close(l.won)
	}
	return nil
}

func (l *Lease) validToFor(sent time.Time) time.Time { return sent.Add(l.cfg.TTL - l.cfg.Margin) }

func (l *Lease) loseLocked(why error) error {
	l.cfg.Log.Error("lease lost: this process stops acting", "token", l.token, "why", why)
	l.token = 0
	close(l.lost)
	return fmt.Errorf("%w: %w", ErrLost, why)
}

// claim renews the lease if this process holds it, takes it if it has
// expired or was never taken, and reports the token this process holds
// (0: another holds it).
func (l *Lease) claim(ctx context.Context) (int64, error) {
	ctx, cancel := context.WithTimeout(ctx, l.cfg.TTL-l.cfg.Margin)
	defer cancel()
	var token int64
	err := l.pool.QueryRow(ctx, `INSERT INTO leader_lease AS l (name, holder, token, acquired_at, renewed_at, expires_at)
			VALUES ($1, $2, 1, now(), now(), now() + $3 * interval '1 millisecond')
		ON CONFLICT (name) DO UPDATE SET
			token = CASE WHEN l.holder = EXCLUDED.holder THEN l.token ELSE l.token + 1 END,
			acquired_at = CASE WHEN l.holder = EXCLUDED.holder THEN l.acquired_at ELSE now() END,
			holder = EXCLUDED.holder, renewed_at = now(), expires_at = EXCLUDED.expires_at
		WHERE l.holder = EXCLUDED.holder OR l.expires_at < now()
		RETURNING token`, l.cfg.Name, l.cfg.Holder, l.cfg.TTL.Milliseconds()).Scan(&token)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("claim lease %s: %w", l.cfg.Name, err)
	}
	return token, nil
}

// release gives the lease up on a clean shutdown, so the standby need not
// wait for it to expire.
func (l *Lease) release() {
	l.mu.Lock()
	token := l.token
	l.token = 0
	l.mu.Unlock()
	if token == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if _, err := l.pool.Exec(ctx, `UPDATE leader_lease SET expires_at = now() WHERE name = $1 AND holder = $2 AND token = $3`,
		l.cfg.Name, l.cfg.Holder, token); err != nil {
		l.cfg.Log.Warn("cannot release the lease; the standby takes it when it expires", "err", err)
	}
}
