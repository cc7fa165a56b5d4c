package aritest

import (
	"fmt"
	"net/http"
	"sort"
	"strings"
)

// Endpoint states as in the spec's Endpoint model.
const (
	EndpointOnline  = "online"
	EndpointOffline = "offline"
	EndpointUnknown = "unknown"
)

type endpoint struct {
	tech     string
	resource string
	state    string
	channels []string
}

func (e *endpoint) json() endpointJSON {
	return endpointJSON{Technology: e.tech, Resource: e.resource, State: e.state, ChannelIDs: append([]string{}, e.channels...)}
}

// endpointByName returns tech/resource, creating it online on first use
// (an endpoint a test never configured behaves as registered).
func (s *Server) endpointByName(tech, resource string) *endpoint {
	key := tech + "/" + resource
	e := s.endpoints[key]
	if e == nil {
		e = &endpoint{tech: tech, resource: resource, state: EndpointOnline}
		s.endpoints[key] = e
	}
	return e
}

// parseEndpoint splits an ARI endpoint string into technology, endpoint
// resource and dialled number: "PJSIP/op101" → PJSIP, op101, "";
// "PJSIP/0501234567@trunk" → PJSIP, trunk, 0501234567.
func parseEndpoint(s string) (tech, resource, number string, valid bool) {
	tech, rest, found := strings.Cut(s, "/")
	if !found || tech == "" || rest == "" {
		return "", "", "", false
	}
	if tech == "PJSIP" {
		if n, r, at := strings.Cut(rest, "@"); at {
			return tech, r, n, r != ""
		}
		if r, _, slash := strings.Cut(rest, "/"); slash {
			return tech, r, "", true
		}
	}
	return tech, rest, "", true
}

// endpointSourceExists reports whether "TECH/resource" or "TECH" names
// existing endpoints (applications may subscribe to a whole technology).
func (s *Server) endpointSourceExists(key string) bool {
	if _, exists := s.endpoints[key]; exists {
		return true
	}
	if strings.Contains(key, "/") {
		return false
	}
	for _, e := range s.endpoints {
		if e.tech == key {
			return true
		}
	}
	return false
}

// SetEndpointState sets an endpoint's state (online, offline or unknown),
// creating it if needed, and sends EndpointStateChange on a change to
// applications subscribed to it (endpoint:TECH/resource or endpoint:TECH),
// subscribeAll applications and applications owning a channel on it.
// An offline endpoint cannot be originated to (500, as Asterisk fails to
// allocate a PJSIP channel for an endpoint without a contact).
func (s *Server) SetEndpointState(tech, resource, state string) error {
	switch state {
	case EndpointOnline, EndpointOffline, EndpointUnknown:
	default:
		return fmt.Errorf("aritest: endpoint state %q: want online, offline or unknown", state)
	}
	s.lock()
	defer s.unlock()
	e := s.endpointByName(tech, resource)
	if e.state == state {
		return nil
	}
	if tech != "PJSIP" || (state != EndpointOnline && e.state != EndpointOnline) {
		e.state = state
		s.emitEndpointState(e, tech, resource, true)
		return nil
	}
	// A PJSIP endpoint goes online when a contact registers and offline
	// when the last one is removed, with the contact and peer events
	// around the state change (trace 13).
	apps := s.endpointApps(e, true)
	contact := func(status string) {
		s.emit(apps, "ContactStatusChange", event{"endpoint": e.json(), "contact_info": map[string]string{
			"uri": "sip:" + resource + "@127.0.0.1:5060", "contact_status": status, "aor": resource, "roundtrip_usec": "0",
		}})
	}
	if state == EndpointOnline {
		contact("NonQualified")
	}
	e.state = state
	s.emitEndpointState(e, tech, resource, true)
	peer, last := "Reachable", "Reachable"
	if state != EndpointOnline {
		peer, last = "Unreachable", "Removed"
	}
	s.emit(apps, "PeerStatusChange", event{"endpoint": e.json(), "peer": map[string]string{"peer_status": peer}})
	contact(last)
	return nil
}

// endpointChanged sends EndpointStateChange (state unchanged) to the
// applications subscribed to e when a channel on it comes or goes, as
// Asterisk does (trace 07).
func (s *Server) endpointChanged(e *endpoint) {
	s.emitEndpointState(e, e.tech, e.resource, false)
}

func (s *Server) emitEndpointState(e *endpoint, tech, resource string, owners bool) {
	s.emit(s.endpointApps(e, owners), "EndpointStateChange", event{"endpoint": e.json()})
}

// endpointApps are the applications subscribed to e (endpoint:TECH/resource
// or endpoint:TECH) and, with owners, subscribeAll applications and those
// owning a channel on it.
func (s *Server) endpointApps(e *endpoint, owners bool) appSet {
	apps := appSet{}
	if owners {
		apps = s.subscribeAllApps()
	}
	for n, a := range s.apps {
		if a.endpointSubs[e.tech+"/"+e.resource] || a.endpointSubs[e.tech] {
			apps.add(n)
		}
	}
	for _, id := range e.channels {
		if ch := s.channels[id]; ch != nil && owners {
			apps.add(ch.app)
			for n := range ch.pending {
				apps.add(n)
			}
		}
	}
	return apps
}

// EndpointState returns an endpoint's state ("" if it does not exist).
func (s *Server) EndpointState(tech, resource string) string {
	s.lock()
	defer s.unlock()
	if e := s.endpoints[tech+"/"+resource]; e != nil {
		return e.state
	}
	return ""
}

func (s *Server) sortedEndpoints(keep func(*endpoint) bool) []endpointJSON {
	keys := make([]string, 0, len(s.endpoints))
	for k, e := range s.endpoints {
		if keep(e) {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	out := make([]endpointJSON, 0, len(keys))
	for _, k := range keys {
		out = append(out, s.endpoints[k].json())
	}
	return out
}

func (s *Server) handleEndpointList(*request) response {
	s.lock()
	defer s.unlock()
	return ok(s.sortedEndpoints(func(*endpoint) bool { return true }))
}

func (s *Server) handleEndpointListByTech(rq *request) response {
	s.lock()
	defer s.unlock()
	tech := rq.path["tech"]
	out := s.sortedEndpoints(func(e *endpoint) bool { return strings.EqualFold(e.tech, tech) })
	if len(out) == 0 {
		return fail(http.StatusNotFound, "No Endpoints found - invalid tech %s", tech)
	}
	return ok(out)
}

func (s *Server) handleEndpointGet(rq *request) response {
	s.lock()
	defer s.unlock()
	e := s.endpoints[rq.path["tech"]+"/"+rq.path["resource"]]
	if e == nil {
		return fail(http.StatusNotFound, "Endpoint not found")
	}
	return ok(e.json())
}

func sortStrings(ss []string) []string {
	sort.Strings(ss)
	return ss
}
