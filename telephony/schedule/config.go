package schedule

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// Config is what New builds a Schedule from; a config loader fills it in.
// Times are strings ("08:00") so that validation can name the offending value.
type Config struct {
	TimeZone   string                      // IANA name, e.g. Europe/Kyiv
	Weekly     map[time.Weekday][]Interval // opening hours; a missing or empty day is closed
	Breaks     []Break                     // named pauses inside the weekly hours
	Exceptions []Exception                 // dates that differ from the week
}

// Interval is a wall-clock span [From, To), such as 08:00–17:00. To may be
// "24:00", the end of the day.
type Interval struct {
	From string
	To   string
}

func (iv Interval) String() string { return iv.From + "–" + iv.To }

// Break is a named pause, such as lunch ("обід" 12:00–12:45), which must lie
// inside the opening hours of every day it applies to.
type Break struct {
	Name string
	From string
	To   string
	Days []time.Weekday // weekly breaks only; must be empty in an Exception
}

func (b Break) String() string {
	if b.Name == "" {
		return b.From + "–" + b.To
	}
	return b.Name + " " + b.From + "–" + b.To
}

// Exception replaces the rules for one date: closed all day (a holiday), or
// its own hours and breaks (a shortened day).
type Exception struct {
	Date   string // YYYY-MM-DD in the schedule's time zone
	Name   string // the reason, e.g. Різдво
	Closed bool
	Hours  []Interval
	Breaks []Break // Days unused
}

// DefaultConfig is the community's regulations: Mon–Thu 08:00–17:00, Fri
// 08:00–15:45, lunch 12:00–12:45 every working day, weekends closed, Kyiv
// time. Holidays are not included: which dates are days off is decided each
// year, so they belong in the configuration's exceptions.
func DefaultConfig() Config {
	day := func(to string) []Interval { return []Interval{{From: "08:00", To: to}} }
	return Config{
		TimeZone: "Europe/Kyiv",
		Weekly: map[time.Weekday][]Interval{
			time.Monday:    day("17:00"),
			time.Tuesday:   day("17:00"),
			time.Wednesday: day("17:00"),
			time.Thursday:  day("17:00"),
			time.Friday:    day("15:45"),
		},
		Breaks: []Break{{
			Name: "обід", From: "12:00", To: "12:45",
			Days: []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday},
		}},
	}
}

// Clock is a time of day in minutes since midnight, 0 (00:00) to 1440 (24:00).
type Clock int

// EndOfDay is "24:00".
const EndOfDay Clock = 24 * 60

func (c Clock) String() string { return fmt.Sprintf("%02d:%02d", c/60, c%60) }

// ParseClock reads a time of day written HH:MM, 00:00 to 24:00.
func ParseClock(s string) (Clock, error) {
	c, err := parseClock(s)
	if err != nil {
		return 0, fmt.Errorf("time of day %q: %w", s, err)
	}
	return c, nil
}

// parseClock is ParseClock whose error says only what is wrong, for a
// field error that quotes the value itself.
func parseClock(s string) (Clock, error) {
	h, m, ok := strings.Cut(s, ":")
	if !ok || len(h) != 2 || len(m) != 2 || !digits(h) || !digits(m) {
		return 0, errors.New("want HH:MM")
	}
	hh := int(h[0]-'0')*10 + int(h[1]-'0')
	mm := int(m[0]-'0')*10 + int(m[1]-'0')
	switch {
	case hh > 24:
		return 0, errors.New("hour must be 00–24")
	case mm > 59:
		return 0, errors.New("minutes must be 00–59")
	case hh == 24 && mm != 0:
		return 0, errors.New("nothing comes after 24:00")
	}
	return Clock(hh*60 + mm), nil
}

func digits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// ParseWeekday reads a weekday as a config file writes it: "mon"…"sun" or the
// full English name, in any case.
func ParseWeekday(s string) (time.Weekday, error) {
	for d := time.Sunday; d <= time.Saturday; d++ {
		if name := d.String(); strings.EqualFold(s, name) || strings.EqualFold(s, name[:3]) {
			return d, nil
		}
	}
	return 0, fmt.Errorf("weekday %q: want mon, tue, wed, thu, fri, sat or sun", s)
}
