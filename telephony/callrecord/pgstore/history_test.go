package pgstore_test

import (
	"context"
	"testing"
	"time"

	"github.com/slobozhanske/hotline/internal/dbtest"
	"github.com/slobozhanske/hotline/telephony/callrecord"
	"github.com/slobozhanske/hotline/telephony/callrecord/pgstore"
)

// A call taken over after a crash reads its channel's open record and
// continues it: the same id, its events numbered on, its end written on
// the one row. An ended record or an unknown channel is not found.
func TestATakenOverCallContinuesItsOpenRecord(t *testing.T) {
	pool := dbtest.NewPool(t)
	ctx := context.Background()
	arrived := time.Now().Add(-time.Hour).Truncate(time.Millisecond)
	w := startWriter(t, pool, 100)
	wait := func() {
		t.Helper()
		wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		if err := w.WaitIdle(wctx); err != nil {
			t.Fatal(err)
		}
	}
	// What the killed server wrote.
	w.Start(callrecord.Record{ID: "before", ChannelID: "ch-1", CallerNumber: "+380501112233", CallerName: "Олена", Dialed: "1580", ArrivedAt: arrived})
	w.Answered("before", arrived.Add(time.Second))
	w.Event("before", 1, arrived.Add(2*time.Second), "node", "main", nil)
	w.Event("before", 2, arrived.Add(3*time.Second), "key", "main", map[string]string{"key": "0"})
	w.Outcome("before", "queued", "", "")
	writeCall(w, "done", arrived) // ended: nothing to continue
	wait()

	h := pgstore.NewHistory(pool)
	past, found, err := h.OpenCall(ctx, "ch-1")
	if err != nil || !found {
		t.Fatalf("OpenCall = %v, %v; want the open record", found, err)
	}
	if past.ID != "before" || past.CallerNumber != "+380501112233" || past.CallerName != "Олена" || past.Dialed != "1580" ||
		!past.ArrivedAt.Equal(arrived) || !past.AnsweredAt.Equal(arrived.Add(time.Second)) || past.Outcome != "queued" || past.LastSeq != 2 {
		t.Errorf("past = %+v", past)
	}
	if len(past.Steps) != 2 || past.Steps[1].Kind != "key" || past.Steps[1].Detail["key"] != "0" {
		t.Errorf("steps = %+v, want node then key 0", past.Steps)
	}
	for _, ch := range []string{"ch-done", "ch-unknown"} {
		if _, found, err := h.OpenCall(ctx, ch); err != nil || found {
			t.Errorf("OpenCall(%s) = %v, %v; want not found", ch, found, err)
		}
	}

	// The new server goes on under the same id; a Start it may send again writes nothing.
	w.Start(callrecord.Record{ID: past.ID, ChannelID: "ch-1", ArrivedAt: time.Now()})
	w.Event(past.ID, past.LastSeq+1, time.Now(), "queue", "operators", map[string]string{"result": "answered"})
	w.Outcome(past.ID, "answered_by_operator", "", "")
	w.Ended(past.ID, callrecord.End{At: time.Now(), Cause: 16, CauseText: "Normal Clearing"})
	wait()
	var rows, events int
	var gotArrived time.Time
	if err := pool.QueryRow(ctx, `SELECT count(*), min(arrived_at), (SELECT count(*) FROM call_events WHERE call_id = 'before')
		FROM calls WHERE channel_id = 'ch-1'`).Scan(&rows, &gotArrived, &events); err != nil {
		t.Fatal(err)
	}
	if rows != 1 || events != 3 || !gotArrived.Equal(arrived) {
		t.Errorf("channel ch-1 has %d records, %d events, arrived %v; want 1, 3, %v", rows, events, gotArrived, arrived)
	}
	if got := readCall(t, pool, "before"); !got.ended || got.outcome != "answered_by_operator" || got.cause != 16 {
		t.Errorf("continued record = %+v", got)
	}
	if _, found, err := h.OpenCall(ctx, "ch-1"); err != nil || found {
		t.Errorf("OpenCall after the end = %v, %v; want not found", found, err)
	}
}

// A call that looped in the menu has more steps than are read back; the
// last ones are read, in order, and LastSeq is the highest of all.
func TestOpenCallReadsTheLastStepsOfALongCall(t *testing.T) {
	pool := dbtest.NewPool(t)
	ctx := context.Background()
	at := time.Now().Add(-time.Hour)
	if _, err := pool.Exec(ctx, `INSERT INTO calls (id, channel_id, arrived_at) VALUES ('long', 'ch-long', $1)`, at); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `INSERT INTO call_events (call_id, seq, at, kind, node)
		SELECT 'long', s, $1::timestamptz + s * interval '1 second', 'node', 'main' FROM generate_series(1, 700) s`, at); err != nil {
		t.Fatal(err)
	}
	past, found, err := pgstore.NewHistory(pool).OpenCall(ctx, "ch-long")
	if err != nil || !found {
		t.Fatalf("OpenCall = %v, %v", found, err)
	}
	if len(past.Steps) < 2 {
		t.Fatalf("%d steps read", len(past.Steps))
	}
	first, last := past.Steps[0].Seq, past.Steps[len(past.Steps)-1].Seq
	if past.LastSeq != 700 || last != 700 || first >= past.Steps[1].Seq || len(past.Steps) != last-first+1 {
		t.Errorf("LastSeq %d, %d steps from %d to %d; want the last steps in order, ending at 700",
			past.LastSeq, len(past.Steps), first, last)
	}
	if past.AnsweredAt != (time.Time{}) {
		t.Errorf("AnsweredAt = %v for a call never answered", past.AnsweredAt)
	}
}

func TestAnOperatorSeesTheCallersEarlierCallsAndMenuPath(t *testing.T) {
	ctx := context.Background()
	pool := dbtest.NewPool(t)
	s := pgstore.NewHistory(pool)
	_, err := pool.Exec(ctx, `INSERT INTO calls (id, channel_id, caller_number, arrived_at, ended_at, outcome, appeal_number, rating) VALUES
		('old1', 'ch1', '0501234567', now() - interval '2 days', now() - interval '2 days', 'message_left', '2026-000010', NULL),
		('old2', 'ch2', '0501234567', now() - interval '1 day', now() - interval '1 day', 'answered_by_operator', '', 4),
		('other', 'ch3', '0509999999', now() - interval '1 hour', NULL, 'queued', '', NULL),
		('now', 'ch4', '0501234567', now(), NULL, 'queued', '', NULL)`)
	if err != nil {
		t.Fatal(err)
	}
	_, err = pool.Exec(ctx, `INSERT INTO call_events (call_id, seq, at, kind, node, detail) VALUES
		('now', 1, now(), 'node', 'main', '{}'), ('now', 2, now(), 'key', 'main', '{"key":"0"}'), ('now', 3, now(), 'action', 'main', '{"action":"operator"}')`)
	if err != nil {
		t.Fatal(err)
	}
	hist, err := s.CallerHistory(ctx, "0501234567", "now", 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(hist) != 2 || hist[0].ID != "old2" || hist[1].AppealNumber != "2026-000010" || hist[0].Rating == nil || *hist[0].Rating != 4 {
		t.Fatalf("history %+v", hist)
	}
	path, err := s.MenuPath(ctx, "now")
	if err != nil {
		t.Fatal(err)
	}
	if len(path) != 3 || path[1].Key != "0" || path[2].Kind != "action" {
		t.Fatalf("menu path %+v", path)
	}
}
