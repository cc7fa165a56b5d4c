package schedule

import (
	"iter"
	"time"
)

// Decision is the state at an instant and why.
type Decision struct {
	State State
	// Rule is the rule that decided, for logs and supervisors, e.g.
	// "weekly: Friday 08:00–15:45", "break: обід 12:00–12:45",
	// "exception 2026-12-25 Різдво: closed", "override: closed until … by …".
	Rule string
	// Next is when the state next changes, and NextState what it becomes. Next
	// is zero when it does not change within about 400 days (24/7, never open).
	Next      time.Time
	NextState State
}

// State decides the state at the instant, override included.
func (s *Schedule) State(at time.Time) Decision {
	var dec Decision
	r := s.rules()
	limit := at.Add(lookahead)
	first := true
	for sp := range s.spansWithOverride(r, at) {
		if first {
			dec.State, dec.Rule, first = sp.state, sp.rule, false
			continue
		}
		if sp.start.After(limit) {
			break
		}
		if sp.state != dec.State {
			dec.Next, dec.NextState = s.local(sp.start), sp.state
			break
		}
		if s.settled(r, sp.start) { // 24/7: no need to walk the whole year to know
			break
		}
	}
	return dec
}

// NextOpen is the first instant from at (at itself if open) when operators
// are available, override included: for "operators return at 12:45" or "on
// the next working day". False when not open within about 400 days.
func (s *Schedule) NextOpen(at time.Time) (time.Time, bool) {
	r := s.rules()
	limit := at.Add(lookahead)
	for sp := range s.spansWithOverride(r, at) {
		if sp.start.After(limit) {
			break
		}
		if sp.state == StateOpen {
			return s.local(sp.start), true
		}
		if s.settled(r, sp.start) { // never open, and no exception ahead
			break
		}
	}
	return time.Time{}, false
}

// spansWithOverride is spans with the override in force laid over its start.
func (s *Schedule) spansWithOverride(r rules, from time.Time) iter.Seq[span] {
	return func(yield func(span) bool) {
		if o := r.override; o != nil && from.Before(o.Until) {
			if !yield(span{start: from, end: o.Until, state: o.State, rule: o.rule}) {
				return
			}
			from = o.Until
		}
		for sp := range s.spans(r.exc, from) {
			if !yield(sp) {
				return
			}
		}
	}
}
