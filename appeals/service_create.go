package appeals

import (
	"context"
	"fmt"
	"time"
)

// NewCard is an appeal as a person registers it.
type NewCard struct {
	Channel Channel // default phone
	Person
	Anonymous bool
	Location  string
	Essence   string
	Category  string   // default Config.DefaultCategory
	Priority  Priority // default: the category's
	Executor  string   // default: the category's
	CallID    string   // the call the appeal came in, if any
	Recording string
}

// FromCall is an appeal the voice menu opens by itself: an SOS after hours
// or a message left for the next working day.
type FromCall struct {
	CallID       string
	CallerNumber string // stored as the contact phone unless Anonymous
	Recording    string
	Priority     Priority // empty: the category's default
	Category     string   // empty: DefaultSOSCategory for SOS, else DefaultCategory
	Essence      string   // empty: a note that the recording holds it
	Anonymous    bool
	Channel      Channel // default phone
}

// Create registers an appeal: checks it, numbers it and (unless
// HoldOnRegister) sends it to the executor at once.
func (s *Service) Create(ctx context.Context, a Actor, in NewCard) (Card, error) {
	if err := a.may(OpCreate); err != nil {
		return Card{}, err
	}
	return s.create(ctx, a, in, "", "", nil)
}

// CreateFromCall opens a card for the voice menu. The returned card has its
// Number and SpokenDigits() to read to the caller.
func (s *Service) CreateFromCall(ctx context.Context, in FromCall) (Card, error) {
	a := System("ivr")
	cat := in.Category
	if cat == "" {
		cat = s.r.cfg.DefaultCategory
		if in.Priority == PrioritySOS {
			cat = s.r.cfg.DefaultSOSCategory
		}
	}
	essence := in.Essence
	if essence == "" {
		essence = "Звернення залишене голосовим повідомленням; суть — у записі дзвінка."
	}
	nc := NewCard{Channel: in.Channel, Anonymous: in.Anonymous, Essence: essence, Category: cat,
		Priority: in.Priority, CallID: in.CallID, Recording: in.Recording}
	if !in.Anonymous {
		// A withheld or odd caller id is no reason to lose an emergency.
		if phone, ok := NormalizePhone(in.CallerNumber); ok {
			nc.ContactPhone = phone
		}
	}
	c, err := s.create(ctx, a, nc, "", "", nil)
	if err != nil {
		return Card{}, fmt.Errorf("open appeal from call %s: %w", in.CallID, err)
	}
	return c, nil
}

// CreateRepeat opens a repeat appeal (art. 6.4) for a resolved or closed
// card whose resolution the caller did not confirm: a new card with the
// same caller, problem, category and executor, linking to the first.
func (s *Service) CreateRepeat(ctx context.Context, a Actor, firstID, reason string) (Card, error) {
	if err := a.may(OpRepeat); err != nil {
		return Card{}, err
	}
	reason, err := requireReason(reason, "why the appeal is repeated (art. 6.4)")
	if err != nil {
		return Card{}, err
	}
	first, err := s.Get(ctx, a, firstID)
	if err != nil {
		return Card{}, err
	}
	if first.Status != StatusResolved && first.Status != StatusClosed {
		return Card{}, fmt.Errorf("repeat of a %s appeal (only resolved or closed ones): %w", first.Status, ErrInvalidState)
	}
	nc := NewCard{Channel: first.Channel, Person: first.Person, Anonymous: first.Anonymous, Location: first.Location,
		Essence: first.Essence, Category: first.Category, Priority: first.Priority, Executor: first.Executor}
	return s.create(ctx, a, nc, first.ID, reason, &first)
}

func (s *Service) create(ctx context.Context, a Actor, in NewCard, repeatOf, repeatReason string, first *Card) (Card, error) {
	c, err := s.buildCard(a, in)
	if err != nil {
		return Card{}, err
	}
	c.RepeatOf, c.RepeatReason = repeatOf, repeatReason
	now := c.CreatedAt
	created := HistoryEntry{At: now, Who: a.User, Role: a.Role, Action: ActionCreated, To: StatusRegistered, Reason: repeatReason,
		Detail: map[string]string{"channel": string(c.Channel), "category": c.Category, "priority": string(c.Priority)}}
	if repeatOf != "" {
		created.Detail["repeat_of"] = first.Number
	}
	rec := NewRecord{Card: c, Number: s.r.numbers.Format, History: []HistoryEntry{created}}
	if c.Status == StatusSentToExecutor {
		rec.History = append(rec.History, HistoryEntry{At: now, Who: a.User, Role: a.Role, Action: ActionTransition,
			From: StatusRegistered, To: StatusSentToExecutor, Reason: "надіслано виконавцю під час реєстрації (4.9)",
			Detail: map[string]string{"executor": c.Executor}})
	}
	if first != nil {
		rec.History = append(rec.History, HistoryEntry{AppealID: first.ID, At: now, Who: a.User, Role: a.Role,
			Action: ActionRepeatCreated, Reason: repeatReason, Detail: map[string]string{"repeat_id": c.ID}})
	}
	if in.CallID != "" {
		link, err := cleanLink(CallLink{CallID: in.CallID, Recording: in.Recording, LinkedAt: now, LinkedBy: a.User})
		if err != nil {
			return Card{}, err
		}
		rec.Calls = append(rec.Calls, link)
	}
	saved, err := s.repo.Create(ctx, rec)
	if err != nil {
		return Card{}, fmt.Errorf("save new appeal: %w", err)
	}
	s.metrics.cardCreated(saved)
	s.log.Info("appeal registered", "number", saved.Number, "id", saved.ID, "category", saved.Category,
		"priority", saved.Priority, "channel", saved.Channel, "executor", saved.Executor, "by", a.User,
		"accept_by", saved.AcceptBy, "resolve_by", saved.ResolveBy)
	return s.decorate(saved), nil
}

// buildCard checks the input and fills the classifier's defaults and the
// deadlines.
func (s *Service) buildCard(a Actor, in NewCard) (Card, error) {
	if in.Channel == "" {
		in.Channel = ChannelPhone
	}
	if !in.Channel.Valid() {
		return Card{}, invalid("channel", "unknown channel %q (one of %v)", in.Channel, Channels)
	}
	p, err := cleanPerson(in.Person)
	if err != nil {
		return Card{}, err
	}
	if in.Anonymous {
		if err := checkAnonymous(p); err != nil {
			return Card{}, err
		}
	}
	location, err := cleanText("location", in.Location, maxAddress, false)
	if err != nil {
		return Card{}, err
	}
	if !in.Anonymous && a.Role != RoleSystem {
		if err := checkRequired(s.r.cfg.RequiredFields, p, location); err != nil {
			return Card{}, err
		}
	}
	essence, err := cleanText("essence", in.Essence, maxEssence, true)
	if err != nil {
		return Card{}, err
	}
	if essence == "" {
		return Card{}, invalid("essence", "is required: the substance of the appeal as agreed with the caller (art. 4.3)")
	}
	if in.Category == "" {
		in.Category = s.r.cfg.DefaultCategory
	}
	cat, ok := s.r.classifier.Category(in.Category)
	if !ok {
		return Card{}, invalid("category", "unknown category %q", in.Category)
	}
	if in.Priority == "" {
		in.Priority = cat.DefaultPriority
	}
	if !in.Priority.Valid() {
		return Card{}, invalid("priority", "unknown priority %q (one of %v)", in.Priority, Priorities)
	}
	if in.Executor == "" {
		in.Executor = cat.Executor
	}
	if in.Executor != "" && !s.r.classifier.HasExecutor(in.Executor) {
		return Card{}, invalid("executor", "unknown executor %q", in.Executor)
	}

	now := s.now()
	c := Card{ID: newID(), Year: now.In(s.r.loc).Year(), CreatedAt: now, CreatedBy: a.User, UpdatedAt: now,
		Channel: in.Channel, Person: p, Anonymous: in.Anonymous, Location: location, Essence: essence,
		Category: cat.Code, Priority: in.Priority, Executor: in.Executor, Status: StatusRegistered,
		ControlLevel: ControlI, Version: 1}
	c.AcceptBy = s.terms.AcceptBy(c.Priority, cat, now)
	c.ResolveBy = s.terms.ResolveBy(c.Priority, cat, now)
	c.InitialResolveBy = c.ResolveBy
	if c.Executor != "" && !s.r.cfg.HoldOnRegister {
		c.Status, c.SentAt = StatusSentToExecutor, ptr(now)
	}
	return c, nil
}

func cleanLink(l CallLink) (CallLink, error) {
	var err error
	if l.CallID, err = cleanText("call_id", l.CallID, maxCallID, false); err != nil {
		return l, err
	}
	if l.CallID == "" {
		return l, invalid("call_id", "is required")
	}
	if l.Recording, err = cleanText("recording", l.Recording, maxRef, false); err != nil {
		return l, err
	}
	return l, nil
}

func ptr(t time.Time) *time.Time { return &t }
