package queue

import "github.com/slobozhanske/hotline/internal/clock"

// Clock tells the time and runs functions later. The dispatcher takes every
// time from it, so tests can move time by hand.
type Clock = clock.Clock

// Timer is a pending AfterFunc.
type Timer = clock.Timer

// SystemClock is the wall clock.
func SystemClock() Clock { return clock.System() }
