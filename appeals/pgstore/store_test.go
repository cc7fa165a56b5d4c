package pgstore_test

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/slobozhanske/hotline/appeals"
	"github.com/slobozhanske/hotline/appeals/internal/apptest"
)

// Ten people edit the same card at once, all from the same version: one
// edit wins, nine get a conflict, and the card holds the winner's text.
func TestConcurrentEditsOfOneVersionLetExactlyOneWin(t *testing.T) {
	ctx := context.Background()
	env := apptest.New(t, apptest.At(2026, 11, 23, 9, 0), nil)
	c, err := env.Service.Create(ctx, apptest.Operator, apptest.Named("water"))
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var won []string
	conflicts := 0
	for i := range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			text := "редакція " + string(rune('A'+i))
			_, err := env.Service.Update(ctx, apptest.Operator, c.ID, c.Version, appeals.Patch{Essence: &text})
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				won = append(won, text)
			case errors.Is(err, appeals.ErrVersionConflict):
				conflicts++
			default:
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	got, _ := env.Service.Get(ctx, apptest.Supervisor, c.ID)
	if len(won) != 1 || conflicts != 9 || got.Essence != won[0] || got.Version != c.Version+1 {
		t.Fatalf("winners %v, conflicts %d, stored %q v%d", won, conflicts, got.Essence, got.Version)
	}
}

// Two servers' watchers look at once: every breach is recorded by one.
func TestConcurrentWatchersRecordEachBreachOnce(t *testing.T) {
	ctx := context.Background()
	env := apptest.New(t, apptest.At(2026, 11, 23, 9, 0), nil)
	for range 20 {
		if _, err := env.Service.Create(ctx, apptest.Operator, apptest.Named("water")); err != nil {
			t.Fatal(err)
		}
	}
	now := apptest.At(2026, 11, 23, 12, 0) // past the 2 working hours
	var wg sync.WaitGroup
	var mu sync.Mutex
	total := 0
	for range 5 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			got, err := env.Store.RecordBreaches(ctx, now, appeals.DeliveryNoWebhook,
				func(c *appeals.Card, b appeals.Breach) []appeals.HistoryEntry { return appeals.ApplyBreach(c, b, now) })
			if err != nil {
				t.Error(err)
			}
			mu.Lock()
			total += len(got)
			mu.Unlock()
		}()
	}
	wg.Wait()
	if total != 20 {
		t.Fatalf("%d breaches recorded for 20 late cards", total)
	}
}

// The call record is written by another component, possibly later (it
// buffers while the database is away): a card links to a call id that has
// no row in calls yet.
func TestACardLinksACallBeforeItsRecordExists(t *testing.T) {
	ctx := context.Background()
	env := apptest.New(t, apptest.At(2026, 11, 23, 9, 0), nil)
	c, err := env.Service.CreateFromCall(ctx, appeals.FromCall{CallID: "not-yet-recorded", Recording: "msg-1", Category: "water"})
	if err != nil {
		t.Fatal(err)
	}
	var n int
	if err := env.Pool.QueryRow(ctx, "SELECT count(*) FROM calls WHERE id = 'not-yet-recorded'").Scan(&n); err != nil || n != 0 {
		t.Fatalf("calls rows %d (%v)", n, err)
	}
	got, _ := env.Service.Get(ctx, apptest.Supervisor, c.ID)
	if len(got.Calls) != 1 || got.Calls[0].CallID != "not-yet-recorded" || got.Calls[0].Recording != "msg-1" {
		t.Fatalf("calls %+v", got.Calls)
	}
}
