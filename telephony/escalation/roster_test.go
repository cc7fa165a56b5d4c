package escalation_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/slobozhanske/hotline/internal/clock/clocktest"
	"github.com/slobozhanske/hotline/internal/dbtest"
	"github.com/slobozhanske/hotline/telephony/escalation"
	escalationpg "github.com/slobozhanske/hotline/telephony/escalation/pgstore"
)

func kyivTime(t *testing.T, s string) time.Time {
	t.Helper()
	loc, err := time.LoadLocation("Europe/Kyiv")
	if err != nil {
		t.Fatal(err)
	}
	at, err := time.ParseInLocation("2006-01-02 15:04", s, loc)
	if err != nil {
		t.Fatal(err)
	}
	return at
}

// Who is phoned at an instant: the most specific dated shift covering it,
// else the standing chain.
func TestWhoIsOnDuty(t *testing.T) {
	t.Parallel()
	night := func(p escalation.Person, from, to string) escalation.Shift {
		return escalation.Shift{From: kyivTime(t, from), To: kyivTime(t, to), People: []escalation.Person{p}}
	}
	standing := escalation.Shift{ID: 1, People: []escalation.Person{dispatcher, head}}
	week := night(escalation.Person{Name: "Тижневий черговий", Phone: "PJSIP/duty2"}, "2026-12-28 17:00", "2027-01-04 07:00")
	week.ID = 2
	newYear := night(escalation.Person{Name: "Новорічний черговий", Phone: "0661234567"}, "2026-12-31 17:00", "2027-01-01 07:00")
	newYear.ID = 3
	from := escalation.Shift{ID: 4, From: kyivTime(t, "2027-02-01 00:00"), People: []escalation.Person{head}}
	shifts := []escalation.Shift{standing, week, newYear, from}

	for _, tc := range []struct {
		at   string
		want int64
	}{
		{"2026-12-27 23:00", 1}, // before any dated shift: the standing chain
		{"2026-12-28 17:00", 2}, // the week's shift starts at 17:00
		{"2026-12-28 16:59", 1},
		{"2026-12-31 23:00", 3}, // New Year's Eve: the substitute inside the week
		{"2027-01-01 07:00", 2}, // the substitute's night is over: the week again
		{"2027-01-04 07:00", 1}, // the week is over
		{"2027-03-01 02:00", 4}, // open-ended shift
	} {
		s, ok := onDutyAt(t, shifts, kyivTime(t, tc.at))
		if !ok || s.ID != tc.want {
			t.Errorf("%s: shift %d on duty (found %v), want %d", tc.at, s.ID, ok, tc.want)
		}
	}
	if _, ok := onDutyAt(t, []escalation.Shift{newYear}, kyivTime(t, "2026-12-30 23:00")); ok {
		t.Error("someone is on duty outside every shift and with no standing chain")
	}
}

func onDutyAt(t *testing.T, shifts []escalation.Shift, at time.Time) (escalation.Shift, bool) {
	t.Helper()
	d, err := escalation.LoadDuty(context.Background(), memRoster(shifts), nil, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	return d.OnDuty(at)
}

// memRoster is a RosterStore that only loads.
type memRoster []escalation.Shift

func (m memRoster) LoadRoster(context.Context, []escalation.Shift, time.Time) ([]escalation.Shift, bool, error) {
	return m, false, nil
}
func (memRoster) ReplaceRoster(context.Context, []escalation.Shift, string, time.Time) ([]escalation.Shift, error) {
	return nil, errors.New("read only")
}
func (memRoster) CreateShift(context.Context, escalation.Shift, string, time.Time) (escalation.Shift, error) {
	return escalation.Shift{}, errors.New("read only")
}
func (memRoster) UpdateShift(context.Context, escalation.Shift, string, time.Time) (escalation.Shift, error) {
	return escalation.Shift{}, errors.New("read only")
}
func (memRoster) DeleteShift(context.Context, int64, string, time.Time) error {
	return errors.New("read only")
}

func TestARosterThatCannotBeUsedIsRefusedNamingTheField(t *testing.T) {
	t.Parallel()
	at := kyivTime(t, "2026-12-31 17:00")
	for _, tc := range []struct {
		name   string
		shifts []escalation.Shift
		field  string
	}{
		{"nobody in the chain", []escalation.Shift{{}}, "shifts[0].people"},
		{"a person without a name", []escalation.Shift{{People: []escalation.Person{{Phone: "PJSIP/duty1"}}}}, "shifts[0].people[0].name"},
		{"a phone that is neither", []escalation.Shift{{People: []escalation.Person{{Name: "X", Phone: "call me"}}}}, "shifts[0].people[0].phone"},
		{"a period that ends before it starts", []escalation.Shift{{From: at, To: at.Add(-time.Hour), People: []escalation.Person{dispatcher}}}, "shifts[0].to"},
		{"two standing chains", []escalation.Shift{{People: []escalation.Person{dispatcher}}, {People: []escalation.Person{head}}}, "shifts[1].from"},
	} {
		err := escalation.ValidateRoster(tc.shifts)
		var fe *escalation.FieldError
		if !errors.As(err, &fe) || fe.Field != tc.field {
			t.Errorf("%s: %v, want an error naming %s", tc.name, err, tc.field)
		}
	}
	if _, err := escalation.ParseShift("31.12.2026", "", []escalation.Person{dispatcher}); err == nil {
		t.Error("a from that is not RFC 3339 was accepted")
	}
	s, err := escalation.ParseShift("2026-12-31T17:00:00+02:00", "2027-01-01T07:00:00+02:00", []escalation.Person{dispatcher, head})
	if err != nil || !s.From.Equal(at) || len(s.People) != 2 {
		t.Errorf("ParseShift: %+v, %v", s, err)
	}
}

// The configuration's roster is stored once; edits through the API are kept
// across restarts and the configuration no longer applies.
func TestTheRosterIsSeededFromTheConfigurationOnceAndEditsAreKept(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	store := escalationpg.New(dbtest.NewPool(t))
	clock := clocktest.New(kyivTime(t, "2026-12-01 10:00"))
	config := []escalation.Shift{{People: []escalation.Person{dispatcher, head}}}

	d, err := escalation.LoadDuty(ctx, store, config, clock, logger())
	if err != nil {
		t.Fatal(err)
	}
	if got := d.Shifts(); len(got) != 1 || got[0].ID == 0 || len(got[0].People) != 2 {
		t.Fatalf("seeded roster %+v", got)
	}
	eve, err := d.Create(ctx, escalation.Shift{From: kyivTime(t, "2026-12-31 17:00"), To: kyivTime(t, "2027-01-01 07:00"),
		People: []escalation.Person{{Name: "Новорічний черговий", Phone: "+380661234567"}}}, "supervisor")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.Create(ctx, escalation.Shift{People: []escalation.Person{head}}, "supervisor"); err == nil {
		t.Fatal("a second standing chain was accepted")
	}
	standing := d.Shifts()[0]
	standing.People = []escalation.Person{head, dispatcher}
	if _, err := d.Update(ctx, standing, "supervisor"); err != nil {
		t.Fatal(err)
	}
	if err := d.Delete(ctx, 999999, "supervisor"); !errors.Is(err, escalation.ErrShiftNotFound) {
		t.Errorf("delete an unknown shift: %v", err)
	}

	// A restart with another roster in the configuration: the stored one applies.
	other := []escalation.Shift{{People: []escalation.Person{{Name: "Інший", Phone: "PJSIP/duty9"}}}}
	d2, err := escalation.LoadDuty(ctx, store, other, clock, logger())
	if err != nil {
		t.Fatal(err)
	}
	got := d2.Shifts()
	if len(got) != 2 || got[0].People[0] != head || got[1].ID != eve.ID || got[1].People[0].Phone != "+380661234567" {
		t.Fatalf("roster after the restart %+v", got)
	}
	if s, _ := d2.OnDuty(kyivTime(t, "2026-12-31 23:00")); s.ID != eve.ID {
		t.Errorf("on New Year's Eve shift %d is on duty, want %d", s.ID, eve.ID)
	}

	replaced, err := d2.Replace(ctx, []escalation.Shift{{People: []escalation.Person{dispatcher}}}, "admin")
	if err != nil || len(replaced) != 1 {
		t.Fatalf("replace: %+v %v", replaced, err)
	}
	d3, err := escalation.LoadDuty(ctx, store, config, clock, logger())
	if err != nil {
		t.Fatal(err)
	}
	if got := d3.Shifts(); len(got) != 1 || len(got[0].People) != 1 || got[0].People[0] != dispatcher {
		t.Errorf("roster after replace and restart %+v", got)
	}
}

// Before the database is ready (migrations run in the background) the
// configuration's roster answers, and changes wait for the database.
func TestBeforeTheDatabaseIsReadyTheConfigurationsRosterAnswers(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	store := escalationpg.New(dbtest.NewPool(t))
	d, err := escalation.NewDuty(store, []escalation.Shift{{People: []escalation.Person{dispatcher}}}, nil, logger())
	if err != nil {
		t.Fatal(err)
	}
	if s, ok := d.OnDuty(night); !ok || s.People[0] != dispatcher {
		t.Fatalf("on duty before loading: %+v %v", s, ok)
	}
	if _, err := d.Create(ctx, escalation.Shift{From: night, People: []escalation.Person{head}}, "supervisor"); !errors.Is(err, escalation.ErrRosterNotLoaded) {
		t.Fatalf("a change before loading: %v", err)
	}
	if err := d.Load(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Create(ctx, escalation.Shift{From: night, People: []escalation.Person{head}}, "supervisor"); err != nil {
		t.Fatal(err)
	}
	if s, _ := d.OnDuty(night); s.People[0] != head {
		t.Errorf("on duty after the change: %+v", s)
	}
}
