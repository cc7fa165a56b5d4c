package esctest

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/slobozhanske/hotline/ivr"
	"github.com/slobozhanske/hotline/telephony/escalation"
)

// Behaviour is how a phone on duty takes one call.
type Behaviour struct {
	// Result is busy, unavailable, rejected or failed for a call that is
	// never answered, no_answer for one that rings out (after the ring
	// timeout), or empty for a call that is answered.
	Result escalation.Result
	// After is how long it rings before the answer (or the refusal).
	After time.Duration
	// Keys are pressed one per question ("press 1 to accept, 2 to hear
	// again"): '1', '2', any other key, '-' for none (the person stays
	// silent), 'h' to hang up instead. Questions past the end get no key.
	Keys string
	// Listen is how long (on the clock) each Play lasts before its keys
	// are pressed: the time the person spends hearing the prompts.
	Listen time.Duration
}

// Scripted behaviours, named as the regulations' situations.
var (
	DoesNotAnswer   = Behaviour{Result: escalation.ResultNoAnswer}
	Busy            = Behaviour{Result: escalation.ResultBusy}
	Unavailable     = Behaviour{Result: escalation.ResultUnavailable}
	AnswersSilently = Behaviour{Keys: "-"}
	HangsUp         = Behaviour{Keys: "h"}
)

// Accepts answers after ringing for d and presses 1.
func Accepts(after time.Duration) Behaviour { return Behaviour{After: after, Keys: "1"} }

// Call is one call a phone on duty received.
type Call struct {
	Endpoint string
	CallerID string
	At       time.Time
	Answered bool
	Heard    []ivr.Media // everything played to it, in order
}

// Phones are the phones on duty: each endpoint follows its script, one
// behaviour per call, the last repeated. It implements escalation.Dialer.
type Phones struct {
	clock    escalation.Clock
	question ivr.Media

	mu      sync.Mutex
	scripts map[string][]Behaviour
	calls   []*Call
	live    int // ringing or answered, not hung up
}

var _ escalation.Dialer = (*Phones)(nil)

// NewPhones returns phones that take time from clock. A phone without a
// script does not answer.
func NewPhones(clock escalation.Clock) *Phones {
	return &Phones{clock: clock, question: escalation.DefaultPrompts().PressAccept, scripts: map[string][]Behaviour{}}
}

// Script sets how an endpoint (as dialled) takes its next calls.
func (p *Phones) Script(endpoint string, calls ...Behaviour) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.scripts[endpoint] = append(p.scripts[endpoint], calls...)
}

func (p *Phones) next(endpoint string) Behaviour {
	p.mu.Lock()
	defer p.mu.Unlock()
	s := p.scripts[endpoint]
	switch len(s) {
	case 0:
		return DoesNotAnswer
	case 1:
		return s[0]
	}
	p.scripts[endpoint] = s[1:]
	return s[0]
}

// Calls returns a copy of every call received so far, in order.
func (p *Phones) Calls() []Call {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([]Call, len(p.calls))
	for i, c := range p.calls {
		out[i] = *c
		out[i].Heard = slices.Clone(c.Heard)
	}
	return out
}

// CallsTo counts the calls an endpoint received.
func (p *Phones) CallsTo(endpoint string) int {
	n := 0
	for _, c := range p.Calls() {
		if c.Endpoint == endpoint {
			n++
		}
	}
	return n
}

// Live is the number of calls ringing or answered and not hung up: zero
// once everything is cleaned up.
func (p *Phones) Live() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.live
}

// Dial implements escalation.Dialer.
func (p *Phones) Dial(ctx context.Context, req escalation.DialRequest) (escalation.Line, error) {
	b := p.next(req.Endpoint)
	p.mu.Lock()
	call := &Call{Endpoint: req.Endpoint, CallerID: req.CallerID, At: p.clock.Now()}
	p.calls = append(p.calls, call)
	p.live++
	p.mu.Unlock()
	fail := func(err error) (escalation.Line, error) {
		p.mu.Lock()
		p.live--
		p.mu.Unlock()
		return nil, err
	}
	wait := b.After
	if b.Result == escalation.ResultNoAnswer {
		wait = req.Ring // Asterisk ends the ringing at the originate timeout
	}
	if wait > 0 {
		done := make(chan struct{})
		t := p.clock.AfterFunc(wait, func() { close(done) })
		select {
		case <-done:
		case <-ctx.Done():
			t.Stop()
			return fail(ctx.Err())
		}
	}
	if b.Result != "" {
		return fail(&escalation.DialError{Result: b.Result, Detail: "scripted"})
	}
	p.mu.Lock()
	call.Answered = true
	p.mu.Unlock()
	return &line{p: p, call: call, keys: b.Keys, listen: b.Listen, signal: make(chan struct{}, 1)}, nil
}

// line is an answered call to a scripted phone.
type line struct {
	p      *Phones
	call   *Call
	keys   string // still to press, one per question
	listen time.Duration
	mu     sync.Mutex
	buffer []byte
	farEnd bool // the person hung up
	ended  bool // we hung up
	signal chan struct{}
}

func (l *line) Play(ctx context.Context, media ...ivr.Media) error {
	if l.listen > 0 {
		done := make(chan struct{})
		t := l.p.clock.AfterFunc(l.listen, func() { close(done) })
		select {
		case <-done:
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("play: %w", ctx.Err())
		}
	}
	for _, m := range media {
		l.mu.Lock()
		if l.ended {
			l.mu.Unlock()
			return fmt.Errorf("play on a call already hung up")
		}
		if l.farEnd {
			l.mu.Unlock()
			return fmt.Errorf("play: %w", ivr.ErrHangup)
		}
		if len(l.buffer) > 0 {
			l.mu.Unlock()
			return nil // a key stops the playback
		}
		l.p.mu.Lock()
		l.call.Heard = append(l.call.Heard, m)
		l.p.mu.Unlock()
		if m == l.p.question && l.keys != "" {
			k := l.keys[0]
			l.keys = l.keys[1:]
			switch k {
			case '-':
			case 'h':
				l.farEnd = true
			default:
				l.buffer = append(l.buffer, k)
			}
			select {
			case l.signal <- struct{}{}:
			default:
			}
		}
		l.mu.Unlock()
		if err := ctx.Err(); err != nil {
			return err
		}
	}
	return nil
}

func (l *line) NextKey(ctx context.Context) (byte, error) {
	for {
		l.mu.Lock()
		if len(l.buffer) > 0 {
			k := l.buffer[0]
			l.buffer = l.buffer[1:]
			l.mu.Unlock()
			return k, nil
		}
		if l.farEnd {
			l.mu.Unlock()
			return 0, fmt.Errorf("wait for a key: %w", ivr.ErrHangup)
		}
		l.mu.Unlock()
		select {
		case <-l.signal:
		case <-ctx.Done():
			return 0, ctx.Err()
		}
	}
}

func (l *line) ClearKeys() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.buffer = nil
}

func (l *line) Hangup() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.ended {
		return
	}
	l.ended = true
	l.p.mu.Lock()
	l.p.live--
	l.p.mu.Unlock()
}
