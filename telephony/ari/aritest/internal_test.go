package aritest

import (
	"testing"
)

// A WebSocket whose queue is full is cut and its application deactivated
// at once; emitting never blocks.
func TestSlowWebSocketIsCut(t *testing.T) {
	s := Start(t, Options{EventBuffer: 2})
	c := &wsConn{s: s, apps: []string{"slow"}, out: make(chan []byte, 2), done: make(chan struct{})}
	if err := s.register(c); err != nil {
		t.Fatal(err)
	}
	s.lock()
	for i := 0; i < 5; i++ {
		s.emit(appSet{"slow": {}}, "ChannelUserevent", event{"eventname": "x"})
	}
	active := s.appActive("slow")
	s.unlock()
	if active {
		t.Fatal("slow application still active")
	}
	select {
	case <-c.done:
	default:
		t.Fatal("slow connection not closed")
	}
	if got := len(s.Events()); got != 2 {
		t.Fatalf("%d events queued, want 2", got)
	}
}
