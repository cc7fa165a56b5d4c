package sipcall

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/netip"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// LoadConfig is a bounded load test: Calls calls started at Rate per
// second, at most Concurrency at once, each running Options, all within
// MaxDuration.
type LoadConfig struct {
	Calls       int
	Rate        float64
	Concurrency int
	Options     Options
	MaxDuration time.Duration
}

// Limits of a load test, whatever the flags say: a typo must not become a
// flood.
const (
	MaxLoadCalls       = 100000
	MaxLoadRate        = 500
	MaxLoadConcurrency = 2000
)

func (c LoadConfig) check() error {
	switch {
	case c.Calls < 1 || c.Calls > MaxLoadCalls:
		return fmt.Errorf("calls %d: want 1–%d", c.Calls, MaxLoadCalls)
	case c.Rate <= 0 || c.Rate > MaxLoadRate:
		return fmt.Errorf("rate %g: want above 0 and at most %d calls a second", c.Rate, MaxLoadRate)
	case c.Concurrency < 1 || c.Concurrency > MaxLoadConcurrency:
		return fmt.Errorf("concurrency %d: want 1–%d", c.Concurrency, MaxLoadConcurrency)
	case c.MaxDuration <= 0:
		return fmt.Errorf("the test's bound must be positive")
	}
	return c.Options.check()
}

// LoadReport sums up a load test.
type LoadReport struct {
	Attempted int
	Answered  int // got 200 OK
	Passed    int // and passed every check
	// Failed counts the failed calls by SIP code and reason ("486 Busy
	// Here"), or, for calls that were answered or got no final answer, by
	// failure kind ("no_audio").
	Failed         map[string]int
	NotStarted     int // left out because the test's bound ran out
	Setup          []time.Duration
	FirstAudio     []time.Duration
	AudioAfterKeys []time.Duration
	Elapsed        time.Duration
}

// Load runs a load test and reports; onResult, if set, sees each call's
// result as it ends (from several goroutines at once). Failing calls never
// stop it; only the count, ctx and MaxDuration do.
func (a *Agent) Load(ctx context.Context, cfg LoadConfig, onResult func(*Result)) (*LoadReport, error) {
	if err := cfg.check(); err != nil {
		return nil, fmt.Errorf("load test: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, cfg.MaxDuration)
	defer cancel()
	rep := &LoadReport{Failed: map[string]int{}}
	start := time.Now()
	var mu sync.Mutex
	var wg sync.WaitGroup
	slots := make(chan struct{}, cfg.Concurrency)
	interval := time.Duration(float64(time.Second) / cfg.Rate)
	next := time.Now()
	timer := time.NewTimer(0)
	defer timer.Stop()
launch:
	for i := 0; i < cfg.Calls; i++ {
		// The pace: one call every interval from the start, and a free slot.
		timer.Reset(time.Until(next))
		select {
		case <-ctx.Done():
			rep.NotStarted = cfg.Calls - i
			break launch
		case <-timer.C:
		}
		select {
		case <-ctx.Done():
			rep.NotStarted = cfg.Calls - i
			break launch
		case slots <- struct{}{}:
		}
		next = next.Add(interval)
		rep.Attempted++
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-slots }()
			res := a.Call(ctx, cfg.Options)
			if onResult != nil {
				onResult(res)
			}
			mu.Lock()
			defer mu.Unlock()
			rep.add(res)
		}()
	}
	wg.Wait()
	rep.Elapsed = time.Since(start)
	return rep, nil
}

func (r *LoadReport) add(res *Result) {
	if res.Setup > 0 {
		r.Answered++
		r.Setup = append(r.Setup, res.Setup)
	}
	if res.FirstAudio > 0 {
		r.FirstAudio = append(r.FirstAudio, res.FirstAudio)
	}
	if res.AudioAfterKeys > 0 {
		r.AudioAfterKeys = append(r.AudioAfterKeys, res.AudioAfterKeys)
	}
	switch {
	case res.OK:
		r.Passed++
	case res.Code >= 300:
		r.Failed[strconv.Itoa(res.Code)+" "+res.Reason]++
	default:
		r.Failed[res.Failure]++
	}
}

// Percentile is the p-th percentile (0–100) of ds by the nearest-rank
// method, 0 for none.
func Percentile(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	rank := int(p/100*float64(len(s))+0.999999) - 1
	return s[min(max(rank, 0), len(s)-1)]
}

// Print writes the report for a person.
func (r *LoadReport) Print(w io.Writer) {
	failed := 0
	for _, n := range r.Failed {
		failed += n
	}
	rate := 0.0
	if r.Elapsed > 0 {
		rate = float64(r.Attempted) / r.Elapsed.Seconds()
	}
	fmt.Fprintf(w, "calls:    %d attempted, %d answered, %d passed, %d failed in %s (%.1f calls/s)\n",
		r.Attempted, r.Answered, r.Passed, failed, r.Elapsed.Round(time.Millisecond), rate)
	if r.NotStarted > 0 {
		fmt.Fprintf(w, "          %d not started: the test's time bound ran out\n", r.NotStarted)
	}
	if failed > 0 {
		keys := make([]string, 0, len(r.Failed))
		for k := range r.Failed {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		parts := make([]string, 0, len(keys))
		for _, k := range keys {
			parts = append(parts, fmt.Sprintf("%s: %d", k, r.Failed[k]))
		}
		fmt.Fprintf(w, "failed:   %s\n", strings.Join(parts, ", "))
	}
	line := func(name string, ds []time.Duration) {
		if len(ds) == 0 {
			fmt.Fprintf(w, "%-17s none\n", name+":")
			return
		}
		fmt.Fprintf(w, "%-17s p50 %s  p99 %s  max %s  (%d calls)\n", name+":",
			Percentile(ds, 50).Round(100*time.Microsecond), Percentile(ds, 99).Round(100*time.Microsecond),
			Percentile(ds, 100).Round(100*time.Microsecond), len(ds))
	}
	line("setup", r.Setup)
	line("first audio", r.FirstAudio)
	if len(r.AudioAfterKeys) > 0 {
		line("audio after keys", r.AudioAfterKeys)
	}
}

// CheckLoadTarget refuses a load test of a host that is not ours to load:
// every address host resolves to must be loopback (127.0.0.0/8, ::1) or in
// one of allowed (the configured test networks).
func CheckLoadTarget(ctx context.Context, host string, allowed []netip.Prefix) error {
	var addrs []netip.Addr
	if ip, err := netip.ParseAddr(host); err == nil {
		addrs = []netip.Addr{ip}
	} else {
		ips, err := net.DefaultResolver.LookupNetIP(ctx, "ip", host)
		if err != nil {
			return fmt.Errorf("resolve %s: %w", host, err)
		}
		addrs = ips
	}
	for _, ip := range addrs {
		ip = ip.Unmap()
		ok := ip.IsLoopback()
		for _, p := range allowed {
			ok = ok || p.Contains(ip)
		}
		if !ok {
			return fmt.Errorf("%s (%s) is neither loopback nor in the configured test networks %v", host, ip, allowed)
		}
	}
	return nil
}
