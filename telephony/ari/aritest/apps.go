package aritest

import (
	"context"
	"encoding/json"
	"net/http"
	"sort"
	"strings"
	"time"
)

// app is a Stasis application: registered by its first WebSocket, it stays
// known (with its channels) when the WebSocket goes away, like Asterisk's
// deactivated applications.
type app struct {
	name         string
	conn         *wsConn // nil while no WebSocket is connected
	subscribeAll bool
	endpointSubs map[string]bool // "PJSIP/op101" or a whole technology "PJSIP"
}

func (s *Server) appByName(name string) *app {
	a := s.apps[name]
	if a == nil {
		a = &app{name: name, endpointSubs: map[string]bool{}}
		s.apps[name] = a
	}
	return a
}

func (s *Server) appActive(name string) bool {
	a := s.apps[name]
	return a != nil && a.conn != nil
}

// AppConnected reports whether a WebSocket is connected for app.
func (s *Server) AppConnected(app string) bool {
	s.lock()
	defer s.unlock()
	return s.appActive(app)
}

// WaitAppConnected waits until a WebSocket is connected for app.
func (s *Server) WaitAppConnected(ctx context.Context, app string) error {
	return s.waitServer(ctx, func() bool { return s.appActive(app) })
}

// WaitAppDisconnected waits until no WebSocket is connected for app (the
// server has seen its WebSocket close).
func (s *Server) WaitAppDisconnected(ctx context.Context, app string) error {
	return s.waitServer(ctx, func() bool { return !s.appActive(app) })
}

// event is an event body without the common fields, which emit adds.
type event map[string]any

// appSet collects application names without duplicates.
type appSet map[string]struct{}

func (as appSet) add(names ...string) appSet {
	for _, n := range names {
		if n != "" {
			as[n] = struct{}{}
		}
	}
	return as
}

func (as appSet) addSet(o appSet) appSet {
	for n := range o {
		as[n] = struct{}{}
	}
	return as
}

// subscribeAllApps are the connected applications with subscribeAll=true.
func (s *Server) subscribeAllApps() appSet {
	as := appSet{}
	for n, a := range s.apps {
		if a.subscribeAll && a.conn != nil {
			as.add(n)
		}
	}
	return as
}

// channelApps are the applications that get a channel's events: its Stasis
// application, the originating application before StasisStart, explicit
// subscriptions and subscribeAll applications.
func (s *Server) channelApps(ch *channel) appSet {
	as := s.subscribeAllApps().add(ch.app)
	for n := range ch.pending {
		as.add(n)
	}
	for n := range ch.subscribed {
		as.add(n)
	}
	return as
}

// bridgeApps are the applications that get a bridge's events: explicit
// subscribers, subscribeAll applications and the Stasis applications of the
// channels in it (subscribed while their channels are in the bridge).
func (s *Server) bridgeApps(b *bridge) appSet {
	as := s.subscribeAllApps()
	for n := range b.subs {
		as.add(n)
	}
	for _, ch := range b.channels {
		as.add(ch.app)
	}
	return as
}

// emit queues an event to each connected application in apps, adding type,
// application, timestamp and asterisk_id. Called with the lock held, so
// events leave in the order the state changed. Events for applications
// without a WebSocket are lost, as in Asterisk.
func (s *Server) emit(apps appSet, typ string, ev event, chs ...*channel) {
	s.touch(chs...)
	names := make([]string, 0, len(apps))
	for n := range apps {
		names = append(names, n)
	}
	sort.Strings(names)
	now := time.Now()
	ev["type"] = typ
	if _, preset := ev["timestamp"]; !preset {
		ev["timestamp"] = ariTime(now)
	}
	ev["asterisk_id"] = s.opts.EntityID
	var chID string
	if len(chs) > 0 && chs[0] != nil {
		chID = chs[0].id
	}
	copies := map[string]int{}
	for _, n := range names {
		copies[n] = 1
	}
	if len(chs) > 0 && chs[0] != nil && endpointForwarded[typ] {
		// Asterisk forwards a channel's topic to its endpoint's topics, so
		// an application subscribed to the endpoint (endpoint:TECH or
		// endpoint:TECH/resource) gets one more copy per subscription,
		// on top of the one it gets as the channel's Stasis application
		// (trace 07).
		ch := chs[0]
		for n, a := range s.apps {
			if k := a.endpointCopies(ch); k > 0 {
				if copies[n] == 0 {
					names = append(names, n)
				}
				copies[n] += k
			}
		}
		sort.Strings(names)
	}
	for _, n := range names {
		a := s.apps[n]
		if a == nil || a.conn == nil {
			continue
		}
		ev["application"] = n
		b, err := json.Marshal(ev)
		if err != nil {
			s.log.Error("aritest: marshal event", "type", typ, "err", err)
			continue
		}
		for i := 0; i < copies[n]; i++ {
			if !a.conn.send(b) {
				break
			}
			s.events = append(s.events, EventRecord{Time: now, Application: n, Type: typ, ChannelID: chID, JSON: b})
		}
	}
}

// endpointForwarded are the channel events Asterisk publishes on the
// channel's topic, which is forwarded to its endpoint's topics. StasisStart
// and StasisEnd go to the application directly and are not doubled; bridge,
// playback and recording events travel on their own topics.
var endpointForwarded = map[string]bool{
	"ChannelCreated": true, "ChannelDestroyed": true, "ChannelStateChange": true,
	"ChannelDtmfReceived": true, "ChannelVarset": true, "ChannelHangupRequest": true,
	"ChannelDialplan": true, "ChannelCallerId": true, "ChannelConnectedLine": true,
	"ChannelHold": true, "ChannelUnhold": true, "ChannelTalkingStarted": true,
	"ChannelTalkingFinished": true, "Dial": true,
}

// endpointCopies is how many of a's endpoint subscriptions cover ch.
func (a *app) endpointCopies(ch *channel) int {
	if a.conn == nil || ch.tech == "" {
		return 0
	}
	n := 0
	if a.endpointSubs[ch.tech] {
		n++
	}
	if a.endpointSubs[ch.tech+"/"+ch.resource] {
		n++
	}
	return n
}

func (s *Server) appJSON(a *app) applicationJSON {
	j := applicationJSON{
		Name:             a.name,
		ChannelIDs:       []string{},
		BridgeIDs:        []string{},
		EndpointIDs:      []string{},
		DeviceNames:      []string{},
		EventsAllowed:    []map[string]any{},
		EventsDisallowed: []map[string]any{},
	}
	for _, ch := range s.sortedChannels() {
		if ch.app == a.name || ch.pending[a.name] || ch.subscribed[a.name] {
			j.ChannelIDs = append(j.ChannelIDs, ch.id)
		}
	}
	for id, b := range s.bridges {
		if b.subs[a.name] || b.hasChannelIn(a.name) {
			j.BridgeIDs = append(j.BridgeIDs, id)
		}
	}
	sort.Strings(j.BridgeIDs)
	for e := range a.endpointSubs {
		j.EndpointIDs = append(j.EndpointIDs, e)
	}
	sort.Strings(j.EndpointIDs)
	return j
}

func (s *Server) handleAppList(*request) response {
	s.lock()
	defer s.unlock()
	names := make([]string, 0, len(s.apps))
	for n := range s.apps {
		names = append(names, n)
	}
	sort.Strings(names)
	out := make([]applicationJSON, 0, len(names))
	for _, n := range names {
		out = append(out, s.appJSON(s.apps[n]))
	}
	return ok(out)
}

func (s *Server) handleAppGet(rq *request) response {
	s.lock()
	defer s.unlock()
	a := s.apps[rq.path["applicationName"]]
	if a == nil {
		return fail(http.StatusNotFound, "Application not found")
	}
	return ok(s.appJSON(a))
}

// handleAppSubscribe implements POST and DELETE .../subscription for
// channel:, bridge: and endpoint: sources (deviceState: is not simulated).
func (s *Server) handleAppSubscribe(rq *request) response {
	if r, bad := rq.required("eventSource"); bad {
		return r
	}
	subscribe := rq.r.Method == http.MethodPost
	s.lock()
	defer s.unlock()
	a := s.apps[rq.path["applicationName"]]
	if a == nil {
		return fail(http.StatusNotFound, "Application not found")
	}
	type op func()
	var ops []op
	for _, src := range rq.list("eventSource") {
		scheme, id, _ := strings.Cut(src, ":")
		switch scheme {
		case "channel":
			ch := s.channels[id]
			if ch == nil {
				return fail(http.StatusUnprocessableEntity, "Event source was not found")
			}
			if !subscribe && !ch.subscribed[a.name] {
				return fail(http.StatusConflict, "Application not subscribed to event source")
			}
			ops = append(ops, func() {
				if subscribe {
					ch.subscribed[a.name] = true
				} else {
					delete(ch.subscribed, a.name)
				}
			})
		case "bridge":
			b := s.bridges[id]
			if b == nil {
				return fail(http.StatusUnprocessableEntity, "Event source was not found")
			}
			if !subscribe && !b.subs[a.name] {
				return fail(http.StatusConflict, "Application not subscribed to event source")
			}
			ops = append(ops, func() {
				if subscribe {
					b.subs[a.name] = true
				} else {
					delete(b.subs, a.name)
				}
			})
		case "endpoint":
			key := strings.TrimSuffix(id, "/")
			if key == "" {
				return fail(http.StatusBadRequest, "Invalid event source URI scheme")
			}
			if !s.endpointSourceExists(key) {
				return fail(http.StatusUnprocessableEntity, "Event source was not found")
			}
			if !subscribe && !a.endpointSubs[key] {
				return fail(http.StatusConflict, "Application not subscribed to event source")
			}
			ops = append(ops, func() {
				if subscribe {
					a.endpointSubs[key] = true
				} else {
					delete(a.endpointSubs, key)
				}
			})
		case "deviceState":
			return fail(http.StatusUnprocessableEntity, "Event source was not found")
		default:
			return fail(http.StatusBadRequest, "Invalid event source URI scheme")
		}
	}
	for _, o := range ops {
		o()
	}
	s.touch()
	return ok(s.appJSON(a))
}
