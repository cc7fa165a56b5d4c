package sipprobe_test

import (
	"context"
	"log/slog"
	"net"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/slobozhanske/hotline/telephony/sipprobe"
)

// seenOptions is what a fake Asterisk learnt of the probe's OPTIONS.
type seenOptions struct {
	mu       sync.Mutex
	fromUser string
	source   string
}

func fakeAsteriskRecording(t *testing.T) (string, *seenOptions) {
	t.Helper()
	seen := &seenOptions{}
	ua, err := sipgo.NewUA(sipgo.WithUserAgent("Asterisk PBX"))
	if err != nil {
		t.Fatal(err)
	}
	srv, err := sipgo.NewServer(ua)
	if err != nil {
		t.Fatal(err)
	}
	srv.OnOptions(func(req *sip.Request, tx sip.ServerTransaction) {
		seen.mu.Lock()
		if f := req.From(); f != nil {
			seen.fromUser = f.Address.User
		}
		seen.source = req.Source()
		seen.mu.Unlock()
		_ = tx.Respond(sip.NewResponseFromRequest(req, 200, "OK", nil))
	})
	conn, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.ServeUDP(conn) }()
	t.Cleanup(func() { _ = conn.Close(); _ = ua.Close() })
	return conn.LocalAddr().String(), seen
}

// Asterisk identifies the probe by the user of its From header as the
// endpoint hotline-probe (asterisk/pjsip.conf), instead of logging "No
// matching endpoint found"; and the probe sends from the address of the
// route to the target, not from a socket on 0.0.0.0.
func TestProbeIdentifiesItselfFromTheRoutesAddress(t *testing.T) {
	addr, seen := fakeAsteriskRecording(t)
	p, err := sipprobe.New(addr, "udp", quiet(), prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for range 2 { // the second probe reuses the socket
		if res, err := p.Probe(ctx); err != nil || res.Code != 200 {
			t.Fatalf("probe: %+v, %v", res, err)
		}
	}
	seen.mu.Lock()
	defer seen.mu.Unlock()
	if seen.fromUser != sipprobe.Identity || sipprobe.Identity != "hotline-probe" {
		t.Errorf("From user %q, want %q (the endpoint in asterisk/pjsip.conf)", seen.fromUser, sipprobe.Identity)
	}
	la := p.LocalAddr()
	if la == nil || la.IP.IsUnspecified() || !la.IP.Equal(net.ParseIP("127.0.0.1")) {
		t.Fatalf("probe bound to %v, want 127.0.0.1 (the route to the target)", la)
	}
	if seen.source != la.String() {
		t.Errorf("Asterisk saw the OPTIONS from %s, the probe's socket is %s", seen.source, la)
	}
}

// captureHandler keeps sipgo's own log records: the message and the laddr
// attribute, if any.
type captureHandler struct {
	mu   sync.Mutex
	msgs []capturedLog
}

type capturedLog struct{ msg, laddr string }

func (h *captureHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h *captureHandler) Handle(_ context.Context, r slog.Record) error {
	c := capturedLog{msg: r.Message}
	r.Attrs(func(a slog.Attr) bool {
		if a.Key == "laddr" {
			c.laddr = a.Value.String()
		}
		return true
	})
	h.mu.Lock()
	h.msgs = append(h.msgs, c)
	h.mu.Unlock()
	return nil
}
func (h *captureHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *captureHandler) WithGroup(string) slog.Handler      { return h }

func (h *captureHandler) logged() []capturedLog {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.msgs)
}

// Shutting the probe down closes sipgo's UDP connection once: no "UDP ref
// went negative" warning. Close returns once the socket's reader has
// stopped (its last words, "Read listener connection stopped", are logged),
// so everything sipgo logs about the socket is in by then; the old probe
// let sipgo open and count a connection of its own, whose reader then
// warned after Close had returned.
func TestCloseLeavesNoNegativeReference(t *testing.T) {
	h := &captureHandler{}
	old := sip.DefaultLogger()
	sip.SetDefaultLogger(slog.New(h))
	t.Cleanup(func() { sip.SetDefaultLogger(old) })

	addr := fakeAsteriskSIP(t)
	p, err := sipprobe.New(addr, "udp", quiet(), prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := p.Probe(ctx); err != nil {
		t.Fatal(err)
	}
	laddr := p.LocalAddr().String()
	p.Close()
	p.Close() // twice is harmless
	logs := h.logged()
	if !slices.ContainsFunc(logs, func(c capturedLog) bool {
		return c.msg == "Read listener connection stopped" && c.laddr == laddr
	}) {
		t.Errorf("Close returned before the reader of the probe's socket %s stopped; sipgo logged %v", laddr, logs)
	}
	for _, c := range logs {
		if strings.Contains(c.msg, "negative") {
			t.Errorf("sipgo logged %q at shutdown", c.msg)
		}
	}
	if _, err := p.Probe(ctx); err == nil {
		t.Error("a closed probe still probes")
	}
}
