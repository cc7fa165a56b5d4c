package sipcall_test

import (
	"bytes"
	"context"
	"log/slog"
	"math"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/slobozhanske/hotline/telephony/sipcall"
	"github.com/slobozhanske/hotline/telephony/sipcall/sipcalltest"
)

// 20 calls, 5 at once, each pressing 4: all answered and passed, the
// server got 20 keys, the report has the counts and percentiles.
func TestLoad(t *testing.T) {
	t.Parallel()
	srv := sipcalltest.Start(t, sipcalltest.Config{Username: "monitor", Password: "pw", MidCall: "update",
		Greeting: sipcalltest.Tone(100 * time.Millisecond), Reply: sipcalltest.Tone(100 * time.Millisecond)})
	a := agent(t, srv, "monitor", "pw")
	o := fastOptions("4")
	o.KeySilence = 100 * time.Millisecond
	cfg := sipcall.LoadConfig{Calls: 20, Rate: 100, Concurrency: 5, Options: o, MaxDuration: 20 * time.Second}
	var seen atomic.Int32
	rep, err := a.Load(context.Background(), cfg, func(*sipcall.Result) { seen.Add(1) })
	if err != nil {
		t.Fatal(err)
	}
	if seen.Load() != 20 {
		t.Errorf("onResult saw %d calls", seen.Load())
	}
	var out bytes.Buffer
	rep.Print(&out)
	t.Logf("\n%s", out.String())
	if rep.Attempted != 20 || rep.Answered != 20 || rep.Passed != 20 || len(rep.Failed) != 0 {
		t.Errorf("%+v", rep)
	}
	digits := 0
	for _, c := range srv.Calls() {
		ended(t, c)
		digits += len(c.Digits)
	}
	if digits != 20 {
		t.Errorf("the server received %d keys, want 20", digits)
	}
	for _, want := range []string{"20 attempted, 20 answered, 20 passed, 0 failed", "setup:", "first audio:", "p50 ", "p99 "} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("report lacks %q", want)
		}
	}
}

// Failing calls are counted by code and the test goes on.
func TestLoadCountsFailuresByCode(t *testing.T) {
	t.Parallel()
	srv := sipcalltest.Start(t, sipcalltest.Config{Reject: 486})
	a := agent(t, srv, "monitor", "")
	rep, err := a.Load(context.Background(), sipcall.LoadConfig{Calls: 10, Rate: 200, Concurrency: 3,
		Options: fastOptions(""), MaxDuration: 10 * time.Second}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Attempted != 10 || rep.Answered != 0 || rep.Failed["486 Rejected by test"] != 10 {
		t.Errorf("%+v", rep)
	}
	var out bytes.Buffer
	rep.Print(&out)
	if !strings.Contains(out.String(), "486 Rejected by test: 10") {
		t.Errorf("report:\n%s", out.String())
	}
	// Bounds: nonsense is refused before any call.
	for _, bad := range []sipcall.LoadConfig{
		{Calls: 0, Rate: 1, Concurrency: 1, Options: fastOptions(""), MaxDuration: time.Second},
		{Calls: 1, Rate: 1e6, Concurrency: 1, Options: fastOptions(""), MaxDuration: time.Second},
		{Calls: 1, Rate: 1, Concurrency: 0, Options: fastOptions(""), MaxDuration: time.Second},
		{Calls: 1, Rate: 1, Concurrency: 1, Options: fastOptions("x"), MaxDuration: time.Second},
	} {
		if _, err := a.Load(context.Background(), bad, nil); err == nil {
			t.Errorf("accepted %+v", bad)
		}
	}
}

func TestPercentile(t *testing.T) {
	var ds []time.Duration
	for i := 1; i <= 100; i++ {
		ds = append(ds, time.Duration(101-i)*time.Millisecond)
	}
	for p, want := range map[float64]time.Duration{50: 50 * time.Millisecond, 99: 99 * time.Millisecond, 100: 100 * time.Millisecond, 0: time.Millisecond} {
		if got := sipcall.Percentile(ds, p); got != want {
			t.Errorf("p%g = %s, want %s", p, got, want)
		}
	}
	if sipcall.Percentile(nil, 50) != 0 {
		t.Error("p50 of nothing")
	}
}

func TestCheckLoadTarget(t *testing.T) {
	ctx := context.Background()
	nets := []netip.Prefix{netip.MustParsePrefix("10.99.0.0/16")}
	for host, ok := range map[string]bool{
		"127.0.0.1": true, "127.8.9.10": true, "::1": true, "localhost": true, "10.99.3.4": true,
		"10.98.0.1": false, "192.0.2.1": false, "2001:db8::1": false, "::ffff:127.0.0.1": true,
	} {
		if err := sipcall.CheckLoadTarget(ctx, host, nets); (err == nil) != ok {
			t.Errorf("%s: %v", host, err)
		}
	}
}

// The monitor's metrics after a passing call, and after two failing ones.
func TestMonitorMetrics(t *testing.T) {
	t.Parallel()
	good := sipcalltest.Start(t, sipcalltest.Config{})
	reg := prometheus.NewRegistry()
	m := sipcall.NewMonitor(sipcall.AgentConfig{Target: good.Addr, Number: "1580"}, fastOptions(""), quiet(), reg)
	if res := m.Once(context.Background()); !res.OK {
		t.Fatalf("%+v", res)
	}
	if v := metric(t, reg, "hotline_probe_call_success"); v != 1 {
		t.Errorf("success %v", v)
	}
	for _, name := range []string{"hotline_probe_call_setup_seconds", "hotline_probe_call_first_audio_seconds"} {
		if v := metric(t, reg, name); !(v > 0 && v < 2) {
			t.Errorf("%s %v", name, v)
		}
	}

	busy := sipcalltest.Start(t, sipcalltest.Config{Reject: 486})
	reg = prometheus.NewRegistry()
	m = sipcall.NewMonitor(sipcall.AgentConfig{Target: busy.Addr, Number: "1580"}, fastOptions(""), quiet(), reg)
	m.Once(context.Background())
	m.Once(context.Background())
	if m.Last().Failure != sipcall.FailRejected {
		t.Errorf("%+v", m.Last())
	}
	if v := metric(t, reg, "hotline_probe_call_success"); v != 0 {
		t.Errorf("success %v after failures", v)
	}
	if v := metric(t, reg, "hotline_probe_call_consecutive_failures"); v != 2 {
		t.Errorf("consecutive failures %v, want 2", v)
	}
	if v := metric(t, reg, "hotline_probe_call_setup_seconds"); !math.IsNaN(v) {
		t.Errorf("setup of a rejected call %v, want NaN", v)
	}
}

// metric is the value of the only series of a gauge or counter.
func metric(t *testing.T, reg *prometheus.Registry, name string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == name {
			m := mf.GetMetric()[0]
			if g := m.GetGauge(); g != nil {
				return g.GetValue()
			}
			return m.GetCounter().GetValue()
		}
	}
	t.Fatalf("no metric %s", name)
	return 0
}

func quiet() *slog.Logger { return slog.New(slog.DiscardHandler) }
