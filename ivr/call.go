// Package ivr is the voice menu: it walks a resident's call through the menu
// tree, collects keys, reads numbers back and hands the call to the queue,
// the SOS path, the appeal status lookup or message taking.
//
// It knows nothing of ARI or HTTP. It drives a call through the small Call
// interface below (implemented over ARI by package telephony and by a fake in
// tests) and reaches other services through the interfaces in services.go.
package ivr

import (
	"context"
	"errors"
	"time"
)

// Media is an Asterisk media URI, e.g. "sound:hotline/greeting" or "digits:123".
type Media string

// ErrHangup is returned (wrapped) by every Call method once the caller has
// hung up. When the ctx passed to a Call method ends, the method returns an
// error wrapping ctx.Err() instead; the menu treats both as the end of the call.
var ErrHangup = errors.New("caller hung up")

// ErrNoInput is returned by NextDigit when no key arrives in time.
var ErrNoInput = errors.New("no input")

// Call is what the menu needs from a live call. One goroutine owns a call,
// so implementations need not be safe for concurrent use by the menu itself,
// but keys arrive asynchronously and are buffered in order.
type Call interface {
	// ID is the call record's id.
	ID() string
	// CallerNumber is the caller's number as the network gave it ("" if withheld).
	CallerNumber() string
	// Play plays media in order and returns when it has finished. When
	// interruptible, a key pressed during playback stops it at once (barge-in)
	// and Play returns nil; the key stays buffered for NextDigit. When
	// interruptible and a key is already buffered, Play plays nothing and
	// returns nil (type-ahead). Keys pressed during a non-interruptible Play
	// are buffered too.
	Play(ctx context.Context, interruptible bool, media ...Media) error
	// NextDigit returns the next buffered key ('0'–'9', '*', '#'), waiting up to
	// timeout for one; ErrNoInput when none comes. Buffered keys come out in
	// the order they were pressed, each once.
	NextDigit(ctx context.Context, timeout time.Duration) (byte, error)
	// ClearDigits forgets keys pressed so far (before a new question).
	ClearDigits()
	// Record records the caller after a beep until the terminator key,
	// silence or the maximum duration. The terminator is not left buffered.
	// When the caller hangs up during the recording, the error wraps
	// ErrHangup and the returned Recording still has its Name (Asterisk keeps
	// what was said): the menu files an emergency even then. Duration 0 with
	// Empty false means "not known".
	Record(ctx context.Context, opts RecordOptions) (Recording, error)
	// Note appends a step to the call record (menu node, key, timeout, …).
	Note(step Step)
	// SetOutcome sets the call record's outcome (the last one set wins).
	SetOutcome(outcome Outcome)
}

// RecordOptions bound a recording of the caller.
type RecordOptions struct {
	Name        string        // recording name, unique (the call id and a suffix)
	MaxDuration time.Duration // stop after this long
	MaxSilence  time.Duration // stop after this much silence
	Terminator  byte          // key that ends the recording, usually '#'
	Beep        bool
}

// Recording is a finished recording.
type Recording struct {
	Name     string
	Duration time.Duration
	Empty    bool // nothing was said (Asterisk kept no audio)
}

// Step is one entry of a call's journey through the menu.
type Step struct {
	Kind   StepKind          // node, key, invalid, timeout, exhausted, action, prompt, status_lookup, recording, …
	Node   string            // menu node it happened in
	Key    string            // key(s) pressed, if any
	Detail map[string]string // anything else worth keeping
}

// Outcome is how a call ended as far as the menu is concerned.
type Outcome struct {
	Kind         OutcomeKind // hung_up_in_menu, queued, answered_by_operator, abandoned_in_queue, sos_escalated, sos_queued, message_left, status_given, info_given, ended_by_menu
	AppealNumber string
	Recording    string
}
