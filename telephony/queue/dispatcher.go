package queue

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// StateLog keeps every operator state change, for time-in-state and
// occupancy reports. Append is called under the dispatcher's lock: it must
// not block (the PostgreSQL implementation queues and writes in the background).
type StateLog interface {
	Append(StateChange)
}

// StateChange is an operator's state from At on.
type StateChange struct {
	ID         string // unique, so a replayed write is applied once
	OperatorID string
	State      State
	// Presence is what the operator asked for (logged_out, available,
	// paused); during a call a pause or logout asked for shows here first.
	Presence State
	Reason   PauseReason // when Presence is paused
	Online   bool        // the phone is reachable
	CallID   string      // the call rung, talked to or wrapped up
	Queue    string
	At       time.Time
}

// Config is what a Dispatcher is built from.
type Config struct {
	Queues    []QueueConfig
	Operators []Operator
	Clock     Clock    // nil: the wall clock
	StateLog  StateLog // nil: changes are not kept
	// Metrics, if not nil, gets the hotline_queue_* metrics.
	Metrics prometheus.Registerer
	Log     *slog.Logger
	// DefaultHandleTime is assumed for wait estimates until calls were handled (default 3m).
	DefaultHandleTime time.Duration
	// ReleaseTimeout frees an operator whose withdrawn offer the adapter never
	// confirmed ended (a safety net; default 30s).
	ReleaseTimeout time.Duration
}

// Dispatcher matches waiting callers to operators. It is safe for concurrent
// use; every decision is taken under one lock.
type Dispatcher struct {
	clock          Clock
	log            *slog.Logger
	stateLog       StateLog
	metrics        *metrics
	defaultHandle  time.Duration
	releaseTimeout time.Duration
	idPrefix       string
	startedAt      time.Time

	mu        sync.Mutex
	queues    map[string]*queueState
	queueList []*queueState
	ops       map[string]*operator
	opList    []*operator // in the order they were added (round robin's order)
	endpoints map[string]*operator
	waiting   []*Waiter          // not yet answered: by priority, then arrival
	calls     map[string]*Waiter // every caller in a queue, by call id
	seq       uint64
	opOrder   int
	subs      map[*Subscription]struct{}
	eventSeq  uint64
}

type queueState struct {
	cfg        QueueConfig
	rrLast     int // order of the operator round robin offered last
	handle     [handleTimeSamples]time.Duration
	handleN    int
	handleNext int
	stats      QueueStats
	asaSum     time.Duration
}

type operator struct {
	def       Operator
	order     int
	presence  State       // LoggedOut, Available or Paused: what the operator asked for
	reason    PauseReason // when presence is Paused
	activity  State       // "", Ringing, OnCall or WrapUp: shows over the presence
	online    bool
	since     time.Time // when the shown state began
	idleSince time.Time // end of the last call (or login)
	retryAt   time.Time // not offered calls before this
	noAnswers int       // offers in a row not taken
	handled   int
	offer     *Offer  // ringing, or withdrawn and waiting for its leg to end
	call      *Waiter // on the call or wrapping it up
	answered  time.Time
	wrapGen   int
	wrapTimer Timer
	logged    stateKey
}

type stateKey struct {
	state    State
	presence State // what the operator asked for; differs from state during a call
	reason   PauseReason
	online   bool
}

func (op *operator) state() State {
	if op.activity != "" {
		return op.activity
	}
	return op.presence
}

func (op *operator) key() stateKey {
	k := stateKey{state: op.state(), presence: op.presence, online: op.online}
	if op.presence == Paused {
		k.reason = op.reason
	}
	return k
}

func (op *operator) inQueue(q string) bool { return slices.Contains(op.def.Queues, q) }

// penalty is the operator's penalty for a queue, or false when they lack one of its skills.
func (op *operator) penalty(q *queueState) (int, bool) {
	p := 0
	for _, s := range q.cfg.Skills {
		v, ok := op.def.Skills[s]
		if !ok {
			return 0, false
		}
		p += v
	}
	return p, true
}

// New builds a dispatcher. Every operator starts logged out with a reachable
// phone; log them in (Login, Pause) to restore what they were.
func New(cfg Config) (*Dispatcher, error) {
	d := &Dispatcher{
		clock:          cfg.Clock,
		log:            cfg.Log,
		stateLog:       cfg.StateLog,
		defaultHandle:  cfg.DefaultHandleTime,
		releaseTimeout: cfg.ReleaseTimeout,
		idPrefix:       randomPrefix(),
		queues:         map[string]*queueState{},
		ops:            map[string]*operator{},
		endpoints:      map[string]*operator{},
		calls:          map[string]*Waiter{},
		subs:           map[*Subscription]struct{}{},
	}
	if d.clock == nil {
		d.clock = SystemClock()
	}
	d.startedAt = d.clock.Now()
	if d.log == nil {
		d.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if d.stateLog == nil {
		d.stateLog = discardLog{}
	}
	if d.defaultHandle <= 0 {
		d.defaultHandle = DefaultHandleTime
	}
	if d.releaseTimeout <= 0 {
		d.releaseTimeout = DefaultReleaseTimeout
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	for _, qc := range cfg.Queues {
		q := &queueState{cfg: qc.withDefaults(), rrLast: -1}
		d.queues[qc.Name] = q
		d.queueList = append(d.queueList, q)
	}
	m, err := newMetrics(cfg.Metrics, d)
	if err != nil {
		return nil, fmt.Errorf("queue metrics: %w", err)
	}
	d.metrics = m
	for _, o := range cfg.Operators {
		if _, err := d.UpsertOperator(o); err != nil {
			return nil, fmt.Errorf("operator %s: %w", o.ID, err)
		}
	}
	return d, nil
}

type discardLog struct{}

func (discardLog) Append(StateChange) {}

func randomPrefix() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// Tag marks the ids of the state changes this dispatcher logs
// ("st-<tag>-<n>"), so a restore can tell them from another's.
func (d *Dispatcher) Tag() string { return d.idPrefix }

// StartedAt is when the dispatcher was built: every state change it logs is
// at or after it, so what operators were before a restart is the state log
// before it (the new dispatcher logs everyone logged out as it starts).
func (d *Dispatcher) StartedAt() time.Time { return d.startedAt }

func (d *Dispatcher) nextID(kind string) string {
	d.seq++
	return fmt.Sprintf("%s-%s-%d", kind, d.idPrefix, d.seq)
}

// Queues lists the queues' configuration.
func (d *Dispatcher) Queues() []QueueConfig {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := make([]QueueConfig, 0, len(d.queueList))
	for _, q := range d.queueList {
		c := q.cfg
		c.Skills = slices.Clone(c.Skills)
		out = append(out, c)
	}
	return out
}

// Queue returns one queue's configuration.
func (d *Dispatcher) Queue(name string) (QueueConfig, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	q, ok := d.queues[name]
	if !ok {
		return QueueConfig{}, false
	}
	return q.cfg, true
}

// noteLocked records the operator's state if it changed: the state log, the
// operator's event stream, metrics and the log.
func (d *Dispatcher) noteLocked(op *operator) {
	k := op.key()
	if k == op.logged {
		return
	}
	prev := op.logged
	op.logged = k
	now := d.clock.Now()
	op.since = now
	ch := StateChange{ID: d.nextID("st"), OperatorID: op.def.ID, State: k.state, Presence: k.presence, Reason: k.reason, Online: k.online, At: now}
	if info := d.callInfoLocked(op); info != nil {
		ch.CallID, ch.Queue = info.CallID, info.Queue
	}
	d.stateLog.Append(ch)
	d.publishLocked(OperatorEvent{Kind: EventState, OperatorID: op.def.ID, State: k.state, Reason: k.reason, Online: k.online, Call: d.callInfoLocked(op)})
	if prev.state == "" || prev.state != k.state && (k.state == Ringing || prev.state == Ringing) {
		d.log.Debug("operator state", "operator", op.def.ID, "state", k.state, "reason", k.reason, "online", k.online, "call", ch.CallID)
		return
	}
	d.log.Info("operator state", "operator", op.def.ID, "state", k.state, "reason", k.reason, "online", k.online, "call", ch.CallID)
}

// kick re-runs the matching (after a timer).
func (d *Dispatcher) kick() {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.dispatchLocked()
}

// free reports whether the operator can be offered a call now.
func (op *operator) free(now time.Time) bool {
	return op.presence == Available && op.activity == "" && op.offer == nil && op.online && !now.Before(op.retryAt)
}

// dispatchLocked hands out offers: callers in order, each to the operators
// its queue's strategy picks among the free ones.
func (d *Dispatcher) dispatchLocked() {
	now := d.clock.Now()
	var free []*operator
	for _, op := range d.opList {
		if op.free(now) {
			free = append(free, op)
		}
	}
	for _, w := range d.waiting {
		if len(free) == 0 {
			return
		}
		if w.expired || w.final || (w.q.cfg.Strategy != RingAll && len(w.offers) > 0) {
			continue
		}
		cands := candidates(w.q, free)
		if len(cands) == 0 {
			continue
		}
		var chosen []*operator
		switch w.q.cfg.Strategy {
		case RingAll:
			chosen = cands
		case RoundRobin:
			chosen = []*operator{pickRoundRobin(w.q, cands)}
		default:
			chosen = []*operator{pickLongestIdle(cands)}
		}
		for _, op := range chosen {
			d.offerLocked(w, op, now)
			free = slices.DeleteFunc(free, func(o *operator) bool { return o == op })
		}
	}
}

// candidates are the free operators of the queue with its skills, at the lowest penalty among them.
func candidates(q *queueState, free []*operator) []*operator {
	var out []*operator
	best := -1
	for _, op := range free {
		if !op.inQueue(q.cfg.Name) {
			continue
		}
		p, ok := op.penalty(q)
		if !ok {
			continue
		}
		switch {
		case best < 0 || p < best:
			best = p
			out = append(out[:0], op)
		case p == best:
			out = append(out, op)
		}
	}
	return out
}

func pickLongestIdle(cands []*operator) *operator {
	best := cands[0]
	for _, op := range cands[1:] {
		if op.idleSince.Before(best.idleSince) {
			best = op
		}
	}
	return best
}

// pickRoundRobin takes the first candidate after the one offered last, in
// the operators' order, wrapping around.
func pickRoundRobin(q *queueState, cands []*operator) *operator {
	var next, first *operator
	for _, op := range cands {
		if first == nil || op.order < first.order {
			first = op
		}
		if op.order > q.rrLast && (next == nil || op.order < next.order) {
			next = op
		}
	}
	if next == nil {
		next = first
	}
	q.rrLast = next.order
	return next
}

func (d *Dispatcher) offerLocked(w *Waiter, op *operator, now time.Time) {
	ctx, cancel := context.WithCancelCause(context.Background())
	o := &Offer{
		ID: d.nextID("of"), CallID: w.req.CallID, CallerNumber: w.req.CallerNumber,
		Queue: w.q.cfg.Name, QueueTitle: w.q.cfg.Title, Priority: w.req.Priority,
		OperatorID: op.def.ID, OperatorName: op.def.Name, Endpoint: op.def.Endpoint,
		RingTimeout: w.q.cfg.RingTimeout, At: now,
		waiter: w, op: op, ctx: ctx, cancel: cancel,
	}
	o.ringTimer = d.clock.AfterFunc(w.q.cfg.RingTimeout, func() { d.ringTimedOut(o) })
	op.offer = o
	op.activity = Ringing
	w.offers = append(w.offers, o)
	w.pushOffer(o)
	w.q.stats.Offers++
	d.metrics.offerMade(w.q.cfg.Name)
	d.noteLocked(op)
	d.publishLocked(OperatorEvent{Kind: EventOffer, OperatorID: op.def.ID, State: Ringing, Online: op.online, Call: o.info()})
	d.log.Debug("offer", "offer", o.ID, "call", o.CallID, "queue", o.Queue, "operator", o.OperatorID)
}

func (d *Dispatcher) ringTimedOut(o *Offer) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if o.withdrawn {
		return
	}
	d.withdrawLocked(o, ErrRingTimeout, FailNoAnswer)
	d.dispatchLocked()
}

// withdrawLocked ends an offer that did not lead to a call. f says whether
// the operator's phone failed (counted toward the no_answer pause, and the
// operator rests for the retry delay) or the dispatcher withdrew it.
func (d *Dispatcher) withdrawLocked(o *Offer, cause error, f Failure) {
	if o.withdrawn {
		return
	}
	now := d.clock.Now()
	o.withdrawn = true
	o.ringTimer.Stop()
	o.cancel(cause)
	w, op, q := o.waiter, o.op, o.waiter.q
	w.offers = slices.DeleteFunc(w.offers, func(x *Offer) bool { return x == o })
	result := string(f)
	if f == FailRevoked {
		result = revokeResult(cause)
	}
	d.metrics.offerEnded(q.cfg.Name, result)
	if f.countsAsNoAnswer() {
		op.noAnswers++
		if op.noAnswers >= q.cfg.MaxNoAnswer && op.presence == Available {
			op.presence, op.reason = Paused, ReasonNoAnswer
			d.metrics.autoPaused(op.def.ID)
			d.log.Warn("operator paused: offers rang out", "operator", op.def.ID, "in_a_row", op.noAnswers, "queue", q.cfg.Name)
		}
	}
	if f != FailRevoked && q.cfg.RetryDelay > 0 {
		op.retryAt = now.Add(q.cfg.RetryDelay)
		d.clock.AfterFunc(q.cfg.RetryDelay, d.kick)
	}
	d.publishLocked(OperatorEvent{Kind: EventOfferEnded, OperatorID: op.def.ID, State: op.state(), Online: op.online, Call: o.info(), Detail: result})
	if w.expired && len(w.offers) == 0 && w.status == waiting {
		w.finish(Event{Kind: EventOverflow})
	}
	if o.taken {
		o.releaseTimer = d.clock.AfterFunc(d.releaseTimeout, func() {
			d.mu.Lock()
			defer d.mu.Unlock()
			if !o.released {
				d.log.Warn("offer's leg never reported ended; freeing the operator", "offer", o.ID, "operator", op.def.ID)
				d.releaseLocked(o)
				d.dispatchLocked()
			}
		})
	} else {
		d.releaseLocked(o)
	}
	d.noteLocked(op)
}

func revokeResult(cause error) string {
	switch cause {
	case ErrRingTimeout:
		return "no_answer"
	case ErrOperatorOffline:
		return "offline"
	case ErrOperatorUnavailable:
		return "withdrawn"
	case ErrCallerLeft:
		return "caller_left"
	case ErrAnsweredElsewhere:
		return "answered_elsewhere"
	}
	return "withdrawn"
}

// releaseLocked frees the operator of a withdrawn offer: its phone stopped ringing.
func (d *Dispatcher) releaseLocked(o *Offer) {
	if o.released {
		return
	}
	o.released = true
	if o.releaseTimer != nil {
		o.releaseTimer.Stop()
	}
	op := o.op
	if op.offer == o {
		op.offer = nil
		if op.activity == Ringing {
			op.activity = ""
		}
	}
	d.noteLocked(op)
}

// endCallLocked: the operator's call is over; wrap-up follows.
func (d *Dispatcher) endCallLocked(op *operator, w *Waiter) {
	now := d.clock.Now()
	op.handled++
	op.idleSince = now
	op.wrapGen++
	gen := op.wrapGen
	q := w.q
	d.publishLocked(OperatorEvent{Kind: EventReleased, OperatorID: op.def.ID, Online: op.online, State: op.state(), Call: w.info()})
	if q.cfg.WrapUp > 0 && op.presence != LoggedOut {
		op.activity = WrapUp
		op.wrapTimer = d.clock.AfterFunc(q.cfg.WrapUp, func() {
			d.mu.Lock()
			defer d.mu.Unlock()
			if op.wrapGen == gen && op.activity == WrapUp {
				d.endWrapUpLocked(op)
				d.dispatchLocked()
			}
		})
		d.noteLocked(op)
		return
	}
	op.activity = WrapUp // for endWrapUpLocked's bookkeeping
	d.endWrapUpLocked(op)
}

func (d *Dispatcher) endWrapUpLocked(op *operator) {
	if op.wrapTimer != nil {
		op.wrapTimer.Stop()
		op.wrapTimer = nil
	}
	if w := op.call; w != nil {
		handle := d.clock.Now().Sub(op.answered)
		w.q.addHandleTime(handle)
		d.metrics.handled(w.q.cfg.Name, handle)
	}
	op.activity = ""
	op.call = nil
	d.noteLocked(op)
}

func (q *queueState) addHandleTime(t time.Duration) {
	q.handle[q.handleNext] = t
	q.handleNext = (q.handleNext + 1) % len(q.handle)
	q.handleN = min(q.handleN+1, len(q.handle))
	q.stats.Handled++
}

// avgHandle is the recent average handle time, or def before any call.
func (q *queueState) avgHandle(def time.Duration) time.Duration {
	if q.handleN == 0 {
		return def
	}
	var sum time.Duration
	for i := range q.handleN {
		sum += q.handle[i]
	}
	return sum / time.Duration(q.handleN)
}

// staffedLocked: some operator of the queue is logged in with a reachable phone.
func (d *Dispatcher) staffedLocked(q *queueState) bool {
	for _, op := range d.opList {
		if op.presence != LoggedOut && op.online && op.inQueue(q.cfg.Name) {
			if _, ok := op.penalty(q); ok {
				return true
			}
		}
	}
	return false
}

// closeUnstaffedLocked tells the callers of queues nobody is logged in to any more.
func (d *Dispatcher) closeUnstaffedLocked() {
	for _, q := range d.queueList {
		if d.staffedLocked(q) {
			continue
		}
		for _, w := range d.waiting {
			if w.q == q && len(w.offers) == 0 {
				w.finish(Event{Kind: EventClosed})
			}
		}
	}
}
