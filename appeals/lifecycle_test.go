package appeals_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/slobozhanske/hotline/appeals"
	"github.com/slobozhanske/hotline/appeals/internal/apptest"
)

// allowedSteps is the lifecycle as the regulations describe it, written out
// independently of appeals.Lifecycle: who besides supervisors and admins
// may make each step.
var allowedSteps = map[[2]appeals.Status]appeals.Role{
	{appeals.StatusRegistered, appeals.StatusSentToExecutor}:    appeals.RoleOperator, // 4.9: the operator sends
	{appeals.StatusSentToExecutor, appeals.StatusAccepted}:      appeals.RoleExecutor, // 5.1: the executor accepts
	{appeals.StatusAccepted, appeals.StatusInProgress}:          appeals.RoleExecutor,
	{appeals.StatusInProgress, appeals.StatusResolved}:          appeals.RoleExecutor, // 5.8.3: proposes closure
	{appeals.StatusResolved, appeals.StatusClosed}:              appeals.RoleOperator, // 4.10.3: the centre closes
	{appeals.StatusResolved, appeals.StatusReturnedForRework}:   appeals.RoleOperator, // 4.11.4: returned for rework
	{appeals.StatusReturnedForRework, appeals.StatusInProgress}: appeals.RoleExecutor,
	{appeals.StatusSentToExecutor, appeals.StatusRegistered}:    appeals.RoleExecutor, // 5.2: not ours, change executor
	{appeals.StatusAccepted, appeals.StatusRegistered}:          appeals.RoleExecutor,
	{appeals.StatusInProgress, appeals.StatusRegistered}:        appeals.RoleExecutor,
	{appeals.StatusReturnedForRework, appeals.StatusRegistered}: appeals.RoleExecutor,
}

func expectedTransition(role appeals.Role, from, to appeals.Status) error {
	who, ok := allowedSteps[[2]appeals.Status{from, to}]
	switch {
	case !ok:
		return appeals.ErrInvalidTransition
	case role == who || role == appeals.RoleSupervisor || role == appeals.RoleAdmin:
		return nil
	}
	return appeals.ErrForbidden
}

func TestLifecycleTableMatchesTheRegulations(t *testing.T) {
	for _, from := range appeals.Statuses {
		for _, to := range appeals.Statuses {
			for _, role := range appeals.UserRoles {
				_, err := appeals.CheckTransition(role, from, to)
				if want := expectedTransition(role, from, to); !errors.Is(err, want) && !(want == nil && err == nil) {
					t.Errorf("%s: %s → %s: %v, want %v", role, from, to, err, want)
				}
			}
		}
	}
}

// pathTo is how a card reaches each status from registered.
var pathTo = map[appeals.Status][]appeals.Status{
	appeals.StatusRegistered:        nil,
	appeals.StatusSentToExecutor:    {appeals.StatusSentToExecutor},
	appeals.StatusAccepted:          {appeals.StatusSentToExecutor, appeals.StatusAccepted},
	appeals.StatusInProgress:        {appeals.StatusSentToExecutor, appeals.StatusAccepted, appeals.StatusInProgress},
	appeals.StatusResolved:          {appeals.StatusSentToExecutor, appeals.StatusAccepted, appeals.StatusInProgress, appeals.StatusResolved},
	appeals.StatusReturnedForRework: {appeals.StatusSentToExecutor, appeals.StatusAccepted, appeals.StatusInProgress, appeals.StatusResolved, appeals.StatusReturnedForRework},
	appeals.StatusClosed:            {appeals.StatusSentToExecutor, appeals.StatusAccepted, appeals.StatusInProgress, appeals.StatusResolved, appeals.StatusClosed},
}

func move(ctx context.Context, svc *appeals.Service, a appeals.Actor, c appeals.Card, to appeals.Status) (appeals.Card, error) {
	return svc.Transition(ctx, a, c.ID, appeals.TransitionRequest{To: to, Reason: "перевірка", Basis: appeals.BasisPhoto,
		BasisRef: "https://files.example/photo-1.jpg", Version: c.Version})
}

func cardIn(t *testing.T, env *apptest.Env, status appeals.Status) appeals.Card {
	t.Helper()
	ctx := context.Background()
	c, err := env.Service.Create(ctx, apptest.Operator, apptest.Named("water"))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range pathTo[status] {
		if c.Status == s { // sent at registration unless the config holds cards
			continue
		}
		if c, err = move(ctx, env.Service, apptest.Admin, c, s); err != nil {
			t.Fatalf("to %s: %v", s, err)
		}
	}
	return c
}

// Every status pair for every role against the database: an allowed step
// changes the status and is in the history with who, role and why; any
// other is refused and changes nothing.
func TestEveryTransitionForEveryRole(t *testing.T) {
	env := apptest.New(t, apptest.At(2026, 11, 23, 9, 0), func(c *appeals.Config) { c.HoldOnRegister = true })
	actors := map[appeals.Role]appeals.Actor{appeals.RoleOperator: apptest.Operator, appeals.RoleExecutor: apptest.Vodokanal,
		appeals.RoleSupervisor: apptest.Supervisor, appeals.RoleAdmin: apptest.Admin}
	for _, from := range appeals.Statuses {
		for _, to := range appeals.Statuses {
			for _, role := range appeals.UserRoles {
				want := expectedTransition(role, from, to)
				t.Run(fmt.Sprintf("%s %s→%s", role, from, to), func(t *testing.T) {
					t.Parallel()
					ctx := context.Background()
					c := cardIn(t, env, from)
					got, err := move(ctx, env.Service, actors[role], c, to)
					if want != nil {
						if !errors.Is(err, want) {
							t.Fatalf("got %v, want %v", err, want)
						}
						if after, _ := env.Service.Get(ctx, apptest.Admin, c.ID); after.Status != from || after.Version != c.Version {
							t.Fatalf("a refused step changed the card: %s v%d", after.Status, after.Version)
						}
						return
					}
					if err != nil {
						t.Fatalf("allowed step refused: %v", err)
					}
					if got.Status != to || got.Version != c.Version+1 {
						t.Fatalf("status %s v%d, want %s v%d", got.Status, got.Version, to, c.Version+1)
					}
					h, _ := env.Service.History(ctx, apptest.Admin, c.ID)
					last := h[len(h)-1]
					if last.From != from || last.To != to || last.Who != actors[role].User || last.Role != role || last.Reason != "перевірка" {
						t.Fatalf("history entry %+v", last)
					}
				})
			}
		}
	}
}

func TestTransitionRules(t *testing.T) {
	ctx := context.Background()
	env := apptest.New(t, apptest.At(2026, 11, 23, 9, 0), nil)
	svc := env.Service

	t.Run("closing needs its basis, and a photo needs its reference", func(t *testing.T) {
		c := cardIn(t, env, appeals.StatusResolved)
		for _, tc := range []struct {
			basis appeals.ClosureBasis
			ref   string
			field string
		}{{"", "", "basis"}, {"verbal", "", "basis"}, {appeals.BasisPhoto, "", "basis_ref"}} {
			_, err := svc.Transition(ctx, apptest.Operator, c.ID, appeals.TransitionRequest{To: appeals.StatusClosed,
				Basis: tc.basis, BasisRef: tc.ref, Version: c.Version})
			if !isField(err, tc.field) {
				t.Errorf("basis %q ref %q: %v, want an error on %s", tc.basis, tc.ref, err, tc.field)
			}
		}
		closed, err := svc.Transition(ctx, apptest.Operator, c.ID, appeals.TransitionRequest{To: appeals.StatusClosed,
			Basis: appeals.BasisPhoneConfirmation, Version: c.Version})
		if err != nil || closed.ClosureBasis != appeals.BasisPhoneConfirmation || closed.ClosedAt == nil {
			t.Fatalf("close on phone confirmation: %+v %v", closed, err)
		}
	})

	t.Run("an executor that says the appeal is not theirs must say why", func(t *testing.T) {
		c := cardIn(t, env, appeals.StatusSentToExecutor)
		_, err := svc.Transition(ctx, apptest.Vodokanal, c.ID, appeals.TransitionRequest{To: appeals.StatusRegistered, Version: c.Version})
		if !isField(err, "reason") {
			t.Fatalf("no reason: %v", err)
		}
		back, err := svc.Transition(ctx, apptest.Vodokanal, c.ID, appeals.TransitionRequest{To: appeals.StatusRegistered,
			Reason: "мережа на балансі ОСББ", Version: c.Version})
		if err != nil || back.Status != appeals.StatusRegistered {
			t.Fatalf("change request: %v", err)
		}
		h, _ := svc.History(ctx, apptest.Operator, c.ID)
		if h[len(h)-1].Action != appeals.ActionExecutorChangeRequested {
			t.Errorf("history action %q, want %q", h[len(h)-1].Action, appeals.ActionExecutorChangeRequested)
		}
		// The operator gives it to another executor; it goes to them at once.
		moved, err := svc.AssignExecutor(ctx, apptest.Operator, c.ID, back.Version, "zhkg", "")
		if err != nil || moved.Executor != "zhkg" || moved.Status != appeals.StatusSentToExecutor {
			t.Fatalf("reassign: %+v %v", moved, err)
		}
		if _, err := svc.Get(ctx, apptest.Vodokanal, c.ID); !errors.Is(err, appeals.ErrNotFound) {
			t.Errorf("the former executor still sees the card: %v", err)
		}
	})

	t.Run("only supervisors take a card from an executor who has it", func(t *testing.T) {
		c := cardIn(t, env, appeals.StatusAccepted)
		if _, err := svc.AssignExecutor(ctx, apptest.Operator, c.ID, c.Version, "zhkg", "краще ЖКГ"); !errors.Is(err, appeals.ErrForbidden) {
			t.Errorf("operator: %v, want forbidden", err)
		}
		if _, err := svc.AssignExecutor(ctx, apptest.Supervisor, c.ID, c.Version, "zhkg", ""); !isField(err, "reason") {
			t.Errorf("no reason: %v", err)
		}
		moved, err := svc.AssignExecutor(ctx, apptest.Supervisor, c.ID, c.Version, "zhkg", "рішення комісії (5.2.1)")
		if err != nil || moved.Status != appeals.StatusSentToExecutor || moved.AcceptedAt != nil {
			t.Fatalf("supervisor reassign: %+v %v", moved, err)
		}
	})

	t.Run("a repeat appeal is a new card linking to the first", func(t *testing.T) {
		first := cardIn(t, env, appeals.StatusClosed)
		if _, err := svc.CreateRepeat(ctx, apptest.Operator, first.ID, ""); !isField(err, "reason") {
			t.Errorf("no reason: %v", err)
		}
		rep, err := svc.CreateRepeat(ctx, apptest.Operator, first.ID, "заявник не підтвердив виконання")
		if err != nil {
			t.Fatal(err)
		}
		if rep.RepeatOf != first.ID || rep.ID == first.ID || rep.Number == first.Number || rep.Surname != first.Surname ||
			rep.Executor != first.Executor || rep.Status != appeals.StatusSentToExecutor {
			t.Fatalf("repeat %+v", rep)
		}
		h, _ := svc.History(ctx, apptest.Operator, first.ID)
		if apptest.CountActions(h, appeals.ActionRepeatCreated) != 1 {
			t.Errorf("the first card's history does not mention the repeat")
		}
		open := cardIn(t, env, appeals.StatusInProgress)
		if _, err := svc.CreateRepeat(ctx, apptest.Operator, open.ID, "x"); !errors.Is(err, appeals.ErrInvalidState) {
			t.Errorf("repeat of an open card: %v", err)
		}
	})

	t.Run("a closed card cannot be edited", func(t *testing.T) {
		c := cardIn(t, env, appeals.StatusClosed)
		essence := "інше"
		if _, err := svc.Update(ctx, apptest.Operator, c.ID, c.Version, appeals.Patch{Essence: &essence}); !errors.Is(err, appeals.ErrInvalidState) {
			t.Errorf("edit closed: %v", err)
		}
	})

	t.Run("the lifecycle ends at closed", func(t *testing.T) {
		for _, s := range appeals.Lifecycle {
			if s.From == appeals.StatusClosed {
				t.Errorf("a step leaves closed: %+v", s)
			}
		}
		if !slices.Contains(appeals.Statuses, appeals.StatusReturnedForRework) {
			t.Error("returned_for_rework is missing")
		}
	})
}

// The changes besides status steps, in every status against the database:
// a supervisor changes the executor of a card not yet resolved (5.2.1) and
// an operator only while it is at the contact centre (4.10.1); a deadline
// is extended, with a reason, while the resolution term runs (6.3.1); a
// repeat appeal is opened only for a resolved or closed card (6.4). What is
// refused changes nothing.
func TestExecutorChangeExtensionAndRepeatInEveryStatus(t *testing.T) {
	env := apptest.New(t, apptest.At(2026, 11, 23, 9, 0), func(c *appeals.Config) { c.HoldOnRegister = true })
	finished := func(s appeals.Status) bool { return s == appeals.StatusResolved || s == appeals.StatusClosed }
	unchanged := func(t *testing.T, c appeals.Card) {
		t.Helper()
		after, err := env.Service.Get(context.Background(), apptest.Admin, c.ID)
		if err != nil || after.Version != c.Version || after.Status != c.Status || after.Executor != c.Executor ||
			!after.ResolveBy.Equal(c.ResolveBy) || after.ControlLevel != c.ControlLevel {
			t.Errorf("a refused change changed the card: %s v%d executor %s (was %s v%d %s)", after.Status, after.Version,
				after.Executor, c.Status, c.Version, c.Executor)
		}
	}
	for _, from := range appeals.Statuses {
		t.Run(string(from), func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()

			t.Run("a supervisor changes the executor", func(t *testing.T) {
				c := cardIn(t, env, from)
				got, err := env.Service.AssignExecutor(ctx, apptest.Supervisor, c.ID, c.Version, "zhkg", "рішення комісії (5.2.1)")
				if finished(from) {
					if !errors.Is(err, appeals.ErrInvalidState) {
						t.Fatalf("got %v, want invalid state", err)
					}
					unchanged(t, c)
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				wantStatus := appeals.StatusSentToExecutor // taken from the executor and sent to the new one at once
				if from == appeals.StatusRegistered {
					wantStatus = appeals.StatusRegistered // still held at the contact centre
				}
				if got.Executor != "zhkg" || got.Status != wantStatus || got.AcceptedAt != nil {
					t.Fatalf("executor %s, status %s, accepted %v; want zhkg, %s, not accepted", got.Executor, got.Status, got.AcceptedAt, wantStatus)
				}
				h, _ := env.Service.History(ctx, apptest.Admin, c.ID)
				if apptest.CountActions(h, appeals.ActionExecutorAssigned) != 1 {
					t.Error("the change of executor is not in the history")
				}
			})

			t.Run("an operator changes the executor", func(t *testing.T) {
				c := cardIn(t, env, from)
				_, err := env.Service.AssignExecutor(ctx, apptest.Operator, c.ID, c.Version, "zhkg", "")
				switch {
				case from == appeals.StatusRegistered:
					if err != nil {
						t.Fatalf("at the contact centre: %v", err)
					}
					return
				case finished(from):
					if !errors.Is(err, appeals.ErrInvalidState) {
						t.Fatalf("got %v, want invalid state", err)
					}
				default:
					if !errors.Is(err, appeals.ErrForbidden) {
						t.Fatalf("got %v, want forbidden (the card is with its executor)", err)
					}
				}
				unchanged(t, c)
			})

			t.Run("a supervisor extends the deadline", func(t *testing.T) {
				c := cardIn(t, env, from)
				got, err := env.Service.ExtendDeadline(ctx, apptest.Supervisor, c.ID, appeals.ExtendRequest{
					ResolveBy: c.ResolveBy.Add(72 * time.Hour), Reason: "комісійне обстеження", Version: c.Version})
				if finished(from) {
					if !errors.Is(err, appeals.ErrInvalidState) {
						t.Fatalf("got %v, want invalid state", err)
					}
					unchanged(t, c)
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				if !got.ResolveBy.Equal(c.ResolveBy.Add(72*time.Hour)) || got.ControlLevel != appeals.ControlII || got.Status != from {
					t.Fatalf("resolve by %v, level %s, status %s", got.ResolveBy, got.ControlLevel, got.Status)
				}
			})

			t.Run("an operator opens a repeat appeal", func(t *testing.T) {
				c := cardIn(t, env, from)
				rep, err := env.Service.CreateRepeat(ctx, apptest.Operator, c.ID, "заявник не підтвердив виконання")
				if !finished(from) {
					if !errors.Is(err, appeals.ErrInvalidState) {
						t.Fatalf("got %v, want invalid state", err)
					}
					unchanged(t, c)
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				if rep.RepeatOf != c.ID || rep.Seq <= c.Seq || rep.Executor != c.Executor {
					t.Fatalf("repeat %s of %s: repeat_of %q, executor %s", rep.Number, c.Number, rep.RepeatOf, rep.Executor)
				}
				unchanged(t, c) // the first card stays as it was; only its history mentions the repeat
				h, _ := env.Service.History(ctx, apptest.Admin, rep.ID)
				if len(h) == 0 || h[0].Action != appeals.ActionCreated || h[0].Detail["repeat_of"] != c.Number {
					t.Errorf("the repeat's history does not link the first card: %+v", h)
				}
			})
		})
	}
}
