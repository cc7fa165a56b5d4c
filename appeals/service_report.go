package appeals

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"time"
)

// OverdueReport is the weekly summary of missed deadlines (art. 6.2.2):
// current appeals listed for the head of each executor, SOS ones (already
// reported at once) with their delivery state.
type OverdueReport struct {
	From, To   time.Time
	Current    []Breach
	SOS        []Breach
	ByExecutor map[string]int // current breaches per executor
	ByCategory map[string]int // current breaches per category
}

// OverdueReport lists the breaches whose deadline fell in [from, to).
func (s *Service) OverdueReport(ctx context.Context, a Actor, from, to time.Time) (OverdueReport, error) {
	if err := a.may(OpReport); err != nil {
		return OverdueReport{}, err
	}
	if !to.After(from) {
		return OverdueReport{}, invalid("to", "must be after from")
	}
	if to.Sub(from) > 366*24*time.Hour {
		return OverdueReport{}, invalid("to", "a report covers at most a year")
	}
	all, err := s.repo.Breaches(ctx, from, to)
	if err != nil {
		return OverdueReport{}, fmt.Errorf("overdue report: %w", err)
	}
	r := OverdueReport{From: from, To: to, Current: []Breach{}, SOS: []Breach{},
		ByExecutor: map[string]int{}, ByCategory: map[string]int{}}
	for _, b := range all {
		if b.Immediate() {
			r.SOS = append(r.SOS, b)
			continue
		}
		r.Current = append(r.Current, b)
		r.ByExecutor[b.Executor]++
		r.ByCategory[b.Category]++
	}
	return r, nil
}

var isoWeek = regexp.MustCompile(`^(\d{4})-W(\d{2})$`)

// ParseISOWeek returns the bounds of an ISO week such as "2026-W47": from
// Monday 00:00 to the next Monday 00:00 in loc.
func ParseISOWeek(s string, loc *time.Location) (from, to time.Time, err error) {
	m := isoWeek.FindStringSubmatch(s)
	if m == nil {
		return from, to, invalid("week", "must look like 2026-W47")
	}
	year, _ := strconv.Atoi(m[1])
	week, _ := strconv.Atoi(m[2])
	// 4 January is always in week 1; its week's Monday starts week 1.
	jan4 := time.Date(year, 1, 4, 0, 0, 0, 0, loc)
	monday1 := jan4.AddDate(0, 0, -((int(jan4.Weekday()) + 6) % 7))
	from = monday1.AddDate(0, 0, 7*(week-1))
	if y, w := from.ISOWeek(); week < 1 || y != year || w != week {
		return time.Time{}, time.Time{}, invalid("week", "%s has no week %d", m[1], week)
	}
	return from, from.AddDate(0, 0, 7), nil
}
