package appeals

import "fmt"

// Operation is something done to cards, other than a status change (see
// Lifecycle for those).
type Operation string

const (
	OpCreate     Operation = "create"
	OpView       Operation = "view"
	OpEdit       Operation = "edit"        // change the card's fields
	OpAssign     Operation = "assign"      // choose or change the executor
	OpExtend     Operation = "extend"      // extend the deadline (additional control)
	OpRepeat     Operation = "repeat"      // open a repeat appeal
	OpComment    Operation = "comment"     // comments and attachment references
	OpLinkCall   Operation = "link_call"   // link a call record
	OpReadBack   Operation = "read_back"   // read a number back to a caller
	OpReport     Operation = "report"      // overdue reports
	OpClassifier Operation = "classifier"  // read categories and executors
	OpHistoryAdd Operation = "history_add" // add history entries (the server's own components)
)

// Permissions says which roles may do each operation. Supervisors and
// admins may do everything; executors act only on their organisation's cards.
var Permissions = map[Operation][]Role{
	OpCreate:     {RoleOperator, RoleSupervisor, RoleAdmin, RoleSystem},
	OpView:       {RoleOperator, RoleExecutor, RoleSupervisor, RoleAdmin, RoleSystem},
	OpEdit:       {RoleOperator, RoleSupervisor, RoleAdmin},
	OpAssign:     {RoleOperator, RoleSupervisor, RoleAdmin}, // operators only while the card is at the contact centre
	OpExtend:     {RoleSupervisor, RoleAdmin},
	OpRepeat:     {RoleOperator, RoleSupervisor, RoleAdmin},
	OpComment:    {RoleOperator, RoleExecutor, RoleSupervisor, RoleAdmin, RoleSystem},
	OpLinkCall:   {RoleOperator, RoleSupervisor, RoleAdmin, RoleSystem},
	OpReadBack:   {RoleOperator, RoleSupervisor, RoleAdmin},
	OpReport:     {RoleSupervisor, RoleAdmin},
	OpClassifier: {RoleOperator, RoleExecutor, RoleSupervisor, RoleAdmin},
	OpHistoryAdd: {RoleSystem, RoleSupervisor, RoleAdmin},
}

// Allowed reports whether the role may do the operation at all.
func Allowed(role Role, op Operation) bool { return oneOf(role, Permissions[op]) }

func (a Actor) may(op Operation) error {
	if !Allowed(a.Role, op) {
		return fmt.Errorf("%s (%s) may not %s: %w", a.User, a.Role, op, ErrForbidden)
	}
	return nil
}

// sees reports whether the actor may see the card: everyone but executors
// sees every card; an executor only those assigned to their organisation.
func (a Actor) sees(c Card) bool {
	if a.Role != RoleExecutor {
		return true
	}
	return a.Executor != "" && c.Executor == a.Executor
}
