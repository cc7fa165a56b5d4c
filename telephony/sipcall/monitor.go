package sipcall

import (
	"context"
	"log/slog"
	"math"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Monitor places a probe call every so often and exports how it went:
//
//	hotline_probe_call_success               1 when the last call passed every check
//	hotline_probe_call_consecutive_failures  failed calls in a row (the alert fires at 2)
//	hotline_probe_call_setup_seconds         INVITE → 200 OK of the last call (NaN if not answered)
//	hotline_probe_call_first_audio_seconds   200 OK → first audio of the last call (NaN if none)
//	hotline_probe_call_last_timestamp_seconds when the last call ended
//	hotline_probe_call_interval_seconds      the configured interval (for the staleness alert)
//	hotline_probe_calls_total{result}        calls by "ok" or failure kind
type Monitor struct {
	cfg  AgentConfig
	opts Options
	log  *slog.Logger

	success, failures, setup, firstAudio, last, interval prometheus.Gauge
	total                                                *prometheus.CounterVec

	mu   sync.Mutex
	prev *Result
}

// NewMonitor builds a monitor and registers its metrics with reg (nil: none).
func NewMonitor(cfg AgentConfig, o Options, log *slog.Logger, reg prometheus.Registerer) *Monitor {
	g := func(name, help string) prometheus.Gauge {
		return prometheus.NewGauge(prometheus.GaugeOpts{Name: name, Help: help})
	}
	m := &Monitor{
		cfg: cfg, opts: o, log: log,
		success:    g("hotline_probe_call_success", "1 when the last probe call to the hotline passed every check (answer, audio, keys), 0 when it failed."),
		failures:   g("hotline_probe_call_consecutive_failures", "Probe calls that failed in a row; 0 after one passes."),
		setup:      g("hotline_probe_call_setup_seconds", "INVITE to 200 OK of the last probe call; NaN when it was not answered."),
		firstAudio: g("hotline_probe_call_first_audio_seconds", "200 OK to the first audible frame of the last probe call; NaN when none came."),
		last:       g("hotline_probe_call_last_timestamp_seconds", "When the last probe call ended (Unix time)."),
		interval:   g("hotline_probe_call_interval_seconds", "How often the probe calls (probe_call.every)."),
		total: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "hotline_probe_calls_total", Help: "Probe calls by result: ok, or why they failed."}, []string{"result"}),
	}
	m.success.Set(math.NaN())
	m.setup.Set(math.NaN())
	m.firstAudio.Set(math.NaN())
	if reg != nil {
		reg.MustRegister(m.success, m.failures, m.setup, m.firstAudio, m.last, m.interval, m.total)
	}
	return m
}

// Once places one call, with a fresh agent (so a target whose address
// changed, Asterisk's container recreated, is found again), and records it.
func (m *Monitor) Once(ctx context.Context) *Result {
	var res *Result
	a, err := NewAgent(m.cfg)
	if err != nil {
		res = (&Result{Target: m.cfg.Target, Number: m.cfg.Number, Started: time.Now(), EventPT: -1}).fail(FailError, err)
	} else {
		res = a.Call(ctx, m.opts)
		a.Close()
	}
	m.record(res)
	return res
}

func (m *Monitor) record(res *Result) {
	secs := func(d time.Duration) float64 {
		if d <= 0 {
			return math.NaN()
		}
		return d.Seconds()
	}
	m.setup.Set(secs(res.Setup))
	m.firstAudio.Set(secs(res.FirstAudio))
	m.last.SetToCurrentTime()
	if res.OK {
		m.success.Set(1)
		m.failures.Set(0)
		m.total.WithLabelValues("ok").Inc()
	} else {
		m.success.Set(0)
		m.failures.Inc()
		m.total.WithLabelValues(res.Failure).Inc()
	}
	m.mu.Lock()
	m.prev = res
	m.mu.Unlock()
}

// Last is the last call's result, nil before the first.
func (m *Monitor) Last() *Result {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.prev
}

// Run calls every interval until ctx ends. The first call waits a minute
// (or the interval, if shorter), so a server just started has connected to
// ARI before it is judged. Each call is bounded by the options'
// MaxDuration, so calls never overlap when every is longer.
func (m *Monitor) Run(ctx context.Context, every time.Duration) {
	m.interval.Set(every.Seconds())
	wait := time.NewTimer(min(every, time.Minute))
	defer wait.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-wait.C:
		}
		started := time.Now()
		res := m.Once(ctx)
		if ctx.Err() != nil {
			return
		}
		if res.OK {
			m.log.Info("probe call passed", "setup", res.Setup, "first_audio", res.FirstAudio,
				"audio_after_keys", res.AudioAfterKeys, "call_id", res.CallID)
		} else {
			m.log.Warn("probe call failed", "failure", res.Failure, "err", res.Error,
				"sip_code", res.Code, "call_id", res.CallID)
		}
		wait.Reset(max(every-time.Since(started), 0))
	}
}
