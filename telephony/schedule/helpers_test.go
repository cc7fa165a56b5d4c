package schedule

import (
	"testing"
	"time"
)

var kyivZone = mustZone("Europe/Kyiv")

func mustZone(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

// kyiv reads "2026-01-05 08:00" as Kyiv wall-clock time; the empty string is
// the zero instant ("no change").
func kyiv(t testing.TB, s string) time.Time {
	t.Helper()
	if s == "" {
		return time.Time{}
	}
	at, err := time.ParseInLocation("2006-01-02 15:04", s, kyivZone)
	if err != nil {
		t.Fatal(err)
	}
	return at
}

// community is the default hours with this year's holidays and a shortened
// day, as the hotline's configuration lists them.
func communityConfig() Config {
	cfg := DefaultConfig()
	cfg.Exceptions = []Exception{
		{Date: "2026-12-31", Name: "Передноворічний день", Hours: []Interval{{"08:00", "14:00"}},
			Breaks: []Break{{Name: "обід", From: "12:00", To: "12:30"}}},
		{Date: "2026-12-25", Name: "Різдво", Closed: true},
		{Date: "2027-01-01", Name: "Новий рік", Closed: true},
	}
	return cfg
}

func mustNew(t testing.TB, cfg Config) *Schedule {
	t.Helper()
	s, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return s
}

func everyDay(ivs ...Interval) map[time.Weekday][]Interval {
	w := map[time.Weekday][]Interval{}
	for d := range time.Weekday(7) {
		w[d] = ivs
	}
	return w
}
