package main

// Menu option 3: a resident keys the number they were told and hears what
// is happening with their appeal, and nothing else (no names, addresses or
// executors): its state and, while it is open, the date it is due.

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/slobozhanske/hotline/telephony/ari/aritest"
)

// apiCard is the part of an appeal card the tests read.
type apiCard struct {
	ID           string    `json:"id"`
	Number       string    `json:"number"`
	SpokenDigits string    `json:"spoken_digits"`
	Status       string    `json:"status"`
	ResolveBy    time.Time `json:"resolve_by"`
	Version      int       `json:"version"`
}

// statusPrompt is what a caller hears for each state of an appeal.
var statusPrompt = map[string]string{
	"registered": "sound:hotline/status-registered", "sent_to_executor": "sound:hotline/status-sent",
	"accepted": "sound:hotline/status-accepted", "in_progress": "sound:hotline/status-in-progress",
	"resolved": "sound:hotline/status-resolved", "closed": "sound:hotline/status-closed",
	"returned_for_rework": "sound:hotline/status-returned",
}

// registerAppeal registers an appeal through the HTTP API, as an operator's
// screen does. The API answers once the server has migrated its database.
func (r *rig) registerAppeal(ctx context.Context, category, essence string) apiCard {
	r.t.Helper()
	var card apiCard
	r.until(ctx, "the API registers an appeal", func() bool {
		code := r.api(http.MethodPost, "/api/v1/appeals", map[string]any{
			"channel": "phone", "anonymous": true, "category": category, "essence": essence,
			"location": "вул. Центральна, 1", "read_back": false,
		}, &card)
		if code >= 400 && code < 500 {
			r.t.Fatal(r.lastAPIError)
		}
		return code == http.StatusCreated
	})
	return card
}

// closeAppeal takes an appeal through its lifecycle to closed (a
// supervisor may make every step), confirmed by phone.
func (r *rig) closeAppeal(card apiCard) apiCard {
	r.t.Helper()
	steps := []string{"registered", "sent_to_executor", "accepted", "in_progress", "resolved", "closed"}
	for _, to := range steps[slices.Index(steps, card.Status)+1:] {
		body := map[string]any{"to": to, "version": card.Version}
		if to == "closed" {
			body["basis"], body["basis_ref"] = "phone_confirmation", "дзвінок заявнику"
		}
		if code := r.api(http.MethodPost, "/api/v1/appeals/"+card.ID+"/transitions", body, &card); code != http.StatusOK {
			r.t.Fatalf("appeal %s to %s: HTTP %d: %s", card.Number, to, code, r.lastAPIError)
		}
	}
	return card
}

// askStatus phones in, chooses 3, keys number and # and returns what the
// caller heard after "enter the number" up to answer (a prompt prefix),
// once that has been played to its end.
func (r *rig) askStatus(ctx context.Context, caller, number, answer string) (*aritest.Party, []string) {
	r.t.Helper()
	p := r.dial(ctx, caller)
	if _, err := p.WaitForPlayback(ctx, "sound:hotline/main-menu"); err != nil {
		r.t.Fatal(err)
	}
	_ = p.Press("3")
	if _, err := p.WaitForPlayback(ctx, "sound:hotline/appeal-enter-number"); err != nil {
		r.t.Fatalf("the caller was not asked for the number: %v (heard %v)", err, p.HeardURIs())
	}
	before := len(p.Heard())
	_ = p.Press(number + "#")
	if _, err := p.WaitForPlaybackEnd(ctx, answer); err != nil {
		r.t.Fatalf("the caller did not hear %s: %v (heard %v)", answer, err, p.HeardURIs())
	}
	_ = p.Hangup()
	got := p.HeardURIs()[before:]
	if i := slices.IndexFunc(got, func(u string) bool { return strings.HasPrefix(u, answer) }); i >= 0 {
		got = got[:i+1] // what follows is the menu again
	}
	return p, got
}

func TestACallerWhoKeysTheNumberOfTheirAppealHearsItsStateAndDueDateOrThatItIsNotFound(t *testing.T) {
	r := startRig(t, mondayMorning, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	kyiv, err := time.LoadLocation(r.cfg.Schedule.TimeZone)
	if err != nil {
		t.Fatal(err)
	}
	open := r.registerAppeal(ctx, "water", "Немає холодної води у будинку")
	closed := r.closeAppeal(r.registerAppeal(ctx, "lighting", "Не світить ліхтар біля школи"))
	if closed.Status != "closed" {
		t.Fatalf("appeal %s is %s, want closed", closed.Number, closed.Status)
	}

	t.Run("an open appeal: its state and the date it is due", func(t *testing.T) {
		due := open.ResolveBy.In(kyiv)
		p, got := r.askStatus(ctx, "+380501230101", open.SpokenDigits, fmt.Sprintf("sound:hotline/month-%02d", int(due.Month())))
		want := []string{"sound:hotline/appeal-status-intro", statusPrompt[open.Status], "sound:hotline/appeal-due-date",
			fmt.Sprintf("sound:hotline/day-%02d", due.Day()), fmt.Sprintf("sound:hotline/month-%02d", int(due.Month()))}
		if !slices.Equal(got, want) {
			t.Errorf("keyed %s (appeal %s, due %s): heard %v, want %v", open.SpokenDigits, open.Number, due.Format("02.01"), got, want)
		}
		rec := r.waitRecord(ctx, p.ChannelID())
		if _, ok := rec.find("status_lookup", "main", "key", open.SpokenDigits, "result", "found", "status", open.Status); !ok {
			t.Errorf("the record does not show the lookup: %v", rec.steps)
		}
		if rec.outcome != "status_given" {
			t.Errorf("outcome %q, want status_given", rec.outcome)
		}
	})

	t.Run("an unknown number: not found", func(t *testing.T) {
		p, got := r.askStatus(ctx, "+380501230102", "999", "sound:hotline/appeal-not-found")
		if !slices.Equal(got, []string{"sound:hotline/appeal-not-found"}) {
			t.Errorf("keyed 999: heard %v, want only that it is not found", got)
		}
		rec := r.waitRecord(ctx, p.ChannelID())
		if _, ok := rec.find("status_lookup", "main", "key", "999", "result", "not_found"); !ok {
			t.Errorf("the record does not show the failed lookup: %v", rec.steps)
		}
		if rec.outcome == "status_given" {
			t.Errorf("outcome %q for an unknown number", rec.outcome)
		}
	})

	t.Run("a closed appeal: closed, with no due date", func(t *testing.T) {
		p, got := r.askStatus(ctx, "+380501230103", closed.SpokenDigits, "sound:hotline/status-closed")
		want := []string{"sound:hotline/appeal-status-intro", "sound:hotline/status-closed"}
		if !slices.Equal(got, want) {
			t.Errorf("keyed %s (appeal %s, closed): heard %v, want %v", closed.SpokenDigits, closed.Number, got, want)
		}
		rec := r.waitRecord(ctx, p.ChannelID())
		if _, ok := rec.find("status_lookup", "main", "key", closed.SpokenDigits, "result", "found", "status", "closed"); !ok {
			t.Errorf("the record does not show the lookup: %v", rec.steps)
		}
		// After the answer the caller is back in the menu, and nothing more is said of the appeal.
		for _, u := range p.HeardURIs() {
			if u == "sound:hotline/appeal-due-date" {
				t.Errorf("a due date was said for a closed appeal: %v", p.HeardURIs())
			}
		}
	})
	r.noChannelsLeft(ctx)
}
