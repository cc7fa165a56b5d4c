package dutycall

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/slobozhanske/hotline/ivr"
	"github.com/slobozhanske/hotline/telephony/ari"
	"github.com/slobozhanske/hotline/telephony/escalation"
)

// Bridger makes bridges (*ari.App).
type Bridger interface {
	NewBridge(ctx context.Context, purpose string) (*ari.Bridge, error)
}

// Connector keeps the caller on the line (escalation.keep_caller_on_line):
// For binds it to a call as that call's ivr.CallerHold. The caller hears
// hold music while the chain is phoned and is bridged with the person on
// duty who accepts.
type Connector struct {
	engine *escalation.Engine
	app    Bridger
	cfg    ConnectorConfig
}

// ConnectorConfig tunes the hold.
type ConnectorConfig struct {
	MOHClass string           // hold music ("" for silence)
	MaxWait  time.Duration    // hold the caller at most this long (0: until the escalation ends or the call's limit)
	Clock    escalation.Clock // bounds MaxWait (nil: the wall clock)
	Log      *slog.Logger
}

var _ ivr.CallerHold = callHold{}

// NewConnector builds the connector over the engine and the ARI application.
func NewConnector(engine *escalation.Engine, app Bridger, cfg ConnectorConfig) *Connector {
	if cfg.Clock == nil {
		cfg.Clock = escalation.SystemClock()
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return &Connector{engine: engine, app: app, cfg: cfg}
}

// For is the hold of one call (ivr.CallerHold), bound to that ARI call
// where the call is created.
func (c *Connector) For(call *ari.Call) ivr.CallerHold { return callHold{c: c, call: call} }

// callHold is the connector bound to one call.
type callHold struct {
	c    *Connector
	call *ari.Call
}

// StartHeld implements ivr.CallerHold for the bound call (the menu's Call
// is that call).
func (b callHold) StartHeld(ctx context.Context, alert ivr.SOSAlert) (ivr.HoldFunc, error) {
	return b.c.startHeld(ctx, b.call, alert)
}

// startHeld starts the escalation and returns
// the hold. The hold plays music until a person on duty accepts, bridges
// the two and returns (true) when either hangs up; it returns false when no
// one can be connected any more (the escalation ended, MaxWait passed) and
// an error wrapping ivr.ErrHangup when the caller hangs up. The escalation
// goes on without the caller in every case. A hold that is never run lets
// the person who accepts go after escalation.Settings.HandoffWait.
func (c *Connector) startHeld(ctx context.Context, tc *ari.Call, alert ivr.SOSAlert) (ivr.HoldFunc, error) {
	h, err := c.engine.StartWithCaller(ctx, alert)
	if err != nil {
		return nil, err
	}
	return func(ctx context.Context, _ ivr.Call) (bool, error) {
		defer h.Release()
		line, err := c.waitForAcceptance(ctx, tc, h)
		if line == nil || err != nil {
			return false, err
		}
		al, ok := line.(*Line)
		if !ok {
			line.Hangup()
			return false, fmt.Errorf("connect the caller: the accepted line is a %T, not an ARI leg", line)
		}
		leg := al.Leg()
		defer leg.Hangup()
		return true, c.talk(ctx, tc, leg)
	}, nil
}

// waitForAcceptance plays hold music until the handoff offers a line; nil
// when it does not.
func (c *Connector) waitForAcceptance(ctx context.Context, tc *ari.Call, h *escalation.Handoff) (escalation.Line, error) {
	if c.cfg.MOHClass != "" {
		if err := tc.StartMOH(ctx, c.cfg.MOHClass); err != nil {
			return nil, fmt.Errorf("hold music: %w", err)
		}
		defer func() { _ = tc.StopMOH(context.WithoutCancel(ctx)) }()
	}
	expired := make(chan struct{})
	if c.cfg.MaxWait > 0 {
		t := c.cfg.Clock.AfterFunc(c.cfg.MaxWait, func() { close(expired) })
		defer t.Stop()
	}
	for {
		tc.Pump()
		if tc.HungUp() {
			return nil, fmt.Errorf("wait for the person on duty: %w", ivr.ErrHangup)
		}
		select {
		case <-h.Accepted():
			if line, ok := h.Take(); ok {
				return line, nil
			}
			return nil, nil
		case <-h.Done():
			return nil, nil
		case <-expired:
			c.cfg.Log.Info("nobody on duty accepted while the caller waited; the escalation goes on", "waited", c.cfg.MaxWait)
			return nil, nil
		case <-tc.Events():
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// talk bridges the caller and the person on duty until either hangs up.
func (c *Connector) talk(ctx context.Context, tc *ari.Call, leg *ari.Leg) error {
	br, err := c.app.NewBridge(ctx, "escalation")
	if err != nil {
		return fmt.Errorf("connect the caller: %w", err)
	}
	defer br.Destroy()
	if err := br.Add(ctx, tc.Channel); err != nil {
		return fmt.Errorf("connect the caller: %w", err)
	}
	if err := br.Add(ctx, leg.Channel); err != nil {
		return fmt.Errorf("connect the person on duty: %w", err)
	}
	for {
		tc.Pump()
		leg.Pump()
		if tc.HungUp() || leg.HungUp() {
			return nil
		}
		select {
		case <-tc.Events():
		case <-leg.Events():
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}
