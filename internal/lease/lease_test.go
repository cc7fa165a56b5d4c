package lease_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/slobozhanske/hotline/internal/dbtest"
	"github.com/slobozhanske/hotline/internal/lease"
	"github.com/slobozhanske/hotline/internal/store"
)

// pools opens n pools on one fresh database: one per process.
func pools(t *testing.T, n int) []*store.Pool {
	t.Helper()
	url := dbtest.NewDatabase(t)
	var out []*store.Pool
	for range n {
		p, err := store.Open(context.Background(), url, 2)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(p.Close)
		out = append(out, p)
	}
	return out
}

// Two processes contend: exactly one wins; when it is cut off from the
// database (its machine lost), it stops judging itself active before the
// other takes over after the TTL with a higher fencing token.
func TestOneHolderAtATimeAndATakeoverAfterTheTTL(t *testing.T) {
	p := pools(t, 2)
	ttl := 600 * time.Millisecond
	a, err := lease.New(p[0], lease.Config{Name: "hotline", Holder: "a", TTL: ttl})
	if err != nil {
		t.Fatal(err)
	}
	b, err := lease.New(p[1], lease.Config{Name: "hotline", Holder: "b", TTL: ttl})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	aDone := make(chan error, 1)
	go func() { aDone <- a.Run(ctx) }()
	select {
	case <-a.Won():
	case <-ctx.Done():
		t.Fatal("the first contender never won the free lease")
	}
	if !a.Valid() || a.Token() != 1 {
		t.Fatalf("a: valid %v token %d", a.Valid(), a.Token())
	}
	bDone := make(chan error, 1)
	go func() { bDone <- b.Run(ctx) }()
	// b polls while a renews: several TTLs pass without a takeover. (The
	// absence is checked after a positive event: a's renewals went on.)
	renewedBefore := renewedAt(t, p[1])
	for renewedAt(t, p[1]).Sub(renewedBefore) < 2*ttl {
		time.Sleep(ttl / 4)
	}
	if b.Valid() || !a.Valid() {
		t.Fatalf("while a renews: a valid %v, b valid %v", a.Valid(), b.Valid())
	}

	p[0].Close() // a's database connection is gone
	select {
	case <-b.Won():
	case <-ctx.Done():
		t.Fatal("b never took the expired lease over")
	}
	if a.Valid() {
		t.Error("a still judges its lease valid after a takeover")
	}
	if err := <-aDone; !errors.Is(err, lease.ErrLost) {
		t.Errorf("a's Run: %v, want ErrLost", err)
	}
	if b.Token() != 2 {
		t.Errorf("b's token %d, want 2 (one higher than a's)", b.Token())
	}
	cancel()
	<-bDone
}

func renewedAt(t *testing.T, pool *store.Pool) time.Time {
	t.Helper()
	var at time.Time
	if err := pool.QueryRow(context.Background(), `SELECT renewed_at FROM leader_lease WHERE name = 'hotline'`).Scan(&at); err != nil {
		t.Fatal(err)
	}
	return at
}

// A clean shutdown hands the lease over at once.
func TestAHolderThatStopsHandsTheLeaseOverAtOnce(t *testing.T) {
	p := pools(t, 2)
	ttl := 10 * time.Second // a takeover by expiry would not happen within the test
	a, _ := lease.New(p[0], lease.Config{Name: "hotline", Holder: "a", TTL: ttl})
	b, _ := lease.New(p[1], lease.Config{Name: "hotline", Holder: "b", TTL: ttl})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	actx, stopA := context.WithCancel(ctx)
	aDone := make(chan error, 1)
	go func() { aDone <- a.Run(actx) }()
	<-a.Won()
	go func() { _ = b.Run(ctx) }()
	stopA()
	if err := <-aDone; err != nil {
		t.Fatalf("a's Run on shutdown: %v", err)
	}
	select {
	case <-b.Won():
	case <-time.After(ttl / 2):
		t.Fatal("b did not take over a released lease within a poll or two")
	}
}

// A holder that cannot renew (its process paused, the database away) stops
// judging its lease valid before the TTL is over, so it never acts while
// another may; once another holds it, Run reports ErrLost.
func TestAHolderThatCannotRenewStopsActingBeforeAnotherMayStart(t *testing.T) {
	pool := dbtest.NewPool(t)
	ttl := 600 * time.Millisecond
	a, err := lease.New(pool, lease.Config{Name: "hotline", Holder: "a", TTL: ttl})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	<-a.Won()
	// Another process takes the lease (as if a's renewals had not arrived).
	if _, err := pool.Exec(ctx, `UPDATE leader_lease SET holder = 'b', token = token + 1`); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if !errors.Is(err, lease.ErrLost) {
			t.Fatalf("Run: %v, want ErrLost", err)
		}
	case <-ctx.Done():
		t.Fatal("a never noticed it lost the lease")
	}
	select {
	case <-a.Lost():
	default:
		t.Fatal("Lost not closed")
	}
	if a.Valid() {
		t.Error("a lease lost is still valid")
	}
}
