package appeals_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/slobozhanske/hotline/appeals"
	"github.com/slobozhanske/hotline/appeals/internal/apptest"
)

func createAt(t *testing.T, env *apptest.Env, at time.Time, in appeals.NewCard) appeals.Card {
	t.Helper()
	env.Clock.Set(at)
	c, err := env.Service.Create(context.Background(), apptest.Operator, in)
	if err != nil {
		t.Fatalf("register appeal: %v", err)
	}
	return c
}

func sameTime(t *testing.T, what string, got, want time.Time) {
	t.Helper()
	if !got.Equal(want) {
		t.Errorf("%s: %s, want %s", what, got.In(apptest.Kyiv).Format("Mon 2006-01-02 15:04"), want.In(apptest.Kyiv).Format("Mon 2006-01-02 15:04"))
	}
}

func TestAcceptanceDeadlines(t *testing.T) {
	env := apptest.New(t, apptest.At(2026, 11, 23, 9, 0), nil)
	sos := func(c appeals.NewCard) appeals.NewCard { c.Priority = appeals.PrioritySOS; return c }

	t.Run("an ordinary card registered Friday 15:00 must be accepted by Monday 09:15 (Friday closes at 15:45)", func(t *testing.T) {
		c := createAt(t, env, apptest.At(2026, 11, 27, 15, 0), apptest.Named("water"))
		sameTime(t, "accept by", c.AcceptBy, apptest.At(2026, 11, 30, 9, 15))
	})
	t.Run("an SOS card registered at 23:10 Saturday must be accepted by 23:40, around the clock", func(t *testing.T) {
		c := createAt(t, env, apptest.At(2026, 11, 28, 23, 10), sos(apptest.Named("water")))
		sameTime(t, "accept by", c.AcceptBy, apptest.At(2026, 11, 28, 23, 40))
	})
	t.Run("the two working hours skip the lunch break", func(t *testing.T) {
		c := createAt(t, env, apptest.At(2026, 11, 23, 11, 30), apptest.Named("water"))
		sameTime(t, "accept by", c.AcceptBy, apptest.At(2026, 11, 23, 14, 15))
	})
	t.Run("a card registered at night is due two hours after the office opens", func(t *testing.T) {
		c := createAt(t, env, apptest.At(2026, 11, 24, 3, 0), apptest.Named("water"))
		sameTime(t, "accept by", c.AcceptBy, apptest.At(2026, 11, 24, 10, 0))
	})
	t.Run("a card held at the contact centre gets its acceptance term when it is sent", func(t *testing.T) {
		held := apptest.New(t, apptest.At(2026, 11, 23, 9, 0), func(c *appeals.Config) { c.HoldOnRegister = true })
		c := createAt(t, held, apptest.At(2026, 11, 23, 9, 0), apptest.Named("water"))
		if c.Status != appeals.StatusRegistered {
			t.Fatalf("status %s, want registered while held", c.Status)
		}
		held.Clock.Set(apptest.At(2026, 11, 23, 16, 0))
		c, err := held.Service.Transition(context.Background(), apptest.Operator, c.ID,
			appeals.TransitionRequest{To: appeals.StatusSentToExecutor, Version: c.Version})
		if err != nil {
			t.Fatal(err)
		}
		sameTime(t, "accept by", c.AcceptBy, apptest.At(2026, 11, 24, 9, 0))
	})
}

func TestResolutionDeadlines(t *testing.T) {
	env := apptest.New(t, apptest.At(2026, 11, 23, 8, 0), func(c *appeals.Config) {
		c.Categories[3].ResolveWithin = 1000 * time.Hour // roads: more working hours than 45 days hold
	})
	t.Run("a calendar-time category is due its term later, nights and weekends included", func(t *testing.T) {
		c := createAt(t, env, apptest.At(2026, 11, 27, 15, 0), apptest.Named("water"))
		sameTime(t, "resolve by", c.ResolveBy, apptest.At(2026, 11, 30, 15, 0))
	})
	t.Run("a working-time category counts only office hours: 40 hours from Monday 08:00 end Friday 15:45", func(t *testing.T) {
		c := createAt(t, env, apptest.At(2026, 11, 23, 8, 0), apptest.Named("lighting"))
		sameTime(t, "resolve by", c.ResolveBy, apptest.At(2026, 11, 27, 15, 45))
	})
	t.Run("no card is due later than 45 days after registration", func(t *testing.T) {
		at := apptest.At(2026, 11, 23, 8, 0)
		c := createAt(t, env, at, apptest.Named("roads"))
		sameTime(t, "resolve by", c.ResolveBy, at.Add(45*24*time.Hour))
		if c.ControlLevel != appeals.ControlI {
			t.Errorf("control level %s, want I", c.ControlLevel)
		}
	})
}

func TestExtensionsAndControlLevels(t *testing.T) {
	ctx := context.Background()
	start := apptest.At(2026, 11, 23, 9, 0)
	env := apptest.New(t, start, nil)
	svc := env.Service

	t.Run("an extension needs a reason and only supervisors grant it", func(t *testing.T) {
		c := createAt(t, env, start, apptest.Named("water"))
		req := appeals.ExtendRequest{ResolveBy: c.ResolveBy.Add(48 * time.Hour), Version: c.Version}
		if _, err := svc.ExtendDeadline(ctx, apptest.Supervisor, c.ID, req); !isField(err, "reason") {
			t.Errorf("no reason: %v, want a validation error on reason", err)
		}
		req.Reason = "потрібна заміна ділянки труби"
		if _, err := svc.ExtendDeadline(ctx, apptest.Operator, c.ID, req); !errors.Is(err, appeals.ErrForbidden) {
			t.Errorf("operator: %v, want forbidden", err)
		}
		if _, err := svc.ExtendDeadline(ctx, apptest.Vodokanal, c.ID, req); !errors.Is(err, appeals.ErrForbidden) {
			t.Errorf("executor: %v, want forbidden", err)
		}
	})

	t.Run("the first extension puts a card under additional control (II), the second under III", func(t *testing.T) {
		c := createAt(t, env, start, apptest.Named("water"))
		c, err := svc.ExtendDeadline(ctx, apptest.Supervisor, c.ID, appeals.ExtendRequest{
			ResolveBy: c.ResolveBy.Add(7 * 24 * time.Hour), Reason: "комісійне обстеження", Version: c.Version})
		if err != nil {
			t.Fatal(err)
		}
		if c.ControlLevel != appeals.ControlII || len(c.Extensions) != 1 || c.Extensions[0].ControlLevel != appeals.ControlII {
			t.Fatalf("after one extension: level %s, extensions %+v; want II", c.ControlLevel, c.Extensions)
		}
		sameTime(t, "initial deadline kept", c.InitialResolveBy, start.Add(72*time.Hour))
		c, err = svc.ExtendDeadline(ctx, apptest.Admin, c.ID, appeals.ExtendRequest{
			ResolveBy: c.ResolveBy.Add(7 * 24 * time.Hour), Reason: "ще не вирішено", Version: c.Version})
		if err != nil {
			t.Fatal(err)
		}
		if c.ControlLevel != appeals.ControlIII || len(c.Extensions) != 2 {
			t.Fatalf("after two extensions: level %s; want III", c.ControlLevel)
		}
		h, _ := svc.History(ctx, apptest.Supervisor, c.ID)
		if n := apptest.CountActions(h, appeals.ActionControlRaised); n != 2 {
			t.Errorf("history has %d control raises, want 2", n)
		}
	})

	t.Run("beyond 45 days only a long-term card may be extended", func(t *testing.T) {
		c := createAt(t, env, start, apptest.Named("water"))
		beyond := start.Add(46 * 24 * time.Hour)
		if _, err := svc.ExtendDeadline(ctx, apptest.Supervisor, c.ID, appeals.ExtendRequest{
			ResolveBy: beyond, Reason: "бюджетне фінансування", Version: c.Version}); !isField(err, "resolve_by") {
			t.Fatalf("ordinary card beyond the cap: %v, want a validation error on resolve_by", err)
		}
		long := apptest.Named("water")
		long.Priority = appeals.PriorityLong
		l := createAt(t, env, start, long)
		l, err := svc.ExtendDeadline(ctx, apptest.Supervisor, l.ID, appeals.ExtendRequest{
			ResolveBy: beyond, Reason: "капітальний ремонт мережі за бюджетні кошти", Version: l.Version})
		if err != nil {
			t.Fatalf("long-term card beyond the cap: %v", err)
		}
		sameTime(t, "resolve by", l.ResolveBy, beyond)
	})

	t.Run("a deadline is only ever moved later", func(t *testing.T) {
		c := createAt(t, env, start, apptest.Named("water"))
		if _, err := svc.ExtendDeadline(ctx, apptest.Supervisor, c.ID, appeals.ExtendRequest{
			ResolveBy: c.ResolveBy.Add(-time.Hour), Reason: "x", Version: c.Version}); !isField(err, "resolve_by") {
			t.Fatalf("earlier deadline: %v, want a validation error", err)
		}
	})
}

func isField(err error, field string) bool {
	ve, ok := appeals.IsValidation(err)
	return ok && ve.Field == field
}
