package ari

import (
	"context"
	"encoding/base64"
	"fmt"
	"hash/maphash"
	"log/slog"
	"math/rand/v2"
	"net/url"
	"sync/atomic"
	"time"

	ariclient "github.com/CyCoreSystems/ari/v5"
	"golang.org/x/net/websocket"
)

// eventStream keeps one WebSocket to Asterisk's /ari/events open, reconnecting
// with capped exponential backoff, and hands every decoded event to onEvent
// from a single goroutine (so per-channel order is Asterisk's order).
//
// The ari/v5 native client has its own listener, but it retries every second
// forever without backoff, blocks Connect until Asterisk answers and gives no
// signal on reconnect, which the app needs to re-adopt its channels; so the
// WebSocket is ours and the library serves the REST calls and event types.
type eventStream struct {
	wsURL        string
	origin       string
	username     string
	password     string
	app          string
	reconnectMin time.Duration
	reconnectMax time.Duration
	log          *slog.Logger
	metrics      *Metrics

	connected atomic.Bool
	lastErr   atomic.Value // string

	onEvent     func(ariclient.Event)
	onConnected func(ctx context.Context) // after every (re)connect, before events flow
	fence       func() error              // nil: always allowed (see fence.go)
}

// run connects and reads until ctx is cancelled.
func (s *eventStream) run(ctx context.Context) {
	backoff := s.reconnectMin
	first := true
	for ctx.Err() == nil {
		ws, err := s.dial(ctx)
		if err != nil {
			s.lastErr.Store(err.Error())
			if first {
				s.log.Warn("ARI not reachable yet; retrying with backoff", "url", s.wsURL, "err", err)
				first = false
			} else {
				s.log.Debug("ARI connect failed", "err", err, "retry_in", backoff)
			}
			if !sleepCtx(ctx, jitter(backoff)) {
				return
			}
			backoff = min(backoff*2, s.reconnectMax)
			continue
		}
		first = true
		backoff = s.reconnectMin
		s.connected.Store(true)
		s.metrics.ariConnected.Set(1)
		s.log.Info("ARI WebSocket connected", "url", s.wsURL, "app", s.app)
		if s.onConnected != nil {
			s.onConnected(ctx)
		}
		err = s.read(ctx, ws)
		s.connected.Store(false)
		s.metrics.ariConnected.Set(0)
		_ = ws.Close()
		if ctx.Err() != nil {
			return
		}
		s.lastErr.Store(err.Error())
		s.metrics.ariReconnects.Inc()
		s.log.Warn("ARI WebSocket dropped; reconnecting", "err", err)
		if !sleepCtx(ctx, jitter(s.reconnectMin)) {
			return
		}
	}
}

func (s *eventStream) dial(ctx context.Context) (*websocket.Conn, error) {
	if s.fence != nil {
		// A fenced process must not connect: the newest WebSocket takes
		// the application, and its calls, over.
		if err := s.fence(); err != nil {
			return nil, fmt.Errorf("connect: %w: %w", ErrFenced, err)
		}
	}
	u, err := url.Parse(s.wsURL)
	if err != nil {
		return nil, fmt.Errorf("parse websocket url: %w", err)
	}
	q := u.Query()
	q.Set("app", s.app)
	u.RawQuery = q.Encode()
	cfg, err := websocket.NewConfig(u.String(), s.origin)
	if err != nil {
		return nil, fmt.Errorf("websocket config: %w", err)
	}
	cfg.Header.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(s.username+":"+s.password)))
	dctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	ws, err := cfg.DialContext(dctx)
	if err != nil {
		return nil, fmt.Errorf("dial %s: %w", s.wsURL, err)
	}
	return ws, nil
}

// read delivers events until the socket fails or ctx ends.
func (s *eventStream) read(ctx context.Context, ws *websocket.Conn) error {
	stop := context.AfterFunc(ctx, func() { _ = ws.Close() })
	defer stop()
	var seen recentEvents
	for {
		var data []byte
		if err := websocket.Message.Receive(ws, &data); err != nil {
			return fmt.Errorf("read event: %w", err)
		}
		if seen.repeat(data, time.Now()) {
			// A second copy of an event Asterisk already sent: see recentEvents.
			continue
		}
		ev, err := ariclient.DecodeEvent(data)
		if err != nil {
			// An event type this client does not know, or a malformed one: skip it, keep the socket.
			s.log.Debug("skip undecodable ARI event", "err", err, "bytes", len(data))
			continue
		}
		s.onEvent(ev)
	}
}

// status reports the connection for /readyz.
func (s *eventStream) status() error {
	if s.connected.Load() {
		return nil
	}
	if e, _ := s.lastErr.Load().(string); e != "" {
		return fmt.Errorf("ARI not connected: %s", e)
	}
	return fmt.Errorf("ARI not connected yet")
}

func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// jitter spreads reconnects of many controllers (±20%).
func jitter(d time.Duration) time.Duration {
	return time.Duration(float64(d) * (0.8 + 0.4*rand.Float64()))
}

// recentEvents drops the copies Asterisk sends of one event. Subscribing
// the application to an endpoint (endpoint:PJSIP for the operators' phone
// states) also subscribes it to the topics of the channels on that
// endpoint, so every channel event of a Stasis channel there
// (ChannelDtmfReceived, ChannelStateChange, ChannelHangupRequest, ...)
// arrives once per subscription that covers it, byte for byte identical:
// same type, timestamp (millisecond resolution), channel snapshot and
// payload (recorded from Asterisk 22, ari-traces 07). A copy is not always
// adjacent to its original when channels' events interleave, so every
// message of the last dedupeWindow (up to dedupeSize) is remembered by a
// hash of its bytes. Two genuine events are never byte-identical: a
// repeated key on the same channel has another timestamp.
//
// Deduplicating here, before dispatch, keeps every consumer (calls, legs,
// the endpoint-state listener) correct whatever the application subscribes
// to; subscribing per operator endpoint instead of endpoint:PJSIP would
// still double the operators' own channels.
type recentEvents struct {
	seed  maphash.Seed
	ring  [dedupeSize]recentEvent
	next  int
	ready bool
}

type recentEvent struct {
	sum uint64
	n   int
	at  time.Time
}

const (
	dedupeSize   = 256
	dedupeWindow = 2 * time.Second
)

// repeat records data and reports whether an identical message arrived in
// the last dedupeWindow.
func (r *recentEvents) repeat(data []byte, now time.Time) bool {
	if !r.ready {
		r.seed, r.ready = maphash.MakeSeed(), true
	}
	sum := maphash.Bytes(r.seed, data)
	for i := range r.ring {
		e := &r.ring[i]
		if e.sum == sum && e.n == len(data) && !e.at.IsZero() && now.Sub(e.at) <= dedupeWindow {
			return true
		}
	}
	r.ring[r.next] = recentEvent{sum: sum, n: len(data), at: now}
	r.next = (r.next + 1) % dedupeSize
	return false
}
