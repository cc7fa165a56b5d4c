package appeals

import "fmt"

// Step is one allowed change of status and who may make it. Supervisors
// and admins may make every step; Roles lists who else may.
type Step struct {
	From, To    Status
	Roles       []Role
	Action      string // the history action; ActionTransition unless it means more
	NeedsReason bool
	NeedsBasis  bool // closing needs its basis (art. 5.6)
}

// Lifecycle is every allowed status change:
//
//	registered ──send──▶ sent_to_executor ──accept──▶ accepted ──start──▶ in_progress ──resolve──▶ resolved ──close──▶ closed
//	                          │                          │                     ▲   │                   │
//	                          └───── not ours: back to registered ─────────────┼───┘                   │ rework
//	                                 (executor change on request, 5.2)         └── returned_for_rework ◀┘ (4.11.4)
//
// A closed card is never reopened: a repeat appeal is a new card linking to
// it (6.4).
var Lifecycle = []Step{
	{From: StatusRegistered, To: StatusSentToExecutor, Roles: []Role{RoleOperator}},
	{From: StatusSentToExecutor, To: StatusAccepted, Roles: []Role{RoleExecutor}},
	{From: StatusAccepted, To: StatusInProgress, Roles: []Role{RoleExecutor}},
	{From: StatusInProgress, To: StatusResolved, Roles: []Role{RoleExecutor}},
	{From: StatusResolved, To: StatusClosed, Roles: []Role{RoleOperator}, NeedsBasis: true},
	{From: StatusResolved, To: StatusReturnedForRework, Roles: []Role{RoleOperator}, NeedsReason: true},
	{From: StatusReturnedForRework, To: StatusInProgress, Roles: []Role{RoleExecutor}},
	// The executor says it is not theirs and asks for another executor: the
	// card goes back to the operator (art. 5.2, 4.10.1).
	{From: StatusSentToExecutor, To: StatusRegistered, Roles: []Role{RoleExecutor}, Action: ActionExecutorChangeRequested, NeedsReason: true},
	{From: StatusAccepted, To: StatusRegistered, Roles: []Role{RoleExecutor}, Action: ActionExecutorChangeRequested, NeedsReason: true},
	{From: StatusInProgress, To: StatusRegistered, Roles: []Role{RoleExecutor}, Action: ActionExecutorChangeRequested, NeedsReason: true},
	{From: StatusReturnedForRework, To: StatusRegistered, Roles: []Role{RoleExecutor}, Action: ActionExecutorChangeRequested, NeedsReason: true},
}

// CheckTransition finds the step from → to and checks the role may make it.
// It returns ErrInvalidTransition when there is no such step and
// ErrForbidden when the role may not make it.
func CheckTransition(role Role, from, to Status) (Step, error) {
	for _, s := range Lifecycle {
		if s.From != from || s.To != to {
			continue
		}
		if role == RoleSupervisor || role == RoleAdmin || oneOf(role, s.Roles) {
			if s.Action == "" {
				s.Action = ActionTransition
			}
			return s, nil
		}
		return s, fmt.Errorf("%s may not change %s to %s: %w", role, from, to, ErrForbidden)
	}
	return Step{}, fmt.Errorf("%s → %s: %w", from, to, ErrInvalidTransition)
}
