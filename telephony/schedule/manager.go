package schedule

// Changes at run time. Supervisors change the running schedule's dated
// exceptions and its day/night switch (the override) through the API; the
// Manager keeps them in a Store and applies them, the database first, then
// the schedule: at start (Load) and on every change.
//
// The configuration's exceptions stay the base: a stored exception replaces
// the configuration's of the same date or adds a date, and a stored removal
// takes the configuration's away (so it does not come back at the next
// start). The override in force is the latest one set, unless cleared, until
// its end instant; every setting is kept as a record of who flipped the
// switch and why.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/slobozhanske/hotline/internal/fielderr"
)

// Sources of an exception.
const (
	SourceConfig = "config" // config/hotline.yaml
	SourceAPI    = "api"    // set through the API (stored)
)

// Store keeps what supervisors change at run time: dated exceptions (and
// their removals) and every setting of the day/night switch
// (telephony/schedule/pgstore).
type Store interface {
	SaveException(ctx context.Context, e Exception, by string, at time.Time) error
	DeleteException(ctx context.Context, date, by string, at time.Time) error
	Exceptions(ctx context.Context) ([]ExceptionRow, error)
	SetOverride(ctx context.Context, o Override, at time.Time) (int64, error)
	ClearOverride(ctx context.Context, by string, at time.Time) (bool, error)
	CurrentOverride(ctx context.Context, at time.Time) (OverrideRow, bool, error)
	Overrides(ctx context.Context, limit int) ([]OverrideRow, error)
}

// ExceptionRow is an exception stored through the API, or the mark that the
// date's exception was removed.
type ExceptionRow struct {
	Exception
	Deleted   bool
	UpdatedBy string
	UpdatedAt time.Time
}

// OverrideRow is one setting of the day/night switch.
type OverrideRow struct {
	ID int64
	Override
	SetAt     time.Time
	ClearedBy string
	ClearedAt time.Time // zero while not cleared
}

// ErrNotFound: no exception for the date, or no override in force.
var ErrNotFound = errors.New("not found")

// ExceptionInfo is an exception in force and where it comes from.
type ExceptionInfo struct {
	Exception
	Source    string
	UpdatedBy string    // for SourceAPI
	UpdatedAt time.Time // for SourceAPI
}

// FieldError is a change that cannot be accepted, naming the field.
type FieldError = fielderr.Error

func invalid(field, format string, args ...any) error { return fielderr.New(field, format, args...) }

// Manager changes the running schedule's exceptions and override: each
// change is checked, stored, then applied. Until Load succeeds the schedule
// has the configuration's rules only and changes are refused
// (ErrNotLoaded). Safe for concurrent use.
type Manager struct {
	sch    *Schedule
	store  Store
	now    func() time.Time
	log    *slog.Logger
	config []Exception // the configuration's exceptions

	mu       sync.Mutex
	loaded   bool
	rows     map[string]ExceptionRow // stored rows by date
	override OverrideRow             // the last one applied (zero ID: none)
}

// ErrNotLoaded: the stored changes are not loaded yet (the database is still
// being migrated or is away); changes are refused until they are.
var ErrNotLoaded = errors.New("the schedule's stored changes are not loaded from the database yet")

// NewManager manages sch, which must be freshly built from the configuration
// (its exceptions are taken as the configuration's). It does no I/O. now is
// the clock (nil: time.Now).
func NewManager(sch *Schedule, store Store, now func() time.Time, log *slog.Logger) *Manager {
	if now == nil {
		now = time.Now
	}
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return &Manager{sch: sch, store: store, now: now, log: log, config: sch.Exceptions(), rows: map[string]ExceptionRow{}}
}

// Load applies the stored exceptions and the override in force to the
//
//	A stored exception that no longer fits is skipped with a
//
// warning rather than failing the start. Loading again re-reads the database.
func (m *Manager) Load(ctx context.Context) error {
	stored, err := m.store.Exceptions(ctx)
	if err != nil {
		return err
	}
	cur, hasOverride, err := m.store.CurrentOverride(ctx, m.now())
	if err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.rows = map[string]ExceptionRow{}
	for _, r := range stored {
		if err := m.check(m.merged(r)); err != nil {
			m.log.Warn("a stored schedule exception no longer fits; it is left out", "date", r.Date, "err", err)
			continue
		}
		m.rows[r.Date] = r
	}
	if err := m.sch.SetExceptions(m.merged()); err != nil {
		return fmt.Errorf("apply the stored schedule exceptions: %w", err)
	}
	m.override = OverrideRow{}
	m.sch.ClearOverride()
	if hasOverride {
		if err := m.sch.SetOverride(cur.Override); err != nil {
			m.log.Warn("the stored schedule override cannot be applied", "err", err)
		} else {
			m.override = cur
			m.log.Info("schedule override in force", "state", cur.State, "until", cur.Until, "by", cur.By, "reason", cur.Reason)
		}
	}
	if len(m.rows) > 0 {
		m.log.Info("schedule exceptions from the database applied", "stored", len(m.rows), "in_force", len(m.sch.Exceptions()))
	}
	m.loaded = true
	return nil
}

// Load is NewManager and Load.
func Load(ctx context.Context, sch *Schedule, store Store, now func() time.Time, log *slog.Logger) (*Manager, error) {
	m := NewManager(sch, store, now, log)
	if err := m.Load(ctx); err != nil {
		return nil, err
	}
	return m, nil
}

// merged is the configuration's exceptions with the stored rows (and extra) applied.
func (m *Manager) merged(extra ...ExceptionRow) []Exception {
	rows := maps.Clone(m.rows)
	for _, r := range extra {
		rows[r.Date] = r
	}
	var out []Exception
	for _, e := range m.config {
		if _, ok := rows[e.Date]; !ok {
			out = append(out, e)
		}
	}
	for _, r := range rows {
		if !r.Deleted {
			out = append(out, r.Exception)
		}
	}
	slices.SortFunc(out, func(a, b Exception) int { return strings.Compare(a.Date, b.Date) })
	return out
}

// check validates a whole set of exceptions as the schedule would.
func (m *Manager) check(excs []Exception) error {
	_, err := New(Config{TimeZone: m.sch.Location().String(), Exceptions: excs})
	return err
}

// Exceptions lists the exceptions in force, by date.
func (m *Manager) Exceptions() []ExceptionInfo {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []ExceptionInfo
	for _, e := range m.sch.Exceptions() {
		info := ExceptionInfo{Exception: e, Source: SourceConfig}
		if r, ok := m.rows[e.Date]; ok {
			info.Source, info.UpdatedBy, info.UpdatedAt = SourceAPI, r.UpdatedBy, r.UpdatedAt
		}
		out = append(out, info)
	}
	return out
}

// Exception returns the exception in force for a date.
func (m *Manager) Exception(date string) (ExceptionInfo, bool) {
	for _, e := range m.Exceptions() {
		if e.Date == date {
			return e, true
		}
	}
	return ExceptionInfo{}, false
}

// PutException adds or replaces the exception of its date.
func (m *Manager) PutException(ctx context.Context, e Exception, by string) (ExceptionInfo, error) {
	e.Name = strings.TrimSpace(e.Name)
	if err := CheckException(e); err != nil {
		return ExceptionInfo{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if !m.loaded {
		return ExceptionInfo{}, ErrNotLoaded
	}
	row := ExceptionRow{Exception: e, UpdatedBy: by, UpdatedAt: m.now()}
	candidate := m.merged(row)
	if err := m.check(candidate); err != nil {
		// CheckException passed and the merge replaces the date's old
		// exception, so nothing in the body is wrong: not a 400.
		return ExceptionInfo{}, fmt.Errorf("exception %s does not fit the others in force: %s", e.Date, err)
	}
	if err := m.store.SaveException(ctx, e, by, row.UpdatedAt); err != nil {
		return ExceptionInfo{}, err
	}
	if err := m.sch.SetExceptions(candidate); err != nil {
		return ExceptionInfo{}, fmt.Errorf("apply exception %s: %w", e.Date, err)
	}
	m.rows[e.Date] = row
	m.log.Info("schedule exception set", "date", e.Date, "name", e.Name, "closed", e.Closed, "by", by)
	return ExceptionInfo{Exception: e, Source: SourceAPI, UpdatedBy: by, UpdatedAt: row.UpdatedAt}, nil
}

// DeleteException removes the exception of a date (the configuration's too);
// ErrNotFound when there is none.
func (m *Manager) DeleteException(ctx context.Context, date, by string) error {
	if _, err := time.Parse(time.DateOnly, date); err != nil {
		return invalid("date", "%q: want YYYY-MM-DD, a real date", date)
	}
	if _, ok := m.Exception(date); !ok {
		return fmt.Errorf("exception %s: %w", date, ErrNotFound)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if !m.loaded {
		return ErrNotLoaded
	}
	row := ExceptionRow{Exception: Exception{Date: date}, Deleted: true, UpdatedBy: by, UpdatedAt: m.now()}
	if err := m.store.DeleteException(ctx, date, by, row.UpdatedAt); err != nil {
		return err
	}
	candidate := m.merged(row)
	if err := m.sch.SetExceptions(candidate); err != nil {
		return fmt.Errorf("apply the removal of exception %s: %w", date, err)
	}
	m.rows[date] = row
	m.log.Info("schedule exception removed", "date", date, "by", by)
	return nil
}

// Override is the override in force now, with when it was set.
func (m *Manager) Override() (OverrideRow, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	o, ok := m.sch.Override(m.now())
	if !ok || m.override.ID == 0 {
		return OverrideRow{}, false
	}
	row := m.override
	row.Override = o
	return row, true
}

// SetOverride flips the day/night switch: state open or closed until the
// instant. It must say who sets it.
func (m *Manager) SetOverride(ctx context.Context, o Override) (OverrideRow, error) {
	o.Reason = strings.TrimSpace(o.Reason)
	now := m.now()
	switch {
	case o.State != StateOpen && o.State != StateClosed:
		return OverrideRow{}, invalid("state", "%q: want open or closed", o.State)
	case o.Until.IsZero():
		return OverrideRow{}, invalid("until", "the instant the rules apply again is required")
	case !o.Until.After(now):
		return OverrideRow{}, invalid("until", "%s is not in the future", o.Until.Format(time.RFC3339))
	case strings.TrimSpace(o.By) == "":
		return OverrideRow{}, invalid("by", "who sets it is required")
	case utf8.RuneCountInString(o.Reason) > maxReason:
		return OverrideRow{}, invalid("reason", "at most %d characters", maxReason)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if !m.loaded {
		return OverrideRow{}, ErrNotLoaded
	}
	id, err := m.store.SetOverride(ctx, o, now)
	if err != nil {
		return OverrideRow{}, err
	}
	if err := m.sch.SetOverride(o); err != nil {
		return OverrideRow{}, fmt.Errorf("apply the override: %w", err)
	}
	m.override = OverrideRow{ID: id, Override: o, SetAt: now}
	m.log.Warn("schedule override set", "state", o.State, "until", o.Until, "by", o.By, "reason", o.Reason)
	return m.override, nil
}

// ClearOverride sets the switch back to the rules; ErrNotFound when no
// override is in force.
func (m *Manager) ClearOverride(ctx context.Context, by string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if !m.loaded {
		return ErrNotLoaded
	}
	now := m.now()
	cleared, err := m.store.ClearOverride(ctx, by, now)
	if err != nil {
		return err
	}
	_, inForce := m.sch.Override(now)
	m.sch.ClearOverride()
	m.override = OverrideRow{}
	if !cleared && !inForce {
		return fmt.Errorf("override: %w", ErrNotFound)
	}
	m.log.Warn("schedule override cleared", "by", by)
	return nil
}

// History lists the latest settings of the switch, newest first.
func (m *Manager) History(ctx context.Context, limit int) ([]OverrideRow, error) {
	return m.store.Overrides(ctx, limit)
}

// Schedule is the running
func (m *Manager) Schedule() *Schedule { return m.sch }
