package dutycall_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/slobozhanske/hotline/appeals"
	"github.com/slobozhanske/hotline/appeals/pgstore"
	"github.com/slobozhanske/hotline/ivr"
	"github.com/slobozhanske/hotline/telephony/ari"
	"github.com/slobozhanske/hotline/telephony/ari/aritest"
	"github.com/slobozhanske/hotline/telephony/escalation"
	"github.com/slobozhanske/hotline/telephony/schedule"
)

// The whole after-hours path of an emergency, over ARI and PostgreSQL: the
// resident's call goes through the voice menu (the real ivr.Flow, routed by
// the community's schedule at the clock's 23:00), the SOS card is opened by
// the real appeals service, its number is read back, and the engine phones
// the chain through the same ARI application. The appeal's history is read
// back from the database.

// sosRig is a world whose residents' calls run the voice menu.
type sosRig struct {
	*world
	appeals *appeals.Service
	sched   *schedule.Schedule
	reg     *prometheus.Registry
}

// appealHistory writes the engine's entries through the appeals service, as
// cmd/hotline does.
type appealHistory struct{ svc *appeals.Service }

func (h appealHistory) AddHistory(ctx context.Context, appealID string, e escalation.HistoryEntry) error {
	err := h.svc.AddHistory(ctx, appealID, appeals.Entry(e))
	var verr *appeals.ValidationError
	if errors.Is(err, appeals.ErrNotFound) || errors.As(err, &verr) {
		return fmt.Errorf("%w: %w", escalation.ErrAppealNotFound, err)
	}
	return err
}

// menuAppeals opens the menu's cards through the appeals service.
type menuAppeals struct{ svc *appeals.Service }

func (m menuAppeals) CreateFromCall(ctx context.Context, a ivr.NewAppeal) (ivr.Appeal, error) {
	in := appeals.FromCall{CallID: a.CallID, CallerNumber: a.CallerNumber, Recording: a.Recording, Category: a.Category, Essence: a.Essence}
	if a.SOS {
		in.Priority = appeals.PrioritySOS
	}
	c, err := m.svc.CreateFromCall(ctx, in)
	if err != nil {
		return ivr.Appeal{}, err
	}
	return ivr.Appeal{ID: c.ID, Number: c.Number, SpokenDigits: c.SpokenDigits(), Category: c.Category}, nil
}

func (m menuAppeals) StatusForCaller(context.Context, string) (ivr.AppealStatus, error) {
	return ivr.AppealStatus{}, ivr.ErrAppealNotFound
}

// noQueues: after hours nobody is queued.
type noQueues struct{}

func (noQueues) Join(context.Context, ivr.Call, string, ivr.Priority) (ivr.QueueResult, error) {
	return ivr.QueueResult{}, errors.New("no operators after hours")
}

// appealsConfig is a classifier of one category, with its executor.
func appealsConfig() appeals.Config {
	cfg := appeals.DefaultConfig()
	cfg.Executors = []appeals.Executor{{Code: "zhkg", Title: "Відділ житлово-комунального господарства"}}
	cfg.Categories = []appeals.Category{{Code: "water", Title: "Водопостачання та водовідведення", Prompt: "cat-water",
		DefaultPriority: appeals.PriorityOrdinary, Executor: "zhkg", ResolveWithin: 72 * time.Hour,
		TimeBasis: appeals.TimeCalendar, Housing: true}}
	return cfg
}

func newSOSRig(t *testing.T) *sosRig {
	t.Helper()
	r := &sosRig{reg: prometheus.NewRegistry()}
	var err error
	if r.sched, err = schedule.New(schedule.DefaultConfig()); err != nil {
		t.Fatal(err)
	}
	r.world = newWorld(t, func(w *world) {
		r.appeals, err = appeals.NewService(appealsConfig(), appeals.Deps{Repo: pgstore.New(w.pool, logger()),
			Calendar: r.sched, Now: w.clock.Now, Log: logger()})
		if err != nil {
			t.Fatal(err)
		}
		w.appealHistory = appealHistory{r.appeals}
		w.metrics = escalation.NewMetrics(r.reg)
		w.phone(dispatcherPhone, aritest.PhoneBehavior{Outcome: aritest.NoAnswer})
		w.phone(headPhone, aritest.PhoneBehavior{Outcome: aritest.NoAnswer})
	})
	menu, err := ivr.NewMenu(map[string]*ivr.Node{
		"main": {Prompts: []string{"greeting", "main-menu"}, Options: map[byte]ivr.Action{'1': {Kind: ivr.ActSOS}}},
	}, func(string) bool { return true }, "main")
	if err != nil {
		t.Fatal(err)
	}
	flow := &ivr.Flow{Menu: menu, Queues: noQueues{}, Appeals: menuAppeals{r.appeals}, Escalations: r.engine,
		Location: r.sched.Location(), Log: logger()}
	r.mu.Lock()
	r.handler = func(ctx context.Context, call *ari.Call) {
		if err := call.Answer(ctx); err != nil {
			return
		}
		now := r.clock.Now()
		next, _ := r.sched.NextOpen(now)
		_ = flow.Run(ctx, call, "main", ivr.ScheduleState{State: string(r.sched.State(now).State), NextOpen: next})
	}
	r.mu.Unlock()
	return r
}

// resident phones the hotline, chooses the emergency, describes it and
// listens to the end; the returned channel reports what they heard.
func (r *sosRig) resident(caller string) <-chan *aritest.Party {
	r.t.Helper()
	p, err := r.srv.Dial(r.ctx, aritest.DialOptions{App: app, Caller: caller, Exten: "1580"})
	if err != nil {
		r.t.Fatal(err)
	}
	done := make(chan *aritest.Party, 1)
	go func() {
		defer close(done)
		if _, err := p.WaitForPlayback(r.ctx, "sound:hotline/greeting"); err != nil {
			return
		}
		_ = p.Press("1")
		if _, err := p.WaitForPlaybackEnd(r.ctx, "sound:hotline/beep"); err != nil {
			return
		}
		_ = p.Speak(6 * time.Second) // "у під'їзді прорвало трубу"; the recording ends after 5 s of silence
		if _, err := p.WaitEnded(r.ctx); err != nil {
			return
		}
		done <- p
	}()
	return done
}

func (r *sosRig) heardBy(done <-chan *aritest.Party) *aritest.Party {
	r.t.Helper()
	select {
	case p, ok := <-done:
		if !ok || p == nil {
			r.t.Fatal("the resident's call did not go to its end")
		}
		return p
	case <-r.ctx.Done():
		r.t.Fatal("the resident's call did not end")
	}
	return nil
}

// card is the appeal a resident's call opened, by the escalation that carries its caller.
func (r *sosRig) card(caller string) (appeals.Card, escalation.Escalation) {
	r.t.Helper()
	list, err := r.store.List(r.ctx, escalation.Filter{})
	if err != nil {
		r.t.Fatal(err)
	}
	for _, e := range list {
		if e.CallerNumber == caller {
			c, err := r.appeals.Get(r.ctx, appeals.Actor{User: "sup1", Role: appeals.RoleSupervisor}, e.AppealID)
			if err != nil {
				r.t.Fatalf("the escalation's appeal %s: %v", e.AppealID, err)
			}
			return c, e
		}
	}
	r.t.Fatalf("no escalation for the call from %s", caller)
	return appeals.Card{}, escalation.Escalation{}
}

// dutyHistory is what the escalation wrote on the card, read from PostgreSQL:
// "duty_attempt <endpoint> <result>" and "duty_acknowledged <who>".
func (r *sosRig) dutyHistory(c appeals.Card) ([]string, []appeals.HistoryEntry) {
	r.t.Helper()
	h, err := r.appeals.History(r.ctx, appeals.Actor{User: "sup1", Role: appeals.RoleSupervisor}, c.ID)
	if err != nil {
		r.t.Fatal(err)
	}
	var lines []string
	var entries []appeals.HistoryEntry
	for _, e := range h {
		switch e.Action {
		case escalation.ActionAttempt:
			lines = append(lines, e.Action+" "+e.Detail["endpoint"]+" "+e.Detail["result"])
		case escalation.ActionAcknowledged:
			lines = append(lines, e.Action+" "+e.Who)
		default:
			continue
		}
		entries = append(entries, e)
	}
	return lines, entries
}

func (r *sosRig) acknowledged(caller string) bool {
	list, err := r.store.List(r.ctx, escalation.Filter{})
	if err != nil {
		r.t.Fatal(err)
	}
	for _, e := range list {
		if e.CallerNumber == caller {
			return e.State == escalation.StateAcknowledged && !e.HistoryWrittenAt.IsZero()
		}
	}
	return false
}

// Art. 4.9.1 end to end: at 23:00 a resident presses 1 and describes the
// emergency; the card is opened and its number read back; the dispatcher's
// phone rings out twice, the head of the housing department answers and
// presses 1. The card's history in PostgreSQL shows both calls to the
// dispatcher and the head's acknowledgement.
func TestAnAfterHoursSOSCallIsCardedReadBackAndPassedOnUntilAccepted(t *testing.T) {
	t.Parallel()
	r := newSOSRig(t)
	if st := r.sched.State(r.clock.Now()); st.State != schedule.StateClosed {
		t.Fatalf("the schedule at %v: %s, want closed (after hours)", r.clock.Now(), st.State)
	}
	r.phone(headPhone, r.accepts(3*time.Second))

	const caller = "+380671112233"
	resident := r.heardBy(r.resident(caller))
	r.until("accepted and written on the card", func() bool { return r.acknowledged(caller) })

	card, esc := r.card(caller)
	if card.Priority != appeals.PrioritySOS || card.Channel != appeals.ChannelPhone || card.ContactPhone != caller ||
		card.Executor != "zhkg" || card.Status != appeals.StatusSentToExecutor || card.Number != "2026-000001" {
		t.Errorf("the card %s: priority %s, channel %s, phone %q, executor %q, status %s", card.Number, card.Priority,
			card.Channel, card.ContactPhone, card.Executor, card.Status)
	}
	if got, want := card.AcceptBy, esc.CreatedAt.Add(30*time.Minute); got.Sub(want).Abs() > time.Minute {
		t.Errorf("an SOS card is accepted within 30 minutes: accept by %v, escalated at %v", got, esc.CreatedAt)
	}
	if len(card.Calls) != 1 || card.Calls[0].Recording == "" || esc.Recording != card.Calls[0].Recording {
		t.Errorf("the card's call links %+v; the escalation plays recording %q", card.Calls, esc.Recording)
	}

	// What the resident heard, in order: the alert is raised, then the number.
	heard := resident.HeardURIs()
	spoken := "digits:" + card.SpokenDigits()
	order := []string{"sound:hotline/sos-intro", "sound:hotline/beep", "sound:hotline/sos-alerted",
		"sound:hotline/appeal-registered", spoken, "sound:hotline/goodbye"}
	at := 0
	for _, u := range heard {
		if at < len(order) && u == order[at] {
			at++
		}
	}
	if at != len(order) {
		t.Errorf("the resident heard %q, want in order %q", heard, order)
	}
	if end, _ := resident.Ended(); end.By != aritest.ByApp {
		t.Errorf("the resident's call ended by %s, want by the application after goodbye", end.By)
	}

	// The chain: the dispatcher twice, then the head, who heard the same number.
	want := []string{dispatcherPhone + " no_answer", dispatcherPhone + " no_answer", headPhone + " acknowledged"}
	if got := attempts(esc); !slices.Equal(got, want) {
		t.Fatalf("attempts %q, want %q", got, want)
	}
	if esc.AppealID != card.ID || esc.AppealNumber != card.Number || esc.AcknowledgedBy != head.Name {
		t.Errorf("escalation of %s (%s) acknowledged by %q", esc.AppealNumber, esc.AppealID, esc.AcknowledgedBy)
	}
	if gap := esc.Attempts[1].StartedAt.Sub(esc.Attempts[0].EndedAt); gap < 50*time.Second || gap > 90*time.Second {
		t.Errorf("second call to the dispatcher %s after the first, want about the retry delay of 1m", gap)
	}
	r.until("the escalation's goroutine ends", func() bool { return r.engine.Running() == 0 })
	r.stop()
	r.noChannelsLeft()
	headCall, err := r.srv.WaitOutbound(r.ctx, headPhone)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range []string{"sound:hotline/duty-alert", spoken, "digits:380671112233", "recording:" + esc.Recording,
		"sound:hotline/duty-press-accept", "sound:hotline/duty-accepted"} {
		if !slices.Contains(headCall.HeardURIs(), m) {
			t.Errorf("the head did not hear %s: %q", m, headCall.HeardURIs())
		}
	}

	// The card's history, from PostgreSQL.
	lines, entries := r.dutyHistory(card)
	wantHistory := []string{"duty_attempt " + dispatcherPhone + " no_answer", "duty_attempt " + dispatcherPhone + " no_answer",
		"duty_acknowledged " + head.Name}
	if !slices.Equal(lines, wantHistory) {
		t.Fatalf("the card's history %q, want %q", lines, wantHistory)
	}
	for i, e := range entries[:2] {
		a := esc.Attempts[i]
		if e.Role != appeals.RoleSystem || e.Who != escalation.WhoEscalation || e.Detail["attempt_id"] != fmt.Sprint(a.ID) ||
			e.Detail["escalation_id"] != esc.ID || e.Detail["person"] != dispatcher.Name || e.Detail["try"] != fmt.Sprint(i+1) ||
			!strings.Contains(e.Reason, dispatcher.Name) || !strings.Contains(e.Reason, "не відповів") {
			t.Errorf("attempt %d on the card: %+v", i+1, e)
		}
	}
	ack := entries[2]
	if ack.Role != appeals.RoleSystem || ack.Detail["escalation_id"] != esc.ID || ack.Detail["phone"] != head.Phone ||
		ack.Detail["acknowledged_at"] != esc.AcknowledgedAt.UTC().Format(time.RFC3339) || !strings.Contains(ack.Reason, "прийнято") {
		t.Errorf("the acknowledgement on the card: %+v", ack)
	}
	if !entries[0].At.Before(entries[1].At) || !entries[1].At.Before(ack.At) {
		t.Errorf("history out of order: %v, %v, %v", entries[0].At, entries[1].At, ack.At)
	}

	// The metrics of the escalation.
	for _, m := range []struct {
		name  string
		value float64
	}{
		{"hotline_escalation_started_total", 1}, {"hotline_escalation_acknowledged_total", 1},
		{"hotline_escalation_exhausted_total", 0},
	} {
		if got := counter(t, r.reg, m.name); got != m.value {
			t.Errorf("%s = %v, want %v", m.name, got, m.value)
		}
	}
	if got := counterByResult(t, r.reg, "no_answer"); got != 2 {
		t.Errorf("attempts no_answer %v, want 2", got)
	}
	if got := counterByResult(t, r.reg, "acknowledged"); got != 1 {
		t.Errorf("attempts acknowledged %v, want 1", got)
	}
	// The stored instants are PostgreSQL's microseconds; the observation is the engine's own.
	if n, sum := histogram(t, r.reg, "hotline_escalation_time_to_acknowledge_seconds"); n != 1 ||
		math.Abs(sum-esc.AcknowledgedAt.Sub(esc.CreatedAt).Seconds()) > 1e-3 {
		t.Errorf("time to acknowledge: %d observations, sum %vs; want one of %vs", n, sum, esc.AcknowledgedAt.Sub(esc.CreatedAt).Seconds())
	}
}

// Two residents report emergencies at the same moment. The dispatcher
// accepts the first at once and lets the second ring on without pressing 1;
// the second goes to the head. Neither waits for the other, each card gets
// its own number and only its own calls on its history.
func TestTwoSOSCallsAtOnceEscalateIndependently(t *testing.T) {
	t.Parallel()
	r := newSOSRig(t)
	const first, second = "+380671112233", "+380501112244"
	r.phone(dispatcherPhone, aritest.PhoneBehavior{Outcome: aritest.Answer, After: 2 * time.Second, OnAnswer: func(p *aritest.Party) {
		if _, err := p.WaitForPlayback(r.ctx, "sound:hotline/duty-press-accept"); err == nil &&
			slices.Contains(p.HeardURIs(), "digits:380671112233") {
			_ = p.Press("1") // the first caller's emergency; the other one is left unanswered
		}
	}})
	r.phone(headPhone, r.accepts(time.Second))

	one, two := r.resident(first), r.resident(second)
	r.until("the first accepted", func() bool { return r.acknowledged(first) })
	if _, esc := r.card(second); esc.State != escalation.StateActive {
		t.Fatalf("the second emergency is %s when the first is accepted, want still being passed on", esc.State)
	}
	r.until("the second accepted", func() bool { return r.acknowledged(second) })
	heardOne, heardTwo := r.heardBy(one), r.heardBy(two)

	cardOne, escOne := r.card(first)
	cardTwo, escTwo := r.card(second)
	if cardOne.ID == cardTwo.ID || escOne.ID == escTwo.ID {
		t.Fatal("the two calls share a card or an escalation")
	}
	if got := []int64{min(cardOne.Seq, cardTwo.Seq), max(cardOne.Seq, cardTwo.Seq)}; !slices.Equal(got, []int64{1, 2}) {
		t.Errorf("numbers %s and %s, want the year's first two", cardOne.Number, cardTwo.Number)
	}
	for _, c := range []struct {
		p    *aritest.Party
		card appeals.Card
	}{{heardOne, cardOne}, {heardTwo, cardTwo}} {
		if !slices.Contains(c.p.HeardURIs(), "digits:"+c.card.SpokenDigits()) {
			t.Errorf("the caller of %s did not hear its number: %q", c.card.Number, c.p.HeardURIs())
		}
	}
	if got := attempts(escOne); !slices.Equal(got, []string{dispatcherPhone + " acknowledged"}) {
		t.Errorf("the first's attempts %q", got)
	}
	if got := attempts(escTwo); !slices.Equal(got, []string{dispatcherPhone + " no_ack", dispatcherPhone + " no_ack", headPhone + " acknowledged"}) {
		t.Errorf("the second's attempts %q", got)
	}
	if escOne.AcknowledgedBy != dispatcher.Name || escTwo.AcknowledgedBy != head.Name {
		t.Errorf("acknowledged by %q and %q", escOne.AcknowledgedBy, escTwo.AcknowledgedBy)
	}
	if wait := escTwo.AcknowledgedAt.Sub(escOne.AcknowledgedAt); wait < 2*time.Minute {
		t.Errorf("the second was accepted %s after the first, want after two unanswered questions and the retry delay", wait)
	}
	// The two calls to the dispatcher overlapped: the second did not wait for the first.
	if a, b := escOne.Attempts[0], escTwo.Attempts[0]; b.StartedAt.After(a.EndedAt) || a.StartedAt.After(b.EndedAt) {
		t.Errorf("the dispatcher's calls did not overlap: %v–%v and %v–%v", a.StartedAt, a.EndedAt, b.StartedAt, b.EndedAt)
	}
	if lines, _ := r.dutyHistory(cardOne); !slices.Equal(lines, []string{"duty_acknowledged " + dispatcher.Name}) {
		t.Errorf("the first card's history %q", lines)
	}
	if lines, _ := r.dutyHistory(cardTwo); !slices.Equal(lines, []string{"duty_attempt " + dispatcherPhone + " no_ack",
		"duty_attempt " + dispatcherPhone + " no_ack", "duty_acknowledged " + head.Name}) {
		t.Errorf("the second card's history %q", lines)
	}
	if got := counter(t, r.reg, "hotline_escalation_started_total"); got != 2 {
		t.Errorf("started %v, want 2", got)
	}
	r.until("the escalations' goroutines end", func() bool { return r.engine.Running() == 0 })
	r.stop()
	r.noChannelsLeft()
}

// The controller restarts while the dispatcher's phone rings for the
// second time: the call is hung up, the new controller phones the
// dispatcher again and they accept. The card is not opened twice, and its
// history shows the first call and the acknowledgement (the interrupted
// call is made again, not noted).
func TestARestartInTheMiddleResumesTheEscalationOfAnSOSCall(t *testing.T) {
	t.Parallel()
	r := newSOSRig(t)
	const caller = "+380671112233"
	resident := r.resident(caller)
	if _, err := r.srv.WaitOutbound(r.ctx, dispatcherPhone); err != nil { // rings out
		t.Fatal(err)
	}
	r.phone(dispatcherPhone, aritest.PhoneBehavior{Outcome: aritest.Answer, After: 20 * time.Second})
	ringing, err := r.srv.WaitOutbound(r.ctx, dispatcherPhone)
	if err != nil {
		t.Fatal(err)
	}
	r.stop()
	if end, err := ringing.WaitEnded(r.ctx); err != nil || end.By != aritest.ByApp {
		t.Fatalf("the ringing call ended %+v (%v), want hung up by the stopping controller", end, err)
	}
	r.heardBy(resident)
	r.noChannelsLeft()

	r.phone(dispatcherPhone, r.accepts(time.Second))
	r.start()
	r.until("accepted after the restart", func() bool { return r.acknowledged(caller) })
	card, esc := r.card(caller)
	if got := attempts(esc); !slices.Equal(got, []string{dispatcherPhone + " no_answer", dispatcherPhone + " interrupted",
		dispatcherPhone + " acknowledged"}) {
		t.Fatalf("attempts %q", got)
	}
	if lines, _ := r.dutyHistory(card); !slices.Equal(lines, []string{"duty_attempt " + dispatcherPhone + " no_answer",
		"duty_acknowledged " + dispatcher.Name}) {
		t.Errorf("the card's history %q", lines)
	}
	if cards, total, err := r.appeals.Search(r.ctx, appeals.Actor{User: "sup1", Role: appeals.RoleSupervisor}, appeals.Filter{}); err != nil ||
		total != 1 || cards[0].ID != card.ID {
		t.Errorf("%d cards after the restart (%v), want the one", total, err)
	}
	r.until("the escalation's goroutine ends", func() bool { return r.engine.Running() == 0 })
	r.stop()
	r.noChannelsLeft()
}

// counter is the value of an unlabelled counter.
func counter(t *testing.T, reg *prometheus.Registry, name string) float64 {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() == name && len(f.GetMetric()) == 1 && f.GetMetric()[0].Counter != nil {
			return f.GetMetric()[0].Counter.GetValue()
		}
	}
	t.Fatalf("no counter %s", name)
	return 0
}

func counterByResult(t *testing.T, reg *prometheus.Registry, result string) float64 {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != "hotline_escalation_attempts_total" {
			continue
		}
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "result" && l.GetValue() == result {
					return m.GetCounter().GetValue()
				}
			}
		}
	}
	t.Fatalf("no attempts counter for %s", result)
	return 0
}

func histogram(t *testing.T, reg *prometheus.Registry, name string) (uint64, float64) {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() == name && len(f.GetMetric()) == 1 && f.GetMetric()[0].Histogram != nil {
			h := f.GetMetric()[0].Histogram
			return h.GetSampleCount(), h.GetSampleSum()
		}
	}
	t.Fatalf("no histogram %s", name)
	return 0, 0
}
