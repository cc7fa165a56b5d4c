package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/slobozhanske/hotline/config"
	"github.com/slobozhanske/hotline/internal/httpserver"
	"github.com/slobozhanske/hotline/internal/lease"
	"github.com/slobozhanske/hotline/internal/store"
	"github.com/slobozhanske/hotline/telephony/ari"
	callrecordpg "github.com/slobozhanske/hotline/telephony/callrecord/pgstore"
	"github.com/slobozhanske/hotline/telephony/sipcall"
	"github.com/slobozhanske/hotline/telephony/sipprobe"
)

// server is one `hotline serve` process: newServer builds every part,
// run runs them. With standby.enabled, two such processes share one
// PostgreSQL and one Asterisk, and the lease decides which is active: the
// standby serves health, metrics and API reads, and becomes active (loads
// the stored state, connects to ARI, takes the calls over) when the active
// one stops renewing the lease.
type server struct {
	cfg   *config.Config
	log   *slog.Logger
	hooks serveHooks

	pool       *store.Pool
	http       *httpserver.Server
	svc        *services
	records    *callrecordpg.Writer
	app        *ari.App
	prober     *sipprobe.Prober
	probeCalls *sipcall.Monitor
	lease      *lease.Lease // nil: no standby, this process is always active
	fallback   *fallbackPublisher
	active     atomic.Bool
	leader     prometheus.Gauge
	ln         net.Listener
}

// errNotActive: this process is the standby (or lost the lease).
var errNotActive = errors.New("standby: another hotline server is active")

func newServer(ctx context.Context, cfg *config.Config, log *slog.Logger, hooks serveHooks) (_ *server, err error) {
	s := &server{cfg: cfg, log: log, hooks: hooks}
	defer func() {
		if err != nil {
			s.close()
		}
	}()
	domain, err := buildDomain(cfg)
	if err != nil {
		return nil, err
	}
	if s.pool, err = store.Open(ctx, cfg.Database.URL.Reveal(), cfg.Database.MaxConns); err != nil {
		return nil, err
	}
	s.http = httpserver.New(log)
	reg := s.http.Registry()
	if s.svc, err = newServices(cfg, domain, s.pool, reg, log, hooks.now); err != nil {
		return nil, err
	}
	if cfg.Standby.Enabled {
		s.svc.standby = func() bool { return !s.active.Load() }
	}
	if cfg.SIP.ProbeTarget != "" {
		if s.prober, err = sipprobe.New(cfg.SIP.ProbeTarget, cfg.SIP.ProbeTransport, log.With("component", "sipprobe"), reg); err != nil {
			return nil, err
		}
	}
	// The synthetic call to the hotline through Asterisk's SIP, every
	// probe_call.every (hotline_probe_call_* metrics).
	if cfg.ProbeCall.Target != "" && cfg.ProbeCall.Every > 0 {
		plog := log.With("component", "probecall")
		s.probeCalls = sipcall.NewMonitor(agentConfig(cfg.ProbeCall, plog), probeOptions(cfg.ProbeCall), plog, reg)
	}
	if err := s.buildLease(reg); err != nil {
		return nil, err
	}
	s.records = callrecordpg.NewWriter(s.pool, cfg.Calls.RecordBuffer, log.With("component", "callrecord"), reg)
	s.app = ari.NewApp(ari.Config{
		URL: cfg.ARI.URL, WebSocketURL: cfg.ARI.WebSocketURL, Application: cfg.ARI.Application,
		Username: cfg.ARI.Username, Password: cfg.ARI.Password.Reveal(),
		RequestTimeout: cfg.ARI.RequestTimeout, ReconnectMin: cfg.ARI.ReconnectMin, ReconnectMax: cfg.ARI.ReconnectMax,
		ShutdownGrace: cfg.Calls.ShutdownGrace, FallbackContext: cfg.Calls.FallbackContext,
		MaxCallDuration: cfg.Calls.MaxCallDuration, RecordingFormat: cfg.Calls.RecordingFormat,
		BusyPrompt: busyPrompt, Fence: s.fence(),
	}, s.records, ari.NewMetrics(reg), log.With("component", "ari"))
	if err := s.svc.attachTelephony(s.app, s.records); err != nil {
		return nil, err
	}
	s.app.SetHandler(s.svc.handleCall)
	s.fallback = newFallbackPublisher(s.app, s.svc.fallbackPlan, s.svc.now, log.With("component", "degraded"))
	s.takeOverCalls()
	s.addChecks()
	s.svc.mount(ctx, s.http, s.writable)
	if s.ln, err = net.Listen("tcp", cfg.HTTP.Listen); err != nil {
		return nil, fmt.Errorf("listen on %s: %w", cfg.HTTP.Listen, err)
	}
	return s, nil
}

// buildLease prepares the contention for the lease when a standby is
// configured; without one the process is active from the start.
func (s *server) buildLease(reg prometheus.Registerer) error {
	s.leader = prometheus.NewGauge(prometheus.GaugeOpts{Name: "hotline_leader",
		Help: "1 while this server is the active one (drives the calls), 0 while it is the standby."})
	reg.MustRegister(s.leader)
	if !s.cfg.Standby.Enabled {
		return nil
	}
	instance := s.cfg.Standby.Instance
	if instance == "" {
		host, _ := os.Hostname()
		instance = fmt.Sprintf("%s:%d", host, os.Getpid())
	}
	var err error
	s.lease, err = lease.New(s.pool, lease.Config{Name: s.cfg.ARI.Application, Holder: instance,
		TTL: s.cfg.Standby.LeaseTTL, Log: s.log.With("component", "lease")})
	return err
}

// fence is what the ARI application checks before every command: without a
// standby, nil (always allowed).
func (s *server) fence() func() error {
	if !s.cfg.Standby.Enabled {
		return nil
	}
	return func() error {
		if s.lease.Valid() {
			return nil
		}
		return errNotActive
	}
}

// writable says whether the API may change anything: the standby answers
// reads and refuses writes (503), which belong to the active server.
func (s *server) writable() error {
	if s.active.Load() {
		return nil
	}
	return errNotActive
}

// takeOverCalls makes a call found in Stasis after a restart (or by the
// standby taking over) go on under its record, and closes the records of
// calls that ended while no server watched.
func (s *server) takeOverCalls() {
	s.app.TakeOverWith(s.svc.calls)
	startedAt := time.Now()
	var orphansClosed atomic.Bool
	s.app.OnListed(func(ctx context.Context, live []string) {
		s.fallback.reconnected()
		if orphansClosed.Load() {
			return
		}
		// Until it succeeds (the database may be away), again at the next (re)connect.
		if _, err := s.records.CloseOrphans(ctx, live, startedAt); err != nil {
			s.log.Warn("cannot close the call records an earlier run left open; will retry after the next ARI connect", "err", err)
			return
		}
		orphansClosed.Store(true)
	})
}

func (s *server) addChecks() {
	s.http.AddCheck("database", func(ctx context.Context) error { return store.Ping(ctx, s.pool) })
	// The database may answer pings while the call records do not get in
	// (a table locked, writes timing out): the writer reports for itself.
	s.http.AddCheck("call_records", func(context.Context) error { return s.records.Stalled(s.cfg.Calls.RecordStallAfter) })
	s.http.AddCheck("ari", func(ctx context.Context) error {
		if !s.active.Load() {
			return errNotActive
		}
		return s.app.Ready(ctx)
	})
	if s.prober != nil {
		s.http.AddCheck("sip", s.prober.Status)
	}
	if s.lease != nil {
		s.http.AddCheck("leader", func(context.Context) error { return s.writable() })
	}
}

func (s *server) close() {
	if s.prober != nil {
		s.prober.Close()
	}
	if s.ln != nil {
		_ = s.ln.Close()
	}
	if s.pool != nil {
		s.pool.Close()
	}
}

// run runs the parts until ctx ends (or, for the active server of a pair,
// until it loses the lease: it then lets the calls go to the other one and
// returns lease.ErrLost, so that it is restarted as the standby).
func (s *server) run(ctx context.Context) error {
	cfg, log := s.cfg, s.log
	log.Info("hotline starting", "http", s.ln.Addr().String(), "ari", cfg.ARI.URL, "app", cfg.ARI.Application, "standby", cfg.Standby.Enabled)
	fmt.Fprintf(os.Stderr, "hotline: expecting Asterisk ARI at %s (app %q, user %q); retrying until it answers\n",
		cfg.ARI.URL, cfg.ARI.Application, cfg.ARI.Username)

	// Each part gets its own context so shutdown can stop them in order.
	recordsCtx, stopRecords := context.WithCancel(context.Background())
	jobsCtx, stopJobs := context.WithCancel(context.Background())
	appCtx, stopApp := context.WithCancel(context.Background())
	httpCtx, stopHTTP := context.WithCancel(context.Background())
	leaseCtx, stopLease := context.WithCancel(context.Background())
	defer stopLease()
	var recordsWG, jobs sync.WaitGroup
	goRun(&recordsWG, func() { s.records.Run(recordsCtx, 10*time.Second) })
	// Operators' state changes, like call records, are written until the calls are over.
	goRun(&recordsWG, func() { s.svc.stateLog.Run(recordsCtx, 10*time.Second) })
	// Migrations run in the background so the server answers /healthz and
	// /readyz (reporting the database) even while PostgreSQL is still away;
	// the jobs that need the schema wait for them.
	migrated := make(chan struct{})
	goRun(&jobs, func() {
		if _, err := migrateWithRetry(jobsCtx, s.pool, log); err == nil {
			close(migrated)
		}
	})
	httpErr := make(chan error, 1)
	go func() { httpErr <- s.http.Serve(httpCtx, s.ln, cfg.HTTP.ShutdownTimeout) }()
	if s.hooks.started != nil {
		s.hooks.started <- s.ln.Addr().String()
	}

	// The standby waits here until the lease is its own.
	lost, leaseDone := s.contend(leaseCtx, migrated)
	var firstErr error
	appDone := make(chan error, 1)
	appStarted := false
	select {
	case <-ctx.Done():
	case firstErr = <-httpErr:
	case <-s.won():
		s.becomeActive(jobsCtx, &jobs, migrated)
		appStarted = true
		go func() { appDone <- s.app.Run(appCtx) }()
		select {
		case <-ctx.Done():
		case firstErr = <-httpErr:
		case <-lost:
			// Another server has the calls now: let them go untouched, stop
			// the jobs (the escalation engine resumes there), and exit.
			s.active.Store(false)
			s.leader.Set(0)
			stopJobs()
			s.app.Abandon()
			firstErr = fmt.Errorf("serve: %w", lease.ErrLost)
		}
	}
	log.Info("shutting down")
	// 1. Background jobs: the escalation engine hangs up its calls to people
	//    on duty while ARI is still connected (they resume at the next start).
	stopJobs()
	jobs.Wait()
	// 2. Calls: no new ones; those in progress finish within the grace period.
	stopApp()
	if appStarted {
		<-appDone
	}
	// 3. The call records and operators' state changes reach the database.
	stopRecords()
	recordsWG.Wait()
	// 4. The lease goes last but HTTP, so that the standby takes over only
	//    once this server has let go of the calls.
	stopLease()
	if leaseDone != nil {
		<-leaseDone
	}
	// 5. HTTP last, so /readyz and /metrics answer during the drain.
	stopHTTP()
	if firstErr == nil {
		firstErr = <-httpErr
	}
	log.Info("stopped")
	return firstErr
}

// contend runs the lease (when there is one) and returns the channel
// closed when it is lost and the channel Run's end is sent on.
func (s *server) contend(ctx context.Context, migrated <-chan struct{}) (lost <-chan struct{}, done <-chan error) {
	if s.lease == nil {
		return nil, nil
	}
	errc := make(chan error, 1)
	go func() {
		// The lease's table comes with the migrations.
		select {
		case <-ctx.Done():
			errc <- nil
			return
		case <-migrated:
		}
		errc <- s.lease.Run(ctx)
	}()
	s.log.Info("standby: waiting for the lease", "ttl", s.cfg.Standby.LeaseTTL)
	return s.lease.Lost(), errc
}

// won is closed when this server may be active: at once without a standby.
func (s *server) won() <-chan struct{} {
	if s.lease == nil {
		c := make(chan struct{})
		close(c)
		return c
	}
	return s.lease.Won()
}

// becomeActive starts what only the active server runs: the stored state
// loaded, the escalation engine and the overdue watcher, the probes.
func (s *server) becomeActive(ctx context.Context, jobs *sync.WaitGroup, migrated <-chan struct{}) {
	s.active.Store(true)
	s.leader.Set(1)
	if s.lease != nil {
		s.log.Info("this server is active now", "token", s.lease.Token())
	}
	goRun(jobs, func() { s.svc.runBackground(ctx, migrated) })
	// The degraded path's plan, once the state it is made of is loaded (the
	// config's would overwrite what the previous server left).
	goRun(jobs, func() {
		select {
		case <-ctx.Done():
		case <-s.svc.loaded:
			sub := s.svc.dispatcher.Subscribe("")
			defer sub.Close()
			s.fallback.run(ctx, sub.C)
		}
	})
	if s.prober != nil {
		goRun(jobs, func() { s.prober.Run(ctx, s.cfg.SIP.ProbeEvery) })
	}
	if s.probeCalls != nil {
		// A call in progress at shutdown is hung up (its BYE bounded by 5 s).
		goRun(jobs, func() { s.probeCalls.Run(ctx, s.cfg.ProbeCall.Every) })
	}
}

func goRun(wg *sync.WaitGroup, f func()) {
	wg.Add(1)
	go func() {
		defer wg.Done()
		f()
	}()
}
