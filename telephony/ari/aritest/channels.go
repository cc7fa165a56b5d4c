package aritest

import (
	"fmt"
	"net/http"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Side says who ended a call.
type Side string

const (
	// ByParty: the simulated far end (resident or operator) hung up, was busy or rejected.
	ByParty Side = "party"
	// ByApp: the application hung the channel up (DELETE /channels/{id}).
	ByApp Side = "app"
	// ByAsterisk: the server did (originate timeout, Stasis application not registered).
	ByAsterisk Side = "asterisk"
)

// End describes how a channel ended.
type End struct {
	Cause     int    // Q.850 cause, as in ChannelDestroyed
	CauseText string // Asterisk's text, e.g. "Normal Clearing"
	By        Side
}

// channel is a simulated Asterisk channel. All fields are guarded by the
// server lock.
type channel struct {
	seq         int64
	id          string
	name        string
	protocolID  string
	tech        string
	resource    string // endpoint resource (e.g. "trunk" for PJSIP/0501234567@trunk)
	dialString  string // originate endpoint as given
	state       string
	caller      callerJSON
	connected   callerJSON
	accountCode string
	language    string
	dialplan    dialplanJSON
	created     time.Time
	vars        map[string]string
	reportVars  map[string]bool

	app        string          // Stasis application while in Stasis
	args       []string        // StasisStart args
	pending    map[string]bool // originate app subscribed before StasisStart
	subscribed map[string]bool // POST /applications/{app}/subscription

	bridge      *bridge
	bridgedAt   time.Time // when it first entered a bridge
	moh         string
	silence     bool
	ringing     bool
	held        bool
	muted       bool
	progress    bool
	queue       []mediaOp // channel control queue: playbacks, recordings, continue
	talk        []interval
	dtmfFromApp strings.Builder
	lastDTMF    time.Time // timestamp of the last ChannelDtmfReceived
	heard       []Heard
	continued   bool
	noMedia     bool // sends no RTP (DialOptions.NoMedia)

	outbound     bool // originated or created by the application
	createdByApp bool // POST /channels/create, waiting for /dial
	dialed       bool
	phone        PhoneBehavior
	dialCaller   *channel
	timers       []*timer
	stasisApp    string // app to enter when an originated channel answers
	stasisArgs   []string

	ended  bool
	end    End
	party  *Party
	notify chan struct{}
}

type interval struct{ from, to time.Time }

// mediaOp is an entry of a channel's control queue; Asterisk runs a
// channel's playbacks, recordings and continue one after the other.
type mediaOp interface {
	begin()
}

func (ch *channel) addTimer(t *timer) *timer {
	ch.timers = append(ch.timers, t)
	return t
}

func (ch *channel) stopTimers() {
	for _, t := range ch.timers {
		t.stop()
	}
	ch.timers = nil
}

// newChannel creates a channel on tech/resource (lock held), lets init set
// it up, and announces it with ChannelCreated to subscribeAll applications.
func (s *Server) newChannel(id, tech, resource string, init func(*channel)) *channel {
	if id == "" {
		id = s.newUniqueID()
	}
	s.nameSeq++
	now := time.Now()
	ch := &channel{
		seq:        s.nameSeq,
		id:         id,
		name:       fmt.Sprintf("%s/%s-%08x", tech, resource, s.nameSeq),
		protocolID: fmt.Sprintf("%08x-%04x-aritest@127.0.0.1", s.nameSeq*2654435761%0xffffffff, s.nameSeq&0xffff),
		tech:       tech,
		resource:   resource,
		state:      "Down",
		language:   s.opts.Language,
		created:    now,
		vars:       map[string]string{},
		reportVars: map[string]bool{},
		pending:    map[string]bool{},
		subscribed: map[string]bool{},
		notify:     make(chan struct{}),
		dialplan:   dialplanJSON{Context: "default", Exten: "s", Priority: 1},
	}
	ch.party = &Party{s: s, ch: ch, id: id}
	s.channels[id] = ch
	e := s.endpointByName(tech, resource)
	e.channels = append(e.channels, id)
	if init != nil {
		init(ch)
	}
	s.endpointChanged(e)
	s.emit(s.subscribeAllApps(), "ChannelCreated", event{"channel": s.channelJSON(ch)}, ch)
	return ch
}

func (s *Server) channelJSON(ch *channel) channelJSON {
	j := channelJSON{
		ID:           ch.id,
		ProtocolID:   ch.protocolID,
		Name:         ch.name,
		State:        ch.state,
		Caller:       ch.caller,
		Connected:    ch.connected,
		AccountCode:  ch.accountCode,
		Dialplan:     ch.dialplan,
		CreationTime: ariTime(ch.created),
		Language:     ch.language,
	}
	if len(s.opts.ChannelVars) > 0 || len(ch.reportVars) > 0 {
		j.ChannelVars = map[string]string{}
		for _, n := range s.opts.ChannelVars {
			j.ChannelVars[n], _ = s.channelVar(ch, n)
		}
		for n := range ch.reportVars {
			j.ChannelVars[n], _ = s.channelVar(ch, n)
		}
	}
	return j
}

// channelVar reads a variable or the few dialplan functions a controller
// typically asks for.
func (s *Server) channelVar(ch *channel, name string) (string, bool) {
	switch strings.ToUpper(name) {
	case "CALLERID(NUM)":
		return ch.caller.Number, true
	case "CALLERID(NAME)":
		return ch.caller.Name, true
	case "CALLERID(ALL)":
		return fmt.Sprintf("%q <%s>", ch.caller.Name, ch.caller.Number), true
	case "CONNECTEDLINE(NUM)":
		return ch.connected.Number, true
	case "CONNECTEDLINE(NAME)":
		return ch.connected.Name, true
	case "CHANNEL(NAME)":
		return ch.name, true
	case "CHANNEL(LANGUAGE)":
		return ch.language, true
	case "UNIQUEID":
		return ch.id, true
	}
	v, found := ch.vars[name]
	return v, found
}

// enterStasis puts a channel into app and sends StasisStart.
func (s *Server) enterStasis(ch *channel, app string, args []string) {
	ch.app = app
	delete(ch.pending, app)
	if args == nil {
		args = []string{}
	}
	ch.args = args
	ch.dialplan.AppName = "Stasis"
	ch.dialplan.AppData = strings.Join(append([]string{app}, args...), ",")
	s.emit(s.channelApps(ch), "StasisStart", event{"args": args, "channel": s.channelJSON(ch)}, ch)
}

func (s *Server) setState(ch *channel, state string) {
	if ch.state == state || ch.ended {
		return
	}
	ch.state = state
	s.emit(s.channelApps(ch), "ChannelStateChange", event{"channel": s.channelJSON(ch)}, ch)
}

// softhangupExplicit is AST_SOFTHANGUP_EXPLICIT, the "cause" of the
// ChannelHangupRequest that DELETE /channels/{id} produces.
const softhangupExplicit = 1 << 5

// softhangupAppUnload is AST_SOFTHANGUP_APPUNLOAD, the cause of the soft
// ChannelHangupRequest published when the dialplan hangs a channel up
// after Stasis() returned (traces 07, 12).
const softhangupAppUnload = 1 << 4

type hangupInfo struct {
	cause   int // ChannelDestroyed's cause
	by      Side
	request bool // send ChannelHangupRequest first
	soft    bool // the request came from the application (soft hangup)
	// noCause leaves the cause out of ChannelHangupRequest, as a SIP BYE
	// does (traces 02, 06, 12).
	noCause bool
	// dialStatus, if set, is the Dial event a ringing originate gets after
	// the phone's refusal (ChannelHangupRequest, Dial BUSY, ChannelDestroyed).
	dialStatus string
}

// rtpQoSVars are the variables chan_pjsip sets from the RTP statistics when
// an answered channel hangs up, just before ChannelHangupRequest.
var rtpQoSVars = []struct{ name, value string }{
	{"RTPAUDIOQOS", "ssrc=0;themssrc=0;lp=0;rxjitter=0.000000;rxcount=0;txjitter=0.000000;txcount=0;rlp=0;rtt=0.000000;rxmes=0.000000;txmes=0.000000"},
	{"RTPAUDIOQOSJITTER", "minrxjitter=000.000000;maxrxjitter=000.000000;avgrxjitter=000.000000;stdevrxjitter=000.000000;mintxjitter=000.000000;maxtxjitter=000.000000;avgtxjitter=000.000000;stdevtxjitter=000.000000;"},
	{"RTPAUDIOQOSLOSS", "  minrxlost=000.000000;  maxrxlost=000.000000;  avgrxlost=000.000000;  stdevrxlost=000.000000;  mintxlost=000.000000;  maxtxlost=000.000000;  avgtxlost=000.000000;  stdevtxlost=000.000000;"},
	{"RTPAUDIOQOSRTT", "     minrtt=000.000000;     maxrtt=000.000000;     avgrtt=000.000000;     stdevrtt=000.000000;"},
	{"RTPAUDIOQOSMES", "   minrxmes=000.000000;   maxrxmes=000.000000;   avgrxmes=000.000000;   stdevrxmes=000.000000;   mintxmes=000.000000;   maxtxmes=000.000000;   avgtxmes=000.000000;   stdevtxmes=000.000000;"},
}

func (s *Server) varset(apps appSet, ch *channel, name, value string) {
	s.emit(apps, "ChannelVarset", event{"variable": name, "value": value, "channel": s.channelJSON(ch)}, ch)
}

// hangup ends a channel with Asterisk's event order: the RTP QoS variables
// (answered channels), ChannelHangupRequest, PlaybackFinished/
// RecordingFinished for its media, ChannelLeftBridge, StasisEnd,
// STASISSTATUS, the dialplan's own hangup request (incoming channels) and
// ChannelDestroyed.
func (s *Server) hangup(ch *channel, h hangupInfo) {
	if ch.ended {
		return
	}
	ch.stopTimers()
	apps := s.channelApps(ch)
	if h.request {
		if ch.state == "Up" && ch.tech == "PJSIP" {
			for _, v := range rtpQoSVars {
				s.varset(apps, ch, v.name, v.value)
			}
		}
		ev := event{"channel": s.channelJSON(ch)}
		switch {
		case h.soft:
			// ast_softhangup publishes the soft-hangup flag as the cause.
			ev["cause"], ev["soft"] = softhangupExplicit, true
		case !h.noCause:
			ev["cause"] = h.cause
			if code := sipCodeForCause[h.cause]; code != 0 && ch.tech == "PJSIP" {
				ev["tech_cause"] = code // the phone's SIP response (trace 08)
			}
		}
		s.emit(apps, "ChannelHangupRequest", ev, ch)
	}
	if h.dialStatus != "" {
		s.emit(apps, "Dial", s.dialEvent(ch, h.dialStatus), ch)
	}
	s.abortQueue(ch, "failed", fail(http.StatusNotFound, "Channel not found"))
	if ch.bridge != nil {
		s.leaveBridge(ch)
	}
	if ch.app != "" {
		s.emit(s.channelApps(ch), "StasisEnd", event{"channel": s.channelJSON(ch)}, ch)
		ch.app = ""
		// An incoming channel's Stasis application is unsubscribed at
		// StasisEnd: what follows reaches only explicit channel or endpoint
		// subscribers and subscribeAll applications (traces 01, 07, 12);
		// the originating application of an outbound channel stays
		// subscribed (trace 08).
		if ch.outbound {
			apps.addSet(s.channelApps(ch))
		} else {
			apps = s.channelApps(ch)
		}
		s.varset(apps, ch, "STASISSTATUS", "SUCCESS")
		if !ch.outbound {
			// The dialplan goes on after Stasis() and hangs the channel up.
			s.emit(apps, "ChannelHangupRequest", event{"cause": softhangupAppUnload, "soft": true, "channel": s.channelJSON(ch)}, ch)
		}
	} else if !ch.outbound {
		apps = s.channelApps(ch)
	}
	if ch.stasisApp != "" {
		// Back in the originate's dialing application.
		ch.dialplan.AppName, ch.dialplan.AppData = "AppDial2", "(Outgoing Line)"
	} else if !ch.outbound {
		ch.dialplan.AppName, ch.dialplan.AppData = "", ""
	}
	ev := event{"cause": h.cause, "cause_txt": CauseText(h.cause), "channel": s.channelJSON(ch)}
	if code := sipCodeForCause[h.cause]; code != 0 && ch.tech == "PJSIP" {
		ev["tech_cause"] = code
	}
	s.emit(apps, "ChannelDestroyed", ev, ch)
	ch.ended = true
	ch.end = End{Cause: h.cause, CauseText: CauseText(h.cause), By: h.by}
	delete(s.channels, ch.id)
	if e := s.endpoints[ch.tech+"/"+ch.resource]; e != nil {
		e.removeChannel(ch.id)
		s.endpointChanged(e)
	}
	s.touch(ch)
}

// abortQueue empties a channel's control queue: the running playback ends
// with state (failed on hangup, done when leaving Stasis), a running
// recording finishes with what it has, queued media are dropped silently
// and held commands are answered with gone.
func (s *Server) abortQueue(ch *channel, playbackState string, gone response) {
	q := ch.queue
	ch.queue = nil
	for i, op := range q {
		switch o := op.(type) {
		case *playback:
			if i == 0 {
				s.finishPlayback(o, playbackState, outcomeFor(playbackState))
			} else {
				o.finished = true
				delete(s.playbacks, o.id)
			}
		case *liveRecording:
			if i == 0 && o.state != "queued" {
				s.finishRecording(o, "done", finishStop)
			} else {
				o.finished = true
				delete(s.live, o.name)
			}
		case *heldCommand:
			o.done <- gone
		}
	}
}

func outcomeFor(state string) string {
	if state == "failed" {
		return HeardFailed
	}
	return HeardStopped
}

// enqueue adds an op to the channel's control queue, starting it if idle.
func (s *Server) enqueue(ch *channel, op mediaOp) {
	ch.queue = append(ch.queue, op)
	if len(ch.queue) == 1 {
		op.begin()
	}
}

// dequeue removes op; if it was running, the next one starts.
func (s *Server) dequeue(ch *channel, op mediaOp) {
	for i, o := range ch.queue {
		if o != op {
			continue
		}
		ch.queue = append(ch.queue[:i:i], ch.queue[i+1:]...)
		if i == 0 && len(ch.queue) > 0 && !ch.ended {
			ch.queue[0].begin()
		}
		return
	}
}

// lookupControl finds a channel the application may control: 404 if there
// is no such channel, 409 if it is not in a Stasis application.
func (s *Server) lookupControl(id string) (*channel, response, bool) {
	ch := s.channels[id]
	if ch == nil {
		return nil, fail(http.StatusNotFound, "Channel not found"), false
	}
	if ch.app == "" {
		return nil, fail(http.StatusConflict, "Channel not in Stasis application"), false
	}
	return ch, response{}, true
}

func (s *Server) handleChannelList(*request) response {
	s.lock()
	defer s.unlock()
	out := []channelJSON{}
	for _, ch := range s.sortedChannels() {
		out = append(out, s.channelJSON(ch))
	}
	return ok(out)
}

func (s *Server) handleChannelGet(rq *request) response {
	s.lock()
	defer s.unlock()
	ch := s.channels[rq.path["channelId"]]
	if ch == nil {
		return fail(http.StatusNotFound, "Channel not found")
	}
	return ok(s.channelJSON(ch))
}

// handleHangup is DELETE /channels/{id}: reason or reason_code (not both),
// default normal (16). Any channel can be hung up, in Stasis or not.
func (s *Server) handleHangup(rq *request) response {
	reason, code := rq.str("reason"), rq.str("reason_code")
	if reason != "" && code != "" {
		return fail(http.StatusBadRequest, "The reason and reason_code can't both be specified")
	}
	cause := CauseNormalClearing
	switch {
	case code != "":
		n, err := strconv.Atoi(code)
		if err != nil {
			return fail(http.StatusBadRequest, "Invalid reason for hangup reason code provided")
		}
		cause = n
	case reason != "":
		c, known := hangupReasons[reason]
		if !known {
			return fail(http.StatusBadRequest, "Invalid reason for hangup reason provided")
		}
		cause = c
	}
	s.lock()
	defer s.unlock()
	ch := s.channels[rq.path["channelId"]]
	if ch == nil {
		return fail(http.StatusNotFound, "Channel not found")
	}
	s.hangup(ch, hangupInfo{cause: cause, by: ByApp, request: true, soft: true})
	return noContent()
}

// continueOp leaves Stasis once the channel's queued media are done (the
// continue command is queued behind playbacks, as in Asterisk).
type continueOp struct {
	s                        *Server
	ch                       *channel
	context, exten, label    string
	priority                 int
	hasPriority, hasLocation bool
}

func (o *continueOp) begin() {
	s, ch := o.s, o.ch
	// The head is this op; later entries are dropped.
	s.abortQueue(ch, "done", fail(http.StatusConflict, "Channel not in Stasis application"))
	if ch.app == "" || ch.ended {
		return
	}
	if ch.bridge != nil {
		s.leaveBridge(ch)
	}
	// StasisEnd still shows the location Stasis() ran at (trace 12).
	s.emit(s.channelApps(ch), "StasisEnd", event{"channel": s.channelJSON(ch)}, ch)
	ch.app = ""
	ch.continued = true
	s.varset(s.channelApps(ch), ch, "STASISSTATUS", "SUCCESS")
	if o.context != "" {
		ch.dialplan.Context = o.context
	}
	if o.exten != "" {
		ch.dialplan.Exten = o.exten
	}
	switch {
	case o.hasPriority:
		ch.dialplan.Priority = int64(o.priority)
	case o.label != "":
		ch.dialplan.Priority = 1
	default:
		ch.dialplan.Priority++
	}
	ch.dialplan.AppName, ch.dialplan.AppData = "", ""
	s.runDialplan(ch)
	s.touch(ch)
}

// runDialplan executes Options.Dialplan from the channel's location, if
// that extension is configured: each application gets a ChannelDialplan
// event; Answer answers, NoOp, Set and Verbose go on, Stasis enters the
// application again, anything else (Echo, Wait...) keeps the channel there
// until it is hung up. Running off the end hangs up, as Asterisk's
// autofallthrough does.
func (s *Server) runDialplan(ch *channel) {
	steps, found := s.opts.Dialplan[ch.dialplan.Context+","+ch.dialplan.Exten]
	if !found {
		return
	}
	for p := ch.dialplan.Priority; p >= 1 && int(p) <= len(steps); p++ {
		st := steps[p-1]
		s.dialplanStep(ch, p, st)
		switch st.App {
		case "Stasis":
			name, args, _ := strings.Cut(st.Data, ",")
			if !s.appActive(name) {
				s.log.Warn("aritest: Stasis application not registered; hanging up", "app", name, "channel", ch.id)
				s.hangup(ch, hangupInfo{cause: CauseNormalClearing, by: ByAsterisk})
				return
			}
			s.startStasis(ch, name, splitArgs(args))
			return
		case "Answer", "NoOp", "Set", "Verbose":
		default:
			return
		}
	}
	s.hangup(ch, hangupInfo{cause: CauseNormalClearing, by: ByAsterisk})
}

// dialplanStep moves the channel to priority p running st: ChannelDialplan
// (seen by subscribers of the channel or its endpoint), and Answer answers.
func (s *Server) dialplanStep(ch *channel, p int64, st DialplanApp) {
	data := s.expand(ch, st.Data)
	ch.dialplan.Priority = p
	ch.dialplan.AppName, ch.dialplan.AppData = st.App, data
	s.emit(s.channelApps(ch), "ChannelDialplan", event{"dialplan_app": st.App, "dialplan_app_data": data, "channel": s.channelJSON(ch)}, ch)
	if st.App == "Answer" {
		s.setState(ch, "Up")
	}
}

// startStasis runs Stasis(): STASISSTATUS is cleared, then StasisStart.
func (s *Server) startStasis(ch *channel, app string, args []string) {
	ch.dialplan.AppName, ch.dialplan.AppData = "Stasis", strings.Join(append([]string{app}, args...), ",")
	s.varset(s.channelApps(ch), ch, "STASISSTATUS", "")
	s.enterStasis(ch, app, args)
}

var dialplanVar = regexp.MustCompile(`\$\{([^}]+)\}`)

// expand substitutes ${VAR} and ${FUNC(arg)} in dialplan application data.
func (s *Server) expand(ch *channel, data string) string {
	return dialplanVar.ReplaceAllStringFunc(data, func(m string) string {
		v, _ := s.channelVar(ch, m[2:len(m)-1])
		return v
	})
}

func (s *Server) handleContinue(rq *request) response {
	prio, err := rq.integer("priority", 0)
	if err != nil {
		return fail(http.StatusBadRequest, "%v", err)
	}
	s.lock()
	defer s.unlock()
	ch, resp, found := s.lookupControl(rq.path["channelId"])
	if !found {
		return resp
	}
	op := &continueOp{s: s, ch: ch, context: rq.str("context"), exten: rq.str("extension"), label: rq.str("label"),
		priority: prio, hasPriority: rq.str("priority") != "" && prio > 0}
	s.enqueue(ch, op)
	return noContent()
}

// heldCommand is a synchronous control command (answer, setting a
// variable, addChannel...): Asterisk queues it to the channel's Stasis
// thread, which runs it only once the playback or recording ahead of it has
// ended, and the HTTP request waits that long (trace 05).
type heldCommand struct {
	s    *Server
	ch   *channel
	run  func() response
	done chan response // buffered: begin and abortQueue never block
}

func (c *heldCommand) begin() {
	c.done <- c.run()
	c.s.dequeue(c.ch, c)
}

// holdBehind runs body (with the lock held) once the control queue of
// channel id is idle; at once if there is no such channel in Stasis (body
// reports the error) or nothing is queued.
func (s *Server) holdBehind(rq *request, id string, body func() response) response {
	s.lock()
	ch := s.channels[id]
	if ch == nil || ch.app == "" || len(ch.queue) == 0 {
		defer s.unlock()
		return body()
	}
	c := &heldCommand{s: s, ch: ch, run: body, done: make(chan response, 1)}
	s.enqueue(ch, c)
	s.unlock()
	select {
	case r := <-c.done:
		return r
	case <-rq.r.Context().Done():
		return fail(http.StatusServiceUnavailable, "Request canceled")
	}
}

// channelCommand runs a simple control command on a channel in Stasis.
func (s *Server) channelCommand(fn func(ch *channel) response) func(*request) response {
	return func(rq *request) response {
		s.lock()
		defer s.unlock()
		return s.controlLocked(rq.path["channelId"], fn)
	}
}

// heldChannelCommand is channelCommand for a synchronous command, which
// waits for the channel's media ahead of it (see heldCommand).
func (s *Server) heldChannelCommand(fn func(ch *channel) response) func(*request) response {
	return func(rq *request) response {
		id := rq.path["channelId"]
		return s.holdBehind(rq, id, func() response { return s.controlLocked(id, fn) })
	}
}

func (s *Server) controlLocked(id string, fn func(ch *channel) response) response {
	ch, resp, found := s.lookupControl(id)
	if !found {
		return resp
	}
	r := fn(ch)
	s.touch(ch)
	return r
}

func (s *Server) handleAnswer(rq *request) response {
	return s.heldChannelCommand(func(ch *channel) response {
		if ch.createdByApp && !ch.dialed {
			return fail(http.StatusPreconditionFailed, "Channel in invalid state")
		}
		s.setState(ch, "Up")
		ch.ringing = false
		return noContent()
	})(rq)
}

func (s *Server) handleFlag(set func(ch *channel)) func(*request) response {
	return s.channelCommand(func(ch *channel) response {
		set(ch)
		return noContent()
	})
}

func (s *Server) handleMute(rq *request) response {
	dir := rq.str("direction")
	if dir != "" && dir != "both" && dir != "in" && dir != "out" {
		return fail(http.StatusBadRequest, "Invalid direction specified")
	}
	on := rq.r.Method == http.MethodPost
	return s.handleFlag(func(ch *channel) { ch.muted = on })(rq)
}

func (s *Server) handleMOH(rq *request) response {
	class := rq.str("mohClass")
	if class == "" {
		class = "default"
	}
	on := rq.r.Method == http.MethodPost
	return s.handleFlag(func(ch *channel) {
		if on {
			ch.moh = class
			ch.silence = false
		} else {
			ch.moh = ""
		}
	})(rq)
}

func (s *Server) handleSendDTMF(rq *request) response {
	digits := rq.str("dtmf")
	if digits == "" {
		return fail(http.StatusBadRequest, "DTMF is required")
	}
	for _, p := range []string{"before", "between", "duration", "after"} {
		if _, err := rq.integer(p, 0); err != nil {
			return fail(http.StatusBadRequest, "%v", err)
		}
	}
	return s.handleFlag(func(ch *channel) { ch.dtmfFromApp.WriteString(digits) })(rq)
}

// handleGetVar reads a variable of any channel, in Stasis or not (trace
// 14); it does not wait for the channel's media.
func (s *Server) handleGetVar(rq *request) response {
	name := rq.str("variable")
	if name == "" {
		return fail(http.StatusBadRequest, "Variable name is required")
	}
	s.lock()
	defer s.unlock()
	ch := s.channels[rq.path["channelId"]]
	if ch == nil {
		return fail(http.StatusNotFound, "Provided channel was not found")
	}
	v, has := s.channelVar(ch, name)
	if !has {
		return fail(http.StatusNotFound, "Provided variable was not found")
	}
	return ok(variableJSON{Value: v})
}

func (s *Server) handleSetVar(rq *request) response {
	name := rq.str("variable")
	if name == "" {
		return fail(http.StatusBadRequest, "Variable name is required")
	}
	report, err := rq.boolean("report_events", false)
	if err != nil {
		return fail(http.StatusBadRequest, "%v", err)
	}
	value := rq.str("value")
	return s.heldChannelCommand(func(ch *channel) response {
		s.setChannelVar(ch, name, value)
		if report {
			ch.reportVars[name] = true
		}
		s.varset(s.channelApps(ch), ch, name, value)
		return noContent()
	})(rq)
}

func (s *Server) setChannelVar(ch *channel, name, value string) {
	switch strings.ToUpper(name) {
	case "CALLERID(NUM)":
		ch.caller.Number = value
	case "CALLERID(NAME)":
		ch.caller.Name = value
	case "CHANNEL(LANGUAGE)":
		ch.language = value
	default:
		ch.vars[name] = value
	}
}

func (e *endpoint) removeChannel(id string) {
	for i, c := range e.channels {
		if c == id {
			e.channels = append(e.channels[:i:i], e.channels[i+1:]...)
			return
		}
	}
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
