package appeals

import "time"

// WorkingCalendar adds working time: the community's hours (Mon–Thu
// 08:00–17:00, Fri 08:00–15:45, lunch 12:00–12:45, holidays) in its time
// zone. telephony/schedule.Schedule implements it.
type WorkingCalendar interface {
	AddWorkingTime(start time.Time, d time.Duration) time.Time
}

// Terms computes deadlines from the configuration and the working calendar.
type Terms struct {
	cfg Config
	cal WorkingCalendar
}

// AcceptBy is when the executor must have accepted a card sent at sentAt:
// an SOS card within AcceptWithinSOS around the clock, a current one within
// its category's (or the default) acceptance term in working time (art. 5.1).
func (t Terms) AcceptBy(p Priority, cat Category, sentAt time.Time) time.Time {
	if p == PrioritySOS {
		return sentAt.Add(t.cfg.AcceptWithinSOS)
	}
	d := cat.AcceptWithin
	if d == 0 {
		d = t.cfg.AcceptWithin
	}
	return t.cal.AddWorkingTime(sentAt, d)
}

// ResolveBy is the classifier's resolution deadline for a card registered
// at registeredAt: the category's term in its time basis, no shorter than
// the kind's minimum, never past the cap (art. 6.3, 6.3.3).
func (t Terms) ResolveBy(p Priority, cat Category, registeredAt time.Time) time.Time {
	d := cat.ResolveWithin
	if d == 0 {
		d = t.cfg.MaxResolution
	}
	by := registeredAt.Add(d)
	if cat.TimeBasis == TimeWorking {
		by = t.cal.AddWorkingTime(registeredAt, d)
	}
	if floor := t.cfg.ResolveAtLeast[p]; floor > 0 && registeredAt.Add(floor).After(by) {
		by = registeredAt.Add(floor)
	}
	if limit := t.Cap(registeredAt); by.After(limit) {
		by = limit
	}
	return by
}

// Cap is the latest resolution deadline without an extension beyond it.
func (t Terms) Cap(registeredAt time.Time) time.Time { return registeredAt.Add(t.cfg.MaxResolution) }

// ControlAfterExtension is the control level a card is put under when its
// deadline is extended: additional control (II) the first time; a second
// extension means levels I and II did not resolve it (III, art. 6.3.2).
func ControlAfterExtension(current ControlLevel) ControlLevel {
	if current < ControlII {
		return ControlII
	}
	return ControlIII
}

// ControlAfterBreach is the level after the resolution deadline passes
// unmet: a breach under additional control goes to the head (III); a
// breach at level I is reported weekly and stays at I until extended.
func ControlAfterBreach(current ControlLevel, kind BreachKind) ControlLevel {
	if kind == BreachResolve && current == ControlII {
		return ControlIII
	}
	return current
}
