package schedule

import (
	"strings"
	"testing"
	"time"
)

func TestParseClock(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want Clock
		err  string
	}{
		{"00:00", 0, ""},
		{"08:00", 8 * 60, ""},
		{"12:45", 12*60 + 45, ""},
		{"23:59", 23*60 + 59, ""},
		{"24:00", EndOfDay, ""},
		{"25:00", 0, `"25:00": hour must be 00–24`},
		{"24:30", 0, `"24:30": nothing comes after 24:00`},
		{"08:60", 0, `"08:60": minutes must be 00–59`},
		{"8:60", 0, `"8:60": want HH:MM`},
		{"8:00", 0, `"8:00": want HH:MM`},
		{"", 0, `"": want HH:MM`},
		{"0800", 0, "want HH:MM"},
		{"08:00:00", 0, "want HH:MM"},
		{"+8:00", 0, "want HH:MM"},
		{"-1:00", 0, "want HH:MM"},
		{"ab:cd", 0, "want HH:MM"},
		{" 8:00", 0, "want HH:MM"},
	} {
		got, err := ParseClock(tt.in)
		switch {
		case tt.err == "" && (err != nil || got != tt.want):
			t.Errorf("ParseClock(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		case tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)):
			t.Errorf("ParseClock(%q) error = %v, want %q", tt.in, err, tt.err)
		}
	}
	if s := Clock(8*60 + 5).String(); s != "08:05" {
		t.Errorf("Clock.String = %q", s)
	}
}

func TestParseWeekday(t *testing.T) {
	for in, want := range map[string]time.Weekday{"mon": time.Monday, "Sun": time.Sunday, "FRIDAY": time.Friday, "saturday": time.Saturday} {
		if got, err := ParseWeekday(in); err != nil || got != want {
			t.Errorf("ParseWeekday(%q) = %v, %v", in, got, err)
		}
	}
	for _, in := range []string{"", "пн", "mo", "monday1"} {
		if _, err := ParseWeekday(in); err == nil {
			t.Errorf("ParseWeekday(%q) accepted", in)
		}
	}
}

func TestDefaultConfig(t *testing.T) {
	s := mustNew(t, DefaultConfig())
	// The regulations' 40-hour week.
	if got := s.WorkingTimeBetween(kyiv(t, "2026-01-05 00:00"), kyiv(t, "2026-01-12 00:00")); got != 40*time.Hour {
		t.Errorf("working week = %v, want 40h", got)
	}
	if s.Location().String() != "Europe/Kyiv" {
		t.Errorf("Location = %v", s.Location())
	}
}

// Each broken configuration names what is wrong and the offending value.
func TestNewRejects(t *testing.T) {
	weekdays := []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday}
	tests := []struct {
		name   string
		change func(*Config)
		want   []string
	}{
		{"unknown time zone", func(c *Config) { c.TimeZone = "Europe/Slobozhanske" },
			[]string{`time zone "Europe/Slobozhanske": unknown`}},
		{"no time zone", func(c *Config) { c.TimeZone = "" },
			[]string{`time zone "": want an IANA name`}},
		{"host's time zone", func(c *Config) { c.TimeZone = "Local" },
			[]string{`time zone "Local"`}},
		{"impossible hour", func(c *Config) { c.Weekly[time.Friday] = []Interval{{"08:00", "25:00"}} },
			[]string{`weekly Friday 08:00–25:00: time of day "25:00": hour must be 00–24`}},
		{"impossible minute", func(c *Config) { c.Weekly[time.Monday] = []Interval{{"8:60", "17:00"}} },
			[]string{`weekly Monday 8:60–17:00: time of day "8:60"`}},
		{"empty time", func(c *Config) { c.Weekly[time.Monday] = []Interval{{"", "17:00"}} },
			[]string{`weekly Monday –17:00: time of day ""`}},
		{"ends before it starts", func(c *Config) { c.Weekly[time.Monday] = []Interval{{"17:00", "08:00"}} },
			[]string{"weekly Monday 17:00–08:00: must start before it ends"}},
		{"empty interval", func(c *Config) { c.Weekly[time.Monday] = []Interval{{"08:00", "08:00"}} },
			[]string{"weekly Monday 08:00–08:00: must start before it ends"}},
		{"overlapping intervals", func(c *Config) { c.Weekly[time.Monday] = []Interval{{"13:00", "17:00"}, {"08:00", "13:30"}} },
			[]string{"weekly Monday: 08:00–13:30 and 13:00–17:00 overlap"}},
		{"weekday out of range", func(c *Config) { c.Weekly[7] = []Interval{{"08:00", "17:00"}} },
			[]string{"weekly: weekday 7 does not exist"}},
		{"break on a closed day", func(c *Config) { c.Breaks[0].Days = append(c.Breaks[0].Days, time.Saturday) },
			[]string{"weekly Saturday: break обід 12:00–12:45 is outside opening hours"}},
		{"break past closing", func(c *Config) { c.Breaks[0].From, c.Breaks[0].To = "15:30", "16:30" },
			[]string{"weekly Friday: break обід 15:30–16:30 is outside opening hours"}},
		{"overlapping breaks", func(c *Config) {
			c.Breaks = append(c.Breaks, Break{Name: "нарада", From: "12:30", To: "13:00", Days: []time.Weekday{time.Monday}})
		}, []string{"weekly Monday: breaks обід 12:00–12:45 and нарада 12:30–13:00 overlap"}},
		{"break without days", func(c *Config) { c.Breaks[0].Days = nil },
			[]string{"break обід 12:00–12:45: no days"}},
		{"break day twice", func(c *Config) { c.Breaks[0].Days = append(c.Breaks[0].Days, time.Monday) },
			[]string{"break обід 12:00–12:45: Monday listed twice"}},
		{"break on no such day", func(c *Config) { c.Breaks[0].Days = []time.Weekday{9} },
			[]string{"break обід 12:00–12:45: weekday 9 does not exist"}},
		{"bad break time", func(c *Config) { c.Breaks[0].To = "12:75" },
			[]string{`break обід 12:00–12:75: time of day "12:75": minutes must be 00–59`}},
		{"duplicate exception date", func(c *Config) {
			c.Exceptions = []Exception{{Date: "2026-12-25", Name: "Різдво", Closed: true}, {Date: "2026-12-25", Name: "Свято", Closed: true}}
		}, []string{"exception 2026-12-25 Свято: date listed twice"}},
		{"no such date", func(c *Config) { c.Exceptions = []Exception{{Date: "2026-02-30", Name: "X", Closed: true}} },
			[]string{`exception 2026-02-30 X: date "2026-02-30": want YYYY-MM-DD`}},
		{"date in another format", func(c *Config) { c.Exceptions = []Exception{{Date: "25.12.2026", Closed: true}} },
			[]string{`exception 25.12.2026: date "25.12.2026"`}},
		{"closed with hours", func(c *Config) {
			c.Exceptions = []Exception{{Date: "2026-12-25", Name: "Різдво", Closed: true, Hours: []Interval{{"08:00", "12:00"}}}}
		}, []string{"exception 2026-12-25 Різдво: closed all day, so it cannot list hours or breaks"}},
		{"neither closed nor hours", func(c *Config) { c.Exceptions = []Exception{{Date: "2026-12-24", Name: "Святвечір"}} },
			[]string{"exception 2026-12-24 Святвечір: neither closed nor any hours"}},
		{"exception hours overlap", func(c *Config) {
			c.Exceptions = []Exception{{Date: "2026-12-31", Hours: []Interval{{"08:00", "12:00"}, {"11:00", "14:00"}}}}
		}, []string{"exception 2026-12-31: 08:00–12:00 and 11:00–14:00 overlap"}},
		{"exception break outside its hours", func(c *Config) {
			c.Exceptions = []Exception{{Date: "2026-12-31", Name: "Скорочений", Hours: []Interval{{"08:00", "12:00"}},
				Breaks: []Break{{Name: "обід", From: "12:00", To: "12:45"}}}}
		}, []string{"exception 2026-12-31 Скорочений: break обід 12:00–12:45 is outside opening hours"}},
		{"exception break with days", func(c *Config) {
			c.Exceptions = []Exception{{Date: "2026-12-31", Hours: []Interval{{"08:00", "14:00"}},
				Breaks: []Break{{Name: "обід", From: "12:00", To: "12:45", Days: weekdays}}}}
		}, []string{"exception 2026-12-31: break обід 12:00–12:45: days apply to weekly breaks only"}},
		{"every problem at once", func(c *Config) {
			c.TimeZone = "Mars/Olympus"
			c.Weekly[time.Friday] = []Interval{{"08:00", "25:00"}}
			c.Exceptions = []Exception{{Date: "2026-13-01", Closed: true}}
		}, []string{`"Mars/Olympus"`, `"25:00"`, `"2026-13-01"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := DefaultConfig()
			tt.change(&cfg)
			s, err := New(cfg)
			if err == nil {
				t.Fatalf("New accepted it: %v", s)
			}
			for _, want := range tt.want {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error does not say %q:\n%v", want, err)
				}
			}
		})
	}
}

func TestNewAccepts(t *testing.T) {
	for _, tt := range []struct {
		name string
		cfg  Config
	}{
		{"defaults", DefaultConfig()},
		{"24/7", Config{TimeZone: "Europe/Kyiv", Weekly: everyDay(Interval{"00:00", "24:00"})}},
		{"never open", Config{TimeZone: "UTC"}},
		{"adjacent intervals with a break across them", Config{
			TimeZone: "Europe/Kyiv",
			Weekly:   map[time.Weekday][]Interval{time.Monday: {{"12:00", "17:00"}, {"08:00", "12:00"}}},
			Breaks:   []Break{{From: "11:30", To: "12:30", Days: []time.Weekday{time.Monday}}},
		}},
		{"several breaks", Config{
			TimeZone: "Europe/Kyiv",
			Weekly:   map[time.Weekday][]Interval{time.Monday: {{"08:00", "17:00"}}},
			Breaks: []Break{
				{Name: "обід", From: "12:00", To: "12:45", Days: []time.Weekday{time.Monday}},
				{Name: "нарада", From: "09:00", To: "09:15", Days: []time.Weekday{time.Monday}},
			},
		}},
	} {
		if _, err := New(tt.cfg); err != nil {
			t.Errorf("%s: %v", tt.name, err)
		}
	}
}
