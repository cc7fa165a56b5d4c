package ivr

import (
	"errors"
	"testing"
	"time"
)

func TestSOSAfterHoursRecordsOpensACardReadsTheNumberAndEscalates(t *testing.T) {
	w := newWorld(t, whenAsked().press("1")).run("after_hours", afterHour)
	w.wantHeardExactly("after-hours-greeting", "after-hours-menu",
		"sos-intro", "sos-record", "beep", "sos-alerted",
		"appeal-registered", "digits:123", "appeal-number-repeat", "goodbye")
	if len(w.call.records) != 1 {
		t.Fatalf("records = %+v", w.call.records)
	}
	if got, want := w.call.records[0], (RecordOptions{Name: "call-1-sos-1", MaxDuration: 2 * time.Minute, MaxSilence: 5 * time.Second, Terminator: '#'}); got != want {
		t.Errorf("record options = %+v, want %+v", got, want)
	}
	if len(w.appeals.created) != 1 {
		t.Fatalf("created %+v", w.appeals.created)
	}
	if got, want := w.appeals.created[0], (NewAppeal{CallID: "call-1", CallerNumber: "0501234567", Recording: "call-1-sos-1", SOS: true}); got != want {
		t.Errorf("card = %+v, want %+v", got, want)
	}
	if len(w.esc.alerts) != 1 {
		t.Fatalf("alerts %+v", w.esc.alerts)
	}
	if got, want := w.esc.alerts[0], (SOSAlert{Appeal: w.appeals.appeal, CallID: "call-1", CallerNumber: "0501234567", Recording: "call-1-sos-1"}); got != want {
		t.Errorf("alert = %+v, want %+v", got, want)
	}
	// The duty phone rings before the caller hears anything more.
	if at := w.esc.heardAtStart[0]; at != 5 {
		t.Errorf("escalation started after %d items, want right after the beep", at)
	}
	w.wantOutcome(Outcome{Kind: OutcomeSOSEscalated, AppealNumber: "2026-000123", Recording: "call-1-sos-1"})
}

func TestSOSDuringWorkingHoursGoesToTheQueueWithSOSPriority(t *testing.T) {
	w := newWorld(t, during("greeting").press("1")).run("main", open)
	w.wantJoins(join{"operators", PrioritySOS})
	w.wantNotHeard("sos-intro")
	if len(w.call.records)+len(w.esc.alerts)+len(w.appeals.created) != 0 {
		t.Error("recorded, escalated or opened a card in working hours")
	}
	w.wantOutcome(Outcome{Kind: OutcomeSOSQueued})
}

func TestSOSDuringTheLunchBreakIsEscalated(t *testing.T) {
	w := newWorld(t, whenAsked().press("1")).run("lunch", ScheduleState{State: StateBreak, NextOpen: time.Now()})
	w.wantJoins()
	if len(w.esc.alerts) != 1 {
		t.Errorf("alerts %+v", w.esc.alerts)
	}
}

func TestAnSOSTheQueueCannotTakeIsEscalatedNotLeftAsAMessage(t *testing.T) {
	for _, kind := range []string{QueueOverflow, QueueClosed, QueueMessage} {
		t.Run(kind, func(t *testing.T) {
			w := newWorld(t, whenAsked().press("1"))
			w.queues.results = []QueueResult{{Kind: kind}}
			w.run("main", open)
			w.wantJoins(join{"operators", PrioritySOS})
			w.wantHeard("sos-intro", "sos-record", "beep", "sos-alerted")
			w.wantNotHeard("message-record")
			if len(w.appeals.created) != 1 || !w.appeals.created[0].SOS {
				t.Errorf("created %+v", w.appeals.created)
			}
			w.wantOutcome(Outcome{Kind: OutcomeSOSEscalated, AppealNumber: "2026-000123", Recording: "call-1-sos-1"})
		})
	}
}

func TestAnSOSIsEscalatedEvenWhenTheCardCannotBeOpened(t *testing.T) {
	w := newWorld(t, whenAsked().press("1"))
	w.appeals.createErr = errors.New("database is down")
	w.run("after_hours", afterHour)
	if len(w.esc.alerts) != 1 {
		t.Fatalf("alerts %+v", w.esc.alerts)
	}
	if got, want := w.esc.alerts[0], (SOSAlert{CallID: "call-1", CallerNumber: "0501234567", Recording: "call-1-sos-1"}); got != want {
		t.Errorf("alert = %+v, want %+v", got, want)
	}
	// Alerted, but there is no number to read.
	w.wantHeard("beep", "sos-alerted", "goodbye")
	w.wantNotHeard("appeal-registered")
	w.wantOutcome(Outcome{Kind: OutcomeSOSEscalated, Recording: "call-1-sos-1"})
}

func TestWhenTheEscalationFailsTheCallerIsNotToldTheDutyServiceKnows(t *testing.T) {
	w := newWorld(t, whenAsked().press("1"))
	w.esc.err = errors.New("escalation store is down")
	w.run("after_hours", afterHour)
	w.wantNotHeard("sos-alerted")
	w.wantHeard("beep", "technical-problem", "appeal-registered", "digits:123", "goodbye")
	w.wantOutcome(Outcome{Kind: OutcomeSOSNotEscalated, AppealNumber: "2026-000123", Recording: "call-1-sos-1"})
}

func TestWhenEverythingFailsTheRecordingIsStillInTheOutcome(t *testing.T) {
	w := newWorld(t, whenAsked().press("1"))
	w.esc.err = errors.New("escalation store is down")
	w.appeals.createErr = errors.New("database is down")
	w.run("after_hours", afterHour)
	w.wantNotHeard("sos-alerted")
	w.wantNotHeard("appeal-registered")
	w.wantOutcome(Outcome{Kind: OutcomeSOSNotEscalated, Recording: "call-1-sos-1"})
}

func TestAnSOSCallerWhoHangsUpAfterSpeakingIsStillEscalated(t *testing.T) {
	w := newWorld(t, whenAsked().press("1"), whenRecording().hangUp()).run("after_hours", afterHour)
	if len(w.appeals.created) != 1 || len(w.esc.alerts) != 1 {
		t.Fatalf("created %+v, alerts %+v", w.appeals.created, w.esc.alerts)
	}
	w.wantNotHeard("sos-alerted")
	w.wantOutcome(Outcome{Kind: OutcomeSOSEscalated, AppealNumber: "2026-000123", Recording: "call-1-sos-1"})
}

func TestAnSOSCallerWhoHangsUpBeforeTheBeepIsNotEscalated(t *testing.T) {
	w := newWorld(t, whenAsked().press("1"), during("sos-intro").hangUp()).run("after_hours", afterHour)
	if len(w.appeals.created)+len(w.esc.alerts) != 0 {
		t.Errorf("created %+v, alerts %+v", w.appeals.created, w.esc.alerts)
	}
	w.wantOutcome(Outcome{Kind: OutcomeHungUpInMenu})
}

func TestASilentSOSCallerIsAskedAgainThenEscalatedAnyway(t *testing.T) {
	w := newWorld(t, whenAsked().press("1"), whenRecording().saysNothing(), whenRecording().saysNothing()).run("after_hours", afterHour)
	w.wantHeard("sos-intro", "sos-record", "beep", "recording-empty", "sos-record", "beep", "recording-empty", "sos-alerted")
	if len(w.appeals.created) != 1 || w.appeals.created[0].Recording != "" || w.appeals.created[0].Essence == "" {
		t.Errorf("created %+v", w.appeals.created)
	}
	if len(w.esc.alerts) != 1 || w.esc.alerts[0].Recording != "" {
		t.Errorf("alerts %+v", w.esc.alerts)
	}
	w.wantOutcome(Outcome{Kind: OutcomeSOSEscalated, AppealNumber: "2026-000123"})
}

func TestTheSOSCallerCanBeKeptOnTheLine(t *testing.T) {
	w := newWorld(t, whenAsked().press("1"))
	hold := &fakeHold{connected: true}
	w.flow.Hold = hold
	w.run("after_hours", afterHour)
	if len(hold.alerts) != 1 || hold.held != 1 {
		t.Errorf("hold: alerts %+v, held %d", hold.alerts, hold.held)
	}
	if len(w.esc.alerts) != 0 {
		t.Errorf("Escalations.Start called as well: %+v", w.esc.alerts)
	}
	w.wantHeard("sos-alerted", "appeal-registered", "sos-stay-on-line", "goodbye")
	if e := w.call.stepsOf(StepEscalation); len(e) != 2 || e[1].Detail["connected"] != "true" {
		t.Errorf("escalation steps = %+v", e)
	}
	w.wantOutcome(Outcome{Kind: OutcomeSOSEscalated, AppealNumber: "2026-000123", Recording: "call-1-sos-1"})
}

func TestWhenTheCallerCannotBeHeldTheEscalationStartsAnyway(t *testing.T) {
	w := newWorld(t, whenAsked().press("1"))
	hold := &fakeHold{startErr: errors.New("no handoff")}
	w.flow.Hold = hold
	w.run("after_hours", afterHour)
	if len(w.esc.alerts) != 1 {
		t.Errorf("alerts %+v", w.esc.alerts)
	}
	w.wantNotHeard("sos-stay-on-line")
	w.wantHeard("sos-alerted", "goodbye")
}

func TestAHeldCallerWhoHangsUpEndsTheCall(t *testing.T) {
	w := newWorld(t, whenAsked().press("1"))
	w.flow.Hold = &fakeHold{holdErr: ErrHangup}
	w.run("after_hours", afterHour)
	w.wantNotHeard("goodbye")
	w.wantOutcome(Outcome{Kind: OutcomeSOSEscalated, AppealNumber: "2026-000123", Recording: "call-1-sos-1"})
}

func TestAnSOSWhoseRecordingFailsIsEscalatedWithoutIt(t *testing.T) {
	w := newWorld(t, whenAsked().press("1"), whenRecording().recordingFails()).run("after_hours", afterHour)
	if len(w.esc.alerts) != 1 || w.esc.alerts[0].Recording != "" {
		t.Fatalf("alerts %+v", w.esc.alerts)
	}
	w.wantHeard("beep", "sos-alerted", "appeal-registered", "goodbye")
	w.wantOutcome(Outcome{Kind: OutcomeSOSEscalated, AppealNumber: "2026-000123"})
}

func TestAnSOSCallerInAnUnknownScheduleStateIsEscalated(t *testing.T) {
	w := newWorld(t, whenAsked().press("1")).run("main", ScheduleState{})
	w.wantJoins()
	if len(w.esc.alerts) != 1 {
		t.Errorf("alerts %+v", w.esc.alerts)
	}
}
