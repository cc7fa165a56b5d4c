package ari

import (
	"errors"
	"fmt"
	"time"

	"github.com/slobozhanske/hotline/telephony/callrecord"
)

// Fencing. With a standby controller (internal/lease) only the process
// holding the lease may command Asterisk. Config.Fence says, before every
// REST request and every WebSocket connect, whether this process still
// may; once it may not, nothing more leaves it: no command, no call-record
// write (the controller that took over continues the records), no
// reconnect (the newest WebSocket takes the application over, so a fenced
// process reconnecting would steal the calls back). Abandon then lets the
// calls' goroutines go without ending the calls.

// ErrFenced: this process no longer holds the lease; it must not act.
var ErrFenced = errors.New("fenced: another controller is active")

// fenced reports why this process may not command Asterisk, or nil.
func (a *App) fenced() error {
	if a.cfg.Fence == nil {
		return nil
	}
	if err := a.cfg.Fence(); err != nil {
		return fmt.Errorf("%w: %w", ErrFenced, err)
	}
	return nil
}

// Abandon stops the app at once, when another controller has taken over:
// the calls' goroutines are cancelled and leave without touching Asterisk
// or the records, the WebSocket is closed, and Run returns without the
// shutdown grace. The calls go on in Asterisk, where the other controller
// adopts them.
func (a *App) Abandon() {
	a.abandonOnce.Do(func() {
		a.log.Warn("abandoning the calls to the controller that took over", "calls", a.LiveCalls())
		close(a.abandoned)
		a.cancelCalls()
	})
}

func (a *App) isAbandoned() bool {
	select {
	case <-a.abandoned:
		return true
	default:
		return false
	}
}

// fencedRecords drops the record writes of a process that no longer holds
// the lease: the calls' records are the other controller's to continue.
type fencedRecords struct {
	callrecord.Recorder
	app *App
}

func (f fencedRecords) ok() bool { return f.app.fenced() == nil && !f.app.isAbandoned() }

func (f fencedRecords) Start(r callrecord.Record) {
	if f.ok() {
		f.Recorder.Start(r)
	}
}

func (f fencedRecords) Event(callID string, seq int, at time.Time, kind, node string, detail map[string]string) {
	if f.ok() {
		f.Recorder.Event(callID, seq, at, kind, node, detail)
	}
}

func (f fencedRecords) Answered(callID string, at time.Time) {
	if f.ok() {
		f.Recorder.Answered(callID, at)
	}
}

func (f fencedRecords) Outcome(callID, outcome, appealNumber, recording string) {
	if f.ok() {
		f.Recorder.Outcome(callID, outcome, appealNumber, recording)
	}
}

func (f fencedRecords) Rating(callID string, rating int) {
	if f.ok() {
		f.Recorder.Rating(callID, rating)
	}
}

func (f fencedRecords) Ended(callID string, e callrecord.End) {
	if f.ok() {
		f.Recorder.Ended(callID, e)
	}
}

// checkFence is what every request to Asterisk goes through first.
func (r *rest) checkFence(what string) error {
	if r.fence == nil {
		return nil
	}
	if err := r.fence(); err != nil {
		return fmt.Errorf("%s: %w: %w", what, ErrFenced, err)
	}
	return nil
}
