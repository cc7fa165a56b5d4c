package appeals

import (
	"errors"

	"github.com/slobozhanske/hotline/internal/fielderr"
)

var (
	// ErrNotFound: no such card, or one the actor may not see (executors see
	// only their organisation's cards, and must not learn that others exist).
	ErrNotFound = errors.New("appeal not found")
	// ErrVersionConflict: the card changed since the caller read it; nothing
	// was written.
	ErrVersionConflict = errors.New("appeal was changed by someone else; reload it")
	// ErrForbidden: the actor's role may not do this.
	ErrForbidden = errors.New("not allowed for this role")
	// ErrInvalidTransition: the lifecycle has no such step from the card's status.
	ErrInvalidTransition = errors.New("no such status change")
	// ErrInvalidState: the card's status does not allow this change (e.g. editing a closed card).
	ErrInvalidState = errors.New("not possible in the appeal's current status")
)

// ValidationError is a bad input value, naming the field: the one field
// error of every domain (fielderr.Error).
type ValidationError = fielderr.Error

func invalid(field, format string, args ...any) error { return fielderr.New(field, format, args...) }

// IsValidation reports whether err is (or wraps) a ValidationError and returns it.
func IsValidation(err error) (*ValidationError, bool) { return fielderr.As(err) }
