// Package sipprobe checks that Asterisk's SIP stack answers, with SIP
// OPTIONS pings over the transport residents and operators use. ARI can be
// up while PJSIP is not (a bad pjsip.conf reload, a transport that failed to
// bind), and then no call reaches the hotline; this makes that visible in
// /readyz and in metrics.
package sipprobe

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
	"github.com/prometheus/client_golang/prometheus"
)

// Result is one answered probe.
type Result struct {
	Code   int
	Reason string
	RTT    time.Duration
}

// Prober sends SIP OPTIONS to one target.
type Prober struct {
	target    sip.Uri
	transport string
	ua        *sipgo.UserAgent
	client    *sipgo.Client
	log       *slog.Logger

	mu        sync.Mutex
	last      error
	closeOnce sync.Once

	up  prometheus.Gauge
	rtt prometheus.Histogram
}

// New builds a prober for host:port over transport (udp or tcp).
func New(hostPort, transport string, log *slog.Logger, reg prometheus.Registerer) (*Prober, error) {
	host, portStr, err := net.SplitHostPort(hostPort)
	if err != nil {
		return nil, fmt.Errorf("sip probe target %q: %w", hostPort, err)
	}
	port, err := strconv.Atoi(portStr)
	if err != nil {
		return nil, fmt.Errorf("sip probe target %q: bad port", hostPort)
	}
	ua, err := sipgo.NewUA(sipgo.WithUserAgent("hotline-probe"))
	if err != nil {
		return nil, fmt.Errorf("sip user agent: %w", err)
	}
	client, err := sipgo.NewClient(ua, sipgo.WithClientLogger(log))
	if err != nil {
		_ = ua.Close()
		return nil, fmt.Errorf("sip client: %w", err)
	}
	p := &Prober{
		target:    sip.Uri{Scheme: "sip", Host: host, Port: port},
		transport: transport,
		ua:        ua, client: client, log: log,
		last: fmt.Errorf("SIP not probed yet"),
		up: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "hotline_sip_up", Help: "1 when Asterisk answered the last SIP OPTIONS probe."}),
		rtt: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "hotline_sip_options_rtt_seconds", Help: "Round-trip time of SIP OPTIONS probes to Asterisk.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 3, 9)}),
	}
	if reg != nil {
		reg.MustRegister(p.up, p.rtt)
	}
	return p, nil
}

// Probe sends one OPTIONS and waits for the final answer. Any final answer
// (even 401 or 404) proves the SIP stack is alive.
func (p *Prober) Probe(ctx context.Context) (Result, error) {
	req := sip.NewRequest(sip.OPTIONS, p.target)
	req.SetTransport(p.transport)
	start := time.Now()
	res, err := p.client.Do(ctx, req)
	if err != nil {
		return Result{}, fmt.Errorf("SIP OPTIONS to %s/%s: %w", p.target.HostPort(), p.transport, err)
	}
	return Result{Code: res.StatusCode, Reason: res.Reason, RTT: time.Since(start)}, nil
}

// Run probes every interval until ctx ends.
func (p *Prober) Run(ctx context.Context, every time.Duration) {
	defer p.Close()
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		pctx, cancel := context.WithTimeout(ctx, min(every, 5*time.Second))
		res, err := p.Probe(pctx)
		cancel()
		p.mu.Lock()
		wasDown := p.last != nil
		p.last = err
		p.mu.Unlock()
		switch {
		case err != nil:
			p.up.Set(0)
			if !wasDown {
				p.log.Warn("Asterisk's SIP stack stopped answering", "err", err)
			}
		default:
			p.up.Set(1)
			p.rtt.Observe(res.RTT.Seconds())
			if wasDown {
				p.log.Info("Asterisk's SIP stack answers", "code", res.Code, "rtt", res.RTT)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Status is the last probe's error, for /readyz.
func (p *Prober) Status(context.Context) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.last
}

// Close releases the SIP transport; it may be called more than once.
func (p *Prober) Close() {
	p.closeOnce.Do(func() {
		_ = p.client.Close()
		_ = p.ua.Close()
	})
}
