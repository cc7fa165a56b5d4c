// Package esctest has what tests of the escalation need beside a real
// database: phones on duty that answer (or not) as a script says, an appeal
// history in memory, and a scaled wall clock for the ARI test server (a
// clock moved by hand is internal/clock/clocktest's).
package esctest

import (
	"time"

	"github.com/slobozhanske/hotline/telephony/escalation"
)

// ScaledClock is the wall clock running faster, to match the ARI test
// server's TimeScale: d of its time passes in d×scale of real time.
type ScaledClock struct {
	start time.Time
	real  time.Time
	scale float64
}

// NewScaledClock starts a scaled clock at the instant.
func NewScaledClock(start time.Time, scale float64) *ScaledClock {
	return &ScaledClock{start: start, real: time.Now(), scale: scale}
}

// Now implements escalation.Clock.
func (c *ScaledClock) Now() time.Time {
	return c.start.Add(time.Duration(float64(time.Since(c.real)) / c.scale))
}

// AfterFunc implements escalation.Clock.
func (c *ScaledClock) AfterFunc(d time.Duration, f func()) escalation.Timer {
	return time.AfterFunc(time.Duration(float64(d)*c.scale), f)
}
