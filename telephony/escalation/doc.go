// Package escalation passes after-hours emergencies to the person on duty,
// as the regulations require: "from 17:00 to 07:00 emergency (SOS) appeals
// are passed additionally by phone to the responsible person on duty".
//
// The duty roster says who is on duty when: shifts with a period and an
// ordered chain of people, each with a phone (a SIP endpoint such as
// PJSIP/duty1, or an external number dialled through the trunk). A shift
// with no period is the standing chain, used whenever no dated shift covers
// the moment.
//
// An escalation is stored before anything is done about it, then run by the
// Engine in a goroutine of its own: the first person in the chain is phoned
// with the hotline's caller id and hears "Emergency appeal number N,
// category, caller's phone", the caller's recording, and "press 1 to accept,
// 2 to hear again". Pressing 1 acknowledges: who and when are stored in the
// escalation and written to the appeal's history (duty_acknowledged, retried
// until it is written, across restarts). Every attempt that does not end in
// acceptance is written on the appeal's history too as it ends
// (duty_attempt: whom, when, what came of it), once and without retries: the
// escalation's own record stays the reference; so are giving up after the
// last round (duty_exhausted) and a supervisor's cancellation
// (duty_cancelled). No answer, busy, an
// unreachable phone, hanging up or no key within the acknowledgement
// timeout count as a failed attempt: the same person is tried again after
// the retry delay up to the attempts per person, then the next person in
// the chain. When the chain is exhausted an alert is raised (a metric and
// an error log) and the chain starts over, for at most MaxRounds rounds (0:
// until someone accepts or a supervisor cancels).
//
// Every attempt is stored when it starts and when it ends, and the
// escalation's position (round, person, attempt, when the next attempt is
// due) is stored with each result, so a restarted controller resumes every
// escalation where it stopped (Engine.Run).
//
// The package knows nothing of ARI, HTTP or SQL: it rings phones through
// Dialer and Line, stores through Store and RosterStore, writes appeal
// history through AppealHistory, and takes time from Clock. Adapters live in
// telephony/ari/dutycall, telephony/escalation/pgstore and
// telephony/escalation/httpapi (HTTP).
package escalation
