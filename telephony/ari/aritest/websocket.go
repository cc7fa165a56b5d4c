package aritest

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"sync"
	"time"

	"golang.org/x/net/websocket"
)

// wsConn is one events WebSocket. Events are queued by emit (with the server
// lock held, never blocking) and written by the connection's own goroutine.
type wsConn struct {
	s            *Server
	apps         []string
	subscribeAll bool
	out          chan []byte
	done         chan struct{}
	once         sync.Once

	mu  sync.Mutex
	ws  *websocket.Conn
	ran bool
}

// send queues an event (false if it was not); called with the server lock held. A connection whose
// queue is full is cut (Asterisk closes a WebSocket whose writes time out)
// and its applications become inactive at once.
func (c *wsConn) send(b []byte) bool {
	select {
	case <-c.done:
		return false
	default:
	}
	select {
	case c.out <- b:
		return true
	default:
		c.s.log.Warn("aritest: events WebSocket too slow; disconnecting it", "apps", c.apps, "queued", len(c.out))
		c.s.detach(c)
		c.close()
		return false
	}
}

func (c *wsConn) close() {
	c.once.Do(func() {
		close(c.done)
		c.mu.Lock()
		ws := c.ws
		c.mu.Unlock()
		if ws != nil {
			_ = ws.Close()
		}
	})
}

func (c *wsConn) run(ws *websocket.Conn) {
	c.mu.Lock()
	c.ws = ws
	c.ran = true
	c.mu.Unlock()
	select {
	case <-c.done:
		_ = ws.Close()
		return
	default:
	}
	go c.writeLoop(ws)
	for {
		var msg []byte
		if err := websocket.Message.Receive(ws, &msg); err != nil {
			break
		}
	}
	c.close()
}

func (c *wsConn) writeLoop(ws *websocket.Conn) {
	for {
		select {
		case <-c.done:
			return
		case b := <-c.out:
			_ = ws.SetWriteDeadline(time.Now().Add(5 * time.Second))
			if err := websocket.Message.Send(ws, string(b)); err != nil {
				c.close()
				return
			}
		}
	}
}

var errRefused = errors.New("aritest: refusing WebSocket connections")

// serveEvents is GET /ari/events: app (one or more, comma-separated or
// repeated) is required; subscribeAll=true subscribes the applications to
// every channel, bridge and endpoint.
func (s *Server) serveEvents(w http.ResponseWriter, r *http.Request) int {
	q := r.URL.Query()
	var apps []string
	for _, v := range q["app"] {
		for _, a := range strings.Split(v, ",") {
			if a = strings.TrimSpace(a); a != "" {
				apps = append(apps, a)
			}
		}
	}
	if len(apps) == 0 {
		return writeResponse(w, fail(http.StatusBadRequest, "Missing required parameter app"))
	}
	rq := &request{params: map[string][]string{"subscribeAll": q["subscribeAll"]}}
	subAll, err := rq.boolean("subscribeAll", false)
	if err != nil {
		return writeResponse(w, fail(http.StatusBadRequest, "%v", err))
	}
	s.lock()
	refuse := s.closed || time.Now().Before(s.refuseWS)
	s.unlock()
	if refuse {
		return writeResponse(w, fail(http.StatusServiceUnavailable, "Service unavailable"))
	}
	c := &wsConn{s: s, apps: apps, subscribeAll: subAll, out: make(chan []byte, s.opts.EventBuffer), done: make(chan struct{})}
	srv := websocket.Server{
		// Register while handshaking, before the 101 is written: once the
		// client's dial returns, events for its applications are queued.
		Handshake: func(*websocket.Config, *http.Request) error { return s.register(c) },
		Handler:   c.run,
	}
	srv.ServeHTTP(w, r)
	s.lock()
	s.detach(c)
	delete(s.conns, c)
	s.unlock()
	c.close()
	c.mu.Lock()
	ran := c.ran
	c.mu.Unlock()
	if ran {
		return http.StatusSwitchingProtocols
	}
	return http.StatusBadRequest
}

// register makes c the WebSocket of its applications. An application
// already connected elsewhere is taken over: the old WebSocket gets
// ApplicationReplaced and no more events for it.
func (s *Server) register(c *wsConn) error {
	s.lock()
	defer s.unlock()
	if s.closed || time.Now().Before(s.refuseWS) {
		return errRefused
	}
	for _, n := range c.apps {
		a := s.appByName(n)
		if old := a.conn; old != nil && old != c {
			ev := event{"type": "ApplicationReplaced", "application": n, "timestamp": ariTime(time.Now()), "asterisk_id": s.opts.EntityID}
			if b, err := json.Marshal(ev); err == nil && old.send(b) {
				s.events = append(s.events, EventRecord{Time: time.Now(), Application: n, Type: "ApplicationReplaced", JSON: b})
			}
		}
		a.conn = c
		a.subscribeAll = c.subscribeAll
	}
	s.conns[c] = struct{}{}
	s.touch()
	return nil
}

// detach deactivates c's applications (lock held).
func (s *Server) detach(c *wsConn) {
	for _, a := range s.apps {
		if a.conn == c {
			a.conn = nil
		}
	}
	s.touch()
}

// DropOptions tune DropWebSockets.
type DropOptions struct {
	// RefuseFor keeps refusing new WebSocket connections (HTTP 503) for this
	// long, in real time (not scaled), simulating Asterisk being unreachable.
	// REST requests keep working.
	RefuseFor time.Duration
}

// DropWebSockets cuts every events WebSocket at once, as a network failure
// or an Asterisk restart would. Channels stay in their applications; events
// raised while an application has no WebSocket are lost.
func (s *Server) DropWebSockets(opts DropOptions) {
	s.lock()
	if opts.RefuseFor > 0 {
		s.refuseWS = time.Now().Add(opts.RefuseFor)
	}
	conns := make([]*wsConn, 0, len(s.conns))
	for c := range s.conns {
		conns = append(conns, c)
		s.detach(c)
	}
	s.unlock()
	for _, c := range conns {
		c.close()
	}
}

// AcceptWebSockets ends a RefuseFor window early.
func (s *Server) AcceptWebSockets() {
	s.lock()
	defer s.unlock()
	s.refuseWS = time.Time{}
}
