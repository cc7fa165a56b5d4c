package appeals

// Channel is how an appeal reached the contact centre (statute, 1.2).
type Channel string

const (
	ChannelPhone    Channel = "phone"
	ChannelWeb      Channel = "web"
	ChannelEmail    Channel = "email"
	ChannelInPerson Channel = "in_person"
	ChannelSocial   Channel = "social"
)

// Channels lists every channel, for validation and documentation.
var Channels = []Channel{ChannelPhone, ChannelWeb, ChannelEmail, ChannelInPerson, ChannelSocial}

// Valid reports whether c is a known channel.
func (c Channel) Valid() bool { return oneOf(c, Channels) }

// Priority is SOS (an emergency, art. 4.7.1) or one of the kinds of current
// appeals by the complexity of the work (art. 4.8).
type Priority string

const (
	PrioritySOS      Priority = "sos"
	PriorityOrdinary Priority = "ordinary" // звичайне: needs no further study
	PriorityMedium   Priority = "medium"   // середньострокове: a survey or complex repairs
	PriorityLong     Priority = "long"     // довгострокове: major works, other executors, funding
)

// Priorities lists every priority.
var Priorities = []Priority{PrioritySOS, PriorityOrdinary, PriorityMedium, PriorityLong}

// Valid reports whether p is a known priority.
func (p Priority) Valid() bool { return oneOf(p, Priorities) }

// Status is where a card is in its lifecycle.
type Status string

const (
	StatusRegistered        Status = "registered"
	StatusSentToExecutor    Status = "sent_to_executor"
	StatusAccepted          Status = "accepted"
	StatusInProgress        Status = "in_progress"
	StatusResolved          Status = "resolved"
	StatusClosed            Status = "closed"
	StatusReturnedForRework Status = "returned_for_rework"
)

// Statuses lists every status in lifecycle order.
var Statuses = []Status{StatusRegistered, StatusSentToExecutor, StatusAccepted, StatusInProgress,
	StatusResolved, StatusReturnedForRework, StatusClosed}

// Valid reports whether s is a known status.
func (s Status) Valid() bool { return oneOf(s, Statuses) }

// ControlLevel is the level of control over a card's resolution (art. 6.3).
type ControlLevel int

const (
	// ControlI: the executor resolves within the classifier's term.
	ControlI ControlLevel = 1
	// ControlII: additional control, an extension agreed with the executor's
	// head and the deputy mayor (6.3.1).
	ControlII ControlLevel = 2
	// ControlIII: still unresolved after levels I and II; the contact centre
	// reports to the head of the community (6.3.2).
	ControlIII ControlLevel = 3
)

// String is the Roman numeral used in the regulations.
func (l ControlLevel) String() string {
	switch l {
	case ControlI:
		return "I"
	case ControlII:
		return "II"
	case ControlIII:
		return "III"
	}
	return "?"
}

// ClosureBasis is the ground for closing a card (art. 5.6).
type ClosureBasis string

const (
	BasisActOfWorks        ClosureBasis = "act_of_works"       // act of works signed by the caller (5.6.1)
	BasisWrittenAnswer     ClosureBasis = "written_answer"     // a written answer (5.6.2)
	BasisPhoneConfirmation ClosureBasis = "phone_confirmation" // the caller confirmed by phone (5.6.3)
	BasisPhoto             ClosureBasis = "photo"              // photo or video of the works (5.6.4), needs a reference
)

// ClosureBases lists every closure basis.
var ClosureBases = []ClosureBasis{BasisActOfWorks, BasisWrittenAnswer, BasisPhoneConfirmation, BasisPhoto}

// Valid reports whether b is a known basis.
func (b ClosureBasis) Valid() bool { return oneOf(b, ClosureBases) }

// NeedsReference reports whether closing on this basis needs a reference to
// the evidence (a photo's URL or a file id).
func (b ClosureBasis) NeedsReference() bool { return b == BasisPhoto }

// Role is what a user may do.
type Role string

const (
	RoleOperator   Role = "operator"   // contact-centre operator: registers, sends, closes
	RoleExecutor   Role = "executor"   // an executor organisation's person: accepts, works, resolves
	RoleSupervisor Role = "supervisor" // controls deadlines: everything, extensions included
	RoleAdmin      Role = "admin"      // everything
	RoleSystem     Role = "system"     // the server itself: the voice menu, the overdue watcher
)

// UserRoles are the roles a person can hold (RoleSystem is the server's own).
var UserRoles = []Role{RoleOperator, RoleExecutor, RoleSupervisor, RoleAdmin}

// Valid reports whether r is a role a person can hold.
func (r Role) Valid() bool { return oneOf(r, UserRoles) }

// Actor is who asks for something: a user with a role and, for executors,
// their organisation's code.
type Actor struct {
	User     string
	Role     Role
	Executor string
}

// System is the actor for changes the server makes by itself.
func System(component string) Actor { return Actor{User: "system:" + component, Role: RoleSystem} }

// AttachmentKind says what an attachment reference points at.
type AttachmentKind string

const (
	AttachmentPhoto         AttachmentKind = "photo"
	AttachmentActOfWorks    AttachmentKind = "act_of_works"
	AttachmentWrittenAnswer AttachmentKind = "written_answer"
	AttachmentResolution    AttachmentKind = "resolution" // a scanned resolution granting additional control (6.3.1)
	AttachmentDocument      AttachmentKind = "document"
)

// AttachmentKinds lists every attachment kind.
var AttachmentKinds = []AttachmentKind{AttachmentPhoto, AttachmentActOfWorks, AttachmentWrittenAnswer, AttachmentResolution, AttachmentDocument}

// Valid reports whether k is a known kind.
func (k AttachmentKind) Valid() bool { return oneOf(k, AttachmentKinds) }

func oneOf[T comparable](v T, all []T) bool {
	for _, a := range all {
		if a == v {
			return true
		}
	}
	return false
}
