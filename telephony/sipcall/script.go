package sipcall

import (
	"context"
	"fmt"
	"time"
)

// script runs the checks of an answered call: first audio, the keys once
// the menu is quiet, audio after them, then the hold. It fills res and
// returns when the call should end.
func (c *call) script(ctx context.Context, res *Result, answered time.Time, keys chan<- string, keysDone <-chan time.Time) {
	o := c.opts
	fail := func(kind string, err error) { res.fail(kind, err) }
	// wait waits for deadline, a loud frame (when onLoud is set; it returns
	// true to stop waiting) or the end of the call. It reports whether the
	// deadline passed.
	wait := func(deadline time.Time, onLoud func() bool, extra <-chan time.Time, onExtra func(time.Time) bool) (timedOut, ended bool) {
		t := time.NewTimer(time.Until(deadline))
		defer t.Stop()
		for {
			select {
			case <-t.C:
				return true, false
			case <-c.levels.notify:
				if onLoud != nil && onLoud() {
					return false, false
				}
			case at := <-extra:
				if onExtra(at) {
					return false, false
				}
			case <-c.hungUp:
				fail(FailRemoteHangup, fmt.Errorf("the server hung up %s after the answer", time.Since(answered).Round(time.Millisecond)))
				return false, true
			case <-ctx.Done():
				fail(FailTimeout, fmt.Errorf("the call's bound of %s ran out: %w", o.MaxDuration, context.Cause(ctx)))
				return false, true
			}
		}
	}

	// 1. The greeting.
	c.levels.watch(answered)
	var first time.Time
	timedOut, ended := wait(answered.Add(o.FirstAudioTimeout), func() bool {
		first, _ = c.levels.read()
		return !first.IsZero()
	}, nil, nil)
	switch {
	case ended:
		return
	case timedOut:
		fail(FailNoAudio, fmt.Errorf("no audio above %.0f dBFS within %s of the answer", o.Threshold, o.FirstAudioTimeout))
		return
	}
	res.FirstAudio = first.Sub(answered)

	// 2. The keys, once the prompt has stopped for KeySilence (the menu is
	// waiting), or at KeyWait anyway (barging in).
	if o.Keys != "" {
		keyDeadline := first.Add(o.KeyWait)
		for {
			_, last := c.levels.read()
			quietAt := last.Add(o.KeySilence)
			if quietAt.After(keyDeadline) {
				quietAt = keyDeadline
			}
			if !time.Now().Before(quietAt) {
				break
			}
			// A loud frame moves the end of the quiet: look again.
			if timedOut, ended = wait(quietAt, func() bool { return true }, nil, nil); ended {
				return
			}
			if timedOut {
				break
			}
		}
		res.KeysAt = time.Since(answered)
		keys <- o.Keys // buffered: the sender takes it at its next tick
		var done time.Time
		// Sending takes 160 ms a key; bounded by the call's own bound.
		if _, ended = wait(time.Now().Add(time.Duration(len(o.Keys))*time.Second+time.Second), nil, keysDone, func(at time.Time) bool {
			done = at
			return true
		}); ended {
			return
		}
		if done.IsZero() {
			fail(FailError, fmt.Errorf("the keys %q could not be sent (is the server's SDP holding the call?)", o.Keys))
			return
		}
		res.KeysSent = o.Keys

		// 3. The menu answers the keys.
		c.levels.watch(done)
		var after time.Time
		timedOut, ended = wait(done.Add(o.AfterKeysTimeout), func() bool {
			after, _ = c.levels.read()
			return !after.IsZero()
		}, nil, nil)
		switch {
		case ended:
			return
		case timedOut:
			fail(FailNoAudioAfterKeys, fmt.Errorf("no audio within %s of the keys %q", o.AfterKeysTimeout, o.Keys))
			return
		}
		res.AudioAfterKeys = after.Sub(done)
	}

	// 4. Stay on the line (load tests), then hang up.
	if o.Hold > 0 {
		if _, ended = wait(answered.Add(o.Hold), nil, nil, nil); ended {
			if res.Failure == FailRemoteHangup {
				// The checks passed; the server ending the call during the
				// hold is its business (a menu timeout), not a failure.
				res.OK, res.Failure, res.Error, res.EndedByServer = true, "", "", true
			}
			return
		}
	}
	res.OK = true
}
