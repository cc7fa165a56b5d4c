package queue

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/slobozhanske/hotline/internal/fielderr"
)

// State is what an operator shows to the dispatcher and to supervisors.
type State string

const (
	LoggedOut State = "logged_out"
	Available State = "available"
	Ringing   State = "ringing"
	OnCall    State = "on_call"
	WrapUp    State = "wrap_up"
	Paused    State = "paused"
)

// States lists every state, in the order reports show them.
var States = []State{LoggedOut, Available, Ringing, OnCall, WrapUp, Paused}

// PauseReason says why an operator is paused.
type PauseReason string

const (
	ReasonBreak    PauseReason = "break"
	ReasonLunch    PauseReason = "lunch"
	ReasonTraining PauseReason = "training"
	ReasonNoAnswer PauseReason = "no_answer" // set by the dispatcher after offers ring out
	ReasonOther    PauseReason = "other"
)

// ParsePauseReason checks a pause reason given by a person.
func ParsePauseReason(s string) (PauseReason, error) {
	switch r := PauseReason(s); r {
	case ReasonBreak, ReasonLunch, ReasonTraining, ReasonNoAnswer, ReasonOther:
		return r, nil
	}
	return "", fmt.Errorf("pause reason %q: must be break, lunch, training, no_answer or other", s)
}

// Strategy is how a queue picks the operator for the caller at its head.
type Strategy string

const (
	LongestIdle Strategy = "longest_idle"
	RingAll     Strategy = "ring_all"
	RoundRobin  Strategy = "round_robin"
)

// ParseStrategy checks a strategy name; empty means longest_idle.
func ParseStrategy(s string) (Strategy, error) {
	switch st := Strategy(s); st {
	case "":
		return LongestIdle, nil
	case LongestIdle, RingAll, RoundRobin:
		return st, nil
	}
	return "", fmt.Errorf("strategy %q: must be longest_idle, ring_all or round_robin", s)
}

// QueueConfig is the part of a queue's configuration the dispatcher uses.
type QueueConfig struct {
	Name         string
	Title        string
	Strategy     Strategy
	RingTimeout  time.Duration // an offer rings this long, then goes to the next operator
	WrapUp       time.Duration // after each call, before the next offer
	MaxNoAnswer  int           // offers in a row an operator lets ring out before being paused
	RetryDelay   time.Duration // after a failed offer, before the operator is offered again
	MaxWait      time.Duration // then the caller overflows (0: no limit)
	MaxLength    int           // callers waiting at most (0: no limit)
	ServiceLevel time.Duration // answered within this counts toward the service level
	Skills       []string      // an operator needs every one of them
}

// Defaults for what a QueueConfig leaves zero.
const (
	DefaultRingTimeout       = 15 * time.Second
	DefaultMaxNoAnswer       = 3
	DefaultRetryDelay        = 5 * time.Second
	DefaultServiceLevel      = 20 * time.Second
	DefaultHandleTime        = 3 * time.Minute // estimate before any call was handled
	DefaultReleaseTimeout    = 30 * time.Second
	handleTimeSamples        = 20
	defaultSubscriberBacklog = 64
)

func (q QueueConfig) withDefaults() QueueConfig {
	if q.Strategy == "" {
		q.Strategy = LongestIdle
	}
	if q.RingTimeout <= 0 {
		q.RingTimeout = DefaultRingTimeout
	}
	if q.MaxNoAnswer <= 0 {
		q.MaxNoAnswer = DefaultMaxNoAnswer
	}
	if q.RetryDelay < 0 {
		q.RetryDelay = 0
	}
	if q.ServiceLevel <= 0 {
		q.ServiceLevel = DefaultServiceLevel
	}
	if q.Title == "" {
		q.Title = q.Name
	}
	return q
}

// Operator is a person who answers calls on a SIP phone.
type Operator struct {
	ID       string
	Name     string
	Endpoint string         // e.g. PJSIP/op101
	Queues   []string       // queues the operator takes calls from
	Skills   map[string]int // skill → penalty (0 best)
}

func (o Operator) clone() Operator {
	o.Queues = slices.Clone(o.Queues)
	if o.Skills != nil {
		s := make(map[string]int, len(o.Skills))
		for k, v := range o.Skills {
			s[k] = v
		}
		o.Skills = s
	}
	return o
}

var (
	idPattern       = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,62}$`)
	endpointPattern = regexp.MustCompile(`^[A-Za-z0-9]+/[^\s/]+$`)
	skillPattern    = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,62}$`)
)

// Validate checks an operator on its own (not against queues or other
// operators) and returns every problem, joined; each is a *FieldError named
// by the operator's key ("endpoint").
func (o Operator) Validate() error {
	var errs []error
	bad := func(field, value, format string, args ...any) {
		errs = append(errs, fielderr.Value(field, value, format, args...))
	}
	if !idPattern.MatchString(o.ID) {
		bad("id", o.ID, "must be lower-case letters, digits, _ and - (at most 63)")
	}
	if !endpointPattern.MatchString(o.Endpoint) {
		bad("endpoint", o.Endpoint, "must be TECH/resource, e.g. PJSIP/op101")
	}
	if len(o.Name) > 200 {
		bad("name", o.Name[:20]+"…", "at most 200 bytes")
	}
	seen := map[string]bool{}
	for _, q := range o.Queues {
		if seen[q] {
			bad("queues", q, "listed twice")
		}
		seen[q] = true
	}
	skills := make([]string, 0, len(o.Skills))
	for s := range o.Skills {
		skills = append(skills, s)
	}
	slices.Sort(skills)
	for _, s := range skills {
		if !skillPattern.MatchString(s) {
			bad("skills", s, "skill names are lower-case letters, digits, _ and -")
		}
		if p := o.Skills[s]; p < 0 || p > 1000 {
			bad("skills."+s, fmt.Sprint(p), "penalty must be 0–1000")
		}
	}
	return fielderr.Join(errs...)
}

// FieldError names the field of an input that is wrong.
type FieldError = fielderr.Error

// Errors the dispatcher returns.
var (
	ErrUnknownQueue    = errors.New("no such queue")
	ErrUnknownOperator = errors.New("no such operator")
	ErrDuplicate       = errors.New("already exists")
	ErrQueueFull       = errors.New("queue is full")
	ErrNoOperators     = errors.New("no operator is taking calls in this queue")
	ErrOfferGone       = errors.New("the offer no longer stands")
	ErrOperatorBusy    = errors.New("operator is ringing or on a call")
	ErrCallNotFound    = errors.New("call is not in a queue")
	ErrLeft            = errors.New("caller has left the queue")
)

// Why an offer was withdrawn (the cause of its context).
var (
	ErrRingTimeout         = errors.New("ring timeout")
	ErrOperatorOffline     = errors.New("operator's phone went offline")
	ErrOperatorUnavailable = errors.New("operator paused, logged out or changed")
	ErrCallerLeft          = errors.New("caller left the queue")
	ErrAnsweredElsewhere   = errors.New("another operator answered")
	ErrDeclined            = errors.New("offer failed")
)

// Failure is why an operator's phone did not take an offered call.
type Failure string

const (
	FailNoAnswer    Failure = "no_answer"
	FailBusy        Failure = "busy"
	FailRejected    Failure = "rejected"
	FailUnavailable Failure = "unavailable"
	FailError       Failure = "failed" // the call could not be placed
	FailRevoked     Failure = ""       // the dispatcher withdrew the offer: the adapter only confirms the phone stopped
)

// countsAsNoAnswer: failures that lead to the automatic no_answer pause.
func (f Failure) countsAsNoAnswer() bool {
	return f == FailNoAnswer || f == FailRejected || f == FailUnavailable
}

// Outcome is how a caller left a queue.
type Outcome string

const (
	OutcomeAnswered    Outcome = "answered"
	OutcomeAbandoned   Outcome = "abandoned"
	OutcomeMessage     Outcome = "message"  // chose to leave a message
	OutcomeOverflow    Outcome = "overflow" // waited max_wait, or the queue was full
	OutcomeClosed      Outcome = "closed"   // no operator takes calls
	OutcomeTransferred Outcome = "transferred"
	OutcomeError       Outcome = "error"
)

// TargetKind is where a transfer sends a call: back to the voice menu or
// to a queue.
type TargetKind string

const (
	TargetMenu  TargetKind = "menu"
	TargetQueue TargetKind = "queue"
)

// Target is where a call is transferred to.
type Target struct {
	Kind  TargetKind
	Queue string // for TargetQueue
}

// ParseTarget checks a transfer target.
func ParseTarget(kind, queue string) (Target, error) {
	switch TargetKind(strings.TrimSpace(kind)) {
	case TargetMenu:
		return Target{Kind: TargetMenu}, nil
	case TargetQueue:
		if queue == "" {
			return Target{}, &FieldError{Field: "queue", Message: "required when transferring to a queue"}
		}
		return Target{Kind: TargetQueue, Queue: queue}, nil
	}
	return Target{}, &FieldError{Field: "to", Value: kind, Message: "must be menu or queue"}
}
