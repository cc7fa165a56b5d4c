package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/slobozhanske/hotline/config"
	"github.com/slobozhanske/hotline/internal/httpserver"
	"github.com/slobozhanske/hotline/internal/store"
	"github.com/slobozhanske/hotline/telephony/ari"
	callrecordpg "github.com/slobozhanske/hotline/telephony/callrecord/pgstore"
	"github.com/slobozhanske/hotline/telephony/sipcall"
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

// serve runs the server until ctx is cancelled. It builds everything first
// (a bad config or a busy port fails before anything starts), then starts the
// parts, and on shutdown stops them in the order that loses nothing.
func serve(ctx context.Context, cfg *config.Config, log *slog.Logger, hooks serveHooks) error {
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
		defer prober.Close()
	}
	// The synthetic call to the hotline through Asterisk's SIP, every
	// probe_call.every (hotline_probe_call_* metrics).
	var probeCalls *sipcall.Monitor
	if cfg.ProbeCall.Target != "" && cfg.ProbeCall.Every > 0 {
		plog := log.With("component", "probecall")
		probeCalls = sipcall.NewMonitor(agentConfig(cfg.ProbeCall, plog), probeOptions(cfg.ProbeCall), plog, reg)
	}
	records := callrecordpg.NewWriter(pool, cfg.Calls.RecordBuffer, log.With("component", "callrecord"), reg)
	app := ari.NewApp(ari.Config{
		URL: cfg.ARI.URL, WebSocketURL: cfg.ARI.WebSocketURL, Application: cfg.ARI.Application,
		Username: cfg.ARI.Username, Password: cfg.ARI.Password.Reveal(),
		RequestTimeout: cfg.ARI.RequestTimeout, ReconnectMin: cfg.ARI.ReconnectMin, ReconnectMax: cfg.ARI.ReconnectMax,
		ShutdownGrace: cfg.Calls.ShutdownGrace, FallbackContext: cfg.Calls.FallbackContext,
		MaxCallDuration: cfg.Calls.MaxCallDuration, RecordingFormat: cfg.Calls.RecordingFormat,
		BusyPrompt: busyPrompt,
	}, records, ari.NewMetrics(reg), log.With("component", "ari"), svc.handleCall)
	// A call found in Stasis after a restart goes on under its record; the
	// records of calls that ended while no server watched are closed.
	app.TakeOverWith(svc.calls)
	startedAt := time.Now()
	var orphansClosed atomic.Bool
	app.OnListed(func(ctx context.Context, live []string) {
		if orphansClosed.Load() {
			return
		}
		// Until it succeeds (the database may be away), again at the next (re)connect.
		if _, err := records.CloseOrphans(ctx, live, startedAt); err != nil {
			log.Warn("cannot close the call records an earlier run left open; will retry after the next ARI connect", "err", err)
			return
		}
		orphansClosed.Store(true)
	})
	if err := svc.attachTelephony(app, records); err != nil {
		return err
	}
	httpSrv.AddCheck("database", func(ctx context.Context) error { return store.Ping(ctx, pool) })
	// The database may answer pings while the call records do not get in
	// (a table locked, writes timing out): the writer reports for itself.
	httpSrv.AddCheck("call_records", func(context.Context) error { return records.Stalled(cfg.Calls.RecordStallAfter) })
	httpSrv.AddCheck("ari", app.Ready)
	if prober != nil {
		httpSrv.AddCheck("sip", prober.Status)
	}
	svc.mount(ctx, httpSrv)
	ln, err := net.Listen("tcp", cfg.HTTP.Listen)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.HTTP.Listen, err)
	}

	log.Info("hotline starting", "http", ln.Addr().String(), "ari", cfg.ARI.URL, "app", cfg.ARI.Application)
	fmt.Fprintf(os.Stderr, "hotline: expecting Asterisk ARI at %s (app %q, user %q); retrying until it answers\n",
		cfg.ARI.URL, cfg.ARI.Application, cfg.ARI.Username)

	// Each part gets its own context so shutdown can stop them in order.
	recordsCtx, stopRecords := context.WithCancel(context.Background())
	jobsCtx, stopJobs := context.WithCancel(context.Background())
	appCtx, stopApp := context.WithCancel(context.Background())
	httpCtx, stopHTTP := context.WithCancel(context.Background())
	var recordsWG, jobs sync.WaitGroup
	recordsWG.Add(1)
	go func() {
		defer recordsWG.Done()
		records.Run(recordsCtx, 10*time.Second)
	}()
	if svc.stateLog != nil {
		// Operators' state changes, like call records, are written until the calls are over.
		recordsWG.Add(1)
		go func() {
			defer recordsWG.Done()
			svc.stateLog.Run(recordsCtx, 10*time.Second)
		}()
	}
	// Migrations run in the background so the server answers /healthz and
	// /readyz (reporting the database) even while PostgreSQL is still away;
	// the jobs that need the schema wait for them.
	migrated := make(chan struct{})
	jobs.Add(2)
	go func() {
		defer jobs.Done()
		if _, err := migrateWithRetry(jobsCtx, pool, log); err == nil {
			close(migrated)
		}
	}()
	go func() {
		defer jobs.Done()
		svc.runBackground(jobsCtx, migrated)
	}()
	if prober != nil {
		jobs.Add(1)
		go func() {
			defer jobs.Done()
			prober.Run(jobsCtx, cfg.SIP.ProbeEvery)
		}()
	}
	if probeCalls != nil {
		// A call in progress at shutdown is hung up (its BYE bounded by 5 s).
		jobs.Add(1)
		go func() {
			defer jobs.Done()
			probeCalls.Run(jobsCtx, cfg.ProbeCall.Every)
		}()
	}
	appDone := make(chan error, 1)
	go func() { appDone <- app.Run(appCtx) }()
	httpErr := make(chan error, 1)
	go func() { httpErr <- httpSrv.Serve(httpCtx, ln, cfg.HTTP.ShutdownTimeout) }()
	if hooks.started != nil {
		hooks.started <- ln.Addr().String()
	}

	var firstErr error
	select {
	case <-ctx.Done():
	case firstErr = <-httpErr:
	}
	log.Info("shutting down")
	// 1. Background jobs: the escalation engine hangs up its calls to people
	//    on duty while ARI is still connected (they resume at the next start).
	stopJobs()
	jobs.Wait()
	// 2. Calls: no new ones; those in progress finish within the grace period.
	stopApp()
	<-appDone
	// 3. The call records and operators' state changes reach the database.
	stopRecords()
	recordsWG.Wait()
	// 4. HTTP last, so /readyz and /metrics answer during the drain.
	stopHTTP()
	if firstErr == nil {
		firstErr = <-httpErr
	}
	log.Info("stopped")
	return firstErr
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
