package schedule

import "time"

// Working time is open time only: breaks and closed hours do not count.
// Exceptions count; the override does not (see the package comment), so a
// deadline set today is the same deadline whoever flips the switch tomorrow.

// AddWorkingTime is the instant at which d of working time has passed since
// start: the earliest such instant, so a deadline that runs out exactly at
// closing time is closing time, not the next morning. d ≤ 0 gives start. The
// result is zero if the schedule has no open time for about 400 days on the
// way (a schedule that is never open).
func (s *Schedule) AddWorkingTime(start time.Time, d time.Duration) time.Time {
	if d <= 0 {
		return s.local(start)
	}
	lastOpen := start
	for sp := range s.spans(s.rules().exc, start) {
		if sp.state != StateOpen {
			if sp.start.Sub(lastOpen) > lookahead {
				return time.Time{}
			}
			continue
		}
		if n := sp.end.Sub(sp.start); d > n {
			d -= n
			lastOpen = sp.end
			continue
		}
		return s.local(sp.start.Add(d))
	}
	panic("unreachable: spans never ends")
}

// WorkingTimeBetween is the working time in [a, b), and minus that in
// [b, a) when b is before a, so instants out of order need no special case.
// WorkingTimeBetween(a, AddWorkingTime(a, d)) is d, and
// AddWorkingTime(a, WorkingTimeBetween(a, b)) is b when b is in open time or
// ends it.
func (s *Schedule) WorkingTimeBetween(a, b time.Time) time.Duration {
	if b.Before(a) {
		return -s.WorkingTimeBetween(b, a)
	}
	var total time.Duration
	for sp := range s.spans(s.rules().exc, a) {
		if !sp.start.Before(b) {
			break
		}
		if sp.state != StateOpen {
			continue
		}
		end := sp.end
		if b.Before(end) {
			end = b
		}
		total += end.Sub(sp.start)
	}
	return total
}
