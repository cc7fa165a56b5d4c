package ivr

// OutcomeKind is how a call ended (Outcome.Kind); it is written to the call's
// record as it is, so its values are part of the records' vocabulary.
type OutcomeKind string

// Outcome kinds the menu sets (Outcome.Kind). The queue adapter sets queued,
// answered_by_operator and abandoned_in_queue itself while the caller waits;
// the menu sets the final one when Join returns. The adapters that end a
// call themselves (the ARI app, the operators' feature codes) declare their
// own kinds beside the code that sets them.
const (
	OutcomeHungUpInMenu       OutcomeKind = "hung_up_in_menu" // the caller hung up before any handoff or answer
	OutcomeQueued                         = "queued"          // set by the queue while the caller waits
	OutcomeAnsweredByOperator             = "answered_by_operator"
	OutcomeAbandonedInQueue               = "abandoned_in_queue"
	OutcomeSOSQueued                      = "sos_queued"        // an SOS in working hours, put at the head of the queue
	OutcomeSOSEscalated                   = "sos_escalated"     // an SOS out of hours, passed to the person on duty
	OutcomeSOSNotEscalated                = "sos_not_escalated" // an SOS out of hours the escalation could not take (see the log; the recording is in the outcome)
	OutcomeMessageLeft                    = "message_left"      // a message recorded and a card opened
	OutcomeMessageNotSaved                = "message_not_saved" // a message recorded but no card could be opened (the recording is in the outcome)
	OutcomeStatusGiven                    = "status_given"      // the caller heard an appeal's status (and then hung up)
	OutcomeInfoGiven                      = "info_given"        // the caller went into a submenu or heard a "play" prompt (and then hung up)
	OutcomeEndedByMenu                    = "ended_by_menu"     // the menu said goodbye: hangup action, nothing recorded twice, loop limit
	OutcomeMenuFailed                     = "menu_failed"       // the menu could not serve the call (unknown start node, the call kept failing)
)

// StepKind is what a Step records (Step.Kind); written to the call's events
// as it is.
type StepKind string

// Step kinds the menu notes (Step.Kind). Adapters that note steps of their
// own (the queue, the router, the ARI app) declare their kinds beside the
// code that notes them.
const (
	StepNode        StepKind = "node"          // a node entered; Detail["again"] = "true" when re-entered
	StepKey                  = "key"           // a menu choice key (Key)
	StepInvalid              = "invalid"       // a key with no option in the node (Key)
	StepTimeout              = "timeout"       // no key in time
	StepExhausted            = "exhausted"     // MaxRetries failures: OnExhausted follows
	StepAction               = "action"        // an action taken; Detail: action, by (key, exhausted), node/queue/prompt
	StepQueueResult          = "queue_result"  // how the caller left a queue; Detail: result, operator, error
	StepStatus               = "status_lookup" // an appeal number keyed (Key); Detail: result (found, not_found, empty, error, cancelled, gave_up), status
	StepRecording            = "recording"     // Detail: name, duration, empty, error
	StepAppeal               = "appeal"        // a card opened (Detail: number) or not (Detail: error)
	StepEscalation           = "escalation"    // Detail: started, error, held, connected
	StepReadBack             = "read_back"     // an appeal number read back; Detail: repeat
	StepLoopLimit            = "loop_limit"    // Options.MaxNodeVisits reached
)
