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
	if got, want := w.call.records[0], (RecordOptions{Name: "call-1-sos-1", MaxDuration: 30 * time.Second, MaxSilence: 5 * time.Second, Terminator: '#'}); got != want {
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
	for _, kind := range []QueueResultKind{QueueOverflow, QueueClosed, QueueMessage} {
		t.Run(string(kind), func(t *testing.T) {
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
	// The recording's length is not known after a hangup: it is kept, and
	// the card does not promise it holds anything.
	if c := w.appeals.created[0]; c.Recording != "call-1-sos-1" || c.Essence != essenceHungUpDuringSOS {
		t.Errorf("card = %+v", c)
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

// Issue 10: with no RTP from the caller Asterisk's silence detection never
// fires, so each recording runs to its limit and comes back empty. The
// person on duty is still phoned, with the caller's number and a card that
// says the recording is empty. The shipped config's limits are run in
// sos_shipped_test.go (package ivr_test: the config imports the domains,
// which import this package), which bounds that wait by
// escalation.dial_within.
func TestAnSOSWhoseAudioNeverArrivesReachesTheDutyPhone(t *testing.T) {
	sosWithoutAudio(t, RecordLimits{MaxDuration: 30 * time.Second, MaxSilence: 5 * time.Second, Attempts: 2})
}

// sosWithoutAudio runs an after-hours SOS whose recordings (lim) all run to
// their limit empty, checks that the caller is escalated with an empty
// card, and returns how long after the SOS key the escalation started.
func sosWithoutAudio(t *testing.T, lim RecordLimits) time.Duration {
	t.Helper()
	w := newWorld(t, append([]*cue{whenAsked().press("1")}, times(lim.Attempts, func() *cue { return whenRecording().audioNeverArrives() })...)...)
	w.flow.Options.SOS = lim
	w.run("after_hours", afterHour)

	if len(w.call.records) != lim.Attempts {
		t.Errorf("recorded %d times, want %d (record_retries + 1): %+v", len(w.call.records), lim.Attempts, w.call.records)
	}
	if len(w.esc.alerts) != 1 {
		t.Fatalf("alerts %+v", w.esc.alerts)
	}
	if a := w.esc.alerts[0]; a.CallerNumber != "0501234567" || a.Recording != "" || a.Appeal.Number == "" {
		t.Errorf("alert = %+v, want the card and the caller's number, no recording", a)
	}
	var key time.Duration = -1
	for _, p := range w.call.played {
		if p.media == Prompt("sos-intro") {
			key = p.at // sos-intro starts as the key is taken
			break
		}
	}
	if key < 0 {
		t.Fatalf("never heard sos-intro: %v", w.call.heard())
	}
	waited := w.esc.clockAtStart[0] - key
	if len(w.appeals.created) != 1 {
		t.Fatalf("created %+v", w.appeals.created)
	}
	if c := w.appeals.created[0]; c.CallerNumber != "0501234567" || c.Recording != "" || !c.SOS || c.Essence != essenceEmptySOS {
		t.Errorf("card = %+v, want an SOS card saying the recording is empty", c)
	}
	w.wantHeard("sos-alerted", "appeal-registered")
	w.wantOutcome(Outcome{Kind: OutcomeSOSEscalated, AppealNumber: "2026-000123"})
	return waited
}

// Issue 10: the caller who stayed past the beep and hung up during the
// recording, leaving it empty, was logged "hung up before the recording;
// nothing to escalate": no card, no escalation, though their number was
// known. They are escalated, with a card that says the recording is empty.
func TestAnSOSCallerWhoHangsUpDuringTheRecordingAfterTheBeepIsEscalated(t *testing.T) {
	w := newWorld(t, whenAsked().press("1"), whenRecording().saysNothing().hangUp()).run("after_hours", afterHour)
	if len(w.appeals.created) != 1 {
		t.Fatalf("no card: created %+v", w.appeals.created)
	}
	if c := w.appeals.created[0]; c.CallerNumber != "0501234567" || c.Recording != "" || !c.SOS || c.Essence != essenceHungUpSOS {
		t.Errorf("card = %+v, want an SOS card with the caller's number saying the recording is empty", c)
	}
	if len(w.esc.alerts) != 1 {
		t.Fatalf("not escalated: alerts %+v", w.esc.alerts)
	}
	if a := w.esc.alerts[0]; a.CallerNumber != "0501234567" || a.Recording != "" || a.Appeal != w.appeals.appeal {
		t.Errorf("alert = %+v", a)
	}
	w.wantNotHeard("sos-alerted") // nobody is on the line to hear it
	w.wantOutcome(Outcome{Kind: OutcomeSOSEscalated, AppealNumber: "2026-000123"})
}

// The same when the recording came back empty and the caller hangs up
// while told so, before the second try.
func TestAnSOSCallerWhoHangsUpWhenToldTheRecordingWasEmptyIsEscalated(t *testing.T) {
	w := newWorld(t, whenAsked().press("1"), whenRecording().audioNeverArrives(), during("recording-empty").hangUp()).run("after_hours", afterHour)
	if len(w.appeals.created) != 1 || len(w.esc.alerts) != 1 {
		t.Fatalf("created %+v, alerts %+v", w.appeals.created, w.esc.alerts)
	}
	if c := w.appeals.created[0]; c.Recording != "" || c.Essence != essenceHungUpSOS {
		t.Errorf("card = %+v", c)
	}
	w.wantOutcome(Outcome{Kind: OutcomeSOSEscalated, AppealNumber: "2026-000123"})
}

// With escalation.record_retries 0 an empty recording is not asked for
// again: the duty phone rings after one.
func TestWithoutRetriesAnEmptySOSRecordingIsEscalatedAtOnce(t *testing.T) {
	w := newWorld(t, whenAsked().press("1"), whenRecording().audioNeverArrives())
	w.flow.Options.SOS.Attempts = 1
	w.run("after_hours", afterHour)
	if len(w.call.records) != 1 || len(w.esc.alerts) != 1 {
		t.Fatalf("records %+v, alerts %+v", w.call.records, w.esc.alerts)
	}
	if n := w.call.count("sos-record"); n != 1 {
		t.Errorf("asked to speak %d times, want once: %v", n, w.call.heard())
	}
	w.wantHeard("beep", "recording-empty", "sos-alerted")
}
