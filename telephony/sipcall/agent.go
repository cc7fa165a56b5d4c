package sipcall

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
)

// AgentConfig says whom an Agent calls and as whom.
type AgentConfig struct {
	// Target is the SIP server, host:port (UDP).
	Target string
	// Number is the user part of the Request-URI: the number dialled.
	Number string
	// Username is the From user and the digest user name; Password the
	// digest password, used when the server challenges (401 or 407).
	Username string
	Password string
	// UserAgent is the User-Agent header; default "hotline-sipcall".
	UserAgent string
	Log       *slog.Logger
}

// Agent is one SIP user agent: one UDP socket for signalling, bound to the
// local address of the route to the target (so the Via, Contact and SDP
// name an address the server can reach), and any number of calls over it.
// It answers what the server sends inside those calls (re-INVITE, UPDATE,
// BYE, OPTIONS) and refuses calls to it.
type Agent struct {
	cfg    AgentConfig
	host   string
	port   int
	log    *slog.Logger
	ua     *sipgo.UserAgent
	client *sipgo.Client
	server *sipgo.Server
	dialog *sipgo.DialogUA

	conn    net.PacketConn
	laddr   *net.UDPAddr
	served  chan struct{}
	closeMu sync.Once

	mu    sync.Mutex
	calls map[string]*call // by Call-ID
}

// NewAgent binds the agent's socket and starts reading it.
func NewAgent(cfg AgentConfig) (*Agent, error) {
	host, portStr, err := net.SplitHostPort(cfg.Target)
	if err != nil {
		return nil, fmt.Errorf("SIP target %q: %w", cfg.Target, err)
	}
	port, err := strconv.Atoi(portStr)
	if err != nil || port < 1 || port > 65535 {
		return nil, fmt.Errorf("SIP target %q: bad port", cfg.Target)
	}
	if cfg.Username == "" {
		cfg.Username = "hotline-sipcall"
	}
	if cfg.UserAgent == "" {
		cfg.UserAgent = "hotline-sipcall"
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	ip, err := routeTo(cfg.Target)
	if err != nil {
		return nil, err
	}
	conn, err := net.ListenPacket("udp", net.JoinHostPort(ip.String(), "0"))
	if err != nil {
		return nil, fmt.Errorf("bind SIP socket on %s: %w", ip, err)
	}
	a := &Agent{
		cfg: cfg, host: host, port: port, log: cfg.Log,
		conn: conn, laddr: conn.LocalAddr().(*net.UDPAddr),
		served: make(chan struct{}),
		calls:  map[string]*call{},
	}
	if a.ua, err = sipgo.NewUA(sipgo.WithUserAgent(cfg.UserAgent)); err != nil {
		_ = conn.Close()
		return nil, fmt.Errorf("SIP user agent: %w", err)
	}
	if a.client, err = sipgo.NewClient(a.ua, sipgo.WithClientLogger(cfg.Log)); err == nil {
		a.server, err = sipgo.NewServer(a.ua, sipgo.WithServerLogger(cfg.Log))
	}
	if err != nil {
		_ = a.ua.Close()
		_ = conn.Close()
		return nil, fmt.Errorf("SIP client: %w", err)
	}
	a.dialog = &sipgo.DialogUA{Client: a.client, ContactHDR: a.contact()}
	a.server.OnInvite(a.onInvite)
	a.server.OnUpdate(a.onUpdate)
	a.server.OnAck(a.onAck)
	a.server.OnBye(a.onBye)
	a.server.OnOptions(a.onOptions)
	a.server.OnInfo(a.onInfo)
	a.server.OnNoRoute(func(req *sip.Request, tx sip.ServerTransaction) {
		a.respond(req, tx, sip.StatusMethodNotAllowed, "Method Not Allowed", nil, allowHeader())
	})

	// Requests leave from this socket because they carry its address as
	// Laddr; sipgo finds it in its connection pool, which ServeUDP adds it
	// to before its first read, so wait for that read.
	rc := &readingConn{PacketConn: conn, reading: make(chan struct{})}
	a.conn = rc
	go func() {
		defer close(a.served)
		_ = a.ua.TransportLayer().ServeUDP(rc) // returns when the socket closes
	}()
	select {
	case <-rc.reading:
	case <-a.served:
		a.Close()
		return nil, fmt.Errorf("SIP socket on %s stopped before it was read", a.laddr)
	}
	return a, nil
}

// LocalAddr is the address the agent's SIP socket is bound to.
func (a *Agent) LocalAddr() *net.UDPAddr { return a.laddr }

// Close stops the SIP stack, then its socket, and waits for the socket's
// reader. Calls still running fail. It may be called more than once.
func (a *Agent) Close() {
	a.closeMu.Do(func() {
		_ = a.client.Close()
		_ = a.server.Close()
		_ = a.ua.Close()
		_ = a.conn.Close()
		<-a.served
	})
}

func (a *Agent) contact() sip.ContactHeader {
	return sip.ContactHeader{Address: sip.Uri{
		Scheme: "sip", User: a.cfg.Username, Host: a.laddr.IP.String(), Port: a.laddr.Port,
	}}
}

func (a *Agent) sipLaddr() sip.Addr {
	return sip.Addr{IP: a.laddr.IP, Port: a.laddr.Port, Hostname: a.laddr.IP.String()}
}

func (a *Agent) register(c *call) {
	a.mu.Lock()
	a.calls[c.callID] = c
	a.mu.Unlock()
}

func (a *Agent) unregister(c *call) {
	a.mu.Lock()
	delete(a.calls, c.callID)
	a.mu.Unlock()
}

// inDialog finds the call a request from the server belongs to: its
// Call-ID, and its To tag is our From tag (RFC 3261 §12.2.2). A request
// for no call of ours gets 481.
func (a *Agent) inDialog(req *sip.Request, tx sip.ServerTransaction) *call {
	var c *call
	if id := req.CallID(); id != nil {
		a.mu.Lock()
		c = a.calls[id.Value()]
		a.mu.Unlock()
	}
	var toTag string
	if to := req.To(); to != nil {
		toTag, _ = to.Params.Get("tag")
	}
	if c == nil || toTag != c.localTag {
		if !req.IsAck() {
			a.respond(req, tx, sip.StatusCallTransactionDoesNotExists, "Call/Transaction Does Not Exist", nil)
		}
		return nil
	}
	return c
}

// checkCSeq enforces RFC 3261 §12.2.2: the server's requests in a dialog
// come with growing CSeq numbers; an older one is answered 500. The
// server's numbering is its own, unrelated to ours.
func (a *Agent) checkCSeq(c *call, req *sip.Request, tx sip.ServerTransaction) bool {
	cseq := req.CSeq()
	if cseq == nil {
		a.respond(req, tx, sip.StatusBadRequest, "Missing CSeq", nil)
		return false
	}
	c.mu.Lock()
	ok := !c.remoteCSeqSet || cseq.SeqNo > c.remoteCSeq
	if ok {
		c.remoteCSeq, c.remoteCSeqSet = cseq.SeqNo, true
	}
	c.mu.Unlock()
	if !ok {
		a.respond(req, tx, sip.StatusInternalServerError, "CSeq Out Of Order", nil)
	}
	return ok
}

func (a *Agent) respond(req *sip.Request, tx sip.ServerTransaction, code int, reason string, body []byte, hdrs ...sip.Header) {
	res := sip.NewResponseFromRequest(req, code, reason, body)
	for _, h := range hdrs {
		res.AppendHeader(h)
	}
	if err := tx.Respond(res); err != nil {
		a.log.Warn("cannot answer the SIP server", "method", req.Method.String(), "code", code, "err", err)
	}
}

func allowHeader() sip.Header {
	return sip.NewHeader("Allow", "INVITE, ACK, CANCEL, BYE, OPTIONS, UPDATE, INFO")
}

func sdpHeader() sip.Header {
	ct := sip.ContentTypeHeader("application/sdp")
	return &ct
}

// onInvite answers a re-INVITE (Asterisk sends one to change the media, and
// for connected-line updates when UPDATE is not used). A new INVITE, a call
// to the agent, is declined: it only places calls.
func (a *Agent) onInvite(req *sip.Request, tx sip.ServerTransaction) {
	if to := req.To(); to == nil || !to.Params.Has("tag") {
		a.respond(req, tx, 603, "Decline", nil)
		return
	}
	c := a.inDialog(req, tx)
	if c == nil || !a.checkCSeq(c, req, tx) {
		return
	}
	body, code, reason := c.sessionUpdate(req.Body(), true)
	if code != sip.StatusOK {
		a.respond(req, tx, code, reason, nil)
		return
	}
	c.count(func(s *callStats) { s.ReInvites++ })
	contact := a.contact()
	res := sip.NewResponseFromRequest(req, sip.StatusOK, "OK", body)
	res.AppendHeader(&contact)
	res.AppendHeader(allowHeader())
	res.AppendHeader(sdpHeader())
	// Our 2xx is retransmitted by us, not the transaction, until the ACK
	// comes (RFC 3261 §13.3.1.4): T1, doubling to T2, for at most 64·T1.
	acked := c.expectAck(req.CSeq().SeqNo)
	if err := tx.Respond(res); err != nil {
		a.log.Warn("cannot answer a re-INVITE", "call_id", c.callID, "err", err)
		return
	}
	interval := sip.T1
	giveUp := time.NewTimer(64 * sip.T1)
	defer giveUp.Stop()
	retransmit := time.NewTimer(interval)
	defer retransmit.Stop()
	for {
		select {
		case ack := <-acked:
			if len(ack.Body()) > 0 && len(req.Body()) == 0 {
				// A re-INVITE without SDP: our 200 was the offer, the ACK the answer.
				c.sessionAnswer(ack.Body())
			}
			return
		case <-retransmit.C:
			if err := tx.Respond(res); err != nil {
				return
			}
			interval = min(2*interval, sip.T2)
			retransmit.Reset(interval)
		case <-giveUp.C:
			a.log.Warn("no ACK for our 200 to a re-INVITE", "call_id", c.callID)
			return
		case <-c.done:
			return
		}
	}
}

// onUpdate answers UPDATE (RFC 3311), Asterisk's usual connected-line
// update: with SDP it is an offer and gets our answer, without it is only
// a target refresh and gets 200 with our Contact.
func (a *Agent) onUpdate(req *sip.Request, tx sip.ServerTransaction) {
	c := a.inDialog(req, tx)
	if c == nil || !a.checkCSeq(c, req, tx) {
		return
	}
	var body []byte
	if len(req.Body()) > 0 {
		var code int
		var reason string
		if body, code, reason = c.sessionUpdate(req.Body(), false); code != sip.StatusOK {
			a.respond(req, tx, code, reason, nil)
			return
		}
	}
	c.count(func(s *callStats) { s.Updates++ })
	contact := a.contact()
	hdrs := []sip.Header{&contact, allowHeader()}
	if body != nil {
		hdrs = append(hdrs, sdpHeader())
	}
	a.respond(req, tx, sip.StatusOK, "OK", body, hdrs...)
}

func (a *Agent) onAck(req *sip.Request, tx sip.ServerTransaction) {
	if c := a.inDialog(req, tx); c != nil {
		c.ackArrived(req)
	}
}

func (a *Agent) onBye(req *sip.Request, tx sip.ServerTransaction) {
	c := a.inDialog(req, tx)
	if c == nil || !a.checkCSeq(c, req, tx) {
		return
	}
	a.respond(req, tx, sip.StatusOK, "OK", nil)
	c.remoteHangup()
}

func (a *Agent) onOptions(req *sip.Request, tx sip.ServerTransaction) {
	// Asterisk may ask in a dialog whether we are still there; outside one
	// it is a ping (qualify), answered the same.
	a.respond(req, tx, sip.StatusOK, "OK", nil, allowHeader())
}

func (a *Agent) onInfo(req *sip.Request, tx sip.ServerTransaction) {
	if c := a.inDialog(req, tx); c != nil && a.checkCSeq(c, req, tx) {
		a.respond(req, tx, sip.StatusOK, "OK", nil)
	}
}

// readingConn tells when sipgo first reads the socket: by then the socket
// is in sipgo's connection pool.
type readingConn struct {
	net.PacketConn
	once    sync.Once
	reading chan struct{}
}

func (c *readingConn) ReadFrom(b []byte) (int, net.Addr, error) {
	c.once.Do(func() { close(c.reading) })
	return c.PacketConn.ReadFrom(b)
}

// routeTo is the local address the routing table picks to reach hostPort;
// connecting a UDP socket sends nothing.
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

// errClosed is what a call on a closed agent fails with.
var errClosed = errors.New("SIP agent closed")

// closed reports whether Close was called.
func (a *Agent) closed() bool {
	select {
	case <-a.served:
		return true
	default:
		return false
	}
}

var _ = context.Background
