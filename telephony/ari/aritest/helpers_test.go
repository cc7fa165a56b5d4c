package aritest_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/CyCoreSystems/ari/v5"
	"github.com/CyCoreSystems/ari/v5/client/native"
	"golang.org/x/net/websocket"

	"github.com/slobozhanske/hotline/telephony/ari/aritest"
)

// eventConn is a minimal ARI events client: it reads the WebSocket into a
// list that tests wait on.
type eventConn struct {
	t    testing.TB
	ws   *websocket.Conn
	mu   sync.Mutex
	evs  []ari.Event
	raw  [][]byte
	by   map[string][]ari.Event // by channel id
	cond chan struct{}
	done chan struct{}
	err  error
}

func dialEvents(t testing.TB, srv *aritest.Server, app string, subscribeAll bool) (*eventConn, error) {
	t.Helper()
	u := srv.WebsocketURL() + "?app=" + url.QueryEscape(app)
	if subscribeAll {
		u += "&subscribeAll=true"
	}
	cfg, err := websocket.NewConfig(u, "http://localhost/")
	if err != nil {
		return nil, err
	}
	cfg.Header.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(srv.Username()+":"+srv.Password())))
	ws, err := websocket.DialConfig(cfg)
	if err != nil {
		return nil, err
	}
	ec := &eventConn{t: t, ws: ws, cond: make(chan struct{}), done: make(chan struct{}), by: map[string][]ari.Event{}}
	go ec.read()
	t.Cleanup(func() { _ = ws.Close() })
	return ec, nil
}

func mustEvents(t testing.TB, srv *aritest.Server, app string) *eventConn {
	t.Helper()
	ec, err := dialEvents(t, srv, app, false)
	if err != nil {
		t.Fatalf("connect events: %v", err)
	}
	return ec
}

func (ec *eventConn) read() {
	defer close(ec.done)
	for {
		var data []byte
		if err := websocket.Message.Receive(ec.ws, &data); err != nil {
			ec.mu.Lock()
			ec.err = err
			close(ec.cond)
			ec.cond = make(chan struct{})
			ec.mu.Unlock()
			return
		}
		ev, err := ari.DecodeEvent(data)
		if err != nil {
			ec.t.Errorf("undecodable event %s: %v", data, err)
			continue
		}
		ec.mu.Lock()
		ec.evs = append(ec.evs, ev)
		ec.raw = append(ec.raw, data)
		if id := primaryChannel(data); id != "" {
			ec.by[id] = append(ec.by[id], ev)
		}
		close(ec.cond)
		ec.cond = make(chan struct{})
		ec.mu.Unlock()
	}
}

func (ec *eventConn) close() {
	_ = ec.ws.Close()
	<-ec.done
}

// wait returns the first event of type typ concerning channel id (any
// channel if id is "") that satisfies match (nil: any).
func (ec *eventConn) wait(ctx context.Context, typ, id string, match func(ari.Event) bool) (ari.Event, error) {
	for {
		ec.mu.Lock()
		list := ec.evs
		if id != "" {
			list = ec.by[id]
		}
		for _, ev := range list {
			if ev.GetType() == typ && (match == nil || match(ev)) {
				ec.mu.Unlock()
				return ev, nil
			}
		}
		c, err := ec.cond, ec.err
		ec.mu.Unlock()
		if err != nil {
			return nil, fmt.Errorf("waiting for %s on %s: socket: %w", typ, id, err)
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("waiting for %s on %s (got %v): %w", typ, id, ec.types(id), ctx.Err())
		case <-c:
		}
	}
}

func (ec *eventConn) mustWait(ctx context.Context, typ, id string) ari.Event {
	ec.t.Helper()
	ev, err := ec.wait(ctx, typ, id, nil)
	if err != nil {
		ec.t.Fatal(err)
	}
	return ev
}

// primaryChannel is the id of the event's channel (or Dial's peer), or of
// the channel a playback or recording targets.
func primaryChannel(data []byte) string {
	var e struct {
		Channel  struct{ ID string }
		Peer     struct{ ID string }
		Playback struct {
			TargetURI string `json:"target_uri"`
		}
		Recording struct {
			TargetURI string `json:"target_uri"`
		}
	}
	_ = json.Unmarshal(data, &e)
	switch {
	case e.Channel.ID != "":
		return e.Channel.ID
	case e.Peer.ID != "":
		return e.Peer.ID
	case strings.HasPrefix(e.Playback.TargetURI, "channel:"):
		return strings.TrimPrefix(e.Playback.TargetURI, "channel:")
	case strings.HasPrefix(e.Recording.TargetURI, "channel:"):
		return strings.TrimPrefix(e.Recording.TargetURI, "channel:")
	}
	return ""
}

// types lists the event types received for channel id, in order.
func (ec *eventConn) types(id string) []string {
	ec.mu.Lock()
	defer ec.mu.Unlock()
	list := ec.evs
	if id != "" {
		list = ec.by[id]
	}
	out := make([]string, 0, len(list))
	for _, ev := range list {
		out = append(out, ev.GetType())
	}
	return out
}

func newClient(srv *aritest.Server, app string) *native.Client {
	return native.New(&native.Options{
		Application:  app,
		URL:          srv.URL(),
		WebsocketURL: srv.WebsocketURL(),
		Username:     srv.Username(),
		Password:     srv.Password(),
	})
}

func chKey(id string) *ari.Key { return ari.NewKey(ari.ChannelKey, id) }

func code(err error) int {
	for e := err; e != nil; {
		if re, isRE := e.(native.RequestError); isRE {
			return re.Code()
		}
		if c, hasCause := e.(interface{ Cause() error }); hasCause {
			e = c.Cause()
			continue
		}
		u, isW := e.(interface{ Unwrap() error })
		if !isW {
			break
		}
		e = u.Unwrap()
	}
	return 0
}

// rawCall makes a REST call with basic auth and decodes a JSON response
// into out (if non-nil); it returns the status.
func rawCall(t testing.TB, srv *aritest.Server, method, path, body string, out any) int {
	t.Helper()
	var rd *strings.Reader
	if body != "" {
		rd = strings.NewReader(body)
	} else {
		rd = strings.NewReader("")
	}
	req, err := http.NewRequest(method, srv.URL()+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	req.SetBasicAuth(srv.Username(), srv.Password())
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	if out != nil {
		if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
			t.Fatalf("%s %s: decode: %v", method, path, err)
		}
	}
	return resp.StatusCode
}

func testCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// fast is the time scale of the scenario tests: 50x faster than real time.
const fast = 0.02
