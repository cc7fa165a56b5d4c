package schedule

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/slobozhanske/hotline/internal/fielderr"
)

// problems collects every validation error as a *fielderr.Error named by
// the path of the field as the configuration file (or the API's body) has
// it: timezone, weekly.mon[0].to, breaks[1].days[2], exceptions[0].date. So
// one run of check-config reports them all, each where the admin wrote it.
type problems []error

func (p *problems) add(field, value, format string, args ...any) {
	*p = append(*p, fielderr.Value(field, value, format, args...))
}

func (p problems) err() error { return errors.Join(p...) }

// key and item build field paths; path "" is the top of the input.
func key(path, k string) string {
	if path == "" {
		return k
	}
	return path + "." + k
}

func item(path string, i int) string { return fmt.Sprintf("%s[%d]", path, i) }

// dayKey is a weekday as the configuration's keys write it: mon…sun.
func dayKey(d time.Weekday) string { return strings.ToLower(d.String()[:3]) }

// loadZone accepts IANA names only: "Local" and "" would make the hours
// depend on the host the hotline happens to run on.
func loadZone(p *problems, name string) *time.Location {
	if name == "" || name == "Local" {
		p.add("timezone", name, "want an IANA time zone name such as Europe/Kyiv")
		return nil
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		p.add("timezone", name, "unknown time zone")
		return nil
	}
	return loc
}

// intervals parses and sorts a day's intervals (the field at path lists
// them), reporting bad times, empty or backwards intervals and overlaps.
func intervals(p *problems, path string, ivs []Interval, label func(labelled) string) []labelled {
	var out []labelled
	for i, iv := range ivs {
		if l, ok := parseSpan(p, item(path, i), iv.From, iv.To); ok {
			l.label = label(l)
			out = append(out, l)
		}
	}
	slices.SortFunc(out, func(a, b labelled) int { return int(a.from - b.from) })
	for i := 1; i < len(out); i++ {
		if out[i].from < out[i-1].to {
			p.add(out[i].field, out[i].String(), "overlaps %s, another interval of the day", out[i-1])
		}
	}
	return out
}

// parseSpan reads the span whose from and to are at field.from and field.to.
func parseSpan(p *problems, field, from, to string) (labelled, bool) {
	f, err1 := parseClock(from)
	if err1 != nil {
		p.add(field+".from", from, "%s", err1)
	}
	t, err2 := parseClock(to)
	if err2 != nil {
		p.add(field+".to", to, "%s", err2)
	}
	if err1 != nil || err2 != nil {
		return labelled{}, false
	}
	if f >= t {
		p.add(field+".to", to, "must be after from (%s): an interval must start before it ends", from)
		return labelled{}, false
	}
	return labelled{from: f, to: t, field: field}, true
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

// placeBreaks checks one day's breaks against its hours and each other;
// day names the day in the messages ("Saturday", "2026-12-31").
func placeBreaks(p *problems, day string, open, breaks []labelled) {
	slices.SortFunc(breaks, func(a, b labelled) int { return int(a.from - b.from) })
	for i, b := range breaks {
		if !covered(open, b) {
			p.add(b.field, b.String(), "break %s is outside the opening hours of %s", b.named(), day)
		}
		if i > 0 && b.from < breaks[i-1].to {
			p.add(b.field, b.String(), "on %s, break %s overlaps break %s", day, b.named(), breaks[i-1].named())
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
		p.add("weekly", fmt.Sprint(int(day)), "weekday %d does not exist (0 is Sunday, 6 Saturday)", day)
	}
	var open [7][]labelled
	var broken [7]bool // a day whose hours are wrong: checking breaks against them would only add noise
	for day := range time.Weekday(7) {
		n := len(*p)
		open[day] = intervals(p, "weekly."+dayKey(day), weekly[day], weeklyLabel(day))
		broken[day] = len(*p) > n
	}
	var dayBreaks [7][]labelled
	for i, b := range breaks {
		path := item("breaks", i)
		l, ok := parseSpan(p, path, b.From, b.To)
		l.name = b.Name
		l.label = "break: " + l.named()
		if len(b.Days) == 0 {
			p.add(path+".days", "", "no days: list the weekdays the break applies to")
		}
		seen := map[time.Weekday]bool{}
		for j, day := range b.Days {
			switch {
			case day < time.Sunday || day > time.Saturday:
				p.add(item(path+".days", j), fmt.Sprint(int(day)), "weekday %d does not exist", day)
			case seen[day]:
				p.add(item(path+".days", j), dayKey(day), "%s listed twice", day)
			case ok:
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
			placeBreaks(p, day.String(), open[day], dayBreaks[day])
		}
		plans[day] = buildPlan(open[day], dayBreaks[day], closedLabel("weekly: "+day.String(), open[day]))
	}
	return plans
}

const (
	maxName   = 200
	maxReason = 500
)

// checkedException is one exception that passed its own checks.
type checkedException struct {
	date date
	plan dayPlan
}

// checkException checks one exception, whose fields are at path, and
// builds its day's plan; ok is false when it cannot be applied.
func checkException(p *problems, path string, e Exception) (checkedException, bool) {
	where := "exception " + e.Date // the rule text: exception 2026-12-25 Різдво: closed
	if e.Name != "" {
		where += " " + e.Name
	}
	n := len(*p)
	t, err := time.Parse(time.DateOnly, e.Date)
	if err != nil {
		p.add(key(path, "date"), e.Date, "want YYYY-MM-DD, a real date")
	}
	if utf8.RuneCountInString(e.Name) > maxName {
		p.add(key(path, "name"), "", "at most %d characters", maxName)
	}
	shapeAt := len(*p)
	switch {
	case e.Closed && len(e.Hours) > 0:
		p.add(key(path, "hours"), "", "a day closed all day has no hours")
	case e.Closed && len(e.Breaks) > 0:
		p.add(key(path, "breaks"), "", "a day closed all day has no breaks")
	case !e.Closed && len(e.Hours) == 0:
		p.add(key(path, "hours"), "", "give the day's opening hours, or closed: true")
	}
	shapeBroken := len(*p) > shapeAt
	hoursAt := len(*p)
	open := intervals(p, key(path, "hours"), e.Hours, func(l labelled) string { return fmt.Sprintf("%s: %s", where, l) })
	hoursBroken := len(*p) > hoursAt
	var breaks []labelled
	for j, b := range e.Breaks {
		bpath := item(key(path, "breaks"), j)
		if len(b.Days) > 0 {
			p.add(bpath+".days", "", "days apply to weekly breaks only")
		}
		if l, ok := parseSpan(p, bpath, b.From, b.To); ok {
			l.name = b.Name
			l.label = where + ": break " + l.named()
			breaks = append(breaks, l)
		}
	}
	if !hoursBroken && !shapeBroken { // else the breaks would only add noise
		placeBreaks(p, e.Date, open, breaks)
	}
	if len(*p) > n {
		return checkedException{}, false
	}
	return checkedException{date: dateOf(t), plan: buildPlan(open, breaks, closedLabel(where+":", open))}, true
}

// CheckException checks the fields of one exception on its own (the
// API's body); every problem is a *FieldError naming the field.
func CheckException(e Exception) error {
	var p problems
	checkException(&p, "", e)
	return p.err()
}

// compileExceptions checks the exceptions and builds a plan for each date;
// it returns them sorted by date.
func compileExceptions(p *problems, excs []Exception) ([]Exception, map[date]dayPlan) {
	plans := make(map[date]dayPlan, len(excs))
	first := map[string]int{}
	for i, e := range excs {
		path := item("exceptions", i)
		if j, dup := first[e.Date]; dup {
			p.add(path+".date", e.Date, "date listed twice: exception %d of the list has it too", j+1)
			continue
		}
		first[e.Date] = i
		if c, ok := checkException(p, path, e); ok {
			plans[c.date] = c.plan
		}
	}
	sorted := cloneExceptions(excs)
	slices.SortStableFunc(sorted, func(a, b Exception) int { return strings.Compare(a.Date, b.Date) })
	return sorted, plans
}
