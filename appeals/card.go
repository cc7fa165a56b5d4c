package appeals

import "time"

// Card is one appeal (картка звернення).
type Card struct {
	ID        string
	Number    string // e.g. 2026-000123, told to the caller
	Year      int    // numbering year (in the community's time zone)
	Seq       int64  // gapless within Year
	CreatedAt time.Time
	CreatedBy string
	UpdatedAt time.Time
	Channel   Channel

	// The caller (art. 5 of the Law "On citizens' appeals"). All empty when
	// Anonymous.
	Person
	Anonymous bool

	Location string // where the problem is (a street, a building); not personal data
	Essence  string // the operator's words, agreed with the caller (art. 4.3)
	Category string
	Priority Priority
	Executor string // executor organisation code

	Status       Status
	ControlLevel ControlLevel
	AcceptBy     time.Time // the executor accepts by then (art. 5.1)
	ResolveBy    time.Time // the current resolution deadline, extensions included
	// InitialResolveBy is the classifier's deadline, before any extension.
	InitialResolveBy time.Time
	SentAt           *time.Time
	AcceptedAt       *time.Time
	ResolvedAt       *time.Time
	ClosedAt         *time.Time
	ClosureBasis     ClosureBasis
	ClosureRef       string // evidence for the closure (a photo's URL, a file id)

	RepeatOf     string // the first appeal's id, for a repeat appeal (art. 6.4)
	RepeatReason string

	Version int // optimistic concurrency: every change increments it

	// Filled by Get (not by Search).
	Calls       []CallLink
	Comments    []Comment
	Attachments []Attachment
	Extensions  []Extension

	spokenDigits string // set by the Service from the numbering config
}

// Person is the caller's personal data.
type Person struct {
	Surname      string
	FirstName    string
	Patronymic   string
	Address      string // place of residence
	ContactPhone string // normalised, e.g. +380501234567
	Email        string
}

// Empty reports whether no personal data is set.
func (p Person) Empty() bool { return p == Person{} }

// SpokenDigits are the digits read to the caller for this card's number.
func (c Card) SpokenDigits() string { return c.spokenDigits }

// Open reports whether the card is not closed.
func (c Card) Open() bool { return c.Status != StatusClosed }

// AcceptOverdue reports whether the executor has not accepted the card by
// its acceptance deadline.
func (c Card) AcceptOverdue(now time.Time) bool {
	return oneOf(c.Status, AwaitingAcceptance) && now.After(c.AcceptBy)
}

// ResolveOverdue reports whether the card is unresolved past its deadline.
func (c Card) ResolveOverdue(now time.Time) bool {
	return oneOf(c.Status, AwaitingResolution) && now.After(c.ResolveBy)
}

// Overdue reports whether any deadline of the card has passed unmet.
func (c Card) Overdue(now time.Time) bool { return c.AcceptOverdue(now) || c.ResolveOverdue(now) }

// AwaitingAcceptance are the statuses in which the executor's acceptance
// deadline runs: the card is with them and not yet accepted.
var AwaitingAcceptance = []Status{StatusSentToExecutor}

// AwaitingResolution are the statuses in which the resolution deadline runs.
var AwaitingResolution = []Status{StatusRegistered, StatusSentToExecutor, StatusAccepted, StatusInProgress, StatusReturnedForRework}

// CallLink ties a card to a call record and its recording. The call id is a
// plain reference: the call record may be written after the card.
type CallLink struct {
	CallID    string
	Recording string
	LinkedAt  time.Time
	LinkedBy  string
}

// Comment is a note on a card.
type Comment struct {
	ID     int64
	At     time.Time
	Author string
	Role   Role
	Text   string
}

// Attachment is a reference to a document, photo or scan kept elsewhere.
type Attachment struct {
	ID     int64
	At     time.Time
	Author string
	Role   Role
	Kind   AttachmentKind
	Ref    string // URL or file id
	Title  string
}

// Extension is one agreed postponement of the resolution deadline.
type Extension struct {
	At           time.Time
	By           string
	Reason       string
	PreviousBy   time.Time
	NewBy        time.Time
	ControlLevel ControlLevel // the level the card was put under
}

// HistoryEntry is one change of a card: who, in what role, when, what and why.
type HistoryEntry struct {
	ID       int64
	AppealID string
	At       time.Time
	Who      string
	Role     Role
	Action   string
	From     Status // for status changes
	To       Status
	Reason   string
	Detail   map[string]string
}

// History actions written by this package. Others may add their own through
// Service.AddHistory.
const (
	ActionCreated                 = "created"
	ActionTransition              = "transition"
	ActionUpdated                 = "updated"
	ActionExecutorAssigned        = "executor_assigned"
	ActionExecutorChangeRequested = "executor_change_requested"
	ActionDeadlineExtended        = "deadline_extended"
	ActionControlRaised           = "control_level_raised"
	ActionCommentAdded            = "comment_added"
	ActionAttachmentAdded         = "attachment_added"
	ActionCallLinked              = "call_linked"
	ActionRepeatCreated           = "repeat_created"
	ActionOverdue                 = "overdue"
)
