package pgstore_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/slobozhanske/hotline/internal/dbtest"
	"github.com/slobozhanske/hotline/telephony/callrecord"
	"github.com/slobozhanske/hotline/telephony/callrecord/pgstore"
)

type closedRow struct {
	ended   *time.Time
	outcome string
	last    string         // kind of the last event
	detail  map[string]any // its detail
	events  int
}

func readClosed(t *testing.T, pool *pgxpool.Pool, id string) closedRow {
	t.Helper()
	var r closedRow
	var raw []byte
	err := pool.QueryRow(context.Background(), `SELECT c.ended_at, c.outcome,
			COALESCE((SELECT kind FROM call_events WHERE call_id = c.id ORDER BY seq DESC LIMIT 1), ''),
			COALESCE((SELECT detail FROM call_events WHERE call_id = c.id ORDER BY seq DESC LIMIT 1), '{}'),
			(SELECT count(*) FROM call_events WHERE call_id = c.id)
		FROM calls c WHERE id = $1`, id).Scan(&r.ended, &r.outcome, &r.last, &raw, &r.events)
	if err != nil {
		t.Fatalf("read %s: %v", id, err)
	}
	if err := json.Unmarshal(raw, &r.detail); err != nil {
		t.Fatal(err)
	}
	return r
}

// At start-up the records a killed server left open are closed if their
// channels are gone, with the moment they were last seen alive and the
// outcome they had kept; the calls still in Asterisk, those already ended
// and those this run took are left alone.
func TestCloseOrphansClosesTheRecordsOfChannelsThatAreGone(t *testing.T) {
	pool := dbtest.NewPool(t)
	ctx := context.Background()
	started := time.Now().Truncate(time.Millisecond)
	arrived := started.Add(-time.Hour)
	exec := func(sql string, args ...any) {
		t.Helper()
		if _, err := pool.Exec(ctx, sql, args...); err != nil {
			t.Fatal(err)
		}
	}
	// gone: in the queue when the server died; its caller hung up since.
	exec(`INSERT INTO calls (id, channel_id, arrived_at, answered_at, outcome) VALUES ('gone', 'ch-gone', $1, $2, 'queued')`,
		arrived, arrived.Add(time.Second))
	exec(`INSERT INTO call_events (call_id, seq, at, kind, node) VALUES ('gone', 1, $1, 'node', 'main'), ('gone', 2, $2, 'queue', 'operators')`,
		arrived.Add(2*time.Second), arrived.Add(10*time.Second))
	// unanswered: gone before the app answered, nothing but its arrival.
	exec(`INSERT INTO calls (id, channel_id, arrived_at) VALUES ('unanswered', 'ch-unanswered', $1)`, arrived)
	// live: still in Asterisk, taken over by this run.
	exec(`INSERT INTO calls (id, channel_id, arrived_at, outcome) VALUES ('live', 'ch-live', $1, 'queued')`, arrived)
	// ended: its end was written.
	exec(`INSERT INTO calls (id, channel_id, arrived_at, ended_at, outcome) VALUES ('ended', 'ch-ended', $1, $2, 'info_given')`,
		arrived, arrived.Add(time.Minute))
	// mine: arrived during this run (its channel was not listed yet).
	exec(`INSERT INTO calls (id, channel_id, arrived_at) VALUES ('mine', 'ch-mine', $1)`, started.Add(time.Second))

	w := pgstore.NewWriter(pool, 10, quiet(), nil)
	n, err := w.CloseOrphans(ctx, []string{"ch-live", "ch-elsewhere"}, started)
	if err != nil {
		t.Fatal(err)
	}
	if n != 2 {
		t.Errorf("closed %d, want 2", n)
	}

	gone := readClosed(t, pool, "gone")
	if gone.ended == nil || !gone.ended.Equal(arrived.Add(10*time.Second)) {
		t.Errorf("gone ended at %v, want its last event's time %v", gone.ended, arrived.Add(10*time.Second))
	}
	if gone.outcome != callrecord.OutcomeEndNotRecorded || gone.last != callrecord.EventRecordClosed || gone.events != 3 ||
		gone.detail["outcome_before"] != "queued" || gone.detail["reason"] != "channel_gone_at_startup" {
		t.Errorf("gone = %+v, want end_not_recorded with a third event keeping the outcome queued", gone)
	}
	unanswered := readClosed(t, pool, "unanswered")
	if unanswered.ended == nil || !unanswered.ended.Equal(arrived) || unanswered.outcome != callrecord.OutcomeEndNotRecorded ||
		unanswered.events != 1 || unanswered.detail["outcome_before"] != "" {
		t.Errorf("unanswered = %+v, want closed at its arrival", unanswered)
	}
	for id, want := range map[string]string{"live": "queued", "ended": "info_given", "mine": ""} {
		r := readClosed(t, pool, id)
		if r.outcome != want || r.events != 0 || (id != "ended") != (r.ended == nil) {
			t.Errorf("%s = %+v, want it untouched", id, r)
		}
	}

	// Closed once: the same call again closes nothing (and adds no event).
	if n, err := w.CloseOrphans(ctx, []string{"ch-live"}, started); err != nil || n != 0 {
		t.Errorf("CloseOrphans again: %d, %v; want 0", n, err)
	}
	// No channel listed (nil: Asterisk has none): live's record is closed too.
	if n, err := w.CloseOrphans(ctx, nil, started); err != nil || n != 1 {
		t.Errorf("CloseOrphans with no channels: %d, %v; want 1", n, err)
	}
	if r := readClosed(t, pool, "mine"); r.ended != nil {
		t.Errorf("this run's call was closed: %+v", r)
	}
}
