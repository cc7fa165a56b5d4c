package sipprobe_test

import (
	"context"
	"io"
	"log/slog"
	"net"
	"testing"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/slobozhanske/hotline/telephony/sipprobe"
)

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// fakeAsteriskSIP answers OPTIONS over real UDP on loopback, like PJSIP does.
func fakeAsteriskSIP(t *testing.T) string {
	t.Helper()
	ua, err := sipgo.NewUA(sipgo.WithUserAgent("Asterisk PBX"))
	if err != nil {
		t.Fatal(err)
	}
	srv, err := sipgo.NewServer(ua)
	if err != nil {
		t.Fatal(err)
	}
	srv.OnOptions(func(req *sip.Request, tx sip.ServerTransaction) {
		_ = tx.Respond(sip.NewResponseFromRequest(req, 200, "OK", nil))
	})
	conn, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.ServeUDP(conn) }()
	t.Cleanup(func() { _ = conn.Close(); _ = ua.Close() })
	return conn.LocalAddr().String()
}

func TestProbeGetsAsterisksAnswer(t *testing.T) {
	addr := fakeAsteriskSIP(t)
	p, err := sipprobe.New(addr, "udp", quiet(), prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	res, err := p.Probe(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if res.Code != 200 || res.RTT <= 0 {
		t.Errorf("result = %+v", res)
	}
}

func TestSilentTargetIsReportedDown(t *testing.T) {
	// A UDP socket that never answers: SIP over UDP retransmits until the deadline.
	conn, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	p, err := sipprobe.New(conn.LocalAddr().String(), "udp", quiet(), prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if err := p.Status(context.Background()); err == nil {
		t.Error("a target never probed is reported up")
	}
	// One probe, with the deadline Run gives each: no answer is an error.
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	if res, err := p.Probe(ctx); err == nil {
		t.Errorf("a target that never answers answered: %+v", res)
	}
	// Run reports what its probe found and stops with its context.
	rctx, rcancel := context.WithCancel(context.Background())
	rcancel()
	p.Run(rctx, 300*time.Millisecond)
	if err := p.Status(rctx); err == nil {
		t.Error("a target that never answers is reported up")
	}
}

func TestBadTargetIsAClearError(t *testing.T) {
	if _, err := sipprobe.New("no-port", "udp", quiet(), nil); err == nil {
		t.Error("accepted a target without a port")
	}
}
