// Package apptest holds what the appeals tests share: the community's
// working calendar written simply, a clock the test moves, a classifier like
// config/hotline.yaml's, and a service over a fresh PostgreSQL database.
package apptest

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/slobozhanske/hotline/appeals"
	"github.com/slobozhanske/hotline/appeals/pgstore"
	"github.com/slobozhanske/hotline/internal/dbtest"
	"github.com/slobozhanske/hotline/internal/store"
)

// Kyiv is the community's time zone.
var Kyiv = mustLoad("Europe/Kyiv")

func mustLoad(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err) // test helper: the zone database is part of the test machine
	}
	return loc
}

// At is a wall-clock time in Kyiv.
func At(year int, month time.Month, day, hour, min int) time.Time {
	return time.Date(year, month, day, hour, min, 0, 0, Kyiv)
}

// Calendar is the community's hours (statute, 3.1): Mon–Thu 08:00–17:00,
// Fri 08:00–15:45, lunch 12:00–12:45, closed on weekends and Holidays
// ("2026-12-25"). It implements appeals.WorkingCalendar.
type Calendar struct {
	Holidays map[string]bool
}

type span struct{ from, to time.Duration } // since midnight

func (c Calendar) day(t time.Time) []span {
	if c.Holidays[t.Format("2006-01-02")] {
		return nil
	}
	h := func(hh, mm int) time.Duration { return time.Duration(hh)*time.Hour + time.Duration(mm)*time.Minute }
	switch t.Weekday() {
	case time.Monday, time.Tuesday, time.Wednesday, time.Thursday:
		return []span{{h(8, 0), h(12, 0)}, {h(12, 45), h(17, 0)}}
	case time.Friday:
		return []span{{h(8, 0), h(12, 0)}, {h(12, 45), h(15, 45)}}
	}
	return nil
}

// AddWorkingTime walks forward through working spans until d is used up.
func (c Calendar) AddWorkingTime(start time.Time, d time.Duration) time.Time {
	t := start.In(Kyiv)
	for days := 0; d > 0 && days < 3660; days++ {
		midnight := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, Kyiv)
		for _, s := range c.day(t) {
			from, to := midnight.Add(s.from), midnight.Add(s.to)
			if !t.Before(to) {
				continue
			}
			if t.Before(from) {
				t = from
			}
			if avail := to.Sub(t); d <= avail {
				return t.Add(d)
			} else {
				d -= avail
				t = to
			}
		}
		t = time.Date(t.Year(), t.Month(), t.Day()+1, 0, 0, 0, 0, Kyiv)
	}
	return t
}

// Clock is a clock the test sets and moves; safe for concurrent use.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock starts a clock at t.
func NewClock(t time.Time) *Clock { return &Clock{t: t} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Set moves the clock to t.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

// Advance moves the clock by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// Config is the community's configuration as in config/hotline.yaml.
func Config() appeals.Config {
	cfg := appeals.DefaultConfig()
	cfg.Executors = []appeals.Executor{
		{Code: "vodokanal", Title: "КП «Водоканал»"},
		{Code: "teplo", Title: "КП «Тепломережа»"},
		{Code: "blago", Title: "КП «Благоустрій»"},
		{Code: "zhkg", Title: "Відділ житлово-комунального господарства"},
		{Code: "admin", Title: "Виконавчий комітет"},
	}
	cfg.Categories = []appeals.Category{
		{Code: "water", Title: "Водопостачання та водовідведення", Prompt: "cat-water", DefaultPriority: appeals.PriorityOrdinary,
			Executor: "vodokanal", ResolveWithin: 72 * time.Hour, TimeBasis: appeals.TimeCalendar, Housing: true},
		{Code: "heating", Title: "Теплопостачання", Prompt: "cat-heating", DefaultPriority: appeals.PriorityOrdinary,
			Executor: "teplo", ResolveWithin: 72 * time.Hour, TimeBasis: appeals.TimeCalendar, Housing: true},
		{Code: "flooding", Title: "Підтоплення", Prompt: "cat-flooding", DefaultPriority: appeals.PrioritySOS,
			Executor: "zhkg", ResolveWithin: 24 * time.Hour, TimeBasis: appeals.TimeCalendar, Housing: true},
		{Code: "roads", Title: "Дороги та безпека руху", Prompt: "cat-roads", DefaultPriority: appeals.PriorityMedium,
			Executor: "blago", ResolveWithin: 240 * time.Hour, TimeBasis: appeals.TimeWorking},
		{Code: "lighting", Title: "Вуличне освітлення", Prompt: "cat-lighting", DefaultPriority: appeals.PriorityOrdinary,
			Executor: "blago", ResolveWithin: 40 * time.Hour, TimeBasis: appeals.TimeWorking},
		{Code: "other", Title: "Інше", Prompt: "cat-other", DefaultPriority: appeals.PriorityLong,
			Executor: "admin", ResolveWithin: 1080 * time.Hour, TimeBasis: appeals.TimeCalendar},
	}
	return cfg
}

// Quiet is a logger that writes nowhere.
func Quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// Env is a service over a fresh database, with its clock and store.
type Env struct {
	Service  *appeals.Service
	Store    *pgstore.Store
	Pool     *pgxpool.Pool
	Clock    *Clock
	Registry *prometheus.Registry
}

// New builds a service over a fresh database with the clock at start;
// edit adjusts the configuration.
func New(tb testing.TB, start time.Time, edit func(*appeals.Config)) *Env {
	tb.Helper()
	return newEnv(tb, dbtest.NewPool(tb), start, edit)
}

// NewWithConns is New over a pool of conns connections, for tests whose
// writers must all be in the database at once (the usual pool has 20).
func NewWithConns(tb testing.TB, conns int32, start time.Time, edit func(*appeals.Config)) *Env {
	tb.Helper()
	pool, err := store.Open(context.Background(), dbtest.NewDatabase(tb), conns)
	if err != nil {
		tb.Fatalf("open test database: %v", err)
	}
	tb.Cleanup(pool.Close)
	return newEnv(tb, pool, start, edit)
}

func newEnv(tb testing.TB, pool *pgxpool.Pool, start time.Time, edit func(*appeals.Config)) *Env {
	tb.Helper()
	st := pgstore.New(pool, Quiet())
	cfg := Config()
	if edit != nil {
		edit(&cfg)
	}
	clock := NewClock(start)
	reg := prometheus.NewRegistry()
	svc, err := appeals.NewService(cfg, appeals.Deps{Repo: st, Calendar: Calendar{}, Now: clock.Now, Registerer: reg, Log: Quiet()})
	if err != nil {
		tb.Fatalf("build appeals service: %v", err)
	}
	return &Env{Service: svc, Store: st, Pool: pool, Clock: clock, Registry: reg}
}

// Actors used by the tests.
var (
	Operator   = appeals.Actor{User: "op101", Role: appeals.RoleOperator}
	Supervisor = appeals.Actor{User: "sup1", Role: appeals.RoleSupervisor}
	Admin      = appeals.Actor{User: "admin1", Role: appeals.RoleAdmin}
	Vodokanal  = appeals.Actor{User: "vk1", Role: appeals.RoleExecutor, Executor: "vodokanal"}
	Blago      = appeals.Actor{User: "bl1", Role: appeals.RoleExecutor, Executor: "blago"}
)

// Named is a complete named appeal in a category.
func Named(category string) appeals.NewCard {
	return appeals.NewCard{
		Person: appeals.Person{Surname: "Шевченко", FirstName: "Олена", Patronymic: "Петрівна",
			Address: "вул. Центральна, 5, кв. 12", ContactPhone: "050 123 45 67", Email: "olena@example.com"},
		Location: "вул. Центральна, 5", Essence: "Тече вода з труби у підвалі будинку.", Category: category,
	}
}

// CountActions counts a history's entries with the action.
func CountActions(h []appeals.HistoryEntry, action string) int {
	n := 0
	for _, e := range h {
		if e.Action == action {
			n++
		}
	}
	return n
}
