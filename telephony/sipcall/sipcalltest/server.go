// Package sipcalltest is a SIP server for tests of telephony/sipcall: an
// Asterisk stand-in on the loopback interface, built with sipgo, that
// answers (or refuses, or never answers) an INVITE, challenges it with
// digest authentication, streams a known signal as G.711 RTP, answers each
// RFC 4733 key with more audio, records the keys and how they were sent,
// and sends an UPDATE or a re-INVITE in the middle of the call, as Asterisk
// does for connected-line updates.
//
// Its SDP and RTP handling is written apart from sipcall's on purpose, so
// the tests check the caller against a second reading of the RFCs rather
// than against itself.
package sipcalltest

import (
	"context"
	"crypto/md5"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"github.com/slobozhanske/hotline/telephony/sipcall"
)

// Config is how the server behaves; the zero value answers every call with
// A-law and plays Greeting, then Reply after each key.
type Config struct {
	// Greeting is played from the answer, then silence (as RTP of zero
	// samples) until a key; default Tone(400 ms).
	Greeting []int16
	// Reply is played after each key; default Tone(300 ms).
	Reply []int16
	// Silent answers and sends only silence.
	Silent bool
	// Reject answers every INVITE with this code (486, 603…).
	Reject int
	// NeverAnswer rings (180) and waits for the CANCEL.
	NeverAnswer bool
	// Username and Password, when set, are required by digest (RFC 2617,
	// qop=auth, MD5): the first INVITE of a call is challenged.
	Username, Password string
	// ProxyAuth challenges with 407 instead of 401.
	ProxyAuth bool
	// MidCall is sent right after the ACK, before the greeting:
	// "update" (no SDP, a connected-line update), "update-sdp", or
	// "reinvite" (an offer of µ-law only, so the caller must switch).
	MidCall string
	// PCMU answers with µ-law instead of A-law.
	PCMU bool
	// EventPT is the telephone-event payload type of the answer (default 101).
	EventPT uint8
	Log     *slog.Logger
}

// Tone is d of a 440 Hz sine at -12 dBFS.
func Tone(d time.Duration) []int16 {
	n := int(d / (time.Second / 8000))
	out := make([]int16, n)
	amp := 32767 * math.Pow(10, -12.0/20) * math.Sqrt2 // RMS -12 dBFS
	for i := range out {
		out[i] = int16(amp * math.Sin(2*math.Pi*440*float64(i)/8000))
	}
	return out
}

// Call is what the server saw of one call.
type Call struct {
	CallID     string
	Challenged bool // a challenge was sent and then answered correctly
	AuthFailed bool // credentials came that were wrong
	Cancelled  bool
	Answered   bool
	Acked      bool
	ByeFromUA  bool
	// Digits are the keys received, one per event (its first end packet).
	Digits string
	// Events is every telephone-event packet, in arrival order.
	Events []EventPacket
	// AudioPT counts the caller's audio packets by payload type.
	AudioPT map[uint8]int
	// OfferPTs are the payload types of the caller's INVITE offer.
	OfferPTs []uint8
	// MidCallCode is the caller's answer to MidCall, MidCallSDP its body.
	MidCallCode int
	MidCallSDP  string
	// SeqGaps counts caller packets whose sequence number was not the
	// previous one plus one.
	SeqGaps int

	done chan struct{}
}

// EventPacket is one RFC 4733 packet as received.
type EventPacket struct {
	Seq       uint16
	Timestamp uint32
	Marker    bool
	Event     uint8
	End       bool
	Duration  uint16
}

// Server is a running test server.
type Server struct {
	Addr string // host:port of its UDP SIP socket
	cfg  Config
	ua   *sipgo.UserAgent
	srv  *sipgo.Server
	dsrv *sipgo.DialogServerCache
	log  *slog.Logger

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu      sync.Mutex
	closing bool // set before wg.Wait: no handler starts after it
	calls   map[string]*Call
	order   []*Call
	nonce   string
}

// Start runs a server on 127.0.0.1 until the test ends.
func Start(t testing.TB, cfg Config) *Server {
	t.Helper()
	if cfg.Greeting == nil {
		cfg.Greeting = Tone(400 * time.Millisecond)
	}
	if cfg.Reply == nil {
		cfg.Reply = Tone(300 * time.Millisecond)
	}
	if cfg.EventPT == 0 {
		cfg.EventPT = 101
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	ua, err := sipgo.NewUA(sipgo.WithUserAgent("Asterisk PBX (sipcalltest)"))
	if err != nil {
		t.Fatal(err)
	}
	srv, err := sipgo.NewServer(ua, sipgo.WithServerLogger(cfg.Log))
	if err != nil {
		t.Fatal(err)
	}
	client, err := sipgo.NewClient(ua, sipgo.WithClientLogger(cfg.Log))
	if err != nil {
		t.Fatal(err)
	}
	conn, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := conn.LocalAddr().(*net.UDPAddr)
	s := &Server{
		Addr: addr.String(), cfg: cfg, ua: ua, srv: srv, log: cfg.Log,
		dsrv: sipgo.NewDialogServerCache(client, sip.ContactHeader{
			Address: sip.Uri{Scheme: "sip", User: "asterisk", Host: addr.IP.String(), Port: addr.Port}}),
		calls: map[string]*Call{}, nonce: strconv.FormatInt(time.Now().UnixNano(), 16),
	}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	srv.OnInvite(s.onInvite)
	srv.OnAck(func(req *sip.Request, tx sip.ServerTransaction) { _ = s.dsrv.ReadAck(req, tx) })
	srv.OnBye(func(req *sip.Request, tx sip.ServerTransaction) {
		if c := s.call(req); c != nil {
			s.mu.Lock()
			c.ByeFromUA = true
			s.mu.Unlock()
		}
		if err := s.dsrv.ReadBye(req, tx); err != nil {
			_ = tx.Respond(sip.NewResponseFromRequest(req, 481, "Call/Transaction Does Not Exist", nil))
		}
	})
	served := make(chan struct{})
	go func() { defer close(served); _ = srv.ServeUDP(conn) }()
	t.Cleanup(func() {
		s.update(func() { s.closing = true })
		s.cancel()
		s.wg.Wait()
		_ = ua.Close()
		_ = conn.Close()
		<-served
	})
	return s
}

// Calls is every call so far, in the order they arrived.
func (s *Server) Calls() []*Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]*Call(nil), s.order...)
}

// Wait waits until the call has ended at the server (its RTP reader done,
// so every packet that arrived is counted), or ctx ends.
func (c *Call) Wait(ctx context.Context) error {
	select {
	case <-c.done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("call %s still running: %w", c.CallID, ctx.Err())
	}
}

func (s *Server) call(req *sip.Request) *Call {
	id := req.CallID()
	if id == nil {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.calls[id.Value()]
	if c == nil {
		c = &Call{CallID: id.Value(), AudioPT: map[uint8]int{}, done: make(chan struct{})}
		s.calls[c.CallID] = c
		s.order = append(s.order, c)
	}
	return c
}

func (s *Server) update(f func()) {
	s.mu.Lock()
	f()
	s.mu.Unlock()
}

func (s *Server) onInvite(req *sip.Request, tx sip.ServerTransaction) {
	if to := req.To(); to != nil && to.Params.Has("tag") {
		// A re-INVITE from the caller: not something sipcall sends.
		_ = tx.Respond(sip.NewResponseFromRequest(req, 488, "Not Acceptable Here", nil))
		return
	}
	c := s.call(req)
	if c == nil {
		_ = tx.Respond(sip.NewResponseFromRequest(req, 400, "No Call-ID", nil))
		return
	}
	if s.cfg.Username != "" && !s.authorized(req, tx, c) {
		return
	}
	started := false
	s.update(func() {
		if !s.closing {
			s.wg.Add(1) // under mu, so never after the cleanup's Wait began
			started = true
		}
	})
	if !started {
		_ = tx.Respond(sip.NewResponseFromRequest(req, 503, "Shutting Down", nil))
		return
	}
	defer s.wg.Done()
	defer s.update(func() {
		select {
		case <-c.done:
		default:
			close(c.done)
		}
	})
	offer, err := parseOffer(req.Body())
	s.update(func() { c.OfferPTs = offer.pts })
	if err != nil {
		_ = tx.Respond(sip.NewResponseFromRequest(req, 488, "Not Acceptable Here", nil))
		return
	}
	if s.cfg.Reject != 0 {
		_ = tx.Respond(sip.NewResponseFromRequest(req, s.cfg.Reject, "Rejected by test", nil))
		return
	}
	dlg, err := s.dsrv.ReadInvite(req, tx)
	if err != nil {
		return
	}
	defer dlg.Close()
	if s.cfg.NeverAnswer {
		_ = dlg.Respond(180, "Ringing", nil)
		select {
		case <-dlg.Context().Done(): // the CANCEL (sipgo answers it and the INVITE, 487)
			s.update(func() { c.Cancelled = errors.Is(context.Cause(dlg.Context()), sip.ErrTransactionCanceled) })
		case <-s.ctx.Done():
		}
		return
	}
	rtpConn, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		_ = dlg.Respond(500, "No RTP port", nil)
		return
	}
	defer rtpConn.Close()
	pt := uint8(sipcall.PayloadPCMA)
	if s.cfg.PCMU {
		pt = sipcall.PayloadPCMU
	}
	media := &rtpState{dest: offer.addr, pt: pt, keys: make(chan struct{}, 16)}
	answer := describe(rtpConn.LocalAddr().(*net.UDPAddr).Port, 1, []uint8{pt}, s.cfg.EventPT)
	if err := dlg.RespondSDP(answer); err != nil {
		return // no ACK
	}
	s.update(func() { c.Answered, c.Acked = true, true })

	// The caller's RTP is read until the call ends.
	readDone := make(chan struct{})
	go func() {
		defer close(readDone)
		s.readRTP(rtpConn, c, media)
	}()
	defer func() { <-readDone }()
	defer rtpConn.Close()

	callCtx, stop := context.WithCancel(s.ctx)
	defer stop()
	go func() {
		select {
		case <-dlg.Context().Done():
		case <-callCtx.Done():
		}
		stop()
	}()
	if s.cfg.MidCall != "" {
		s.midCall(callCtx, dlg, c, media, rtpConn.LocalAddr().(*net.UDPAddr).Port)
	}
	s.stream(callCtx, rtpConn, media)
}

// midCall sends the configured in-dialog request and records the answer.
func (s *Server) midCall(ctx context.Context, dlg *sipgo.DialogServerSession, c *Call, media *rtpState, port int) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	target := dlg.InviteRequest.Contact().Address
	var req *sip.Request
	switch s.cfg.MidCall {
	case "update":
		req = sip.NewRequest(sip.UPDATE, target)
	case "update-sdp":
		req = sip.NewRequest(sip.UPDATE, target)
		req.SetBody(describe(port, 2, []uint8{media.pt}, s.cfg.EventPT))
	case "reinvite":
		req = sip.NewRequest(sip.INVITE, target)
		req.SetBody(describe(port, 2, []uint8{sipcall.PayloadPCMU}, s.cfg.EventPT))
	default:
		panic("sipcalltest: unknown MidCall " + s.cfg.MidCall) // a test's typo
	}
	if req.Body() != nil {
		ct := sip.ContentTypeHeader("application/sdp")
		req.AppendHeader(&ct)
	}
	req.AppendHeader(sip.NewHeader("P-Asserted-Identity", `"Гаряча лінія" <sip:1580@hotline>`))
	tx, err := dlg.TransactionRequest(ctx, req)
	if err != nil {
		return
	}
	defer tx.Terminate()
	var res *sip.Response
	for res == nil {
		select {
		case r := <-tx.Responses():
			if !r.IsProvisional() {
				res = r
			}
		case <-tx.Done():
			return
		case <-ctx.Done():
			return
		}
	}
	s.update(func() { c.MidCallCode, c.MidCallSDP = res.StatusCode, string(res.Body()) })
	if req.IsInvite() {
		if res.IsSuccess() {
			media.setPT(sipcall.PayloadPCMU)
		}
		ack := sip.NewRequest(sip.ACK, target)
		_ = dlg.WriteRequest(ack)
	}
}

// rtpState is where the server sends and in which codec; keys signals a
// key received.
type rtpState struct {
	mu   sync.Mutex
	dest *net.UDPAddr
	pt   uint8
	keys chan struct{}
}

func (m *rtpState) setPT(pt uint8) {
	m.mu.Lock()
	m.pt = pt
	m.mu.Unlock()
}

// stream sends 20 ms packets: the greeting, then silence, and the reply
// after each key, until ctx ends.
func (s *Server) stream(ctx context.Context, conn *net.UDPConn, m *rtpState) {
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	playing := s.cfg.Greeting
	if s.cfg.Silent {
		playing = nil
	}
	var seq uint16 = 1000
	var ts uint32 = 50000
	const ssrc = 0x5151
	frame := make([]int16, 160)
	for {
		select {
		case <-ctx.Done():
			return
		case <-m.keys:
			if !s.cfg.Silent {
				playing = s.cfg.Reply
			}
			continue
		case <-tick.C:
		}
		clear(frame)
		n := copy(frame, playing)
		playing = playing[n:]
		m.mu.Lock()
		pt, dest := m.pt, m.dest
		m.mu.Unlock()
		enc := sipcall.EncodeALaw
		if pt == sipcall.PayloadPCMU {
			enc = sipcall.EncodeULaw
		}
		pkt := make([]byte, 12, 12+160)
		pkt[0], pkt[1] = 0x80, pt
		binary.BigEndian.PutUint16(pkt[2:], seq)
		binary.BigEndian.PutUint32(pkt[4:], ts)
		binary.BigEndian.PutUint32(pkt[8:], ssrc)
		for _, v := range frame {
			pkt = append(pkt, enc(v))
		}
		seq++
		ts += 160
		_, _ = conn.WriteToUDP(pkt, dest)
	}
}

// readRTP reads the caller's packets until the socket closes: audio counted
// by payload type, telephone-events recorded, a key taken at the first end
// packet of its event.
func (s *Server) readRTP(conn *net.UDPConn, c *Call, m *rtpState) {
	buf := make([]byte, 1500)
	var lastSeq uint16
	haveSeq := false
	ended := map[uint32]bool{}
	for {
		n, _, err := conn.ReadFromUDP(buf)
		if err != nil {
			return
		}
		b := buf[:n]
		if n < 12 || b[0]>>6 != 2 {
			continue
		}
		pt := b[1] & 0x7f
		seq := binary.BigEndian.Uint16(b[2:])
		ts := binary.BigEndian.Uint32(b[4:])
		s.mu.Lock()
		if haveSeq && seq != lastSeq+1 {
			c.SeqGaps++
		}
		lastSeq, haveSeq = seq, true
		if pt != s.cfg.EventPT {
			c.AudioPT[pt]++
			s.mu.Unlock()
			continue
		}
		if n < 16 {
			s.mu.Unlock()
			continue
		}
		ev := EventPacket{Seq: seq, Timestamp: ts, Marker: b[1]&0x80 != 0, Event: b[12],
			End: b[13]&0x80 != 0, Duration: binary.BigEndian.Uint16(b[14:])}
		c.Events = append(c.Events, ev)
		first := ev.End && !ended[ts]
		if first {
			ended[ts] = true
			c.Digits += string(sipcall.EventKey(ev.Event))
		}
		s.mu.Unlock()
		if first {
			select {
			case m.keys <- struct{}{}:
			default:
			}
		}
	}
}

// authorized checks the INVITE's digest credentials, challenging it when
// it has none and refusing wrong ones with another challenge.
func (s *Server) authorized(req *sip.Request, tx sip.ServerTransaction, c *Call) bool {
	hdr, chal := "Authorization", "WWW-Authenticate"
	code, reason := 401, "Unauthorized"
	if s.cfg.ProxyAuth {
		hdr, chal, code, reason = "Proxy-Authorization", "Proxy-Authenticate", 407, "Proxy Authentication Required"
	}
	realm := "hotline-test"
	if h := req.GetHeader(hdr); h != nil {
		p := digestParams(h.Value())
		ha1 := md5hex(p["username"] + ":" + realm + ":" + s.cfg.Password)
		ha2 := md5hex("INVITE:" + p["uri"])
		want := md5hex(ha1 + ":" + p["nonce"] + ":" + p["nc"] + ":" + p["cnonce"] + ":" + p["qop"] + ":" + ha2)
		if p["qop"] == "" {
			want = md5hex(ha1 + ":" + p["nonce"] + ":" + ha2)
		}
		if p["username"] == s.cfg.Username && p["realm"] == realm && p["nonce"] == s.nonce && p["response"] == want {
			s.update(func() { c.Challenged = true })
			return true
		}
		s.update(func() { c.AuthFailed = true })
	}
	res := sip.NewResponseFromRequest(req, code, reason, nil)
	res.AppendHeader(sip.NewHeader(chal, fmt.Sprintf(`Digest realm="%s",nonce="%s",opaque="x",algorithm=MD5,qop="auth"`, realm, s.nonce)))
	_ = tx.Respond(res)
	return false
}

func md5hex(s string) string {
	h := md5.Sum([]byte(s))
	return hex.EncodeToString(h[:])
}

// digestParams reads `Digest k="v", k=v, …`.
func digestParams(v string) map[string]string {
	out := map[string]string{}
	v = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(v), "Digest"))
	for len(v) > 0 {
		k, rest, ok := strings.Cut(v, "=")
		if !ok {
			break
		}
		k = strings.ToLower(strings.Trim(strings.TrimSpace(k), ","))
		rest = strings.TrimSpace(rest)
		var val string
		if strings.HasPrefix(rest, `"`) {
			end := strings.Index(rest[1:], `"`)
			if end < 0 {
				break
			}
			val, rest = rest[1:end+1], rest[end+2:]
		} else {
			val, rest, _ = strings.Cut(rest, ",")
		}
		out[strings.TrimSpace(k)] = strings.TrimSpace(val)
		v = strings.TrimLeft(strings.TrimSpace(rest), ",")
	}
	return out
}

type offer struct {
	addr *net.UDPAddr
	pts  []uint8
}

// parseOffer reads the caller's connection address, audio port and payload
// types.
func parseOffer(body []byte) (offer, error) {
	var o offer
	var ip net.IP
	port := 0
	for _, l := range strings.Split(string(body), "\n") {
		l = strings.TrimSpace(l)
		switch {
		case strings.HasPrefix(l, "c=IN IP4 "):
			ip = net.ParseIP(strings.TrimPrefix(l, "c=IN IP4 "))
		case strings.HasPrefix(l, "m=audio "):
			f := strings.Fields(l)
			if len(f) < 4 {
				return o, errors.New("bad m= line")
			}
			port, _ = strconv.Atoi(f[1])
			for _, p := range f[3:] {
				n, err := strconv.Atoi(p)
				if err != nil {
					return o, fmt.Errorf("bad payload type %q", p)
				}
				o.pts = append(o.pts, uint8(n))
			}
		}
	}
	if ip == nil || port == 0 {
		return o, fmt.Errorf("no address or port in %q", body)
	}
	o.addr = &net.UDPAddr{IP: ip, Port: port}
	return o, nil
}

func describe(port int, version int, pts []uint8, eventPT uint8) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "v=0\r\no=- 4242 %d IN IP4 127.0.0.1\r\ns=Asterisk\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio %d RTP/AVP", version, port)
	for _, pt := range pts {
		fmt.Fprintf(&b, " %d", pt)
	}
	fmt.Fprintf(&b, " %d\r\n", eventPT)
	for _, pt := range pts {
		name := "PCMA"
		if pt == sipcall.PayloadPCMU {
			name = "PCMU"
		}
		fmt.Fprintf(&b, "a=rtpmap:%d %s/8000\r\n", pt, name)
	}
	fmt.Fprintf(&b, "a=rtpmap:%d telephone-event/8000\r\na=fmtp:%d 0-16\r\na=ptime:20\r\na=maxptime:150\r\na=sendrecv\r\n", eventPT, eventPT)
	return []byte(b.String())
}
