package appeals

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Get returns a card with its calls, comments, attachments and extensions.
func (s *Service) Get(ctx context.Context, a Actor, id string) (Card, error) {
	if err := a.may(OpView); err != nil {
		return Card{}, err
	}
	if !ValidID(id) {
		return Card{}, ErrNotFound
	}
	c, err := s.repo.Get(ctx, id)
	if err != nil {
		return Card{}, fmt.Errorf("get appeal %s: %w", id, err)
	}
	c, err = visible(a, c)
	return s.decorate(c), err
}

// GetByNumber returns the card with the number (as formatted, or its digits).
func (s *Service) GetByNumber(ctx context.Context, a Actor, number string) (Card, error) {
	if err := a.may(OpView); err != nil {
		return Card{}, err
	}
	number = strings.TrimSpace(number)
	c, err := s.repo.GetByNumber(ctx, number)
	if errors.Is(err, ErrNotFound) && DigitsOf(number) == number && number != "" {
		c, err = s.repo.FindByDigits(ctx, number)
	}
	if err != nil {
		return Card{}, fmt.Errorf("get appeal %q: %w", number, err)
	}
	if c, err = visible(a, c); err != nil {
		return Card{}, err
	}
	// Search results and lookups by number carry no calls or comments.
	return s.Get(ctx, a, c.ID)
}

// FindBySpokenNumber finds the card for what a caller keyed in on the
// phone: the spoken sequence ("123", looked up in this year, then the last),
// the zero-padded sequence ("000123"), or all the digits of the number
// ("2026000123"). Only digits count; anything else is ignored.
func (s *Service) FindBySpokenNumber(ctx context.Context, keyed string) (Card, error) {
	k, ok := s.r.numbers.ParseKeyed(keyed)
	if !ok {
		return Card{}, ErrNotFound
	}
	var c Card
	err := ErrNotFound
	if k.Seq > 0 {
		year := s.now().In(s.r.loc).Year()
		for _, y := range []int{year, year - 1} {
			if c, err = s.repo.FindBySeq(ctx, y, k.Seq); !errors.Is(err, ErrNotFound) {
				break
			}
		}
	}
	if k.Digits != "" {
		c, err = s.repo.FindByDigits(ctx, k.Digits)
	}
	if errors.Is(err, ErrNotFound) && k.Year > 0 {
		c, err = s.repo.FindBySeq(ctx, k.Year, k.YearSeq)
	}
	if err != nil {
		return Card{}, fmt.Errorf("find appeal by keyed number: %w", err)
	}
	return s.decorate(c), nil
}

// PublicStatus is what a caller may hear about an appeal: no personal data.
type PublicStatus struct {
	Number string
	Status Status
	DueAt  time.Time // the resolution deadline
	Closed bool
}

// StatusForCaller answers "what is happening with my appeal" for the voice
// menu. It returns ErrNotFound for an unknown number.
func (s *Service) StatusForCaller(ctx context.Context, keyed string) (PublicStatus, error) {
	c, err := s.FindBySpokenNumber(ctx, keyed)
	if err != nil {
		return PublicStatus{}, err
	}
	return PublicStatus{Number: c.Number, Status: c.Status, DueAt: c.ResolveBy, Closed: c.Status == StatusClosed}, nil
}

// Search limits.
const (
	DefaultSearchLimit = 50
	MaxSearchLimit     = 500
)

// Search finds cards; executors only ever find their organisation's.
func (s *Service) Search(ctx context.Context, a Actor, f Filter) ([]Card, int, error) {
	if err := a.may(OpView); err != nil {
		return nil, 0, err
	}
	if a.Role == RoleExecutor {
		if f.Executor != "" && f.Executor != a.Executor {
			return nil, 0, nil
		}
		f.Executor = a.Executor
	}
	for _, st := range f.Statuses {
		if !st.Valid() {
			return nil, 0, invalid("status", "unknown status %q (one of %v)", st, Statuses)
		}
	}
	switch {
	case f.Limit == 0:
		f.Limit = DefaultSearchLimit
	case f.Limit < 0 || f.Limit > MaxSearchLimit:
		return nil, 0, invalid("limit", "must be 1–%d", MaxSearchLimit)
	}
	if f.Offset < 0 {
		return nil, 0, invalid("offset", "must not be negative")
	}
	if f.Phone != "" {
		f.Phone = DigitsOf(f.Phone)
		if f.Phone == "" {
			return nil, 0, invalid("phone", "must contain digits")
		}
	}
	f.Address = strings.TrimSpace(f.Address)
	f.Number = strings.TrimSpace(f.Number)
	f.Now = s.now()
	cards, total, err := s.repo.Search(ctx, f)
	if err != nil {
		return nil, 0, fmt.Errorf("search appeals: %w", err)
	}
	for i := range cards {
		cards[i] = s.decorate(cards[i])
	}
	return cards, total, nil
}

// History returns every change of a card, oldest first.
func (s *Service) History(ctx context.Context, a Actor, id string) ([]HistoryEntry, error) {
	if _, err := s.Get(ctx, a, id); err != nil {
		return nil, err
	}
	h, err := s.repo.History(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("history of appeal %s: %w", id, err)
	}
	return h, nil
}

// Now is the service's clock, for adapters that must agree with it.
func (s *Service) Now() time.Time { return s.now() }
