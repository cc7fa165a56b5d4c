package ivr

import (
	"context"
	"errors"
	"strconv"
)

// essenceSilentSOS is the card's essence when the caller said nothing.
const essenceSilentSOS = "Аварійне звернення з голосового меню без запису (заявник нічого не сказав або запис не вдався). Зателефонуйте заявнику."

// sos is the emergency key. In working hours (state open) the caller goes to
// the head of the operator queue (PrioritySOS; outcome sos_queued once
// answered). Otherwise (break, closed, or a state the menu does not know)
// the emergency is recorded and escalated to the person on duty.
func (r *run) sos(ctx context.Context, n *Node) (transition, string, error) {
	if r.state.State == StateOpen {
		return r.queue(ctx, n, r.opt.OperatorQueue, PrioritySOS)
	}
	return r.escalate(ctx, n)
}

// escalate records an emergency and passes it to the person on duty:
//
//  1. sos-intro and sos-record, the beep, the recording (# ends it); nothing
//     said → recording-empty and once more;
//  2. an SOS card (Appeals.CreateFromCall, SOS true);
//  3. the escalation (Escalations.Start, or Hold.StartHeld to keep the
//     caller on the line) — before anything is read to the caller, so the
//     duty phone rings while they listen;
//  4. sos-alerted if the escalation started (technical-problem if not), the
//     card's number read back if there is a card;
//  5. with Hold, sos-stay-on-line and the hold until connected; then goodbye.
//
// The emergency is escalated even when the caller said nothing (twice) or
// the recording failed (they may be unable to speak; the person on duty
// calls back), when the card could not be opened (the alert then has no
// appeal), when the caller hung up after the beep, and when the Call keeps
// failing. A caller who hangs up before the beep is not escalated. Steps 2 and 3 use a context detached
// from the call. The outcome is sos_escalated, or sos_not_escalated when
// the escalation could not start, with the appeal number and the recording.
func (r *run) escalate(ctx context.Context, n *Node) (transition, string, error) {
	rec, got, callOver := r.record(ctx, n, "sos", r.opt.SOS, []string{promptSOSIntro, promptSOSRecord}, []string{promptSOSRecord})
	if callOver != nil && got != takeKept && errors.Is(callOver, errCallEnded) {
		r.log.Warn("menu: an SOS caller hung up before the recording; nothing to escalate")
		return end, "", callOver
	}
	recording := ""
	if got == takeKept {
		recording = rec.Name
	}
	appeal, cardErr := r.openSOSCard(ctx, n, recording)
	alert := SOSAlert{Appeal: appeal, CallID: r.call.ID(), CallerNumber: r.call.CallerNumber(), Recording: recording}
	hold, escErr := r.startEscalation(ctx, n, alert, callOver == nil)
	outcome := Outcome{Kind: OutcomeSOSEscalated, AppealNumber: appeal.Number, Recording: recording}
	if escErr != nil {
		outcome.Kind = OutcomeSOSNotEscalated
	}
	r.setOutcome(outcome)
	if callOver != nil {
		return end, "", callOver
	}
	if escErr == nil {
		if err := r.play(ctx, false, Prompt(promptSOSAlerted)); err != nil {
			return end, "", err
		}
	} else if err := r.play(ctx, false, Prompt(promptTechnical)); err != nil {
		return end, "", err
	}
	if cardErr == nil {
		if err := r.readBack(ctx, n, appeal); err != nil {
			return end, "", err
		}
	}
	if hold != nil {
		if err := r.hold(ctx, n, hold); err != nil {
			return end, "", err
		}
	}
	return end, "", r.play(ctx, false, Prompt(promptGoodbye))
}

// openSOSCard opens the card of an emergency; on failure it logs, notes and
// returns the error (the escalation goes on without the card).
func (r *run) openSOSCard(ctx context.Context, n *Node, recording string) (Appeal, error) {
	in := NewAppeal{CallID: r.call.ID(), CallerNumber: r.call.CallerNumber(), Recording: recording, SOS: true}
	if recording == "" {
		in.Essence = essenceSilentSOS
	}
	actx, cancel := r.detached(ctx)
	defer cancel()
	a, err := r.f.Appeals.CreateFromCall(actx, in)
	if err != nil {
		r.note(Step{Kind: StepAppeal, Node: n.Name, Detail: map[string]string{"error": err.Error(), "recording": recording, "sos": "true"}})
		r.log.Error("menu: could not open an SOS card; escalating without it", "recording", recording, "err", err)
		return Appeal{}, err
	}
	r.note(Step{Kind: StepAppeal, Node: n.Name, Detail: map[string]string{"number": a.Number, "recording": recording, "sos": "true"}})
	return a, nil
}

// startEscalation starts the escalation: with Hold (and the caller still
// on the line) through StartHeld, falling back to Escalations.Start if
// that fails.
func (r *run) startEscalation(ctx context.Context, n *Node, alert SOSAlert, callerOnLine bool) (HoldFunc, error) {
	actx, cancel := r.detached(ctx)
	defer cancel()
	detail := map[string]string{}
	var hold HoldFunc
	var err error
	if r.f.Hold != nil && callerOnLine {
		hold, err = r.f.Hold.StartHeld(actx, alert)
		if err != nil || hold == nil {
			r.log.Error("menu: could not keep the SOS caller on the line; escalating without", "err", err)
			hold = nil
		}
	}
	if hold == nil {
		err = r.f.Escalations.Start(actx, alert)
	}
	detail["started"] = strconv.FormatBool(err == nil)
	detail["held"] = strconv.FormatBool(hold != nil)
	if err != nil {
		detail["error"] = err.Error()
		r.log.Error("menu: SOS escalation failed to start", "appeal", alert.Appeal.Number, "recording", alert.Recording, "err", err)
	} else {
		r.log.Info("menu: SOS escalated", "appeal", alert.Appeal.Number, "recording", alert.Recording, "held", hold != nil)
	}
	r.note(Step{Kind: StepEscalation, Node: n.Name, Detail: detail})
	return hold, err
}

// hold keeps the caller on the line until they are connected to the person
// on duty (or no one can be).
func (r *run) hold(ctx context.Context, n *Node, hold HoldFunc) error {
	if err := r.play(ctx, false, Prompt(promptSOSStayOnLine)); err != nil {
		return err
	}
	connected, err := hold(ctx, r.call)
	detail := map[string]string{"connected": strconv.FormatBool(connected)}
	if err != nil {
		detail["error"] = err.Error()
	}
	r.note(Step{Kind: StepEscalation, Node: n.Name, Detail: detail})
	if err != nil {
		if ended(ctx, err) {
			return errors.Join(errCallEnded, err)
		}
		r.log.Error("menu: holding the SOS caller failed", "err", err)
	}
	return nil
}
