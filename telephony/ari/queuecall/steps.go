package queuecall

import "github.com/slobozhanske/hotline/ivr"

// Kinds this adapter writes to a call's record beside the menu's own.
const (
	// StepQueue is a step of a caller's stay in a queue (Node: the queue);
	// Detail["event"] says which (a queueEvent), and StayOf reads these
	// steps back to continue a stay after a restart.
	StepQueue ivr.StepKind = "queue"

	// StepOperatorFeature is an operator's feature code (*41…*44);
	// Detail: feature, endpoint, operator, error.
	StepOperatorFeature ivr.StepKind = "operator_feature"

	// OutcomeOperatorFeature is the outcome of a feature-code call: an
	// operator's, not a resident's.
	OutcomeOperatorFeature ivr.OutcomeKind = "operator_feature"

	// resultTransferred: the caller was transferred to another queue, which
	// Join follows; the menu sees it only past the hop limit.
	resultTransferred ivr.QueueResultKind = "transferred"
)

// queueEvent is what a StepQueue step records (its Detail["event"]). The
// values are written to the records and read back by StayOf, so they are
// part of the records' vocabulary: renaming one breaks the take-over of
// calls recorded before.
type queueEvent string

const (
	eventFull         queueEvent = "full"          // the queue had no room
	eventClosed       queueEvent = "closed"        // no operator could take calls
	eventJoined       queueEvent = "joined"        // Detail: priority, joined_at, taken_over
	eventLeaveMessage queueEvent = "leave_message" // the caller pressed the leave-message key
	eventAbandoned    queueEvent = "abandoned"     // the caller hung up while waiting
	eventOverflow     queueEvent = "overflow"      // max wait reached
	eventTransfer     queueEvent = "transfer"      // Detail: to, queue, by
	eventAnswered     queueEvent = "answered"      // Detail: operator, waited, leg, endpoint, bridge
	eventReadBack     queueEvent = "read_back"     // an appeal number read into the conversation
	eventOperatorLost queueEvent = "operator_lost" // the operator was gone before the bridge
	eventEnded        queueEvent = "ended"         // Detail: by (caller, operator)
	eventRating       queueEvent = "rating"        // Detail: given (1…5, none)
	eventTakenOver    queueEvent = "taken_over"    // a conversation continued after a restart
)
