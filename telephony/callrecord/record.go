// Package callrecord is the record of every call: what is known when it
// arrives (Record), the steps it takes, how it ends (End), and what a
// controller that takes a call over reads back (PastCall). The records are
// written and read by telephony/callrecord/pgstore; the ARI application
// writes them through Recorder.
package callrecord

import "time"

// Recorder takes a call's record as the call goes. Its methods must not
// block call handling (pgstore.Writer queues them).
type Recorder interface {
	Start(r Record)
	Event(callID string, seq int, at time.Time, kind, node string, detail map[string]string)
	Answered(callID string, at time.Time)
	Outcome(callID, outcome, appealNumber, recording string)
	Rating(callID string, rating int)
	Ended(callID string, e End)
}

// Record is what is known of a call when it arrives.
type Record struct {
	ID           string
	ChannelID    string
	UniqueID     string
	Direction    string // inbound, outbound
	CallerNumber string
	CallerName   string
	Dialed       string
	ArrivedAt    time.Time
}

// End is how a call ended.
type End struct {
	At           time.Time
	Outcome      string
	AppealNumber string
	Recording    string
	Cause        int
	CauseText    string
}

// PastCall is the record a call left while its controller ran: what a
// restarted controller (or the standby taking over) needs to continue the
// call where it was, under the same record.
type PastCall struct {
	ID           string
	CallerNumber string
	CallerName   string
	Dialed       string
	ArrivedAt    time.Time
	AnsweredAt   time.Time // zero: not answered
	Outcome      string
	AppealNumber string
	Recording    string
	LastSeq      int        // the highest step number written; the next step is LastSeq+1
	Steps        []PastStep // in order
}

// PastStep is one written step of the call.
type PastStep struct {
	Seq    int
	At     time.Time
	Kind   string
	Node   string
	Detail map[string]string
}

// OutcomeEndNotRecorded is the outcome of a record closed by CloseOrphans:
// the call ended while no server recorded it, so how it ended is not known.
// It says what is known rather than guessing at a cause: a kill -9 or a
// crash leaves such records, but so do a power cut and a shutdown whose
// drain ran out with the database away.
const OutcomeEndNotRecorded = "end_not_recorded"

// EventRecordClosed is the kind of the event CloseOrphans adds to each
// record it closes; its detail keeps the outcome the record had
// (outcome_before) and why it was closed (reason).
const EventRecordClosed = "record_closed"

// EarlierCall is one of a caller's earlier calls, as an operator sees it.
type EarlierCall struct {
	ID           string
	ArrivedAt    time.Time
	EndedAt      *time.Time
	Outcome      string
	AppealNumber string
	Rating       *int
}

// MenuStep is one step of a call's way through the voice menu.
type MenuStep struct {
	Kind string // node, key, timeout, invalid, action, …
	Node string
	Key  string
}
