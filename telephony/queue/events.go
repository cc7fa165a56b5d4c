package queue

import "time"

// OperatorEventKind names what happened to an operator.
type OperatorEventKind string

const (
	EventState      OperatorEventKind = "state"       // state, pause reason or phone reachability changed
	EventOffer      OperatorEventKind = "offer"       // a call is ringing on the operator's phone
	EventOfferEnded OperatorEventKind = "offer_ended" // it stopped ringing unanswered (Detail: why)
	EventConnected  OperatorEventKind = "connected"   // the operator answered
	EventReleased   OperatorEventKind = "released"    // the call ended
)

// OperatorEvent is one entry of an operator's event stream.
type OperatorEvent struct {
	Seq        uint64
	At         time.Time
	Kind       OperatorEventKind
	OperatorID string
	State      State
	Reason     PauseReason
	Online     bool
	Call       *CallInfo
	Detail     string
}

// Subscription receives operator events until Closed. A subscriber that
// falls behind loses events (counted by Missed; Seq shows the gap) rather
// than holding the dispatcher up.
type Subscription struct {
	C          <-chan OperatorEvent
	c          chan OperatorEvent
	d          *Dispatcher
	operatorID string
	missed     int
	closed     bool
}

// Subscribe streams the events of one operator, or of all when operatorID is "".
func (d *Dispatcher) Subscribe(operatorID string) *Subscription {
	c := make(chan OperatorEvent, defaultSubscriberBacklog)
	s := &Subscription{C: c, c: c, d: d, operatorID: operatorID}
	d.mu.Lock()
	d.subs[s] = struct{}{}
	d.mu.Unlock()
	return s
}

// Close ends the subscription and closes C.
func (s *Subscription) Close() {
	s.d.mu.Lock()
	defer s.d.mu.Unlock()
	if s.closed {
		return
	}
	s.closed = true
	delete(s.d.subs, s)
	close(s.c)
}

// Missed is how many events were dropped because the subscriber was slow.
func (s *Subscription) Missed() int {
	s.d.mu.Lock()
	defer s.d.mu.Unlock()
	return s.missed
}

func (d *Dispatcher) publishLocked(ev OperatorEvent) {
	d.eventSeq++
	ev.Seq = d.eventSeq
	ev.At = d.clock.Now()
	for s := range d.subs {
		if s.operatorID != "" && s.operatorID != ev.OperatorID {
			continue
		}
		select {
		case s.c <- ev:
		default:
			s.missed++
		}
	}
}
