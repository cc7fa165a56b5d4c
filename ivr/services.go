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
	Kind     string // answered (talked to an operator), abandoned, message (chose to leave a message), overflow (max wait or queue full), closed (no operator can take calls)
	Operator string
}

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
	// run on their own, so a new SOS never waits for another to finish. When
	// connect is non-nil the caller stays on the line and connect is closed
	// once the on-duty person accepts (see keep_caller_on_line).
	Start(ctx context.Context, alert SOSAlert) error
}

// ScheduleState is the contact centre's state when the call arrives.
type ScheduleState struct {
	State    string    // open, break, closed
	NextOpen time.Time // when operators are next available (for "operators return at 12:45")
}
