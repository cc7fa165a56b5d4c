package queue

import (
	"errors"
	"slices"
	"testing"
	"time"
)

func TestTheCallGoesToTheOperatorIdleLongest(t *testing.T) {
	q := operatorQueue()
	q.WrapUp = 0
	h := newHarness(t, []QueueConfig{q}, ops("a", "b", "c"))
	h.loginAll("a", "b", "c")

	// Each takes a call; they finish in the order b, c, a.
	calls := map[string]*Waiter{}
	for _, id := range []string{"a", "b", "c"} {
		w := h.join("operators", 0)
		h.answer(w, id)
		calls[id] = w
	}
	for _, id := range []string{"b", "c", "a"} {
		h.clock.Advance(time.Minute)
		calls[id].Leave(OutcomeAnswered)
	}
	for _, want := range []string{"b", "c", "a"} {
		w := h.join("operators", 0)
		h.answer(w, want)
	}
}

func TestRoundRobinTakesTurnsInOrder(t *testing.T) {
	q := operatorQueue()
	q.Strategy, q.WrapUp = RoundRobin, 0
	h := newHarness(t, []QueueConfig{q}, ops("a", "b", "c"))
	h.loginAll("c", "b", "a") // login order does not matter: the operators' order does
	for _, want := range []string{"a", "b", "c", "a", "b"} {
		w := h.join("operators", 0)
		h.answer(w, want)
		w.Leave(OutcomeAnswered)
	}
}

func TestRingAllRingsEveryFreeOperatorAndTheFirstToAnswerTakesTheCall(t *testing.T) {
	q := operatorQueue()
	q.Strategy = RingAll
	h := newHarness(t, []QueueConfig{q}, ops("a", "b", "c"))
	h.loginAll("a", "b", "c")
	w := h.join("operators", 0)
	offers := h.offerTo(w, "a", "b", "c")
	byOp := map[string]*Offer{}
	for _, o := range offers {
		byOp[o.OperatorID] = o
	}
	if err := w.Accept(byOp["b"]); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"a", "c"} {
		o := byOp[id]
		select {
		case <-o.Done():
		default:
			t.Fatalf("%s's phone still asked to ring after b answered", id)
		}
		if !errors.Is(o.Err(), ErrAnsweredElsewhere) {
			t.Fatalf("%s's offer ended with %v", id, o.Err())
		}
		if err := w.Accept(o); !errors.Is(err, ErrOfferGone) {
			t.Fatalf("a second answer was accepted: %v", err)
		}
		// Until its leg is gone, the phone counts as ringing.
		h.wantState(id, Ringing)
		w.Decline(o, FailRevoked)
		h.wantState(id, Available)
	}
	h.wantState("b", OnCall)
	// Stopping the other phones is not their fault: no rest, no no-answer count.
	w2 := h.join("operators", 0)
	h.offerTo(w2, "a", "c")
}

func TestCallersAreServedFirstInFirstOutWithinAPriority(t *testing.T) {
	q := operatorQueue()
	q.WrapUp = 0
	h := newHarness(t, []QueueConfig{q}, ops("a"))
	h.loginAll("a")
	first := h.join("operators", 0)
	h.answer(first, "a")
	var line []*Waiter
	for range 4 {
		line = append(line, h.join("operators", 0))
		h.clock.Advance(time.Second)
	}
	for i, w := range line {
		if p := w.Position(); p.Position != i+1 {
			t.Fatalf("caller %d is at position %d", i+1, p.Position)
		}
	}
	first.Leave(OutcomeAnswered)
	for i, w := range line {
		for _, later := range line[i+1:] {
			h.noOffer(later)
		}
		h.answer(w, "a")
		w.Leave(OutcomeAnswered)
	}
}

func TestAnSOSCallerGoesToTheHeadOfTheQueue(t *testing.T) {
	q := operatorQueue()
	q.WrapUp = 0
	h := newHarness(t, []QueueConfig{q}, ops("a"))
	h.loginAll("a")
	busy := h.join("operators", 0)
	h.answer(busy, "a")
	n1 := h.join("operators", 0)
	n2 := h.join("operators", 0)
	sos := h.join("operators", 10)
	if p := sos.Position().Position; p != 1 {
		t.Fatalf("SOS caller at position %d, want 1", p)
	}
	if p := n2.Position().Position; p != 3 {
		t.Fatalf("second caller at position %d after the SOS, want 3", p)
	}
	sos2 := h.join("operators", 10)
	if p := sos2.Position().Position; p != 2 {
		t.Fatalf("second SOS caller at %d, want 2 (first in, first out among SOS)", p)
	}
	busy.Leave(OutcomeAnswered)
	for _, w := range []*Waiter{sos, sos2, n1, n2} {
		h.answer(w, "a")
		w.Leave(OutcomeAnswered)
	}
}

func TestAnOfferRingsOutAfterTheRingTimeoutAndGoesToTheNextOperator(t *testing.T) {
	h := newHarness(t, []QueueConfig{operatorQueue()}, ops("a", "b"))
	h.loginAll("a", "b")
	w := h.join("operators", 0)
	toA := h.offerTo(w, "a")[0]
	h.clock.Advance(14 * time.Second)
	if toA.Err() != nil {
		t.Fatal("withdrawn before the ring timeout")
	}
	h.clock.Advance(time.Second)
	if !errors.Is(toA.Err(), ErrRingTimeout) {
		t.Fatalf("after 15 s the offer ended with %v, want the ring timeout", toA.Err())
	}
	toB := h.offerTo(w, "b")[0]
	w.Decline(toA, FailNoAnswer) // a's leg is hung up
	h.wantState("a", Available)
	if err := w.Accept(toB); err != nil {
		t.Fatal(err)
	}
	// a rests for the retry delay before the next offer.
	w2 := h.join("operators", 0)
	h.noOffer(w2)
	h.clock.Advance(5 * time.Second)
	h.offerTo(w2, "a")
	if s, _ := h.d.Operator("a"); s.NoAnswers != 1 {
		t.Fatalf("a has %d offers not taken, want 1", s.NoAnswers)
	}
}

func TestAnOperatorGoneBeforeTheBridgeIsAFailedOfferAndTheCallerWaitsInTheirPlace(t *testing.T) {
	h := newHarness(t, []QueueConfig{operatorQueue()}, ops("a", "b"))
	h.loginAll("a", "b")
	first := h.join("operators", 0)
	h.clock.Advance(3 * time.Second)
	second := h.join("operators", 0)
	h.answer(first, "a")
	h.answer(second, "b")
	h.clock.Advance(2 * time.Second)
	// a's leg hung up between the answer and the bridge.
	first.ConnectFailed()
	h.wantState("a", Available)
	if p := first.Position(); p.Position != 1 {
		t.Fatalf("the caller is back at position %d, want 1", p.Position)
	}
	if _, ok := first.Operator(); ok {
		t.Fatal("the caller still has an operator")
	}
	st := h.d.Snapshot().Queues[0].Stats
	if st.Answered != 1 || st.AnsweredInSL != 1 || st.Handled != 0 {
		t.Fatalf("stats %+v: the lost answer must not count", st)
	}
	// a rests for the retry delay (no wrap-up: nobody talked); b's call ends
	// and, after b's wrap-up, the caller goes to whoever is free first.
	h.noOffer(first)
	h.clock.Advance(5 * time.Second)
	h.answer(first, "a")
	if s, _ := h.d.Operator("a"); s.Handled != 0 || s.NoAnswers != 0 {
		t.Fatalf("a: handled %d, no-answers %d: a lost answer is neither", s.Handled, s.NoAnswers)
	}
	first.Release()
	h.wantState("a", WrapUp)
	// Nothing happens outside the conversation.
	second.Leave(OutcomeAnswered)
	second.ConnectFailed()
	h.wantState("b", WrapUp)
}

func TestACallerPutBackAfterMaxWaitOverflows(t *testing.T) {
	q := operatorQueue()
	q.MaxWait = 10 * time.Second // shorter than the ring timeout: the phone rings on past it
	h := newHarness(t, []QueueConfig{q}, ops("a"))
	h.loginAll("a")
	w := h.join("operators", 0)
	h.clock.Advance(12 * time.Second)
	h.answer(w, "a")
	w.ConnectFailed()
	if got := h.events(w); !slices.Equal(got, []EventKind{EventOverflow}) {
		t.Fatalf("events %v, want overflow", got)
	}
}

func TestAnOperatorWhoLetsThreeOffersInARowRingOutIsPausedWithReasonNoAnswer(t *testing.T) {
	h := newHarness(t, []QueueConfig{operatorQueue()}, ops("a"))
	h.loginAll("a")
	w := h.join("operators", 0)
	ringOut := func() {
		t.Helper()
		o := h.offerTo(w, "a")[0]
		h.clock.Advance(15 * time.Second)
		w.Decline(o, FailNoAnswer)
	}
	// Two ring-outs, then an answer: the count starts again.
	ringOut()
	h.clock.Advance(5 * time.Second)
	ringOut()
	h.clock.Advance(5 * time.Second)
	h.answer(w, "a")
	w.Leave(OutcomeAnswered)
	h.clock.Advance(10 * time.Second) // wrap-up
	w = h.join("operators", 0)
	for i := range 3 {
		if i > 0 {
			h.clock.Advance(5 * time.Second)
		}
		ringOut()
	}
	s, _ := h.d.Operator("a")
	if s.State != Paused || s.Reason != ReasonNoAnswer {
		t.Fatalf("after three ring-outs in a row a is %s (%s), want paused (no_answer)", s.State, s.Reason)
	}
	h.clock.Advance(time.Minute)
	h.noOffer(w)
	log := h.log.of("a")
	last := log[len(log)-1]
	if last.State != Paused || last.Reason != ReasonNoAnswer || !last.At.Equal(s.Since) {
		t.Fatalf("state log ends with %+v, want paused no_answer at %v", last, s.Since)
	}
	// Unpausing forgets the ring-outs.
	if err := h.d.Unpause("a"); err != nil {
		t.Fatal(err)
	}
	h.offerTo(w, "a")
	if s, _ := h.d.Operator("a"); s.NoAnswers != 0 {
		t.Fatalf("unpaused with %d ring-outs counted", s.NoAnswers)
	}
}

func TestBusyPhonesAreTriedAgainLaterWithoutCountingTowardThePause(t *testing.T) {
	q := operatorQueue()
	q.MaxNoAnswer = 1
	h := newHarness(t, []QueueConfig{q}, ops("a"))
	h.loginAll("a")
	w := h.join("operators", 0)
	for range 3 {
		o := h.offerTo(w, "a")[0]
		w.Decline(o, FailBusy)
		h.noOffer(w)
		h.clock.Advance(5 * time.Second)
	}
	h.wantState("a", Ringing)
}

func TestAnOperatorWrapsUpAfterEachCallBeforeTheNextOffer(t *testing.T) {
	h := newHarness(t, []QueueConfig{operatorQueue()}, ops("a"))
	h.loginAll("a")
	first := h.join("operators", 0)
	h.answer(first, "a")
	next := h.join("operators", 0)
	h.clock.Advance(2 * time.Minute)
	first.Release() // the conversation ends
	h.wantState("a", WrapUp)
	h.clock.Advance(9 * time.Second)
	h.noOffer(next)
	h.clock.Advance(time.Second)
	h.offerTo(next, "a")
	q, _ := h.d.QueueSnapshot("operators")
	if q.AvgHandleTime != 2*time.Minute+10*time.Second {
		t.Fatalf("handle time %v, want the talk plus the wrap-up (2m10s)", q.AvgHandleTime)
	}
}

func TestAPauseAskedForDuringACallStartsAfterTheWrapUp(t *testing.T) {
	h := newHarness(t, []QueueConfig{operatorQueue()}, ops("a"))
	h.loginAll("a")
	w := h.join("operators", 0)
	h.answer(w, "a")
	if err := h.d.Pause("a", ReasonLunch); err != nil {
		t.Fatal(err)
	}
	h.wantState("a", OnCall)
	// The pause is logged at once beside the call, so a restart during the
	// call brings the operator back paused, as asked.
	log := h.log.of("a")
	if last := log[len(log)-1]; last.State != OnCall || last.Presence != Paused || last.Reason != ReasonLunch {
		t.Fatalf("state log ends with %+v, want on_call with lunch asked for", last)
	}
	w.Leave(OutcomeAnswered)
	h.wantState("a", WrapUp)
	h.clock.Advance(10 * time.Second)
	s, _ := h.d.Operator("a")
	if s.State != Paused || s.Reason != ReasonLunch {
		t.Fatalf("a is %s (%s), want paused for lunch", s.State, s.Reason)
	}
}

func TestOperatorsWhosePhonesAreOfflineAreNotOfferedCalls(t *testing.T) {
	h := newHarness(t, []QueueConfig{operatorQueue()}, ops("a", "b"))
	h.loginAll("a", "b")
	if !h.d.EndpointState("PJSIP/a", "offline") {
		t.Fatal("endpoint not recognised")
	}
	w := h.join("operators", 0)
	h.offerTo(w, "b") // a has been idle longer, but a's phone is offline
	h.d.EndpointState("PJSIP/a", "online")
	w2 := h.join("operators", 0)
	h.offerTo(w2, "a")
	if s, _ := h.d.Operator("a"); !s.Online {
		t.Fatal("a still offline")
	}
}

func TestAnOfferIsWithdrawnWhenThePhoneGoesOfflineWhileRinging(t *testing.T) {
	h := newHarness(t, []QueueConfig{operatorQueue()}, ops("a", "b"))
	h.loginAll("a", "b")
	w := h.join("operators", 0)
	toA := h.offerTo(w, "a")[0]
	h.d.EndpointState("PJSIP/a", "offline")
	select {
	case <-toA.Done():
	default:
		t.Fatal("offer still stands on an offline phone")
	}
	if !errors.Is(toA.Err(), ErrOperatorOffline) {
		t.Fatalf("withdrawn with %v", toA.Err())
	}
	h.offerTo(w, "b")
	w.Decline(toA, FailUnavailable) // the adapter reports the leg gone, whatever it saw
	if s, _ := h.d.Operator("a"); s.NoAnswers != 0 {
		t.Fatalf("going offline counted as %d ring-outs", s.NoAnswers)
	}
}

func TestACallerWhoHangsUpWhileAPhoneRingsStopsTheRinging(t *testing.T) {
	h := newHarness(t, []QueueConfig{operatorQueue()}, ops("a"))
	h.loginAll("a")
	w := h.join("operators", 0)
	o := h.offerTo(w, "a")[0]
	h.clock.Advance(3 * time.Second)
	w.Leave(OutcomeAbandoned)
	if !errors.Is(o.Err(), ErrCallerLeft) {
		t.Fatalf("offer ended with %v, want the caller left", o.Err())
	}
	h.wantState("a", Ringing)
	w.Decline(o, FailRevoked)
	h.wantState("a", Available)
	next := h.join("operators", 0)
	h.offerTo(next, "a") // no rest: it was not the operator's doing
	q, _ := h.d.QueueSnapshot("operators")
	if q.Stats.Abandoned != 1 {
		t.Fatalf("abandoned %d, want 1", q.Stats.Abandoned)
	}
}

func TestAFullQueueTurnsCallersAway(t *testing.T) {
	q := operatorQueue()
	q.MaxLength = 2
	h := newHarness(t, []QueueConfig{q}, ops("a"))
	h.loginAll("a")
	h.d.Pause("a", ReasonBreak)
	h.join("operators", 0)
	h.join("operators", 0)
	if _, err := h.d.Join(JoinRequest{CallID: "third", Queue: "operators"}); !errors.Is(err, ErrQueueFull) {
		t.Fatalf("third caller: %v, want the queue full", err)
	}
}

func TestACallerWhoWaitsMaxWaitOverflows(t *testing.T) {
	q := operatorQueue()
	q.MaxWait = time.Minute
	h := newHarness(t, []QueueConfig{q}, ops("a"))
	h.loginAll("a")
	busy := h.join("operators", 0)
	h.answer(busy, "a")
	w := h.join("operators", 0)
	h.clock.Advance(59 * time.Second)
	if ev := h.events(w); len(ev) > 0 {
		t.Fatalf("events before max wait: %v", ev)
	}
	h.clock.Advance(time.Second)
	if ev := h.events(w); !slices.Equal(ev, []EventKind{EventOverflow}) {
		t.Fatalf("events at max wait: %v, want overflow", ev)
	}
	busy.Leave(OutcomeAnswered)
	h.clock.Advance(time.Minute)
	h.noOffer(w) // an overflowing caller is offered no more
	w.Leave(OutcomeOverflow)
}

func TestMaxWaitLetsARingingPhoneFinishBeforeOverflowing(t *testing.T) {
	q := operatorQueue()
	q.MaxWait = 10 * time.Second
	h := newHarness(t, []QueueConfig{q}, ops("a", "b"))
	h.loginAll("a")
	w := h.join("operators", 0)
	o := h.offerTo(w, "a")[0]
	h.clock.Advance(10 * time.Second)
	if ev := h.events(w); len(ev) > 0 {
		t.Fatalf("overflowed while a phone rang: %v", ev)
	}
	h.clock.Advance(5 * time.Second) // a's phone rings out
	if ev := h.events(w); !slices.Equal(ev, []EventKind{EventOverflow}) {
		t.Fatalf("events once the ring ended: %v, want overflow", ev)
	}
	w.Decline(o, FailNoAnswer)
	h.d.Login("b")
	h.noOffer(w)
}

func TestNobodyLoggedInMeansTheQueueIsClosed(t *testing.T) {
	h := newHarness(t, []QueueConfig{operatorQueue()}, ops("a", "b"))
	if _, err := h.d.Join(JoinRequest{CallID: "x", Queue: "operators"}); !errors.Is(err, ErrNoOperators) {
		t.Fatalf("join with nobody logged in: %v", err)
	}
	h.loginAll("a")
	h.d.Pause("a", ReasonLunch)
	w := h.join("operators", 0) // a paused operator will be back
	h.d.Logout("a")
	if ev := h.events(w); !slices.Equal(ev, []EventKind{EventClosed}) {
		t.Fatalf("events after the last operator logged out: %v, want closed", ev)
	}
	w.Leave(OutcomeClosed)
}

func TestPositionAndEstimatedWaitComeFromRecentHandleTimes(t *testing.T) {
	q := operatorQueue()
	q.WrapUp = 0
	h := newHarness(t, []QueueConfig{q}, ops("a", "b"))
	h.loginAll("a", "b")
	// Two rounds of calls: 2 and 4 minutes.
	for _, d := range []time.Duration{2 * time.Minute, 4 * time.Minute} {
		w1, w2 := h.join("operators", 0), h.join("operators", 0)
		h.answer(w1, "a")
		h.answer(w2, "b")
		h.clock.Advance(d)
		w1.Leave(OutcomeAnswered)
		w2.Leave(OutcomeAnswered)
	}
	// a and b are busy again; two callers wait.
	h.answer(h.join("operators", 0), "a")
	h.answer(h.join("operators", 0), "b")
	w1 := h.join("operators", 0)
	w2 := h.join("operators", 0)
	h.clock.Advance(30 * time.Second)
	// Average handle 3 min, two operators taking calls.
	if p := w1.Position(); p.Position != 1 || p.EstimatedWait != 90*time.Second || p.Waited != 30*time.Second {
		t.Fatalf("first in line: %+v, want position 1, ~1m30s", p)
	}
	if p := w2.Position(); p.Position != 2 || p.EstimatedWait != 3*time.Minute {
		t.Fatalf("second in line: %+v, want position 2, ~3m", p)
	}
}

func TestQueuesCanRequireSkillsAndLowerPenaltiesAreOfferedFirst(t *testing.T) {
	legal := QueueConfig{Name: "legal", Skills: []string{"law"}, WrapUp: 0}
	operators := []Operator{
		{ID: "novice", Endpoint: "PJSIP/n", Queues: []string{"legal"}, Skills: map[string]int{"law": 5}},
		{ID: "expert", Endpoint: "PJSIP/e", Queues: []string{"legal"}, Skills: map[string]int{"law": 0}},
		{ID: "none", Endpoint: "PJSIP/x", Queues: []string{"legal"}},
	}
	h := newHarness(t, []QueueConfig{legal}, operators)
	h.loginAll("none", "novice", "expert") // none and novice idle longer
	w := h.join("legal", 0)
	h.answer(w, "expert")
	w2 := h.join("legal", 0)
	h.answer(w2, "novice") // the expert is busy: the next tier
	w3 := h.join("legal", 0)
	h.noOffer(w3) // never an operator without the skill
}

func TestAnOperatorInTwoQueuesTakesTheCallerWhoWaitedLongest(t *testing.T) {
	appeals := operatorQueue()
	appeals.Name = "appeals"
	operators := ops("a")
	operators[0].Queues = []string{"operators", "appeals"}
	h := newHarness(t, []QueueConfig{operatorQueue(), appeals}, operators)
	h.loginAll("a")
	h.d.Pause("a", ReasonBreak)
	first := h.join("appeals", 0)
	h.clock.Advance(time.Second)
	second := h.join("operators", 0)
	h.d.Unpause("a")
	h.offerTo(first, "a")
	h.noOffer(second)
}

func TestEveryStateChangeIsLoggedWithItsTime(t *testing.T) {
	h := newHarness(t, []QueueConfig{operatorQueue()}, ops("a"))
	start := h.clock.Now()
	h.loginAll("a") // logged in at start, then 1 s passes
	w := h.join("operators", 0)
	h.clock.Advance(2 * time.Second)
	h.answer(w, "a")
	h.clock.Advance(time.Minute)
	w.Leave(OutcomeAnswered)
	h.clock.Advance(10 * time.Second)
	h.d.Pause("a", ReasonTraining)
	h.d.EndpointState("PJSIP/a", "offline")

	type row struct {
		State  State
		Reason PauseReason
		Online bool
		After  time.Duration
	}
	var got []row
	for _, c := range h.log.of("a") {
		got = append(got, row{c.State, c.Reason, c.Online, c.At.Sub(start)})
	}
	want := []row{
		{LoggedOut, "", true, 0},
		{Available, "", true, 0},
		{Ringing, "", true, time.Second},
		{OnCall, "", true, 3 * time.Second},
		{WrapUp, "", true, 63 * time.Second},
		{Available, "", true, 73 * time.Second},
		{Paused, ReasonTraining, true, 73 * time.Second},
		{Paused, ReasonTraining, false, 73 * time.Second},
	}
	if !slices.Equal(got, want) {
		t.Fatalf("state log:\n got %+v\nwant %+v", got, want)
	}
	for _, c := range h.log.of("a")[2:5] {
		if c.CallID != w.CallID() || c.Queue != "operators" {
			t.Fatalf("%s row without its call: %+v", c.State, c)
		}
	}
}

func TestATransferIsHandedToTheCallsOwner(t *testing.T) {
	appeals := operatorQueue()
	appeals.Name = "appeals"
	h := newHarness(t, []QueueConfig{operatorQueue(), appeals}, ops("a"))
	h.loginAll("a")
	w := h.join("operators", 0)
	h.answer(w, "a")
	if err := h.d.Transfer(w.CallID(), Target{Kind: TargetQueue, Queue: "nope"}, "sup"); err == nil {
		t.Fatal("transfer to a missing queue accepted")
	}
	if err := h.d.Transfer("unknown", Target{Kind: TargetMenu}, "sup"); !errors.Is(err, ErrCallNotFound) {
		t.Fatalf("transfer of an unknown call: %v", err)
	}
	if err := h.d.Transfer(w.CallID(), Target{Kind: TargetQueue, Queue: "appeals"}, "a"); err != nil {
		t.Fatal(err)
	}
	ev := w.TakeEvents()
	if len(ev) != 1 || ev[0].Kind != EventTransfer || ev[0].Transfer.Queue != "appeals" || ev[0].By != "a" {
		t.Fatalf("events: %+v", ev)
	}
}

func TestOperatorsCanBeAddedChangedAndRemoved(t *testing.T) {
	h := newHarness(t, []QueueConfig{operatorQueue()}, ops("a"))
	if _, err := h.d.UpsertOperator(Operator{ID: "b", Endpoint: "PJSIP/a", Queues: []string{"operators"}}); err == nil {
		t.Fatal("two operators on one phone")
	}
	var fe *FieldError
	if _, err := h.d.UpsertOperator(Operator{ID: "b", Endpoint: "PJSIP/b", Queues: []string{"nope"}}); !errors.As(err, &fe) || fe.Field != "queues" {
		t.Fatalf("unknown queue: %v", err)
	}
	created, err := h.d.UpsertOperator(Operator{ID: "b", Endpoint: "PJSIP/b", Queues: []string{"operators"}})
	if err != nil || !created {
		t.Fatalf("add b: %v %v", created, err)
	}
	h.loginAll("a", "b")
	w := h.join("operators", 0)
	o := h.offerTo(w, "a")[0]
	// a is moved out of the queue while ringing: the offer is withdrawn.
	if _, err := h.d.UpsertOperator(Operator{ID: "a", Endpoint: "PJSIP/a"}); err != nil {
		t.Fatal(err)
	}
	if !errors.Is(o.Err(), ErrOperatorUnavailable) {
		t.Fatalf("offer after a left the queue: %v", o.Err())
	}
	h.offerTo(w, "b")
	if err := h.d.RemoveOperator("a"); !errors.Is(err, ErrOperatorBusy) {
		t.Fatalf("removing a ringing operator: %v", err)
	}
	w.Decline(o, FailRevoked)
	if err := h.d.RemoveOperator("a"); err != nil {
		t.Fatal(err)
	}
	if _, ok := h.d.Operator("a"); ok {
		t.Fatal("a still there")
	}
}
