package escalation

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"time"

	"github.com/slobozhanske/hotline/ivr"
)

// ringGrace is how much longer than the ring timeout the engine waits for
// the dialer before it gives the call up itself (Asterisk's own timeout
// normally ends the ringing first).
const ringGrace = 5 * time.Second

// minRoundPause is the least pause before a new round, so a chain whose
// phones all fail at once (or an empty roster) is not phoned in a tight
// loop when retry_delay is 0.
const minRoundPause = 10 * time.Second

// maxStrayKeys bounds keys other than 1 and 2 on one call.
const maxStrayKeys = 5

var (
	errRingBackstop = errors.New("no answer within the ring timeout")
	errAckTimeout   = errors.New("no acknowledgement within the timeout")
)

// runEscalation is an escalation's goroutine: it phones the chain until the
// escalation ends or ctx does (the engine stops, or a supervisor cancels).
func (e *Engine) runEscalation(ctx context.Context, esc Escalation, r *runner) {
	log := e.log.With("escalation", esc.ID, "appeal", esc.AppealNumber)
	defer func() {
		if r.alerting {
			e.metrics.alerting.Dec()
		}
	}()
	if esc.RoundsExhausted > 0 && esc.State == StateActive {
		r.alerting = true
		e.metrics.alerting.Inc()
	}
	if esc.State == StateActive {
		err := e.persist(ctx, log, "close the attempts a stopped controller left open", func(ctx context.Context) error {
			n, err := e.store.CloseOpenAttempts(ctx, esc.ID, e.clock.Now())
			if n > 0 {
				log.Warn("attempts left open by a stopped controller were closed as interrupted; the last one is made again", "count", n)
			}
			return err
		})
		if err != nil {
			return
		}
	}
	for {
		switch esc.State {
		case StateActive:
		case StateAcknowledged:
			if esc.HistoryWrittenAt.IsZero() {
				e.writeHistory(ctx, &esc, log, true)
			}
			return
		default:
			return
		}
		if !sleep(ctx, e.clock, esc.NextAttemptAt.Sub(e.clock.Now())) {
			return
		}
		var ok bool
		if esc.Person >= len(esc.Chain) {
			ok = e.startRound(ctx, &esc, r, log)
		} else {
			ok = e.attempt(ctx, &esc, r, log)
		}
		if !ok {
			return
		}
	}
}

// startRound takes the chain on duty now for the round.
func (e *Engine) startRound(ctx context.Context, esc *Escalation, r *runner, log *slog.Logger) bool {
	now := e.clock.Now()
	next := *esc
	next.UpdatedAt = now
	shift, ok := e.duty.OnDuty(now)
	nobody := !ok || len(shift.People) == 0
	if nobody {
		next.Chain = nil
		e.exhaustRound(&next, now)
	} else {
		next.Chain, next.Person, next.Try, next.NextAttemptAt = shift.People, 0, 1, now
	}
	if !e.save(ctx, log, next) {
		return false
	}
	*esc = next
	if nobody {
		e.metrics.nobodyOnDuty.Inc()
		log.Error("ALERT: nobody is on the duty roster: the emergency cannot be passed on", "round", esc.Round-1)
		e.alertRound(ctx, esc, r, log)
	} else {
		log.Info("round started", "round", esc.Round, "shift", shift.ID, "people", len(esc.Chain))
	}
	return true
}

// save stores the escalation's progress; false when the goroutine must stop.
func (e *Engine) save(ctx context.Context, log *slog.Logger, next Escalation) bool {
	err := e.persist(ctx, log, "store the escalation's progress", func(ctx context.Context) error { return e.store.SaveProgress(ctx, next) })
	if errors.Is(err, ErrNotActive) {
		log.Info("the escalation was ended meanwhile")
	}
	return err == nil
}

// exhaustRound moves past the end of the chain: a new round after the retry
// delay, or the end when MaxRounds are done.
func (e *Engine) exhaustRound(esc *Escalation, now time.Time) {
	esc.RoundsExhausted++
	if e.s.MaxRounds > 0 && esc.Round >= e.s.MaxRounds {
		esc.State, esc.EndedAt = StateExhausted, now
		return
	}
	esc.Round++
	esc.Chain, esc.Person, esc.Try = nil, 0, 1
	esc.NextAttemptAt = now.Add(max(e.s.RetryDelay, minRoundPause))
}

// alertRound raises the alert of a round in which nobody accepted.
func (e *Engine) alertRound(ctx context.Context, esc *Escalation, r *runner, log *slog.Logger) {
	e.metrics.roundsExhausted.Inc()
	if !r.alerting {
		r.alerting = true
		e.metrics.alerting.Inc()
	}
	if esc.State == StateExhausted {
		e.metrics.exhausted.Inc()
		log.Error("ALERT: nobody on duty accepted the emergency; giving up", "rounds", esc.RoundsExhausted,
			"caller", esc.CallerNumber, "category", esc.Category)
		e.noteOnAppeal(ctx, esc, HistoryEntry{Who: WhoEscalation, Action: ActionExhausted,
			Note:   fmt.Sprintf("ніхто з чергових не прийняв звернення після %d кіл дзвінків; потрібне втручання", esc.RoundsExhausted),
			Detail: map[string]string{"escalation_id": esc.ID, "rounds": strconv.Itoa(esc.RoundsExhausted)}}, log)
		return
	}
	log.Error("ALERT: nobody on duty accepted the emergency; starting the chain over", "rounds_exhausted", esc.RoundsExhausted,
		"next_round", esc.Round, "at", esc.NextAttemptAt, "caller", esc.CallerNumber, "category", esc.Category)
}

// attempt phones the person at the escalation's position once.
func (e *Engine) attempt(ctx context.Context, esc *Escalation, r *runner, log *slog.Logger) bool {
	p := esc.Chain[esc.Person]
	a := Attempt{EscalationID: esc.ID, Round: esc.Round, Person: esc.Person, Try: esc.Try, Name: p.Name, Phone: p.Phone,
		StartedAt: e.clock.Now()}
	endpoint, epErr := e.s.Endpoint(p.Phone)
	a.Endpoint = endpoint
	err := e.persist(ctx, log, "store the attempt", func(ctx context.Context) error {
		id, err := e.store.BeginAttempt(ctx, a)
		a.ID = id
		return err
	})
	if err != nil {
		return false
	}
	alog := log.With("attempt", a.ID, "person", p.Name, "phone", p.Phone, "round", a.Round, "try", a.Try)

	var line Line
	var result Result
	var detail string
	if epErr != nil {
		result, detail = ResultFailed, epErr.Error()
		alog.Error("cannot dial the person on duty", "err", epErr)
	} else {
		alog.Info("phoning the person on duty", "endpoint", endpoint)
		line, result, detail = e.dial(ctx, esc, endpoint)
	}
	owned := line != nil
	defer func() {
		if owned {
			line.Hangup()
		}
	}()
	if line != nil {
		a.AnsweredAt = e.clock.Now()
		_ = e.persist(ctx, alog, "store the answer", func(ctx context.Context) error {
			return e.store.AttemptAnswered(ctx, a.ID, a.AnsweredAt)
		})
		result, detail = e.present(ctx, line, esc)
	}
	if result == "" {
		e.abandon(ctx, a, *esc, alog)
		return false
	}

	a.EndedAt, a.Result, a.Detail = e.clock.Now(), result, detail
	prev := *esc
	next := *esc
	e.advance(&next, a)
	err = e.persist(ctx, alog, "store the attempt's result", func(ctx context.Context) error { return e.store.FinishAttempt(ctx, a, next) })
	if errors.Is(err, ErrNotActive) {
		alog.Info("the escalation was ended meanwhile", "result", result)
	}
	if err != nil {
		return false // ctx ended: the attempt stays open and is made again at the next start
	}
	*esc = next
	e.metrics.attempts.WithLabelValues(string(result)).Inc()
	alog.Info("attempt ended", "result", result, "detail", detail)

	switch {
	case result == ResultAcknowledged:
		e.metrics.observeAck(a.EndedAt.Sub(esc.CreatedAt))
		alog.Info("the person on duty accepted the emergency", "after", a.EndedAt.Sub(esc.CreatedAt))
		e.writeHistory(ctx, esc, alog, false)
		if err := line.Play(ctx, e.prompts.Accepted); err != nil {
			alog.Debug("play accepted", "err", err)
		}
		if r.handoff != nil && e.handOver(ctx, line, r.handoff, alog) {
			owned = false
		}
	default:
		if owned { // the person did not accept: free their phone before the bookkeeping
			line.Hangup()
			owned = false
		}
		e.noteAttempt(ctx, esc, a, alog)
		if esc.RoundsExhausted > prev.RoundsExhausted {
			e.alertRound(ctx, esc, r, log)
		}
	}
	return true
}

// attemptNoteTimeout bounds writing an attempt on the appeal's history, so
// an appeals store that hangs delays the next call by no more than this.
const attemptNoteTimeout = 3 * time.Second

// attemptWords say on the appeal's history how an attempt ended.
var attemptWords = map[Result]string{
	ResultNoAnswer:    "не відповів",
	ResultBusy:        "зайнято",
	ResultUnavailable: "телефон недоступний",
	ResultRejected:    "відхилив дзвінок",
	ResultFailed:      "дзвінок не вдався",
	ResultNoAck:       "відповів, але не підтвердив прийняття (не натиснув 1)",
	ResultHungUp:      "відповів і поклав слухавку, не підтвердивши прийняття",
}

// noteAttempt writes an attempt that did not end in acceptance on the
// appeal's history (ActionAttempt), once, as it ends: whoever opens the card
// sees whom the hotline phoned and what came of it. The escalation's own
// record stays the reference; if the appeals store fails, the entry is
// logged and not retried (the next attempt must not wait for it).
func (e *Engine) noteAttempt(ctx context.Context, esc *Escalation, a Attempt, log *slog.Logger) {
	if esc.AppealID == "" {
		return
	}
	words := attemptWords[a.Result]
	if words == "" {
		words = string(a.Result)
	}
	entry := HistoryEntry{
		Who:    WhoEscalation,
		Action: ActionAttempt,
		Note: fmt.Sprintf("дзвінок черговому %s (%s) о %s, коло %d, спроба %d: %s", a.Name, a.Phone,
			a.StartedAt.In(e.s.Location).Format("15:04 02.01.2006"), a.Round, a.Try, words),
		Detail: map[string]string{
			"escalation_id": esc.ID,
			"attempt_id":    strconv.FormatInt(a.ID, 10),
			"person":        a.Name,
			"phone":         a.Phone,
			"endpoint":      a.Endpoint,
			"round":         strconv.Itoa(a.Round),
			"try":           strconv.Itoa(a.Try),
			"result":        string(a.Result),
			"started_at":    a.StartedAt.UTC().Format(time.RFC3339),
			"ended_at":      a.EndedAt.UTC().Format(time.RFC3339),
		},
	}
	if a.Detail != "" {
		entry.Detail["detail"] = a.Detail
	}
	e.noteOnAppeal(ctx, esc, entry, log)
}

// noteOnAppeal writes an entry on the escalation's appeal's history, bounded
// by attemptNoteTimeout and not retried: the escalation's own record stays
// the reference.
func (e *Engine) noteOnAppeal(ctx context.Context, esc *Escalation, entry HistoryEntry, log *slog.Logger) {
	if esc.AppealID == "" {
		return
	}
	hctx, cancel := context.WithTimeout(ctx, attemptNoteTimeout)
	defer cancel()
	if err := e.history.AddHistory(hctx, esc.AppealID, entry); err != nil && ctx.Err() == nil {
		log.Warn("cannot note on the appeal's history; it stays in the escalation's record", "action", entry.Action, "err", err)
	}
}

// dial rings the person's phone, giving up itself a little after the ring
// timeout should Asterisk not report the end. A zero result means ctx ended.
func (e *Engine) dial(ctx context.Context, esc *Escalation, endpoint string) (Line, Result, string) {
	rctx, cancel := withTimeout(ctx, e.clock, e.s.RingTimeout+ringGrace, errRingBackstop)
	defer cancel()
	line, err := e.dialer.Dial(rctx, DialRequest{Endpoint: endpoint, CallerID: e.s.CallerID, Ring: e.s.RingTimeout, EscalationID: esc.ID})
	if err == nil && line != nil {
		return line, "", ""
	}
	var de *DialError
	switch {
	case errors.As(err, &de) && de.Result != "":
		return nil, de.Result, de.Detail
	case ctx.Err() != nil:
		return nil, "", ""
	case timedOut(rctx, errRingBackstop):
		return nil, ResultNoAnswer, fmt.Sprintf("no answer within %s", e.s.RingTimeout)
	case err == nil:
		return nil, ResultFailed, "the dialer returned no line"
	}
	return nil, ResultFailed, err.Error()
}

// present tells the person on duty about the emergency and asks them to
// accept it. A zero result means ctx ended. The acknowledgement timeout
// runs from the answer, prompts included (as the config documents it);
// asking to hear the message again (2) starts it afresh.
func (e *Engine) present(ctx context.Context, line Line, esc *Escalation) (Result, string) {
	message := e.prompts.message(esc)
	question := []ivr.Media{e.prompts.PressAccept}
	play := slices.Concat(message, question)
	line.ClearKeys()
	replays, stray := 0, 0
	kctx, cancel := withTimeout(ctx, e.clock, e.s.AckTimeout, errAckTimeout)
	defer func() { cancel() }()
	noAck := func(err error) (Result, string) {
		if ctx.Err() == nil && timedOut(kctx, errAckTimeout) {
			return ResultNoAck, fmt.Sprintf("no key within %s of the answer", e.s.AckTimeout)
		}
		return lineErr(ctx, err)
	}
	for {
		if err := line.Play(kctx, play...); err != nil {
			return noAck(err)
		}
		key, err := line.NextKey(kctx)
		if err != nil {
			return noAck(err)
		}
		switch key {
		case '1':
			return ResultAcknowledged, ""
		case '2':
			cancel()
			kctx, cancel = withTimeout(ctx, e.clock, e.s.AckTimeout, errAckTimeout)
			replays++
			play = question
			if replays <= e.s.MaxReplays {
				play = slices.Concat(message, question)
			}
		default:
			stray++
			if stray > maxStrayKeys {
				return ResultNoAck, "only keys other than 1 were pressed"
			}
			play = question
		}
	}
}

func lineErr(ctx context.Context, err error) (Result, string) {
	switch {
	case ctx.Err() != nil:
		return "", ""
	case errors.Is(err, ivr.ErrHangup):
		return ResultHungUp, ""
	}
	return ResultFailed, err.Error()
}

// advance moves the escalation past an attempt's result.
func (e *Engine) advance(esc *Escalation, a Attempt) {
	now := a.EndedAt
	esc.UpdatedAt = now
	if a.Result == ResultAcknowledged {
		esc.State = StateAcknowledged
		esc.AcknowledgedBy, esc.AcknowledgedPhone, esc.AcknowledgedAt, esc.EndedAt = a.Name, a.Phone, now, now
		return
	}
	if esc.Try < e.s.AttemptsPerPerson {
		esc.Try++
		esc.NextAttemptAt = now.Add(e.s.RetryDelay)
		return
	}
	esc.Person++
	esc.Try = 1
	esc.NextAttemptAt = now
	if esc.Person >= len(esc.Chain) {
		e.exhaustRound(esc, now)
	}
}

// abandon closes an attempt cut short by the engine stopping (it is made
// again at the next start) or by a cancellation.
func (e *Engine) abandon(ctx context.Context, a Attempt, esc Escalation, log *slog.Logger) {
	a.EndedAt, a.Result = e.clock.Now(), ResultInterrupted
	if errors.Is(context.Cause(ctx), errCancelled) {
		a.Result = ResultCancelled
	}
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := e.store.FinishAttempt(wctx, a, esc); err != nil && !errors.Is(err, ErrNotActive) {
		log.Warn("cannot close the interrupted attempt; the next start closes it", "err", err)
	}
	e.metrics.attempts.WithLabelValues(string(a.Result)).Inc()
	log.Info("attempt cut short", "result", a.Result)
}

// writeHistory writes the acknowledgement on the appeal's history; with
// retry it keeps trying (with backoff) until it succeeds or ctx ends.
func (e *Engine) writeHistory(ctx context.Context, esc *Escalation, log *slog.Logger, retry bool) {
	at := esc.AcknowledgedAt
	entry := HistoryEntry{
		Who:    esc.AcknowledgedBy,
		Action: ActionAcknowledged,
		Note:   fmt.Sprintf("прийнято черговим о %s, телефон %s", at.In(e.s.Location).Format("15:04 02.01.2006"), esc.AcknowledgedPhone),
		Detail: map[string]string{
			"escalation_id":   esc.ID,
			"phone":           esc.AcknowledgedPhone,
			"acknowledged_at": at.UTC().Format(time.RFC3339),
			"round":           strconv.Itoa(esc.Round),
		},
	}
	for delay := 5 * time.Second; ; delay = min(2*delay, 5*time.Minute) {
		err := ErrAppealNotFound // an emergency without a card: the escalation keeps the acknowledgement
		if esc.AppealID != "" {
			hctx, cancel := context.WithTimeout(ctx, 10*time.Second)
			err = e.history.AddHistory(hctx, esc.AppealID, entry)
			cancel()
		}
		if err == nil || errors.Is(err, ErrAppealNotFound) {
			switch {
			case esc.AppealID == "":
				log.Warn("no appeal card to write the acknowledgement on: it stays in the escalation only")
			case err != nil:
				log.Error("the appeal is not found: the acknowledgement stays in the escalation only", "err", err)
			}
			now := e.clock.Now()
			if e.persist(ctx, log, "store that the history is written", func(ctx context.Context) error {
				return e.store.HistoryWritten(ctx, esc.ID, now)
			}) == nil {
				esc.HistoryWrittenAt = now
			}
			return
		}
		if ctx.Err() != nil {
			return
		}
		log.Error("cannot write the acknowledgement on the appeal's history; retrying", "err", err, "in", delay)
		if !retry || !sleep(ctx, e.clock, delay) {
			return
		}
	}
}

// persist runs a store call, retrying with backoff while the database is
// away; it gives up only when ctx ends, or on ErrNotActive and ErrNotFound,
// which retrying does not mend.
func (e *Engine) persist(ctx context.Context, log *slog.Logger, what string, fn func(context.Context) error) error {
	for delay := time.Second; ; delay = min(2*delay, 30*time.Second) {
		err := fn(ctx)
		if err == nil || errors.Is(err, ErrNotActive) || errors.Is(err, ErrNotFound) {
			return err
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		log.Error("the database failed; retrying", "doing", what, "err", err, "in", delay)
		if !sleep(ctx, e.clock, delay) {
			return ctx.Err()
		}
	}
}
