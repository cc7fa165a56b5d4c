package escalation

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

var (
	endpointPattern = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9]*/[^\s,/]+$`)
	numberPattern   = regexp.MustCompile(`^\+?[0-9]{2,20}$`)
)

const maxName = 100

// IsEndpoint reports whether phone is an Asterisk endpoint (PJSIP/duty1)
// rather than a number dialled through the trunk.
func IsEndpoint(phone string) bool { return strings.Contains(phone, "/") }

// CheckPhone says whether phone is a SIP endpoint or a number.
func CheckPhone(phone string) error {
	switch {
	case phone == "":
		return fmt.Errorf("is required")
	case IsEndpoint(phone):
		if !endpointPattern.MatchString(phone) {
			return fmt.Errorf("%q: want an endpoint such as PJSIP/duty1", phone)
		}
	case !numberPattern.MatchString(phone):
		return fmt.Errorf("%q: want a SIP endpoint such as PJSIP/duty1 or a phone number such as 0501234567", phone)
	}
	return nil
}

// ValidateShift checks one shift; a *FieldError names the field under prefix
// ("" or "shifts[2].").
func ValidateShift(s Shift, prefix string) error {
	var errs []error
	if !s.From.IsZero() && !s.To.IsZero() && !s.From.Before(s.To) {
		errs = append(errs, invalid(prefix+"to", "must be after from (%s)", s.From.Format(time.RFC3339)))
	}
	if len(s.People) == 0 {
		errs = append(errs, invalid(prefix+"people", "at least one person is required"))
	}
	for i, p := range s.People {
		f := fmt.Sprintf("%speople[%d].", prefix, i)
		name := strings.TrimSpace(p.Name)
		switch {
		case name == "":
			errs = append(errs, invalid(f+"name", "is required"))
		case utf8.RuneCountInString(name) > maxName:
			errs = append(errs, invalid(f+"name", "at most %d characters", maxName))
		}
		if err := CheckPhone(p.Phone); err != nil {
			errs = append(errs, invalid(f+"phone", "%s", err.Error()))
		}
	}
	return errors.Join(errs...)
}

// ValidateRoster checks every shift and that there is at most one standing chain.
func ValidateRoster(shifts []Shift) error {
	standing := -1
	for i, s := range shifts {
		prefix := fmt.Sprintf("shifts[%d].", i)
		if err := ValidateShift(s, prefix); err != nil {
			return err
		}
		if s.Standing() {
			if standing >= 0 {
				return invalid(prefix+"from", "shifts[%d] is already the standing chain (no from and to); give this one a period", standing)
			}
			standing = i
		}
	}
	return nil
}

// ParseShift builds a shift from the configuration's strings: from and to
// are RFC 3339 instants or empty.
func ParseShift(from, to string, people []Person) (Shift, error) {
	var s Shift
	var errFrom, errTo error
	if s.From, errFrom = parseInstant(from); errFrom != nil {
		errFrom = invalid("from", "%s", errFrom.Error())
	}
	if s.To, errTo = parseInstant(to); errTo != nil {
		errTo = invalid("to", "%s", errTo.Error())
	}
	s.People = slices.Clone(people)
	if err := errors.Join(errFrom, errTo, ValidateShift(s, "")); err != nil {
		return Shift{}, err
	}
	return s, nil
}

func parseInstant(v string) (time.Time, error) {
	if strings.TrimSpace(v) == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q: want an RFC 3339 instant such as 2026-12-31T17:00:00+02:00, or empty", v)
	}
	return t, nil
}

// onDuty picks the shift on duty at the instant: of the dated shifts that
// cover it the most specific — the one that started last, then the one that
// ends first, then the newest — so a one-night substitution inside a
// week-long shift wins for its night; the standing chain when no dated
// shift covers the instant.
func onDuty(shifts []Shift, at time.Time) (Shift, bool) {
	var best, standing *Shift
	for i := range shifts {
		s := &shifts[i]
		if s.Standing() {
			standing = s
			continue
		}
		if !s.Covers(at) {
			continue
		}
		if best == nil || moreSpecific(s, best) {
			best = s
		}
	}
	switch {
	case best != nil:
		return best.clone(), true
	case standing != nil:
		return standing.clone(), true
	}
	return Shift{}, false
}

func moreSpecific(a, b *Shift) bool {
	if c := a.From.Compare(b.From); c != 0 {
		return c > 0
	}
	end := func(s *Shift) time.Time {
		if s.To.IsZero() {
			return time.Unix(1<<40, 0)
		}
		return s.To
	}
	if c := end(a).Compare(end(b)); c != 0 {
		return c < 0
	}
	return a.ID > b.ID
}

// RosterStore keeps the duty roster.
type RosterStore interface {
	// LoadRoster returns the stored roster. The first time, when no roster
	// was ever stored, it stores seed (the configuration's) and returns it
	// with seeded true.
	LoadRoster(ctx context.Context, seed []Shift, at time.Time) (shifts []Shift, seeded bool, err error)
	// ReplaceRoster replaces every shift.
	ReplaceRoster(ctx context.Context, shifts []Shift, by string, at time.Time) ([]Shift, error)
	// CreateShift adds a shift and returns it with its id.
	CreateShift(ctx context.Context, s Shift, by string, at time.Time) (Shift, error)
	// UpdateShift changes the shift of s.ID; ErrShiftNotFound if there is none.
	UpdateShift(ctx context.Context, s Shift, by string, at time.Time) (Shift, error)
	// DeleteShift removes a shift; ErrShiftNotFound if there is none.
	DeleteShift(ctx context.Context, id int64, by string, at time.Time) error
}

// Duty is the duty roster: loaded from the store (Load), changed through
// it (the store first, then the roster in memory), asked by the engine who
// is on duty at the start of every round. Until Load succeeds it answers
// from the configuration's roster and refuses changes (ErrRosterNotLoaded).
// Safe for concurrent use.
type Duty struct {
	store RosterStore
	clock Clock
	log   *slog.Logger
	seed  []Shift

	edit sync.Mutex // serialises changes and loading: check, store, apply

	mu     sync.RWMutex
	shifts []Shift
	loaded bool
}

// ErrRosterNotLoaded: the roster is not loaded from the database yet (it is
// still being migrated or is away); changes are refused until it is.
var ErrRosterNotLoaded = errors.New("the duty roster is not loaded from the database yet")

// NewDuty checks the configuration's roster and answers from it until Load.
// It does no I/O, so the server can start before the database is migrated.
func NewDuty(store RosterStore, seed []Shift, clock Clock, log *slog.Logger) (*Duty, error) {
	if clock == nil {
		clock = SystemClock()
	}
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if err := ValidateRoster(seed); err != nil {
		return nil, fmt.Errorf("duty roster from the configuration: %w", err)
	}
	seed = slices.Clone(seed)
	for i := range seed {
		seed[i] = seed[i].clone()
	}
	return &Duty{store: store, clock: clock, log: log, seed: seed, shifts: seed}, nil
}

// Load reads the roster from the store. The first time, it stores the
// configuration's roster there; afterwards edits go through the API and the
// configuration's roster is ignored (a warning says so when it differs).
func (d *Duty) Load(ctx context.Context) error {
	d.edit.Lock()
	defer d.edit.Unlock()
	shifts, seeded, err := d.store.LoadRoster(ctx, d.seed, d.clock.Now())
	if err != nil {
		return fmt.Errorf("load the duty roster: %w", err)
	}
	if seeded {
		d.log.Info("duty roster stored from the configuration", "shifts", len(shifts))
	} else if !sameShifts(d.seed, shifts) {
		d.log.Warn("the duty roster in the configuration differs from the one in the database, which was edited through the API; the database's applies", "configured", len(d.seed), "stored", len(shifts))
	}
	d.mu.Lock()
	d.shifts, d.loaded = shifts, true
	d.mu.Unlock()
	return nil
}

// LoadDuty is NewDuty and Load.
func LoadDuty(ctx context.Context, store RosterStore, seed []Shift, clock Clock, log *slog.Logger) (*Duty, error) {
	d, err := NewDuty(store, seed, clock, log)
	if err != nil {
		return nil, err
	}
	if err := d.Load(ctx); err != nil {
		return nil, err
	}
	return d, nil
}

// Loaded reports whether the roster was loaded from the store.
func (d *Duty) Loaded() bool {
	d.mu.RLock()
	defer d.mu.RUnlock()
	return d.loaded
}

func sameShifts(a, b []Shift) bool {
	return slices.EqualFunc(a, b, func(x, y Shift) bool {
		return x.From.Equal(y.From) && x.To.Equal(y.To) && slices.Equal(x.People, y.People)
	})
}

// OnDuty is the shift on duty at the instant; false when nobody is.
func (d *Duty) OnDuty(at time.Time) (Shift, bool) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	return onDuty(d.shifts, at)
}

// Shifts returns a copy of the roster: dated shifts by start, the standing chain first.
func (d *Duty) Shifts() []Shift {
	d.mu.RLock()
	defer d.mu.RUnlock()
	out := make([]Shift, len(d.shifts))
	for i, s := range d.shifts {
		out[i] = s.clone()
	}
	slices.SortStableFunc(out, func(a, b Shift) int {
		return cmp.Or(a.From.Compare(b.From), a.To.Compare(b.To), cmp.Compare(a.ID, b.ID))
	})
	return out
}

// Shift returns one shift by id.
func (d *Duty) Shift(id int64) (Shift, bool) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	for _, s := range d.shifts {
		if s.ID == id {
			return s.clone(), true
		}
	}
	return Shift{}, false
}

func (d *Duty) set(shifts []Shift) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.shifts = shifts
}

// Replace replaces the whole roster.
func (d *Duty) Replace(ctx context.Context, shifts []Shift, by string) ([]Shift, error) {
	if err := ValidateRoster(shifts); err != nil {
		return nil, err
	}
	d.edit.Lock()
	defer d.edit.Unlock()
	if !d.Loaded() {
		return nil, ErrRosterNotLoaded
	}
	stored, err := d.store.ReplaceRoster(ctx, shifts, by, d.clock.Now())
	if err != nil {
		return nil, fmt.Errorf("replace the duty roster: %w", err)
	}
	d.set(stored)
	return d.Shifts(), nil
}

// Create adds a shift.
func (d *Duty) Create(ctx context.Context, s Shift, by string) (Shift, error) {
	if err := ValidateShift(s, ""); err != nil {
		return Shift{}, err
	}
	d.edit.Lock()
	defer d.edit.Unlock()
	if !d.Loaded() {
		return Shift{}, ErrRosterNotLoaded
	}
	if err := d.checkStanding(s); err != nil {
		return Shift{}, err
	}
	stored, err := d.store.CreateShift(ctx, s, by, d.clock.Now())
	if err != nil {
		return Shift{}, fmt.Errorf("add a duty shift: %w", err)
	}
	d.set(append(d.Shifts(), stored))
	return stored.clone(), nil
}

// Update changes the shift s.ID.
func (d *Duty) Update(ctx context.Context, s Shift, by string) (Shift, error) {
	if err := ValidateShift(s, ""); err != nil {
		return Shift{}, err
	}
	d.edit.Lock()
	defer d.edit.Unlock()
	if !d.Loaded() {
		return Shift{}, ErrRosterNotLoaded
	}
	if _, ok := d.Shift(s.ID); !ok {
		return Shift{}, ErrShiftNotFound
	}
	if err := d.checkStanding(s); err != nil {
		return Shift{}, err
	}
	stored, err := d.store.UpdateShift(ctx, s, by, d.clock.Now())
	if err != nil {
		return Shift{}, fmt.Errorf("change duty shift %d: %w", s.ID, err)
	}
	shifts := d.Shifts()
	for i := range shifts {
		if shifts[i].ID == stored.ID {
			shifts[i] = stored
		}
	}
	d.set(shifts)
	return stored.clone(), nil
}

// Delete removes a shift.
func (d *Duty) Delete(ctx context.Context, id int64, by string) error {
	d.edit.Lock()
	defer d.edit.Unlock()
	if !d.Loaded() {
		return ErrRosterNotLoaded
	}
	if _, ok := d.Shift(id); !ok {
		return ErrShiftNotFound
	}
	if err := d.store.DeleteShift(ctx, id, by, d.clock.Now()); err != nil {
		return fmt.Errorf("remove duty shift %d: %w", id, err)
	}
	d.set(slices.DeleteFunc(d.Shifts(), func(s Shift) bool { return s.ID == id }))
	return nil
}

// checkStanding refuses a second standing chain.
func (d *Duty) checkStanding(s Shift) error {
	if !s.Standing() {
		return nil
	}
	for _, o := range d.Shifts() {
		if o.Standing() && o.ID != s.ID {
			return invalid("from", "shift %d is already the standing chain (no from and to); change it, or give this shift a period", o.ID)
		}
	}
	return nil
}
