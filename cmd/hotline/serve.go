package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/slobozhanske/hotline/config"
	"github.com/slobozhanske/hotline/internal/httpserver"
	"github.com/slobozhanske/hotline/internal/store"
	"github.com/slobozhanske/hotline/telephony"
	"github.com/slobozhanske/hotline/telephony/callrecord"
	"github.com/slobozhanske/hotline/telephony/sipprobe"
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

// serve runs the server until ctx is cancelled.
func serve(ctx context.Context, cfg *config.Config, log *slog.Logger, hooks serveHooks) error {
	started := hooks.started
	domain, err := buildDomain(cfg)
	if err != nil {
		return err
	}
	pool, err := store.Open(ctx, cfg.Database.URL.Reveal(), cfg.Database.MaxConns)
	if err != nil {
		return err
	}
	defer pool.Close()

	httpSrv := httpserver.New(log)
	reg := httpSrv.Registry()
	svc, err := newServices(cfg, domain, pool, reg, log, hooks.now)
	if err != nil {
		return err
	}
	var prober *sipprobe.Prober
	if cfg.SIP.ProbeTarget != "" {
		if prober, err = sipprobe.New(cfg.SIP.ProbeTarget, cfg.SIP.ProbeTransport, log.With("component", "sipprobe"), reg); err != nil {
			return err
		}
	}
	httpSrv.AddCheck("database", func(ctx context.Context) error { return store.Ping(ctx, pool) })

	// Migrations run in the background so the server answers /healthz and
	// /readyz (reporting the database) even while PostgreSQL is still away.
	migrated := make(chan struct{})
	var bg sync.WaitGroup
	bg.Add(1)
	go func() {
		defer bg.Done()
		if _, err := migrateWithRetry(ctx, pool, log); err == nil {
			close(migrated)
		}
	}()

	records := callrecord.NewWriter(pool, cfg.Calls.RecordBuffer, log.With("component", "callrecord"), reg)
	recordsCtx, stopRecords := context.WithCancel(context.Background())
	bg.Add(1)
	go func() {
		defer bg.Done()
		records.Run(recordsCtx, 10*time.Second)
	}()

	app := telephony.NewApp(telephony.Config{
		URL: cfg.ARI.URL, WebSocketURL: cfg.ARI.WebSocketURL, Application: cfg.ARI.Application,
		Username: cfg.ARI.Username, Password: cfg.ARI.Password.Reveal(),
		RequestTimeout: cfg.ARI.RequestTimeout, ReconnectMin: cfg.ARI.ReconnectMin, ReconnectMax: cfg.ARI.ReconnectMax,
		ShutdownGrace: cfg.Calls.ShutdownGrace, FallbackContext: cfg.Calls.FallbackContext,
		MaxCallDuration: cfg.Calls.MaxCallDuration, RecordingFormat: cfg.Calls.RecordingFormat,
		BusyPrompt: busyPrompt,
	}, records, telephony.NewMetrics(reg), log.With("component", "ari"), svc.handleCall)
	httpSrv.AddCheck("ari", app.Ready)
	if prober != nil {
		httpSrv.AddCheck("sip", prober.Status)
		bg.Add(1)
		go func() {
			defer bg.Done()
			prober.Run(ctx, cfg.SIP.ProbeEvery)
		}()
	}
	svc.mount(httpSrv)

	log.Info("hotline starting", "http", cfg.HTTP.Listen, "ari", cfg.ARI.URL, "app", cfg.ARI.Application)
	fmt.Fprintf(os.Stderr, "hotline: expecting Asterisk ARI at %s (app %q, user %q); retrying until it answers\n",
		cfg.ARI.URL, cfg.ARI.Application, cfg.ARI.Username)

	appDone := make(chan error, 1)
	go func() { appDone <- app.Run(ctx) }()
	bg.Add(1)
	go func() {
		defer bg.Done()
		svc.runBackground(ctx, migrated)
	}()

	addrCh := make(chan net.Addr, 1)
	httpErr := make(chan error, 1)
	httpCtx, stopHTTP := context.WithCancel(context.Background())
	defer stopHTTP()
	go func() { httpErr <- httpSrv.Serve(httpCtx, cfg.HTTP.Listen, cfg.HTTP.ShutdownTimeout, addrCh) }()
	select {
	case a := <-addrCh:
		if started != nil {
			started <- a.String()
		}
	case err := <-httpErr:
		stopRecords()
		return err
	}

	var firstErr error
	select {
	case <-ctx.Done():
	case err := <-httpErr:
		firstErr = err
	}
	log.Info("shutting down")
	// Calls first (they keep the ARI connection and write their records),
	// then the record writer drains, then HTTP stops.
	<-appDone
	stopRecords()
	bg.Wait()
	stopHTTP()
	if firstErr == nil {
		if err := <-httpErr; err != nil {
			firstErr = err
		}
	}
	log.Info("stopped")
	return firstErr
}

// migrateWithRetry applies migrations, retrying while the database is unreachable.
func migrateWithRetry(ctx context.Context, pool *pgxpool.Pool, log *slog.Logger) ([]int, error) {
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
