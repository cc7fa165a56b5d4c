package ari

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	ariclient "github.com/CyCoreSystems/ari/v5"

	"github.com/slobozhanske/hotline/ivr"
)

// Channel is one Asterisk channel in the Stasis application, driven by the
// single goroutine that owns it (a resident's call, or a leg the app
// originated). It is the only reader of its inbox, so its state needs no lock.
type Channel struct {
	app       *App
	channelID string
	log       *slog.Logger
	in        *inbox

	digits      []byte
	inApp       bool // StasisStart seen (for originated legs: answered)
	hungUp      bool // the far end (or Asterisk) hung up
	left        bool // StasisEnd or ChannelDestroyed seen: the channel is no longer ours
	destroyed   bool // ChannelDestroyed seen, or Asterisk no longer knows the channel
	continued   bool // handed back to the dialplan: no ChannelDestroyed will reach the app
	cause       int
	causeText   string
	playbackSeq int
	bridgeID    string // the bridge the channel is in, if any
}

func (a *App) newChannel(id string, log *slog.Logger) *Channel {
	return &Channel{app: a, channelID: id, log: log, in: newInbox()}
}

// ID is the Asterisk channel id.
func (c *Channel) ChannelID() string { return c.channelID }

// Log is the channel's logger (with its ids).
func (c *Channel) Log() *slog.Logger { return c.log }

// HungUp reports whether the far end has hung up.
func (c *Channel) HungUp() bool { return c.hungUp }

// Cause is the hangup cause Asterisk reported (Q.850: 16 normal, 17 busy, 19 no answer, 21 rejected…).
func (c *Channel) Cause() (int, string) { return c.cause, c.causeText }

func hangupErr(what string) error { return fmt.Errorf("%s: %w", what, ivr.ErrHangup) }

// absorb applies an event to the channel's state.
func (c *Channel) absorb(d delivery) {
	c.app.metrics.eventLatency.Observe(time.Since(d.at).Seconds())
	switch e := d.ev.(type) {
	case *ariclient.StasisStart:
		if e.Channel.ID == c.channelID {
			c.inApp = true
		}
	case *ariclient.ChannelDtmfReceived:
		if e.Channel.ID == c.channelID && len(e.Digit) == 1 && strings.ContainsAny(e.Digit, "0123456789*#") {
			c.digits = append(c.digits, e.Digit[0])
		}
	case *ariclient.ChannelHangupRequest:
		if e.Channel.ID == c.channelID {
			c.hungUp = true
			switch {
			case e.Cause != 0:
				c.cause, c.causeText = e.Cause, causeText(e.Cause)
			case c.cause == 0 && !e.Soft:
				// The far end's BYE: Asterisk 22 requests the hangup with no
				// cause (ari-traces 02) and an incoming channel's
				// ChannelDestroyed says 0 "Unknown" when it reaches the app
				// at all; a BYE is a normal clearing.
				c.cause, c.causeText = CauseNormal, causeText(CauseNormal)
			}
		}
	case *ariclient.StasisEnd:
		if e.Channel.ID == c.channelID {
			c.hungUp, c.left = true, true
		}
	case *ariclient.ChannelDestroyed:
		if e.Channel.ID == c.channelID {
			c.hungUp, c.left, c.destroyed = true, true, true
			// Asterisk may destroy with cause 0 after a hangup request gave
			// the real one: 0 ("Unknown") never replaces a known cause.
			if e.Cause != 0 || c.cause == 0 {
				c.cause, c.causeText = e.Cause, e.CauseTxt
			}
		}
	case *ariclient.ChannelEnteredBridge:
		if e.Channel.ID == c.channelID {
			c.bridgeID = e.Bridge.ID
		}
	case *ariclient.ChannelLeftBridge:
		if e.Channel.ID == c.channelID && c.bridgeID == e.Bridge.ID {
			c.bridgeID = ""
		}
	}
}

// errGone marks the channel as gone when Asterisk no longer knows it.
func (c *Channel) errGone(err error) error {
	if errors.Is(err, ErrNotFound) || errors.Is(err, ErrConflict) {
		c.hungUp = true
		return fmt.Errorf("%w: %w", ivr.ErrHangup, err)
	}
	return err
}

var errTimeout = errors.New("timeout")

// wait consumes events until done reports true, the far end hangs up, the
// timeout passes (errTimeout) or ctx ends. After a WebSocket reconnect it
// checks the channel still exists and asks onResync whether what it waits
// for already happened (its event may have been lost).
func (c *Channel) wait(ctx context.Context, timeout time.Duration, done func(ariclient.Event) bool, onResync func() bool) error {
	var timer <-chan time.Time
	if timeout > 0 {
		t := time.NewTimer(timeout)
		defer t.Stop()
		timer = t.C
	}
	for {
		batch := c.in.take()
		for i, d := range batch {
			if _, ok := d.ev.(resync); ok {
				if c.checkAlive(ctx) && onResync != nil && onResync() {
					c.in.putBack(batch[i+1:])
					return nil
				}
				continue
			}
			c.absorb(d)
			if done(d.ev) {
				// What came with it (a key pressed as the prompt ended) is the next wait's.
				c.in.putBack(batch[i+1:])
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

// Pump consumes whatever events are queued, without waiting.
func (c *Channel) Pump() {
	for _, d := range c.in.take() {
		if _, ok := d.ev.(resync); ok {
			c.checkAlive(context.Background())
			continue
		}
		c.absorb(d)
	}
}

// Events is signalled when events are queued for the channel; call Pump to apply them.
func (c *Channel) Events() <-chan struct{} { return c.in.signal }

// checkAlive asks Asterisk whether the channel still exists (after missed events).
func (c *Channel) checkAlive(ctx context.Context) bool {
	ok, err := c.app.rest.channelExists(ctx, c.channelID)
	if err == nil && !ok {
		// Gone while events were lost: its ChannelDestroyed (and the cause) will never come.
		c.hungUp, c.left, c.destroyed = true, true, true
	}
	return !c.hungUp
}

// Play plays media one after another; with interruptible, a key stops the
// current item (barge-in) and stays buffered for NextDigit.
func (c *Channel) Play(ctx context.Context, interruptible bool, media ...ivr.Media) error {
	for _, m := range media {
		if c.hungUp {
			return hangupErr("play")
		}
		if interruptible && len(c.digits) > 0 {
			return nil
		}
		c.playbackSeq++
		// Our own playback id: PlaybackFinished can arrive before the HTTP response.
		// The run's tag keeps the id apart from a playback the previous
		// controller may still have going on a call taken over (Asterisk
		// refuses a playback id in use).
		pbID := fmt.Sprintf("%s-%s-pb%d", c.channelID, c.app.runTag, c.playbackSeq)
		if err := c.app.rest.play(ctx, c.channelID, pbID, string(m)); err != nil {
			c.app.metrics.commandErrors.WithLabelValues("play").Inc()
			return c.errGone(err)
		}
		finished := false
		err := c.wait(ctx, 0, func(ev ariclient.Event) bool {
			if e, ok := ev.(*ariclient.PlaybackFinished); ok && e.Playback.ID == pbID {
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
				return hangupErr("play " + string(m))
			}
			c.stopPlayback(pbID)
			return fmt.Errorf("play %s: %w", m, err)
		}
		if !finished {
			c.stopPlayback(pbID)
			return nil
		}
	}
	return nil
}

// stopPlayback stops a prompt; a 404 means it had just finished.
func (c *Channel) stopPlayback(pbID string) {
	ctx, cancel := context.WithTimeout(context.Background(), c.app.cfg.RequestTimeout)
	defer cancel()
	if err := c.app.rest.stopPlayback(ctx, pbID); err != nil && !errors.Is(err, ErrNotFound) {
		c.log.Debug("stop playback", "playback", pbID, "err", err)
	}
}

// NextDigit returns the next key, waiting up to timeout; ivr.ErrNoInput when none comes.
func (c *Channel) NextDigit(ctx context.Context, timeout time.Duration) (byte, error) {
	err := c.wait(ctx, timeout, func(ariclient.Event) bool { return len(c.digits) > 0 }, nil)
	if len(c.digits) > 0 {
		d := c.digits[0]
		c.digits = c.digits[1:]
		return d, nil
	}
	switch {
	case errors.Is(err, errTimeout):
		return 0, ivr.ErrNoInput
	case errors.Is(err, ivr.ErrHangup):
		return 0, hangupErr("wait for a key")
	default:
		return 0, fmt.Errorf("wait for a key: %w", err)
	}
}

// ClearDigits forgets keys pressed so far.
func (c *Channel) ClearDigits() { c.digits = c.digits[:0] }

// Record records the channel until the terminator key, silence or the maximum duration.
func (c *Channel) Record(ctx context.Context, opts ivr.RecordOptions) (ivr.Recording, error) {
	terminate := "none"
	if opts.Terminator != 0 {
		terminate = string(opts.Terminator)
	}
	name := opts.Name
	err := c.app.rest.record(ctx, c.channelID, name, &ariclient.RecordingOptions{
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
	ended := func(ev ariclient.Event) bool {
		switch e := ev.(type) {
		case *ariclient.RecordingFinished:
			if e.Recording.Name == name {
				finished = true
				d := time.Duration(e.Recording.Duration)
				result = ivr.Recording{Name: name, Duration: d, Empty: d == 0}
			}
		case *ariclient.RecordingFailed:
			if e.Recording.Name == name {
				finished, failed = true, e.Recording.Cause
			}
		}
		return finished
	}
	werr := c.wait(ctx, opts.MaxDuration+30*time.Second, ended, func() bool {
		// RecordingFinished may have been lost with the WebSocket: a recording
		// no longer live has finished and is stored (its length is unknown).
		live, err := c.app.rest.liveRecordingExists(ctx, name)
		if err == nil && !live {
			finished = true
			result = ivr.Recording{Name: name}
		}
		return finished
	})
	// The terminator key is not a menu choice.
	c.ClearDigits()
	if failed != "" {
		return ivr.Recording{}, fmt.Errorf("record %s: failed: %s", name, failed)
	}
	if werr != nil && !finished {
		if errors.Is(werr, ivr.ErrHangup) {
			// Asterisk keeps what was said before the hangup, and says how
			// long it is in the RecordingFinished that follows the hangup
			// request (ari-traces 06): an empty one must not become a card.
			if c.linger(ctx, recordingAfterHangup, ended) && failed == "" {
				return result, hangupErr("record " + name)
			}
			return ivr.Recording{Name: name}, hangupErr("record " + name)
		}
		_ = c.app.rest.stopRecording(context.WithoutCancel(ctx), name)
		return ivr.Recording{Name: name}, fmt.Errorf("record %s: %w", name, werr)
	}
	return result, nil
}

// recordingAfterHangup bounds the wait for a recording's end after the
// caller hung up during it; Asterisk sends it at once.
const recordingAfterHangup = 2 * time.Second

// linger consumes the events that follow the far end's hangup, for at most
// d, until done reports true; false when done never did (the channel left
// the application first, or d passed).
func (c *Channel) linger(ctx context.Context, d time.Duration, done func(ariclient.Event) bool) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	for {
		batch := c.in.take()
		for i, dv := range batch {
			if _, ok := dv.ev.(resync); ok {
				continue
			}
			c.absorb(dv)
			if done(dv.ev) {
				c.in.putBack(batch[i+1:])
				return true
			}
		}
		if c.left {
			return false
		}
		select {
		case <-c.in.signal:
		case <-t.C:
			return false
		case <-ctx.Done():
			return false
		}
	}
}

// StartMOH plays the music-on-hold class to the channel.
func (c *Channel) StartMOH(ctx context.Context, class string) error {
	return c.errGone(c.app.rest.startMOH(ctx, c.channelID, class))
}

// StopMOH stops music on hold.
func (c *Channel) StopMOH(ctx context.Context) error {
	err := c.app.rest.stopMOH(ctx, c.channelID)
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	return err
}

// leave makes sure the channel is out of the Stasis application: handed to
// fallbackContext when given and the far end is still there, else hung up.
// Then it waits briefly for Asterisk's StasisEnd and, for a channel that
// ends, ChannelDestroyed, which comes after StasisEnd and alone carries
// the cause's text (ChannelHangupRequest has the code only).
func (c *Channel) leave(fallbackContext string) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c.Pump()
	if !c.left {
		var err error
		if fallbackContext != "" && !c.hungUp {
			err = c.app.rest.continueInDialplan(ctx, c.channelID, fallbackContext)
			c.continued = err == nil
		} else {
			err = c.app.rest.hangup(ctx, c.channelID, "normal")
		}
		switch {
		case errors.Is(err, ErrNotFound):
			// Already gone: its ChannelDestroyed is on its way (or was lost with the WebSocket).
			c.hungUp, c.left = true, true
		case err != nil:
			c.log.Error("could not end channel; it may stay in Stasis", "err", err)
		}
	}
	c.settle(ctx, 3*time.Second)
	c.app.forget(c.channelID)
}

// settle applies the channel's last events until it is destroyed (or has
// left for the dialplan), for at most timeout. Unlike wait it goes on after
// the hangup: that is what it waits through.
func (c *Channel) settle(ctx context.Context, timeout time.Duration) {
	t := time.NewTimer(timeout)
	defer t.Stop()
	for {
		for _, d := range c.in.take() {
			if _, ok := d.ev.(resync); ok {
				c.checkAlive(ctx)
				continue
			}
			c.absorb(d)
		}
		if c.destroyed || (c.continued && c.left) {
			return
		}
		select {
		case <-c.in.signal:
		case <-t.C:
			return
		case <-ctx.Done():
			return
		}
	}
}

// causeText is Asterisk's text for the Q.850 causes a hotline call ends
// with (ast_cause2str), for causes learnt from an event that carries none.
func causeText(cause int) string {
	switch cause {
	case CauseNormal:
		return "Normal Clearing"
	case CauseBusy:
		return "User busy"
	case 18:
		return "No user responding"
	case CauseNoAnswer:
		return "User alerting, no answer"
	case CauseUnavailable:
		return "Subscriber absent"
	case CauseRejected:
		return "Call Rejected"
	case 31:
		return "Normal, unspecified"
	case 34:
		return "Circuit/channel congestion"
	}
	return "Unknown"
}
