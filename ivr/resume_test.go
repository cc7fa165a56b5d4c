package ivr

import (
	"context"
	"testing"
)

// resume continues the call from at, as a controller taking it over does.
func (w *world) resume(at Resumption, state ScheduleState) *world {
	w.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	w.call.cancel = cancel
	if w.err = w.flow.Resume(ctx, w.call, at, state); w.err != nil {
		w.t.Fatalf("Resume: %v", w.err)
	}
	return w
}

// A caller taken over in the middle of the main menu hears its question
// again, not the greeting, and their choice works as before.
func TestACallerTakenOverInTheMenuHearsTheQuestionAgainNotTheGreeting(t *testing.T) {
	w := newWorld(t, whenAsked().press("4"), during("info-hours").hangUp())
	w.resume(Resumption{Entry: "main", Node: "main"}, open)
	w.wantNotHeard("greeting")
	w.wantHeard("main-menu", "info-hours")
	w.wantOutcome(Outcome{Kind: OutcomeInfoGiven})
}

// A caller taken over in a queue goes straight back to it, with the
// priority they had, and the menu goes on after the queue as it would have:
// here an SOS caller the queue hands back is escalated.
func TestACallerTakenOverInAQueueGoesBackToItWithoutTheMenu(t *testing.T) {
	w := newWorld(t)
	w.queues.results = []QueueResult{{Kind: QueueMessage}}
	w.resume(Resumption{Node: "main", Queue: "appeals", Priority: PrioritySOS}, open)
	w.wantJoins(join{"appeals", PrioritySOS})
	w.wantNotHeard("greeting")
	w.wantNotHeard("main-menu")
	w.wantHeard("sos-record", "beep", "sos-alerted")
}

// A caller taken over in a submenu who hangs up there has been given
// information, as if no restart had happened.
func TestACallerTakenOverInASubmenuWhoHangsUpWasGivenInformation(t *testing.T) {
	w := newWorld(t, whenAsked().hangUp())
	w.resume(Resumption{Entry: "main", Node: "info"}, open)
	w.wantHeardExactly("info-hours")
	w.wantOutcome(Outcome{Kind: OutcomeInfoGiven})
}

func TestTheStepsSayWhereTheCallerEnteredTheMenuAndWhereTheyWereLast(t *testing.T) {
	steps := []Step{{Kind: "route", Node: "main"}, {Kind: StepNode, Node: "main"}, {Kind: StepKey, Node: "main", Key: "4"}, {Kind: StepNode, Node: "info"}, {Kind: StepTimeout, Node: "info"}}
	if got := ResumptionFrom(steps); got != (Resumption{Entry: "main", Node: "info"}) {
		t.Errorf("ResumptionFrom = %+v, want entered at main, last in info", got)
	}
	if got := ResumptionFrom(nil); got != (Resumption{}) {
		t.Errorf("ResumptionFrom of nothing = %+v", got)
	}
}
