package schedule_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/slobozhanske/hotline/internal/dbtest"
	"github.com/slobozhanske/hotline/telephony/schedule"
	schedulepg "github.com/slobozhanske/hotline/telephony/schedule/pgstore"
)

var kyiv = func() *time.Location {
	loc, err := time.LoadLocation("Europe/Kyiv")
	if err != nil {
		panic(err)
	}
	return loc
}()

// at reads Kyiv wall time "2006-01-02 15:04", or an RFC 3339 instant (for
// the hour the clocks show twice).
func at(t *testing.T, s string) time.Time {
	t.Helper()
	if strings.Contains(s, "T") {
		v, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	v, err := time.ParseInLocation("2006-01-02 15:04", s, kyiv)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// configured is the schedule of config/hotline.yaml: the regulations' hours
// with Christmas and New Year's Day closed.
func configured(t *testing.T) *schedule.Schedule {
	t.Helper()
	cfg := schedule.DefaultConfig()
	cfg.Exceptions = []schedule.Exception{
		{Date: "2026-12-25", Name: "Різдво Христове", Closed: true},
		{Date: "2027-01-01", Name: "Новий рік", Closed: true},
	}
	s, err := schedule.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// controller is one run of the server: a schedule built from the
// configuration with what the database holds applied.
type controller struct {
	*schedule.Manager
	sch *schedule.Schedule
}

type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

func start(t *testing.T, pool *pgxpool.Pool, c *clock) controller {
	t.Helper()
	sch := configured(t)
	m, err := schedule.Load(context.Background(), sch, schedulepg.New(pool), c.Now, nil)
	if err != nil {
		t.Fatal(err)
	}
	return controller{Manager: m, sch: sch}
}

type check struct {
	at    string
	state schedule.State
	rule  string // a part of the deciding rule
}

func (c controller) expect(t *testing.T, when string, checks []check) {
	t.Helper()
	for _, ch := range checks {
		d := c.sch.State(at(t, ch.at))
		if d.State != ch.state || !strings.Contains(d.Rule, ch.rule) {
			t.Errorf("%s, at %s: %s by %q, want %s by a rule with %q", when, ch.at, d.State, d.Rule, ch.state, ch.rule)
		}
	}
}

// An exception set through the API is in force at once and after a restart.
func TestScheduleExceptionsSurviveARestart(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		change func(context.Context, controller) error
		checks []check
		source string // of the date's exception afterwards; "" for none
		date   string
	}{
		{
			name: "a public holiday is added",
			change: func(ctx context.Context, c controller) error {
				_, err := c.PutException(ctx, schedule.Exception{Date: "2026-08-24", Name: "День Незалежності", Closed: true}, "supervisor")
				return err
			},
			date: "2026-08-24", source: schedule.SourceAPI,
			checks: []check{{"2026-08-24 10:00", schedule.StateClosed, "exception 2026-08-24 День Незалежності: closed"},
				{"2026-08-25 10:00", schedule.StateOpen, "weekly"}},
		},
		{
			name: "a shortened day before the New Year",
			change: func(ctx context.Context, c controller) error {
				_, err := c.PutException(ctx, schedule.Exception{Date: "2026-12-31", Name: "передсвятковий",
					Hours: []schedule.Interval{{From: "08:00", To: "13:00"}}}, "supervisor")
				return err
			},
			date: "2026-12-31", source: schedule.SourceAPI,
			checks: []check{{"2026-12-31 12:30", schedule.StateOpen, "exception 2026-12-31"},
				{"2026-12-31 13:30", schedule.StateClosed, "exception 2026-12-31"}},
		},
		{
			name: "a working Saturday with a lunch break",
			change: func(ctx context.Context, c controller) error {
				_, err := c.PutException(ctx, schedule.Exception{Date: "2026-10-24", Name: "робоча субота",
					Hours:  []schedule.Interval{{From: "09:00", To: "15:00"}},
					Breaks: []schedule.Break{{Name: "обід", From: "12:00", To: "12:30"}}}, "supervisor")
				return err
			},
			date: "2026-10-24", source: schedule.SourceAPI,
			checks: []check{{"2026-10-24 10:00", schedule.StateOpen, "exception 2026-10-24"},
				{"2026-10-24 12:10", schedule.StateBreak, "обід"}, {"2026-10-24 15:00", schedule.StateClosed, "exception"}},
		},
		{
			name: "round the clock on the night the clocks go back",
			change: func(ctx context.Context, c controller) error {
				_, err := c.PutException(ctx, schedule.Exception{Date: "2026-10-25", Name: "чергування",
					Hours: []schedule.Interval{{From: "00:00", To: "24:00"}}}, "supervisor")
				return err
			},
			date: "2026-10-25", source: schedule.SourceAPI,
			checks: []check{{"2026-10-25T03:30:00+03:00", schedule.StateOpen, "exception 2026-10-25"},
				{"2026-10-25T03:30:00+02:00", schedule.StateOpen, "exception 2026-10-25"}, {"2026-10-26 00:00", schedule.StateClosed, "weekly: Monday"}},
		},
		{
			name: "the configuration's Christmas becomes a half day",
			change: func(ctx context.Context, c controller) error {
				_, err := c.PutException(ctx, schedule.Exception{Date: "2026-12-25", Name: "Різдво (чергова зміна)",
					Hours: []schedule.Interval{{From: "08:00", To: "12:00"}}}, "admin")
				return err
			},
			date: "2026-12-25", source: schedule.SourceAPI,
			checks: []check{{"2026-12-25 10:00", schedule.StateOpen, "Різдво (чергова зміна)"}, {"2026-12-25 13:00", schedule.StateClosed, "exception"}},
		},
		{
			name:   "the configuration's New Year's Day is removed",
			change: func(ctx context.Context, c controller) error { return c.DeleteException(ctx, "2027-01-01", "admin") },
			date:   "2027-01-01", source: "",
			checks: []check{{"2027-01-01 10:00", schedule.StateOpen, "weekly: Friday"}},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			pool := dbtest.NewPool(t)
			c := &clock{now: at(t, "2026-06-01 09:00")}
			ctx := context.Background()
			first := start(t, pool, c)
			if err := tc.change(ctx, first); err != nil {
				t.Fatal(err)
			}
			first.expect(t, "at once", tc.checks)

			again := start(t, pool, c)
			again.expect(t, "after a restart", tc.checks)
			e, ok := again.Exception(tc.date)
			switch {
			case tc.source == "" && ok:
				t.Errorf("the removed exception %s is back: %+v", tc.date, e)
			case tc.source != "" && (!ok || e.Source != tc.source || e.UpdatedBy == "" || e.UpdatedAt.IsZero()):
				t.Errorf("exception %s after a restart: %+v (found %v), want from %s with who and when", tc.date, e, ok, tc.source)
			}
			if ch, ok := again.Exception("2026-12-25"); tc.date != "2026-12-25" && (!ok || ch.Source != schedule.SourceConfig) {
				t.Errorf("the configuration's Christmas: %+v %v", ch, ok)
			}
		})
	}
}

// The working time of the DST days is what the clocks show, after a restart too.
func TestWorkingTimeOnDSTDaysAfterARestart(t *testing.T) {
	t.Parallel()
	pool := dbtest.NewPool(t)
	c := &clock{now: at(t, "2026-03-01 09:00")}
	ctx := context.Background()
	first := start(t, pool, c)
	for _, d := range []string{"2026-03-29", "2026-10-25"} {
		if _, err := first.PutException(ctx, schedule.Exception{Date: d, Name: "цілодобово",
			Hours: []schedule.Interval{{From: "00:00", To: "24:00"}}}, "supervisor"); err != nil {
			t.Fatal(err)
		}
	}
	again := start(t, pool, c)
	for _, tc := range []struct {
		day  string
		want time.Duration
	}{{"2026-03-29", 23 * time.Hour}, {"2026-10-25", 25 * time.Hour}} {
		from := at(t, tc.day+" 00:00")
		to := from.AddDate(0, 0, 1)
		if got := again.sch.WorkingTimeBetween(from, to); got != tc.want {
			t.Errorf("%s: %s of working time, want %s", tc.day, got, tc.want)
		}
	}
}

// The day/night switch: set, it decides the state until its end, after a
// restart too; cleared or expired, the rules apply again.
func TestTheDayNightSwitchSurvivesARestart(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		now      string
		override schedule.Override
		clear    bool
		later    string // the restart happens at this time
		checks   []check
	}{
		{
			name: "closed for a storm until tomorrow morning", now: "2026-11-23 10:00",
			override: schedule.Override{State: schedule.StateClosed, Until: at(t, "2026-11-24 08:00"), By: "supervisor", Reason: "буря"},
			later:    "2026-11-23 10:05",
			checks: []check{{"2026-11-23 11:00", schedule.StateClosed, "override: closed"},
				{"2026-11-24 08:00", schedule.StateOpen, "weekly"}},
		},
		{
			name: "open late on a heating emergency evening", now: "2026-11-26 16:30",
			override: schedule.Override{State: schedule.StateOpen, Until: at(t, "2026-11-26 20:00"), By: "supervisor", Reason: "аварія теплотраси"},
			later:    "2026-11-26 17:30",
			checks:   []check{{"2026-11-26 18:00", schedule.StateOpen, "override: open"}, {"2026-11-26 20:00", schedule.StateClosed, "weekly"}},
		},
		{
			name: "closed until the second 03:30 of the night the clocks go back", now: "2026-10-24 22:00",
			override: schedule.Override{State: schedule.StateClosed, Until: at(t, "2026-10-25T03:30:00+02:00"), By: "admin"},
			later:    "2026-10-24 23:00",
			checks: []check{{"2026-10-25T03:31:00+03:00", schedule.StateClosed, "override"}, {"2026-10-25T03:29:00+02:00", schedule.StateClosed, "override"},
				{"2026-10-25T03:30:00+02:00", schedule.StateClosed, "weekly: Sunday"}},
		},
		{
			name: "cleared, it does not come back", now: "2026-11-23 10:00",
			override: schedule.Override{State: schedule.StateClosed, Until: at(t, "2026-11-24 08:00"), By: "supervisor"},
			clear:    true, later: "2026-11-23 10:05",
			checks: []check{{"2026-11-23 11:00", schedule.StateOpen, "weekly"}},
		},
		{
			name: "expired, the rules apply", now: "2026-11-23 10:00",
			override: schedule.Override{State: schedule.StateClosed, Until: at(t, "2026-11-23 11:00"), By: "supervisor"},
			later:    "2026-11-23 11:30",
			checks:   []check{{"2026-11-23 11:30", schedule.StateOpen, "weekly"}},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			pool := dbtest.NewPool(t)
			c := &clock{now: at(t, tc.now)}
			ctx := context.Background()
			first := start(t, pool, c)
			set, err := first.SetOverride(ctx, tc.override)
			if err != nil {
				t.Fatal(err)
			}
			if d := first.sch.State(at(t, tc.now)); d.State != tc.override.State {
				t.Errorf("at once: %s by %q, want %s", d.State, d.Rule, tc.override.State)
			}
			if tc.clear {
				if err := first.ClearOverride(ctx, "supervisor"); err != nil {
					t.Fatal(err)
				}
			}
			c.set(at(t, tc.later))
			again := start(t, pool, c)
			again.expect(t, "after a restart", tc.checks)
			o, ok := again.Override()
			inForce := !tc.clear && at(t, tc.later).Before(tc.override.Until)
			if ok != inForce {
				t.Fatalf("override in force after the restart: %v, want %v", ok, inForce)
			}
			if ok && (!o.Until.Equal(tc.override.Until) || o.By != tc.override.By || o.Reason != tc.override.Reason ||
				o.State != tc.override.State || !o.SetAt.Equal(set.SetAt)) {
				t.Errorf("override after the restart %+v, want %+v set at %v", o, tc.override, set.SetAt)
			}
			history, err := again.History(ctx, 10)
			if err != nil || len(history) != 1 || (tc.clear && history[0].ClearedBy != "supervisor") {
				t.Errorf("switch history %+v, %v", history, err)
			}
		})
	}
}

func TestScheduleChangesThatCannotApplyAreRefusedNamingTheField(t *testing.T) {
	t.Parallel()
	pool := dbtest.NewPool(t)
	c := &clock{now: at(t, "2026-11-23 10:00")}
	ctx := context.Background()
	m := start(t, pool, c)
	for _, tc := range []struct {
		name  string
		err   error
		field string
	}{
		{"not a date", put(ctx, m, schedule.Exception{Date: "31.12.2026", Closed: true}), "date"},
		{"February 30th", put(ctx, m, schedule.Exception{Date: "2027-02-30", Closed: true}), "date"},
		{"neither closed nor hours", put(ctx, m, schedule.Exception{Date: "2026-12-31"}), "hours"},
		{"closed with hours", put(ctx, m, schedule.Exception{Date: "2026-12-31", Closed: true, Hours: []schedule.Interval{{From: "08:00", To: "12:00"}}}), "hours"},
		{"a bad time", put(ctx, m, schedule.Exception{Date: "2026-12-31", Hours: []schedule.Interval{{From: "8:00", To: "12:00"}}}), "hours[0].from"},
		{"backwards hours", put(ctx, m, schedule.Exception{Date: "2026-12-31", Hours: []schedule.Interval{{From: "12:00", To: "08:00"}}}), "hours[0].to"},
		{"overlapping hours", put(ctx, m, schedule.Exception{Date: "2026-12-31", Hours: []schedule.Interval{{From: "08:00", To: "12:00"}, {From: "11:00", To: "13:00"}}}), "hours[1]"},
		{"a break outside the hours", put(ctx, m, schedule.Exception{Date: "2026-12-31", Hours: []schedule.Interval{{From: "08:00", To: "12:00"}},
			Breaks: []schedule.Break{{Name: "обід", From: "12:00", To: "12:45"}}}), "breaks[0]"},
		{"a switch to night", setOverride(ctx, m, schedule.Override{State: "night", Until: at(t, "2026-11-24 08:00"), By: "s"}), "state"},
		{"a switch that ended", setOverride(ctx, m, schedule.Override{State: schedule.StateClosed, Until: at(t, "2026-11-23 09:00"), By: "s"}), "until"},
		{"a switch without an end", setOverride(ctx, m, schedule.Override{State: schedule.StateClosed, By: "s"}), "until"},
		{"a switch by nobody", setOverride(ctx, m, schedule.Override{State: schedule.StateClosed, Until: at(t, "2026-11-24 08:00")}), "by"},
	} {
		var fe *schedule.FieldError
		if !errors.As(tc.err, &fe) || fe.Field != tc.field {
			t.Errorf("%s: %v, want an error naming %s", tc.name, tc.err, tc.field)
		}
	}
	if err := m.DeleteException(ctx, "2026-12-30", "s"); !errors.Is(err, schedule.ErrNotFound) {
		t.Errorf("remove a date with no exception: %v", err)
	}
	if err := m.ClearOverride(ctx, "s"); !errors.Is(err, schedule.ErrNotFound) {
		t.Errorf("clear with no override: %v", err)
	}
	if got := len(start(t, pool, c).Exceptions()); got != 2 {
		t.Errorf("%d exceptions after refused changes, want the configuration's 2", got)
	}
}

func put(ctx context.Context, m controller, e schedule.Exception) error {
	_, err := m.PutException(ctx, e, "supervisor")
	return err
}

func setOverride(ctx context.Context, m controller, o schedule.Override) error {
	_, err := m.SetOverride(ctx, o)
	return err
}

// Before the database is ready the configuration's schedule applies, and
// changes wait for the database.
func TestBeforeTheDatabaseIsReadyTheConfigurationsScheduleApplies(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := dbtest.NewPool(t)
	c := &clock{now: at(t, "2026-11-23 10:00")}
	first := start(t, pool, c)
	if _, err := first.PutException(ctx, schedule.Exception{Date: "2026-12-31", Closed: true}, "supervisor"); err != nil {
		t.Fatal(err)
	}

	sch := configured(t)
	m := schedule.NewManager(sch, schedulepg.New(pool), c.Now, nil)
	if d := sch.State(at(t, "2026-12-31 10:00")); d.State != schedule.StateOpen {
		t.Errorf("before loading, 31 December: %s by %q, want the configuration's open", d.State, d.Rule)
	}
	if _, err := m.SetOverride(ctx, schedule.Override{State: schedule.StateClosed, Until: at(t, "2026-11-24 08:00"), By: "s"}); !errors.Is(err, schedule.ErrNotLoaded) {
		t.Errorf("a change before loading: %v", err)
	}
	if err := m.Load(ctx); err != nil {
		t.Fatal(err)
	}
	if d := sch.State(at(t, "2026-12-31 10:00")); d.State != schedule.StateClosed {
		t.Errorf("after loading, 31 December: %s by %q, want closed", d.State, d.Rule)
	}
}
