package schedule

import (
	"strings"
	"sync"
	"testing"
	"time"
)

// The community's rules, read as a supervisor would check them.
func TestStateCommunityHours(t *testing.T) {
	s := mustNew(t, communityConfig())
	tests := []struct {
		name  string
		at    string
		state State
		rule  string
		next  string // "" when the state never changes
	}{
		{"Monday before opening", "2026-01-05 07:59", StateClosed, "weekly: Monday closed (open 08:00–17:00)", "2026-01-05 08:00"},
		{"Monday opening", "2026-01-05 08:00", StateOpen, "weekly: Monday 08:00–17:00", "2026-01-05 12:00"},
		{"Monday before lunch", "2026-01-05 11:59", StateOpen, "weekly: Monday 08:00–17:00", "2026-01-05 12:00"},
		{"lunch starts", "2026-01-05 12:00", StateBreak, "break: обід 12:00–12:45", "2026-01-05 12:45"},
		{"lunch ends", "2026-01-05 12:45", StateOpen, "weekly: Monday 08:00–17:00", "2026-01-05 17:00"},
		{"Thursday before closing", "2026-01-08 16:59", StateOpen, "weekly: Thursday 08:00–17:00", "2026-01-08 17:00"},
		{"Thursday closing", "2026-01-08 17:00", StateClosed, "weekly: Thursday closed (open 08:00–17:00)", "2026-01-09 08:00"},
		{"Friday lunch", "2026-01-09 12:30", StateBreak, "break: обід 12:00–12:45", "2026-01-09 12:45"},
		{"Friday before closing", "2026-01-09 15:44", StateOpen, "weekly: Friday 08:00–15:45", "2026-01-09 15:45"},
		{"Friday closing lasts the weekend", "2026-01-09 15:45", StateClosed, "weekly: Friday closed (open 08:00–15:45)", "2026-01-12 08:00"},
		{"Saturday", "2026-01-10 11:00", StateClosed, "weekly: Saturday closed", "2026-01-12 08:00"},
		{"Sunday night", "2026-01-11 23:59", StateClosed, "weekly: Sunday closed", "2026-01-12 08:00"},
		{"summer Monday", "2026-06-15 08:00", StateOpen, "weekly: Monday 08:00–17:00", "2026-06-15 12:00"},

		// Daylight saving: Kyiv goes 03:00→04:00 on 29 March and 04:00→03:00 on 25 October.
		{"Friday evening before the spring change", "2026-03-27 20:00", StateClosed, "weekly: Friday closed (open 08:00–15:45)", "2026-03-30 08:00"},
		{"spring change night", "2026-03-29 04:30", StateClosed, "weekly: Sunday closed", "2026-03-30 08:00"},
		{"Monday after the spring change", "2026-03-30 08:00", StateOpen, "weekly: Monday 08:00–17:00", "2026-03-30 12:00"},
		{"Monday after the spring change, early", "2026-03-30 07:59", StateClosed, "weekly: Monday closed (open 08:00–17:00)", "2026-03-30 08:00"},
		{"Friday evening before the autumn change", "2026-10-23 20:00", StateClosed, "weekly: Friday closed (open 08:00–15:45)", "2026-10-26 08:00"},
		{"Monday after the autumn change", "2026-10-26 08:00", StateOpen, "weekly: Monday 08:00–17:00", "2026-10-26 12:00"},

		// Exceptions.
		{"eve of the holiday closes for the long weekend", "2026-12-24 17:00", StateClosed, "weekly: Thursday closed (open 08:00–17:00)", "2026-12-28 08:00"},
		{"holiday morning", "2026-12-25 10:00", StateClosed, "exception 2026-12-25 Різдво: closed", "2026-12-28 08:00"},
		{"shortened day opens as usual", "2026-12-31 08:00", StateOpen, "exception 2026-12-31 Передноворічний день: 08:00–14:00", "2026-12-31 12:00"},
		{"shortened day has its own lunch", "2026-12-31 12:15", StateBreak, "exception 2026-12-31 Передноворічний день: break обід 12:00–12:30", "2026-12-31 12:30"},
		{"shortened day, after its lunch", "2026-12-31 12:30", StateOpen, "exception 2026-12-31 Передноворічний день: 08:00–14:00", "2026-12-31 14:00"},
		{"shortened day closes early", "2026-12-31 14:00", StateClosed, "exception 2026-12-31 Передноворічний день: closed (open 08:00–14:00)", "2027-01-04 08:00"},
		{"New Year", "2027-01-01 09:00", StateClosed, "exception 2027-01-01 Новий рік: closed", "2027-01-04 08:00"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			at := kyiv(t, tt.at)
			got := s.State(at)
			if got.State != tt.state || got.Rule != tt.rule {
				t.Errorf("State(%s) = %s by %q, want %s by %q", tt.at, got.State, got.Rule, tt.state, tt.rule)
			}
			if want := kyiv(t, tt.next); !got.Next.Equal(want) {
				t.Errorf("State(%s).Next = %v, want %v", tt.at, got.Next, want)
			}
			if !got.Next.IsZero() && got.Next.Location().String() != "Europe/Kyiv" {
				t.Errorf("Next is in %v, want Europe/Kyiv", got.Next.Location())
			}
		})
	}
}

// The offsets are checked explicitly: "Monday 08:00" after the spring change
// is 05:00 UTC, not 06:00.
func TestStateNextChangeAcrossDST(t *testing.T) {
	s := mustNew(t, DefaultConfig())
	for _, tt := range []struct {
		at   string
		next time.Time
	}{
		{"2026-03-27 20:00", time.Date(2026, 3, 30, 5, 0, 0, 0, time.UTC)},  // EEST, +03:00
		{"2026-10-23 20:00", time.Date(2026, 10, 26, 6, 0, 0, 0, time.UTC)}, // EET, +02:00
	} {
		got := s.State(kyiv(t, tt.at))
		if !got.Next.Equal(tt.next) || got.NextState != StateOpen {
			t.Errorf("State(%s) next = %v %s, want %v open", tt.at, got.Next.UTC(), got.NextState, tt.next)
		}
	}
}

// Every 15 minutes of 2026 against a plain reading of the regulations: the
// wall clock's weekday and time decide, whatever the offset.
func TestStateYearAgainstRegulations(t *testing.T) {
	s := mustNew(t, communityConfig())
	want := func(local time.Time) State {
		switch local.Format(time.DateOnly) {
		case "2026-12-25":
			return StateClosed
		case "2026-12-31":
			return plain(local, "08:00", "14:00", "12:00", "12:30")
		}
		switch local.Weekday() {
		case time.Saturday, time.Sunday:
			return StateClosed
		case time.Friday:
			return plain(local, "08:00", "15:45", "12:00", "12:45")
		}
		return plain(local, "08:00", "17:00", "12:00", "12:45")
	}
	for at := kyiv(t, "2026-01-01 00:00"); at.Year() < 2027; at = at.Add(15 * time.Minute) {
		got := s.State(at)
		if w := want(at.In(kyivZone)); got.State != w {
			t.Fatalf("State(%v) = %s (%s), want %s", at.In(kyivZone), got.State, got.Rule, w)
		}
		// Next must be exactly where the state changes.
		if got.Next.IsZero() || !got.Next.After(at) {
			t.Fatalf("State(%v).Next = %v", at, got.Next)
		}
		if before := s.State(got.Next.Add(-time.Nanosecond)); before.State != got.State {
			t.Fatalf("State(%v): %s just before Next %v", at, before.State, got.Next)
		}
		if after := s.State(got.Next); after.State != got.NextState || after.State == got.State {
			t.Fatalf("State(%v): Next %v is %s, NextState %s", at, got.Next, after.State, got.NextState)
		}
	}
}

// plain is the state on a day with one opening and one break, by the wall clock.
func plain(local time.Time, open, close, breakFrom, breakTo string) State {
	hm := local.Format("15:04")
	switch {
	case hm < open || hm >= close:
		return StateClosed
	case hm >= breakFrom && hm < breakTo:
		return StateBreak
	}
	return StateOpen
}

func TestStateNeverChanges(t *testing.T) {
	for _, tt := range []struct {
		name   string
		weekly map[time.Weekday][]Interval
		state  State
	}{
		{"24/7", everyDay(Interval{"00:00", "24:00"}), StateOpen},
		{"never open", nil, StateClosed},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := mustNew(t, Config{TimeZone: "Europe/Kyiv", Weekly: tt.weekly})
			// Across the spring gap (03:00→04:00) and the autumn repeat.
			for _, at := range []time.Time{
				kyiv(t, "2026-03-29 02:59"), time.Date(2026, 3, 29, 1, 0, 0, 0, time.UTC), kyiv(t, "2026-03-29 04:00"),
				time.Date(2026, 10, 25, 0, 30, 0, 0, time.UTC), time.Date(2026, 10, 25, 1, 30, 0, 0, time.UTC),
			} {
				got := s.State(at)
				if got.State != tt.state || !got.Next.IsZero() {
					t.Errorf("State(%v) = %+v, want %s with no next change", at, got, tt.state)
				}
			}
		})
	}
}

func TestStateAroundTheGapAndTheRepeat(t *testing.T) {
	// Sunday night shifts whose edges fall in the hour the clocks skip or repeat.
	s := mustNew(t, Config{TimeZone: "Europe/Kyiv", Weekly: map[time.Weekday][]Interval{
		time.Sunday: {{"03:30", "05:00"}},
	}})
	utc := func(mo time.Month, d, h, m int) time.Time { return time.Date(2026, mo, d, h, m, 0, 0, time.UTC) }
	for _, tt := range []struct {
		name  string
		at    time.Time
		state State
		next  time.Time
	}{
		// 29 March: 03:30 never shows, so the shift starts when the clocks jump (01:00 UTC).
		{"before the jump", utc(3, 29, 0, 59), StateClosed, utc(3, 29, 1, 0)},
		{"at the jump", utc(3, 29, 1, 0), StateOpen, utc(3, 29, 2, 0)},
		// 25 October: 03:30 shows twice; the shift starts at the first and lasts 2½ hours.
		{"first 03:30", utc(10, 25, 0, 30), StateOpen, utc(10, 25, 3, 0)},
		{"second 03:30", utc(10, 25, 1, 30), StateOpen, utc(10, 25, 3, 0)},
		{"before the first 03:30", utc(10, 25, 0, 29), StateClosed, utc(10, 25, 0, 30)},
	} {
		got := s.State(tt.at)
		if got.State != tt.state || !got.Next.Equal(tt.next) {
			t.Errorf("%s: State(%v) = %s next %v, want %s next %v", tt.name, tt.at, got.State, got.Next.UTC(), tt.state, tt.next)
		}
	}
}

func TestStateAdjacentIntervalsAreOneStretch(t *testing.T) {
	// A night shift across midnight and a day cut in two around a break.
	s := mustNew(t, Config{
		TimeZone: "Europe/Kyiv",
		Weekly: map[time.Weekday][]Interval{
			time.Monday:  {{"08:00", "12:00"}, {"12:00", "17:00"}, {"22:00", "24:00"}},
			time.Tuesday: {{"00:00", "06:00"}},
		},
		Breaks: []Break{{Name: "перерва", From: "11:30", To: "12:30", Days: []time.Weekday{time.Monday}}},
	})
	for _, tt := range []struct{ at, next string }{
		{"2026-01-05 23:00", "2026-01-06 06:00"},
		{"2026-01-05 11:00", "2026-01-05 11:30"},
		{"2026-01-05 12:00", "2026-01-05 12:30"},
		{"2026-01-05 12:30", "2026-01-05 17:00"},
	} {
		if got := s.State(kyiv(t, tt.at)); !got.Next.Equal(kyiv(t, tt.next)) {
			t.Errorf("State(%s).Next = %v, want %s", tt.at, got.Next, tt.next)
		}
	}
}

func TestOverride(t *testing.T) {
	tests := []struct {
		name     string
		override Override
		at       string
		state    State
		rule     string
		next     string
		nextIs   State
	}{
		{"closed during working hours", Override{StateClosed, kyiv(t, "2026-01-12 14:00"), "Петренко О.", "аварія на лінії"},
			"2026-01-12 10:00", StateClosed, "override: closed until 2026-01-12 14:00 EET by Петренко О. (аварія на лінії)", "2026-01-12 14:00", StateOpen},
		{"closed over lunch stays closed", Override{StateClosed, kyiv(t, "2026-01-12 14:00"), "Петренко О.", ""},
			"2026-01-12 12:20", StateClosed, "override: closed until 2026-01-12 14:00 EET by Петренко О.", "2026-01-12 14:00", StateOpen},
		{"normal again when it expires", Override{StateClosed, kyiv(t, "2026-01-12 14:00"), "Петренко О.", ""},
			"2026-01-12 14:00", StateOpen, "weekly: Monday 08:00–17:00", "2026-01-12 17:00", StateClosed},
		{"expiring into lunch", Override{StateClosed, kyiv(t, "2026-01-12 12:30"), "Петренко О.", ""},
			"2026-01-12 10:00", StateClosed, "override: closed until 2026-01-12 12:30 EET by Петренко О.", "2026-01-12 12:30", StateBreak},
		{"expiring before opening changes nothing then", Override{StateClosed, kyiv(t, "2026-01-13 07:00"), "Петренко О.", ""},
			"2026-01-12 18:00", StateClosed, "override: closed until 2026-01-13 07:00 EET by Петренко О.", "2026-01-13 08:00", StateOpen},
		{"open at night", Override{StateOpen, kyiv(t, "2026-01-13 07:00"), "черговий", "негода"},
			"2026-01-12 22:00", StateOpen, "override: open until 2026-01-13 07:00 EET by черговий (негода)", "2026-01-13 07:00", StateClosed},
		{"open into opening hours runs on to lunch", Override{StateOpen, kyiv(t, "2026-01-13 09:00"), "черговий", ""},
			"2026-01-12 22:00", StateOpen, "override: open until 2026-01-13 09:00 EET by черговий", "2026-01-13 12:00", StateBreak},
		// Across the clock changes the rule names the end in the time then in force.
		{"closed over the spring change", Override{StateClosed, kyiv(t, "2026-03-30 09:00"), "черговий", "ремонт АТС"},
			"2026-03-28 10:00", StateClosed, "override: closed until 2026-03-30 09:00 EEST by черговий (ремонт АТС)", "2026-03-30 09:00", StateOpen},
		{"open through the autumn night", Override{StateOpen, kyiv(t, "2026-10-25 05:00"), "черговий", "негода"},
			"2026-10-24 22:00", StateOpen, "override: open until 2026-10-25 05:00 EET by черговий (негода)", "2026-10-25 05:00", StateClosed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := mustNew(t, DefaultConfig())
			if err := s.SetOverride(tt.override); err != nil {
				t.Fatal(err)
			}
			got := s.State(kyiv(t, tt.at))
			want := Decision{State: tt.state, Rule: tt.rule, Next: kyiv(t, tt.next), NextState: tt.nextIs}
			if got.State != want.State || got.Rule != want.Rule || !got.Next.Equal(want.Next) || got.NextState != want.NextState {
				t.Errorf("State(%s)\n got %s %q next %v %s\nwant %s %q next %v %s", tt.at,
					got.State, got.Rule, got.Next, got.NextState, want.State, want.Rule, want.Next, want.NextState)
			}
		})
	}
}

func TestOverrideLifecycle(t *testing.T) {
	s := mustNew(t, DefaultConfig())
	at := kyiv(t, "2026-01-12 10:00")
	o := Override{State: StateClosed, Until: kyiv(t, "2026-01-12 14:00"), By: "Петренко О."}
	if err := s.SetOverride(o); err != nil {
		t.Fatal(err)
	}
	if got, ok := s.Override(at); !ok || got != o {
		t.Errorf("Override(10:00) = %+v, %v", got, ok)
	}
	if _, ok := s.Override(o.Until); ok {
		t.Error("Override at its end is still in force")
	}
	if next, _ := s.NextOpen(at); !next.Equal(o.Until) {
		t.Errorf("NextOpen under override = %v, want 14:00", next)
	}
	s.ClearOverride()
	if got := s.State(at); got.State != StateOpen {
		t.Errorf("after ClearOverride: %+v", got)
	}
	if _, ok := s.Override(at); ok {
		t.Error("Override after ClearOverride")
	}
}

func TestSetOverrideRejects(t *testing.T) {
	s := mustNew(t, DefaultConfig())
	until := kyiv(t, "2026-01-12 14:00")
	for _, tt := range []struct {
		o    Override
		want string
	}{
		{Override{StateBreak, until, "x", ""}, `state: want open or closed (value "break")`},
		{Override{"", until, "x", ""}, `state: want open or closed`},
		{Override{StateClosed, time.Time{}, "x", ""}, "no end instant"},
		{Override{StateClosed, until, " ", ""}, "who sets it"},
	} {
		if err := s.SetOverride(tt.o); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("SetOverride(%+v) = %v, want an error with %q", tt.o, err, tt.want)
		}
	}
	if _, ok := s.Override(kyiv(t, "2026-01-12 10:00")); ok {
		t.Error("a rejected override took effect")
	}
}

func TestNextOpen(t *testing.T) {
	s := mustNew(t, communityConfig())
	for _, tt := range []struct{ at, want string }{
		{"2026-01-05 10:00", "2026-01-05 10:00"}, // open now
		{"2026-01-05 12:10", "2026-01-05 12:45"}, // "operators return at 12:45"
		{"2026-01-09 16:00", "2026-01-12 08:00"}, // next working day
		{"2026-03-27 16:00", "2026-03-30 08:00"}, // over the spring change
		{"2026-12-24 18:00", "2026-12-28 08:00"}, // over Christmas
		{"2026-12-31 15:00", "2027-01-04 08:00"}, // over New Year
	} {
		got, ok := s.NextOpen(kyiv(t, tt.at))
		if !ok || !got.Equal(kyiv(t, tt.want)) {
			t.Errorf("NextOpen(%s) = %v, %v; want %s", tt.at, got, ok, tt.want)
		}
	}
	never := mustNew(t, Config{TimeZone: "Europe/Kyiv"})
	if got, ok := never.NextOpen(kyiv(t, "2026-01-05 10:00")); ok {
		t.Errorf("never open: NextOpen = %v", got)
	}
}

func TestSetExceptions(t *testing.T) {
	s := mustNew(t, DefaultConfig())
	at := kyiv(t, "2026-12-25 10:00")
	if got := s.State(at); got.State != StateOpen {
		t.Fatalf("no exceptions yet: %+v", got)
	}
	if err := s.SetExceptions(communityConfig().Exceptions); err != nil {
		t.Fatal(err)
	}
	if got := s.State(at); got.State != StateClosed || got.Rule != "exception 2026-12-25 Різдво: closed" {
		t.Errorf("after SetExceptions: %+v", got)
	}
	excs := s.Exceptions()
	if len(excs) != 3 || excs[0].Date != "2026-12-25" || excs[2].Date != "2027-01-01" {
		t.Errorf("Exceptions() = %+v, want sorted by date", excs)
	}
	excs[1].Hours[0].To = "23:00" // a copy: the schedule must not change
	if got := s.State(kyiv(t, "2026-12-31 15:00")); got.State != StateClosed {
		t.Errorf("changing the returned exceptions changed the schedule: %+v", got)
	}
	bad := []Exception{{Date: "2026-12-25", Closed: true}, {Date: "2026-12-25", Closed: true}}
	if err := s.SetExceptions(bad); err == nil || !strings.Contains(err.Error(), `exceptions[1].date: date listed twice: exception 1 of the list has it too (value "2026-12-25")`) {
		t.Errorf("SetExceptions(duplicate) = %v", err)
	}
	if len(s.Exceptions()) != 3 {
		t.Error("a rejected SetExceptions replaced the exceptions")
	}
}

// Run with -race: queries while the switch and the holidays change.
func TestConcurrentUse(t *testing.T) {
	s := mustNew(t, communityConfig())
	start := kyiv(t, "2026-12-21 09:00")
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			for j := range 200 {
				at := start.Add(time.Duration(i*200+j) * 7 * time.Minute)
				switch j % 4 {
				case 0:
					s.State(at)
				case 1:
					s.AddWorkingTime(at, 2*time.Hour)
				case 2:
					s.WorkingTimeBetween(at, at.Add(48*time.Hour))
				default:
					s.NextOpen(at)
				}
			}
		})
	}
	wg.Go(func() {
		for j := range 200 {
			switch j % 3 {
			case 0:
				_ = s.SetOverride(Override{State: StateClosed, Until: start.Add(time.Duration(j) * time.Hour), By: "тест"})
			case 1:
				s.ClearOverride()
			default:
				_ = s.SetExceptions(communityConfig().Exceptions[:j%4])
			}
		}
	})
	wg.Wait()
}

// A schedule that is steady all week still changes on its exceptions and
// when an override ends.
func TestSteadyScheduleStillSeesExceptions(t *testing.T) {
	allDay := mustNew(t, Config{TimeZone: "Europe/Kyiv", Weekly: everyDay(Interval{"00:00", "24:00"}),
		Exceptions: []Exception{{Date: "2027-01-01", Name: "Новий рік", Closed: true}}})
	at := kyiv(t, "2026-03-29 02:00")
	if got := allDay.State(at); got.State != StateOpen || !got.Next.Equal(kyiv(t, "2027-01-01 00:00")) || got.NextState != StateClosed {
		t.Errorf("24/7 with New Year closed: %+v", got)
	}
	if got := allDay.State(kyiv(t, "2027-01-01 10:00")); !got.Next.Equal(kyiv(t, "2027-01-02 00:00")) {
		t.Errorf("24/7 on New Year: %+v", got)
	}
	if got := allDay.State(kyiv(t, "2027-01-02 10:00")); !got.Next.IsZero() {
		t.Errorf("24/7 after New Year: %+v", got)
	}
	if err := allDay.SetOverride(Override{State: StateClosed, Until: kyiv(t, "2026-03-30 09:00"), By: "черговий"}); err != nil {
		t.Fatal(err)
	}
	if got := allDay.State(at); got.State != StateClosed || !got.Next.Equal(kyiv(t, "2026-03-30 09:00")) {
		t.Errorf("24/7 switched off: %+v", got)
	}

	never := mustNew(t, Config{TimeZone: "Europe/Kyiv",
		Exceptions: []Exception{{Date: "2026-09-01", Name: "День знань", Hours: []Interval{{"09:00", "13:00"}}}}})
	if got, ok := never.NextOpen(at); !ok || !got.Equal(kyiv(t, "2026-09-01 09:00")) {
		t.Errorf("never open but one day: NextOpen = %v, %v", got, ok)
	}
	if got, ok := never.NextOpen(kyiv(t, "2026-09-01 13:00")); ok {
		t.Errorf("never open after its one day: NextOpen = %v", got)
	}
}
