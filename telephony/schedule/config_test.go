package schedule

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/slobozhanske/hotline/internal/fielderr"
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

// Each broken configuration names the field as the configuration's
// schedule section writes it, says what is wrong and quotes the value.
func TestNewRejects(t *testing.T) {
	weekdays := []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday}
	type says struct{ field, value, message string }
	tests := []struct {
		name   string
		change func(*Config)
		want   []says
	}{
		{"unknown time zone", func(c *Config) { c.TimeZone = "Europe/Slobozhanske" },
			[]says{{"timezone", "Europe/Slobozhanske", "unknown time zone"}}},
		{"no time zone", func(c *Config) { c.TimeZone = "" },
			[]says{{"timezone", "", "want an IANA time zone name"}}},
		{"host's time zone", func(c *Config) { c.TimeZone = "Local" },
			[]says{{"timezone", "Local", "want an IANA time zone name"}}},
		{"impossible hour", func(c *Config) { c.Weekly[time.Friday] = []Interval{{"08:00", "25:00"}} },
			[]says{{"weekly.fri[0].to", "25:00", "hour must be 00–24"}}},
		{"impossible minute", func(c *Config) { c.Weekly[time.Monday] = []Interval{{"8:60", "17:00"}} },
			[]says{{"weekly.mon[0].from", "8:60", "want HH:MM"}}},
		{"empty time", func(c *Config) { c.Weekly[time.Monday] = []Interval{{"", "17:00"}} },
			[]says{{"weekly.mon[0].from", "", "want HH:MM"}}},
		{"ends before it starts", func(c *Config) { c.Weekly[time.Monday] = []Interval{{"17:00", "08:00"}} },
			[]says{{"weekly.mon[0].to", "08:00", "must be after from (17:00)"}}},
		{"empty interval", func(c *Config) { c.Weekly[time.Monday] = []Interval{{"08:00", "08:00"}} },
			[]says{{"weekly.mon[0].to", "08:00", "must start before it ends"}}},
		{"overlapping intervals, the file's order kept", func(c *Config) {
			c.Weekly[time.Monday] = []Interval{{"13:00", "17:00"}, {"08:00", "13:30"}}
		}, []says{{"weekly.mon[0]", "13:00–17:00", "overlaps 08:00–13:30, another interval of the day"}}},
		{"weekday out of range", func(c *Config) { c.Weekly[7] = []Interval{{"08:00", "17:00"}} },
			[]says{{"weekly", "7", "weekday 7 does not exist"}}},
		{"break on a closed day", func(c *Config) { c.Breaks[0].Days = append(c.Breaks[0].Days, time.Saturday) },
			[]says{{"breaks[0]", "12:00–12:45", "break обід 12:00–12:45 is outside the opening hours of Saturday"}}},
		{"break past closing", func(c *Config) { c.Breaks[0].From, c.Breaks[0].To = "15:30", "16:30" },
			[]says{{"breaks[0]", "15:30–16:30", "outside the opening hours of Friday"}}},
		{"overlapping breaks", func(c *Config) {
			c.Breaks = append(c.Breaks, Break{Name: "нарада", From: "12:30", To: "13:00", Days: []time.Weekday{time.Monday}})
		}, []says{{"breaks[1]", "12:30–13:00", "on Monday, break нарада 12:30–13:00 overlaps break обід 12:00–12:45"}}},
		{"break without days", func(c *Config) { c.Breaks[0].Days = nil },
			[]says{{"breaks[0].days", "", "no days"}}},
		{"break day twice", func(c *Config) { c.Breaks[0].Days = append(c.Breaks[0].Days, time.Monday) },
			[]says{{"breaks[0].days[5]", "mon", "Monday listed twice"}}},
		{"break on no such day", func(c *Config) { c.Breaks[0].Days = []time.Weekday{9} },
			[]says{{"breaks[0].days[0]", "9", "weekday 9 does not exist"}}},
		{"bad break time", func(c *Config) { c.Breaks[0].To = "12:75" },
			[]says{{"breaks[0].to", "12:75", "minutes must be 00–59"}}},
		{"duplicate exception date", func(c *Config) {
			c.Exceptions = []Exception{{Date: "2026-12-25", Name: "Різдво", Closed: true}, {Date: "2026-12-25", Name: "Свято", Closed: true}}
		}, []says{{"exceptions[1].date", "2026-12-25", "date listed twice: exception 1 of the list has it too"}}},
		{"no such date", func(c *Config) { c.Exceptions = []Exception{{Date: "2026-02-30", Name: "X", Closed: true}} },
			[]says{{"exceptions[0].date", "2026-02-30", "want YYYY-MM-DD, a real date"}}},
		{"date in another format", func(c *Config) {
			c.Exceptions = []Exception{{Date: "2026-12-25", Closed: true}, {Date: "25.12.2026", Closed: true}}
		}, []says{{"exceptions[1].date", "25.12.2026", "want YYYY-MM-DD"}}},
		{"closed with hours", func(c *Config) {
			c.Exceptions = []Exception{{Date: "2026-12-25", Name: "Різдво", Closed: true, Hours: []Interval{{"08:00", "12:00"}}}}
		}, []says{{"exceptions[0].hours", "", "a day closed all day has no hours"}}},
		{"closed with breaks", func(c *Config) {
			c.Exceptions = []Exception{{Date: "2026-12-25", Closed: true, Breaks: []Break{{From: "12:00", To: "12:45"}}}}
		}, []says{{"exceptions[0].breaks", "", "a day closed all day has no breaks"}}},
		{"neither closed nor hours", func(c *Config) { c.Exceptions = []Exception{{Date: "2026-12-24", Name: "Святвечір"}} },
			[]says{{"exceptions[0].hours", "", "give the day's opening hours, or closed: true"}}},
		{"exception hours overlap", func(c *Config) {
			c.Exceptions = []Exception{{Date: "2026-12-31", Hours: []Interval{{"08:00", "12:00"}, {"11:00", "14:00"}}}}
		}, []says{{"exceptions[0].hours[1]", "11:00–14:00", "overlaps 08:00–12:00, another interval of the day"}}},
		{"exception break outside its hours", func(c *Config) {
			c.Exceptions = []Exception{{Date: "2026-12-31", Name: "Скорочений", Hours: []Interval{{"08:00", "12:00"}},
				Breaks: []Break{{Name: "обід", From: "12:00", To: "12:45"}}}}
		}, []says{{"exceptions[0].breaks[0]", "12:00–12:45", "break обід 12:00–12:45 is outside the opening hours of 2026-12-31"}}},
		{"exception break with days", func(c *Config) {
			c.Exceptions = []Exception{{Date: "2026-12-31", Hours: []Interval{{"08:00", "14:00"}},
				Breaks: []Break{{Name: "обід", From: "12:00", To: "12:45", Days: weekdays}}}}
		}, []says{{"exceptions[0].breaks[0].days", "", "days apply to weekly breaks only"}}},
		{"every problem at once", func(c *Config) {
			c.TimeZone = "Mars/Olympus"
			c.Weekly[time.Friday] = []Interval{{"08:00", "25:00"}}
			c.Exceptions = []Exception{{Date: "2026-13-01", Closed: true}}
		}, []says{{"timezone", "Mars/Olympus", "unknown"}, {"weekly.fri[0].to", "25:00", "hour"}, {"exceptions[0].date", "2026-13-01", "YYYY-MM-DD"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := DefaultConfig()
			tt.change(&cfg)
			s, err := New(cfg)
			if err == nil {
				t.Fatalf("New accepted it: %v", s)
			}
			got := fielderr.All(err)
			if len(got) != len(tt.want) {
				t.Errorf("%d problems, want %d:\n%v", len(got), len(tt.want), err)
			}
			for _, want := range tt.want {
				i := slices.IndexFunc(got, func(fe *fielderr.Error) bool { return fe.Field == want.field })
				switch {
				case i < 0:
					t.Errorf("no problem names %s:\n%v", want.field, err)
				case got[i].Value != want.value || !strings.Contains(got[i].Message, want.message):
					t.Errorf("%s: value %q, %q; want value %q saying %q", want.field, got[i].Value, got[i].Message, want.value, want.message)
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
