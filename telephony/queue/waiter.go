package queue

import (
	"context"
	"slices"
	"time"
)

// JoinRequest is a caller entering a queue.
type JoinRequest struct {
	CallID       string
	CallerNumber string
	Queue        string
	Priority     int // higher first: SOS before everyone else
	// JoinedAt is when the caller first joined, for a call a restarted
	// controller takes over: they keep their place ahead of everyone who
	// joined later, and max_wait counts from then. Zero: now.
	JoinedAt time.Time
}

// Offer is one operator's phone ringing for one caller. The adapter that
// takes it (Waiter.TakeOffers) places the call and reports back exactly once:
// Accept when the operator answered, Decline when the phone's leg ended
// without a conversation (also after the dispatcher withdrew the offer, to say
// the phone stopped ringing).
type Offer struct {
	ID           string
	CallID       string
	CallerNumber string
	Queue        string
	QueueTitle   string
	Priority     int
	OperatorID   string
	OperatorName string
	Endpoint     string
	RingTimeout  time.Duration
	At           time.Time

	waiter *Waiter
	op     *operator
	ctx    context.Context
	cancel context.CancelCauseFunc

	// guarded by the dispatcher's lock
	withdrawn    bool // no longer stands: accepted, failed or withdrawn
	released     bool // the operator is free of it
	taken        bool // handed to the adapter
	ringTimer    Timer
	releaseTimer Timer
}

// Done is closed when the dispatcher withdraws the offer (ring timeout, the
// operator's phone went offline, the operator paused, the caller left,
// another operator answered): stop ringing the phone.
func (o *Offer) Done() <-chan struct{} { return o.ctx.Done() }

// Context is cancelled when the offer is withdrawn; its cause says why.
func (o *Offer) Context() context.Context { return o.ctx }

// Err is why the offer was withdrawn, or nil while it stands.
func (o *Offer) Err() error {
	if o.ctx.Err() == nil {
		return nil
	}
	return context.Cause(o.ctx)
}

func (o *Offer) info() *CallInfo {
	return &CallInfo{OfferID: o.ID, CallID: o.CallID, CallerNumber: o.CallerNumber, Queue: o.Queue,
		Priority: o.Priority, JoinedAt: o.waiter.joinedAt, Since: o.At}
}

// EventKind is what the dispatcher tells a waiting caller's owner.
type EventKind string

const (
	EventOverflow EventKind = "overflow"  // waited max_wait: take the overflow action
	EventClosed   EventKind = "closed"    // the last operator of the queue logged out
	EventTransfer EventKind = "transfer"  // a person moved the call: to the menu or another queue
	EventReadBack EventKind = "read_back" // read digits to both parties of the conversation (answer ReadBack.Done)
)

// Event is a message to the goroutine that owns a caller.
type Event struct {
	Kind     EventKind
	Transfer Target
	By       string    // who asked for a transfer
	ReadBack *ReadBack // for EventReadBack
}

type waiterStatus int

const (
	waiting waiterStatus = iota
	connected
	left
)

// Waiter is one caller in a queue, from Join until Leave. The goroutine that
// owns the call uses it; its methods are safe to call from other goroutines.
type Waiter struct {
	d        *Dispatcher
	req      JoinRequest
	q        *queueState
	seq      uint64
	joinedAt time.Time

	offerSig chan struct{}
	eventSig chan struct{}

	// guarded by the dispatcher's lock
	status     waiterStatus
	offers     []*Offer // standing
	newOffers  []*Offer // not yet taken
	events     []Event
	op         *operator
	answeredAt time.Time
	expired    bool // waited max_wait
	final      bool // told to leave (overflow, closed, transfer)
	released   bool
	maxWait    Timer
}

// Join puts a caller in a queue. ErrQueueFull (max_length) and
// ErrNoOperators (nobody logged in with a reachable phone) turn the caller away.
func (d *Dispatcher) Join(req JoinRequest) (*Waiter, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	q, ok := d.queues[req.Queue]
	if !ok {
		return nil, ErrUnknownQueue
	}
	if _, dup := d.calls[req.CallID]; dup || req.CallID == "" {
		return nil, &FieldError{Field: "call_id", Value: req.CallID, Message: "empty or already in a queue"}
	}
	if !d.staffedLocked(q) {
		q.stats.Closed++
		d.metrics.turnedAway(q.cfg.Name, "closed")
		return nil, ErrNoOperators
	}
	if q.cfg.MaxLength > 0 && d.countWaitingLocked(q) >= q.cfg.MaxLength {
		q.stats.Overflowed++
		d.metrics.turnedAway(q.cfg.Name, "full")
		return nil, ErrQueueFull
	}
	w := d.newWaiterLocked(req, q)
	d.insertWaitingLocked(w)
	q.stats.Joined++
	d.metrics.joined(q.cfg.Name)
	if q.cfg.MaxWait > 0 {
		// A caller taken over after a restart has waited already.
		w.armMaxWaitLocked(max(q.cfg.MaxWait-d.clock.Now().Sub(w.joinedAt), time.Millisecond))
	}
	d.dispatchLocked()
	return w, nil
}

func (d *Dispatcher) newWaiterLocked(req JoinRequest, q *queueState) *Waiter {
	d.seq++
	joined := req.JoinedAt
	if now := d.clock.Now(); joined.IsZero() || joined.After(now) {
		joined = now
	}
	w := &Waiter{d: d, req: req, q: q, seq: d.seq, joinedAt: joined,
		offerSig: make(chan struct{}, 1), eventSig: make(chan struct{}, 1)}
	d.calls[req.CallID] = w
	return w
}

// Reattach gives back a conversation that a restarted controller found in
// Asterisk: the caller was answered by operatorID at answeredAt and is
// still talking. The operator is on that call again (offered nothing until
// Release, then wrap-up as after any call). The operator must be known and
// free of any other call; their presence (logged in, paused) is what was
// restored for them.
func (d *Dispatcher) Reattach(req JoinRequest, operatorID string, answeredAt time.Time) (*Waiter, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	q, ok := d.queues[req.Queue]
	if !ok {
		return nil, ErrUnknownQueue
	}
	if _, dup := d.calls[req.CallID]; dup || req.CallID == "" {
		return nil, &FieldError{Field: "call_id", Value: req.CallID, Message: "empty or already in a queue"}
	}
	op, ok := d.ops[operatorID]
	if !ok {
		return nil, ErrUnknownOperator
	}
	if op.call != nil || op.offer != nil {
		return nil, &FieldError{Field: "operator_id", Value: operatorID, Message: "already ringing or on another call"}
	}
	w := d.newWaiterLocked(req, q)
	now := d.clock.Now()
	if answeredAt.IsZero() || answeredAt.After(now) {
		answeredAt = now
	}
	w.status, w.op, w.answeredAt = connected, op, answeredAt
	op.activity, op.call, op.answered = OnCall, w, answeredAt
	d.noteLocked(op)
	d.publishLocked(OperatorEvent{Kind: EventConnected, OperatorID: op.def.ID, State: OnCall, Online: op.online, Call: w.info()})
	d.log.Info("conversation taken over after a restart", "call", req.CallID, "operator", operatorID, "queue", req.Queue)
	return w, nil
}

// insertWaitingLocked puts a caller in line: by priority, then by when they
// joined, then by arrival (seq), so a caller put back keeps the place they
// had and one taken over after a restart keeps theirs.
func (d *Dispatcher) insertWaitingLocked(w *Waiter) {
	i, _ := slices.BinarySearchFunc(d.waiting, w, func(a, b *Waiter) int {
		if a.req.Priority != b.req.Priority {
			return b.req.Priority - a.req.Priority
		}
		if c := a.joinedAt.Compare(b.joinedAt); c != 0 {
			return c
		}
		return int(a.seq - b.seq)
	})
	d.waiting = slices.Insert(d.waiting, i, w)
}

// armMaxWaitLocked overflows the caller once they have waited max_wait
// (after, from now) and no phone rings for them.
func (w *Waiter) armMaxWaitLocked(after time.Duration) {
	d := w.d
	w.maxWait = d.clock.AfterFunc(after, func() {
		d.mu.Lock()
		defer d.mu.Unlock()
		if w.status == waiting && !w.expired {
			w.expired = true
			if len(w.offers) == 0 {
				w.finish(Event{Kind: EventOverflow})
			}
		}
	})
}

func (d *Dispatcher) countWaitingLocked(q *queueState) int {
	n := 0
	for _, w := range d.waiting {
		if w.q == q {
			n++
		}
	}
	return n
}

// CallID is the call's id.
func (w *Waiter) CallID() string { return w.req.CallID }

// Queue is the queue's name.
func (w *Waiter) Queue() string { return w.q.cfg.Name }

// JoinedAt is when the caller joined.
func (w *Waiter) JoinedAt() time.Time { return w.joinedAt }

// Offers is signalled when offers wait to be taken.
func (w *Waiter) Offers() <-chan struct{} { return w.offerSig }

// TakeOffers returns the offers made since the last call. Each must be
// answered with Accept or Decline.
func (w *Waiter) TakeOffers() []*Offer {
	w.d.mu.Lock()
	defer w.d.mu.Unlock()
	out := w.newOffers
	w.newOffers = nil
	for _, o := range out {
		o.taken = true
	}
	// Offers already withdrawn before they were taken were released then.
	return slices.DeleteFunc(out, func(o *Offer) bool { return o.released })
}

// Events is signalled when events wait to be taken.
func (w *Waiter) Events() <-chan struct{} { return w.eventSig }

// TakeEvents returns the events since the last call.
func (w *Waiter) TakeEvents() []Event {
	w.d.mu.Lock()
	defer w.d.mu.Unlock()
	out := w.events
	w.events = nil
	return out
}

func (w *Waiter) pushOffer(o *Offer) {
	w.newOffers = append(w.newOffers, o)
	select {
	case w.offerSig <- struct{}{}:
	default:
	}
}

func (w *Waiter) push(ev Event) {
	w.events = append(w.events, ev)
	select {
	case w.eventSig <- struct{}{}:
	default:
	}
}

// finish tells the owner to take the caller out of the queue (once); no
// more offers are made to them.
func (w *Waiter) finish(ev Event) {
	if w.final {
		return
	}
	w.final = true
	w.push(ev)
}

// Accept: the operator answered this offer. ErrOfferGone if it had been
// withdrawn (hang the operator's leg up) or the caller is no longer waiting.
// The caller's other offers are withdrawn.
func (w *Waiter) Accept(o *Offer) error {
	d := w.d
	d.mu.Lock()
	defer d.mu.Unlock()
	if o.waiter != w || o.withdrawn || w.status != waiting {
		return ErrOfferGone
	}
	now := d.clock.Now()
	op := o.op
	o.withdrawn, o.released = true, true
	o.ringTimer.Stop()
	w.offers = slices.DeleteFunc(w.offers, func(x *Offer) bool { return x == o })
	op.offer = nil
	op.activity = OnCall
	op.call = w
	op.answered = now
	op.noAnswers = 0
	w.status = connected
	w.op = op
	w.answeredAt = now
	if w.maxWait != nil {
		w.maxWait.Stop()
	}
	d.waiting = slices.DeleteFunc(d.waiting, func(x *Waiter) bool { return x == w })
	waited := now.Sub(w.joinedAt)
	q := w.q
	q.stats.Answered++
	q.asaSum += waited
	within := waited <= q.cfg.ServiceLevel
	if within {
		q.stats.AnsweredInSL++
	}
	d.metrics.offerEnded(q.cfg.Name, "answered")
	d.metrics.answered(q.cfg.Name, waited, within)
	for _, other := range slices.Clone(w.offers) {
		d.withdrawLocked(other, ErrAnsweredElsewhere, FailRevoked)
	}
	d.noteLocked(op)
	d.publishLocked(OperatorEvent{Kind: EventConnected, OperatorID: op.def.ID, State: OnCall, Online: op.online, Call: w.info()})
	d.log.Debug("answered", "call", w.req.CallID, "operator", op.def.ID, "waited", waited)
	d.dispatchLocked()
	return nil
}

// ConnectFailed: the operator who answered was gone before the conversation
// began (their leg hung up, or could not be bridged, between the answer and
// the bridge). Nobody talked, so it is a failed offer rather than a handled
// call: the answer is taken back from the queue's statistics, the operator
// is free again without wrap-up but only after the queue's retry delay (the
// caller goes to the next operator first), and the caller waits again in the
// place they had. The adapter hangs the operator's leg up before calling it,
// so the phone is idle when offered again. It applies only between Accept
// and Release; otherwise it does nothing.
func (w *Waiter) ConnectFailed() {
	d := w.d
	d.mu.Lock()
	defer d.mu.Unlock()
	if w.status != connected || w.released {
		return
	}
	now := d.clock.Now()
	op, q := w.op, w.q
	waited := w.answeredAt.Sub(w.joinedAt)
	q.stats.Answered--
	q.asaSum -= waited
	if waited <= q.cfg.ServiceLevel {
		q.stats.AnsweredInSL--
	}
	// Prometheus counters cannot go back: the lost answer is counted apart.
	d.metrics.connectFailed(q.cfg.Name)

	info := w.info()
	op.activity, op.call, op.answered = "", nil, time.Time{}
	if q.cfg.RetryDelay > 0 {
		op.retryAt = now.Add(q.cfg.RetryDelay)
		d.clock.AfterFunc(q.cfg.RetryDelay, d.kick)
	}
	d.noteLocked(op)
	d.publishLocked(OperatorEvent{Kind: EventReleased, OperatorID: op.def.ID, State: op.state(), Online: op.online, Call: info, Detail: "connect_failed"})

	w.status, w.op, w.answeredAt = waiting, nil, time.Time{}
	w.refuseReadBacksLocked()
	d.insertWaitingLocked(w)
	if q.cfg.MaxWait > 0 {
		if left := q.cfg.MaxWait - now.Sub(w.joinedAt); left > 0 {
			w.armMaxWaitLocked(left)
		} else {
			w.expired = true
			w.finish(Event{Kind: EventOverflow})
		}
	}
	d.log.Debug("connect failed; caller waits again", "call", w.req.CallID, "operator", op.def.ID)
	d.closeUnstaffedLocked() // the operator may have logged out meanwhile
	d.dispatchLocked()
}

// Decline: the offer's phone leg ended without a conversation, for reason f.
// FailRevoked says the phone was stopped without its fault: after the
// dispatcher withdrew the offer, or because the caller is leaving. The
// operator is free again.
func (w *Waiter) Decline(o *Offer, f Failure) {
	d := w.d
	d.mu.Lock()
	defer d.mu.Unlock()
	if o.waiter != w {
		return
	}
	if !o.withdrawn {
		cause := ErrDeclined
		if f == FailRevoked { // the adapter stopped ringing: the caller is leaving
			cause = ErrCallerLeft
		}
		d.withdrawLocked(o, cause, f)
	}
	d.releaseLocked(o)
	d.dispatchLocked()
}

// Release: the conversation is over (either side hung up); the operator
// goes to wrap-up. The caller may still be in the app (a goodbye, a rating).
func (w *Waiter) Release() {
	d := w.d
	d.mu.Lock()
	defer d.mu.Unlock()
	w.releaseLocked()
	d.dispatchLocked()
}

func (w *Waiter) releaseLocked() {
	if w.status != connected || w.released {
		return
	}
	w.released = true
	w.refuseReadBacksLocked()
	w.d.endCallLocked(w.op, w)
}

// Leave takes the caller out of the queue for good; safe to call more than
// once (the first outcome counts). Offers still ringing are withdrawn, and a
// conversation still going is released.
func (w *Waiter) Leave(outcome Outcome) {
	d := w.d
	d.mu.Lock()
	defer d.mu.Unlock()
	switch w.status {
	case left:
		return
	case waiting:
		now := d.clock.Now()
		if w.maxWait != nil {
			w.maxWait.Stop()
		}
		d.waiting = slices.DeleteFunc(d.waiting, func(x *Waiter) bool { return x == w })
		for _, o := range slices.Clone(w.offers) {
			d.withdrawLocked(o, ErrCallerLeft, FailRevoked)
		}
		w.newOffers = nil // withdrawn above; untaken offers were released then
		waited := now.Sub(w.joinedAt)
		switch outcome {
		case OutcomeAbandoned, OutcomeError:
			w.q.stats.Abandoned++
		case OutcomeOverflow:
			w.q.stats.Overflowed++
		case OutcomeClosed:
			w.q.stats.Closed++
		case OutcomeMessage:
			w.q.stats.Messages++
		case OutcomeTransferred:
			w.q.stats.Transferred++
		}
		d.metrics.left(w.q.cfg.Name, outcome, waited)
	case connected:
		w.releaseLocked()
	}
	w.status = left
	w.refuseReadBacksLocked()
	delete(d.calls, w.req.CallID)
	d.dispatchLocked()
}

// Position is where a waiting caller stands.
type Position struct {
	Position      int           // 1 = next; 0 when no longer waiting
	EstimatedWait time.Duration // from the recent handle times and the operators taking calls
	Waited        time.Duration
}

// Position tells the caller's place in line and the estimated wait.
func (w *Waiter) Position() Position {
	d := w.d
	d.mu.Lock()
	defer d.mu.Unlock()
	p := Position{Waited: d.clock.Now().Sub(w.joinedAt)}
	if w.status != waiting {
		return p
	}
	p.Position, p.EstimatedWait = d.positionLocked(w)
	return p
}

// Operator is who answered, once the call is connected.
func (w *Waiter) Operator() (Operator, bool) {
	w.d.mu.Lock()
	defer w.d.mu.Unlock()
	if w.op == nil {
		return Operator{}, false
	}
	return w.op.def.clone(), true
}

func (w *Waiter) info() *CallInfo {
	return &CallInfo{CallID: w.req.CallID, CallerNumber: w.req.CallerNumber, Queue: w.q.cfg.Name,
		Priority: w.req.Priority, JoinedAt: w.joinedAt, Since: w.answeredAt}
}

// Transfer asks the goroutine that owns a call to move it: back to the menu
// or to another queue. It works while the caller waits and while they talk.
func (d *Dispatcher) Transfer(callID string, to Target, by string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	w, ok := d.calls[callID]
	if !ok {
		return ErrCallNotFound
	}
	if to.Kind == TargetQueue {
		if _, ok := d.queues[to.Queue]; !ok {
			return &FieldError{Field: "queue", Value: to.Queue, Message: "no such queue"}
		}
	}
	ev := Event{Kind: EventTransfer, Transfer: to, By: by}
	if w.status == waiting {
		w.finish(ev)
	} else {
		w.push(ev)
	}
	d.log.Info("transfer requested", "call", callID, "to", to.Kind, "queue", to.Queue, "by", by)
	return nil
}
