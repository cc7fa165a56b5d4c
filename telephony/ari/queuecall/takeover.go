package queuecall

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/slobozhanske/hotline/ivr"
	"github.com/slobozhanske/hotline/telephony/ari"
	"github.com/slobozhanske/hotline/telephony/callrecord"
	"github.com/slobozhanske/hotline/telephony/queue"
)

// Stay is where a caller was in a queue when the controller that served
// them stopped: waiting since JoinedAt, or talking to Operator on Leg in
// Bridge since AnsweredAt. A controller that takes the call over reads it
// from the call's record (StayOf) and continues it (ResumeStay): the caller
// keeps their place and join time, or their conversation.
type Stay struct {
	Queue    string
	Priority ivr.Priority
	JoinedAt time.Time

	Operator   string
	Leg        string // the operator's leg (channel id)
	Endpoint   string // the operator's phone, e.g. PJSIP/op101
	Bridge     string
	AnsweredAt time.Time
}

// Talking reports whether the caller was in a conversation.
func (st Stay) Talking() bool { return st.Leg != "" && st.Bridge != "" }

// StayOf reads the queue steps of a call's record (written by this
// package's note): the stay the caller was in at the last step, if any.
func StayOf(steps []callrecord.PastStep) (Stay, bool) {
	var st Stay
	in := false
	for _, s := range steps {
		switch ivr.StepKind(s.Kind) {
		case ivr.StepQueueResult:
			in = false // the menu took the caller back
			continue
		case StepQueue:
		default:
			continue
		}
		d := s.Detail
		switch queueEvent(d["event"]) {
		case eventJoined:
			in = true
			st = Stay{Queue: s.Node, JoinedAt: s.At}
			if p, err := strconv.Atoi(d["priority"]); err == nil {
				st.Priority = ivr.Priority(p)
			}
			if t, err := time.Parse(time.RFC3339Nano, d["joined_at"]); err == nil {
				st.JoinedAt = t
			}
		case eventAnswered:
			st.Operator, st.Leg, st.Endpoint, st.Bridge, st.AnsweredAt = d["operator"], d["leg"], d["endpoint"], d["bridge"], s.At
		case eventOperatorLost:
			st.Operator, st.Leg, st.Endpoint, st.Bridge, st.AnsweredAt = "", "", "", "", time.Time{}
		case eventEnded, eventAbandoned, eventOverflow, eventClosed, eventFull, eventLeaveMessage, eventTransfer:
			in = false
		}
	}
	return st, in && st.Queue != ""
}

// ResumeStay makes the next Join of the call (taken over after a restart)
// continue st instead of starting a new stay. DropStay forgets it.
func (s *Service) ResumeStay(callID string, st Stay) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stays[callID] = st
}

// DropStay forgets a stay ResumeStay registered and no Join took.
func (s *Service) DropStay(callID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.stays, callID)
}

// takeStay returns (once) the stay registered for the call in queueName.
func (s *Service) takeStay(callID, queueName string) (Stay, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st, ok := s.stays[callID]
	if !ok || st.Queue != queueName {
		return Stay{}, false
	}
	delete(s.stays, callID)
	return st, true
}

// resumeConversation continues a conversation that the previous controller
// left going: the dispatcher has the operator on the call again, and this
// goroutine owns the leg and the bridge, so that when either side hangs up
// the other is ended and the bridge destroyed, as after any conversation.
func (s *Service) resumeConversation(ctx context.Context, call *ari.Call, st Stay) (ivr.QueueResult, string, error) {
	log := s.log.With("call", call.ID(), "queue", st.Queue, "operator", st.Operator, "leg", st.Leg, "taken_over", true)
	res := ivr.QueueResult{Kind: ivr.QueueAnswered, Operator: st.Operator}
	w, err := s.d.Reattach(queue.JoinRequest{CallID: call.ID(), CallerNumber: call.CallerNumber(), Queue: st.Queue,
		Priority: int(st.Priority), JoinedAt: st.JoinedAt}, st.Operator, st.AnsweredAt)
	if err != nil {
		// The conversation goes on all the same; the operator's state is
		// not the dispatcher's to follow (the operator was removed, say).
		log.Error("the dispatcher cannot take the conversation back; it goes on unaccounted", "err", err)
		w = nil
	}
	sess := &session{s: s, call: call, w: w, name: st.Queue, opts: s.options(st.Queue), start: st.JoinedAt, log: log}
	if w != nil {
		defer w.Leave(queue.OutcomeAnswered)
	}
	bridge, err := s.app.AdoptBridge(st.Bridge)
	if err != nil {
		// Not left behind: the caller is in no conversation to continue.
		log.Warn("the conversation's bridge is gone; the caller hears goodbye", "bridge", st.Bridge, "err", err)
		if leg, lerr := s.app.AdoptLeg(ctx, st.Leg, st.Endpoint); lerr == nil {
			leg.Hangup()
		}
		sess.release()
		note(call, st.Queue, eventEnded, "by", "operator", "taken_over", "true")
		_ = call.Play(ctx, false, s.cfg.Prompts.Goodbye)
		return res, "", nil
	}
	defer bridge.Destroy()
	leg, err := s.app.AdoptLeg(ctx, st.Leg, st.Endpoint)
	if err != nil {
		if !errors.Is(err, ari.ErrNotFound) && !errors.Is(err, ari.ErrNotOrphan) {
			log.Warn("cannot take the operator's leg over", "err", err)
		}
		end, err := sess.operatorHungUpFirst(ctx, bridge, res, log)
		return end.res, end.next, err
	}
	defer leg.Hangup()
	note(call, st.Queue, eventTakenOver, "operator", st.Operator, "leg", st.Leg, "bridge", st.Bridge)
	log.Info("conversation taken over after a restart")
	end, err := sess.converse(ctx, leg, bridge, res, log)
	return end.res, end.next, err
}
