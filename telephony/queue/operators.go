package queue

import (
	"errors"
	"fmt"
	"slices"
)

// ErrNotLoggedIn: pausing an operator who is logged out.
var ErrNotLoggedIn = errors.New("operator is logged out")

// UpsertOperator adds an operator (logged out) or changes one. A change that
// takes the operator out of the queue of the call ringing, or moves their
// phone, withdraws that offer. It reports whether the operator is new.
func (d *Dispatcher) UpsertOperator(def Operator) (created bool, err error) {
	if err := def.Validate(); err != nil {
		return false, err
	}
	def = def.clone()
	d.mu.Lock()
	defer d.mu.Unlock()
	if err := d.checkLocked(def); err != nil {
		return false, err
	}
	op, exists := d.ops[def.ID]
	if !exists {
		d.opOrder++
		op = &operator{def: def, order: d.opOrder, presence: LoggedOut, online: true, idleSince: d.clock.Now()}
		d.ops[def.ID] = op
		d.opList = append(d.opList, op)
		d.endpoints[def.Endpoint] = op
		d.noteLocked(op)
		return true, nil
	}
	if o := op.offer; o != nil && !o.withdrawn && (o.Endpoint != def.Endpoint || !slices.Contains(def.Queues, o.Queue)) {
		d.withdrawLocked(o, ErrOperatorUnavailable, FailRevoked)
	}
	delete(d.endpoints, op.def.Endpoint)
	d.endpoints[def.Endpoint] = op
	op.def = def
	d.closeUnstaffedLocked()
	d.dispatchLocked()
	return false, nil
}

// CheckOperator tells whether UpsertOperator would take def, without changing anything.
func (d *Dispatcher) CheckOperator(def Operator) error {
	if err := def.Validate(); err != nil {
		return err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.checkLocked(def)
}

func (d *Dispatcher) checkLocked(def Operator) error {
	for _, q := range def.Queues {
		if _, ok := d.queues[q]; !ok {
			return &FieldError{Field: "queues", Value: q, Message: "no such queue"}
		}
	}
	if other, ok := d.endpoints[def.Endpoint]; ok && other.def.ID != def.ID {
		return &FieldError{Field: "endpoint", Value: def.Endpoint, Message: "already used by operator " + other.def.ID}
	}
	return nil
}

// RemoveOperator deletes an operator who is not ringing or on a call.
func (d *Dispatcher) RemoveOperator(id string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	op, ok := d.ops[id]
	if !ok {
		return ErrUnknownOperator
	}
	if op.offer != nil || op.activity == OnCall {
		return ErrOperatorBusy
	}
	if op.wrapTimer != nil {
		op.wrapTimer.Stop()
	}
	op.activity, op.call = "", nil
	op.presence = LoggedOut
	d.noteLocked(op)
	delete(d.ops, id)
	delete(d.endpoints, op.def.Endpoint)
	d.opList = slices.DeleteFunc(d.opList, func(o *operator) bool { return o == op })
	d.closeUnstaffedLocked()
	return nil
}

// Login makes the operator available (also out of a pause).
func (d *Dispatcher) Login(id string) error {
	return d.withOperator(id, func(op *operator) error {
		op.presence, op.reason = Available, ""
		op.noAnswers = 0
		if op.activity == "" {
			op.idleSince = d.clock.Now()
		}
		return nil
	})
}

// Logout takes the operator out of every queue. An offer ringing is
// withdrawn; a call in progress goes on, and the logout shows when it ends.
func (d *Dispatcher) Logout(id string) error {
	return d.withOperator(id, func(op *operator) error {
		op.presence, op.reason = LoggedOut, ""
		d.withdrawStandingLocked(op, ErrOperatorUnavailable)
		if op.activity == WrapUp {
			d.endWrapUpLocked(op)
		}
		d.closeUnstaffedLocked()
		return nil
	})
}

// Pause stops offers to a logged-in operator for a reason. An offer ringing
// is withdrawn; a call in progress goes on, then wrap-up, then the pause.
func (d *Dispatcher) Pause(id string, reason PauseReason) error {
	if _, err := ParsePauseReason(string(reason)); err != nil {
		return &FieldError{Field: "reason", Value: string(reason), Message: "must be break, lunch, training, no_answer or other"}
	}
	return d.withOperator(id, func(op *operator) error {
		if op.presence == LoggedOut {
			return ErrNotLoggedIn
		}
		op.presence, op.reason = Paused, reason
		d.withdrawStandingLocked(op, ErrOperatorUnavailable)
		return nil
	})
}

// Unpause makes a paused operator available again (and forgets the offers
// they let ring out).
func (d *Dispatcher) Unpause(id string) error {
	return d.withOperator(id, func(op *operator) error {
		if op.presence == LoggedOut {
			return ErrNotLoggedIn
		}
		op.presence, op.reason = Available, ""
		op.noAnswers = 0
		return nil
	})
}

func (d *Dispatcher) withOperator(id string, fn func(op *operator) error) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	op, ok := d.ops[id]
	if !ok {
		return ErrUnknownOperator
	}
	if err := fn(op); err != nil {
		return fmt.Errorf("operator %s: %w", id, err)
	}
	d.noteLocked(op)
	d.dispatchLocked()
	return nil
}

func (d *Dispatcher) withdrawStandingLocked(op *operator, cause error) {
	if o := op.offer; o != nil && !o.withdrawn {
		d.withdrawLocked(o, cause, FailRevoked)
	}
}

// EndpointState applies an endpoint state change from Asterisk ("online",
// "offline", "unknown"): an offline phone is offered no calls, and a call
// ringing on it is withdrawn. It reports whether the endpoint is an operator's.
func (d *Dispatcher) EndpointState(endpoint, state string) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	op, ok := d.endpoints[endpoint]
	if !ok {
		return false
	}
	op.online = state != "offline"
	if !op.online {
		d.withdrawStandingLocked(op, ErrOperatorOffline)
	}
	d.noteLocked(op)
	d.dispatchLocked()
	return true
}

// OperatorByEndpoint finds the operator whose phone is endpoint (PJSIP/op101).
func (d *Dispatcher) OperatorByEndpoint(endpoint string) (Operator, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	op, ok := d.endpoints[endpoint]
	if !ok {
		return Operator{}, false
	}
	return op.def.clone(), true
}
