package escalation

import (
	"errors"
	"slices"
	"time"

	"github.com/slobozhanske/hotline/internal/fielderr"
)

// Person is one link of the on-duty chain.
type Person struct {
	Name  string
	Phone string // a SIP endpoint (PJSIP/duty1) or an external number (0501234567, +380501234567)
}

// Shift is who is on duty for a period, in the order they are phoned. A zero
// From means "since ever", a zero To "for good"; a shift with neither is the
// standing chain.
type Shift struct {
	ID     int64
	From   time.Time
	To     time.Time
	People []Person
}

// Standing reports whether the shift is the standing chain (no period).
func (s Shift) Standing() bool { return s.From.IsZero() && s.To.IsZero() }

// Covers reports whether the shift's period contains the instant [From, To).
func (s Shift) Covers(at time.Time) bool {
	return (s.From.IsZero() || !at.Before(s.From)) && (s.To.IsZero() || at.Before(s.To))
}

func (s Shift) clone() Shift {
	s.People = slices.Clone(s.People)
	return s
}

// State is where an escalation stands.
type State string

const (
	StateActive       State = "active"       // phoning the chain
	StateAcknowledged State = "acknowledged" // someone on duty pressed 1
	StateExhausted    State = "exhausted"    // MaxRounds rounds and nobody accepted
	StateCancelled    State = "cancelled"    // a supervisor stopped it
)

// ValidState reports whether s is a known state.
func ValidState(s State) bool {
	switch s {
	case StateActive, StateAcknowledged, StateExhausted, StateCancelled:
		return true
	}
	return false
}

// Result is how one attempt to reach a person ended.
type Result string

const (
	ResultAcknowledged Result = "acknowledged" // answered and pressed 1
	ResultNoAnswer     Result = "no_answer"    // rang out
	ResultBusy         Result = "busy"
	ResultUnavailable  Result = "unavailable" // the phone is not registered or unreachable
	ResultRejected     Result = "rejected"    // declined the call
	ResultFailed       Result = "failed"      // the call could not be placed
	ResultNoAck        Result = "no_ack"      // answered, but no 1 within the acknowledgement timeout
	ResultHungUp       Result = "hung_up"     // answered, then hung up without accepting
	ResultInterrupted  Result = "interrupted" // the controller stopped during the attempt; it is made again
	ResultCancelled    Result = "cancelled"   // the escalation was cancelled during the attempt
)

// Results lists every attempt result, for metrics.
var Results = []Result{ResultAcknowledged, ResultNoAnswer, ResultBusy, ResultUnavailable, ResultRejected,
	ResultFailed, ResultNoAck, ResultHungUp, ResultInterrupted, ResultCancelled}

// Escalation is one emergency being passed to the person on duty.
type Escalation struct {
	ID           string
	AppealID     string
	AppealNumber string // 2026-000123
	SpokenDigits string // what the on-duty person hears, e.g. 123
	Category     string // classifier code, e.g. water
	CallID       string
	CallerNumber string
	Recording    string // the caller's description, played as recording:<name>

	State State
	// Position of the next attempt: Round (from 1), the chain of that round,
	// Person (index into Chain) and Try (from 1) for that person, due at
	// NextAttemptAt. Chain is empty until the round starts.
	Round         int
	Chain         []Person
	Person        int
	Try           int
	NextAttemptAt time.Time
	// RoundsExhausted counts rounds that went through the whole chain with
	// nobody accepting (each raised an alert).
	RoundsExhausted int

	AcknowledgedBy    string // the person's name
	AcknowledgedPhone string
	AcknowledgedAt    time.Time
	// HistoryWrittenAt is when the acknowledgement reached the appeal's
	// history; zero while it is still to be written.
	HistoryWrittenAt time.Time

	EndedAt   time.Time
	EndedBy   string // who cancelled
	EndReason string

	CreatedAt time.Time
	UpdatedAt time.Time

	Attempts []Attempt // filled by Store.Get and Store.List only
}

// Attempt is one phone call to a person on the chain.
type Attempt struct {
	ID           int64
	EscalationID string
	Round        int
	Person       int // index in the round's chain
	Try          int
	Name         string
	Phone        string // as on the roster
	Endpoint     string // as dialled
	StartedAt    time.Time
	AnsweredAt   time.Time // zero if never answered
	EndedAt      time.Time // zero while in progress
	Result       Result    // empty while in progress
	Detail       string
}

// FieldError is input that cannot be accepted, naming the field.
type FieldError = fielderr.Error

func invalid(field, format string, args ...any) error { return fielderr.New(field, format, args...) }

// Errors the stores and the engine return.
var (
	ErrNotFound      = errors.New("not found")
	ErrNotActive     = errors.New("escalation is not active")
	ErrShiftNotFound = errors.New("duty shift not found")
)
