package aritest

import (
	"net/http"
	"strings"
	"time"
)

// bridge is a Stasis bridge (created through ARI, so bridge_class "stasis").
type bridge struct {
	id         string
	name       string
	typ        string // "mixing" or "holding"
	created    time.Time
	channels   []*channel
	subs       map[string]bool // applications subscribed with POST /applications/{app}/subscription
	dtmfEvents bool            // type dtmf_events: no native RTP bridging
	tech       string          // bridge technology in effect (see retech)
	moh        string
	queue      []*playback
	recording  *liveRecording
}

func (b *bridge) channelIDs() []string {
	ids := make([]string, 0, len(b.channels))
	for _, ch := range b.channels {
		ids = append(ids, ch.id)
	}
	return ids
}

// hasChannelIn reports whether a channel in Stasis application app is in the bridge.
func (b *bridge) hasChannelIn(app string) bool {
	for _, ch := range b.channels {
		if ch.app == app {
			return true
		}
	}
	return false
}

func (b *bridge) json() bridgeJSON {
	j := bridgeJSON{
		ID: b.id, BridgeType: b.typ, BridgeClass: "stasis", Creator: "Stasis", Name: b.name,
		Channels: b.channelIDs(), CreationTime: ariTime(b.created), Technology: b.tech, VideoMode: "talker",
	}
	if b.typ == "holding" {
		j.VideoMode = "none"
	}
	return j
}

// retech picks the bridge technology for the channels now in it. Asterisk
// does that after a channel has entered or left, so the event about that
// channel still shows the technology before (trace 09).
func (b *bridge) retech() {
	switch {
	case b.nativeRTP():
		b.tech = "native_rtp"
	case b.typ == "holding":
		b.tech = "holding_bridge"
	case len(b.channels) > 2:
		b.tech = "softmix"
	default:
		b.tech = "simple_bridge"
	}
}

// nativeRTP reports whether Asterisk would bridge the two channels RTP to
// RTP (native_rtp): a mixing bridge without dtmf_events between two PJSIP
// channels, with nothing of its own playing or recording. The core then
// sees no frames, so no DTMF is reported (trace 09).
func (b *bridge) nativeRTP() bool {
	if b.typ != "mixing" || b.dtmfEvents || len(b.channels) != 2 || len(b.queue) > 0 || b.recording != nil || b.moh != "" {
		return false
	}
	for _, ch := range b.channels {
		if ch.tech != "PJSIP" {
			return false
		}
	}
	return true
}

var bridgeTypes = map[string]bool{
	"mixing": true, "holding": true, "dtmf_events": true, "proxy_media": true,
	"video_sfu": true, "video_single": true, "sdp_label": true,
}

// handleBridgeCreate is POST /bridges and POST /bridges/{bridgeId}. Only
// subscribeAll applications see BridgeCreated: in Asterisk an application
// subscribes to a bridge when one of its channels enters it.
func (s *Server) handleBridgeCreate(rq *request) response {
	typ := "mixing"
	var dtmfEvents bool
	for _, t := range rq.list("type") {
		if !bridgeTypes[t] {
			return fail(http.StatusBadRequest, "Invalid bridge type %s", t)
		}
		switch t {
		case "holding":
			typ = "holding"
		case "dtmf_events":
			dtmfEvents = true
		}
	}
	id := rq.path["bridgeId"]
	if id == "" {
		id = rq.str("bridgeId")
	}
	if id == "" {
		id = newUUID()
	}
	s.lock()
	defer s.unlock()
	if s.bridges[id] != nil {
		return fail(http.StatusConflict, "Bridge with id %s already exists", id)
	}
	b := &bridge{id: id, name: rq.str("name"), typ: typ, dtmfEvents: dtmfEvents, created: time.Now(), subs: map[string]bool{}}
	b.retech()
	s.bridges[id] = b
	s.emit(s.bridgeApps(b), "BridgeCreated", event{"bridge": b.json()})
	return ok(b.json())
}

func (s *Server) handleBridgeList(*request) response {
	s.lock()
	defer s.unlock()
	out := []bridgeJSON{}
	for _, id := range sortedBridgeIDs(s.bridges) {
		out = append(out, s.bridges[id].json())
	}
	return ok(out)
}

func sortedBridgeIDs(m map[string]*bridge) []string {
	ids := make([]string, 0, len(m))
	for id := range m {
		ids = append(ids, id)
	}
	return sortStrings(ids)
}

func (s *Server) handleBridgeGet(rq *request) response {
	s.lock()
	defer s.unlock()
	b := s.bridges[rq.path["bridgeId"]]
	if b == nil {
		return fail(http.StatusNotFound, "Bridge not found")
	}
	return ok(b.json())
}

// handleBridgeDestroy removes every channel (ChannelLeftBridge), stops the
// bridge's media and sends BridgeDestroyed.
func (s *Server) handleBridgeDestroy(rq *request) response {
	s.lock()
	defer s.unlock()
	b := s.bridges[rq.path["bridgeId"]]
	if b == nil {
		return fail(http.StatusNotFound, "Bridge not found")
	}
	s.destroyBridge(b)
	return noContent()
}

// destroyBridge: the applications of its channels are subscribed to the
// bridge only while the channels are in it, so BridgeDestroyed reaches only
// explicit subscribers and subscribeAll applications (traces 05, 09, 10).
func (s *Server) destroyBridge(b *bridge) {
	for len(b.channels) > 0 {
		s.leaveBridge(b.channels[0])
	}
	q := b.queue
	b.queue = nil
	for i, pb := range q {
		if i == 0 {
			s.finishPlayback(pb, "done", HeardStopped)
		} else {
			delete(s.playbacks, pb.id)
		}
	}
	if b.recording != nil {
		s.finishRecording(b.recording, "done", finishStop)
	}
	s.emit(s.bridgeApps(b), "BridgeDestroyed", event{"bridge": b.json()})
	delete(s.bridges, b.id)
}

// handleAddChannel is POST /bridges/{id}/addChannel. Errors per the spec:
// 404 unknown bridge, 400 unknown channel, 422 channel not in Stasis,
// 409 channel recording. A channel in another bridge is moved
// (ChannelLeftBridge, then ChannelEnteredBridge). A channel already in this
// bridge gets 409 unless Options.BridgeReAddLikeAsterisk (see there).
func (s *Server) handleAddChannel(rq *request) response {
	if r, bad := rq.required("channel"); bad {
		return r
	}
	if role := rq.str("role"); strings.ContainsAny(role, ",") {
		return fail(http.StatusBadRequest, "Invalid role")
	}
	for _, p := range []string{"absorbDTMF", "mute", "inhibitConnectedLineUpdates"} {
		if _, err := rq.boolean(p, false); err != nil {
			return fail(http.StatusBadRequest, "%v", err)
		}
	}
	// Held behind the (first) channel's media, as a synchronous command.
	ids := rq.list("channel")
	return s.holdBehind(rq, ids[0], func() response { return s.addChannels(rq.path["bridgeId"], ids) })
}

func (s *Server) addChannels(bridgeID string, ids []string) response {
	b := s.bridges[bridgeID]
	if b == nil {
		return fail(http.StatusNotFound, "Bridge not found")
	}
	var chs []*channel
	for _, id := range ids {
		ch := s.channels[id]
		switch {
		case ch == nil:
			return fail(http.StatusBadRequest, "Channel not found")
		case ch.app == "":
			return fail(http.StatusUnprocessableEntity, "Channel not in Stasis application")
		case ch.bridge == b && !s.opts.BridgeReAddLikeAsterisk:
			return fail(http.StatusConflict, "Channel %s is already in bridge %s", id, b.id)
		case ch.recording() != nil:
			return fail(http.StatusConflict, "Channel %s currently recording", id)
		}
		chs = append(chs, ch)
	}
	for _, ch := range chs {
		if ch.bridge != nil { // moved, or re-added (BridgeReAddLikeAsterisk)
			s.leaveBridge(ch)
		}
		ch.bridge = b
		if ch.bridgedAt.IsZero() {
			ch.bridgedAt = time.Now()
		}
		b.channels = append(b.channels, ch)
		apps := s.channelApps(ch).addSet(s.bridgeApps(b))
		s.emit(apps, "ChannelEnteredBridge", event{"bridge": b.json(), "channel": s.channelJSON(ch)}, ch)
		b.retech()
		if len(b.channels) == 2 {
			// Two parties meet: each one's connected line becomes the
			// other's caller id, the newcomer first (trace 09).
			other := b.channels[0]
			for _, c := range []struct{ ch, peer *channel }{{ch, other}, {other, ch}} {
				c.ch.connected = c.peer.caller
				s.emit(s.channelApps(c.ch), "ChannelConnectedLine", event{"channel": s.channelJSON(c.ch)}, c.ch)
			}
		}
	}
	return noContent()
}

// handleRemoveChannel: 404 unknown bridge, 400 unknown channel, 422 not in this bridge.
func (s *Server) handleRemoveChannel(rq *request) response {
	if r, bad := rq.required("channel"); bad {
		return r
	}
	ids := rq.list("channel")
	return s.holdBehind(rq, ids[0], func() response { return s.removeChannels(rq.path["bridgeId"], ids) })
}

func (s *Server) removeChannels(bridgeID string, ids []string) response {
	b := s.bridges[bridgeID]
	if b == nil {
		return fail(http.StatusNotFound, "Bridge not found")
	}
	var chs []*channel
	for _, id := range ids {
		ch := s.channels[id]
		switch {
		case ch == nil:
			return fail(http.StatusBadRequest, "Channel not found")
		case ch.bridge != b:
			return fail(http.StatusUnprocessableEntity, "Channel not in this bridge")
		}
		chs = append(chs, ch)
	}
	for _, ch := range chs {
		s.leaveBridge(ch)
	}
	return noContent()
}

// leaveBridge takes a channel out of its bridge with ChannelLeftBridge.
func (s *Server) leaveBridge(ch *channel) {
	b := ch.bridge
	if b == nil {
		return
	}
	for i, c := range b.channels {
		if c == ch {
			b.channels = append(b.channels[:i:i], b.channels[i+1:]...)
			break
		}
	}
	ch.bridge = nil
	apps := s.channelApps(ch).addSet(s.bridgeApps(b))
	s.emit(apps, "ChannelLeftBridge", event{"bridge": b.json(), "channel": s.channelJSON(ch)}, ch)
	b.retech()
}

func (s *Server) handleBridgeMOH(rq *request) response {
	class := rq.str("mohClass")
	if class == "" {
		class = "default"
	}
	s.lock()
	defer s.unlock()
	b := s.bridges[rq.path["bridgeId"]]
	if b == nil {
		return fail(http.StatusNotFound, "Bridge not found")
	}
	if rq.r.Method == http.MethodPost {
		b.moh = class
	} else {
		b.moh = ""
	}
	s.touch(b.channels...)
	return noContent()
}

// handleBridgePlay is POST /bridges/{id}/play[/{playbackId}]; bridge
// playbacks queue among themselves (Asterisk plays them through one
// announcer channel) and every channel in the bridge hears them.
func (s *Server) handleBridgePlay(rq *request) response {
	p, resp, valid := parsePlay(rq)
	if !valid {
		return resp
	}
	s.lock()
	defer s.unlock()
	b := s.bridges[rq.path["bridgeId"]]
	if b == nil {
		return fail(http.StatusNotFound, "Bridge not found")
	}
	if s.playbacks[p.id] != nil {
		return fail(http.StatusConflict, "Playback with id %s already exists", p.id)
	}
	if p.lang == "" {
		p.lang = s.opts.Language
	}
	pb := s.newPlayback(p, "bridge:"+b.id)
	pb.br = b
	snap := pb.json()
	b.queue = append(b.queue, pb)
	if len(b.queue) == 1 {
		pb.begin()
	}
	return created(snap)
}

func (s *Server) bridgeDequeue(b *bridge, pb *playback) {
	for i, p := range b.queue {
		if p != pb {
			continue
		}
		b.queue = append(b.queue[:i:i], b.queue[i+1:]...)
		if i == 0 && len(b.queue) > 0 {
			b.queue[0].begin()
		}
		return
	}
}
