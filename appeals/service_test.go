package appeals_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/slobozhanske/hotline/appeals"
	"github.com/slobozhanske/hotline/appeals/internal/apptest"
)

func TestAnAnonymousCardKeepsNoPersonalData(t *testing.T) {
	ctx := context.Background()
	env := apptest.New(t, apptest.At(2026, 11, 23, 9, 0), nil)
	svc := env.Service

	t.Run("personal data sent with an anonymous appeal is refused, naming the field", func(t *testing.T) {
		for field, set := range map[string]func(*appeals.Person){
			"surname": func(p *appeals.Person) { p.Surname = "Ш" }, "first_name": func(p *appeals.Person) { p.FirstName = "О" },
			"patronymic": func(p *appeals.Person) { p.Patronymic = "П" }, "address": func(p *appeals.Person) { p.Address = "вул. 1" },
			"contact_phone": func(p *appeals.Person) { p.ContactPhone = "0501234567" }, "email": func(p *appeals.Person) { p.Email = "a@b.ua" },
		} {
			in := appeals.NewCard{Anonymous: true, Essence: "Яма на дорозі", Category: "roads", Location: "вул. Шкільна"}
			set(&in.Person)
			if _, err := svc.Create(ctx, apptest.Operator, in); !isField(err, field) {
				t.Errorf("%s: %v, want a validation error on it", field, err)
			}
		}
	})

	t.Run("an anonymous appeal needs no name and keeps the place of the problem", func(t *testing.T) {
		c, err := svc.Create(ctx, apptest.Operator, appeals.NewCard{Anonymous: true, Essence: "Яма на дорозі", Category: "roads", Location: "вул. Шкільна"})
		if err != nil {
			t.Fatal(err)
		}
		if !c.Anonymous || !c.Person.Empty() || c.Location != "вул. Шкільна" {
			t.Fatalf("card %+v", c)
		}
	})

	t.Run("an anonymous call leaves no caller number on the card", func(t *testing.T) {
		c, err := svc.CreateFromCall(ctx, appeals.FromCall{CallID: "call-anon", CallerNumber: "+380501112233", Anonymous: true,
			Priority: appeals.PrioritySOS, Recording: "sos-1"})
		if err != nil {
			t.Fatal(err)
		}
		if c.ContactPhone != "" || !c.Anonymous {
			t.Fatalf("anonymous call kept %q", c.ContactPhone)
		}
	})

	t.Run("making a card anonymous erases the caller's data everywhere, history included", func(t *testing.T) {
		c, err := svc.Create(ctx, apptest.Operator, apptest.Named("water"))
		if err != nil {
			t.Fatal(err)
		}
		surname := "Коваленко"
		c, err = svc.Update(ctx, apptest.Operator, c.ID, c.Version, appeals.Patch{Surname: &surname})
		if err != nil {
			t.Fatal(err)
		}
		yes := true
		c, err = svc.Update(ctx, apptest.Operator, c.ID, c.Version, appeals.Patch{Anonymous: &yes})
		if err != nil {
			t.Fatal(err)
		}
		if !c.Person.Empty() || !c.Anonymous {
			t.Fatalf("after withdrawal: %+v", c.Person)
		}
		var stored string
		if err := env.Pool.QueryRow(ctx, `SELECT surname || first_name || patronymic || address || contact_phone || email
			FROM appeals WHERE id = $1`, c.ID).Scan(&stored); err != nil || stored != "" {
			t.Fatalf("stored personal data %q (%v)", stored, err)
		}
		h, _ := svc.History(ctx, apptest.Supervisor, c.ID)
		for _, e := range h {
			for k, v := range e.Detail {
				for _, personal := range []string{"Шевченко", "Коваленко", "Олена", "Центральна, 5, кв", "123 45 67", "1234567", "olena@"} {
					if strings.Contains(v, personal) || strings.Contains(e.Reason, personal) {
						t.Errorf("history %s %s=%q keeps %q", e.Action, k, v, personal)
					}
				}
			}
		}
		phone := "0501234567"
		if _, err := svc.Update(ctx, apptest.Operator, c.ID, c.Version, appeals.Patch{ContactPhone: &phone}); !isField(err, "contact_phone") {
			t.Errorf("phone on an anonymous card: %v", err)
		}
		named, _ := svc.Create(ctx, apptest.Operator, apptest.Named("water"))
		if _, err := svc.Update(ctx, apptest.Operator, named.ID, named.Version, appeals.Patch{Anonymous: &yes, Surname: &surname}); !isField(err, "surname") {
			t.Errorf("anonymous with a surname in one edit: %v", err)
		}
	})

	t.Run("the database itself refuses personal data on an anonymous card", func(t *testing.T) {
		c, err := svc.Create(ctx, apptest.Operator, appeals.NewCard{Anonymous: true, Essence: "Сміття", Category: "other"})
		if err != nil {
			t.Fatal(err)
		}
		_, err = env.Store.Mutate(ctx, c.ID, func(c *appeals.Card) (appeals.Change, error) {
			c.Surname = "Хтось"
			return appeals.Change{}, nil
		})
		if err == nil || !strings.Contains(err.Error(), "anonymous_keeps_no_personal_data") {
			t.Fatalf("store accepted a surname on an anonymous card: %v", err)
		}
	})

	t.Run("a named card registered by an operator needs art. 5 data", func(t *testing.T) {
		in := apptest.Named("water")
		in.Address = ""
		if _, err := svc.Create(ctx, apptest.Operator, in); !isField(err, "address") {
			t.Errorf("no address: %v", err)
		}
		in = apptest.Named("water")
		in.ContactPhone, in.Email = "", ""
		if _, err := svc.Create(ctx, apptest.Operator, in); !isField(err, "contact_phone") {
			t.Errorf("no contact: %v", err)
		}
		in = apptest.Named("water")
		in.ContactPhone = "дзвоніть увечері"
		if _, err := svc.Create(ctx, apptest.Operator, in); !isField(err, "contact_phone") {
			t.Errorf("bad phone: %v", err)
		}
	})
}

func TestAStaleUpdateIsRefusedAndOverwritesNothing(t *testing.T) {
	ctx := context.Background()
	env := apptest.New(t, apptest.At(2026, 11, 23, 9, 0), nil)
	c, err := env.Service.Create(ctx, apptest.Operator, apptest.Named("water"))
	if err != nil {
		t.Fatal(err)
	}
	first, second := "Тече вода з труби у підвалі; вода гаряча.", "Тече холодна вода."
	if _, err := env.Service.Update(ctx, apptest.Operator, c.ID, c.Version, appeals.Patch{Essence: &first}); err != nil {
		t.Fatal(err)
	}
	_, err = env.Service.Update(ctx, apptest.Supervisor, c.ID, c.Version, appeals.Patch{Essence: &second})
	if !errors.Is(err, appeals.ErrVersionConflict) {
		t.Fatalf("stale update: %v, want a version conflict", err)
	}
	got, _ := env.Service.Get(ctx, apptest.Supervisor, c.ID)
	if got.Essence != first || got.Version != c.Version+1 {
		t.Fatalf("essence %q v%d after a refused stale update", got.Essence, got.Version)
	}
	if _, err := env.Service.Transition(ctx, apptest.Vodokanal, c.ID, appeals.TransitionRequest{To: appeals.StatusAccepted, Version: c.Version}); !errors.Is(err, appeals.ErrVersionConflict) {
		t.Errorf("stale transition: %v", err)
	}
}

func TestExecutorsSeeOnlyTheirOwnCards(t *testing.T) {
	ctx := context.Background()
	env := apptest.New(t, apptest.At(2026, 11, 23, 9, 0), nil)
	svc := env.Service
	water, _ := svc.Create(ctx, apptest.Operator, apptest.Named("water"))
	light, _ := svc.Create(ctx, apptest.Operator, apptest.Named("lighting"))

	if _, err := svc.Get(ctx, apptest.Blago, water.ID); !errors.Is(err, appeals.ErrNotFound) {
		t.Errorf("blago reads vodokanal's card: %v", err)
	}
	if _, err := svc.GetByNumber(ctx, apptest.Blago, water.Number); !errors.Is(err, appeals.ErrNotFound) {
		t.Errorf("blago reads vodokanal's card by number: %v", err)
	}
	// Even with a stale version the answer is "not found", never "conflict".
	if _, err := svc.Transition(ctx, apptest.Blago, water.ID, appeals.TransitionRequest{To: appeals.StatusAccepted, Version: 99}); !errors.Is(err, appeals.ErrNotFound) {
		t.Errorf("blago accepts vodokanal's card: %v", err)
	}
	if _, err := svc.AddComment(ctx, apptest.Blago, water.ID, "не наше"); !errors.Is(err, appeals.ErrNotFound) {
		t.Errorf("blago comments on vodokanal's card: %v", err)
	}
	cards, total, err := svc.Search(ctx, apptest.Blago, appeals.Filter{})
	if err != nil || total != 1 || cards[0].ID != light.ID {
		t.Fatalf("blago's search: %d cards, %v", total, err)
	}
	if cards, _, _ := svc.Search(ctx, apptest.Blago, appeals.Filter{Executor: "vodokanal"}); len(cards) != 0 {
		t.Errorf("blago searched vodokanal's cards and found %d", len(cards))
	}
	if _, err := svc.Transition(ctx, apptest.Vodokanal, water.ID, appeals.TransitionRequest{To: appeals.StatusAccepted, Version: water.Version}); err != nil {
		t.Errorf("vodokanal accepts its card: %v", err)
	}
}

func TestSearch(t *testing.T) {
	ctx := context.Background()
	env := apptest.New(t, apptest.At(2026, 11, 23, 9, 0), nil)
	svc := env.Service
	a, _ := svc.Create(ctx, apptest.Operator, apptest.Named("water"))
	other := apptest.Named("lighting")
	other.Address, other.Location, other.ContactPhone = "пров. Садовий, 3", "пров. Садовий", "+380 67 765 43 21"
	b, _ := svc.Create(ctx, apptest.Operator, other)
	env.Clock.Advance(time.Hour)
	sos := apptest.Named("water")
	sos.Priority = appeals.PrioritySOS
	c, _ := svc.Create(ctx, apptest.Operator, sos)
	env.Clock.Advance(45 * time.Minute) // the SOS card is past its 30 minutes, the others within their 2 hours

	for name, tc := range map[string]struct {
		f    appeals.Filter
		want []string
	}{
		"address fragment, any case":      {appeals.Filter{Address: "САДОВ"}, []string{b.ID}},
		"phone as typed":                  {appeals.Filter{Phone: "067 765-43-21"}, []string{b.ID}},
		"number":                          {appeals.Filter{Number: a.Number}, []string{a.ID}},
		"number digits":                   {appeals.Filter{Number: appeals.DigitsOf(a.Number)}, []string{a.ID}},
		"category":                        {appeals.Filter{Category: "lighting"}, []string{b.ID}},
		"executor":                        {appeals.Filter{Executor: "vodokanal"}, []string{c.ID, a.ID}},
		"status":                          {appeals.Filter{Statuses: []appeals.Status{appeals.StatusSentToExecutor}}, []string{c.ID, b.ID, a.ID}},
		"overdue":                         {appeals.Filter{Overdue: true}, []string{c.ID}},
		"registered since":                {appeals.Filter{From: apptest.At(2026, 11, 23, 9, 30)}, []string{c.ID}},
		"registered before":               {appeals.Filter{To: apptest.At(2026, 11, 23, 9, 30)}, []string{b.ID, a.ID}},
		"page":                            {appeals.Filter{Limit: 1, Offset: 1}, []string{b.ID}},
		"wildcards are taken literally":   {appeals.Filter{Address: "%"}, nil},
		"a page past the end has a total": {appeals.Filter{Offset: 10}, nil},
	} {
		t.Run(name, func(t *testing.T) {
			cards, total, err := svc.Search(ctx, apptest.Supervisor, tc.f)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, c := range cards {
				got = append(got, c.ID)
			}
			if strings.Join(got, ",") != strings.Join(tc.want, ",") {
				t.Errorf("got %v, want %v", got, tc.want)
			}
			if name == "page" || name == "a page past the end has a total" {
				if total != 3 {
					t.Errorf("total %d, want 3", total)
				}
			}
		})
	}
}

func TestNotesCallsAndHistory(t *testing.T) {
	ctx := context.Background()
	env := apptest.New(t, apptest.At(2026, 11, 23, 9, 0), nil)
	svc := env.Service
	c, err := svc.CreateFromCall(ctx, appeals.FromCall{CallID: "1700000000.42", CallerNumber: "0501234567",
		Recording: "message-1700000000.42", Category: "water"})
	if err != nil {
		t.Fatal(err)
	}
	if c.ContactPhone != "+380501234567" || len(c.Calls) != 1 || c.Calls[0].Recording != "message-1700000000.42" {
		t.Fatalf("card from call: phone %q calls %+v", c.ContactPhone, c.Calls)
	}
	// The call record may not exist yet: the link does not need it.
	added, err := svc.LinkCall(ctx, apptest.Operator, c.ID, appeals.CallLink{CallID: "1700000100.7", Recording: "rec-7"})
	if err != nil || !added {
		t.Fatalf("link a second call: %v", err)
	}
	if added, _ := svc.LinkCall(ctx, apptest.Operator, c.ID, appeals.CallLink{CallID: "1700000100.7"}); added {
		t.Error("the same call linked twice")
	}
	if _, err := svc.AddComment(ctx, apptest.Vodokanal, c.ID, "Бригада виїхала"); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.AddAttachment(ctx, apptest.Vodokanal, c.ID, appeals.Attachment{Kind: appeals.AttachmentPhoto, Ref: "file:abc123"}); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.AddAttachment(ctx, apptest.Vodokanal, c.ID, appeals.Attachment{Kind: "selfie", Ref: "x"}); !isField(err, "kind") {
		t.Errorf("unknown kind: %v", err)
	}
	err = svc.AddHistory(ctx, c.ID, appeals.Entry{Who: "Черговий диспетчер", Action: "duty_acknowledged", Note: "прийнято о 23:14"})
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.AddHistory(ctx, c.ID, appeals.Entry{Who: "x", Action: "Bad Action"}); !isField(err, "action") {
		t.Errorf("bad action: %v", err)
	}
	if err := svc.AddHistory(ctx, "00000000-0000-4000-8000-000000000000", appeals.Entry{Who: "x", Action: "y"}); !errors.Is(err, appeals.ErrNotFound) {
		t.Errorf("history of a missing card: %v", err)
	}
	got, _ := svc.Get(ctx, apptest.Supervisor, c.ID)
	if len(got.Calls) != 2 || len(got.Comments) != 1 || len(got.Attachments) != 1 {
		t.Fatalf("card details: %d calls, %d comments, %d attachments", len(got.Calls), len(got.Comments), len(got.Attachments))
	}
	h, _ := svc.History(ctx, apptest.Supervisor, c.ID)
	var actions []string
	for _, e := range h {
		actions = append(actions, e.Action)
	}
	want := "created,transition,call_linked,comment_added,attachment_added,duty_acknowledged"
	if strings.Join(actions, ",") != want {
		t.Errorf("history %v, want %s", actions, want)
	}
	if e := h[len(h)-1]; e.Who != "Черговий диспетчер" || e.Reason != "прийнято о 23:14" || !e.At.Equal(apptest.At(2026, 11, 23, 9, 0)) {
		t.Errorf("escalation entry %+v", e)
	}
}

func TestSOSHousingAppealsAreForTheOnDutyPerson(t *testing.T) {
	env := apptest.New(t, apptest.At(2026, 11, 28, 23, 10), nil)
	ctx := context.Background()
	c, _ := env.Service.CreateFromCall(ctx, appeals.FromCall{CallID: "c1", Priority: appeals.PrioritySOS, Category: "water"})
	if !env.Service.NeedsDutyCall(c) {
		t.Error("an SOS water appeal needs the on-duty person")
	}
	r, _ := env.Service.CreateFromCall(ctx, appeals.FromCall{CallID: "c2", Priority: appeals.PrioritySOS, Category: "roads"})
	if env.Service.NeedsDutyCall(r) {
		t.Error("roads are not housing")
	}
	o, _ := env.Service.CreateFromCall(ctx, appeals.FromCall{CallID: "c3", Category: "water"})
	if env.Service.NeedsDutyCall(o) {
		t.Error("an ordinary message waits for the working day")
	}
}
