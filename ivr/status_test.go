package ivr

import (
	"errors"
	"slices"
	"testing"
	"time"
)

func statusWorld(t *testing.T, cues ...*cue) *world {
	w := newWorld(t, cues...)
	w.appeals.statuses = map[string]AppealStatus{
		"123": {Number: "2026-000123", Status: "in_progress", DueAt: time.Date(2026, 1, 14, 23, 30, 0, 0, time.UTC)},
		"77":  {Number: "2026-000077", Status: "closed", DueAt: time.Date(2026, 1, 10, 12, 0, 0, 0, time.UTC)},
		"5":   {Number: "2026-000005", Status: "returned_for_rework"},
	}
	return w
}

func TestStatusOfAnExistingAppealSaysItsStateAndDueDate(t *testing.T) {
	w := statusWorld(t,
		during("main-menu").press("3"),
		whenAsked().press("123#"),
		during("main-menu").hangUp(),
	).run("main", open)
	// 23:30 UTC on 14 January is 15 January in Kyiv.
	w.wantHeardExactly("greeting", "main-menu", "appeal-enter-number",
		"appeal-status-intro", "status-in-progress", "appeal-due-date", "day-15", "month-01",
		"main-menu")
	if !slices.Equal(w.appeals.lookups, []string{"123"}) {
		t.Errorf("lookups = %v", w.appeals.lookups)
	}
	w.wantOutcome(Outcome{Kind: OutcomeStatusGiven})
	st := w.call.stepsOf(StepStatus)
	if len(st) != 1 || st[0].Key != "123" || st[0].Detail["result"] != "found" || st[0].Detail["status"] != "in_progress" {
		t.Errorf("status steps = %+v", st)
	}
}

func TestTheAppealNumberCanBeTypedDuringThePrompt(t *testing.T) {
	w := statusWorld(t,
		during("main-menu").press("3"),
		during("appeal-enter-number").press("123#"),
		during("main-menu").hangUp(),
	).run("main", open)
	w.wantHeard("appeal-enter-number", "status-in-progress")
	if !slices.Equal(w.appeals.lookups, []string{"123"}) {
		t.Errorf("lookups = %v", w.appeals.lookups)
	}
}

func TestAClosedAppealHasNoDueDate(t *testing.T) {
	w := statusWorld(t, whenAsked().press("3"), whenAsked().press("77#"), during("main-menu").hangUp()).run("main", open)
	w.wantHeard("appeal-status-intro", "status-closed")
	w.wantNotHeard("appeal-due-date")
}

func TestAnOpenAppealWithoutADeadlineSaysJustItsState(t *testing.T) {
	w := statusWorld(t, whenAsked().press("3"), whenAsked().press("5#"), during("main-menu").hangUp()).run("main", open)
	w.wantHeard("appeal-status-intro", "status-returned")
	w.wantNotHeard("appeal-due-date")
}

func TestAnUnknownNumberIsAskedAgain(t *testing.T) {
	w := statusWorld(t,
		whenAsked().press("3"),
		whenAsked().press("999#"),
		whenAsked().press("123#"),
		during("main-menu").hangUp(),
	).run("main", open)
	w.wantHeard("appeal-enter-number", "appeal-not-found", "appeal-enter-number", "status-in-progress", "main-menu")
	if !slices.Equal(w.appeals.lookups, []string{"999", "123"}) {
		t.Errorf("lookups = %v", w.appeals.lookups)
	}
}

func TestThreeWrongNumbersReturnToTheMenu(t *testing.T) {
	w := statusWorld(t,
		whenAsked().press("3"),
		whenAsked().press("1#"), whenAsked().press("2#"), whenAsked().press("4#"),
		during("main-menu").hangUp(),
	).run("main", open)
	if n := w.call.count("appeal-not-found"); n != 3 {
		t.Errorf("appeal-not-found heard %d times", n)
	}
	if n := w.call.count("appeal-enter-number"); n != 3 {
		t.Errorf("appeal-enter-number heard %d times", n)
	}
	w.wantHeard("appeal-not-found", "main-menu")
	w.wantOutcome(Outcome{Kind: OutcomeHungUpInMenu})
	if st := w.call.stepsOf(StepStatus); st[len(st)-1].Detail["result"] != "gave_up" {
		t.Errorf("last status step = %+v", st[len(st)-1])
	}
}

func TestTheNumberEndsAtTheInterKeyTimeout(t *testing.T) {
	w := statusWorld(t, whenAsked().press("3"), whenAsked().press("12"), whenAsked().press("3"), during("main-menu").hangUp()).run("main", open)
	if !slices.Equal(w.appeals.lookups, []string{"123"}) {
		t.Errorf("lookups = %v", w.appeals.lookups)
	}
	// The first digit waits the first-key timeout, the next ones the inter-key timeout.
	want := []time.Duration{6 * time.Second, 6 * time.Second, 3 * time.Second, 3 * time.Second, 3 * time.Second}
	if got := w.call.waits[:5]; !slices.Equal(got, want) {
		t.Errorf("waits = %v, want %v", got, want)
	}
}

func TestNoNumberAtAllCountsAsAWrongOne(t *testing.T) {
	w := statusWorld(t, whenAsked().press("3")).run("main", open)
	if n := w.call.count("appeal-enter-number"); n != 3 {
		t.Errorf("asked %d times", n)
	}
	if len(w.appeals.lookups) != 0 {
		t.Errorf("looked up %v", w.appeals.lookups)
	}
}

func TestStarCancelsTheLookup(t *testing.T) {
	w := statusWorld(t, whenAsked().press("3"), whenAsked().press("12*"), during("main-menu").hangUp()).run("main", open)
	w.wantHeardExactly("greeting", "main-menu", "appeal-enter-number", "main-menu")
	if len(w.appeals.lookups) != 0 {
		t.Errorf("looked up %v", w.appeals.lookups)
	}
}

func TestTheNumberStopsAtTwelveDigits(t *testing.T) {
	w := statusWorld(t, whenAsked().press("3"), whenAsked().press("1234567890123456#"), during("main-menu").hangUp()).run("main", open)
	if len(w.appeals.lookups) == 0 || w.appeals.lookups[0] != "123456789012" {
		t.Errorf("lookups = %v", w.appeals.lookups)
	}
}

func TestALookupFailureIsToldAndTheMenuGoesOn(t *testing.T) {
	w := statusWorld(t, whenAsked().press("3"), whenAsked().press("123#"), whenAsked().press("0"))
	w.appeals.statusErr = errors.New("database is down")
	w.run("main", open)
	w.wantHeard("appeal-enter-number", "technical-problem", "main-menu")
	w.wantJoins(join{"operators", PriorityNormal})
}

func TestStatusAfterHoursWorksToo(t *testing.T) {
	w := statusWorld(t, whenAsked().press("3"), whenAsked().press("77#"), during("after-hours-menu").hangUp()).run("after_hours", afterHour)
	w.wantHeard("after-hours-greeting", "after-hours-menu", "appeal-enter-number", "status-closed", "after-hours-menu")
	w.wantNotHeard("main-menu")
}

func TestAStatusGivenStaysTheOutcomeAfterVisitingTheInformation(t *testing.T) {
	w := statusWorld(t, whenAsked().press("3"), whenAsked().press("123#"), during("main-menu").press("4"), during("info-hours").hangUp()).run("main", open)
	w.wantOutcome(Outcome{Kind: OutcomeStatusGiven})
}
