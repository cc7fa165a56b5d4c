package pgstore_test

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/slobozhanske/hotline/internal/dbtest"
	"github.com/slobozhanske/hotline/internal/store"
	"github.com/slobozhanske/hotline/telephony/callrecord"
	"github.com/slobozhanske/hotline/telephony/callrecord/pgstore"
)

// captured keeps what the writer logs.
type captured struct {
	mu   sync.Mutex
	recs []map[string]string // "msg" and the attributes of each record
}

func (c *captured) Enabled(context.Context, slog.Level) bool { return true }
func (c *captured) Handle(_ context.Context, r slog.Record) error {
	m := map[string]string{"msg": r.Message, "level": r.Level.String()}
	r.Attrs(func(a slog.Attr) bool { m[a.Key] = a.Value.String(); return true })
	c.mu.Lock()
	c.recs = append(c.recs, m)
	c.mu.Unlock()
	return nil
}
func (c *captured) WithAttrs([]slog.Attr) slog.Handler { return c }
func (c *captured) WithGroup(string) slog.Handler      { return c }

// rejections are the records logged for writes dropped for good.
func (c *captured) rejections() []map[string]string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []map[string]string
	for _, m := range c.recs {
		if strings.Contains(m["msg"], "refused by the database for good") {
			out = append(out, m)
		}
	}
	return out
}

// writerRig is a writer whose Run is started by the test, so writes can be
// queued first (and land in one batch), with its metrics and log.
type writerRig struct {
	w    *pgstore.Writer
	reg  *prometheus.Registry
	logs *captured
}

func newWriterRig(pool *pgxpool.Pool) *writerRig {
	r := &writerRig{reg: prometheus.NewRegistry(), logs: &captured{}}
	r.w = pgstore.NewWriter(pool, 1000, slog.New(r.logs), r.reg)
	return r
}

// run starts the writer; stop cancels it and waits for its drain to end.
func (r *writerRig) run(t *testing.T) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); r.w.Run(ctx, 10*time.Second) }()
	var once sync.Once
	stop = func() { once.Do(func() { cancel(); <-done }) }
	t.Cleanup(stop)
	return stop
}

func (r *writerRig) waitIdle(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := r.w.WaitIdle(ctx); err != nil {
		t.Fatal(err)
	}
}

func (r *writerRig) metric(t *testing.T, name string) float64 {
	t.Helper()
	mfs, err := r.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == name {
			m := mf.GetMetric()[0]
			if c := m.GetCounter(); c != nil {
				return c.GetValue()
			}
			return m.GetGauge().GetValue()
		}
	}
	t.Fatalf("metric %s not registered", name)
	return 0
}

// openRowLeftByACrash is the row a killed server left for a call still in
// Asterisk: arrived and answered, in the queue, not ended.
func openRowLeftByACrash(t *testing.T, pool *pgxpool.Pool, id, channel string, at time.Time) {
	t.Helper()
	_, err := pool.Exec(context.Background(), `INSERT INTO calls (id, channel_id, caller_number, arrived_at, answered_at, outcome)
		VALUES ($1, $2, '+380501112233', $3, $3, 'queued')`, id, channel, at)
	if err != nil {
		t.Fatal(err)
	}
}

func assertComplete(t *testing.T, pool *pgxpool.Pool, ids ...string) {
	t.Helper()
	for _, id := range ids {
		if got := readCall(t, pool, id); !got.ended || got.events != 2 || got.outcome != "info_given" || got.cause != 16 {
			t.Errorf("call %s: %+v, want its complete record", id, got)
		}
	}
}

// After a kill -9 the call found in Stasis was started again, under a new
// id, on a channel that already has a record: that start must not fail,
// and the new id's event (which the database refuses: no such call) is
// dropped alone, so the calls after it are recorded.
func TestAStartForAChannelWithARecordDoesNotHoldBackTheOtherCalls(t *testing.T) {
	pool := dbtest.NewPool(t)
	before := time.Now().Add(-time.Hour)
	openRowLeftByACrash(t, pool, "old-1", "ch-adopted", before)

	r := newWriterRig(pool)
	r.w.Start(callrecord.Record{ID: "new-1", ChannelID: "ch-adopted", CallerNumber: "+380501112233", ArrivedAt: time.Now()})
	r.w.Event("new-1", 1, time.Now(), "node", "main", nil)
	for i, id := range []string{"a", "b", "c"} {
		writeCall(r.w, id, time.Now().Add(time.Duration(i)*time.Second))
	}
	r.run(t)
	r.waitIdle(t)

	assertComplete(t, pool, "a", "b", "c")
	if v := r.metric(t, "hotline_call_record_writes_rejected_total"); v != 1 {
		t.Errorf("rejected = %v, want 1 (the new id's event)", v)
	}
	rej := r.logs.rejections()
	if len(rej) != 1 || rej[0]["write"] != "event" || rej[0]["call"] != "new-1" || rej[0]["level"] != "ERROR" ||
		!strings.Contains(rej[0]["err"], "23503") {
		t.Errorf("rejections logged: %v, want one ERROR naming the event of new-1 and the foreign-key violation", rej)
	}
	// The channel keeps the record it had.
	var id, outcome string
	if err := pool.QueryRow(context.Background(), `SELECT id, outcome FROM calls WHERE channel_id = 'ch-adopted'`).Scan(&id, &outcome); err != nil {
		t.Fatal(err)
	}
	if id != "old-1" || outcome != "queued" {
		t.Errorf("the channel's record is now %s/%s, want old-1/queued", id, outcome)
	}
	if err := r.w.Stalled(time.Minute); err != nil {
		t.Errorf("writer reported stuck after writing everything: %v", err)
	}
}

// A write no database would take (a rating out of 1–5) among other calls'
// writes is dropped alone; the others, before and after it in the same
// batch, are all written.
func TestAWriteTheDatabaseRefusesIsDroppedAloneAndTheRestWritten(t *testing.T) {
	pool := dbtest.NewPool(t)
	r := newWriterRig(pool)
	writeCall(r.w, "before", time.Now())
	r.w.Rating("before", 9)
	writeCall(r.w, "after", time.Now())
	r.w.Rating("after", 5)
	r.run(t)
	r.waitIdle(t)

	assertComplete(t, pool, "before", "after")
	var rating *int
	if err := pool.QueryRow(context.Background(), `SELECT rating FROM calls WHERE id = 'after'`).Scan(&rating); err != nil || rating == nil || *rating != 5 {
		t.Errorf("rating of the call after the refused write: %v, %v; want 5", rating, err)
	}
	if v := r.metric(t, "hotline_call_record_writes_rejected_total"); v != 1 {
		t.Errorf("rejected = %v, want 1", v)
	}
	if v := r.metric(t, "hotline_call_record_write_retries_total"); v != 0 {
		t.Errorf("retries = %v, want 0: a refusal is not retried", v)
	}
	if rej := r.logs.rejections(); len(rej) != 1 || rej[0]["write"] != "rating" || rej[0]["call"] != "before" {
		t.Errorf("rejections logged: %v, want the rating of \"before\"", rej)
	}
}

// Through a PostgreSQL outage with a refused write queued: the outage is
// retried (nothing is dropped for it), the writer reports itself stuck
// while its writes wait, and once the database is back everything but the
// refused write is written and the writer is ready again.
func TestAnOutageIsRetriedAndReportedWhileARefusedWriteIsDropped(t *testing.T) {
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
	openRowLeftByACrash(t, pool, "old-1", "ch-adopted", time.Now().Add(-time.Hour))
	r := newWriterRig(pool)
	r.run(t)

	pg.Stop()
	r.w.Start(callrecord.Record{ID: "new-1", ChannelID: "ch-adopted", ArrivedAt: time.Now()})
	r.w.Event("new-1", 1, time.Now(), "node", "main", nil)
	for i, id := range []string{"a", "b", "c"} {
		writeCall(r.w, id, time.Now().Add(time.Duration(i)*time.Minute))
	}
	const limit = 200 * time.Millisecond
	deadline := time.Now().Add(30 * time.Second)
	for r.w.Stalled(limit) == nil {
		if time.Now().After(deadline) {
			t.Fatal("the writer never reported itself stuck while the database was down")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := r.w.Stalled(limit); !strings.Contains(err.Error(), "call records not being written") {
		t.Errorf("Stalled = %v", err)
	}
	if v := r.metric(t, "hotline_call_record_oldest_pending_seconds"); v < limit.Seconds() {
		t.Errorf("oldest pending = %vs while stuck, want at least %v", v, limit)
	}
	if v := r.metric(t, "hotline_call_record_writes_rejected_total"); v != 0 {
		t.Errorf("rejected = %v while the database was away, want 0: an outage is no refusal", v)
	}

	pg.Start()
	r.waitIdle(t)
	assertComplete(t, pool, "a", "b", "c")
	if v := r.metric(t, "hotline_call_record_writes_rejected_total"); v != 1 {
		t.Errorf("rejected = %v, want 1 (the new id's event)", v)
	}
	if v := r.metric(t, "hotline_call_record_write_retries_total"); v == 0 {
		t.Error("no retries counted through the outage")
	}
	if err := r.w.Stalled(limit); err != nil {
		t.Errorf("still reported stuck after the writes: %v", err)
	}
	if v := r.metric(t, "hotline_call_record_oldest_pending_seconds"); v != 0 {
		t.Errorf("oldest pending = %vs with nothing pending", v)
	}
}

// SIGTERM with writes pending, a refused one first: the drain writes all
// the others before Run returns.
func TestTheShutdownDrainWritesPastARefusedWrite(t *testing.T) {
	pool := dbtest.NewPool(t)
	openRowLeftByACrash(t, pool, "old-1", "ch-adopted", time.Now().Add(-time.Hour))
	r := newWriterRig(pool)
	r.w.Start(callrecord.Record{ID: "new-1", ChannelID: "ch-adopted", ArrivedAt: time.Now()})
	r.w.Event("new-1", 1, time.Now(), "node", "main", nil)
	for i, id := range []string{"a", "b", "c"} {
		writeCall(r.w, id, time.Now().Add(time.Duration(i)*time.Second))
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // shutting down already: only the drain writes
	r.w.Run(ctx, 10*time.Second)

	if n := r.w.Len(); n != 0 {
		t.Errorf("%d writes left unwritten by the drain", n)
	}
	assertComplete(t, pool, "a", "b", "c")
	if v := r.metric(t, "hotline_call_record_writes_rejected_total"); v != 1 {
		t.Errorf("rejected = %v, want 1", v)
	}
}
