package ivr

import (
	"context"
	"errors"
	"time"
)

// Priority of a caller in a queue.
type Priority int

const (
	PriorityNormal Priority = 0
	PrioritySOS    Priority = 10 // an SOS call during working hours goes to the head of the queue
)

// QueueResult is how a caller left a queue.
type QueueResult struct {
	Kind     QueueResultKind // answered (talked to an operator), abandoned, message (chose to leave a message), overflow (max wait or queue full), closed (no operator can take calls), menu (an operator sent the caller back to the menu)
	Operator string
}

// QueueResultKind is how a caller left a queue (QueueResult.Kind).
type QueueResultKind string

// QueueResult kinds.
const (
	QueueAnswered  QueueResultKind = "answered"
	QueueAbandoned                 = "abandoned"
	QueueMessage                   = "message"
	QueueOverflow                  = "overflow"
	QueueClosed                    = "closed"
	QueueMenu                      = "menu"
)

// Queues hands a caller to an operator queue.
type Queues interface {
	// Join puts the call in the named queue and returns when the call leaves
	// it: answered and finished, abandoned, or overflowed. An empty queue name
	// means the default operator queue.
	Join(ctx context.Context, call Call, queue string, priority Priority) (QueueResult, error)
}

// NewAppeal is what the menu knows when it opens a card itself.
type NewAppeal struct {
	CallID       string
	CallerNumber string
	Recording    string
	SOS          bool   // an emergency (SOS priority) rather than a message left for the next working day
	Category     string // empty: the classifier's default for the kind
	Essence      string
}

// Appeal is an opened card as the menu needs it.
type Appeal struct {
	ID           string
	Number       string // e.g. 2026-000123
	SpokenDigits string // what the caller hears, digit by digit, e.g. "123"
	Category     string
}

// AppealStatus is what a caller may hear about an appeal: no personal data.
type AppealStatus struct {
	Number string
	Status string // registered, sent_to_executor, accepted, in_progress, resolved, closed, returned_for_rework
	DueAt  time.Time
}

// ErrAppealNotFound is returned by StatusForCaller for an unknown number.
var ErrAppealNotFound = errors.New("appeal not found")

// Appeals opens cards and answers status questions.
type Appeals interface {
	CreateFromCall(ctx context.Context, a NewAppeal) (Appeal, error)
	StatusForCaller(ctx context.Context, keyed string) (AppealStatus, error)
}

// SOSAlert is an emergency to pass to the on-duty person.
type SOSAlert struct {
	Appeal       Appeal
	CallID       string
	CallerNumber string
	Recording    string
}

// Escalations passes after-hours emergencies to the on-duty person.
type Escalations interface {
	// Start stores the escalation and returns; the calls to the on-duty chain
	// run on their own, so a new SOS never waits for another to finish. The
	// menu calls it with a context detached from the call (the escalation
	// must outlive the caller's hangup) and bounded by a timeout that ends
	// when Start returns: the chain runs on a context of its own.
	// alert.Appeal is zero when the card could not be opened (database
	// down): escalate all the same (alert.CallID is always set).
	Start(ctx context.Context, alert SOSAlert) error
}

// CallerHold keeps an after-hours SOS caller on the line until the person on
// duty accepts and is connected (escalation.keep_caller_on_line). It is
// optional: a Flow without one calls Escalations.Start and says goodbye.
type CallerHold interface {
	// StartHeld starts the escalation as Escalations.Start does and returns
	// the function that then holds the caller.
	StartHeld(ctx context.Context, alert SOSAlert) (HoldFunc, error)
}

// HoldFunc keeps the caller on the line (hold music) until they have been
// connected to the person on duty and that conversation has ended
// (connected true), or until no one can be connected any more (false). It
// must return promptly, releasing what it holds, once the caller hangs up
// (an error wrapping ErrHangup) or ctx ends.
type HoldFunc func(ctx context.Context, call Call) (connected bool, err error)

// ScheduleState is the contact centre's state when the call arrives.
type ScheduleState struct {
	State    string    // StateOpen, StateBreak, StateClosed
	NextOpen time.Time // when operators are next available (for "operators return at 12:45")
}

// ScheduleState.State values.
const (
	StateOpen   = "open"   // operators take calls
	StateBreak  = "break"  // a break (lunch) inside the working day
	StateClosed = "closed" // out of hours
)
