package ivr

import (
	"context"
	"errors"
	"strconv"
)

// The card's essence of an emergency without a recording, which says so:
// the person on duty and the operators must call the caller back to learn
// what happened.
const (
	// Every recording came back empty: the caller said nothing, or no audio
	// of theirs reached Asterisk (a broken voice path).
	essenceEmptySOS = "Аварійне звернення з голосового меню. Запис порожній: заявника не було чути (нічого не сказав або звук не дійшов). Зателефонуйте заявнику."
	// The caller hung up after the beep before anything was kept.
	essenceHungUpSOS = "Аварійне звернення з голосового меню. Запис порожній: заявник поклав слухавку після сигналу, нічого не сказавши. Зателефонуйте заявнику."
	// The caller hung up during the recording and Asterisk had not said how
	// long it was: it may hold what they said, or nothing.
	essenceHungUpDuringSOS = "Аварійне звернення з голосового меню. Заявник поклав слухавку під час запису: прослухайте запис (він може бути порожнім) і зателефонуйте заявнику."
	// The recording itself failed (Asterisk refused or lost it).
	essenceFailedSOS = "Аварійне звернення з голосового меню без запису: запис не вдався. Зателефонуйте заявнику."
)

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
//     heard → recording-empty and again, up to Options.SOS.Attempts;
//  2. an SOS card (Appeals.CreateFromCall, SOS true);
//  3. the escalation (Escalations.Start, or Hold.StartHeld to keep the
//     caller on the line) — before anything is read to the caller, so the
//     duty phone rings while they listen;
//  4. sos-alerted if the escalation started (technical-problem if not), the
//     card's number read back if there is a card;
//  5. with Hold, sos-stay-on-line and the hold until connected; then goodbye.
//
// The emergency is escalated once the caller has stayed past the beep,
// whatever came of the recording: when they said nothing (every time they
// were asked), when no audio of theirs reached Asterisk, when the
// recording failed (they may be unable to speak; the person on duty calls
// back), when they hung up after the beep with nothing or something
// recorded, when the card could not be opened (the alert then has no
// appeal), and when the Call keeps failing. A card without a recording
// says it is empty. A caller who hangs up before the beep is not
// escalated. Steps 2 and 3 use a context detached from the call. The
// outcome is sos_escalated, or sos_not_escalated when the escalation could
// not start, with the appeal number and the recording.
//
// How long the duty phone waits for the recording is bounded by
// Options.SOS: with no audio every attempt runs to MaxDuration
// (config.Escalation.SOSWorstWait, validated against dial_within).
func (r *run) escalate(ctx context.Context, n *Node) (transition, string, error) {
	res, callOver := r.record(ctx, n, "sos", r.opt.SOS, []string{promptSOSIntro, promptSOSRecord}, []string{promptSOSRecord})
	if callOver != nil && !res.pastBeep && errors.Is(callOver, errCallEnded) {
		r.log.Warn("menu: an SOS caller hung up before the beep; nothing to escalate")
		return end, "", callOver
	}
	recording, essence, why := "", "", ""
	switch {
	case res.got == takeKept && callOver != nil && res.Duration == 0:
		// Kept, since it may hold speech, but the card must not promise it.
		recording, essence = res.Name, essenceHungUpDuringSOS
	case res.got == takeKept:
		recording = res.Name
	case callOver != nil && errors.Is(callOver, errCallEnded):
		essence, why = essenceHungUpSOS, "the caller hung up after the beep"
	case res.got == takeEmpty:
		essence, why = essenceEmptySOS, "every recording came back empty"
	default:
		essence, why = essenceFailedSOS, "the recording failed"
	}
	if recording == "" {
		r.log.Warn("menu: an SOS without a recording is escalated with the caller's number", "why", why)
	}
	appeal, cardErr := r.openSOSCard(ctx, n, recording, essence)
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
func (r *run) openSOSCard(ctx context.Context, n *Node, recording, essence string) (Appeal, error) {
	in := NewAppeal{CallID: r.call.ID(), CallerNumber: r.call.CallerNumber(), Recording: recording, Essence: essence, SOS: true}
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
