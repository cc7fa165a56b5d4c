package appeals_test

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/slobozhanske/hotline/appeals"
	"github.com/slobozhanske/hotline/appeals/internal/apptest"
)

// seqsByYear reads back every stored number.
func seqsByYear(t *testing.T, env *apptest.Env) map[int][]int64 {
	t.Helper()
	cards, _, err := env.Service.Search(context.Background(), apptest.Supervisor, appeals.Filter{Limit: appeals.MaxSearchLimit})
	if err != nil {
		t.Fatal(err)
	}
	out := map[int][]int64{}
	for _, c := range cards {
		out[c.Year] = append(out[c.Year], c.Seq)
		if want := fmt.Sprintf("%d-%06d", c.Year, c.Seq); c.Number != want {
			t.Errorf("number %q, want %q", c.Number, want)
		}
	}
	for _, s := range out {
		sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	}
	return out
}

func assertGapless(t *testing.T, year int, seqs []int64, want int) {
	t.Helper()
	if len(seqs) != want {
		t.Fatalf("%d: %d cards, want %d", year, len(seqs), want)
	}
	for i, s := range seqs {
		if s != int64(i+1) {
			t.Fatalf("%d: numbers %v are not 1..%d without gaps or duplicates", year, seqs, want)
		}
	}
}

// writers is how many registrations run at once: each has its own
// connection, so all of them queue on the year's counter row together.
const writers = 50

func TestFiftyConcurrentWritersGetGaplessNumbers(t *testing.T) {
	env := apptest.NewWithConns(t, writers, apptest.At(2026, 3, 2, 10, 0), nil)
	const each = 4
	var wg sync.WaitGroup
	errs := make(chan error, writers*each)
	start := make(chan struct{})
	for range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			for range each {
				if _, err := env.Service.Create(context.Background(), apptest.Operator, apptest.Named("water")); err != nil {
					errs <- err
				}
			}
		}()
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	assertGapless(t, 2026, seqsByYear(t, env)[2026], writers*each)
}

// The year is the community's: 31 Dec 23:59 in apptest.Kyiv is still 2026 although
// it is 21:59 UTC, and 1 Jan 00:00 in apptest.Kyiv starts 2027 at 000001.
func TestNumberingStartsAgainAtNewYearInKyiv(t *testing.T) {
	env := apptest.NewWithConns(t, writers, apptest.At(2026, 12, 31, 23, 59), nil)
	lastMinute, firstMinute := apptest.At(2026, 12, 31, 23, 59), apptest.At(2027, 1, 1, 0, 0)
	var n atomic.Int64
	svc, err := appeals.NewService(apptest.Config(), appeals.Deps{Repo: env.Store, Calendar: apptest.Calendar{}, Log: apptest.Quiet(),
		Now: func() time.Time { // writers straddle midnight
			if n.Add(1)%2 == 0 {
				return firstMinute
			}
			return lastMinute
		}})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	const each = 2
	start := make(chan struct{})
	for range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			for range each {
				if _, err := svc.Create(context.Background(), apptest.Operator, apptest.Named("water")); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	close(start)
	wg.Wait()
	byYear := seqsByYear(t, env)
	assertGapless(t, 2026, byYear[2026], writers*each/2)
	assertGapless(t, 2027, byYear[2027], writers*each/2)
}

func TestACardThatIsNotSavedGivesItsNumberBack(t *testing.T) {
	ctx := context.Background()
	env := apptest.New(t, apptest.At(2026, 3, 2, 10, 0), nil)
	first, err := env.Service.Create(ctx, apptest.Operator, apptest.Named("water"))
	if err != nil {
		t.Fatal(err)
	}
	// The store's insert fails after the counter moved: the transaction
	// takes the counter back with it.
	_, err = env.Store.Create(ctx, appeals.NewRecord{Card: first, Number: func(int, int64) (string, error) {
		return "", errors.New("disk full")
	}})
	if err == nil {
		t.Fatal("a failing insert succeeded")
	}
	second, err := env.Service.Create(ctx, apptest.Operator, apptest.Named("water"))
	if err != nil {
		t.Fatal(err)
	}
	if second.Seq != first.Seq+1 {
		t.Fatalf("after a failed card the next number is %s, want seq %d", second.Number, first.Seq+1)
	}
}

func TestCallersKeyTheNumberTheyHeard(t *testing.T) {
	ctx := context.Background()
	env := apptest.New(t, apptest.At(2026, 12, 30, 10, 0), nil)
	var last appeals.Card
	for range 123 {
		c, err := env.Service.CreateFromCall(ctx, appeals.FromCall{CallID: "c", CallerNumber: "0501234567", Category: "water"})
		if err != nil {
			t.Fatal(err)
		}
		last = c
	}
	if last.Number != "2026-000123" || last.SpokenDigits() != "123" {
		t.Fatalf("number %q spoken %q, want 2026-000123 spoken as 123", last.Number, last.SpokenDigits())
	}
	for _, keyed := range []string{"123", "000123", "2026000123", "2026123", "2026-000123#"} {
		c, err := env.Service.FindBySpokenNumber(ctx, keyed)
		if err != nil || c.ID != last.ID {
			t.Errorf("keyed %q: %v (%s), want %s", keyed, err, c.Number, last.Number)
		}
	}
	for _, keyed := range []string{"", "0", "124", "2026000999", "*#"} {
		if _, err := env.Service.FindBySpokenNumber(ctx, keyed); !errors.Is(err, appeals.ErrNotFound) {
			t.Errorf("keyed %q: %v, want not found", keyed, err)
		}
	}
	// In the new year, "123" still finds last year's card while this year
	// has no 123rd.
	env.Clock.Set(apptest.At(2027, 1, 3, 10, 0))
	c, err := env.Service.FindBySpokenNumber(ctx, "123")
	if err != nil || c.ID != last.ID {
		t.Errorf("in January, keyed 123: %v, want last year's %s", err, last.Number)
	}
	st, err := env.Service.StatusForCaller(ctx, "123")
	if err != nil || st.Number != last.Number || st.Status != appeals.StatusSentToExecutor || st.Closed || !st.DueAt.Equal(last.ResolveBy) {
		t.Errorf("status for caller: %+v, %v", st, err)
	}
}

func TestNumberFormatAndSpokenPartAreConfigurable(t *testing.T) {
	ctx := context.Background()
	env := apptest.New(t, apptest.At(2026, 5, 4, 10, 0), func(c *appeals.Config) {
		c.NumberFormat = "Z{{.Year}}/{{.Seq}}"
		c.SeqDigits = 4
		c.SpokenPart = appeals.SpokenFull
	})
	c, err := env.Service.Create(ctx, apptest.Operator, apptest.Named("water"))
	if err != nil {
		t.Fatal(err)
	}
	if c.Number != "Z2026/0001" || c.SpokenDigits() != "20260001" {
		t.Fatalf("number %q spoken %q, want Z2026/0001 spoken 20260001", c.Number, c.SpokenDigits())
	}
	if got, err := env.Service.FindBySpokenNumber(ctx, "20260001"); err != nil || got.ID != c.ID {
		t.Errorf("keyed full digits: %v", err)
	}
	for _, bad := range []string{"{{.Seq}}", "{{.Year}}", "{{.Month}}-{{.Seq}}", "{{.Year"} {
		cfg := apptest.Config()
		cfg.NumberFormat = bad
		if err := cfg.Validate(); !isField(err, "number_format") {
			t.Errorf("format %q: %v, want a number_format error", bad, err)
		}
	}
}
