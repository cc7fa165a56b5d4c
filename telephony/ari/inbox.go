package ari

import (
	"sync"
	"time"

	ariclient "github.com/CyCoreSystems/ari/v5"
)

// delivery is an event on its way to the goroutine that owns a call.
type delivery struct {
	ev ariclient.Event
	at time.Time // arrival, for the handling-latency metric
}

// resync is delivered to every call after the WebSocket reconnects: events
// may have been missed, so the owner re-checks what it is waiting for.
type resync struct{ ariclient.Event }

// inbox is an unbounded, ordered queue of events for one call. The WebSocket
// reader must never block on a slow call, and a call must never lose an
// event, so it grows instead of dropping; a call consumes it continuously.
type inbox struct {
	mu     sync.Mutex
	items  []delivery
	signal chan struct{}
}

func newInbox() *inbox { return &inbox{signal: make(chan struct{}, 1)} }

func (b *inbox) push(d delivery) {
	b.mu.Lock()
	b.items = append(b.items, d)
	b.mu.Unlock()
	select {
	case b.signal <- struct{}{}:
	default:
	}
}

// putBack returns deliveries taken but not consumed to the front of the
// queue, ahead of any that arrived since, so the next wait sees them.
func (b *inbox) putBack(items []delivery) {
	if len(items) == 0 {
		return
	}
	b.mu.Lock()
	b.items = append(append(make([]delivery, 0, len(items)+len(b.items)), items...), b.items...)
	b.mu.Unlock()
	select {
	case b.signal <- struct{}{}:
	default:
	}
}

// take removes and returns everything queued.
func (b *inbox) take() []delivery {
	b.mu.Lock()
	defer b.mu.Unlock()
	items := b.items
	b.items = nil
	return items
}
