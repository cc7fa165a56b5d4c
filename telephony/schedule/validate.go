package schedule

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// problems collects every validation error, each naming what is wrong and the
// offending value, so one run of check-config reports them all.
type problems []error

func (p *problems) add(format string, args ...any) { *p = append(*p, fmt.Errorf(format, args...)) }

func (p problems) err() error { return errors.Join(p...) }

// loadZone accepts IANA names only: "Local" and "" would make the hours
// depend on the host the hotline happens to run on.
func loadZone(name string) (*time.Location, error) {
	if name == "" || name == "Local" {
		return nil, fmt.Errorf("time zone %q: want an IANA name such as Europe/Kyiv", name)
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, fmt.Errorf("time zone %q: unknown", name)
	}
	return loc, nil
}

// intervals parses and sorts one day's intervals, reporting bad times,
// empty or backwards intervals and overlaps. where names the day.
func intervals(p *problems, where string, ivs []Interval, label func(labelled) string) []labelled {
	var out []labelled
	for _, iv := range ivs {
		if l, ok := parseSpan(p, where+" "+iv.String(), iv.From, iv.To); ok {
			l.label = label(l)
			out = append(out, l)
		}
	}
	slices.SortFunc(out, func(a, b labelled) int { return int(a.from - b.from) })
	for i := 1; i < len(out); i++ {
		if out[i].from < out[i-1].to {
			p.add("%s: %s and %s overlap", where, out[i-1], out[i])
		}
	}
	return out
}

func parseSpan(p *problems, where, from, to string) (labelled, bool) {
	f, err1 := ParseClock(from)
	if err1 != nil {
		p.add("%s: %w", where, err1)
	}
	t, err2 := ParseClock(to)
	if err2 != nil {
		p.add("%s: %w", where, err2)
	}
	if err1 != nil || err2 != nil {
		return labelled{}, false
	}
	if f >= t {
		p.add("%s: must start before it ends", where)
		return labelled{}, false
	}
	return labelled{from: f, to: t}, true
}

// covered reports whether open (sorted, not overlapping) covers all of b;
// adjacent intervals such as 08:00–12:00 and 12:00–17:00 cover 11:30–12:30.
func covered(open []labelled, b labelled) bool {
	at := b.from
	for _, o := range open {
		if o.from <= at && at < o.to {
			at = o.to
		}
	}
	return at >= b.to
}

// placeBreaks checks one day's breaks against its hours and each other.
// where names the day.
func placeBreaks(p *problems, where string, open, breaks []labelled) {
	slices.SortFunc(breaks, func(a, b labelled) int { return int(a.from - b.from) })
	for i, b := range breaks {
		if !covered(open, b) {
			p.add("%s: break %s is outside opening hours", where, b.named())
		}
		if i > 0 && b.from < breaks[i-1].to {
			p.add("%s: breaks %s and %s overlap", where, breaks[i-1].named(), b.named())
		}
	}
}

func weeklyLabel(day time.Weekday) func(labelled) string {
	return func(l labelled) string { return fmt.Sprintf("weekly: %s %s", day, l) }
}

func closedLabel(prefix string, open []labelled) string {
	if len(open) == 0 {
		return prefix + " closed"
	}
	hours := make([]string, len(open))
	for i, o := range open {
		hours[i] = o.String()
	}
	return fmt.Sprintf("%s closed (open %s)", prefix, strings.Join(hours, ", "))
}

// compileWeekly checks the weekly hours and breaks and builds a plan for
// each weekday.
func compileWeekly(p *problems, weekly map[time.Weekday][]Interval, breaks []Break) [7]dayPlan {
	var bad []time.Weekday
	for day := range weekly {
		if day < time.Sunday || day > time.Saturday {
			bad = append(bad, day)
		}
	}
	slices.Sort(bad)
	for _, day := range bad {
		p.add("weekly: weekday %d does not exist (0 is Sunday, 6 Saturday)", day)
	}
	var open [7][]labelled
	var broken [7]bool // a day whose hours are wrong: checking breaks against them would only add noise
	for day := range time.Weekday(7) {
		n := len(*p)
		open[day] = intervals(p, "weekly "+day.String(), weekly[day], weeklyLabel(day))
		broken[day] = len(*p) > n
	}
	var dayBreaks [7][]labelled
	for _, b := range breaks {
		where := "break " + b.String()
		l, ok := parseSpan(p, where, b.From, b.To)
		if len(b.Days) == 0 {
			p.add("%s: no days", where)
		}
		seen := map[time.Weekday]bool{}
		for _, day := range b.Days {
			switch {
			case day < time.Sunday || day > time.Saturday:
				p.add("%s: weekday %d does not exist", where, day)
			case seen[day]:
				p.add("%s: %s listed twice", where, day)
			case ok:
				l.name = b.Name
				l.label = "break: " + l.named()
				dayBreaks[day] = append(dayBreaks[day], l)
			}
			if day >= time.Sunday && day <= time.Saturday {
				seen[day] = true
			}
		}
	}
	var plans [7]dayPlan
	for day := range time.Weekday(7) {
		if !broken[day] {
			placeBreaks(p, "weekly "+day.String(), open[day], dayBreaks[day])
		}
		plans[day] = buildPlan(open[day], dayBreaks[day], closedLabel("weekly: "+day.String(), open[day]))
	}
	return plans
}

// compileExceptions checks the exceptions and builds a plan for each date;
// it returns them sorted by date.
func compileExceptions(p *problems, excs []Exception) ([]Exception, map[date]dayPlan) {
	plans := make(map[date]dayPlan, len(excs))
	for _, e := range excs {
		where := "exception " + e.Date
		if e.Name != "" {
			where += " " + e.Name
		}
		t, err := time.Parse(time.DateOnly, e.Date)
		if err != nil {
			p.add("%s: date %q: want YYYY-MM-DD, a real date", where, e.Date)
		}
		d := dateOf(t)
		if _, dup := plans[d]; err == nil && dup {
			p.add("%s: date listed twice", where)
		}
		switch {
		case e.Closed && (len(e.Hours) > 0 || len(e.Breaks) > 0):
			p.add("%s: closed all day, so it cannot list hours or breaks", where)
		case !e.Closed && len(e.Hours) == 0:
			p.add("%s: neither closed nor any hours", where)
		}
		n := len(*p)
		open := intervals(p, where, e.Hours, func(l labelled) string { return fmt.Sprintf("%s: %s", where, l) })
		broken := len(*p) > n
		var breaks []labelled
		for _, b := range e.Breaks {
			if len(b.Days) > 0 {
				p.add("%s: break %s: days apply to weekly breaks only", where, b)
			}
			if l, ok := parseSpan(p, where+" break "+b.String(), b.From, b.To); ok {
				l.name = b.Name
				l.label = where + ": break " + l.named()
				breaks = append(breaks, l)
			}
		}
		if !broken {
			placeBreaks(p, where, open, breaks)
		}
		if err == nil {
			plans[d] = buildPlan(open, breaks, closedLabel(where+":", open))
		}
	}
	sorted := cloneExceptions(excs)
	slices.SortStableFunc(sorted, func(a, b Exception) int { return strings.Compare(a.Date, b.Date) })
	return sorted, plans
}
