package telephony

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/CyCoreSystems/ari/v5"

	"github.com/slobozhanske/hotline/ivr"
	"github.com/slobozhanske/hotline/telephony/callrecord"
)

// Call is one resident's channel in the Stasis application. Exactly one
// goroutine owns it: it runs the call's handler and is the only reader of the
// call's inbox, so the call's state needs no lock.
type Call struct {
	app          *App
	id           string // call record id
	channelID    string
	callerNumber string
	callerName   string
	dialed       string
	args         []string
	log          *slog.Logger
	in           *inbox

	digits      []byte
	hungUp      bool // the caller (or Asterisk) hung up
	left        bool // StasisEnd seen: the channel is no longer ours
	cause       int
	causeText   string
	seq         int
	node        string
	outcome     ivr.Outcome
	playbackSeq int
	answeredAt  time.Time
}

var _ ivr.Call = (*Call)(nil)

// ID is the call record's id.
func (c *Call) ID() string { return c.id }

// ChannelID is the Asterisk channel id.
func (c *Call) ChannelID() string { return c.channelID }

// CallerNumber is the caller's number.
func (c *Call) CallerNumber() string { return c.callerNumber }

// Args are the Stasis application arguments from the dialplan.
func (c *Call) Args() []string { return c.args }

// Outcome is the outcome set so far.
func (c *Call) Outcome() ivr.Outcome { return c.outcome }

func (c *Call) hangupErr(what string) error {
	return fmt.Errorf("%s: %w", what, ivr.ErrHangup)
}

// absorb applies an event to the call's state.
func (c *Call) absorb(d delivery) {
	c.app.metrics.eventLatency.Observe(time.Since(d.at).Seconds())
	switch e := d.ev.(type) {
	case *ari.ChannelDtmfReceived:
		if e.Channel.ID == c.channelID && len(e.Digit) == 1 && strings.ContainsAny(e.Digit, "0123456789*#") {
			c.digits = append(c.digits, e.Digit[0])
		}
	case *ari.ChannelHangupRequest:
		if e.Channel.ID == c.channelID {
			c.hungUp = true
			if e.Cause != 0 {
				c.cause = e.Cause
			}
		}
	case *ari.StasisEnd:
		if e.Channel.ID == c.channelID {
			c.hungUp, c.left = true, true
		}
	case *ari.ChannelDestroyed:
		if e.Channel.ID == c.channelID {
			c.hungUp, c.left = true, true
			c.cause, c.causeText = e.Cause, e.CauseTxt
		}
	}
}

// errGone marks the channel as gone after Asterisk answered 404 for it.
func (c *Call) errGone(err error) error {
	if errors.Is(err, ErrNotFound) || errors.Is(err, ErrConflict) {
		c.hungUp = true
		return fmt.Errorf("%w: %w", ivr.ErrHangup, err)
	}
	return err
}

// wait consumes events until done reports true, the caller hangs up, the
// timeout passes (errTimeout) or ctx ends. onResync runs after a reconnect.
func (c *Call) wait(ctx context.Context, timeout time.Duration, done func(ari.Event) bool, onResync func() bool) error {
	var timer <-chan time.Time
	if timeout > 0 {
		t := time.NewTimer(timeout)
		defer t.Stop()
		timer = t.C
	}
	for {
		for _, d := range c.in.take() {
			if _, ok := d.ev.(resync); ok {
				if c.checkAlive(ctx) && onResync != nil && onResync() {
					return nil
				}
				continue
			}
			c.absorb(d)
			if done(d.ev) {
				return nil
			}
		}
		if c.hungUp {
			return ivr.ErrHangup
		}
		if done(nil) {
			return nil
		}
		select {
		case <-c.in.signal:
		case <-timer:
			return errTimeout
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

var errTimeout = errors.New("timeout")

// checkAlive asks Asterisk whether the channel still exists (after missed events).
func (c *Call) checkAlive(ctx context.Context) bool {
	ok, err := c.app.rest.channelExists(ctx, c.channelID)
	if err == nil && !ok {
		c.hungUp, c.left = true, true
	}
	return !c.hungUp
}

// Answer answers the channel.
func (c *Call) Answer(ctx context.Context) error {
	if err := c.app.rest.answer(ctx, c.channelID); err != nil {
		return c.errGone(err)
	}
	c.answeredAt = time.Now()
	c.app.records.Answered(c.id, c.answeredAt)
	c.app.metrics.callsAnswered.Inc()
	return nil
}

// Play implements ivr.Call: media play one after another; with barge-in a
// key stops the current one and stays buffered.
func (c *Call) Play(ctx context.Context, interruptible bool, media ...ivr.Media) error {
	for _, m := range media {
		if c.hungUp {
			return c.hangupErr("play")
		}
		if interruptible && len(c.digits) > 0 {
			return nil
		}
		c.playbackSeq++
		pbID := fmt.Sprintf("%s-pb%d", c.channelID, c.playbackSeq)
		if err := c.app.rest.play(ctx, c.channelID, pbID, string(m)); err != nil {
			c.app.metrics.commandErrors.WithLabelValues("play").Inc()
			return c.errGone(err)
		}
		finished := false
		err := c.wait(ctx, 0, func(ev ari.Event) bool {
			if e, ok := ev.(*ari.PlaybackFinished); ok && e.Playback.ID == pbID {
				finished = true
			}
			return finished || (interruptible && len(c.digits) > 0)
		}, func() bool {
			exists, err := c.app.rest.playbackExists(ctx, pbID)
			finished = err == nil && !exists
			return finished
		})
		if err != nil {
			if errors.Is(err, ivr.ErrHangup) {
				return c.hangupErr("play " + string(m))
			}
			return fmt.Errorf("play %s: %w", m, err)
		}
		if !finished {
			// Barge-in: stop the prompt; a 404 means it had just finished.
			if err := c.app.rest.stopPlayback(ctx, pbID); err != nil && !errors.Is(err, ErrNotFound) {
				c.log.Debug("stop playback", "err", err)
			}
			return nil
		}
	}
	return nil
}

// NextDigit implements ivr.Call.
func (c *Call) NextDigit(ctx context.Context, timeout time.Duration) (byte, error) {
	err := c.wait(ctx, timeout, func(ari.Event) bool { return len(c.digits) > 0 }, nil)
	if len(c.digits) > 0 {
		d := c.digits[0]
		c.digits = c.digits[1:]
		return d, nil
	}
	switch {
	case errors.Is(err, errTimeout):
		return 0, ivr.ErrNoInput
	case errors.Is(err, ivr.ErrHangup):
		return 0, c.hangupErr("wait for a key")
	default:
		return 0, fmt.Errorf("wait for a key: %w", err)
	}
}

// ClearDigits implements ivr.Call.
func (c *Call) ClearDigits() { c.digits = c.digits[:0] }

// Record implements ivr.Call.
func (c *Call) Record(ctx context.Context, opts ivr.RecordOptions) (ivr.Recording, error) {
	terminate := "none"
	if opts.Terminator != 0 {
		terminate = string(opts.Terminator)
	}
	name := opts.Name
	err := c.app.rest.record(ctx, c.channelID, name, &ari.RecordingOptions{
		Format:      c.app.cfg.RecordingFormat,
		MaxDuration: opts.MaxDuration,
		MaxSilence:  opts.MaxSilence,
		Exists:      "overwrite",
		Beep:        opts.Beep,
		Terminate:   terminate,
	})
	if err != nil {
		c.app.metrics.commandErrors.WithLabelValues("record").Inc()
		return ivr.Recording{}, c.errGone(err)
	}
	var result ivr.Recording
	var failed string
	finished := false
	werr := c.wait(ctx, opts.MaxDuration+30*time.Second, func(ev ari.Event) bool {
		switch e := ev.(type) {
		case *ari.RecordingFinished:
			if e.Recording.Name == name {
				finished = true
				d := time.Duration(e.Recording.Duration)
				result = ivr.Recording{Name: name, Duration: d, Empty: d == 0}
			}
		case *ari.RecordingFailed:
			if e.Recording.Name == name {
				finished, failed = true, e.Recording.Cause
			}
		}
		return finished
	}, nil)
	// The terminator key is not a menu choice.
	c.ClearDigits()
	if failed != "" {
		return ivr.Recording{}, fmt.Errorf("record %s: failed: %s", name, failed)
	}
	if werr != nil && !finished {
		if errors.Is(werr, ivr.ErrHangup) {
			// Asterisk keeps what was said before the hangup.
			return ivr.Recording{Name: name}, c.hangupErr("record " + name)
		}
		_ = c.app.rest.stopRecording(context.WithoutCancel(ctx), name)
		return ivr.Recording{Name: name}, fmt.Errorf("record %s: %w", name, werr)
	}
	return result, nil
}

// Note implements ivr.Call: the step goes to the call record.
func (c *Call) Note(step ivr.Step) {
	c.seq++
	if step.Kind == "node" {
		c.node = step.Node
	}
	if step.Kind == "key" {
		c.app.metrics.menuKeys.WithLabelValues(step.Node).Inc()
	}
	detail := step.Detail
	if step.Key != "" {
		detail = make(map[string]string, len(step.Detail)+1)
		for k, v := range step.Detail {
			detail[k] = v
		}
		detail["key"] = step.Key
	}
	c.app.records.Event(c.id, c.seq, time.Now(), step.Kind, step.Node, detail)
}

// SetOutcome implements ivr.Call.
func (c *Call) SetOutcome(o ivr.Outcome) {
	c.outcome = o
	c.app.records.Outcome(c.id, o.Kind, o.AppealNumber, o.Recording)
}

// end makes sure the channel leaves the Stasis app, then writes the end of
// the record. It runs on every path out of the call's goroutine.
func (c *Call) end(fallbackContext string) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	// Take what is already queued (a hangup may be waiting there).
	for _, d := range c.in.take() {
		if _, ok := d.ev.(resync); !ok {
			c.absorb(d)
		}
	}
	if !c.left {
		var err error
		if fallbackContext != "" && !c.hungUp {
			err = c.app.rest.continueInDialplan(ctx, c.channelID, fallbackContext)
		} else {
			err = c.app.rest.hangup(ctx, c.channelID, "normal")
		}
		if err != nil && !errors.Is(err, ErrNotFound) {
			c.log.Error("could not end channel; it may stay in Stasis", "err", err)
		}
		// Wait briefly for Asterisk's StasisEnd/ChannelDestroyed to learn the cause.
		_ = c.wait(ctx, 3*time.Second, func(ari.Event) bool { return c.left }, nil)
	}
	if c.outcome.Kind == "" {
		c.outcome.Kind = "hung_up_in_menu"
	}
	c.app.records.Ended(c.id, callrecord.End{
		At: time.Now(), Outcome: c.outcome.Kind, AppealNumber: c.outcome.AppealNumber,
		Recording: c.outcome.Recording, Cause: c.cause, CauseText: c.causeText,
	})
	c.app.metrics.callsEnded.WithLabelValues(c.outcome.Kind).Inc()
}
