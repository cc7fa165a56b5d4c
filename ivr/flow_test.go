package ivr

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"testing"
	"time"
)

func TestACallerWhoPresses4HearsTheInformation(t *testing.T) {
	w := newWorld(t,
		during("main-menu").press("4"),
		during("info-hours").hangUp(),
	).run("main", open)
	w.wantHeardExactly("greeting", "main-menu", "info-hours")
	w.wantOutcome(Outcome{Kind: OutcomeInfoGiven})
	w.wantJoins()
}

func TestACallerWhoPressesNothingIsSentToTheOperatorAfterThreeRetries(t *testing.T) {
	w := newWorld(t).run("main", open)
	// The greeting is said once; the menu is asked three times.
	w.wantHeardExactly("greeting", "main-menu", "no-input", "main-menu", "no-input", "main-menu", "no-input")
	w.wantJoins(join{"operators", PriorityNormal})
	w.wantOutcome(Outcome{Kind: OutcomeAnsweredByOperator})
	if got := w.call.waits; !slices.Equal(got, []time.Duration{6 * time.Second, 6 * time.Second, 6 * time.Second}) {
		t.Errorf("waited %v, want the first-key timeout three times", got)
	}
	if n := len(w.call.stepsOf(StepTimeout)); n != 3 {
		t.Errorf("%d timeouts noted, want 3", n)
	}
	if ex := w.call.stepsOf(StepExhausted); len(ex) != 1 || ex[0].Node != "main" {
		t.Errorf("exhausted steps = %+v", ex)
	}
}

func TestACallerWhoPresses9ThreeTimesHearsInvalidChoiceThreeTimesAndReachesTheOperator(t *testing.T) {
	w := newWorld(t, times(3, func() *cue { return whenAsked().press("9") })...).run("main", open)
	if n := w.call.count("invalid-choice"); n != 3 {
		t.Errorf("heard invalid-choice %d times, want 3: %v", n, w.call.heard())
	}
	w.wantJoins(join{"operators", PriorityNormal})
	if n := len(w.call.stepsOf(StepInvalid)); n != 3 {
		t.Errorf("%d invalid keys noted, want 3", n)
	}
}

func TestACallerWhoHangsUpInTheMiddleOfAPromptLeavesHungUpInMenu(t *testing.T) {
	w := newWorld(t, during("greeting").hangUp()).run("main", open)
	w.wantHeardExactly("greeting")
	w.wantOutcome(Outcome{Kind: OutcomeHungUpInMenu})
	w.wantJoins()
}

func TestACallWhoseContextEndsStopsAtOnceAsIfHungUp(t *testing.T) {
	w := newWorld(t, during("main-menu").endCtx()).run("main", open)
	w.wantHeardExactly("greeting", "main-menu")
	w.wantOutcome(Outcome{Kind: OutcomeHungUpInMenu})
}

func TestKeysPressedDuringTheGreetingSelectTheOption(t *testing.T) {
	w := newWorld(t, during("greeting").press("2")).run("main", open)
	w.wantHeardExactly("greeting")
	if !w.call.played[0].interrupted {
		t.Error("the greeting was not interrupted")
	}
	w.wantJoins(join{"appeals", PriorityNormal})
}

func TestKeysMashedDuringTheGreetingCountAsOneMistake(t *testing.T) {
	w := newWorld(t,
		during("greeting").press("9#*77#0"),
		whenAsked().press("2"),
	).run("main", open)
	if inv := w.call.stepsOf(StepInvalid); len(inv) != 1 || inv[0].Key != "9" {
		t.Errorf("invalid keys = %+v, want just the 9", inv)
	}
	w.wantHeardExactly("greeting", "invalid-choice", "main-menu")
	w.wantJoins(join{"appeals", PriorityNormal})
}

func TestKeysPressedDuringInvalidChoiceAreNotChoices(t *testing.T) {
	w := newWorld(t,
		whenAsked().press("9"),
		during("invalid-choice").press("0"),
		whenAsked().press("2"),
	).run("main", open)
	w.wantJoins(join{"appeals", PriorityNormal})
}

func TestKeysTypedBehindAChoiceAreNotTheNextNodesChoice(t *testing.T) {
	// "4" and "0" in one burst: the 0 was pressed before the caller heard
	// the information node, so it does not send them to the operator.
	w := newWorld(t,
		during("main-menu").press("40"),
		during("info-hours").hangUp(),
	).run("main", open)
	w.wantJoins()
	w.wantHeardExactly("greeting", "main-menu", "info-hours")
}

func TestStarInTheInformationGoesBackToTheMenuWithoutTheGreeting(t *testing.T) {
	w := newWorld(t,
		during("main-menu").press("4"),
		during("info-hours").press("*"),
		during("main-menu").press("0"),
	).run("main", open)
	w.wantHeardExactly("greeting", "main-menu", "info-hours", "main-menu")
	w.wantJoins(join{"operators", PriorityNormal})
	nodes := w.call.stepsOf(StepNode)
	if len(nodes) != 3 || nodes[1].Node != "info" || nodes[1].Detail != nil || nodes[2].Node != "main" || nodes[2].Detail["again"] != "true" {
		t.Errorf("node steps = %+v", nodes)
	}
}

func TestSilenceInTheInformationGoesBackAfterOneRetry(t *testing.T) {
	w := newWorld(t,
		during("main-menu").press("4"),
		whenAsked().press(""), // nothing in the information node: no-input, back
		during("main-menu").hangUp(),
	).run("main", open)
	w.wantHeardExactly("greeting", "main-menu", "info-hours", "no-input", "main-menu")
	w.wantOutcome(Outcome{Kind: OutcomeInfoGiven})
}

func TestInformationCanBeInterruptedByTheOperatorKey(t *testing.T) {
	w := newWorld(t,
		during("main-menu").press("4"),
		during("info-hours").press("0"),
	).run("main", open)
	w.wantJoins(join{"operators", PriorityNormal})
	w.wantOutcome(Outcome{Kind: OutcomeAnsweredByOperator})
}

// testMenu is a one-node menu with the given options, for the generic actions.
func testMenu(options map[byte]Action, onExhausted Action) map[string]*Node {
	nodes := defaultMenuNodes()
	nodes["main"].Options = options
	nodes["main"].OnExhausted = onExhausted
	return nodes
}

func TestBackAtTheRootRepeatsTheRoot(t *testing.T) {
	w := newWorldWithMenu(t, testMenu(map[byte]Action{'*': {Kind: ActBack}}, Action{}),
		during("main-menu").press("*"),
		during("main-menu").hangUp(),
	).run("main", open)
	w.wantHeardExactly("greeting", "main-menu", "main-menu")
}

func TestRepeatReplaysTheNode(t *testing.T) {
	w := newWorldWithMenu(t, testMenu(map[byte]Action{'9': {Kind: ActRepeat}}, Action{}),
		whenAsked().press("9"),
		whenAsked().press("9"),
		during("main-menu").hangUp(),
	).run("main", open)
	w.wantHeardExactly("greeting", "main-menu", "main-menu", "main-menu")
	w.wantNotHeard("invalid-choice")
}

func TestPlayPlaysAPromptThenReturnsToTheNode(t *testing.T) {
	w := newWorldWithMenu(t, testMenu(map[byte]Action{'5': {Kind: ActPlay, Prompt: "info-hours"}}, Action{}),
		whenAsked().press("5"),
		during("main-menu").hangUp(),
	).run("main", open)
	w.wantHeardExactly("greeting", "main-menu", "info-hours", "main-menu")
	w.wantOutcome(Outcome{Kind: OutcomeInfoGiven})
}

func TestHangupSaysGoodbyeAndEnds(t *testing.T) {
	w := newWorldWithMenu(t, testMenu(map[byte]Action{'#': {Kind: ActHangup}}, Action{}),
		whenAsked().press("#"),
	).run("main", open)
	w.wantHeardExactly("greeting", "main-menu", "goodbye")
	w.wantOutcome(Outcome{Kind: OutcomeEndedByMenu})
}

func TestExhaustedDefaultsToTheOperator(t *testing.T) {
	w := newWorldWithMenu(t, testMenu(map[byte]Action{'1': {Kind: ActSOS}}, Action{})).run("main", open)
	w.wantJoins(join{"operators", PriorityNormal})
}

func TestAMenuLoopWithNoOneThereEndsWithGoodbye(t *testing.T) {
	w := newWorldWithMenu(t, testMenu(map[byte]Action{'1': {Kind: ActSOS}}, Action{Kind: ActRepeat})).run("main", open)
	if len(w.call.stepsOf(StepLoopLimit)) != 1 {
		t.Error("no loop_limit step")
	}
	if got := w.call.heard(); got[len(got)-1] != Prompt("goodbye") {
		t.Errorf("last heard %v, want goodbye", got[len(got)-1])
	}
	w.wantOutcome(Outcome{Kind: OutcomeEndedByMenu})
}

func TestAGotoLoopBoundsTheBackStack(t *testing.T) {
	nodes := defaultMenuNodes()
	nodes["info"].Options['4'] = Action{Kind: ActGoto, Node: "main"}
	cues := []*cue{}
	for range 80 {
		cues = append(cues, whenAsked().press("4"))
	}
	w := newWorldWithMenu(t, nodes, cues...).run("main", open)
	if len(w.call.stepsOf(StepLoopLimit)) != 1 {
		t.Errorf("no loop limit after 80 gotos; steps %d", len(w.call.steps))
	}
}

func TestTheQueueSendsTheCallerToLeaveAMessage(t *testing.T) {
	for _, kind := range []QueueResultKind{QueueMessage, QueueOverflow, QueueClosed} {
		t.Run(string(kind), func(t *testing.T) {
			w := newWorld(t, whenAsked().press("2"))
			w.queues.results = []QueueResult{{Kind: kind}}
			w.run("main", open)
			switch kind {
			case QueueMessage:
				w.wantNotHeard("queue-full")
			case QueueOverflow:
				w.wantHeard("queue-full")
			case QueueClosed:
				w.wantNotHeard("queue-full")
				w.wantHeard("queue-closed", "message-record")
			}
			w.wantHeard("message-record", "beep", "message-saved")
			w.wantOutcome(Outcome{Kind: OutcomeMessageLeft, AppealNumber: "2026-000123", Recording: "call-1-message-1"})
		})
	}
}

// Nobody logged in is not "all operators are busy": the caller hears that
// nobody takes calls now and is offered the message.
func TestAClosedQueueSaysNobodyTakesCallsAndOffersTheMessage(t *testing.T) {
	w := newWorld(t, whenAsked().press("0"))
	w.queues.results = []QueueResult{{Kind: QueueClosed}}
	w.run("main", open)
	w.wantNotHeard("queue-full")
	w.wantHeard("queue-closed", "message-record", "beep", "message-saved")
	w.wantOutcome(Outcome{Kind: OutcomeMessageLeft, AppealNumber: "2026-000123", Recording: "call-1-message-1"})
}

func TestAQueueSetToAfterHoursOverflowSendsTheCallerToTheAfterHoursMenu(t *testing.T) {
	w := newWorld(t, whenAsked().press("0"), during("after-hours-menu").hangUp())
	w.flow.Options.OverflowToAfterHours = map[string]bool{"operators": true}
	w.flow.Options.AfterHoursNode = "after_hours"
	w.queues.results = []QueueResult{{Kind: QueueOverflow}}
	w.run("main", open)
	w.wantHeard("queue-full", "after-hours-menu")
	w.wantNotHeard("message-record")
}

func TestAFailingQueueStillTakesAMessage(t *testing.T) {
	w := newWorld(t, whenAsked().press("0"))
	w.queues.errs = []error{errors.New("dispatcher stopped")}
	w.run("main", open)
	w.wantHeard("queue-full", "message-record", "message-saved", "goodbye")
	if r := w.call.stepsOf(StepQueueResult); len(r) != 1 || r[0].Detail["error"] == "" {
		t.Errorf("queue result steps = %+v", r)
	}
}

func TestAnOperatorCanSendTheCallerBackToTheMenu(t *testing.T) {
	w := newWorld(t, whenAsked().press("0"), during("main-menu").press("3"), during("appeal-enter-number").hangUp())
	w.queues.results = []QueueResult{{Kind: QueueMenu, Operator: "op1"}}
	w.run("main", open)
	w.wantHeardExactly("greeting", "main-menu", "main-menu", "appeal-enter-number")
	// The operator answered: a hangup in the menu afterwards is not hung_up_in_menu.
	if w.call.outcome().Kind == OutcomeHungUpInMenu {
		t.Errorf("outcome = %+v", w.call.outcome())
	}
}

func TestAHangupInTheQueueIsAbandonedInQueue(t *testing.T) {
	w := newWorld(t, whenAsked().press("0"))
	w.queues.results = []QueueResult{{}}
	w.queues.errs = []error{fmt.Errorf("queue operators: %w", ErrHangup)}
	w.run("main", open)
	w.wantOutcome(Outcome{Kind: OutcomeAbandonedInQueue})
}

func TestTheLunchBreakSaysWhenOperatorsReturn(t *testing.T) {
	back := time.Date(2026, 3, 16, 12, 45, 0, 0, kyiv)
	w := newWorld(t, during("digits/45").hangUp()).run("lunch", ScheduleState{State: StateBreak, NextOpen: back.UTC()})
	w.wantHeardExactly("greeting", "break-message", "hour-12", "digits/45")
}

func TestTheReturnTimeIsSaidInTheCommunitysTimeZoneWithItsMinutes(t *testing.T) {
	for _, tc := range []struct {
		at   time.Time
		want []string
	}{
		{time.Date(2026, 3, 16, 13, 0, 0, 0, kyiv), []string{"hour-13"}},
		{time.Date(2026, 7, 16, 9, 5, 0, 0, kyiv), []string{"hour-09", "digits/0", "digits/5"}},
	} {
		w := newWorld(t).run("lunch", ScheduleState{State: StateBreak, NextOpen: tc.at.UTC()})
		w.wantHeard(append([]string{"greeting", "break-message"}, tc.want...)...)
	}
}

func TestALunchBreakWithNoReturnTimeLeavesTheSentenceOut(t *testing.T) {
	w := newWorld(t, during("greeting").hangUp()).run("lunch", ScheduleState{State: StateBreak})
	w.wantHeardExactly("greeting")
	w.wantNotHeard("break-message")
}

func TestSilenceDuringTheLunchBreakLeadsToAMessage(t *testing.T) {
	w := newWorld(t).run("lunch", ScheduleState{State: StateBreak, NextOpen: time.Date(2026, 3, 16, 12, 45, 0, 0, kyiv)})
	// The retries repeat the break message and its time, not the greeting.
	if n := w.call.count("greeting"); n != 1 {
		t.Errorf("greeting heard %d times", n)
	}
	if n := w.call.count("break-message"); n != 2 {
		t.Errorf("break-message heard %d times, want 2 (max_retries 2)", n)
	}
	w.wantHeard("no-input", "no-input", "message-record", "beep", "message-saved")
	w.wantOutcome(Outcome{Kind: OutcomeMessageLeft, AppealNumber: "2026-000123", Recording: "call-1-message-1"})
}

func TestEveryStepIsNoted(t *testing.T) {
	w := newWorld(t, whenAsked().press("7"), whenAsked().press("0")).run("main", open)
	var kinds []StepKind
	for _, s := range w.call.steps {
		kinds = append(kinds, s.Kind)
	}
	want := []StepKind{StepNode, StepInvalid, StepKey, StepAction, StepQueueResult}
	if !slices.Equal(kinds, want) {
		t.Errorf("steps = %v, want %v", kinds, want)
	}
	a := w.call.stepsOf(StepAction)[0]
	if a.Node != "main" || !maps.Equal(a.Detail, map[string]string{"action": "operator", "by": "key"}) {
		t.Errorf("action step = %+v", a)
	}
	if k := w.call.stepsOf(StepKey)[0]; k.Key != "0" {
		t.Errorf("key step = %+v", k)
	}
}

func TestAFailedPromptDoesNotEndTheCall(t *testing.T) {
	w := newWorld(t, whenAsked().press("2"))
	w.call.playFaults = 1
	w.run("main", open)
	w.wantJoins(join{"appeals", PriorityNormal})
}

func TestACallerWhoHearsNothingStillReachesTheOperator(t *testing.T) {
	// Every prompt fails but keys still work: the caller is not stuck.
	w := newWorld(t)
	w.call.playFaults = 1000
	w.run("main", open)
	w.wantJoins(join{"operators", PriorityNormal})
}

func TestACallThatKeepsFailingEndsRunWithAnError(t *testing.T) {
	// Every request to Asterisk fails (not a hangup): the menu gives up.
	w := newWorld(t)
	w.call.playFaults, w.call.digitFaults = 1000, 1000
	err := w.flow.Run(context.Background(), w.call, "main", open)
	if !errors.Is(err, errCallFailing) {
		t.Errorf("Run = %v, want the call-failing error", err)
	}
	w.wantOutcome(Outcome{Kind: OutcomeMenuFailed})
}

func TestAnUnknownStartNodeIsAnErrorAndTheCallerIsTold(t *testing.T) {
	w := newWorld(t)
	if err := w.flow.Run(context.Background(), w.call, "nowhere", open); err == nil {
		t.Fatal("Run with an unknown start node returned nil")
	}
	w.wantHeardExactly("technical-problem")
	w.wantOutcome(Outcome{Kind: OutcomeMenuFailed})
}

func TestAFlowWithoutItsServicesRefusesToRun(t *testing.T) {
	w := newWorld(t)
	w.flow.Escalations = nil
	if err := w.flow.Check(); err == nil {
		t.Error("Check passed without escalations")
	}
	if err := w.flow.Run(context.Background(), w.call, "main", open); err == nil {
		t.Error("Run without escalations returned nil")
	}
	if err := (&Flow{}).Run(context.Background(), nil, "main", open); err == nil {
		t.Error("Run with a nil call returned nil")
	}
}

// The queue adapter is bound to each call (With); a flow without one
// tells the caller about a technical problem rather than walking the menu.
func TestAFlowWithoutAQueueBoundToTheCallRefusesToRun(t *testing.T) {
	w := newWorld(t)
	if err := w.flow.With(nil, nil).Run(context.Background(), w.call, "main", open); err == nil {
		t.Fatal("Run without queues returned nil")
	}
	w.wantHeardExactly("technical-problem")
	if bound := w.flow.With(w.queues, nil); bound.Queues != w.queues || w.flow.Queues != w.queues || bound.Menu != w.flow.Menu {
		t.Error("With changed the template or lost its menu")
	}
}

func TestAHangupDuringAnyPromptEndsTheCallPromptly(t *testing.T) {
	// Hang up at each prompt of the after-hours SOS path in turn.
	full := newWorld(t, whenAsked().press("1")).run("after_hours", afterHour).call.heard()
	beep := slices.Index(full, Prompt("beep"))
	if beep < 0 || len(full) < 8 {
		t.Fatalf("unexpected SOS path: %v", full)
	}
	for i, m := range full {
		t.Run(fmt.Sprintf("%d-%s", i, m), func(t *testing.T) {
			var cues []*cue
			if i >= 2 { // after the menu's prompts
				cues = append(cues, whenAsked().press("1"))
			}
			cues = append(cues, duringMedia(m).hangUp())
			w := newWorld(t, cues...).run("after_hours", afterHour)
			if got := w.call.heard(); len(got) != i+1 {
				t.Errorf("heard %d items after hanging up at item %d: %v", len(got), i, got)
			}
			want := OutcomeHungUpInMenu
			if i > beep {
				want = OutcomeSOSEscalated
			}
			if got := w.call.outcome().Kind; got != want {
				t.Errorf("outcome = %q, want %q", got, want)
			}
		})
	}
}

func TestACallerTheQueueHandsBackWhoHangsUpIsHungUpInMenu(t *testing.T) {
	w := newWorld(t, whenAsked().press("2"), during("message-record").hangUp())
	w.queues.results = []QueueResult{{Kind: QueueOverflow}}
	w.run("main", open)
	w.wantOutcome(Outcome{Kind: OutcomeHungUpInMenu})
}

func TestAMenuNotBuiltByNewMenuFallsBackToTheOperator(t *testing.T) {
	for name, a := range map[string]Action{
		"unknown action":   {Kind: "dance"},
		"goto nowhere":     {Kind: ActGoto, Node: "nowhere"},
		"no action at all": {},
	} {
		t.Run(name, func(t *testing.T) {
			w := newWorld(t, whenAsked().press("5"))
			main, _ := w.flow.Menu.Node("main")
			main.Options['5'] = a
			w.run("main", open)
			w.wantJoins(join{"operators", PriorityNormal})
		})
	}
}

type panickyQueues struct{}

func (panickyQueues) Join(context.Context, Call, string, Priority) (QueueResult, error) {
	panic("queue bug")
}

func TestAPanicInAServiceDoesNotTakeTheServerDown(t *testing.T) {
	w := newWorld(t, whenAsked().press("0"))
	w.flow.Queues = panickyQueues{}
	if err := w.flow.Run(context.Background(), w.call, "main", open); err == nil {
		t.Error("Run returned nil after a panic")
	}
	w.wantOutcome(Outcome{Kind: OutcomeMenuFailed})
}
