package ivr

import (
	"context"
)

// queue hands the call to a queue and follows how it left.
//
// An SOS (PrioritySOS) that no operator can take (overflow, closed, the
// queue failing, or the caller asking to leave a message) is escalated to
// the person on duty rather than left as a message for the next working day.
func (r *run) queue(ctx context.Context, n *Node, queue string, priority Priority) (transition, string, error) {
	sos := priority == PrioritySOS
	res, err := r.f.Queues.Join(ctx, r.call, queue, priority)
	// The queue adapter sets its own outcomes (queued, answered_by_operator,
	// abandoned_in_queue) while the caller waits. Unless the queue hands the
	// caller back (message, overflow, closed, an error: see below), a hangup
	// from here on must not turn the call into hung_up_in_menu.
	r.outcomeSet, r.outcome = true, OutcomeQueued
	detail := map[string]string{"queue": queue, "result": string(res.Kind)}
	if res.Operator != "" {
		detail["operator"] = res.Operator
	}
	if sos {
		detail["priority"] = "sos"
	}
	if err != nil {
		detail["error"] = err.Error()
	}
	r.note(Step{Kind: StepQueueResult, Node: n.Name, Detail: detail})
	if err != nil {
		if ended(ctx, err) {
			if res.Kind != QueueAnswered {
				r.setOutcome(Outcome{Kind: OutcomeAbandonedInQueue})
			}
			return end, "", errCallEnded
		}
		r.log.Error("menu: queue failed; the caller is offered the next best thing", "queue", queue, "sos", sos, "err", err)
		r.backFromQueue()
		if sos {
			return r.escalate(ctx, n)
		}
		if err := r.play(ctx, false, Prompt(promptQueueFull)); err != nil {
			return end, "", err
		}
		return r.message(ctx, n)
	}
	switch res.Kind {
	case QueueAnswered:
		if sos {
			r.setOutcome(Outcome{Kind: OutcomeSOSQueued})
		} else {
			r.setOutcome(Outcome{Kind: OutcomeAnsweredByOperator})
		}
		return end, "", nil
	case QueueAbandoned:
		r.setOutcome(Outcome{Kind: OutcomeAbandonedInQueue})
		return end, "", nil
	case QueueMessage:
		r.backFromQueue()
		if sos {
			return r.escalate(ctx, n)
		}
		return r.message(ctx, n)
	case QueueClosed:
		// Nobody is logged in: "all operators are busy" would be untrue.
		r.backFromQueue()
		if sos {
			return r.escalate(ctx, n)
		}
		if err := r.play(ctx, false, Prompt(promptQueueClosed)); err != nil {
			return end, "", err
		}
		return r.message(ctx, n)
	case QueueOverflow:
		r.backFromQueue()
		if err := r.play(ctx, false, Prompt(promptQueueFull)); err != nil {
			return end, "", err
		}
		if sos {
			return r.escalate(ctx, n)
		}
		if _, ok := r.f.Menu.Node(r.opt.AfterHoursNode); ok && r.opt.OverflowToAfterHours[queue] {
			return enter, r.opt.AfterHoursNode, nil
		}
		return r.message(ctx, n)
	case QueueMenu:
		r.setOutcome(Outcome{Kind: OutcomeAnsweredByOperator})
		return stay, "", nil
	}
	r.log.Warn("menu: unknown queue result; the menu ends", "queue", queue, "result", res.Kind)
	return end, "", nil
}

// backFromQueue forgets the queue's outcome (queued) when the queue hands
// the caller back without anyone answering: the menu's outcome follows.
func (r *run) backFromQueue() { r.outcomeSet, r.outcome = false, "" }
