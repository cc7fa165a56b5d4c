package schedule

import (
	"testing"
	"time"
)

// No timing assertions: these print ns/op for the record.

func BenchmarkState(b *testing.B) {
	s := mustNew(b, communityConfig())
	at := kyiv(b, "2026-01-09 16:00") // closed until Monday: the longest common walk
	for b.Loop() {
		s.State(at)
	}
}

func BenchmarkStateDuringHours(b *testing.B) {
	s := mustNew(b, communityConfig())
	at := kyiv(b, "2026-01-05 10:00")
	for b.Loop() {
		s.State(at)
	}
}

func BenchmarkAddWorkingTime(b *testing.B) {
	s := mustNew(b, communityConfig())
	start := kyiv(b, "2026-01-09 14:30")
	for _, d := range []time.Duration{30 * time.Minute, 2 * time.Hour, 45 * 8 * time.Hour} {
		b.Run(d.String(), func(b *testing.B) {
			for b.Loop() {
				s.AddWorkingTime(start, d)
			}
		})
	}
}

func BenchmarkWorkingTimeBetween(b *testing.B) {
	s := mustNew(b, communityConfig())
	a, c := kyiv(b, "2026-01-09 14:30"), kyiv(b, "2026-02-09 14:30")
	for b.Loop() {
		s.WorkingTimeBetween(a, c)
	}
}

// 24/7: State looks the whole 400 days ahead to find there is no change.
func BenchmarkState24x7(b *testing.B) {
	s := mustNew(b, Config{TimeZone: "Europe/Kyiv", Weekly: everyDay(Interval{"00:00", "24:00"})})
	at := kyiv(b, "2026-01-05 10:00")
	for b.Loop() {
		s.State(at)
	}
}
