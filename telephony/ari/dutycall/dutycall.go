// Package dutycall phones people on duty over the ARI application: it
// implements escalation.Dialer with ari.App.Originate and gives the
// engine each answered leg as an escalation.Line.
package dutycall

import (
	"context"
	"errors"
	"net/http"

	"github.com/CyCoreSystems/ari/v5/client/native"

	"github.com/slobozhanske/hotline/ivr"
	"github.com/slobozhanske/hotline/telephony/ari"
	"github.com/slobozhanske/hotline/telephony/escalation"
)

// Telephony is what the dialer needs of the ARI application (*ari.App).
type Telephony interface {
	Originate(ctx context.Context, req ari.OriginateRequest) (*ari.Leg, error)
}

// Dialer phones people on duty through Asterisk.
type Dialer struct {
	app Telephony
}

var _ escalation.Dialer = (*Dialer)(nil)

// New returns a dialer over the application.
func New(app Telephony) *Dialer { return &Dialer{app: app} }

// Purpose is the originate purpose (the legs' Stasis args: "leg,escalation").
const Purpose = "escalation"

// Dial implements escalation.Dialer: it originates the leg and waits for
// the answer; a leg that is not answered is hung up before Dial returns.
func (d *Dialer) Dial(ctx context.Context, req escalation.DialRequest) (escalation.Line, error) {
	leg, err := d.app.Originate(ctx, ari.OriginateRequest{
		Endpoint: req.Endpoint, CallerID: req.CallerID, Timeout: req.Ring, Purpose: Purpose,
	})
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, &escalation.DialError{Result: originateFailure(err), Detail: err.Error()}
	}
	if err := leg.WaitAnswer(ctx); err != nil {
		leg.Hangup()
		if lf, ok := ari.IsLegFailed(err); ok {
			return nil, &escalation.DialError{Result: escalation.Result(lf.Reason()), Detail: lf.Error()}
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, &escalation.DialError{Result: escalation.ResultFailed, Detail: err.Error()}
	}
	return &Line{leg: leg}, nil
}

// originateFailure classifies a refused originate. Asterisk answers 500
// ("Allocation failed") when the channel driver cannot create the channel,
// which for a PJSIP endpoint means it has no registered contact: the phone
// is unavailable. Anything else is a failure.
func originateFailure(err error) escalation.Result {
	var re native.RequestError
	if errors.As(err, &re) && re.Code() == http.StatusInternalServerError {
		return escalation.ResultUnavailable
	}
	return escalation.ResultFailed
}

// Line is an answered leg to a person on duty.
type Line struct {
	leg *ari.Leg
}

var _ escalation.Line = (*Line)(nil)

// Leg is the ARI leg, for the caller's goroutine that takes a line from an
// escalation.Handoff to bridge it with the caller.
func (l *Line) Leg() *ari.Leg { return l.leg }

// Play implements escalation.Line: keys interrupt.
func (l *Line) Play(ctx context.Context, media ...ivr.Media) error {
	return l.leg.Play(ctx, true, media...)
}

// NextKey implements escalation.Line: it waits until a key comes or ctx ends.
func (l *Line) NextKey(ctx context.Context) (byte, error) {
	return l.leg.NextDigit(ctx, 0) // no timeout of its own: the engine's clock ends ctx
}

// ClearKeys implements escalation.Line.
func (l *Line) ClearKeys() { l.leg.ClearDigits() }

// Hangup implements escalation.Line.
func (l *Line) Hangup() { l.leg.Hangup() }
