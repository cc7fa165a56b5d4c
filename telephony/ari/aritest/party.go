package aritest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// ErrAppNotRegistered is returned by Dial when no WebSocket is connected for
// the Stasis application: Asterisk's Stasis() fails and hangs the call up.
var ErrAppNotRegistered = errors.New("aritest: Stasis application not registered")

// ErrHungUp is returned by scripting calls on a party whose channel ended.
var ErrHungUp = errors.New("aritest: channel has hung up")

// DialOptions describe an incoming call from a simulated resident.
type DialOptions struct {
	App        string   // Stasis application (required)
	Args       []string // Stasis arguments (StasisStart.args)
	Caller     string   // caller number, e.g. "+380501234567"
	CallerName string
	Exten      string // dialled extension; default "s"
	Context    string // dialplan context; default "from-trunk"
	Endpoint   string // incoming endpoint; default "PJSIP/trunk"
	// Answered puts the channel in state Up before Stasis (the dialplan
	// answered); otherwise it arrives in state Ring.
	Answered    bool
	Language    string            // default Options.Language
	AccountCode string            // accountcode
	Vars        map[string]string // channel variables set by the dialplan
	ChannelID   string            // default: a fresh "1700000000.N" unique id
	// NoMedia makes the caller send no RTP at all (like SIPp without
	// audio): recordings of it stay empty (duration 0) and never end on
	// silence, since Asterisk's silence detector works on received frames
	// (trace 06). DTMF still arrives.
	NoMedia bool
}

// Dial simulates an incoming call that the dialplan sends to Stasis(App,
// Args...): a channel is created and StasisStart is sent to App. If App has
// no WebSocket, the call is hung up and Dial returns ErrAppNotRegistered.
func (s *Server) Dial(ctx context.Context, o DialOptions) (*Party, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if o.App == "" {
		return nil, errors.New("aritest: Dial: App is required")
	}
	if o.Endpoint == "" {
		o.Endpoint = "PJSIP/trunk"
	}
	tech, resource, _, valid := parseEndpoint(o.Endpoint)
	if !valid {
		return nil, fmt.Errorf("aritest: Dial: endpoint %q is not TECH/resource", o.Endpoint)
	}
	if o.Exten == "" {
		o.Exten = "s"
	}
	if o.Context == "" {
		o.Context = "from-trunk"
	}
	s.lock()
	defer s.unlock()
	if s.closed {
		return nil, ErrClosed
	}
	if o.ChannelID != "" && s.channels[o.ChannelID] != nil {
		return nil, fmt.Errorf("aritest: Dial: channel %s already exists", o.ChannelID)
	}
	ch := s.newChannel(o.ChannelID, tech, resource, func(ch *channel) {
		ch.caller = callerJSON{Name: o.CallerName, Number: o.Caller}
		ch.dialplan = dialplanJSON{Context: o.Context, Exten: o.Exten, Priority: 1}
		ch.accountCode = o.AccountCode
		if o.Language != "" {
			ch.language = o.Language
		}
		for k, v := range o.Vars {
			ch.vars[k] = v
		}
		ch.state = "Ring"
		if o.Answered {
			ch.state = "Up"
		}
		ch.noMedia = o.NoMedia
	})
	if tech == "PJSIP" {
		// chan_pjsip sets the domain of the request URI.
		s.varset(s.channelApps(ch), ch, "SIPDOMAIN", "127.0.0.1")
	}
	if !s.appActive(o.App) {
		s.hangup(ch, hangupInfo{cause: CauseNormalClearing, by: ByAsterisk})
		return nil, fmt.Errorf("aritest: Dial %s to %s: %w", o.Caller, o.App, ErrAppNotRegistered)
	}
	// The dialplan runs up to Stasis(): only subscribers of the channel or
	// its endpoint see that (trace 07).
	prio := int64(1)
	for _, st := range s.opts.Dialplan[o.Context+","+o.Exten] {
		if st.App == "Stasis" {
			break
		}
		s.dialplanStep(ch, prio, st)
		prio++
	}
	s.dialplanStep(ch, prio, DialplanApp{App: "Stasis", Data: strings.Join(append([]string{o.App}, o.Args...), ",")})
	s.startStasis(ch, o.App, o.Args)
	return ch.party, nil
}

// Party is the simulated far end of a channel: a resident who dialled in,
// or an operator's phone the application originated to. Its methods are
// safe for concurrent use.
type Party struct {
	s  *Server
	ch *channel
	id string

	// cursors of WaitForPlayback / WaitForPlaybackEnd (guarded by the server lock)
	startCursor, endCursor int
}

// Dialplan is a channel's dialplan location.
type Dialplan struct {
	Context  string
	Exten    string
	Priority int64
}

// PartyState is a snapshot of a party's channel.
type PartyState struct {
	ChannelID   string
	Name        string
	State       string // Asterisk channel state: Down, Ring, Ringing, Up...
	App         string // Stasis application, "" when not in Stasis
	Args        []string
	Caller      string
	CallerName  string
	BridgeID    string   // "" when not bridged
	BridgePeers []string // other channels in the bridge
	// FirstBridgedAt is when the channel first entered a bridge (zero:
	// never), so a waiter that wakes after a short conversation still
	// sees that it took place.
	FirstBridgedAt time.Time
	MOHClass       string // channel MOH, else the bridge's MOH, else ""
	Silence        bool
	Ringing        bool // the application indicates ringing (POST .../ring)
	Held           bool
	Muted          bool
	DTMFReceived   string // digits the application sent (POST .../dtmf)
	Recording      string // name of the live recording on the channel
	Heard          []Heard
	Continued      bool // left Stasis with continue
	Dialplan       Dialplan
	Vars           map[string]string
	Ended          bool
	End            End
}

func (p *Party) snapshot() PartyState {
	ch := p.ch
	st := PartyState{
		ChannelID: ch.id, Name: ch.name, State: ch.state, App: ch.app, Args: append([]string(nil), ch.args...),
		Caller: ch.caller.Number, CallerName: ch.caller.Name, MOHClass: ch.moh, Silence: ch.silence,
		Ringing: ch.ringing, Held: ch.held, Muted: ch.muted, DTMFReceived: ch.dtmfFromApp.String(),
		Heard: append([]Heard(nil), ch.heard...), Continued: ch.continued,
		Dialplan: Dialplan{Context: ch.dialplan.Context, Exten: ch.dialplan.Exten, Priority: ch.dialplan.Priority},
		Vars:     map[string]string{}, Ended: ch.ended, End: ch.end, FirstBridgedAt: ch.bridgedAt,
	}
	for k, v := range ch.vars {
		st.Vars[k] = v
	}
	if b := ch.bridge; b != nil {
		st.BridgeID = b.id
		for _, c := range b.channels {
			if c != ch {
				st.BridgePeers = append(st.BridgePeers, c.id)
			}
		}
		if st.MOHClass == "" {
			st.MOHClass = b.moh
		}
	}
	if r := ch.recording(); r != nil {
		st.Recording = r.name
	}
	return st
}

// ChannelID is the party's channel id.
func (p *Party) ChannelID() string { return p.id }

// Snapshot returns the party's current state.
func (p *Party) Snapshot() PartyState {
	p.s.lock()
	defer p.s.unlock()
	return p.snapshot()
}

// Wait blocks until cond holds for the party's state (checked on every
// change) and returns that state.
func (p *Party) Wait(ctx context.Context, cond func(PartyState) bool) (PartyState, error) {
	for {
		p.s.lock()
		st := p.snapshot()
		n := p.ch.notify
		closed := p.s.closed
		p.s.unlock()
		if cond(st) {
			return st, nil
		}
		if closed {
			return st, ErrClosed
		}
		select {
		case <-ctx.Done():
			return st, fmt.Errorf("aritest: waiting on channel %s (state %s, app %q): %w", p.id, st.State, st.App, ctx.Err())
		case <-n:
		}
	}
}

// WaitState waits for the channel state (e.g. "Up").
func (p *Party) WaitState(ctx context.Context, state string) error {
	_, err := p.Wait(ctx, func(st PartyState) bool { return st.State == state })
	return err
}

// WaitInStasis waits until the channel is in a Stasis application.
func (p *Party) WaitInStasis(ctx context.Context) error {
	_, err := p.Wait(ctx, func(st PartyState) bool { return st.App != "" })
	return err
}

// WaitBridgedWith waits until the party shares a bridge with every other party.
func (p *Party) WaitBridgedWith(ctx context.Context, others ...*Party) error {
	// Wait runs cond without the server lock, so it must take the lock itself.
	_, err := p.Wait(ctx, func(PartyState) bool { return p.InBridgeWith(others...) })
	return err
}

// WaitMOH waits until the party hears music on hold of class ("" waits for it to stop).
func (p *Party) WaitMOH(ctx context.Context, class string) error {
	_, err := p.Wait(ctx, func(st PartyState) bool { return st.MOHClass == class })
	return err
}

// WaitContinued waits until the application sent the channel back to the
// dialplan and returns the dialplan location.
func (p *Party) WaitContinued(ctx context.Context) (Dialplan, error) {
	st, err := p.Wait(ctx, func(st PartyState) bool { return st.Continued || st.Ended })
	if err == nil && !st.Continued {
		err = ErrHungUp
	}
	return st.Dialplan, err
}

// WaitEnded waits for the channel to be destroyed and says how.
func (p *Party) WaitEnded(ctx context.Context) (End, error) {
	st, err := p.Wait(ctx, func(st PartyState) bool { return st.Ended })
	return st.End, err
}

// Ended returns how the channel ended, if it has.
func (p *Party) Ended() (End, bool) {
	st := p.Snapshot()
	return st.End, st.Ended
}

// Heard returns the media played to the party, in order.
func (p *Party) Heard() []Heard { return p.Snapshot().Heard }

// HeardURIs returns the media URIs played to the party, in order.
func (p *Party) HeardURIs() []string {
	h := p.Heard()
	out := make([]string, len(h))
	for i, x := range h {
		out[i] = x.MediaURI
	}
	return out
}

// MOHClass is the music-on-hold class the party hears ("" if none).
func (p *Party) MOHClass() string { return p.Snapshot().MOHClass }

// BridgeID is the bridge the party is in ("" if none).
func (p *Party) BridgeID() string { return p.Snapshot().BridgeID }

// InBridgeWith reports whether the party shares a bridge with all others.
func (p *Party) InBridgeWith(others ...*Party) bool {
	p.s.lock()
	defer p.s.unlock()
	return p.inBridgeWithLocked(others)
}

func (p *Party) inBridgeWithLocked(others []*Party) bool {
	b := p.ch.bridge
	if b == nil {
		return false
	}
	for _, o := range others {
		if o.ch.bridge != b {
			return false
		}
	}
	return true
}

// DTMFReceived returns the digits the application sent to the party.
func (p *Party) DTMFReceived() string { return p.Snapshot().DTMFReceived }

// WaitForPlayback waits until media whose URI starts with prefix starts
// playing to the party and returns it. Successive calls return successive
// matching playbacks (a media already heard counts).
func (p *Party) WaitForPlayback(ctx context.Context, prefix string) (Heard, error) {
	return p.waitHeard(ctx, prefix, &p.startCursor, func(Heard) bool { return true })
}

// WaitForPlaybackEnd waits until media whose URI starts with prefix has
// finished (done, stopped or failed); successive calls return successive ones.
func (p *Party) WaitForPlaybackEnd(ctx context.Context, prefix string) (Heard, error) {
	return p.waitHeard(ctx, prefix, &p.endCursor, func(h Heard) bool { return h.Outcome != HeardPlaying })
}

func (p *Party) waitHeard(ctx context.Context, prefix string, cursor *int, done func(Heard) bool) (Heard, error) {
	var got Heard
	var found bool
	_, err := p.Wait(ctx, func(st PartyState) bool {
		p.s.lock()
		defer p.s.unlock()
		for i := *cursor; i < len(st.Heard); i++ {
			h := st.Heard[i]
			if !strings.HasPrefix(h.MediaURI, prefix) {
				continue
			}
			if !done(h) {
				return false // keep order: wait for this one
			}
			*cursor = i + 1
			got, found = h, true
			return true
		}
		return st.Ended
	})
	if err == nil && !found {
		err = fmt.Errorf("aritest: channel %s ended before %q was played: %w", p.id, prefix, ErrHungUp)
	}
	return got, err
}

var dtmfDigits = "0123456789ABCD*#"

// Press sends the digits as DTMF from the party: one ChannelDtmfReceived
// (duration_ms 100) per digit. A digit matching a running recording's
// terminateOn ends that recording.
func (p *Party) Press(digits string) error {
	for _, d := range digits {
		if !strings.ContainsRune(dtmfDigits, d) {
			return fmt.Errorf("aritest: %q is not a DTMF digit", d)
		}
	}
	s := p.s
	s.lock()
	defer s.unlock()
	if p.ch.ended {
		return ErrHungUp
	}
	p.pressLocked(digits)
	return nil
}

func (p *Party) pressLocked(digits string) {
	s, ch := p.s, p.ch
	for _, d := range digits {
		if ch.ended {
			return
		}
		if b := ch.bridge; b != nil && b.nativeRTP() {
			// The RTP goes straight to the peer: Asterisk never sees the
			// digit (trace 09).
			continue
		}
		digit := string(d)
		// A digit takes its duration on the wire (RFC 4733), so Asterisk
		// never stamps two of one channel with the same millisecond; keys
		// pressed here in one go are stamped at least 1 ms apart, as the
		// controller's filter of Asterisk's duplicate events relies on.
		at := time.Now().Truncate(time.Millisecond)
		if !at.After(ch.lastDTMF) {
			at = ch.lastDTMF.Add(time.Millisecond)
		}
		ch.lastDTMF = at
		s.emit(s.channelApps(ch), "ChannelDtmfReceived", event{"digit": digit, "duration_ms": 100, "timestamp": ariTime(at), "channel": s.channelJSON(ch)}, ch)
		if r := ch.recording(); r != nil && r.terminates(digit) {
			s.finishRecording(r, "done", finishDTMF)
		}
	}
}

// PressAfter presses digits after d (simulated time), unless the channel
// has ended by then.
func (p *Party) PressAfter(d time.Duration, digits string) {
	s := p.s
	s.lock()
	defer s.unlock()
	if p.ch.ended {
		return
	}
	p.ch.addTimer(s.after(d, func() { p.pressLocked(digits) }))
}

// Speak makes the party talk for d (simulated time) starting now; a
// recording with maxSilenceSeconds ends that long after the party stops.
func (p *Party) Speak(d time.Duration) error {
	s := p.s
	s.lock()
	defer s.unlock()
	ch := p.ch
	if ch.ended {
		return ErrHungUp
	}
	now := time.Now()
	ch.talk = append(ch.talk, interval{from: now, to: now.Add(s.scale(d))})
	if r := ch.recording(); r != nil {
		s.rescheduleSilence(r)
	}
	s.touch(ch)
	return nil
}

// Hangup hangs up from the party's side as a SIP BYE does: a
// ChannelHangupRequest without cause, StasisEnd, and ChannelDestroyed with
// cause 0 (traces 02, 07, 12). A phone still ringing for an originate
// declines it with 486 Busy Here instead, as baresip's hangup does (trace
// 08): ChannelHangupRequest cause 17, Dial BUSY, ChannelDestroyed.
func (p *Party) Hangup() error {
	s := p.s
	s.lock()
	defer s.unlock()
	if p.ch.ended {
		return ErrHungUp
	}
	s.hangup(p.ch, s.partyHangup(p.ch, 0))
	return nil
}

// HangupWithCause hangs up from the party's side with a Q.850 cause (a
// trunk's Reason header, or the SIP response of a ringing phone):
// ChannelHangupRequest and ChannelDestroyed carry it.
func (p *Party) HangupWithCause(cause int) error {
	s := p.s
	s.lock()
	defer s.unlock()
	if p.ch.ended {
		return ErrHungUp
	}
	s.hangup(p.ch, s.partyHangup(p.ch, cause))
	return nil
}

// partyHangup describes the far end hanging up with cause (0: a BYE).
func (s *Server) partyHangup(ch *channel, cause int) hangupInfo {
	if ch.outbound && ch.dialed && ch.state != "Up" {
		if cause == 0 {
			cause = CauseUserBusy
		}
		status := "CONGESTION"
		if cause == CauseUserBusy {
			status = "BUSY"
		}
		return hangupInfo{cause: cause, by: ByParty, request: true, dialStatus: status}
	}
	return hangupInfo{cause: cause, by: ByParty, request: true, noCause: cause == 0}
}

// HangupAfter hangs up from the party's side (as Hangup) after d
// (simulated time).
func (p *Party) HangupAfter(d time.Duration) {
	s := p.s
	s.lock()
	defer s.unlock()
	if p.ch.ended {
		return
	}
	p.ch.addTimer(s.after(d, func() { s.hangup(p.ch, s.partyHangup(p.ch, 0)) }))
}
