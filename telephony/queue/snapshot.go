package queue

import "time"

// CallInfo is a call as an operator or supervisor sees it.
type CallInfo struct {
	OfferID      string // while ringing
	CallID       string
	CallerNumber string
	Queue        string
	Priority     int
	JoinedAt     time.Time
	Since        time.Time // rung since, or talking since
}

// OperatorSnapshot is an operator's state at a moment.
type OperatorSnapshot struct {
	Operator
	State     State
	Reason    PauseReason // when paused
	Presence  State       // what the operator asked for: logged_out, available, paused (shows after a call)
	Online    bool
	Since     time.Time
	IdleSince time.Time
	Handled   int
	NoAnswers int       // offers in a row not taken
	Call      *CallInfo // the call ringing, talked to or wrapped up
}

// CallerSnapshot is a caller in a queue.
type CallerSnapshot struct {
	CallID        string
	CallerNumber  string
	Priority      int
	JoinedAt      time.Time
	Waited        time.Duration
	Position      int // 0 once answered
	EstimatedWait time.Duration
	Ringing       []string // operators whose phones ring for the caller
	Operator      string   // who answered
}

// QueueStats count since the server started.
type QueueStats struct {
	Joined       int
	Offers       int // operator phones rung
	Answered     int
	AnsweredInSL int // answered within the service level
	Abandoned    int
	Overflowed   int // max wait, or turned away because the queue was full
	Closed       int // turned away or sent off because no operator was logged in
	Messages     int
	Transferred  int
	Handled      int
}

// QueueSnapshot is a queue at a moment.
type QueueSnapshot struct {
	Config           QueueConfig
	Waiting          []CallerSnapshot // in the order they will be served
	Talking          []CallerSnapshot // answered and still connected
	LongestWait      time.Duration
	Operators        map[State]int
	Stats            QueueStats
	ServiceLevel     float64 // answered within the threshold / (answered + abandoned); 1 when none yet
	AvgSpeedOfAnswer time.Duration
	AvgHandleTime    time.Duration
}

// Snapshot is the whole dispatcher at a moment, for supervisors.
type Snapshot struct {
	At        time.Time
	Queues    []QueueSnapshot
	Operators []OperatorSnapshot
}

// Snapshot copies the dispatcher's state.
func (d *Dispatcher) Snapshot() Snapshot {
	d.mu.Lock()
	defer d.mu.Unlock()
	now := d.clock.Now()
	s := Snapshot{At: now}
	for _, q := range d.queueList {
		s.Queues = append(s.Queues, d.queueSnapshotLocked(q, now))
	}
	for _, op := range d.opList {
		s.Operators = append(s.Operators, d.operatorSnapshotLocked(op))
	}
	return s
}

// QueueSnapshot is one queue's snapshot.
func (d *Dispatcher) QueueSnapshot(name string) (QueueSnapshot, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	q, ok := d.queues[name]
	if !ok {
		return QueueSnapshot{}, false
	}
	return d.queueSnapshotLocked(q, d.clock.Now()), true
}

// Operator is one operator's snapshot.
func (d *Dispatcher) Operator(id string) (OperatorSnapshot, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	op, ok := d.ops[id]
	if !ok {
		return OperatorSnapshot{}, false
	}
	return d.operatorSnapshotLocked(op), true
}

// Operators lists every operator's snapshot.
func (d *Dispatcher) Operators() []OperatorSnapshot {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := make([]OperatorSnapshot, 0, len(d.opList))
	for _, op := range d.opList {
		out = append(out, d.operatorSnapshotLocked(op))
	}
	return out
}

func (d *Dispatcher) operatorSnapshotLocked(op *operator) OperatorSnapshot {
	s := OperatorSnapshot{
		Operator: op.def.clone(), State: op.state(), Presence: op.presence, Online: op.online,
		Since: op.since, IdleSince: op.idleSince, Handled: op.handled, NoAnswers: op.noAnswers,
		Call: d.callInfoLocked(op),
	}
	if op.presence == Paused {
		s.Reason = op.reason
	}
	return s
}

// callInfoLocked is the call the operator is busy with, if any.
func (d *Dispatcher) callInfoLocked(op *operator) *CallInfo {
	if op.offer != nil {
		return op.offer.info()
	}
	if op.call != nil {
		return op.call.info()
	}
	return nil
}

func (d *Dispatcher) queueSnapshotLocked(q *queueState, now time.Time) QueueSnapshot {
	s := QueueSnapshot{Config: q.cfg, Operators: map[State]int{}, Stats: q.stats,
		AvgHandleTime: q.avgHandle(d.defaultHandle), ServiceLevel: 1}
	for _, w := range d.waiting {
		if w.q != q {
			continue
		}
		c := w.snapshotLocked(now)
		c.Position, c.EstimatedWait = d.positionLocked(w)
		s.Waiting = append(s.Waiting, c)
		s.LongestWait = max(s.LongestWait, c.Waited)
	}
	for _, w := range d.calls {
		if w.q == q && w.status == connected {
			s.Talking = append(s.Talking, w.snapshotLocked(now))
		}
	}
	for _, op := range d.opList {
		if op.inQueue(q.cfg.Name) {
			s.Operators[op.state()]++
		}
	}
	if n := q.stats.Answered + q.stats.Abandoned; n > 0 {
		s.ServiceLevel = float64(q.stats.AnsweredInSL) / float64(n)
	}
	if q.stats.Answered > 0 {
		s.AvgSpeedOfAnswer = q.asaSum / time.Duration(q.stats.Answered)
	}
	return s
}

func (w *Waiter) snapshotLocked(now time.Time) CallerSnapshot {
	c := CallerSnapshot{CallID: w.req.CallID, CallerNumber: w.req.CallerNumber, Priority: w.req.Priority,
		JoinedAt: w.joinedAt, Waited: now.Sub(w.joinedAt)}
	for _, o := range w.offers {
		c.Ringing = append(c.Ringing, o.OperatorID)
	}
	if w.op != nil {
		c.Operator = w.op.def.ID
		c.Waited = w.answeredAt.Sub(w.joinedAt)
	}
	return c
}

// positionLocked: callers ahead in the same queue plus one, and the
// estimated wait: position × recent average handle time ÷ operators taking
// calls (logged in, not paused, phone reachable; at least one).
func (d *Dispatcher) positionLocked(w *Waiter) (int, time.Duration) {
	pos := 0
	for _, x := range d.waiting {
		if x.q == w.q {
			pos++
		}
		if x == w {
			break
		}
	}
	staff := 0
	for _, op := range d.opList {
		if op.presence == Available && op.online && op.inQueue(w.q.cfg.Name) {
			if _, ok := op.penalty(w.q); ok {
				staff++
			}
		}
	}
	staff = max(staff, 1)
	return pos, time.Duration(pos) * w.q.avgHandle(d.defaultHandle) / time.Duration(staff)
}

// OperatorCall is the call the operator is busy with (ringing, talking,
// wrapping up), for the operator's screen.
func (d *Dispatcher) OperatorCall(id string) (*CallInfo, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	op, ok := d.ops[id]
	if !ok {
		return nil, ErrUnknownOperator
	}
	return d.callInfoLocked(op), nil
}
