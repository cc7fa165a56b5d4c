package pgstore_test

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/slobozhanske/hotline/internal/dbtest"
	"github.com/slobozhanske/hotline/internal/store"
	"github.com/slobozhanske/hotline/telephony/callrecord"
	"github.com/slobozhanske/hotline/telephony/callrecord/pgstore"
)

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func startWriter(t *testing.T, pool *pgxpool.Pool, capacity int) *pgstore.Writer {
	t.Helper()
	w := pgstore.NewWriter(pool, capacity, quiet(), prometheus.NewRegistry())
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); w.Run(ctx, 5*time.Second) }()
	t.Cleanup(func() { cancel(); <-done })
	return w
}

func writeCall(w *pgstore.Writer, id string, at time.Time) {
	w.Start(callrecord.Record{ID: id, ChannelID: "ch-" + id, CallerNumber: "+380501112233", Dialed: "1580", ArrivedAt: at})
	w.Answered(id, at.Add(time.Second))
	w.Event(id, 1, at.Add(2*time.Second), "node", "main", nil)
	w.Event(id, 2, at.Add(5*time.Second), "key", "main", map[string]string{"key": "4"})
	w.Outcome(id, "info_given", "", "")
	w.Ended(id, callrecord.End{At: at.Add(20 * time.Second), Cause: 16, CauseText: "Normal Clearing"})
}

type row struct {
	outcome  string
	cause    int
	events   int
	answered bool
	ended    bool
}

func readCall(t *testing.T, pool *pgxpool.Pool, id string) row {
	t.Helper()
	var r row
	err := pool.QueryRow(context.Background(), `SELECT outcome, COALESCE(hangup_cause, 0), answered_at IS NOT NULL, ended_at IS NOT NULL,
		(SELECT count(*) FROM call_events WHERE call_id = $1) FROM calls WHERE id = $1`, id).
		Scan(&r.outcome, &r.cause, &r.answered, &r.ended, &r.events)
	if err != nil {
		t.Fatalf("read call %s: %v", id, err)
	}
	return r
}

func TestACallLeavesACompleteRecord(t *testing.T) {
	pool := dbtest.NewPool(t)
	w := startWriter(t, pool, 100)
	writeCall(w, "call-1", time.Now())
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := w.WaitIdle(ctx); err != nil {
		t.Fatal(err)
	}
	got := readCall(t, pool, "call-1")
	want := row{outcome: "info_given", cause: 16, events: 2, answered: true, ended: true}
	if got != want {
		t.Errorf("record = %+v, want %+v", got, want)
	}
}

// While PostgreSQL is down, calls go on and their records wait in memory;
// when it is back they are written in order, complete.
func TestRecordsAreWrittenWhenTheDatabaseReturns(t *testing.T) {
	pg := dbtest.StartServer(t)
	ctx := context.Background()
	pool, err := store.Open(ctx, pg.URL(), 4)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	if _, err := store.Migrate(ctx, pool, quiet()); err != nil {
		t.Fatal(err)
	}
	w := startWriter(t, pool, 1000)

	pg.Stop()
	for i, id := range []string{"a", "b", "c"} {
		writeCall(w, id, time.Now().Add(time.Duration(i)*time.Minute))
	}
	time.Sleep(300 * time.Millisecond) // let the writer fail at least once
	if w.Len() == 0 {
		t.Fatal("writes vanished while the database was down")
	}
	pg.Start()
	wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := w.WaitIdle(wctx); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"a", "b", "c"} {
		if got := readCall(t, pool, id); !got.ended || got.events != 2 || got.outcome != "info_given" {
			t.Errorf("call %s after the outage: %+v", id, got)
		}
	}
}

// The buffer is bounded: what it cannot hold is counted, never a crash or
// unbounded memory.
func TestAFullBufferCountsWhatItDrops(t *testing.T) {
	pg := dbtest.StartServer(t)
	pool, err := store.Open(context.Background(), pg.URL(), 2)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	pg.Stop()
	reg := prometheus.NewRegistry()
	w := pgstore.NewWriter(pool, 5, quiet(), reg)
	for i := range 10 {
		w.Event("x", i, time.Now(), "key", "main", nil)
	}
	if w.Len() != 5 {
		t.Errorf("queue holds %d, want its capacity 5", w.Len())
	}
	n, err := testutil.GatherAndCount(reg, "hotline_call_record_writes_dropped_total")
	if err != nil || n != 1 {
		t.Fatalf("dropped metric missing: %v", err)
	}
	mfs, _ := reg.Gather()
	for _, mf := range mfs {
		if mf.GetName() == "hotline_call_record_writes_dropped_total" {
			if v := mf.GetMetric()[0].GetCounter().GetValue(); v != 5 {
				t.Errorf("dropped = %v, want 5", v)
			}
		}
	}
}
