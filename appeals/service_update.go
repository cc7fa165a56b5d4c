package appeals

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Patch changes a card's fields; nil fields stay as they are.
type Patch struct {
	Surname, FirstName, Patronymic, Address, ContactPhone, Email *string
	Anonymous                                                    *bool
	Location, Essence, Category                                  *string
	Priority                                                     *Priority
	Channel                                                      *Channel
}

// errNoChange ends a Mutate that would change nothing.
var errNoChange = errors.New("no change")

// Update changes a card's fields. Making a card anonymous erases the
// caller's data; a new category or priority recomputes deadlines not yet
// extended.
func (s *Service) Update(ctx context.Context, a Actor, id string, version int, p Patch) (Card, error) {
	if err := a.may(OpEdit); err != nil {
		return Card{}, err
	}
	if err := requireVersion(version); err != nil {
		return Card{}, err
	}
	c, err := s.mutate(ctx, a, id, version, func(c *Card) (Change, error) {
		return s.applyPatch(a, c, p)
	})
	if errors.Is(err, errNoChange) {
		return s.Get(ctx, a, id)
	}
	if err != nil {
		return Card{}, fmt.Errorf("update appeal %s: %w", id, err)
	}
	return c, nil
}

func (s *Service) applyPatch(a Actor, c *Card, p Patch) (Change, error) {
	if c.Status == StatusClosed {
		return Change{}, fmt.Errorf("a closed appeal cannot be edited (open a repeat appeal): %w", ErrInvalidState)
	}
	before := *c
	person := c.Person
	if p.Anonymous != nil {
		c.Anonymous = *p.Anonymous
		if c.Anonymous && !before.Anonymous {
			person = Person{} // the caller withdrew their data: erase it
		}
	}
	for _, f := range []struct {
		v   *string
		dst *string
	}{{p.Surname, &person.Surname}, {p.FirstName, &person.FirstName}, {p.Patronymic, &person.Patronymic},
		{p.Address, &person.Address}, {p.ContactPhone, &person.ContactPhone}, {p.Email, &person.Email}} {
		if f.v != nil {
			*f.dst = *f.v
		}
	}
	person, err := cleanPerson(person)
	if err != nil {
		return Change{}, err
	}
	if c.Anonymous {
		if err := checkAnonymous(person); err != nil {
			return Change{}, err
		}
	}
	c.Person = person
	if p.Location != nil {
		if c.Location, err = cleanText("location", *p.Location, maxAddress, false); err != nil {
			return Change{}, err
		}
	}
	if p.Essence != nil {
		if c.Essence, err = cleanText("essence", *p.Essence, maxEssence, true); err != nil {
			return Change{}, err
		}
		if c.Essence == "" {
			return Change{}, invalid("essence", "must not be empty")
		}
	}
	if p.Channel != nil {
		if !p.Channel.Valid() {
			return Change{}, invalid("channel", "unknown channel %q", *p.Channel)
		}
		c.Channel = *p.Channel
	}
	if p.Category != nil {
		if _, ok := s.r.classifier.Category(*p.Category); !ok {
			return Change{}, invalid("category", "unknown category %q", *p.Category)
		}
		c.Category = *p.Category
	}
	if p.Priority != nil {
		if !p.Priority.Valid() {
			return Change{}, invalid("priority", "unknown priority %q", *p.Priority)
		}
		c.Priority = *p.Priority
	}
	if c.Category != before.Category || c.Priority != before.Priority {
		s.recomputeDeadlines(c, before)
	}
	changed := changedFields(before, *c)
	if len(changed) == 0 {
		return Change{}, errNoChange
	}
	c.UpdatedAt = s.now()
	return Change{History: []HistoryEntry{{At: c.UpdatedAt, Who: a.User, Role: a.Role, Action: ActionUpdated,
		Detail: changed}}}, nil
}

// recomputeDeadlines follows a new category or priority: the classifier's
// deadline is recomputed from registration; an extended deadline stays.
func (s *Service) recomputeDeadlines(c *Card, before Card) {
	cat, _ := s.r.classifier.Category(c.Category)
	extended := !before.ResolveBy.Equal(before.InitialResolveBy)
	c.InitialResolveBy = s.terms.ResolveBy(c.Priority, cat, c.CreatedAt)
	if !extended {
		c.ResolveBy = c.InitialResolveBy
	}
	from := c.CreatedAt
	if c.SentAt != nil {
		from = *c.SentAt
	}
	if c.AcceptedAt == nil {
		c.AcceptBy = s.terms.AcceptBy(c.Priority, cat, from)
	}
}

// changedFields describes a change for the history: personal fields by
// name only (so erasing them erases them everywhere), others old → new.
func changedFields(b, a Card) map[string]string {
	d := map[string]string{}
	var personal []string
	for _, f := range []struct {
		name         string
		before, then string
	}{{"surname", b.Surname, a.Surname}, {"first_name", b.FirstName, a.FirstName}, {"patronymic", b.Patronymic, a.Patronymic},
		{"address", b.Address, a.Address}, {"contact_phone", b.ContactPhone, a.ContactPhone}, {"email", b.Email, a.Email}} {
		if f.before != f.then {
			personal = append(personal, f.name)
		}
	}
	if len(personal) > 0 {
		d["personal_data"] = strings.Join(personal, ",")
	}
	for _, f := range []struct {
		name         string
		before, then string
	}{{"anonymous", fmt.Sprint(b.Anonymous), fmt.Sprint(a.Anonymous)}, {"location", b.Location, a.Location},
		{"essence", b.Essence, a.Essence}, {"category", b.Category, a.Category}, {"priority", string(b.Priority), string(a.Priority)},
		{"channel", string(b.Channel), string(a.Channel)}, {"resolve_by", stamp(b.ResolveBy), stamp(a.ResolveBy)},
		{"accept_by", stamp(b.AcceptBy), stamp(a.AcceptBy)}} {
		if f.before != f.then {
			d[f.name] = f.before + " → " + f.then
		}
	}
	return d
}

func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }
