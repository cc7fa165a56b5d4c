package schedule

import (
	"math/rand/v2"
	"testing"
	"time"
)

func TestAddWorkingTime(t *testing.T) {
	s := mustNew(t, communityConfig())
	tests := []struct {
		name  string
		start string
		d     time.Duration
		want  string
	}{
		{"2 h from Friday 14:30: 1h15m on Friday, the rest on Monday", "2026-01-09 14:30", 2 * time.Hour, "2026-01-12 08:45"},
		{"running out exactly at closing time", "2026-01-09 14:30", 75 * time.Minute, "2026-01-09 15:45"},
		{"across lunch", "2026-01-05 11:30", time.Hour, "2026-01-05 13:15"},
		{"from inside lunch", "2026-01-05 12:10", 30 * time.Minute, "2026-01-05 13:15"},
		{"from before opening", "2026-01-05 06:00", time.Hour, "2026-01-05 09:00"},
		{"from Saturday", "2026-01-10 10:00", 30 * time.Minute, "2026-01-12 08:30"},
		{"a full Monday", "2026-01-05 08:00", 8*time.Hour + 15*time.Minute, "2026-01-05 17:00"},
		{"the regulations' week", "2026-01-05 08:00", 40 * time.Hour, "2026-01-09 15:45"},
		{"across Christmas", "2026-12-24 16:00", 2 * time.Hour, "2026-12-28 09:00"},
		{"across the shortened day and New Year", "2026-12-31 13:00", 2 * time.Hour, "2027-01-04 09:00"},
		{"across the spring change", "2026-03-27 15:00", time.Hour, "2026-03-30 08:15"},
		{"across the autumn change", "2026-10-23 15:00", time.Hour, "2026-10-26 08:15"},
		{"nothing to add", "2026-01-10 10:00", 0, "2026-01-10 10:00"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start, want := kyiv(t, tt.start), kyiv(t, tt.want)
			got := s.AddWorkingTime(start, tt.d)
			if !got.Equal(want) {
				t.Errorf("AddWorkingTime(%s, %v) = %v, want %v", tt.start, tt.d, got, want)
			}
			if back := s.WorkingTimeBetween(start, got); back != tt.d {
				t.Errorf("WorkingTimeBetween(%s, %v) = %v, want %v", tt.start, got, back, tt.d)
			}
		})
	}
}

func TestWorkingTimeBetween(t *testing.T) {
	s := mustNew(t, communityConfig())
	for _, tt := range []struct {
		name string
		a, b string
		want time.Duration
	}{
		{"Friday afternoon to Monday morning", "2026-01-09 14:30", "2026-01-12 08:45", 2 * time.Hour},
		{"lunch does not count", "2026-01-05 12:00", "2026-01-05 12:45", 0},
		{"the weekend does not count", "2026-01-09 16:00", "2026-01-12 08:00", 0},
		{"Christmas week", "2026-12-21 00:00", "2026-12-28 00:00", 33 * time.Hour},
		{"New Year week: the shortened day is 5h30m", "2026-12-28 00:00", "2027-01-04 00:00", 3*(8*time.Hour+15*time.Minute) + 5*time.Hour + 30*time.Minute},
		{"backwards is negative", "2026-01-12 08:45", "2026-01-09 14:30", -2 * time.Hour},
		{"empty", "2026-01-05 10:00", "2026-01-05 10:00", 0},
	} {
		if got := s.WorkingTimeBetween(kyiv(t, tt.a), kyiv(t, tt.b)); got != tt.want {
			t.Errorf("%s: WorkingTimeBetween(%s, %s) = %v, want %v", tt.name, tt.a, tt.b, got, tt.want)
		}
	}
}

func TestWorkingTimeAcrossDSTIsRealTime(t *testing.T) {
	s := mustNew(t, Config{TimeZone: "Europe/Kyiv", Weekly: everyDay(Interval{"00:00", "24:00"})})
	for _, tt := range []struct {
		day  string
		want time.Duration
	}{
		{"2026-03-29", 23 * time.Hour}, // 03:00→04:00
		{"2026-10-25", 25 * time.Hour}, // 04:00→03:00
		{"2026-06-14", 24 * time.Hour},
	} {
		a := kyiv(t, tt.day+" 00:00")
		b := a.AddDate(0, 0, 1)
		if got := s.WorkingTimeBetween(a, b); got != tt.want {
			t.Errorf("24/7 on %s: %v of working time, want %v", tt.day, got, tt.want)
		}
		if got := s.AddWorkingTime(a, tt.want); !got.Equal(b) {
			t.Errorf("24/7 on %s: AddWorkingTime(%v) = %v, want %v", tt.day, tt.want, got, b)
		}
	}
}

// The switch is operational: deadlines keep to the calendar.
func TestOverrideDoesNotMoveDeadlines(t *testing.T) {
	s := mustNew(t, communityConfig())
	start := kyiv(t, "2026-01-09 14:30")
	want := s.AddWorkingTime(start, 2*time.Hour)
	if err := s.SetOverride(Override{State: StateOpen, Until: kyiv(t, "2026-01-12 00:00"), By: "черговий"}); err != nil {
		t.Fatal(err)
	}
	if got := s.AddWorkingTime(start, 2*time.Hour); !got.Equal(want) {
		t.Errorf("with the switch on open: %v, want %v", got, want)
	}
	if got := s.WorkingTimeBetween(start, kyiv(t, "2026-01-12 00:00")); got != 75*time.Minute {
		t.Errorf("with the switch on open: %v of working time, want 1h15m", got)
	}
}

func TestAddWorkingTimeNeverOpen(t *testing.T) {
	s := mustNew(t, Config{TimeZone: "Europe/Kyiv"})
	if got := s.AddWorkingTime(kyiv(t, "2026-01-05 10:00"), time.Hour); !got.IsZero() {
		t.Errorf("never open: AddWorkingTime = %v, want zero", got)
	}
}

// AddWorkingTime and WorkingTimeBetween agree, from random instants of 2026
// and 2027 (holidays, DST days, lunches included).
func TestWorkingTimeInverse(t *testing.T) {
	s := mustNew(t, communityConfig())
	rng := rand.New(rand.NewPCG(2026, 12))
	from := kyiv(t, "2026-01-01 00:00")
	span := int64(kyiv(t, "2028-01-01 00:00").Sub(from))
	for range 2000 {
		a := from.Add(time.Duration(rng.Int64N(span)))
		d := time.Duration(rng.Int64N(int64(60 * time.Hour)))
		end := s.AddWorkingTime(a, d)
		if got := s.WorkingTimeBetween(a, end); got != d {
			t.Fatalf("a=%v d=%v: AddWorkingTime = %v, WorkingTimeBetween back = %v", a, d, end, got)
		}
		if d > 0 && s.stateNoOverride(end.Add(-time.Nanosecond)) != StateOpen {
			t.Fatalf("a=%v d=%v: %v does not end open time", a, d, end)
		}

		b := a.Add(time.Duration(rng.Int64N(int64(10 * 24 * time.Hour))))
		w := s.WorkingTimeBetween(a, b)
		e := s.AddWorkingTime(a, w)
		if e.After(b) || s.WorkingTimeBetween(e, b) != 0 {
			t.Fatalf("a=%v b=%v: %v between, but AddWorkingTime gives %v", a, b, w, e)
		}
		if s.stateNoOverride(b.Add(-time.Nanosecond)) == StateOpen && w > 0 && !e.Equal(b) {
			t.Fatalf("a=%v b=%v (open): AddWorkingTime(WorkingTimeBetween) = %v", a, b, e)
		}
	}
}

func (s *Schedule) stateNoOverride(at time.Time) State {
	for sp := range s.spans(s.rules().exc, at) {
		return sp.state
	}
	panic("no spans")
}
