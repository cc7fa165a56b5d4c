package appeals

import (
	"context"
	"fmt"
	"time"
)

// mutate runs fn on the locked card after checking, in this order, that
// the actor may see it (so an executor learns nothing about other
// organisations' cards, not even from a 409) and that it is still at the
// version the actor read (so a stale edit overwrites nothing).
func (s *Service) mutate(ctx context.Context, a Actor, id string, version int, fn MutateFunc) (Card, error) {
	if !ValidID(id) {
		return Card{}, ErrNotFound
	}
	c, err := s.repo.Mutate(ctx, id, func(c *Card) (Change, error) {
		if !a.sees(*c) {
			return Change{}, ErrNotFound
		}
		if c.Version != version {
			return Change{}, fmt.Errorf("read version %d, now %d: %w", version, c.Version, ErrVersionConflict)
		}
		return fn(c)
	})
	if err != nil {
		return Card{}, err
	}
	return s.decorate(c), nil
}

// TransitionRequest moves a card along its lifecycle.
type TransitionRequest struct {
	To       Status
	Reason   string
	Basis    ClosureBasis // closing only
	BasisRef string       // evidence for the basis; required for a photo
	Version  int
}

// Transition changes a card's status if the lifecycle has the step and the
// actor's role may make it.
func (s *Service) Transition(ctx context.Context, a Actor, id string, req TransitionRequest) (Card, error) {
	if err := a.may(OpView); err != nil {
		return Card{}, err
	}
	if err := requireVersion(req.Version); err != nil {
		return Card{}, err
	}
	if !req.To.Valid() {
		return Card{}, invalid("to", "unknown status %q (one of %v)", req.To, Statuses)
	}
	var before Card
	now := s.now()
	c, err := s.mutate(ctx, a, id, req.Version, func(c *Card) (Change, error) {
		before = *c
		return s.applyTransition(a, c, req, now)
	})
	if err != nil {
		return Card{}, fmt.Errorf("change status of appeal %s: %w", id, err)
	}
	s.metrics.transitioned(before, c, now)
	s.log.Info("appeal status changed", "number", c.Number, "from", before.Status, "to", c.Status, "by", a.User, "role", a.Role)
	return c, nil
}

func (s *Service) applyTransition(a Actor, c *Card, req TransitionRequest, now time.Time) (Change, error) {
	step, err := CheckTransition(a.Role, c.Status, req.To)
	if err != nil {
		return Change{}, err
	}
	reason, err := cleanText("reason", req.Reason, maxReason, true)
	if err != nil {
		return Change{}, err
	}
	if step.NeedsReason && reason == "" {
		return Change{}, invalid("reason", "is required for %s → %s", step.From, step.To)
	}
	entry := HistoryEntry{At: now, Who: a.User, Role: a.Role, Action: step.Action, From: c.Status, To: req.To, Reason: reason}
	switch req.To {
	case StatusSentToExecutor:
		if c.Executor == "" {
			return Change{}, invalid("executor", "choose an executor before sending the appeal")
		}
		s.send(c, now)
		entry.Detail = map[string]string{"executor": c.Executor, "accept_by": stamp(c.AcceptBy)}
	case StatusAccepted:
		c.AcceptedAt = ptr(now)
	case StatusResolved:
		c.ResolvedAt = ptr(now)
	case StatusClosed:
		if !req.Basis.Valid() {
			return Change{}, invalid("basis", "closing needs its basis (art. 5.6): one of %v", ClosureBases)
		}
		ref, err := cleanText("basis_ref", req.BasisRef, maxRef, false)
		if err != nil {
			return Change{}, err
		}
		if req.Basis.NeedsReference() && ref == "" {
			return Change{}, invalid("basis_ref", "closing on a %s needs a reference to it (a URL or a file id)", req.Basis)
		}
		c.ClosedAt, c.ClosureBasis, c.ClosureRef = ptr(now), req.Basis, ref
		entry.Detail = map[string]string{"basis": string(req.Basis), "basis_ref": ref}
	case StatusRegistered:
		entry.Detail = map[string]string{"executor": c.Executor}
	}
	c.Status, c.UpdatedAt = req.To, now
	return Change{History: []HistoryEntry{entry}}, nil
}

// send hands the card to its executor: the acceptance clock starts now.
func (s *Service) send(c *Card, now time.Time) {
	cat, _ := s.r.classifier.Category(c.Category)
	c.SentAt, c.AcceptedAt = ptr(now), nil
	c.AcceptBy = s.terms.AcceptBy(c.Priority, cat, now)
}

// AssignExecutor chooses or changes a card's executor (art. 4.10.1). On a
// card at the contact centre an operator may do it, and the card is sent at
// once unless HoldOnRegister; a card already with an executor is reassigned
// by a supervisor or admin only, with a reason, and sent to the new one.
func (s *Service) AssignExecutor(ctx context.Context, a Actor, id string, version int, executor, reason string) (Card, error) {
	if err := a.may(OpAssign); err != nil {
		return Card{}, err
	}
	if err := requireVersion(version); err != nil {
		return Card{}, err
	}
	if !s.r.classifier.HasExecutor(executor) {
		return Card{}, invalid("executor", "unknown executor %q", executor)
	}
	reason, err := cleanText("reason", reason, maxReason, true)
	if err != nil {
		return Card{}, err
	}
	now := s.now()
	c, err := s.mutate(ctx, a, id, version, func(c *Card) (Change, error) {
		atCentre := c.Status == StatusRegistered
		switch {
		case c.Status == StatusResolved || c.Status == StatusClosed:
			return Change{}, fmt.Errorf("executor of a %s appeal: %w", c.Status, ErrInvalidState)
		case !atCentre && a.Role == RoleOperator:
			return Change{}, fmt.Errorf("the appeal is with its executor; a supervisor reassigns it: %w", ErrForbidden)
		case !atCentre && reason == "":
			return Change{}, invalid("reason", "is required to take an appeal from its executor")
		}
		h := []HistoryEntry{{At: now, Who: a.User, Role: a.Role, Action: ActionExecutorAssigned, Reason: reason,
			Detail: map[string]string{"from": c.Executor, "to": executor}}}
		c.Executor, c.UpdatedAt = executor, now
		if !atCentre || !s.r.cfg.HoldOnRegister {
			h = append(h, HistoryEntry{At: now, Who: a.User, Role: a.Role, Action: ActionTransition, From: c.Status,
				To: StatusSentToExecutor, Reason: reason, Detail: map[string]string{"executor": executor}})
			c.Status = StatusSentToExecutor
			s.send(c, now)
			h[len(h)-1].Detail["accept_by"] = stamp(c.AcceptBy)
		}
		return Change{History: h}, nil
	})
	if err != nil {
		return Card{}, fmt.Errorf("assign executor of appeal %s: %w", id, err)
	}
	s.log.Info("appeal executor assigned", "number", c.Number, "executor", executor, "status", c.Status, "by", a.User)
	return c, nil
}

// ExtendRequest postpones a card's resolution deadline.
type ExtendRequest struct {
	ResolveBy time.Time
	Reason    string // the executor's motivated grounds (art. 6.3.1)
	Version   int
}

// ExtendDeadline postpones the resolution deadline with a reason and puts
// the card under additional control (II, then III). Beyond the 45-day cap
// only a long-term appeal may go (art. 6.3.3).
func (s *Service) ExtendDeadline(ctx context.Context, a Actor, id string, req ExtendRequest) (Card, error) {
	if err := a.may(OpExtend); err != nil {
		return Card{}, err
	}
	if err := requireVersion(req.Version); err != nil {
		return Card{}, err
	}
	reason, err := requireReason(req.Reason, "the executor's motivated grounds for additional control (6.3.1)")
	if err != nil {
		return Card{}, err
	}
	now := s.now()
	newBy := req.ResolveBy.Round(0).Truncate(time.Microsecond)
	c, err := s.mutate(ctx, a, id, req.Version, func(c *Card) (Change, error) {
		switch {
		case !oneOf(c.Status, AwaitingResolution):
			return Change{}, fmt.Errorf("extend a %s appeal: %w", c.Status, ErrInvalidState)
		case !newBy.After(c.ResolveBy) || !newBy.After(now):
			return Change{}, invalid("resolve_by", "must be later than the current deadline (%s) and than now", stamp(c.ResolveBy))
		case newBy.After(s.terms.Cap(c.CreatedAt)) && c.Priority != PriorityLong:
			return Change{}, invalid("resolve_by", "beyond %s (the %v cap) only a long-term appeal may be extended (6.3.3)",
				stamp(s.terms.Cap(c.CreatedAt)), s.r.cfg.MaxResolution)
		}
		ext := Extension{At: now, By: a.User, Reason: reason, PreviousBy: c.ResolveBy, NewBy: newBy,
			ControlLevel: ControlAfterExtension(c.ControlLevel)}
		h := []HistoryEntry{{At: now, Who: a.User, Role: a.Role, Action: ActionDeadlineExtended, Reason: reason,
			Detail: map[string]string{"from": stamp(c.ResolveBy), "to": stamp(newBy)}}}
		if newBy.After(s.terms.Cap(c.CreatedAt)) {
			h[0].Detail["beyond_cap"] = "the executor must notify the caller (6.3.3)"
		}
		if ext.ControlLevel != c.ControlLevel {
			h = append(h, HistoryEntry{At: now, Who: a.User, Role: a.Role, Action: ActionControlRaised, Reason: reason,
				Detail: map[string]string{"from": c.ControlLevel.String(), "to": ext.ControlLevel.String()}})
		}
		c.ResolveBy, c.ControlLevel, c.UpdatedAt = newBy, ext.ControlLevel, now
		return Change{History: h, Extension: &ext}, nil
	})
	if err != nil {
		return Card{}, fmt.Errorf("extend deadline of appeal %s: %w", id, err)
	}
	s.log.Info("appeal deadline extended", "number", c.Number, "resolve_by", c.ResolveBy, "control_level", c.ControlLevel.String(), "by", a.User)
	return c, nil
}
