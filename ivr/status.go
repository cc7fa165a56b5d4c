package ivr

import (
	"context"
	"errors"
)

// status tells a caller the state of an appeal by its number: "enter the
// number and press #"; the number's digits until #, the node's inter-key
// timeout or Options.StatusMaxDigits; * goes back to the menu. A known
// number hears its status and, while it is open, its resolution date; an
// unknown one hears "not found" and is asked again, up to
// Options.StatusAttempts numbers (a timeout with no digit counts as one).
// Either way the call goes back to node n. Nothing but the status and the
// date is said: no names, addresses or executors.
func (r *run) status(ctx context.Context, n *Node) (transition, string, error) {
	for attempt := 1; attempt <= r.opt.StatusAttempts; attempt++ {
		r.call.ClearDigits()
		if err := r.play(ctx, true, Prompt(promptEnterNumber)); err != nil {
			return end, "", err
		}
		number, cancelled, err := r.collect(ctx, n)
		if err != nil {
			return end, "", err
		}
		step := Step{Kind: StepStatus, Node: n.Name, Key: number, Detail: map[string]string{}}
		if cancelled {
			step.Detail["result"] = "cancelled"
			r.note(step)
			return stay, "", nil
		}
		if number == "" {
			step.Detail["result"] = "empty"
			r.note(step)
			if err := r.play(ctx, false, Prompt(n.noInputPrompt())); err != nil {
				return end, "", err
			}
			continue
		}
		lctx, cancel := context.WithTimeout(ctx, r.opt.ServiceTimeout)
		st, err := r.f.Appeals.StatusForCaller(lctx, number)
		cancel()
		switch {
		case errors.Is(err, ErrAppealNotFound):
			step.Detail["result"] = "not_found"
			r.note(step)
			if err := r.play(ctx, false, Prompt(promptNotFound)); err != nil {
				return end, "", err
			}
			continue
		case err != nil:
			if ctx.Err() != nil {
				return end, "", errCallEnded
			}
			step.Detail["result"], step.Detail["error"] = "error", err.Error()
			r.note(step)
			r.log.Error("menu: appeal status lookup failed", "err", err)
			if err := r.play(ctx, false, Prompt(promptTechnical)); err != nil {
				return end, "", err
			}
			return stay, "", nil
		}
		step.Detail["result"], step.Detail["status"] = "found", st.Status
		r.note(step)
		if err := r.play(ctx, false, r.statusMedia(st)...); err != nil {
			return end, "", err
		}
		r.setSoftOutcome(OutcomeStatusGiven)
		return stay, "", nil
	}
	r.note(Step{Kind: StepStatus, Node: n.Name, Detail: map[string]string{"result": "gave_up"}})
	return stay, "", nil
}

// collect reads an appeal number: digits until #, a timeout (the node's
// first-key timeout for the first digit, then its inter-key timeout) or
// StatusMaxDigits. cancelled is true when the caller pressed *.
func (r *run) collect(ctx context.Context, n *Node) (number string, cancelled bool, err error) {
	var digits []byte
	timeout := n.firstKey()
	for len(digits) < r.opt.StatusMaxDigits {
		k, got, err := r.key(ctx, timeout)
		if err != nil {
			return "", false, err
		}
		switch {
		case !got, k == '#':
			return string(digits), false, nil
		case k == '*':
			return "", true, nil
		case isDigit(k):
			digits = append(digits, k)
		}
		timeout = n.interKey()
	}
	return string(digits), false, nil
}

// statusMedia says an appeal's status, and its resolution date while it is open.
func (r *run) statusMedia(st AppealStatus) []Media {
	out := []Media{Prompt(promptStatusIntro)}
	if id, ok := statusPrompts[st.Status]; ok {
		out = append(out, Prompt(id))
	} else {
		r.log.Warn("menu: appeal status with no prompt", "status", st.Status)
	}
	if openStatuses[st.Status] && !st.DueAt.IsZero() {
		out = append(out, Prompt(promptDueDate))
		out = append(out, SpeakDate(st.DueAt.In(r.loc))...)
	}
	return out
}
