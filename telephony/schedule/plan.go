package schedule

import (
	"iter"
	"slices"
	"time"
)

// date is a calendar date in the schedule's time zone.
type date struct {
	year  int
	month time.Month
	day   int
}

func dateOf(t time.Time) date {
	y, m, d := t.Date()
	return date{y, m, d}
}

// noon keeps the arithmetic clear of any midnight oddity.
func (d date) noon() time.Time { return time.Date(d.year, d.month, d.day, 12, 0, 0, 0, time.UTC) }

func (d date) add(days int) date     { return dateOf(d.noon().AddDate(0, 0, days)) }
func (d date) weekday() time.Weekday { return d.noon().Weekday() }

// wallClock is the wall clock c on d written as UTC, for comparing wall clocks.
func (d date) wallClock(c Clock) time.Time {
	return time.Date(d.year, d.month, d.day, 0, int(c), 0, 0, time.UTC)
}

// wall is the instant the clocks of loc show c on date d. Daylight saving
// makes two cases awkward, and both are settled so that instants never go
// backwards as c grows: a time the clocks skip maps to the instant they jump,
// and a time they show twice maps to its first showing.
func wall(loc *time.Location, d date, c Clock) time.Time {
	want := d.wallClock(c) // the wall clock written as UTC; 24:00 is the next day's 00:00
	t := time.Date(d.year, d.month, d.day, 0, int(c), 0, 0, loc)
	start, end := t.ZoneBounds()
	if !start.IsZero() {
		// Shown twice? Then it was shown first under the offset before t's zone began.
		_, prev := start.Add(-time.Nanosecond).Zone()
		if first := want.Add(-time.Duration(prev) * time.Second); first.Before(start) && asWall(first.In(loc)).Equal(want) {
			return first
		}
	}
	got := asWall(t)
	switch {
	case got.Equal(want):
		return t
	case got.Before(want): // skipped; Go moved it back before the jump
		return end
	default: // skipped; Go moved it forward past the jump
		return start
	}
}

// asWall is t's wall clock written as UTC, for comparing wall clocks.
func asWall(t time.Time) time.Time {
	y, m, d := t.Date()
	hh, mm, ss := t.Clock()
	return time.Date(y, m, d, hh, mm, ss, t.Nanosecond(), time.UTC)
}

// dayClock turns times of day on one date into instants. Most days have no
// daylight-saving change, and then every time is midnight plus minutes.
type dayClock struct {
	loc    *time.Location
	d      date
	mid    time.Time
	simple bool
}

func newDayClock(loc *time.Location, d date) dayClock {
	mid := wall(loc, d, 0)
	_, end := mid.ZoneBounds()
	// Strictly after: a change at the next midnight may move that midnight.
	simple := asWall(mid).Equal(d.wallClock(0)) && (end.IsZero() || end.After(mid.Add(24*time.Hour)))
	return dayClock{loc, d, mid, simple}
}

func (dc dayClock) at(c Clock) time.Time {
	if dc.simple {
		return dc.mid.Add(time.Duration(c) * time.Minute)
	}
	return wall(dc.loc, dc.d, c)
}

// dayOf is the date whose day [00:00, 24:00) holds t. It is t's local date
// except where a zone turns its clocks back across midnight.
func dayOf(loc *time.Location, t time.Time) date {
	d := dateOf(t.In(loc))
	if t.Before(wall(loc, d, 0)) {
		return d.add(-1)
	}
	if !t.Before(wall(loc, d, EndOfDay)) {
		return d.add(1)
	}
	return d
}

// segment is part of a day with one state, decided by one rule.
type segment struct {
	from, to Clock
	state    State
	rule     string
}

// dayPlan covers a whole day, 00:00 to 24:00, with segments in order.
type dayPlan []segment

// labelled is a parsed interval with the rule text it reports; name is a
// break's name and field the path it was written at, for error messages.
type labelled struct {
	from, to Clock
	name     string
	label    string
	field    string
}

func (l labelled) String() string { return l.from.String() + "–" + l.to.String() }

// named is how errors and rules show a break: обід 12:00–12:45.
func (l labelled) named() string {
	if l.name == "" {
		return l.String()
	}
	return l.name + " " + l.String()
}

func containing(ls []labelled, c Clock) (labelled, bool) {
	for _, l := range ls {
		if l.from <= c && c < l.to {
			return l, true
		}
	}
	return labelled{}, false
}

// buildPlan cuts the day at every boundary and gives each piece its state: a
// break wins over the open hours it lies in, and anything else is closed.
func buildPlan(open, breaks []labelled, closedRule string) dayPlan {
	cuts := []Clock{0, EndOfDay}
	for _, l := range slices.Concat(open, breaks) {
		cuts = append(cuts, l.from, l.to)
	}
	slices.Sort(cuts)
	cuts = slices.Compact(cuts)
	var plan dayPlan
	for i := 0; i+1 < len(cuts); i++ {
		seg := segment{from: cuts[i], to: cuts[i+1], state: StateClosed, rule: closedRule}
		if l, ok := containing(open, seg.from); ok {
			seg.state, seg.rule = StateOpen, l.label
		}
		if l, ok := containing(breaks, seg.from); ok {
			seg.state, seg.rule = StateBreak, l.label
		}
		if n := len(plan); n > 0 && plan[n-1].state == seg.state && plan[n-1].rule == seg.rule {
			plan[n-1].to = seg.to
			continue
		}
		plan = append(plan, seg)
	}
	return plan
}

// span is a stretch of time with one state.
type span struct {
	start, end time.Time
	state      State
	rule       string
}

// spans yields the rules' spans from the one holding from onwards, the first
// cut to start at from. It never ends: callers stop it. Every day yields at
// least one span, so a caller that stops at some instant always gets there.
func (s *Schedule) spans(exc map[date]dayPlan, from time.Time) iter.Seq[span] {
	return func(yield func(span) bool) {
		for d := dayOf(s.loc, from); ; d = d.add(1) {
			plan, ok := exc[d]
			if !ok {
				plan = s.weekly[d.weekday()]
			}
			dc := newDayClock(s.loc, d)
			for _, seg := range plan {
				sp := span{start: dc.at(seg.from), end: dc.at(seg.to), state: seg.state, rule: seg.rule}
				if sp.start.Before(from) {
					sp.start = from
				}
				if !sp.start.Before(sp.end) { // already past, or lost in a daylight-saving jump
					continue
				}
				if !yield(sp) {
					return
				}
			}
		}
	}
}
