package ari

import (
	"context"
	"strings"
	"time"

	"github.com/slobozhanske/hotline/ivr"
	"github.com/slobozhanske/hotline/telephony/callrecord"
)

// Call is a resident's call: a channel plus its call record.
type Call struct {
	*Channel
	id           string // call record id
	callerNumber string
	callerName   string
	dialed       string
	channelName  string // e.g. PJSIP/op101-00000001
	args         []string
	readopted    bool                 // found in the app after a (re)connect, not announced by StasisStart
	upAtStart    bool                 // the channel was answered when the app took it (a call taken over)
	past         *callrecord.PastCall // the record a previous controller left, continued by this call

	seq        int
	outcome    ivr.Outcome
	answeredAt time.Time
}

var _ ivr.Call = (*Call)(nil)

// ID is the call record's id.
func (c *Call) ID() string { return c.id }

// CallerNumber is the caller's number.
func (c *Call) CallerNumber() string { return c.callerNumber }

// Endpoint is the calling endpoint, e.g. PJSIP/op101 for an operator's phone
// (from the channel name PJSIP/op101-00000001).
func (c *Call) Endpoint() string {
	if i := strings.LastIndexByte(c.channelName, '-'); i > 0 {
		return c.channelName[:i]
	}
	return c.channelName
}

// Args are the Stasis application arguments from the dialplan.
func (c *Call) Args() []string { return c.args }

// Readopted reports whether the app found the call in Stasis after a
// (re)connect with no owner (the controller restarted, or the call arrived
// while the app was connecting) rather than by its StasisStart.
func (c *Call) Readopted() bool { return c.readopted }

// Past is the record a previous controller left of this call, which the
// call continues (steps numbered on from it); nil for a call that started
// here. Its steps say where the call was: in the menu, in a queue, talking.
func (c *Call) Past() *callrecord.PastCall { return c.past }

// continueRecord makes the call go on under the record past.
func (c *Call) continueRecord(past *callrecord.PastCall) {
	c.past = past
	c.id = past.ID
	c.log = c.app.log.With("call", past.ID, "channel", c.channelID, "taken_over", true)
	c.seq = past.LastSeq
	c.answeredAt = past.AnsweredAt
	c.outcome = ivr.Outcome{Kind: ivr.OutcomeKind(past.Outcome), AppealNumber: past.AppealNumber, Recording: past.Recording}
}

// Outcome is the outcome set so far.
func (c *Call) Outcome() ivr.Outcome { return c.outcome }

// Answer answers the channel and records when.
func (c *Call) Answer(ctx context.Context) error {
	// A call taken over is usually answered already, and may be in the
	// middle of the previous controller's prompt: Asterisk would hold an
	// answer until that prompt ends (ari-traces 05), so none is sent.
	if c.readopted && c.upAtStart {
		if c.answeredAt.IsZero() {
			c.answeredAt = time.Now()
			c.app.records.Answered(c.id, c.answeredAt)
		}
		return nil
	}
	if err := c.app.rest.answer(ctx, c.channelID); err != nil {
		return c.errGone(err)
	}
	c.answeredAt = time.Now()
	c.app.records.Answered(c.id, c.answeredAt)
	c.app.metrics.callsAnswered.Inc()
	return nil
}

// Note implements ivr.Call: the step goes to the call record.
func (c *Call) Note(step ivr.Step) {
	c.seq++
	if step.Kind == ivr.StepKey {
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
	c.app.records.Event(c.id, c.seq, time.Now(), string(step.Kind), step.Node, detail)
}

// SetOutcome implements ivr.Call.
func (c *Call) SetOutcome(o ivr.Outcome) {
	c.outcome = o
	c.app.records.Outcome(c.id, string(o.Kind), o.AppealNumber, o.Recording)
}

// end takes the channel out of the app and writes the end of the record.
// It runs on every path out of the call's goroutine.
func (c *Call) end(fallbackContext string) {
	c.leave(fallbackContext)
	if c.outcome.Kind == "" {
		c.outcome.Kind = ivr.OutcomeHungUpInMenu
	}
	c.app.records.Ended(c.id, callrecord.End{
		At: time.Now(), Outcome: string(c.outcome.Kind), AppealNumber: c.outcome.AppealNumber,
		Recording: c.outcome.Recording, Cause: c.cause, CauseText: c.causeText,
	})
	c.app.metrics.callsEnded.WithLabelValues(string(c.outcome.Kind)).Inc()
}
