// Package sipprobe checks that Asterisk's SIP stack answers, with SIP
// OPTIONS pings over the transport residents and operators use. ARI can be
// up while PJSIP is not (a bad pjsip.conf reload, a transport that failed to
// bind), and then no call reaches the hotline; this makes that visible in
// /readyz and in metrics.
//
// Identity: every OPTIONS says From: <sip:hotline-probe@…> (Identity), and
// asterisk/pjsip.conf has an endpoint of that name identified by the user
// name, so Asterisk answers it as a known peer instead of logging "No
// matching endpoint found" every probe. The endpoint can do nothing else (no
// aor, no codec, no dialplan), so there is no secret to share.
//
// Address: over UDP the probe binds one socket to the local address the
// route to the target uses (not 0.0.0.0), so the source Asterisk sees is
// that interface's address, and the socket is the probe's own: it is
// closed once, after the SIP stack that uses it (client, then user agent,
// then the socket), which keeps sipgo's connection reference count from
// going negative at shutdown.
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

// Identity is the user name the probe's requests carry in From (and the
// User-Agent header); asterisk/pjsip.conf has an endpoint of this name.
const Identity = "hotline-probe"

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

	// The UDP socket (bound on first use, to the address the route to the
	// target leaves from) and the goroutine reading it.
	bindMu sync.Mutex
	conn   net.PacketConn
	laddr  *net.UDPAddr
	served chan struct{}
	closed bool

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
	ua, err := sipgo.NewUA(sipgo.WithUserAgent(Identity))
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
	if p.transport == "udp" {
		laddr, err := p.bind()
		if err != nil {
			return Result{}, fmt.Errorf("SIP OPTIONS to %s/%s: %w", p.target.HostPort(), p.transport, err)
		}
		// Sent from the probe's own socket (sipgo finds it by this address).
		req.Laddr = sip.Addr{IP: laddr.IP, Port: laddr.Port, Hostname: laddr.IP.String()}
	}
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

// LocalAddr is the address the UDP probe sends from, or nil before the
// first probe (and for TCP).
func (p *Prober) LocalAddr() *net.UDPAddr {
	p.bindMu.Lock()
	defer p.bindMu.Unlock()
	return p.laddr
}

// bind opens the probe's UDP socket on the local address of the route to
// the target, once. It is done at the first probe rather than in New, so a
// target whose name does not resolve yet (Asterisk's container starting)
// shows as a failed probe and is tried again, instead of stopping the server.
func (p *Prober) bind() (*net.UDPAddr, error) {
	p.bindMu.Lock()
	defer p.bindMu.Unlock()
	if p.closed {
		return nil, fmt.Errorf("SIP probe closed")
	}
	if p.laddr != nil {
		return p.laddr, nil
	}
	ip, err := routeTo(p.target.HostPort())
	if err != nil {
		return nil, err
	}
	conn, err := net.ListenPacket("udp", net.JoinHostPort(ip.String(), "0"))
	if err != nil {
		return nil, fmt.Errorf("bind SIP probe socket on %s: %w", ip, err)
	}
	// Requests find the socket in sipgo's connection pool, which ServeUDP
	// adds it to before its first read: wait for that read, or the first
	// request would open a second socket on the same address.
	rc := &readingConn{PacketConn: conn, reading: make(chan struct{})}
	p.conn, p.laddr, p.served = rc, conn.LocalAddr().(*net.UDPAddr), make(chan struct{})
	go func(done chan struct{}) {
		defer close(done)
		// Returns when the socket is closed (Close).
		_ = p.ua.TransportLayer().ServeUDP(rc)
	}(p.served)
	select {
	case <-rc.reading:
	case <-p.served:
		p.closeSocketLocked()
		return nil, fmt.Errorf("SIP probe socket on %s stopped before it was read", ip)
	}
	p.log.Debug("SIP probe bound", "laddr", p.laddr.String(), "target", p.target.HostPort())
	return p.laddr, nil
}

// readingConn is the probe's socket, telling when sipgo first reads it:
// by then the socket is in sipgo's connection pool.
type readingConn struct {
	net.PacketConn
	once    sync.Once
	reading chan struct{}
}

func (c *readingConn) ReadFrom(b []byte) (int, net.Addr, error) {
	c.once.Do(func() { close(c.reading) })
	return c.PacketConn.ReadFrom(b)
}

// closeSocketLocked closes the probe's socket and waits for its reader;
// bindMu must be held.
func (p *Prober) closeSocketLocked() {
	if p.conn != nil {
		_ = p.conn.Close()
		<-p.served
	}
	p.conn, p.laddr, p.served = nil, nil, nil
}

// routeTo returns the local address the system's routing table picks to
// reach hostPort over UDP. Connecting a UDP socket sends nothing.
func routeTo(hostPort string) (net.IP, error) {
	c, err := net.Dial("udp", hostPort)
	if err != nil {
		return nil, fmt.Errorf("no route to %s: %w", hostPort, err)
	}
	defer c.Close()
	ip := c.LocalAddr().(*net.UDPAddr).IP
	if ip.IsUnspecified() {
		return nil, fmt.Errorf("no local address routes to %s", hostPort)
	}
	return ip, nil
}

// Close releases the SIP stack and its socket, once and in order: the
// client, then the user agent (its transactions and transports), then the
// probe's socket, waiting for its reader to stop. It may be called more
// than once.
func (p *Prober) Close() {
	p.closeOnce.Do(func() {
		_ = p.client.Close()
		_ = p.ua.Close()
		p.bindMu.Lock()
		p.closed = true
		p.closeSocketLocked()
		p.bindMu.Unlock()
	})
}
