package appeals

import "time"

// BreachKind is which deadline was missed.
type BreachKind string

const (
	BreachAccept  BreachKind = "accept"  // not accepted by AcceptBy
	BreachResolve BreachKind = "resolve" // not resolved by ResolveBy
)

// Delivery is how a breach is reported: SOS breaches at once (art. 6.2.1)
// through the webhook, current ones in the weekly summary (6.2.2).
type Delivery string

const (
	DeliveryPending   Delivery = "pending"    // SOS: the webhook has not yet acknowledged it
	DeliveryDelivered Delivery = "delivered"  // SOS: the webhook acknowledged it
	DeliveryNoWebhook Delivery = "no_webhook" // SOS with no webhook configured: logged and counted only
	DeliveryWeekly    Delivery = "weekly"     // current: goes into the weekly summary
)

// Breach is a missed deadline, recorded once per card, kind and deadline
// (a new deadline after an extension or a new executor can be missed again).
type Breach struct {
	ID           int64
	AppealID     string
	Number       string
	Category     string
	Executor     string
	Priority     Priority
	Kind         BreachKind
	Deadline     time.Time
	DetectedAt   time.Time
	ControlLevel ControlLevel // after the breach
	Status       Status       // the card's status now (in reports)
	Delivery     Delivery
	Attempts     int
	LastError    string
	DeliveredAt  *time.Time
}

// Immediate reports whether the breach is reported at once (SOS).
func (b Breach) Immediate() bool { return b.Priority == PrioritySOS }

// ApplyBreach records a breach on its card: a history entry, and the raise
// to control level III for a missed extended deadline. The store calls it
// in the transaction that records the breach, so both happen once.
func ApplyBreach(c *Card, b Breach, now time.Time) []HistoryEntry {
	h := []HistoryEntry{{At: now, Who: "system:overdue", Role: RoleSystem, Action: ActionOverdue,
		Detail: map[string]string{"kind": string(b.Kind), "deadline": b.Deadline.UTC().Format(time.RFC3339),
			"executor": c.Executor, "control_level": c.ControlLevel.String()}}}
	if next := ControlAfterBreach(c.ControlLevel, b.Kind); next != c.ControlLevel {
		h = append(h, HistoryEntry{At: now, Who: "system:overdue", Role: RoleSystem, Action: ActionControlRaised,
			Reason: "не вирішено після I та II рівнів контролю: доповідна записка голові (6.3.2)",
			Detail: map[string]string{"from": c.ControlLevel.String(), "to": next.String()}})
		c.ControlLevel = next
	}
	return h
}
