package store_test

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"testing"

	"github.com/slobozhanske/hotline/internal/dbtest"
	"github.com/slobozhanske/hotline/internal/store"
)

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// Migrations run at every start and from `hotline migrate`, possibly by two
// processes at once: each is applied exactly once.
func TestMigrateIsIdempotentAndSafeConcurrently(t *testing.T) {
	ctx := context.Background()
	// NewDatabase already migrated once; run twice more, concurrently.
	pool := dbtest.NewPool(t)
	var wg sync.WaitGroup
	errs := make([]error, 4)
	applied := make([][]int, 4)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			applied[i], errs[i] = store.Migrate(ctx, pool, quiet())
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("migrator %d: %v", i, err)
		}
		if len(applied[i]) != 0 {
			t.Fatalf("migrator %d applied %v on an up-to-date database", i, applied[i])
		}
	}
	all, err := store.Migrations()
	if err != nil {
		t.Fatal(err)
	}
	var n int
	if err := pool.QueryRow(ctx, "SELECT count(*) FROM schema_migrations").Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != len(all) {
		t.Fatalf("schema_migrations has %d rows, want %d", n, len(all))
	}
}

func TestFreshDatabaseMigratesConcurrently(t *testing.T) {
	ctx := context.Background()
	pool := dbtest.NewPool(t)
	// Start from nothing: drop what NewDatabase applied, then race two migrators.
	if _, err := pool.Exec(ctx, "DROP SCHEMA public CASCADE; CREATE SCHEMA public"); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	total := make(chan int, 2)
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			done, err := store.Migrate(ctx, pool, quiet())
			if err != nil {
				t.Error(err)
			}
			total <- len(done)
		}()
	}
	wg.Wait()
	close(total)
	sum := 0
	for n := range total {
		sum += n
	}
	all, _ := store.Migrations()
	if sum != len(all) {
		t.Fatalf("two concurrent migrators applied %d migrations in total, want %d (each exactly once)", sum, len(all))
	}
}
