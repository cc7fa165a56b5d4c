package schedule

import (
	"testing"
	"time"
)

func TestWall(t *testing.T) {
	ny := mustZone("America/New_York")
	utc := func(y int, mo time.Month, d, h, m int) time.Time { return time.Date(y, mo, d, h, m, 0, 0, time.UTC) }
	for _, tt := range []struct {
		name string
		loc  *time.Location
		d    date
		c    string
		want time.Time
	}{
		{"Kyiv winter", kyivZone, date{2026, 1, 5}, "08:00", utc(2026, 1, 5, 6, 0)},
		{"Kyiv summer", kyivZone, date{2026, 6, 15}, "08:00", utc(2026, 6, 15, 5, 0)},
		{"Kyiv end of day", kyivZone, date{2026, 1, 5}, "24:00", utc(2026, 1, 5, 22, 0)},
		{"Kyiv skipped 03:00 is the jump", kyivZone, date{2026, 3, 29}, "03:00", utc(2026, 3, 29, 1, 0)},
		{"Kyiv skipped 03:30 is the jump", kyivZone, date{2026, 3, 29}, "03:30", utc(2026, 3, 29, 1, 0)},
		{"Kyiv 04:00 after the jump", kyivZone, date{2026, 3, 29}, "04:00", utc(2026, 3, 29, 1, 0)},
		{"Kyiv repeated 03:30, first showing", kyivZone, date{2026, 10, 25}, "03:30", utc(2026, 10, 25, 0, 30)},
		{"Kyiv 04:00 after the repeat", kyivZone, date{2026, 10, 25}, "04:00", utc(2026, 10, 25, 2, 0)},
		{"New York skipped 02:30 is the jump", ny, date{2026, 3, 8}, "02:30", utc(2026, 3, 8, 7, 0)},
		{"New York repeated 01:30, first showing", ny, date{2026, 11, 1}, "01:30", utc(2026, 11, 1, 5, 30)},
	} {
		c, err := ParseClock(tt.c)
		if err != nil {
			t.Fatal(err)
		}
		if got := wall(tt.loc, tt.d, c); !got.Equal(tt.want) {
			t.Errorf("%s: wall(%v %s) = %v, want %v", tt.name, tt.d, tt.c, got.UTC(), tt.want)
		}
		if got := newDayClock(tt.loc, tt.d).at(c); !got.Equal(tt.want) {
			t.Errorf("%s: dayClock.at(%v %s) = %v, want %v", tt.name, tt.d, tt.c, got.UTC(), tt.want)
		}
	}
}

// Over two years in zones with awkward transitions — half-hour DST (Lord
// Howe), clocks changed at midnight (Santiago, Havana, Beirut) — the spans
// follow one another without gaps or overlaps, and every instant's state is
// the state of the span holding it.
func TestSpansAreContiguous(t *testing.T) {
	zones := []string{"Europe/Kyiv", "America/New_York", "Australia/Lord_Howe", "America/Santiago", "America/Havana", "Asia/Beirut", "UTC"}
	for _, zone := range zones {
		for _, weekly := range []map[time.Weekday][]Interval{
			DefaultConfig().Weekly,
			everyDay(Interval{"00:00", "01:00"}, Interval{"02:30", "03:00"}, Interval{"23:00", "24:00"}),
		} {
			s := mustNew(t, Config{TimeZone: zone, Weekly: weekly})
			from := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
			until := from.AddDate(2, 0, 0)
			prev := from
			for sp := range s.spans(nil, from) {
				if !sp.start.Equal(prev) || !sp.start.Before(sp.end) {
					t.Fatalf("%s: span %v–%v %s after %v", zone, sp.start, sp.end, sp.state, prev)
				}
				if got := s.stateNoOverride(sp.start); got != sp.state {
					t.Fatalf("%s: at %v state %s, span says %s", zone, sp.start, got, sp.state)
				}
				if prev = sp.end; !prev.Before(until) {
					break
				}
			}
		}
	}
}
