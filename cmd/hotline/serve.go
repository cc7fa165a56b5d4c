package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/slobozhanske/hotline/config"
	"github.com/slobozhanske/hotline/internal/store"
)

func serveCmd(args []string, _, stderr io.Writer) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	path := configFlag(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg, err := config.Load(*path)
	if err != nil {
		return err
	}
	if missing := cfg.MissingSecrets(); len(missing) > 0 {
		return &config.Error{Problems: missing}
	}
	log := newLogger(cfg.Log, stderr)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return serve(ctx, cfg, log, serveHooks{})
}

// serveHooks let tests watch and steer a server.
type serveHooks struct {
	started chan<- string    // gets the HTTP address once listening
	now     func() time.Time // the clock the schedule is read with (default time.Now)
}

// serve runs the server until ctx is cancelled. It builds everything first
// (a bad config or a busy port fails before anything starts), then runs the
// parts, and on shutdown stops them in the order that loses nothing.
func serve(ctx context.Context, cfg *config.Config, log *slog.Logger, hooks serveHooks) error {
	srv, err := newServer(ctx, cfg, log, hooks)
	if err != nil {
		return err
	}
	defer srv.close()
	return srv.run(ctx)
}

// migrateWithRetry applies migrations, retrying while the database is unreachable.
func migrateWithRetry(ctx context.Context, pool *store.Pool, log *slog.Logger) ([]int, error) {
	backoff := 500 * time.Millisecond
	for {
		applied, err := store.Migrate(ctx, pool, log)
		if err == nil {
			return applied, nil
		}
		if ctx.Err() != nil {
			return nil, errors.Join(err, ctx.Err())
		}
		log.Warn("database not ready for migrations; retrying", "err", err, "retry_in", backoff)
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("migrate: %w", ctx.Err())
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, 10*time.Second)
	}
}

func newLogger(c config.Log, w io.Writer) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(c.Level))
	opts := &slog.HandlerOptions{Level: level}
	if c.Format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// keepARIConnections lets the ARI client reuse its connections to Asterisk.
// The client sends every REST request through http.DefaultTransport, which
// keeps 2 idle connections per host: with many calls at once nearly every
// request would open a new TCP connection. It changes a process-wide value,
// so it runs once before anything uses it (main, TestMain).
func keepARIConnections() {
	if t, ok := http.DefaultTransport.(*http.Transport); ok && t.MaxIdleConnsPerHost < 256 {
		t.MaxIdleConnsPerHost = 256
	}
}
