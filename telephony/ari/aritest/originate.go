package aritest

import (
	"context"
	"net/http"
	"strings"
	"time"
)

// Outcome is how a simulated phone answers an originate.
type Outcome int

const (
	// Answer: rings for After, then answers (200 OK).
	Answer Outcome = iota
	// Busy: after After (0: at once, without ringing) the phone is busy
	// (486): ChannelHangupRequest and ChannelDestroyed with cause 17.
	Busy
	// NoAnswer: rings until the originate timeout (cause 19), or forever
	// without one.
	NoAnswer
	// Reject: rings for After, then declines (603): cause 21.
	Reject
)

// PhoneBehavior scripts an endpoint that the application originates to.
type PhoneBehavior struct {
	Outcome Outcome
	// After is how long the phone rings before the outcome.
	After time.Duration
	// HangupAfter, if positive, hangs up (a BYE, as Party.Hangup) that long
	// after answering.
	HangupAfter time.Duration
	// OnAnswer, if set, runs in its own goroutine once the channel is
	// answered (and, for an originate with app, after StasisStart): press
	// keys, speak, hang up.
	OnAnswer func(p *Party)
}

// SetPhone sets how originates to endpoint behave. endpoint is an exact
// originate endpoint ("PJSIP/0501234567@trunk") or an endpoint
// ("PJSIP/op101", also matching "PJSIP/<number>@op101"); the exact form wins.
func (s *Server) SetPhone(endpoint string, b PhoneBehavior) {
	s.lock()
	defer s.unlock()
	s.phones[endpoint] = b
}

func (s *Server) phoneFor(dialString, tech, resource string) PhoneBehavior {
	if b, found := s.phones[dialString]; found {
		return b
	}
	if b, found := s.phones[tech+"/"+resource]; found {
		return b
	}
	return s.opts.DefaultPhone
}

// WaitOutbound waits for the next channel originated or created to
// endpoint (exact string or "TECH/resource") that this method has not
// returned yet, oldest first.
func (s *Server) WaitOutbound(ctx context.Context, endpoint string) (*Party, error) {
	var found *channel
	err := s.waitServer(ctx, func() bool {
		for i, ch := range s.outbound {
			if ch.dialString == endpoint || ch.tech+"/"+ch.resource == endpoint {
				found = ch
				s.outbound = append(s.outbound[:i:i], s.outbound[i+1:]...)
				return true
			}
		}
		return false
	})
	if err != nil {
		return nil, err
	}
	return found.party, nil
}

// outboundRequest holds what originate and create share.
type outboundRequest struct {
	endpoint, tech, resource, number string
	id                               string
	vars                             map[string]string
	report                           map[string]bool
}

func parseOutbound(rq *request) (outboundRequest, response, bool) {
	var o outboundRequest
	o.endpoint = rq.str("endpoint")
	if o.endpoint == "" {
		return o, fail(http.StatusBadRequest, "Endpoint must be specified"), false
	}
	var valid bool
	o.tech, o.resource, o.number, valid = parseEndpoint(o.endpoint)
	if !valid {
		return o, fail(http.StatusBadRequest, "Endpoint parameter must be of the form tech/resource"), false
	}
	var err error
	if o.vars, o.report, err = rq.variables(); err != nil {
		return o, fail(http.StatusBadRequest, "%v", err), false
	}
	o.id = rq.path["channelId"]
	if o.id == "" {
		o.id = rq.str("channelId")
	}
	return o, response{}, true
}

// allocate creates the outbound channel, or fails like Asterisk: 409 for a
// duplicate id, 400 for an unknown originator, 500 ("Allocation failed")
// when the endpoint is offline, i.e. chan_pjsip cannot create a channel for
// an endpoint without a registered contact.
func (s *Server) allocate(o outboundRequest, originator string, init func(*channel)) (*channel, response, bool) {
	if o.id != "" && s.channels[o.id] != nil {
		return nil, fail(http.StatusConflict, "Channel with given unique ID already exists"), false
	}
	if originator != "" && s.channels[originator] == nil {
		return nil, fail(http.StatusBadRequest, "Provided originator channel was not found"), false
	}
	if e := s.endpoints[o.tech+"/"+o.resource]; e != nil && e.state == EndpointOffline {
		// ast_ari_response_alloc_failed: 500 with {"error": "Allocation failed"}.
		return nil, response{status: http.StatusInternalServerError, body: map[string]string{"error": "Allocation failed"}}, false
	}
	ch := s.newChannel(o.id, o.tech, o.resource, func(ch *channel) {
		ch.outbound = true
		ch.dialString = o.endpoint
		ch.phone = s.phoneFor(o.endpoint, o.tech, o.resource)
		for k, v := range o.vars {
			s.setChannelVar(ch, k, v)
		}
		for k := range o.report {
			ch.reportVars[k] = true
		}
		if init != nil {
			init(ch)
		}
	})
	s.outbound = append(s.outbound, ch)
	return ch, response{}, true
}

func splitArgs(s string) []string {
	if s == "" {
		return []string{}
	}
	return strings.Split(s, ",")
}

// handleOriginate is POST /channels and POST /channels/{channelId}. The
// response (200, the Down channel) comes first; then the phone rings. With
// app, the application is subscribed to the channel at once (it sees Dial,
// ChannelStateChange Ringing/Up, or ChannelDestroyed on failure) and gets
// StasisStart when the phone answers.
func (s *Server) handleOriginate(rq *request) response {
	o, resp, valid := parseOutbound(rq)
	if !valid {
		return resp
	}
	app := rq.str("app")
	ext, ctxName := rq.str("extension"), rq.str("context")
	prio, err := rq.integer("priority", 0)
	if err != nil {
		return fail(http.StatusBadRequest, "%v", err)
	}
	// As in ari_channels_handle_originate_with_id: app wins over a dialplan
	// location; one of them is required.
	if app == "" && ext == "" {
		return fail(http.StatusBadRequest, "Application or extension must be specified")
	}
	timeout, err := rq.integer("timeout", 30)
	if err != nil {
		return fail(http.StatusBadRequest, "%v", err)
	}
	if timeout == 0 {
		timeout = 30
	}
	s.lock()
	defer s.unlock()
	ch, resp, allocated := s.allocate(o, rq.str("originator"), func(ch *channel) {
		ch.caller = parseCallerID(rq.str("callerId"))
		ch.connected = ch.caller
		if app != "" {
			ch.pending[app] = true
			ch.stasisApp, ch.stasisArgs = app, splitArgs(rq.str("appArgs"))
			// The dialing side of the channel, in the endpoint's context.
			epCtx := s.opts.EndpointContexts[o.tech+"/"+o.resource]
			if epCtx == "" {
				epCtx = "default"
			}
			ch.dialplan = dialplanJSON{Context: epCtx, Exten: "s", Priority: 1, AppName: "AppDial2", AppData: "(Outgoing Line)"}
			return
		}
		if ctxName == "" {
			ctxName = "default"
		}
		ch.dialplan = dialplanJSON{Context: ctxName, Exten: ext, Priority: int64(max(prio, 1))}
	})
	if !allocated {
		return resp
	}
	snap := s.channelJSON(ch)
	ch.addTimer(s.afterReal(0, func() { s.startDial(ch, timeout) }))
	return ok(snap)
}

// handleCreate is POST /channels/create: the channel enters the Stasis
// application at once (StasisStart, state Down) and rings on /dial.
func (s *Server) handleCreate(rq *request) response {
	if r, bad := rq.required("endpoint", "app"); bad {
		return r
	}
	o, resp, valid := parseOutbound(rq)
	if !valid {
		return resp
	}
	s.lock()
	defer s.unlock()
	ch, resp, allocated := s.allocate(o, rq.str("originator"), func(ch *channel) { ch.createdByApp = true })
	if !allocated {
		return resp
	}
	s.enterStasis(ch, rq.str("app"), splitArgs(rq.str("appArgs")))
	return ok(s.channelJSON(ch))
}

// handleDial is POST /channels/{id}/dial for a created channel: 409 if it
// was not created with /channels/create or is no longer Down (dialled); an
// unknown caller is ignored, as in ast_ari_channels_dial.
func (s *Server) handleDial(rq *request) response {
	timeout, err := rq.integer("timeout", 0)
	if err != nil {
		return fail(http.StatusBadRequest, "%v", err)
	}
	s.lock()
	defer s.unlock()
	ch := s.channels[rq.path["channelId"]]
	if ch == nil {
		return fail(http.StatusNotFound, "Channel not found")
	}
	if ch.app == "" {
		return fail(http.StatusConflict, "Channel not in Stasis application")
	}
	if ch.dialed || ch.state != "Down" {
		return fail(http.StatusConflict, "Channel is not in the 'Down' state")
	}
	if !ch.createdByApp {
		return fail(http.StatusConflict, "Dialing a channel not created by ARI")
	}
	ch.dialCaller = s.channels[rq.str("caller")]
	ch.dialed = true
	ch.addTimer(s.afterReal(0, func() { s.startDial(ch, timeout) }))
	return noContent()
}

func (s *Server) dialEvent(ch *channel, status string) event {
	ev := event{"peer": s.channelJSON(ch), "dialstatus": status, "forward": ""}
	if _, rest, found := strings.Cut(ch.dialString, "/"); found {
		ev["dialstring"] = rest
	}
	if ch.dialCaller != nil {
		ev["caller"] = s.channelJSON(ch.dialCaller)
	}
	return ev
}

// startDial plays the phone's script (timeout in seconds, <=0: none).
func (s *Server) startDial(ch *channel, timeout int) {
	if ch.ended {
		return
	}
	ch.dialed = true
	s.emit(s.channelApps(ch), "Dial", s.dialEvent(ch, ""), ch)
	b := ch.phone
	if timeout > 0 {
		// At the timeout Asterisk just hangs the channel up: no Dial
		// NOANSWER, no ChannelHangupRequest (trace 08).
		ch.addTimer(s.after(time.Duration(timeout)*time.Second, func() {
			if ch.state != "Up" {
				s.hangup(ch, hangupInfo{cause: CauseNoAnswer, by: ByAsterisk})
			}
		}))
	}
	ring := func() {
		s.setState(ch, "Ringing")
		s.emit(s.channelApps(ch), "Dial", s.dialEvent(ch, "RINGING"), ch)
	}
	switch b.Outcome {
	case Answer:
		if b.After > 0 {
			ring()
		}
		ch.addTimer(s.after(b.After, func() { s.answerOutbound(ch) }))
	case NoAnswer:
		ring()
	case Busy:
		if b.After > 0 {
			ring()
		}
		ch.addTimer(s.after(b.After, func() { s.dialFailed(ch, "BUSY", CauseUserBusy) }))
	case Reject:
		if b.After > 0 {
			ring()
		}
		ch.addTimer(s.after(b.After, func() { s.dialFailed(ch, "CONGESTION", CauseCallRejected) }))
	}
}

// dialFailed: the phone refuses a ringing originate (ChannelHangupRequest
// with the cause, Dial with status, ChannelDestroyed; trace 08).
func (s *Server) dialFailed(ch *channel, status string, cause int) {
	if ch.ended || ch.state == "Up" {
		return
	}
	s.hangup(ch, hangupInfo{cause: cause, by: ByParty, request: true, dialStatus: status})
}

// answerOutbound: ChannelStateChange Up, Dial ANSWER, then StasisStart for
// an originate with app (Asterisk runs Stasis() once the callee answers).
// If that application has no WebSocket, Stasis() fails and the channel is
// hung up.
func (s *Server) answerOutbound(ch *channel) {
	if ch.ended {
		return
	}
	ch.stopTimers()
	s.setState(ch, "Up")
	s.emit(s.channelApps(ch), "Dial", s.dialEvent(ch, "ANSWER"), ch)
	if ch.stasisApp != "" {
		if !s.appActive(ch.stasisApp) {
			s.log.Warn("aritest: Stasis application not registered; hanging up", "app", ch.stasisApp, "channel", ch.id)
			s.hangup(ch, hangupInfo{cause: CauseNormalClearing, by: ByAsterisk})
			return
		}
		s.startStasis(ch, ch.stasisApp, ch.stasisArgs)
	}
	b := ch.phone
	if b.HangupAfter > 0 {
		ch.addTimer(s.after(b.HangupAfter, func() { s.hangup(ch, s.partyHangup(ch, 0)) }))
	}
	if b.OnAnswer != nil {
		p := ch.party
		go b.OnAnswer(p)
	}
}
