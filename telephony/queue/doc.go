// Package queue is the operator queue's domain: operators and their states,
// queues and their distribution strategies, and the dispatcher that matches
// waiting callers to operators. It knows nothing of ARI, HTTP or SQL; the
// adapters (telephony/ari/queuecall for calls, telephony/queue/httpapi for
// HTTP, telephony/queue/pgstore for PostgreSQL) translate. Roster is how
// operators are added, changed and removed at run time, over the
// OperatorStore port the PostgreSQL store implements.
//
// The rules, as the dispatcher keeps them:
//
//   - An operator is logged_out, available, ringing, on_call, wrap_up or paused
//     (with a reason: break, lunch, training, no_answer, other). What the
//     operator asked for (logged out, available, paused) is their presence;
//     ringing, on a call and wrap-up are what they are doing, and show over the
//     presence until they end. A pause or logout asked for during a call takes
//     effect when the call (and its wrap-up) is over.
//   - Callers wait in order of priority (SOS first), then of arrival: first in,
//     first out within a priority. An operator in several queues takes the
//     caller who has waited longest among them.
//   - An offer is one operator's phone ringing for one caller. Every decision
//     is taken under one lock, so an operator is never offered two calls at
//     once, nor a call while ringing, on a call or in wrap-up. An operator
//     whose offer ended stays ringing until the adapter reports the phone's leg
//     gone (Decline), so the phone never rings twice.
//   - longest_idle (the default) offers the call to the free operator whose
//     last call ended longest ago; round_robin to the next free operator after
//     the one offered last; ring_all to every free operator at once, the first
//     to answer takes the call and the other phones stop. Queues may require
//     skills; an operator's penalty for a queue is the sum of their penalties
//     for its skills, and lower penalties are offered calls first.
//   - An offer not answered within the queue's ring timeout is withdrawn and the
//     caller is offered to the next operator. An operator who lets max_no_answer
//     offers in a row ring out (or reject or are unreachable) is paused with
//     reason no_answer. After a failed offer an operator is not offered another
//     call for the queue's retry delay.
//   - An answer whose operator is gone before the bridge (their leg hung up
//     between the answer and the conversation) is a failed offer, not a call:
//     the caller waits again in the place they had, the answer is taken back
//     from the statistics, and the operator rests for the retry delay without
//     wrap-up.
//   - After each call the operator has the queue's wrap-up time before the next
//     offer.
//   - An operator whose phone is offline (the endpoint state) is not offered
//     calls; an offer ringing when the phone goes offline is withdrawn.
//   - A queue takes at most max_length waiting callers; a caller who waits
//     max_wait overflows (once no phone rings for them). A caller who joins a
//     queue where no operator is logged in with a reachable phone is told the
//     queue is closed, and so are the callers still waiting when the last
//     operator of a queue logs out.
//   - Position counts the callers ahead in the same queue; the estimated wait is
//     the position times the recent average handle time (answer to the end of
//     wrap-up) divided by the operators taking calls.
//   - Requests for a call go to the goroutine that owns it, which owns its
//     bridge: a transfer, or an appeal number read to both parties of a
//     conversation (refused when nobody talks to the caller).
//   - Every change of an operator's state, pause reason or phone reachability
//     is handed to a StateLog with its time, without waiting for it.
package queue
