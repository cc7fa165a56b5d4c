package queuecall

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/slobozhanske/hotline/ivr"
	"github.com/slobozhanske/hotline/telephony/ari"
	"github.com/slobozhanske/hotline/telephony/queue"
)

// session is one stay of a caller in one queue.
type session struct {
	s     *Service
	call  *ari.Call
	w     *queue.Waiter
	name  string
	opts  QueueOptions
	log   *slog.Logger
	moh   bool
	start time.Time

	ringCtx     context.Context
	stopRinging context.CancelFunc
	managerDone chan struct{}
	ringers     sync.WaitGroup
	answered    chan answeredLeg
	stopped     bool

	mu        sync.Mutex
	interrupt context.CancelFunc // stops the prompt playing now, when an operator answers

	readBacks int // appeal numbers read into conversations, for playback ids
}

// stayEnd is how a stay in a queue ended: what the menu hears (res), the
// queue a transfer sends the caller on to (next, "" for none), and what the
// dispatcher is told as the caller leaves (outcome).
type stayEnd struct {
	res     ivr.QueueResult
	next    string
	outcome queue.Outcome
}

type answeredLeg struct {
	offer *queue.Offer
	leg   *ari.Leg
}

// serve runs one stay in a queue. next names the queue the caller was
// transferred to, if any.
func (s *Service) serve(ctx context.Context, call *ari.Call, name string, priority ivr.Priority) (res ivr.QueueResult, next string, err error) {
	stay, resumed := s.takeStay(call.ID(), name)
	if resumed && stay.Talking() {
		return s.resumeConversation(ctx, call, stay)
	}
	req := queue.JoinRequest{CallID: call.ID(), CallerNumber: call.CallerNumber(), Queue: name, Priority: int(priority)}
	start := time.Now()
	if resumed {
		req.JoinedAt, req.Priority, start = stay.JoinedAt, int(stay.Priority), stay.JoinedAt
	}
	w, err := s.d.Join(req)
	switch {
	case errors.Is(err, queue.ErrQueueFull):
		note(call, name, eventFull)
		return ivr.QueueResult{Kind: ivr.QueueOverflow}, "", nil
	case errors.Is(err, queue.ErrNoOperators):
		note(call, name, eventClosed)
		return ivr.QueueResult{Kind: ivr.QueueClosed}, "", nil
	case err != nil:
		return ivr.QueueResult{}, "", fmt.Errorf("join queue %s: %w", name, err)
	}
	sess := &session{s: s, call: call, w: w, name: name, opts: s.options(name), start: start,
		log: s.log.With("call", call.ID(), "queue", name), answered: make(chan answeredLeg, 4), managerDone: make(chan struct{})}
	sess.ringCtx, sess.stopRinging = context.WithCancel(context.WithoutCancel(ctx))
	go sess.manageOffers()

	outcome := queue.OutcomeError
	defer func() {
		// Every path: phones stop ringing, legs answered in the meantime are
		// hung up, the dispatcher hears how the caller left, hold music stops.
		for _, a := range sess.stop() {
			a.leg.Hangup()
		}
		w.Leave(outcome)
		if sess.moh && !call.HungUp() {
			_ = call.StopMOH(context.WithoutCancel(ctx))
		}
	}()

	call.ClearDigits() // the menu's keys are not answers to the queue
	call.SetOutcome(ivr.Outcome{Kind: ivr.OutcomeQueued})
	joined := []string{"priority", strconv.Itoa(req.Priority), "joined_at", start.UTC().Format(time.RFC3339Nano)}
	if resumed {
		joined = append(joined, "taken_over", "true")
	}
	note(call, name, eventJoined, joined...)
	sess.log.Info("caller joined the queue", "priority", req.Priority, "caller", call.CallerNumber(), "taken_over", resumed)

	// A caller taken over is on hold already: no welcome again.
	end, err := sess.wait(ctx, !resumed)
	outcome = end.outcome
	return end.res, end.next, err
}

// wait is the caller's stay: on hold until an operator answers, then the
// conversation. An operator who is gone before the bridge sends the caller
// back to hold (the music, without the welcome) until the next one answers.
func (sess *session) wait(ctx context.Context, welcome bool) (stayEnd, error) {
	for {
		end, err := sess.hold(ctx, welcome)
		if !errors.Is(err, errOperatorLost) {
			return end, err
		}
		welcome = false
	}
}

// hold is the caller on hold: welcome, music, announcements, until an
// operator answers (then the conversation) or the caller leaves.
func (sess *session) hold(ctx context.Context, welcome bool) (stayEnd, error) {
	call, p := sess.call, sess.s.cfg.Prompts
	if welcome {
		media := append([]ivr.Media{p.Welcome}, sess.announcement()...)
		if key, err := sess.play(ctx, media...); err != nil || key {
			return sess.leftWhilePlaying(ctx, err)
		}
	}
	sess.startMOH(ctx)
	var announce <-chan time.Time
	if sess.opts.AnnounceEvery > 0 {
		t := time.NewTicker(sess.opts.AnnounceEvery)
		defer t.Stop()
		announce = t.C
	}
	for {
		select {
		case a := <-sess.answered:
			return sess.talk(ctx, a)
		case <-sess.w.Events():
			for _, ev := range sess.w.TakeEvents() {
				if ev.Kind == queue.EventReadBack { // nobody to read it to yet
					ev.ReadBack.Done(queue.ErrNotInConversation)
					continue
				}
				return sess.onEvent(ev, false)
			}
		case <-call.Events():
			if left, err := sess.checkKeys(ctx); left || err != nil {
				return sess.leftWhilePlaying(ctx, err)
			}
		case <-announce:
			media := sess.announcement()
			if len(media) == 0 {
				continue
			}
			sess.stopMOH(ctx)
			if key, err := sess.play(ctx, media...); err != nil || key {
				return sess.leftWhilePlaying(ctx, err)
			}
			sess.startMOH(ctx)
		case <-ctx.Done():
			return stayEnd{res: ivr.QueueResult{Kind: ivr.QueueAbandoned}, outcome: queue.OutcomeError}, fmt.Errorf("waiting in queue %s: %w", sess.name, ctx.Err())
		}
	}
}

// leftWhilePlaying sorts out why a prompt or key check ended the wait: the
// caller hung up, pressed the leave-message key, an operator answered, or
// something failed.
func (sess *session) leftWhilePlaying(ctx context.Context, err error) (stayEnd, error) {
	switch {
	case err == nil:
		note(sess.call, sess.name, eventLeaveMessage, "waited", sess.waited())
		sess.log.Info("caller chose to leave a message", "waited", sess.waited())
		return stayEnd{res: ivr.QueueResult{Kind: ivr.QueueMessage}, outcome: queue.OutcomeMessage}, nil
	case errors.Is(err, ivr.ErrHangup):
		return sess.abandoned()
	case errors.Is(err, errAnswered):
		return sess.talk(ctx, <-sess.answered)
	}
	return stayEnd{res: ivr.QueueResult{Kind: ivr.QueueAbandoned}, outcome: queue.OutcomeError}, fmt.Errorf("queue %s: %w", sess.name, err)
}

func (sess *session) abandoned() (stayEnd, error) {
	sess.call.SetOutcome(ivr.Outcome{Kind: ivr.OutcomeAbandonedInQueue})
	note(sess.call, sess.name, eventAbandoned, "waited", sess.waited())
	sess.log.Info("caller hung up while waiting", "waited", sess.waited())
	return stayEnd{res: ivr.QueueResult{Kind: ivr.QueueAbandoned}, outcome: queue.OutcomeAbandoned}, nil
}

func (sess *session) waited() string {
	return time.Since(sess.start).Round(time.Millisecond).String()
}

// onEvent handles the dispatcher's word while waiting (talking: transfers only).
func (sess *session) onEvent(ev queue.Event, talking bool) (stayEnd, error) {
	switch ev.Kind {
	case queue.EventOverflow:
		note(sess.call, sess.name, eventOverflow, "waited", sess.waited())
		return stayEnd{res: ivr.QueueResult{Kind: ivr.QueueOverflow}, outcome: queue.OutcomeOverflow}, nil
	case queue.EventClosed:
		note(sess.call, sess.name, eventClosed, "waited", sess.waited())
		return stayEnd{res: ivr.QueueResult{Kind: ivr.QueueClosed}, outcome: queue.OutcomeClosed}, nil
	}
	t := ev.Transfer
	note(sess.call, sess.name, eventTransfer, "to", string(t.Kind), "queue", t.Queue, "by", ev.By)
	sess.log.Info("caller transferred", "to", t.Kind, "target_queue", t.Queue, "by", ev.By)
	outcome := queue.OutcomeTransferred
	if talking {
		outcome = queue.OutcomeAnswered
	}
	if t.Kind == queue.TargetQueue {
		return stayEnd{res: ivr.QueueResult{Kind: resultTransferred}, next: t.Queue, outcome: outcome}, nil
	}
	return stayEnd{res: ivr.QueueResult{Kind: ivr.QueueMenu}, outcome: outcome}, nil
}

// announcement is the caller's position and estimated wait (and how to
// leave a message instead).
func (sess *session) announcement() []ivr.Media {
	p := sess.s.cfg.Prompts
	pos := sess.w.Position()
	if pos.Position == 0 {
		return nil
	}
	media := []ivr.Media{p.Position, p.Number(min(pos.Position, 59))}
	if mins := int((pos.EstimatedWait + time.Minute - 1) / time.Minute); pos.EstimatedWait < time.Minute {
		media = append(media, p.WaitUnderMinute)
	} else {
		media = append(media, p.WaitMinutes, p.Number(min(mins, 59)))
	}
	if sess.opts.LeaveMessageKey != 0 {
		media = append(media, p.LeaveMessageOffer)
	}
	return media
}

var errAnswered = errors.New("an operator answered")

// play plays prompts; it reports whether the caller pressed the leave-message
// key, and errAnswered when an operator answered meanwhile (the prompt is cut).
func (sess *session) play(ctx context.Context, media ...ivr.Media) (bool, error) {
	pctx, cancel := context.WithCancel(ctx)
	defer cancel()
	sess.mu.Lock()
	sess.interrupt = cancel
	sess.mu.Unlock()
	defer func() {
		sess.mu.Lock()
		sess.interrupt = nil
		sess.mu.Unlock()
	}()
	select {
	case a := <-sess.answered: // answered before the prompt even started
		sess.answered <- a
		return false, errAnswered
	default:
	}
	// One item at a time: a key other than the leave-message key cuts the
	// item it was pressed in, not the rest (a buffered key would make an
	// interruptible Play skip everything).
	for _, m := range media {
		if left, err := sess.checkKeys(ctx); left || err != nil {
			return left, err
		}
		err := sess.call.Play(pctx, sess.opts.LeaveMessageKey != 0, m)
		if err != nil && ctx.Err() == nil && pctx.Err() != nil {
			return false, errAnswered
		}
		if err != nil {
			return false, err
		}
	}
	return sess.checkKeys(ctx)
}

// checkKeys applies the caller's channel events: hang-up, and keys (only the
// leave-message key means anything while waiting).
func (sess *session) checkKeys(ctx context.Context) (bool, error) {
	for {
		k, err := sess.call.NextDigit(ctx, time.Millisecond)
		switch {
		case errors.Is(err, ivr.ErrNoInput):
			return false, nil
		case err != nil:
			return false, err
		case sess.opts.LeaveMessageKey != 0 && k == sess.opts.LeaveMessageKey:
			return true, nil
		}
	}
}

func (sess *session) startMOH(ctx context.Context) {
	if err := sess.call.StartMOH(ctx, sess.opts.MOHClass); err != nil {
		sess.log.Warn("cannot start hold music", "class", sess.opts.MOHClass, "err", err)
		return
	}
	sess.moh = true
}

func (sess *session) stopMOH(ctx context.Context) {
	if !sess.moh {
		return
	}
	sess.moh = false
	if err := sess.call.StopMOH(ctx); err != nil && !sess.call.HungUp() {
		sess.log.Debug("stop hold music", "err", err)
	}
}

// manageOffers rings every offer the dispatcher makes for the caller, each
// on its own goroutine, until the session stops.
func (sess *session) manageOffers() {
	defer close(sess.managerDone)
	for {
		select {
		case <-sess.ringCtx.Done():
			return
		case <-sess.w.Offers():
			for _, o := range sess.w.TakeOffers() {
				sess.ringers.Add(1)
				go sess.ring(o)
			}
		}
	}
}

// ring places one offer's call to the operator's phone and owns that leg
// until the operator answers (then the leg goes to the call's goroutine) or
// the leg is hung up.
func (sess *session) ring(o *queue.Offer) {
	defer sess.ringers.Done()
	w, app := sess.w, sess.s.app
	octx, cancel := context.WithCancel(sess.ringCtx)
	defer cancel()
	defer context.AfterFunc(o.Context(), cancel)()
	if octx.Err() != nil {
		w.Decline(o, queue.FailRevoked)
		return
	}
	log := sess.log.With("offer", o.ID, "operator", o.OperatorID)
	// Not cancelled mid-request: a leg Asterisk created must come back to be hung up.
	leg, err := app.Originate(context.WithoutCancel(octx), ari.OriginateRequest{
		Endpoint: o.Endpoint, CallerID: callerID(sess.opts.CallerIDName, o.CallerNumber),
		Timeout: o.RingTimeout + sess.s.cfg.LegHangupGrace, Purpose: "queue",
	})
	if err != nil {
		log.Warn("cannot ring the operator", "endpoint", o.Endpoint, "err", err)
		w.Decline(o, queue.FailError)
		return
	}
	err = leg.WaitAnswer(octx)
	if err == nil {
		if w.Accept(o) == nil {
			// Hand the leg over first, then cut the prompt playing: a prompt
			// starting meanwhile finds the leg when it checks (see play), so
			// the operator never waits through a whole announcement.
			sess.answered <- answeredLeg{offer: o, leg: leg}
			sess.mu.Lock()
			if sess.interrupt != nil {
				sess.interrupt()
			}
			sess.mu.Unlock()
			return
		}
		leg.Hangup() // answered just as the offer was withdrawn
		w.Decline(o, queue.FailRevoked)
		return
	}
	leg.Hangup()
	f := queue.FailRevoked
	if octx.Err() == nil {
		f = queue.FailError
		if lf, ok := ari.IsLegFailed(err); ok {
			f = queue.Failure(lf.Reason())
		}
	}
	log.Debug("offer ended unanswered", "failure", f, "why", o.Err(), "err", err)
	w.Decline(o, f)
}

// stop stops every phone still ringing for the caller and returns legs that
// were answered meanwhile (accepted: the caller's goroutine hangs them up).
func (sess *session) stop() []answeredLeg {
	if sess.stopped {
		return nil
	}
	sess.stopped = true
	sess.stopRinging()
	<-sess.managerDone
	done := make(chan struct{})
	go func() { sess.ringers.Wait(); close(done) }()
	var legs []answeredLeg
	for {
		select {
		case a := <-sess.answered:
			legs = append(legs, a)
		case <-done:
			for {
				select {
				case a := <-sess.answered:
					legs = append(legs, a)
				default:
					return legs
				}
			}
		}
	}
}

// errOperatorLost: the operator who answered was gone before the bridge;
// the caller waits again.
var errOperatorLost = errors.New("the operator's phone left before the conversation began")

// talk connects the caller and the operator who answered, and stays until
// one of them hangs up or the call is transferred. Phones still ringing for
// the caller need no stopping here: Accept withdrew their offers, and their
// goroutines hang them up.
func (sess *session) talk(ctx context.Context, a answeredLeg) (stayEnd, error) {
	call, leg, s := sess.call, a.leg, sess.s
	defer leg.Hangup()
	operator := a.offer.OperatorID
	res := ivr.QueueResult{Kind: ivr.QueueAnswered, Operator: operator}
	log := sess.log.With("operator", operator, "leg", leg.ChannelID())
	if leg.Pump(); leg.HungUp() { // already gone: the caller's music plays on
		return sess.operatorLost(ctx, operator, leg, nil, log, nil)
	}
	sess.stopMOH(ctx)
	bridge, err := s.app.NewBridge(ctx, "queue")
	if err != nil {
		return sess.connectFailed(ctx, res, fmt.Errorf("queue %s: bridge for operator %s: %w", sess.name, operator, err))
	}
	defer bridge.Destroy()
	if err := bridge.Add(ctx, call.Channel); err != nil {
		if gone(ctx, call.Channel) {
			return sess.callerHungUpFirst(leg, res, log)
		}
		return sess.connectFailed(ctx, res, fmt.Errorf("queue %s: add caller to bridge: %w", sess.name, err))
	}
	if err := bridge.Add(ctx, leg.Channel); err != nil {
		// Mostly the operator hung up between the answer and the bridge
		// (Asterisk answers 400 "Channel not found"); whatever the reason,
		// the leg cannot be talked to and the caller must not lose their turn.
		if ctx.Err() != nil {
			return stayEnd{res: res, outcome: queue.OutcomeAnswered}, fmt.Errorf("queue %s: add operator to bridge: %w", sess.name, err)
		}
		return sess.operatorLost(ctx, operator, leg, bridge, log, err)
	}
	outcome := ivr.Outcome{Kind: ivr.OutcomeAnsweredByOperator}
	if sess.opts.Record {
		name := "queue-" + call.ID()
		if err := bridge.Record(ctx, name, s.cfg.RecordingFormat); err != nil {
			log.Warn("cannot record the conversation", "err", err)
		} else {
			outcome.Recording = name
		}
	}
	call.SetOutcome(outcome)
	// The leg, its endpoint and the bridge let a controller that takes the
	// call over after a restart continue the conversation (StayOf).
	note(call, sess.name, eventAnswered, "operator", operator, "waited", sess.waited(),
		"leg", leg.ChannelID(), "endpoint", leg.Endpoint, "bridge", bridge.ID)
	log.Info("caller connected to operator", "waited", sess.waited())
	return sess.converse(ctx, leg, bridge, res, log)
}

// converse is the conversation between the caller and the operator on leg,
// until one of them hangs up or the call is transferred.
func (sess *session) converse(ctx context.Context, leg *ari.Leg, bridge *ari.Bridge, res ivr.QueueResult, log *slog.Logger) (stayEnd, error) {
	call := sess.call
	for {
		select {
		case <-call.Events():
			call.Pump()
			if call.HungUp() {
				return sess.callerHungUpFirst(leg, res, log)
			}
		case <-leg.Events():
			leg.Pump()
			if leg.HungUp() {
				return sess.operatorHungUpFirst(ctx, bridge, res, log)
			}
		case <-sess.waiterEvents():
			var transfer *queue.Event
			for _, ev := range sess.w.TakeEvents() {
				switch {
				case ev.Kind == queue.EventReadBack && transfer == nil:
					sess.readBack(ctx, bridge, ev.ReadBack, log)
				case ev.Kind == queue.EventReadBack: // the conversation is ending
					ev.ReadBack.Done(queue.ErrNotInConversation)
				case ev.Kind == queue.EventTransfer && transfer == nil:
					transfer = &ev
				}
			}
			if transfer != nil {
				bridge.Destroy()
				leg.Hangup()
				sess.release()
				return sess.onEvent(*transfer, true)
			}
		case <-ctx.Done():
			return stayEnd{res: res, outcome: queue.OutcomeAnswered}, fmt.Errorf("talking to operator %s: %w", res.Operator, ctx.Err())
		}
	}
}

// readBack plays an appeal number into the conversation's bridge, so the
// caller and the operator both hear it, and tells the asker once Asterisk
// has taken the playbacks (they queue on the bridge and play in order).
func (sess *session) readBack(ctx context.Context, bridge *ari.Bridge, rb *queue.ReadBack, log *slog.Logger) {
	number := ivr.SpeakDigits(rb.Digits)
	if number == "" {
		rb.Done(fmt.Errorf("no digits to read in %q", rb.Digits))
		return
	}
	sess.readBacks++
	for i, m := range []ivr.Media{sess.s.cfg.Prompts.AppealNumber, number} {
		id := fmt.Sprintf("%s-rb%d-%d", bridge.ID, sess.readBacks, i)
		if err := bridge.Play(ctx, id, string(m)); err != nil {
			log.Warn("cannot read the appeal number back", "digits", rb.Digits, "err", err)
			rb.Done(fmt.Errorf("play %s to the conversation: %w", m, err))
			return
		}
	}
	note(sess.call, sess.name, eventReadBack, "digits", rb.Digits)
	log.Info("appeal number read back to the caller and the operator", "digits", rb.Digits)
	rb.Done(nil)
}

// gone tells, after a command on the channel failed, whether that was
// because the channel is gone: its hang-up events may still be on their way
// (Asterisk answers 400 "Channel not found" to adding a channel that just
// went), so Asterisk is asked.
func gone(ctx context.Context, ch *ari.Channel) bool {
	ch.Pump()
	return ch.HungUp() || !ch.Exists(ctx)
}

// operatorLost ends an answer that never became a conversation: the
// operator's leg is hung up (before the dispatcher may offer that phone
// again), the dispatcher counts it as a failed offer and puts the caller
// back in their place, and the caller returns to hold (errOperatorLost).
func (sess *session) operatorLost(ctx context.Context, operator string, leg *ari.Leg, bridge *ari.Bridge, log *slog.Logger, err error) (stayEnd, error) {
	hungUp := gone(ctx, leg.Channel)
	if bridge != nil {
		bridge.Destroy() // the caller leaves it and stays in the app
	}
	leg.Hangup()
	sess.w.ConnectFailed()
	note(sess.call, sess.name, eventOperatorLost, "operator", operator)
	log.Warn("the operator's phone was gone before the conversation began; the caller waits again",
		"hung_up", hungUp, "err", err, "waited", sess.waited())
	return stayEnd{outcome: queue.OutcomeError}, errOperatorLost
}

func (sess *session) connectFailed(ctx context.Context, res ivr.QueueResult, err error) (stayEnd, error) {
	sess.log.Error("cannot connect caller and operator", "err", err)
	return stayEnd{res: res, outcome: queue.OutcomeAnswered}, err
}

func (sess *session) callerHungUpFirst(leg *ari.Leg, res ivr.QueueResult, log *slog.Logger) (stayEnd, error) {
	leg.Hangup()
	sess.release() // the operator wraps up
	note(sess.call, sess.name, eventEnded, "by", "caller")
	log.Info("conversation ended by the caller")
	return stayEnd{res: res, outcome: queue.OutcomeAnswered}, nil
}

// operatorHungUpFirst: the caller hears a goodbye, and may rate the call.
func (sess *session) operatorHungUpFirst(ctx context.Context, bridge *ari.Bridge, res ivr.QueueResult, log *slog.Logger) (stayEnd, error) {
	sess.release()
	bridge.Destroy() // the caller leaves the bridge and stays in the app
	call, p := sess.call, sess.s.cfg.Prompts
	note(call, sess.name, eventEnded, "by", "operator")
	log.Info("conversation ended by the operator")
	if call.HungUp() {
		return stayEnd{res: res, outcome: queue.OutcomeAnswered}, nil
	}
	if sess.opts.PostCallRating {
		sess.rate(ctx)
	}
	_ = call.Play(ctx, false, p.Goodbye)
	return stayEnd{res: res, outcome: queue.OutcomeAnswered}, nil
}

// release frees the operator of the conversation (to wrap up). A
// conversation taken over that the dispatcher could not take back has no
// waiter.
func (sess *session) release() {
	if sess.w != nil {
		sess.w.Release()
	}
}

// waiterEvents signals the dispatcher's word for the caller (never, when
// there is no waiter).
func (sess *session) waiterEvents() <-chan struct{} {
	if sess.w == nil {
		return nil
	}
	return sess.w.Events()
}

func (sess *session) rate(ctx context.Context) {
	call, p := sess.call, sess.s.cfg.Prompts
	call.ClearDigits()
	if err := call.Play(ctx, true, p.RatingRequest); err != nil {
		return
	}
	k, err := call.NextDigit(ctx, sess.s.cfg.RatingTimeout)
	if err != nil || k < '1' || k > '5' {
		note(call, sess.name, eventRating, "given", "none")
		return
	}
	n := int(k - '0')
	if sess.s.ratings != nil {
		sess.s.ratings.Rating(call.ID(), n)
	}
	note(call, sess.name, eventRating, "given", strconv.Itoa(n))
	_ = call.Play(ctx, false, p.RatingThanks)
}
