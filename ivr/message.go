package ivr

import (
	"context"
)

// message takes a message for the next working day: "after the beep leave
// a message", the beep, the recording (# ends it); nothing said → "we did
// not hear you" and once more; still nothing → goodbye. The message opens
// a card (Appeals.CreateFromCall, not SOS), the caller hears that it is
// saved and its number read back, then goodbye. A caller who hangs up
// after speaking still gets the card (outcome message_left); one who hangs
// up leaving an empty recording gets none (message_not_saved). When no card
// can be opened the caller hears about a technical problem and the
// recording's name is kept in the outcome (message_not_saved) so nothing
// said is lost.
func (r *run) message(ctx context.Context, n *Node) (transition, string, error) {
	res, err := r.record(ctx, n, "message", r.opt.Message, []string{promptMessageRecord}, []string{promptMessageRecord})
	rec, got := res.Recording, res.got
	if err != nil {
		switch {
		case got == takeKept:
			r.fileMessage(ctx, n, rec)
		case rec.Name != "":
			// Hung up as the recording started: it holds nothing, so no
			// card and no number of the gapless sequence is used up.
			r.setOutcome(Outcome{Kind: OutcomeMessageNotSaved})
		}
		return end, "", err
	}
	switch got {
	case takeEmpty:
		return end, "", r.goodbye(ctx, Outcome{Kind: OutcomeEndedByMenu})
	case takeNone:
		r.setOutcome(Outcome{Kind: OutcomeMessageNotSaved})
		return end, "", r.play(ctx, false, Prompt(promptTechnical))
	}
	appeal, ok := r.fileMessage(ctx, n, rec)
	if !ok {
		return end, "", r.play(ctx, false, Prompt(promptTechnical))
	}
	if err := r.play(ctx, false, Prompt(promptMessageSaved)); err != nil {
		return end, "", err
	}
	if err := r.readBack(ctx, n, appeal); err != nil {
		return end, "", err
	}
	return end, "", r.play(ctx, false, Prompt(promptGoodbye))
}

// fileMessage opens the card of a message, with a context that survives
// the caller's hangup, and sets the outcome.
func (r *run) fileMessage(ctx context.Context, n *Node, rec Recording) (Appeal, bool) {
	actx, cancel := r.detached(ctx)
	defer cancel()
	a, err := r.f.Appeals.CreateFromCall(actx, NewAppeal{CallID: r.call.ID(), CallerNumber: r.call.CallerNumber(), Recording: rec.Name})
	if err != nil {
		r.note(Step{Kind: StepAppeal, Node: n.Name, Detail: map[string]string{"error": err.Error(), "recording": rec.Name}})
		r.log.Error("menu: could not open a card for a message; its recording is in the call's outcome", "recording", rec.Name, "err", err)
		r.setOutcome(Outcome{Kind: OutcomeMessageNotSaved, Recording: rec.Name})
		return Appeal{}, false
	}
	r.note(Step{Kind: StepAppeal, Node: n.Name, Detail: map[string]string{"number": a.Number, "recording": rec.Name}})
	r.setOutcome(Outcome{Kind: OutcomeMessageLeft, AppealNumber: a.Number, Recording: rec.Name})
	return a, true
}
