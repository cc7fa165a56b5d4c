package escalation

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/slobozhanske/hotline/ivr"
)

// Store keeps escalations and their attempts (telephony/escalation/pgstore).
type Store interface {
	// Create stores a new escalation. When the appeal already has one (or,
	// for an emergency without a card, the call has one), it stores nothing
	// and returns that one with created false.
	Create(ctx context.Context, e Escalation) (stored Escalation, created bool, err error)
	// Resumable lists what the engine must run after a start: active
	// escalations, and acknowledged ones whose history entry is not written yet.
	Resumable(ctx context.Context) ([]Escalation, error)
	// Get returns one escalation with its attempts; ErrNotFound.
	Get(ctx context.Context, id string) (Escalation, error)
	// List returns escalations, newest first, with their attempts; an empty
	// state lists every state.
	List(ctx context.Context, f Filter) ([]Escalation, error)
	// SaveProgress stores the escalation's position and state; ErrNotActive
	// when the stored escalation is no longer active (cancelled meanwhile).
	SaveProgress(ctx context.Context, e Escalation) error
	// BeginAttempt stores an attempt that is about to be made and returns its id.
	BeginAttempt(ctx context.Context, a Attempt) (int64, error)
	// AttemptAnswered stores when the person answered.
	AttemptAnswered(ctx context.Context, attemptID int64, at time.Time) error
	// FinishAttempt stores an attempt's end and, in the same transaction, the
	// escalation's new position, state or acknowledgement. When the stored
	// escalation is no longer active it stores the attempt only and returns
	// ErrNotActive.
	FinishAttempt(ctx context.Context, a Attempt, e Escalation) error
	// CloseOpenAttempts ends the attempts of an escalation that have no end
	// (a controller stopped during them) with the result interrupted.
	CloseOpenAttempts(ctx context.Context, escalationID string, at time.Time) (int, error)
	// HistoryWritten stores that the acknowledgement reached the appeal's history.
	HistoryWritten(ctx context.Context, id string, at time.Time) error
	// Cancel ends an active escalation; ErrNotFound, ErrNotActive.
	Cancel(ctx context.Context, id, by, reason string, at time.Time) (Escalation, error)
}

// Filter selects escalations to list.
type Filter struct {
	State State // empty: all
	Limit int   // 0: 100
}

// DialRequest is a call to a person on duty.
type DialRequest struct {
	Endpoint     string        // PJSIP/duty1 or PJSIP/0501234567@trunk
	CallerID     string        // what the called phone shows
	Ring         time.Duration // how long it may ring
	EscalationID string        // for logs
}

// Dialer phones people on duty (telephony/ari/dutycall over the ARI application).
type Dialer interface {
	// Dial places the call and returns once it is answered. When it is not,
	// the error is a *DialError naming the result (busy, no_answer,
	// unavailable, rejected, failed), or ctx's error when ctx ended first.
	// On error nothing it started is left behind.
	Dial(ctx context.Context, req DialRequest) (Line, error)
}

// Line is an answered call to a person on duty. One goroutine drives it; its
// owner must Hangup on every path.
type Line interface {
	// Play plays media in order; a key stops it at once and stays buffered
	// for NextKey. Once the person hung up the error wraps ivr.ErrHangup.
	Play(ctx context.Context, media ...ivr.Media) error
	// NextKey returns the next key pressed, waiting until one comes or ctx
	// ends; once the person hung up the error wraps ivr.ErrHangup.
	NextKey(ctx context.Context) (byte, error)
	// ClearKeys forgets keys pressed so far.
	ClearKeys()
	// Hangup ends the call and waits until it has left the application.
	Hangup()
}

// DialError says why a person's phone was not answered.
type DialError struct {
	Result Result // busy, no_answer, unavailable, rejected, failed
	Detail string
}

func (e *DialError) Error() string {
	if e.Detail == "" {
		return "not answered: " + string(e.Result)
	}
	return fmt.Sprintf("not answered: %s (%s)", e.Result, e.Detail)
}

// HistoryEntry is what the escalation writes on an appeal's history.
type HistoryEntry struct {
	Who    string // the person on duty, or WhoEscalation
	Action string // ActionAcknowledged, ActionAttempt, ActionExhausted, ActionCancelled
	Note   string // прийнято о 23:14 …
	Detail map[string]string
}

// AppealHistory writes entries on appeals' histories (the appeals service,
// through a small adapter in cmd/hotline). An error wrapping
// ErrAppealNotFound is final; any other error is retried.
type AppealHistory interface {
	AddHistory(ctx context.Context, appealID string, e HistoryEntry) error
}

// ErrAppealNotFound is what an AppealHistory returns for an appeal that does
// not exist: the entry is dropped (with an error log), not retried.
var ErrAppealNotFound = errors.New("appeal not found")

// The history actions the escalation writes on an appeal.
const (
	// ActionAcknowledged is a person on duty accepting the emergency (Who is that person).
	ActionAcknowledged = "duty_acknowledged"
	// ActionAttempt is a call to a person on duty that did not end in
	// acceptance: no answer, busy, unreachable, no key (Who is WhoEscalation).
	ActionAttempt = "duty_attempt"
	// ActionExhausted is the escalation giving up after max_rounds with
	// nobody accepting (Who is WhoEscalation): the card needs a person now.
	ActionExhausted = "duty_exhausted"
	// ActionCancelled is a supervisor stopping the escalation (Who is the supervisor).
	ActionCancelled = "duty_cancelled"
)

// WhoEscalation is who writes the attempts on an appeal's history.
const WhoEscalation = "system:escalation"

// DutySource says who is on duty (*Duty).
type DutySource interface {
	OnDuty(at time.Time) (Shift, bool)
}
