package queue

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"sync"
	"time"
)

// OperatorStore keeps the operators added, changed and removed at run time
// over the configuration's, and reads the state log for the presence an
// operator had before a restart (telephony/queue/pgstore implements it).
type OperatorStore interface {
	// SaveOperator stores an operator added or changed; ErrEndpointTaken
	// when another stored operator has the phone.
	SaveOperator(ctx context.Context, op Operator, by string) error
	// DeleteOperator marks an operator removed, so the configuration's
	// operator of that id stays removed after a restart.
	DeleteOperator(ctx context.Context, id, by string) error
	// Operators lists the stored operators and removals, oldest first.
	Operators(ctx context.Context) ([]StoredOperator, error)
	// LastStatesNotBy is each operator's latest state logged by any
	// dispatcher but the one whose tag is given (Dispatcher.Tag).
	LastStatesNotBy(ctx context.Context, tag string) (map[string]StateChange, error)
}

// StoredOperator is an operator as stored: a definition, or the mark that
// it was removed.
type StoredOperator struct {
	Operator
	Deleted   bool
	UpdatedAt time.Time
	UpdatedBy string
}

// Errors of the roster.
var (
	// ErrEndpointTaken: another stored operator has the phone.
	ErrEndpointTaken = errors.New("endpoint already used by another operator")
	// ErrOperatorExists: adding an operator whose id is taken.
	ErrOperatorExists = errors.New("operator already exists")
)

// Roster is the operators' definitions: the configuration's, merged at
// start-up with those stored through the API (Load), and changed through
// it — checked by the dispatcher, stored, then applied to the dispatcher,
// so a change the dispatcher would refuse is never stored and one the
// store refuses never takes effect. Safe for concurrent use.
type Roster struct {
	d          *Dispatcher
	store      OperatorStore
	fromConfig []Operator
	log        *slog.Logger

	// edit serialises changes and loading, so the check, the store's write
	// and the dispatcher's change happen as one.
	edit sync.Mutex
}

// NewRoster returns the roster of d, whose operators so far are the
// configuration's (fromConfig). It does no I/O: Load reads the store once
// the database is there.
func NewRoster(d *Dispatcher, store OperatorStore, fromConfig []Operator, log *slog.Logger) *Roster {
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return &Roster{d: d, store: store, fromConfig: slices.Clone(fromConfig), log: log}
}

// Load applies the operators added, changed or removed through the API over
// the configuration's (MergeOperators), then logs operators back in as they
// were before the restart (RestorePresence), so a restart does not empty
// the queue.
func (r *Roster) Load(ctx context.Context) error {
	r.edit.Lock()
	defer r.edit.Unlock()
	rows, err := r.store.Operators(ctx)
	if err != nil {
		return fmt.Errorf("load operators: %w", err)
	}
	queues := r.d.Queues()
	names := make([]string, 0, len(queues))
	for _, q := range queues {
		names = append(names, q.Name)
	}
	ops, warnings := MergeOperators(r.fromConfig, rows, names)
	for _, w := range warnings {
		r.log.Warn("stored operators: " + w)
	}
	keep := map[string]bool{}
	for _, op := range ops {
		keep[op.ID] = true
		if _, err := r.d.UpsertOperator(op); err != nil {
			r.log.Warn("stored operator left out", "operator", op.ID, "err", err)
		}
	}
	for _, op := range r.d.Operators() {
		if !keep[op.ID] {
			if err := r.d.RemoveOperator(op.ID); err != nil {
				r.log.Warn("operator removed through the API is still in the dispatcher", "operator", op.ID, "err", err)
			}
		}
	}
	if err := r.restorePresence(ctx); err != nil {
		return fmt.Errorf("restore operators' presence: %w", err)
	}
	return nil
}

// MergeOperators applies the stored rows to the operators of the
// configuration:
//
//   - a stored operator replaces the configuration's operator of the same id, in its place;
//   - a stored operator with a new id is added after the configuration's, oldest first;
//   - a stored removal takes the configuration's operator of that id away.
//
// Queues that no longer exist are dropped from stored operators, and a
// stored operator whose phone is now another's is left out; each is
// reported in warnings instead of failing the start.
func MergeOperators(fromConfig []Operator, rows []StoredOperator, queues []string) (ops []Operator, warnings []string) {
	ops = slices.Clone(fromConfig)
	index := func(id string) int { return slices.IndexFunc(ops, func(o Operator) bool { return o.ID == id }) }
	for _, r := range rows {
		i := index(r.ID)
		if r.Deleted {
			if i >= 0 {
				ops = slices.Delete(ops, i, i+1)
			}
			continue
		}
		op := r.Operator
		op.Queues = slices.DeleteFunc(slices.Clone(op.Queues), func(q string) bool {
			if !slices.Contains(queues, q) {
				warnings = append(warnings, fmt.Sprintf("operator %s: queue %q no longer exists; left out", op.ID, q))
				return true
			}
			return false
		})
		if i >= 0 {
			ops[i] = op
		} else {
			ops = append(ops, op)
		}
	}
	seen := map[string]string{}
	ops = slices.DeleteFunc(ops, func(o Operator) bool {
		if other, ok := seen[o.Endpoint]; ok {
			warnings = append(warnings, fmt.Sprintf("operator %s: endpoint %s is operator %s's; left out", o.ID, o.Endpoint, other))
			return true
		}
		seen[o.Endpoint] = o.ID
		return false
	})
	return ops, warnings
}

// restorePresence logs operators back in as they were when the server
// stopped: available (also if they were ringing, talking or wrapping up) or
// paused with their reason — as they had asked, so a pause or logout asked
// for during a call holds. The rest stay logged out. What they were is the
// last state another dispatcher logged (the one before a restart, or the
// active server this standby takes over from, which may have logged after
// this one started): this dispatcher logs every operator logged out as it
// is built, and those rows must not hide the others'.
func (r *Roster) restorePresence(ctx context.Context) error {
	last, err := r.store.LastStatesNotBy(ctx, r.d.Tag())
	if err != nil {
		return err
	}
	for _, op := range r.d.Operators() {
		c, ok := last[op.ID]
		if !ok || c.Presence == LoggedOut {
			continue
		}
		if err := r.d.Login(op.ID); err != nil {
			return fmt.Errorf("restore operator %s: %w", op.ID, err)
		}
		if c.Presence == Paused {
			if err := r.d.Pause(op.ID, c.Reason); err != nil {
				return fmt.Errorf("restore operator %s: %w", op.ID, err)
			}
		}
		r.log.Info("operator restored", "operator", op.ID, "was", c.State, "as", c.Presence, "reason", c.Reason, "since", c.At)
	}
	return nil
}

// Add adds an operator; ErrOperatorExists when the id is taken.
func (r *Roster) Add(ctx context.Context, op Operator, by string) (OperatorSnapshot, error) {
	s, _, err := r.save(ctx, op, by, true)
	return s, err
}

// Put adds or changes an operator and reports whether it was added.
func (r *Roster) Put(ctx context.Context, op Operator, by string) (s OperatorSnapshot, created bool, err error) {
	return r.save(ctx, op, by, false)
}

// save checks an operator, stores it, then applies it to the dispatcher;
// when applying fails the store is put back as it was.
func (r *Roster) save(ctx context.Context, op Operator, by string, mustBeNew bool) (OperatorSnapshot, bool, error) {
	r.edit.Lock()
	defer r.edit.Unlock()
	prev, existed := r.d.Operator(op.ID)
	if mustBeNew && existed {
		return OperatorSnapshot{}, false, fmt.Errorf("operator %s: %w", op.ID, ErrOperatorExists)
	}
	if err := r.d.CheckOperator(op); err != nil {
		return OperatorSnapshot{}, false, err
	}
	if err := r.store.SaveOperator(ctx, op, by); err != nil {
		return OperatorSnapshot{}, false, err
	}
	created, err := r.d.UpsertOperator(op)
	if err != nil {
		r.log.Error("operator stored but not applied; putting the store back", "operator", op.ID, "err", err)
		r.undoSave(ctx, prev.Operator, existed, op.ID, by)
		return OperatorSnapshot{}, false, fmt.Errorf("apply operator %s: %w", op.ID, err)
	}
	r.log.Info("operator saved", "operator", op.ID, "by", by, "created", created)
	s, _ := r.d.Operator(op.ID)
	return s, created, nil
}

// undoSave puts the stored operator back as the dispatcher still has it:
// its previous definition, or removed if it was new. The request's context
// may be done by now; the undo must still reach the store.
func (r *Roster) undoSave(ctx context.Context, prev Operator, existed bool, id, by string) {
	ctx = context.WithoutCancel(ctx)
	var err error
	if existed {
		err = r.store.SaveOperator(ctx, prev, by)
	} else {
		err = r.store.DeleteOperator(ctx, id, by)
	}
	if err != nil {
		r.log.Error("could not put the stored operator back; it applies at the next start", "operator", id, "err", err)
	}
}

// Remove removes an operator who is not ringing or on a call. The
// dispatcher decides atomically whether the operator is free to go; if the
// store then fails, the operator is put back (logged out).
func (r *Roster) Remove(ctx context.Context, id, by string) error {
	r.edit.Lock()
	defer r.edit.Unlock()
	prev, exists := r.d.Operator(id)
	if !exists {
		return fmt.Errorf("operator %s: %w", id, ErrUnknownOperator)
	}
	if err := r.d.RemoveOperator(id); err != nil {
		return err
	}
	if err := r.store.DeleteOperator(ctx, id, by); err != nil {
		if _, rerr := r.d.UpsertOperator(prev.Operator); rerr != nil {
			r.log.Error("could not restore an operator after a failed delete", "operator", id, "err", rerr)
		}
		return err
	}
	r.log.Info("operator removed", "operator", id, "by", by)
	return nil
}
