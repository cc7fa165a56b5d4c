package escalation_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/slobozhanske/hotline/ivr"
	"github.com/slobozhanske/hotline/telephony/escalation"
	"github.com/slobozhanske/hotline/telephony/escalation/esctest"
)

// 4.9.1: from 17:00 to 07:00 SOS appeals are passed by phone to the person
// on duty. The dispatcher does not answer (twice, a minute apart), the head
// of the housing department answers and presses 1.
func TestAnSOSIsPassedToTheSecondPersonOnDutyWhenTheFirstDoesNotAnswer(t *testing.T) {
	t.Parallel()
	w := newWorld(t, regulations())
	w.phones.Script(dispatcherPhone, esctest.DoesNotAnswer)
	w.phones.Script(headPhone, esctest.Accepts(5*time.Second))

	sos := w.sos("water")
	w.until(5*time.Minute, "the head accepts", func() bool { return len(w.acks(sos)) == 1 })

	esc := w.escalationOf(sos)
	if esc.State != escalation.StateAcknowledged || esc.AcknowledgedBy != head.Name || esc.AcknowledgedPhone != head.Phone {
		t.Fatalf("escalation %s acknowledged by %q (%s), want acknowledged by %q", esc.State, esc.AcknowledgedBy, esc.AcknowledgedPhone, head.Name)
	}
	want := []string{dispatcherPhone + " no_answer", dispatcherPhone + " no_answer", headPhone + " acknowledged"}
	if got := attempts(esc); !slices.Equal(got, want) {
		t.Fatalf("stored attempts %q, want %q", got, want)
	}
	a := esc.Attempts
	if gap := a[1].StartedAt.Sub(a[0].EndedAt); gap < time.Minute || gap > time.Minute+3*time.Second {
		t.Errorf("the dispatcher was phoned again %s after the first attempt ended, want the retry delay of 1m", gap)
	}
	if rang := a[0].EndedAt.Sub(a[0].StartedAt); rang < 30*time.Second || rang > 33*time.Second {
		t.Errorf("the dispatcher's phone rang %s, want the ring timeout of 30s", rang)
	}
	if a[2].AnsweredAt.IsZero() || !a[2].EndedAt.Equal(esc.AcknowledgedAt) {
		t.Errorf("the head's attempt: answered %v, ended %v; acknowledged %v", a[2].AnsweredAt, a[2].EndedAt, esc.AcknowledgedAt)
	}
	for _, at := range a {
		if at.Round != 1 || at.Name == "" || at.EndedAt.IsZero() {
			t.Errorf("attempt %+v: want round 1, a name and an end", at)
		}
	}

	// The appeal's history shows both calls to the dispatcher, then the
	// head's acknowledgement.
	wantHistory := []string{
		"duty_attempt " + dispatcherPhone + " no_answer", "duty_attempt " + dispatcherPhone + " no_answer",
		"duty_acknowledged " + head.Name,
	}
	if got := w.historyOf(sos); !slices.Equal(got, wantHistory) {
		t.Fatalf("appeal history %q, want %q", got, wantHistory)
	}
	for i, h := range w.history.Of(sos.Appeal.ID)[:2] {
		if h.Who != escalation.WhoEscalation || h.Detail["escalation_id"] != esc.ID || h.Detail["person"] != dispatcher.Name ||
			h.Detail["attempt_id"] != fmt.Sprint(a[i].ID) || h.Detail["try"] != fmt.Sprint(i+1) || h.Detail["round"] != "1" ||
			h.Detail["started_at"] != a[i].StartedAt.UTC().Format(time.RFC3339) || !strings.Contains(h.Note, "не відповів") {
			t.Errorf("attempt %d on the appeal's history: %+v", i+1, h)
		}
	}
	h := w.acks(sos)[0]
	if h.Who != head.Name || h.Action != escalation.ActionAcknowledged || h.Detail["escalation_id"] != esc.ID ||
		h.Detail["acknowledged_at"] != esc.AcknowledgedAt.UTC().Format(time.RFC3339) || !strings.Contains(h.Note, "23:") {
		t.Errorf("appeal history entry %+v", h)
	}
	if esc.HistoryWrittenAt.IsZero() {
		t.Error("the escalation does not record that the history entry was written")
	}

	// What the head heard: the number, the category, the caller's phone, the
	// recording, the question, and the confirmation.
	calls := w.phones.Calls()
	last := calls[len(calls)-1]
	heard := []ivr.Media{"sound:hotline/duty-alert", ivr.Media("digits:" + sos.Appeal.SpokenDigits),
		"sound:hotline/duty-category", "sound:hotline/cat-water",
		"sound:hotline/duty-caller-phone", "digits:380671112233",
		"sound:hotline/duty-recording-intro", ivr.Media("recording:" + sos.Recording),
		"sound:hotline/duty-press-accept", "sound:hotline/duty-accepted"}
	if !slices.Equal(last.Heard, heard) {
		t.Errorf("the head heard\n%q\nwant\n%q", last.Heard, heard)
	}
	if last.CallerID != "Гаряча лінія <1580>" {
		t.Errorf("the head's phone showed %q, want the hotline's caller id", last.CallerID)
	}

	if got := w.counter("hotline_escalation_started_total"); got != 1 {
		t.Errorf("started %v, want 1", got)
	}
	if got := w.counter("hotline_escalation_acknowledged_total"); got != 1 {
		t.Errorf("acknowledged %v, want 1", got)
	}
	if got := w.counter("hotline_escalation_attempts_total", "result", "no_answer"); got != 2 {
		t.Errorf("attempts no_answer %v, want 2", got)
	}
	if got := w.counter("hotline_escalation_time_to_acknowledge_seconds"); got != 1 {
		t.Errorf("time to acknowledge observed %v times, want 1", got)
	}
	if got, want := w.histogramSum("hotline_escalation_time_to_acknowledge_seconds"), esc.AcknowledgedAt.Sub(esc.CreatedAt).Seconds(); got != want || want < 120 { // two rings of 30s and the retry delay of 1m at least
		t.Errorf("time to acknowledge observed %vs, want %vs (from the start to the head's 1)", got, want)
	}
	if got := w.counter("hotline_escalation_attempts_total", "result", "acknowledged"); got != 1 {
		t.Errorf("attempts acknowledged %v, want 1", got)
	}
	w.until(time.Minute, "the escalation's goroutine ends", func() bool { return w.engine.Running() == 0 })
}

// A busy or unreachable phone counts as an attempt: after the configured
// attempts the next person on duty is phoned.
func TestBusyAndUnreachablePhonesGoToTheNextPersonAfterTheConfiguredAttempts(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name       string
		dispatcher esctest.Behaviour
		result     escalation.Result
	}{
		{"the dispatcher's line is busy", esctest.Busy, escalation.ResultBusy},
		{"the dispatcher's softphone is offline", esctest.Unavailable, escalation.ResultUnavailable},
		{"the dispatcher hangs up without accepting", esctest.HangsUp, escalation.ResultHungUp},
		{"the dispatcher answers but does not press 1", esctest.AnswersSilently, escalation.ResultNoAck},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			rules := regulations()
			rules.AttemptsPerPerson = 3
			w := newWorld(t, rules)
			w.phones.Script(dispatcherPhone, tc.dispatcher)
			w.phones.Script(headPhone, esctest.Accepts(0))

			sos := w.sos("heating")
			w.until(10*time.Minute, "acknowledged", func() bool { return w.state(sos) == escalation.StateAcknowledged })

			r := string(tc.result)
			want := []string{dispatcherPhone + " " + r, dispatcherPhone + " " + r, dispatcherPhone + " " + r, headPhone + " acknowledged"}
			if got := attempts(w.escalationOf(sos)); !slices.Equal(got, want) {
				t.Fatalf("attempts %q, want %q", got, want)
			}
			if got := w.counter("hotline_escalation_attempts_total", "result", r); got != 3 {
				t.Errorf("attempts %s counted %v, want 3", r, got)
			}
		})
	}
}

// Nobody accepts: once the whole chain is through, an alert is raised and
// the chain starts over; each round that fails raises it again.
func TestWhenNobodyAcceptsTheChainStartsOverAndAnAlertIsRaised(t *testing.T) {
	t.Parallel()
	rules := regulations()
	rules.AttemptsPerPerson = 1
	w := newWorld(t, rules)
	w.phones.Script(dispatcherPhone, esctest.DoesNotAnswer, esctest.Busy, esctest.Accepts(0))
	w.phones.Script(headPhone, esctest.AnswersSilently)

	sos := w.sos("gas")
	w.until(5*time.Minute, "the first round is through", func() bool { return w.escalationOf(sos).Round == 2 })
	if got := w.counter("hotline_escalation_rounds_exhausted_total"); got != 1 {
		t.Fatalf("alerts after the first round: %v, want 1", got)
	}
	if got := w.counter("hotline_escalation_alerting"); got != 1 {
		t.Fatalf("alerting gauge %v, want 1", got)
	}
	w.until(10*time.Minute, "accepted in the third round", func() bool { return w.state(sos) == escalation.StateAcknowledged })

	esc := w.escalationOf(sos)
	want := []string{
		dispatcherPhone + " no_answer", headPhone + " no_ack", // round 1
		dispatcherPhone + " busy", headPhone + " no_ack", // round 2
		dispatcherPhone + " acknowledged", // round 3
	}
	if got := attempts(esc); !slices.Equal(got, want) {
		t.Fatalf("attempts %q, want %q", got, want)
	}
	if esc.Attempts[4].Round != 3 || esc.RoundsExhausted != 2 {
		t.Errorf("accepted in round %d after %d exhausted rounds, want round 3 after 2", esc.Attempts[4].Round, esc.RoundsExhausted)
	}
	if gap := esc.Attempts[2].StartedAt.Sub(esc.Attempts[1].EndedAt); gap < time.Minute || gap > time.Minute+3*time.Second {
		t.Errorf("the second round started %s after the first ended, want the retry delay of 1m", gap)
	}
	if got := w.counter("hotline_escalation_rounds_exhausted_total"); got != 2 {
		t.Errorf("alerts %v, want one per exhausted round (2)", got)
	}
	w.until(time.Minute, "the goroutine ends", func() bool { return w.engine.Running() == 0 })
	if got := w.counter("hotline_escalation_alerting"); got != 0 {
		t.Errorf("alerting gauge %v after the acknowledgement, want 0", got)
	}
}

// With max_rounds set, the escalation gives up after that many rounds.
func TestAfterMaxRoundsTheEscalationIsExhausted(t *testing.T) {
	t.Parallel()
	rules := regulations()
	rules.AttemptsPerPerson, rules.MaxRounds = 1, 2
	w := newWorld(t, rules)
	w.phones.Script(dispatcherPhone, esctest.Unavailable)
	w.phones.Script(headPhone, esctest.Busy)

	sos := w.sos("flooding")
	w.until(10*time.Minute, "exhausted", func() bool { return w.state(sos) == escalation.StateExhausted })
	esc := w.escalationOf(sos)
	if len(esc.Attempts) != 4 || esc.RoundsExhausted != 2 || esc.EndedAt.IsZero() {
		t.Fatalf("attempts %q, rounds exhausted %d, ended %v: want 4 attempts in 2 rounds and an end", attempts(esc), esc.RoundsExhausted, esc.EndedAt)
	}
	if got := w.counter("hotline_escalation_exhausted_total"); got != 1 {
		t.Errorf("exhausted %v, want 1", got)
	}
	// Whoever opens the card sees that the chain gave up, after the four calls.
	if got := w.historyOf(sos); len(got) != 5 || got[4] != "duty_exhausted "+escalation.WhoEscalation {
		t.Errorf("appeal history %q, want the four attempts then duty_exhausted", got)
	}
	w.wait(10 * time.Minute)
	if n := w.phones.CallsTo(dispatcherPhone); n != 2 {
		t.Errorf("the dispatcher was phoned %d times, want 2 (no calls after giving up)", n)
	}
}

// A controller restart in the middle of an escalation: the call in progress
// is hung up and stored as interrupted, and the new controller makes it again.
func TestARestartInTheMiddleResumesTheEscalation(t *testing.T) {
	t.Parallel()
	w := newWorld(t, regulations())
	w.phones.Script(dispatcherPhone, esctest.DoesNotAnswer, esctest.DoesNotAnswer, esctest.Accepts(0))

	sos := w.sos("electricity")
	w.until(2*time.Minute, "the dispatcher's second attempt rings", func() bool { return w.phones.CallsTo(dispatcherPhone) == 2 })
	w.wait(10 * time.Second)
	w.restart()

	w.until(time.Minute, "accepted after the restart", func() bool { return w.state(sos) == escalation.StateAcknowledged })
	esc := w.escalationOf(sos)
	want := []string{dispatcherPhone + " no_answer", dispatcherPhone + " interrupted", dispatcherPhone + " acknowledged"}
	if got := attempts(esc); !slices.Equal(got, want) {
		t.Fatalf("attempts %q, want %q", got, want)
	}
	if esc.Attempts[1].Try != 2 || esc.Attempts[2].Try != 2 {
		t.Errorf("tries %d and %d: the interrupted attempt is made again, not counted", esc.Attempts[1].Try, esc.Attempts[2].Try)
	}
	// The interrupted call is made again and is not on the appeal's history.
	if got := w.historyOf(sos); !slices.Equal(got, []string{"duty_attempt " + dispatcherPhone + " no_answer", "duty_acknowledged " + dispatcher.Name}) {
		t.Errorf("appeal history %q, want the first attempt and the acknowledgement", got)
	}
}

// A restart while waiting for the retry delay keeps the delay.
func TestARestartDuringTheRetryDelayKeepsTheDelay(t *testing.T) {
	t.Parallel()
	w := newWorld(t, regulations())
	w.phones.Script(dispatcherPhone, esctest.Busy, esctest.Accepts(0))

	sos := w.sos("water")
	w.until(time.Minute, "the first attempt is over", func() bool { return len(w.escalationOf(sos).Attempts) == 1 })
	firstEnded := w.escalationOf(sos).Attempts[0].EndedAt
	w.wait(20 * time.Second)
	w.restart()
	w.until(2*time.Minute, "accepted", func() bool { return w.state(sos) == escalation.StateAcknowledged })
	esc := w.escalationOf(sos)
	if got := attempts(esc); !slices.Equal(got, []string{dispatcherPhone + " busy", dispatcherPhone + " acknowledged"}) {
		t.Fatalf("attempts %q", got)
	}
	if gap := esc.Attempts[1].StartedAt.Sub(firstEnded); gap < time.Minute || gap > time.Minute+3*time.Second {
		t.Errorf("second attempt %s after the first, want the retry delay of 1m across the restart", gap)
	}
}

// Two emergencies at once: a person listening silently to one does not hold
// up the other.
func TestTwoSOSAtOnceRunIndependently(t *testing.T) {
	t.Parallel()
	rules := regulations()
	rules.AttemptsPerPerson = 1
	w := newWorld(t, rules)
	// The first call reaches the dispatcher, who listens and says nothing;
	// the second finds the dispatcher's line busy.
	w.phones.Script(dispatcherPhone, esctest.AnswersSilently, esctest.Busy)
	w.phones.Script(headPhone, esctest.Accepts(0))

	first, second := w.sos("water"), w.sos("gas")
	w.until(10*time.Second, "one of them accepted by the head", func() bool {
		return w.state(first) == escalation.StateAcknowledged || w.state(second) == escalation.StateAcknowledged
	})
	quick, slow := first, second
	if w.state(second) == escalation.StateAcknowledged {
		quick, slow = second, first
	}
	if w.state(slow) != escalation.StateActive {
		t.Fatalf("the other escalation is %s, want still active (the dispatcher is listening)", w.state(slow))
	}
	w.until(2*time.Minute, "the other accepted by the head after the dispatcher's silence", func() bool {
		return w.state(slow) == escalation.StateAcknowledged
	})
	if got := attempts(w.escalationOf(quick)); !slices.Equal(got, []string{dispatcherPhone + " busy", headPhone + " acknowledged"}) {
		t.Errorf("quick one's attempts %q", got)
	}
	if got := attempts(w.escalationOf(slow)); !slices.Equal(got, []string{dispatcherPhone + " no_ack", headPhone + " acknowledged"}) {
		t.Errorf("slow one's attempts %q", got)
	}
	q, s := w.escalationOf(quick), w.escalationOf(slow)
	if wait := s.AcknowledgedAt.Sub(q.AcknowledgedAt); wait < 55*time.Second {
		t.Errorf("the slow one was accepted %s after the quick one, want about the acknowledgement timeout", wait)
	}
	// Each appeal's history has its own attempts and acknowledgement, nothing of the other's.
	if got := w.historyOf(quick); !slices.Equal(got, []string{"duty_attempt " + dispatcherPhone + " busy", "duty_acknowledged " + head.Name}) {
		t.Errorf("quick one's appeal history %q", got)
	}
	if got := w.historyOf(slow); !slices.Equal(got, []string{"duty_attempt " + dispatcherPhone + " no_ack", "duty_acknowledged " + head.Name}) {
		t.Errorf("slow one's appeal history %q", got)
	}
}

// An appeal is escalated once, however often Start is called for it.
func TestAnAppealIsEscalatedOnce(t *testing.T) {
	t.Parallel()
	w := newWorld(t, regulations())
	w.phones.Script(dispatcherPhone, esctest.Accepts(10*time.Second))
	sos := w.sos("water")
	if err := w.engine.Start(context.Background(), sos); err != nil {
		t.Fatal(err)
	}
	w.until(time.Minute, "accepted", func() bool { return w.state(sos) == escalation.StateAcknowledged })
	if n := w.phones.CallsTo(dispatcherPhone); n != 1 {
		t.Errorf("the dispatcher was phoned %d times, want 1", n)
	}
	if got := w.counter("hotline_escalation_started_total"); got != 1 {
		t.Errorf("started %v, want 1", got)
	}
}

// A supervisor cancels an escalation while the phone rings: the call is
// hung up, the attempt stored as cancelled, and nobody is phoned again.
func TestASupervisorCancelsAnEscalation(t *testing.T) {
	t.Parallel()
	w := newWorld(t, regulations())
	sos := w.sos("roads")
	w.until(10*time.Second, "ringing", func() bool { return w.phones.Live() == 1 })
	id := w.escalationOf(sos).ID
	if _, err := w.engine.Cancel(context.Background(), id, "supervisor", "reached by mobile"); err != nil {
		t.Fatal(err)
	}
	w.until(10*time.Second, "the call is hung up", func() bool { return w.phones.Live() == 0 && w.engine.Running() == 0 })
	esc := w.escalationOf(sos)
	if esc.State != escalation.StateCancelled || esc.EndedBy != "supervisor" || esc.EndReason != "reached by mobile" {
		t.Fatalf("escalation %+v", esc)
	}
	if got := attempts(esc); !slices.Equal(got, []string{dispatcherPhone + " cancelled"}) {
		t.Errorf("attempts %q", got)
	}
	w.until(10*time.Second, "the cancellation on the appeal's history", func() bool {
		return slices.Contains(w.historyOf(sos), "duty_cancelled supervisor")
	})
	w.wait(5 * time.Minute)
	if n := len(w.phones.Calls()); n != 1 {
		t.Errorf("%d calls, want none after the cancellation", n)
	}
	if _, err := w.engine.Cancel(context.Background(), id, "supervisor", ""); !errors.Is(err, escalation.ErrNotActive) {
		t.Errorf("cancel twice: %v, want ErrNotActive", err)
	}
}

// The appeals' store is away when the person accepts: the acknowledgement
// is kept in the escalation and reaches the history later, even across a restart.
func TestTheAcknowledgementReachesTheAppealHistoryWhenTheAppealsStoreIsBack(t *testing.T) {
	t.Parallel()
	w := newWorld(t, regulations())
	w.phones.Script(dispatcherPhone, esctest.Accepts(0))
	w.history.FailNext(3)
	sos := w.sos("water")
	w.until(time.Minute, "accepted", func() bool { return w.state(sos) == escalation.StateAcknowledged })
	if len(w.history.Of(sos.Appeal.ID)) != 0 {
		t.Fatal("the history was written although the appeals' store is away")
	}
	w.restart()
	w.until(5*time.Minute, "the history entry is written", func() bool { return len(w.history.Of(sos.Appeal.ID)) == 1 })
	w.until(time.Minute, "stored as written", func() bool { return !w.escalationOf(sos).HistoryWrittenAt.IsZero() })
	if n := w.phones.CallsTo(dispatcherPhone); n != 1 {
		t.Errorf("the dispatcher was phoned %d times, want 1", n)
	}
}

// Nobody is on the roster at the moment: each round raises the alert.
func TestNobodyOnDutyRaisesTheAlertEachRound(t *testing.T) {
	t.Parallel()
	rules := regulations()
	rules.MaxRounds = 3
	tomorrow := escalation.Shift{From: night.Add(24 * time.Hour), To: night.Add(36 * time.Hour), People: []escalation.Person{dispatcher}}
	w := newWorld(t, rules, tomorrow)
	sos := w.sos("water")
	w.until(5*time.Minute, "exhausted", func() bool { return w.state(sos) == escalation.StateExhausted })
	if got := w.counter("hotline_escalation_nobody_on_duty_total"); got != 3 {
		t.Errorf("nobody-on-duty alerts %v, want 3", got)
	}
	if got := w.counter("hotline_escalation_rounds_exhausted_total"); got != 3 {
		t.Errorf("rounds exhausted %v, want 3", got)
	}
	if n := len(w.phones.Calls()); n != 0 {
		t.Errorf("%d calls, want none", n)
	}
}

// keep_caller_on_line: the caller waits; the person who accepts is handed
// to the caller's call.
func TestTheCallerIsConnectedToThePersonWhoAccepts(t *testing.T) {
	t.Parallel()
	w := newWorld(t, regulations())
	w.phones.Script(dispatcherPhone, esctest.Accepts(3*time.Second))
	h, err := w.engine.StartWithCaller(context.Background(), ivr.SOSAlert{
		Appeal: ivr.Appeal{ID: "appeal-live", Number: "2026-000777", SpokenDigits: "777", Category: "gas"}, CallerNumber: "0671112233"})
	if err != nil {
		t.Fatal(err)
	}
	w.until(time.Minute, "accepted", func() bool {
		select {
		case <-h.Accepted():
			return true
		default:
			return false
		}
	})
	line, ok := h.Take()
	if !ok {
		t.Fatal("no line to take after the acceptance")
	}
	h.Release() // the caller's goroutine always releases; harmless after Take
	w.until(time.Minute, "the escalation's goroutine ends", func() bool { return w.engine.Running() == 0 })
	if w.phones.Live() != 1 {
		t.Fatalf("live calls %d: the taken line belongs to the caller's goroutine now", w.phones.Live())
	}
	heard := w.phones.Calls()[0].Heard
	if heard[len(heard)-1] != "sound:hotline/duty-connecting-caller" {
		t.Errorf("the dispatcher last heard %q, want the connecting prompt", heard[len(heard)-1])
	}
	line.Hangup()
}

// The caller hangs up before anyone accepts: the escalation goes on, and
// the person who accepts is thanked and hung up.
func TestACallerWhoLeavesDoesNotStopTheEscalation(t *testing.T) {
	t.Parallel()
	w := newWorld(t, regulations())
	w.phones.Script(dispatcherPhone, esctest.Accepts(20*time.Second))
	h, err := w.engine.StartWithCaller(context.Background(), ivr.SOSAlert{
		Appeal: ivr.Appeal{ID: "appeal-left", Number: "2026-000778", SpokenDigits: "778"}})
	if err != nil {
		t.Fatal(err)
	}
	w.wait(5 * time.Second)
	h.Release()
	select {
	case <-h.Done():
	default:
		t.Fatal("Done is not closed after Release")
	}
	w.until(time.Minute, "accepted", func() bool { return w.engine.Running() == 0 })
	if _, ok := h.Take(); ok {
		t.Error("a line could be taken after the caller left")
	}
	heard := w.phones.Calls()[0].Heard
	if heard[len(heard)-1] != "sound:hotline/duty-accepted" {
		t.Errorf("the dispatcher last heard %q, want the thanks", heard[len(heard)-1])
	}
}

// The appeals' database is down and no card could be opened: the emergency
// is escalated all the same (once per call), without a number to read.
func TestAnEmergencyWithoutACardIsEscalatedAllTheSame(t *testing.T) {
	t.Parallel()
	w := newWorld(t, regulations())
	w.phones.Script(dispatcherPhone, esctest.Accepts(0))
	alert := ivr.SOSAlert{CallID: "call-no-card", CallerNumber: "0671112233", Recording: "sos-no-card"}
	for range 2 {
		if err := w.engine.Start(context.Background(), alert); err != nil {
			t.Fatal(err)
		}
	}
	var esc escalation.Escalation
	w.until(time.Minute, "accepted", func() bool {
		list, err := w.store.List(context.Background(), escalation.Filter{})
		if err != nil || len(list) != 1 {
			return false
		}
		esc = list[0]
		return esc.State == escalation.StateAcknowledged && !esc.HistoryWrittenAt.IsZero()
	})
	if esc.AppealID != "" || esc.CallID != "call-no-card" {
		t.Errorf("escalation %+v", esc)
	}
	heard := w.phones.Calls()[0].Heard
	want := []ivr.Media{"sound:hotline/duty-alert", "sound:hotline/duty-caller-phone", "digits:0671112233",
		"sound:hotline/duty-recording-intro", "recording:sos-no-card", "sound:hotline/duty-press-accept", "sound:hotline/duty-accepted"}
	if !slices.Equal(heard, want) {
		t.Errorf("the dispatcher heard %q, want %q", heard, want)
	}
	if n := len(w.phones.Calls()); n != 1 {
		t.Errorf("%d calls, want 1 (one escalation per call)", n)
	}
}

// The appeals' store fails as an attempt is noted on the appeal's history:
// the entry is left out (the escalation keeps the attempt) and the next
// call is made on time.
func TestAnAttemptTheAppealsStoreCannotTakeHoldsNothingUp(t *testing.T) {
	t.Parallel()
	w := newWorld(t, regulations())
	w.phones.Script(dispatcherPhone, esctest.Busy, esctest.Accepts(0))
	w.history.FailNext(1) // the first write: the note of the busy attempt
	sos := w.sos("water")
	w.until(2*time.Minute, "accepted", func() bool { return w.state(sos) == escalation.StateAcknowledged })
	esc := w.escalationOf(sos)
	if got := attempts(esc); !slices.Equal(got, []string{dispatcherPhone + " busy", dispatcherPhone + " acknowledged"}) {
		t.Fatalf("attempts %q", got)
	}
	if gap := esc.Attempts[1].StartedAt.Sub(esc.Attempts[0].EndedAt); gap < time.Minute || gap > time.Minute+3*time.Second {
		t.Errorf("second attempt %s after the first, want the retry delay of 1m", gap)
	}
	if got := w.historyOf(sos); !slices.Equal(got, []string{"duty_acknowledged " + dispatcher.Name}) {
		t.Errorf("appeal history %q, want only the acknowledgement", got)
	}
}

// The person on duty has ack_timeout from the answer to press 1, the time
// the prompts play included ("after answering, press 1 within this").
func TestTheAcknowledgementTimeoutIsCountedFromTheAnswer(t *testing.T) {
	t.Parallel()
	rules := regulations()
	rules.AckTimeout = 15 * time.Second
	rules.AttemptsPerPerson = 1
	w := newWorld(t, rules)
	w.phones.Script(dispatcherPhone, esctest.Behaviour{Keys: "-", Listen: 15 * time.Second})
	w.phones.Script(headPhone, esctest.Accepts(0))

	sos := w.sos("heating")
	w.until(10*time.Minute, "acknowledged", func() bool { return w.state(sos) == escalation.StateAcknowledged })
	esc := w.escalationOf(sos)
	if got, want := attempts(esc), []string{dispatcherPhone + " no_ack", headPhone + " acknowledged"}; !slices.Equal(got, want) {
		t.Fatalf("attempts %q, want %q", got, want)
	}
	a := esc.Attempts[0]
	if took := a.EndedAt.Sub(a.AnsweredAt); took > rules.AckTimeout+time.Second {
		t.Errorf("no acknowledgement declared %s after the answer, want at most ack_timeout %s", took, rules.AckTimeout)
	}
}
