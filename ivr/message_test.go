package ivr

import (
	"errors"
	"testing"
	"time"
)

func TestAMessageOpensACardAndReadsItsNumberBack(t *testing.T) {
	w := newWorld(t, whenAsked().press("2")).run("after_hours", afterHour)
	w.wantHeardExactly("after-hours-greeting", "after-hours-menu",
		"message-record", "beep", "message-saved", "appeal-registered", "digits:123", "appeal-number-repeat", "goodbye")
	if len(w.call.records) != 1 {
		t.Fatalf("records = %+v", w.call.records)
	}
	if got, want := w.call.records[0], (RecordOptions{Name: "call-1-message-1", MaxDuration: 3 * time.Minute, MaxSilence: 5 * time.Second, Terminator: '#'}); got != want {
		t.Errorf("record options = %+v, want %+v", got, want)
	}
	if len(w.appeals.created) != 1 {
		t.Fatalf("created = %+v", w.appeals.created)
	}
	if got, want := w.appeals.created[0], (NewAppeal{CallID: "call-1", CallerNumber: "0501234567", Recording: "call-1-message-1"}); got != want {
		t.Errorf("card = %+v, want %+v", got, want)
	}
	w.wantOutcome(Outcome{Kind: OutcomeMessageLeft, AppealNumber: "2026-000123", Recording: "call-1-message-1"})
}

func TestAnEmptyMessageIsAskedForOnceMore(t *testing.T) {
	w := newWorld(t, whenAsked().press("2"), whenRecording().saysNothing()).run("after_hours", afterHour)
	w.wantHeard("message-record", "beep", "recording-empty", "message-record", "beep", "message-saved")
	if len(w.call.records) != 2 || w.call.records[1].Name != "call-1-message-2" {
		t.Errorf("records = %+v", w.call.records)
	}
	w.wantOutcome(Outcome{Kind: OutcomeMessageLeft, AppealNumber: "2026-000123", Recording: "call-1-message-2"})
}

func TestTwoEmptyMessagesEndWithGoodbyeAndNoCard(t *testing.T) {
	w := newWorld(t, whenAsked().press("2"), whenRecording().saysNothing(), whenRecording().saysNothing()).run("after_hours", afterHour)
	w.wantHeard("recording-empty", "recording-empty", "goodbye")
	if len(w.appeals.created) != 0 {
		t.Errorf("created %+v", w.appeals.created)
	}
	w.wantOutcome(Outcome{Kind: OutcomeEndedByMenu})
}

func TestACallerWhoHangsUpAfterSpeakingStillLeavesTheMessage(t *testing.T) {
	w := newWorld(t, whenAsked().press("2"), whenRecording().hangUp()).run("after_hours", afterHour)
	if len(w.appeals.created) != 1 {
		t.Fatalf("created %+v", w.appeals.created)
	}
	w.wantNotHeard("message-saved")
	w.wantOutcome(Outcome{Kind: OutcomeMessageLeft, AppealNumber: "2026-000123", Recording: "call-1-message-1"})
}

func TestACallerWhoHangsUpAsTheRecordingStartsLeavesNoCard(t *testing.T) {
	w := newWorld(t, whenAsked().press("2"), whenRecording().saysNothing().hangUp()).run("after_hours", afterHour)
	if len(w.appeals.created) != 0 {
		t.Errorf("an empty recording opened a card: %+v", w.appeals.created)
	}
	w.wantOutcome(Outcome{Kind: OutcomeMessageNotSaved})
}

func TestAMessageRecordedAsTheServerStopsIsStillSaved(t *testing.T) {
	w := newWorld(t, whenAsked().press("2"), whenRecording().endCtx()).run("after_hours", afterHour)
	if len(w.appeals.created) != 1 {
		t.Fatalf("created %+v (the card must be opened with a detached context)", w.appeals.created)
	}
	w.wantOutcome(Outcome{Kind: OutcomeMessageLeft, AppealNumber: "2026-000123", Recording: "call-1-message-1"})
}

func TestWhenNoCardCanBeOpenedTheRecordingIsKeptInTheOutcome(t *testing.T) {
	w := newWorld(t, whenAsked().press("2"))
	w.appeals.createErr = errors.New("database is down")
	w.run("after_hours", afterHour)
	w.wantHeard("beep", "technical-problem")
	w.wantNotHeard("message-saved")
	w.wantOutcome(Outcome{Kind: OutcomeMessageNotSaved, Recording: "call-1-message-1"})
	if a := w.call.stepsOf(StepAppeal); len(a) != 1 || a[0].Detail["error"] == "" {
		t.Errorf("appeal steps = %+v", a)
	}
}

func TestAFailedRecordingIsToldToTheCaller(t *testing.T) {
	w := newWorld(t, whenAsked().press("2"), whenRecording().recordingFails()).run("after_hours", afterHour)
	w.wantHeard("beep", "technical-problem")
	w.wantOutcome(Outcome{Kind: OutcomeMessageNotSaved})
	if len(w.appeals.created) != 0 {
		t.Errorf("created %+v", w.appeals.created)
	}
}

func TestPressing1RepeatsTheNumber(t *testing.T) {
	w := newWorld(t, whenAsked().press("2"), whenAsked().press("1"), during("appeal-number-repeat").press("1")).run("after_hours", afterHour)
	if n := w.call.count("digits:123"); n != 3 {
		t.Errorf("number heard %d times, want 3: %v", n, w.call.heard())
	}
	w.wantHeard("appeal-registered", "digits:123", "appeal-number-repeat", "appeal-registered", "digits:123",
		"appeal-number-repeat", "appeal-registered", "digits:123", "appeal-number-repeat", "goodbye")
}

func TestTheNumberIsRepeatedAtMostThreeTimes(t *testing.T) {
	cues := []*cue{whenAsked().press("2")}
	cues = append(cues, times(6, func() *cue { return whenAsked().press("1") })...)
	w := newWorld(t, cues...).run("after_hours", afterHour)
	if n := w.call.count("digits:123"); n != 4 {
		t.Errorf("number heard %d times, want 1 + 3 repeats", n)
	}
	if n := w.call.count("appeal-number-repeat"); n != 3 {
		t.Errorf("asked to repeat %d times, want 3", n)
	}
}

func TestAnyOtherKeyAfterTheNumberSaysGoodbye(t *testing.T) {
	w := newWorld(t, whenAsked().press("2"), whenAsked().press("5")).run("after_hours", afterHour)
	if n := w.call.count("digits:123"); n != 1 {
		t.Errorf("number heard %d times", n)
	}
	w.wantHeard("appeal-number-repeat", "goodbye")
}

func TestKeysPressedDuringTheNumberAreNotTheAnswerToRepeat(t *testing.T) {
	w := newWorld(t, whenAsked().press("2"), duringMedia("digits:123").press("1")).run("after_hours", afterHour)
	if n := w.call.count("digits:123"); n != 1 {
		t.Errorf("number heard %d times", n)
	}
}
