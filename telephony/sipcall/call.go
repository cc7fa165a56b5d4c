package sipcall

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"net"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
)

// Options is what one call does once answered, and how long each step may
// take.
type Options struct {
	// Keys are pressed (RFC 4733 events) once the greeting has played:
	// after KeySilence without audio following the first audio, or after
	// KeyWait at the latest. Empty: none.
	Keys string
	// AnswerTimeout bounds INVITE → final answer; the INVITE is then
	// cancelled.
	AnswerTimeout time.Duration
	// FirstAudioTimeout bounds answer → first frame above Threshold.
	FirstAudioTimeout time.Duration
	// KeySilence is the quiet that shows the menu waits for a key.
	KeySilence time.Duration
	// KeyWait is the longest wait for that quiet, from the first audio.
	KeyWait time.Duration
	// AfterKeysTimeout bounds the last key's end (its first end packet,
	// when the server acts on it) → audio again.
	AfterKeysTimeout time.Duration
	// Threshold is the RMS level (dBFS) over 20 ms above which a frame is
	// audio rather than silence or line noise.
	Threshold float64
	// Hold keeps the call up until this long after the answer, once the
	// checks are done (load tests); 0 hangs up at once.
	Hold time.Duration
	// MaxDuration bounds the whole call, hang-up included.
	MaxDuration time.Duration
	// Record, if set, is a WAV file the received audio is written to.
	Record string
}

// DefaultOptions are the probe's defaults (config/hotline.yaml probe_call).
func DefaultOptions() Options {
	return Options{
		AnswerTimeout: 10 * time.Second, FirstAudioTimeout: 10 * time.Second,
		KeySilence: time.Second, KeyWait: 20 * time.Second, AfterKeysTimeout: 5 * time.Second,
		Threshold: -45, MaxDuration: 60 * time.Second,
	}
}

func (o Options) check() error {
	for _, k := range o.Keys {
		if _, ok := EventCode(k); !ok {
			return fmt.Errorf("key %q is not a DTMF key (0-9 * # A-D)", k)
		}
	}
	if o.AnswerTimeout <= 0 || o.FirstAudioTimeout <= 0 || o.MaxDuration <= 0 ||
		(o.Keys != "" && (o.KeySilence <= 0 || o.KeyWait <= 0 || o.AfterKeysTimeout <= 0)) {
		return errors.New("every timeout must be positive")
	}
	if o.Hold < 0 || o.Hold >= o.MaxDuration {
		return fmt.Errorf("hold %s must be below the call's bound %s", o.Hold, o.MaxDuration)
	}
	return nil
}

// Why a call failed, the "failure" of its result.
const (
	FailRejected         = "rejected"            // a final answer other than 2xx (486, 603, 404…)
	FailAuth             = "auth_failed"         // challenged again with our credentials, or 403
	FailNoAnswer         = "no_answer"           // no final answer within AnswerTimeout
	FailBadMedia         = "bad_media"           // an answer we cannot use (malformed SDP, no G.711)
	FailNoAudio          = "no_audio"            // answered, but only silence
	FailNoAudioAfterKeys = "no_audio_after_keys" // the keys got no audible reaction
	FailRemoteHangup     = "remote_hangup"       // the server hung up before the checks were done
	FailTimeout          = "timeout"             // MaxDuration or the caller's context ran out
	FailError            = "error"               // anything else (network, our side)
)

// callStats is counted while the call runs, under call.mu.
type callStats struct {
	ReInvites, Updates           int
	Packets, BadPackets, Frames  int
	LoudFrames                   int
	PeakDBFS                     float64
	EventsSent, EventPacketsSent int
	AudioPacketsSent             int
	MediaChanges                 int
	RemoteRTP                    string
	LastCodec                    string
	RecordErr                    error
	remoteEventPT                int
	_                            struct{}
}

// call is one call in progress.
type call struct {
	a        *Agent
	callID   string
	localTag string
	opts     Options

	done     chan struct{} // closed when the call is over
	doneOnce sync.Once
	hungUp   chan struct{} // closed when the server sent BYE
	hangOnce sync.Once

	rtp   *net.UDPConn
	local localMedia

	mu            sync.Mutex
	remoteCSeq    uint32
	remoteCSeqSet bool
	remote        sessionDesc
	media         mediaState
	lastSDP       []byte // the description we sent last, to keep o= honest
	acks          map[uint32]chan *sip.Request
	stats         callStats

	levels levels
}

// mediaState is how RTP is sent and read now (it changes with re-INVITEs).
type mediaState struct {
	dest    netip.AddrPort // where to send; invalid or port 0: nowhere
	sendPT  uint8
	law     uint8
	eventPT uint8
	send    bool // the direction lets us send
	decode  map[uint8]uint8
}

func (c *call) count(f func(*callStats)) {
	c.mu.Lock()
	f(&c.stats)
	c.mu.Unlock()
}

func (c *call) finish() { c.doneOnce.Do(func() { close(c.done) }) }

func (c *call) remoteHangup() { c.hangOnce.Do(func() { close(c.hungUp) }) }

func (c *call) expectAck(cseq uint32) <-chan *sip.Request {
	ch := make(chan *sip.Request, 1)
	c.mu.Lock()
	c.acks[cseq] = ch
	c.mu.Unlock()
	return ch
}

func (c *call) ackArrived(req *sip.Request) {
	cseq := req.CSeq()
	if cseq == nil {
		return
	}
	c.mu.Lock()
	ch := c.acks[cseq.SeqNo]
	delete(c.acks, cseq.SeqNo)
	c.mu.Unlock()
	if ch != nil {
		ch <- req // buffered, and only one receiver ever
	}
}

// apply takes a description from the server (an answer, or an offer we
// accept) as the media to use. It returns an error for one we cannot use.
func (c *call) apply(d sessionDesc) error {
	pt, law, ok := d.audioCodec()
	if !ok {
		return fmt.Errorf("no G.711 codec among payload types %v", d.Codecs)
	}
	m := mediaState{dest: d.Addr, sendPT: pt, law: law, eventPT: DefaultEventPayload,
		send: !d.Port0 && d.Dir != "sendonly" && d.Dir != "inactive", decode: map[uint8]uint8{}}
	if d.EventPT >= 0 {
		m.eventPT = uint8(d.EventPT)
	}
	for _, p := range d.Codecs {
		if l := d.law(p); l != 0 {
			m.decode[p] = l
		}
	}
	if !m.dest.Addr().IsValid() || m.dest.Addr().IsUnspecified() {
		m.send = false // c=0.0.0.0: held (RFC 2543 style)
	}
	c.mu.Lock()
	if c.remote.Codecs != nil {
		c.stats.MediaChanges++
	}
	c.remote, c.media = d, m
	c.stats.RemoteRTP = d.Addr.String()
	c.stats.LastCodec = codecName(law)
	c.stats.remoteEventPT = int(m.eventPT)
	c.mu.Unlock()
	return nil
}

// sessionUpdate handles an offer in a re-INVITE or UPDATE: the answer and
// 200, or the code to refuse it with. A re-INVITE without SDP asks us for
// an offer (withOffer), which is our current description.
func (c *call) sessionUpdate(body []byte, withOffer bool) ([]byte, int, string) {
	if len(body) == 0 {
		if !withOffer {
			return nil, sip.StatusOK, "OK"
		}
		return c.describe(c.local.offer(c.eventPT())), sip.StatusOK, "OK"
	}
	d, err := parseSDP(body)
	if err != nil {
		c.a.log.Warn("refused an offer from the SIP server", "call_id", c.callID, "err", err)
		return nil, 488, "Not Acceptable Here"
	}
	ans, err := c.local.answer(d)
	if err == nil {
		err = c.apply(d)
	}
	if err != nil {
		c.a.log.Warn("refused an offer from the SIP server", "call_id", c.callID, "err", err)
		return nil, 488, "Not Acceptable Here"
	}
	return c.describe(ans), sip.StatusOK, "OK"
}

// sessionAnswer applies the answer in the ACK to our offer in a 200.
func (c *call) sessionAnswer(body []byte) {
	d, err := parseSDP(body)
	if err == nil {
		err = c.apply(d)
	}
	if err != nil {
		c.a.log.Warn("unusable SDP answer in an ACK", "call_id", c.callID, "err", err)
	}
}

// describe stamps a description with our o= version: the same as last time
// when nothing changed, one more when it did (RFC 3264 §8).
func (c *call) describe(sdp []byte) []byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.lastSDP != nil && string(c.lastSDP) != string(sdp) {
		c.local.Version++
		sdp = withVersion(sdp, c.local.Session, c.local.Version)
	}
	c.lastSDP = sdp
	return sdp
}

// withVersion rewrites the o= line's version.
func withVersion(sdp []byte, session, version uint64) []byte {
	lines := strings.Split(string(sdp), "\r\n")
	for i, l := range lines {
		if f := strings.Fields(l); strings.HasPrefix(l, "o=") && len(f) == 6 {
			f[2] = fmt.Sprint(version)
			lines[i] = strings.Join(f, " ")
			break
		}
	}
	return []byte(strings.Join(lines, "\r\n"))
}

func (c *call) eventPT() uint8 {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.remote.Codecs == nil {
		return DefaultEventPayload
	}
	return c.media.eventPT
}

func codecName(law uint8) string {
	switch law {
	case lawA:
		return "PCMA"
	case lawU:
		return "PCMU"
	}
	return ""
}

// Call places one call and runs the checks of o, and returns what
// happened; it never returns nil. Every goroutine it starts has ended when
// it returns.
func (a *Agent) Call(ctx context.Context, o Options) *Result {
	res := &Result{Target: a.cfg.Target, Number: a.cfg.Number, Started: time.Now(), EventPT: -1}
	if err := o.check(); err != nil {
		return res.fail(FailError, fmt.Errorf("options: %w", err))
	}
	if a.closed() {
		return res.fail(FailError, errClosed)
	}
	ctx, cancel := context.WithTimeout(ctx, o.MaxDuration)
	defer cancel()

	rtpConn, err := net.ListenUDP("udp", &net.UDPAddr{IP: a.laddr.IP})
	if err != nil {
		return res.fail(FailError, fmt.Errorf("bind RTP socket: %w", err))
	}
	defer rtpConn.Close()
	c := &call{
		a: a, callID: randomHex(16) + "@hotline", localTag: randomHex(8), opts: o,
		done: make(chan struct{}), hungUp: make(chan struct{}), rtp: rtpConn,
		local: localMedia{IP: a.laddr.IP, Port: rtpConn.LocalAddr().(*net.UDPAddr).Port,
			Session: uint64(randomUint32()), Version: 1},
		acks: map[uint32]chan *sip.Request{},
	}
	c.levels.init()
	c.stats.PeakDBFS = math.Inf(-1)
	res.CallID = c.callID
	a.register(c)
	defer a.unregister(c)
	defer c.finish()

	var rec *wavWriter
	if o.Record != "" {
		if rec, err = createWAV(o.Record); err != nil {
			return res.fail(FailError, err)
		}
		defer func() {
			if err := rec.Close(); err != nil && res.OK {
				res.fail(FailError, err)
			}
		}()
	}
	// The media run from the answer to the end of the call.
	var media sync.WaitGroup
	mediaCtx, stopMedia := context.WithCancel(ctx)
	defer media.Wait()
	defer stopMedia()
	defer rtpConn.Close() // ends the receiver

	dlg, err := c.invite(ctx, res)
	if err != nil {
		return res
	}
	answered := time.Now()
	d, err := parseSDP(dlg.InviteResponse.Body())
	if err == nil {
		err = c.apply(d)
	}
	ackErr := dlg.Ack(ctx)
	if err != nil {
		c.hangup(dlg, res)
		return res.fail(FailBadMedia, fmt.Errorf("the answer's SDP: %w", err))
	}
	if ackErr != nil {
		c.hangup(dlg, res)
		return res.fail(FailError, fmt.Errorf("ACK: %w", ackErr))
	}
	c.mu.Lock()
	res.Codec, res.EventPT = codecName(c.media.law), int(c.media.eventPT)
	c.mu.Unlock()

	keys := make(chan string, 1)
	keysDone := make(chan time.Time, 1)
	media.Add(2)
	go func() { defer media.Done(); c.receive(rec) }()
	go func() { defer media.Done(); c.send(mediaCtx, keys, keysDone) }()

	c.script(ctx, res, answered, keys, keysDone)
	stopMedia()
	if res.Failure != FailRemoteHangup {
		c.hangup(dlg, res)
	}
	rtpConn.Close()
	media.Wait()
	c.mu.Lock()
	s := c.stats
	c.mu.Unlock()
	res.ReInvites, res.Updates = s.ReInvites, s.Updates
	res.RTPPackets, res.RTPBadPackets = s.Packets, s.BadPackets
	res.EventPacketsSent, res.AudioPacketsSent = s.EventPacketsSent, s.AudioPacketsSent
	if !math.IsInf(s.PeakDBFS, -1) {
		res.PeakDBFS = math.Round(s.PeakDBFS*10) / 10
	}
	res.Duration = time.Since(res.Started)
	if s.RecordErr != nil && res.OK {
		res.fail(FailError, s.RecordErr)
	}
	return res
}

// invite sends the INVITE and waits for its final answer, authenticating
// when challenged. On failure res says why and the error is non-nil.
func (c *call) invite(ctx context.Context, res *Result) (*sipgo.DialogClientSession, error) {
	a := c.a
	req := sip.NewRequest(sip.INVITE, sip.Uri{Scheme: "sip", User: a.cfg.Number, Host: a.host, Port: a.port})
	from := sip.FromHeader{DisplayName: a.cfg.Username,
		Address: sip.Uri{Scheme: "sip", User: a.cfg.Username, Host: a.host}}
	from.Params.Add("tag", c.localTag)
	to := sip.ToHeader{Address: sip.Uri{Scheme: "sip", User: a.cfg.Number, Host: a.host}}
	callID := sip.CallIDHeader(c.callID)
	contact := a.contact()
	for _, h := range []sip.Header{&from, &to, &callID, &contact, allowHeader(), sdpHeader()} {
		req.AppendHeader(h)
	}
	req.SetBody(c.describe(c.local.offer(DefaultEventPayload)))
	req.SetTransport("UDP")
	req.Laddr = a.sipLaddr()

	// The answer's wait: cancelled with CANCEL once a provisional answer
	// has come (RFC 3261 §9.1); before that a CANCEL could not be matched,
	// so the INVITE is only abandoned.
	answerCtx, stop := context.WithCancelCause(ctx)
	defer stop(nil)
	var mu sync.Mutex
	provisional, timedOut := false, false
	timer := time.AfterFunc(c.opts.AnswerTimeout, func() {
		mu.Lock()
		defer mu.Unlock()
		timedOut = true
		if provisional {
			stop(errors.New("no answer in time"))
		} else {
			stop(sipgo.WaitAnswerForceCancelErr)
		}
	})
	defer timer.Stop()
	go func() { // the caller's context ends the wait the same way
		select {
		case <-ctx.Done():
			mu.Lock()
			if !provisional {
				stop(sipgo.WaitAnswerForceCancelErr)
			}
			mu.Unlock()
		case <-answerCtx.Done():
		}
	}()

	start := time.Now()
	dlg, err := a.dialog.WriteInvite(answerCtx, req)
	if err != nil {
		return nil, res.failErr(FailError, fmt.Errorf("send INVITE to %s: %w", a.cfg.Target, err))
	}
	var last *sip.Response
	err = dlg.WaitAnswer(answerCtx, sipgo.AnswerOptions{
		Username: a.cfg.Username, Password: a.cfg.Password,
		OnResponse: func(r *sip.Response) error {
			mu.Lock()
			last = r
			if r.IsProvisional() {
				provisional = true
			}
			mu.Unlock()
			return nil
		},
	})
	elapsed := time.Since(start)
	mu.Lock()
	defer mu.Unlock()
	if last != nil && !last.IsProvisional() {
		res.Code, res.Reason = last.StatusCode, last.Reason
	}
	var rejected *sipgo.ErrDialogResponse
	switch {
	case err == nil:
		res.Code, res.Reason = dlg.InviteResponse.StatusCode, dlg.InviteResponse.Reason
		res.Setup = elapsed
		return dlg, nil
	case errors.As(err, &rejected):
		res.Code, res.Reason = rejected.Res.StatusCode, rejected.Res.Reason
		kind := FailRejected
		if res.Code == sip.StatusUnauthorized || res.Code == sip.StatusProxyAuthRequired || res.Code == sip.StatusForbidden {
			kind = FailAuth
		}
		return nil, res.failErr(kind, fmt.Errorf("INVITE answered %d %s", res.Code, res.Reason))
	case timedOut:
		return nil, res.failErr(FailNoAnswer, fmt.Errorf("no answer to the INVITE within %s", c.opts.AnswerTimeout))
	case ctx.Err() != nil:
		return nil, res.failErr(FailTimeout, fmt.Errorf("waiting for the answer: %w", context.Cause(ctx)))
	default:
		return nil, res.failErr(FailError, fmt.Errorf("INVITE: %w", err))
	}
}

// hangup sends BYE, bounded by 5 s whatever the call's context says.
func (c *call) hangup(dlg *sipgo.DialogClientSession, res *Result) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	target := dlg.InviteRequest.Recipient
	if ct := dlg.InviteResponse.Contact(); ct != nil {
		target = ct.Address
	}
	bye := sip.NewRequest(sip.BYE, *target.Clone())
	bye.SetTransport("UDP")
	bye.Laddr = c.a.sipLaddr()
	select {
	case <-c.hungUp:
		return
	default:
	}
	if err := dlg.WriteBye(ctx, bye); err != nil {
		res.ByeError = err.Error()
		c.a.log.Warn("BYE not confirmed", "call_id", c.callID, "err", err)
	}
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // never fails (crypto/rand)
	return fmt.Sprintf("%x", b)
}

func randomUint32() uint32 {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return binary.BigEndian.Uint32(b[:])
}
