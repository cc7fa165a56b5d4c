package aritest

import (
	"fmt"
	"net/http"
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

type hangupInfo struct {
	cause   int
	by      Side
	request bool // send ChannelHangupRequest first
	soft    bool // the request came from the application (soft hangup)
}

// hangup ends a channel with Asterisk's event order: ChannelHangupRequest,
// PlaybackFinished/RecordingFinished for its media, ChannelLeftBridge,
// StasisEnd, ChannelDestroyed.
func (s *Server) hangup(ch *channel, h hangupInfo) {
	if ch.ended {
		return
	}
	ch.stopTimers()
	apps := s.channelApps(ch)
	if h.request {
		ev := event{"channel": s.channelJSON(ch)}
		if h.soft {
			// ast_softhangup publishes the soft-hangup flag as the cause.
			ev["cause"], ev["soft"] = softhangupExplicit, true
		} else {
			ev["cause"] = h.cause
		}
		s.emit(apps, "ChannelHangupRequest", ev, ch)
	}
	s.abortQueue(ch, "failed")
	if ch.bridge != nil {
		s.leaveBridge(ch)
	}
	if ch.app != "" {
		s.emit(s.channelApps(ch), "StasisEnd", event{"channel": s.channelJSON(ch)}, ch)
		ch.app = ""
		if !ch.outbound {
			// The dialplan goes on after Stasis() and hangs the channel
			// up: only endpoint subscribers see it (trace 07).
			s.emit(appSet{}, "ChannelHangupRequest", event{"cause": CauseNormalClearing, "channel": s.channelJSON(ch)}, ch)
		}
	}
	if ch.outbound {
		apps.addSet(s.channelApps(ch))
	} else {
		// An incoming channel's Stasis application is unsubscribed at
		// StasisEnd: ChannelDestroyed reaches only explicit channel or
		// endpoint subscribers and subscribeAll applications (traces 01, 12).
		apps = s.channelApps(ch)
	}
	s.emit(apps, "ChannelDestroyed", event{"cause": h.cause, "cause_txt": CauseText(h.cause), "channel": s.channelJSON(ch)}, ch)
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
// recording finishes with what it has, queued entries are dropped silently.
func (s *Server) abortQueue(ch *channel, playbackState string) {
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
	s.abortQueue(ch, "done") // the head is this op; later entries are dropped
	if ch.app == "" || ch.ended {
		return
	}
	if ch.bridge != nil {
		s.leaveBridge(ch)
	}
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
	s.emit(s.channelApps(ch), "StasisEnd", event{"channel": s.channelJSON(ch)}, ch)
	ch.app = ""
	ch.continued = true
	s.touch(ch)
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

// channelCommand runs a simple control command on a channel in Stasis.
func (s *Server) channelCommand(fn func(ch *channel) response) func(*request) response {
	return func(rq *request) response {
		s.lock()
		defer s.unlock()
		ch, resp, found := s.lookupControl(rq.path["channelId"])
		if !found {
			return resp
		}
		r := fn(ch)
		s.touch(ch)
		return r
	}
}

func (s *Server) handleAnswer(rq *request) response {
	return s.channelCommand(func(ch *channel) response {
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

func (s *Server) handleGetVar(rq *request) response {
	name := rq.str("variable")
	if name == "" {
		return fail(http.StatusBadRequest, "Variable name is required")
	}
	s.lock()
	defer s.unlock()
	ch, resp, found := s.lookupControl(rq.path["channelId"])
	if !found {
		return resp
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
	return s.channelCommand(func(ch *channel) response {
		s.setChannelVar(ch, name, value)
		if report {
			ch.reportVars[name] = true
		}
		s.emit(s.channelApps(ch), "ChannelVarset", event{"variable": name, "value": value, "channel": s.channelJSON(ch)}, ch)
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
