package ari

import (
	"context"
	"errors"
	"fmt"
	"time"

	ariclient "github.com/CyCoreSystems/ari/v5"
)

// Leg is a channel the app originated: an operator's phone or the on-duty
// person's phone. The goroutine that originated it owns it and must Hangup it
// on every path.
type Leg struct {
	*Channel
	Endpoint string
}

// OriginateRequest describes an outbound leg.
type OriginateRequest struct {
	Endpoint string        // PJSIP/op101, or PJSIP/0501234567@trunk
	CallerID string        // what the called phone shows
	Timeout  time.Duration // how long it may ring
	Purpose  string        // queue, escalation (for logs and the app args)
}

// LegFailedError says why a leg was never answered.
type LegFailedError struct {
	Endpoint  string
	Cause     int
	CauseText string
}

func (e *LegFailedError) Error() string {
	return fmt.Sprintf("%s not answered: cause %d %s", e.Endpoint, e.Cause, e.CauseText)
}

// Q.850 causes the queue and the escalation care about.
const (
	CauseNormal      = 16
	CauseBusy        = 17
	CauseNoAnswer    = 19
	CauseRejected    = 21
	CauseUnavailable = 20 // subscriber absent: the phone is not registered
)

// Reason classifies a failed leg: busy, no_answer, unavailable or failed.
func (e *LegFailedError) Reason() string {
	switch e.Cause {
	case CauseBusy:
		return "busy"
	case CauseNoAnswer, 18:
		return "no_answer"
	case CauseUnavailable, 3, 27:
		return "unavailable"
	case CauseRejected:
		return "rejected"
	}
	return "failed"
}

// Originate calls an endpoint into the Stasis app. It returns once Asterisk
// accepted the request; WaitAnswer waits for the phone to be picked up.
func (a *App) Originate(ctx context.Context, req OriginateRequest) (*Leg, error) {
	id := legPrefix + newID()
	leg := &Leg{Channel: a.newChannel(id, a.log.With("leg", id, "endpoint", req.Endpoint, "purpose", req.Purpose)), Endpoint: req.Endpoint}
	// Register before the request: Asterisk may send events before it answers it.
	a.mu.Lock()
	a.owners[id] = leg.Channel
	a.mu.Unlock()
	timeout := int(req.Timeout / time.Second)
	if timeout < 1 {
		timeout = 30
	}
	if err := ctx.Err(); err != nil {
		a.forget(id)
		return nil, fmt.Errorf("originate to %s: %w", req.Endpoint, err)
	}
	// The request is not abandoned when ctx ends while Asterisk works on it
	// (a stop, the caller hanging up): the channel would ring on with nobody
	// to end it. It completes (within the request timeout), and the leg is
	// then hung up here.
	err := a.rest.do(context.WithoutCancel(ctx), "originate to "+req.Endpoint, func() error {
		_, err := a.rest.client.Channel().Originate(nil, ariclient.OriginateRequest{
			Endpoint: req.Endpoint, CallerID: req.CallerID, Timeout: timeout,
			App: a.cfg.Application, AppArgs: "leg," + req.Purpose, ChannelID: id,
		})
		return err
	})
	if err != nil {
		// A timeout or a broken connection leaves it unknown whether the
		// channel exists: should it answer, the app ends it (endStrayLeg).
		a.forget(id)
		a.metrics.commandErrors.WithLabelValues("originate").Inc()
		return nil, fmt.Errorf("originate: %w", err)
	}
	if err := ctx.Err(); err != nil {
		leg.Hangup()
		return nil, fmt.Errorf("originate to %s: given up while it was being placed: %w", req.Endpoint, err)
	}
	return leg, nil
}

// WaitAnswer waits until the leg is answered (it enters the app), or returns
// a *LegFailedError when it ends first (busy, no answer, unavailable).
func (l *Leg) WaitAnswer(ctx context.Context) error {
	err := l.wait(ctx, 0, func(ariclient.Event) bool { return l.inApp }, func() bool {
		data, err := l.app.rest.channel(ctx, l.channelID)
		if err == nil && data.State == "Up" {
			l.inApp = true
		}
		return l.inApp
	})
	if l.inApp && !l.hungUp {
		return nil
	}
	if err != nil && !l.hungUp {
		return fmt.Errorf("wait for %s to answer: %w", l.Endpoint, err)
	}
	// Ringing ended: wait briefly for ChannelDestroyed and its cause.
	if !l.destroyed {
		wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
		_ = l.wait(wctx, 0, func(ariclient.Event) bool { return l.destroyed }, nil)
		cancel()
	}
	return &LegFailedError{Endpoint: l.Endpoint, Cause: l.cause, CauseText: l.causeText}
}

// Hangup ends the leg (ringing or answered) and waits for it to leave the app.
func (l *Leg) Hangup() { l.leave("") }

// IsLegFailed reports whether err says the leg was never answered, and why.
func IsLegFailed(err error) (*LegFailedError, bool) {
	var lf *LegFailedError
	if errors.As(err, &lf) {
		return lf, true
	}
	return nil, false
}
