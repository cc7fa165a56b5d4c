package appeals

import (
	"context"
	"time"
)

// Repository stores cards. Every method returns ErrNotFound for an unknown
// card id; mutations return ErrVersionConflict when the stored version is
// not the one expected. pgstore.Store implements it over PostgreSQL.
type Repository interface {
	// Create inserts a card and numbers it in the same transaction: the
	// year's counter is incremented and read there, so a card that is not
	// saved gives its number back and numbers stay gapless.
	Create(ctx context.Context, rec NewRecord) (Card, error)
	// Get returns a card with its calls, comments, attachments and extensions.
	Get(ctx context.Context, id string) (Card, error)
	GetByNumber(ctx context.Context, number string) (Card, error)
	// FindBySeq finds the seq-th card of a year.
	FindBySeq(ctx context.Context, year int, seq int64) (Card, error)
	// FindByDigits finds the card whose number has exactly these digits.
	FindByDigits(ctx context.Context, digits string) (Card, error)
	// Search returns a page of cards (without calls, comments…) and the
	// number of cards matching the filter.
	Search(ctx context.Context, f Filter) ([]Card, int, error)
	// Mutate locks the card, lets fn check and change it, and saves the
	// card, fn's history and extension with the version incremented, all in
	// one transaction. If fn fails nothing is written. The returned card has
	// its calls, comments, attachments and extensions.
	Mutate(ctx context.Context, id string, fn MutateFunc) (Card, error)
	AddComment(ctx context.Context, appealID string, c Comment, h HistoryEntry) (Comment, error)
	AddAttachment(ctx context.Context, appealID string, a Attachment, h HistoryEntry) (Attachment, error)
	// LinkCall links a call once; added is false if it was already linked.
	LinkCall(ctx context.Context, appealID string, l CallLink, h HistoryEntry) (added bool, err error)
	AddHistory(ctx context.Context, appealID string, h HistoryEntry) error
	History(ctx context.Context, appealID string) ([]HistoryEntry, error)
	// Breaches lists the breaches whose deadline is in [from, to).
	Breaches(ctx context.Context, from, to time.Time) ([]Breach, error)
	// CountOpen counts unclosed cards by status and overdue ones by priority.
	CountOpen(ctx context.Context, now time.Time) (OpenCounts, error)
}

// NewRecord is a card to create. The store sets Card.Seq and Card.Number
// (from Number) for Card.Year.
type NewRecord struct {
	Card    Card
	Number  func(year int, seq int64) (string, error)
	History []HistoryEntry // entries with an empty AppealID are the new card's
	Calls   []CallLink
}

// Change is what a MutateFunc adds besides the card's new fields.
type Change struct {
	History   []HistoryEntry
	Extension *Extension
}

// MutateFunc applies a rule to a locked card.
type MutateFunc func(c *Card) (Change, error)

// Filter selects cards. Zero fields do not filter.
type Filter struct {
	Number   string // exact number, or its digits
	Phone    string // digits; matches the end of the contact phone
	Address  string // fragment of the address or location, case-insensitive
	Statuses []Status
	Category string
	Executor string
	Overdue  bool      // only cards past a deadline at Now
	Now      time.Time // for Overdue
	From, To time.Time // registered in [From, To)
	Limit    int
	Offset   int
}

// OpenCounts is the state of the open cards, for metrics.
type OpenCounts struct {
	ByStatus          map[Status]int
	OverdueByPriority map[Priority]int
}
