package schedule

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"
)

// State is the hotline's state at an instant. The values are the routing
// keys of the configuration (routing.open, routing.break, routing.closed).
type State string

const (
	StateOpen   State = "open"
	StateBreak  State = "break" // inside opening hours, operators away (lunch)
	StateClosed State = "closed"
)

// lookahead bounds every search for the next change: a year and a bit, so a
// holiday next year is still found, and a schedule that never changes (24/7,
// or never open) answers in bounded time.
const lookahead = 400 * 24 * time.Hour

// Schedule is the working hours. Build it with New; it is safe for
// concurrent use.
type Schedule struct {
	loc    *time.Location
	weekly [7]dayPlan // by time.Weekday
	steady bool       // the weekly plans are one state all week (24/7, never open)

	mu sync.RWMutex
	r  rules
}

// rules is what may change at run time. Each field is replaced whole, never
// changed in place, so a copy taken under the read lock stays consistent.
type rules struct {
	exceptions []Exception // as given, sorted by date
	exc        map[date]dayPlan
	excEnd     time.Time // the end of the last exception's day; after it only the weekly plans apply
	override   *override
}

type override struct {
	Override
	rule string
}

// Override forces the state until an instant — the day/night switch.
type Override struct {
	State  State     // StateOpen or StateClosed
	Until  time.Time // the rules apply again from this instant
	By     string    // who set it
	Reason string    // why, for the record and the rule text
}

// New checks cfg and builds the schedule. The error lists every problem
// found, each a *FieldError named by the path of the field as the
// configuration's schedule section has it (weekly.mon[0].to,
// breaks[1].days[0], exceptions[2].date) and quoting the value.
func New(cfg Config) (*Schedule, error) {
	var p problems
	loc := loadZone(&p, cfg.TimeZone)
	weekly := compileWeekly(&p, cfg.Weekly, cfg.Breaks)
	excs, exc := compileExceptions(&p, cfg.Exceptions)
	if err := p.err(); err != nil {
		return nil, err
	}
	s := &Schedule{loc: loc, weekly: weekly, steady: true}
	for _, plan := range weekly {
		s.steady = s.steady && len(plan) == 1 && plan[0].state == weekly[0][0].state
	}
	s.r = rules{exceptions: excs, exc: exc, excEnd: s.excEnd(exc)}
	return s, nil
}

func (s *Schedule) excEnd(exc map[date]dayPlan) time.Time {
	var end time.Time
	for d := range exc {
		end = maxTime(end, wall(s.loc, d, EndOfDay))
	}
	return end
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// settled reports whether nothing changes from t on: the weekly plans are
// steady and every exception is behind.
func (s *Schedule) settled(r rules, t time.Time) bool {
	return s.steady && !t.Before(r.excEnd)
}

// Location is the schedule's time zone; the instants it returns are in it.
func (s *Schedule) Location() *time.Location { return s.loc }

// local is how instants leave the package: in the schedule's zone, without
// the monotonic clock reading a caller's time.Now() may have carried in.
func (s *Schedule) local(t time.Time) time.Time { return t.In(s.loc).Round(0) }

func (s *Schedule) rules() rules {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.r
}

// SetExceptions replaces all the exceptions, once they all check out; on
// error the old ones stay.
func (s *Schedule) SetExceptions(excs []Exception) error {
	var p problems
	sorted, exc := compileExceptions(&p, excs)
	if err := p.err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.r.exceptions, s.r.exc, s.r.excEnd = sorted, exc, s.excEnd(exc)
	return nil
}

// Exceptions returns a copy of the exceptions, in date order.
func (s *Schedule) Exceptions() []Exception {
	return cloneExceptions(s.rules().exceptions)
}

// cloneExceptions copies deeply enough that neither side can change the other's.
func cloneExceptions(excs []Exception) []Exception {
	out := make([]Exception, len(excs))
	for i, e := range excs {
		e.Hours = slices.Clone(e.Hours)
		e.Breaks = slices.Clone(e.Breaks)
		for j := range e.Breaks {
			e.Breaks[j].Days = slices.Clone(e.Breaks[j].Days)
		}
		out[i] = e
	}
	return out
}

// SetOverride forces the state to o.State until o.Until, replacing any
// override in force. It must say who set it; an Until already past simply
// has no effect.
func (s *Schedule) SetOverride(o Override) error {
	var p problems
	if o.State != StateOpen && o.State != StateClosed {
		p.add("state", string(o.State), "want %s or %s", StateOpen, StateClosed)
	}
	if o.Until.IsZero() {
		p.add("until", "", "no end instant")
	}
	if strings.TrimSpace(o.By) == "" {
		p.add("by", "", "who sets it is missing")
	}
	if err := p.err(); err != nil {
		return err
	}
	rule := fmt.Sprintf("override: %s until %s by %s", o.State, o.Until.In(s.loc).Format("2006-01-02 15:04 MST"), o.By)
	if o.Reason != "" {
		rule += " (" + o.Reason + ")"
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.r.override = &override{Override: o, rule: rule}
	return nil
}

// ClearOverride removes the override; the rules apply at once.
func (s *Schedule) ClearOverride() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.r.override = nil
}

// Override returns the override in force at the instant, if any.
func (s *Schedule) Override(at time.Time) (Override, bool) {
	o := s.rules().override
	if o == nil || !at.Before(o.Until) {
		return Override{}, false
	}
	return o.Override, true
}
