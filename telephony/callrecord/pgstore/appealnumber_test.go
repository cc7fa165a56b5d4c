package pgstore_test

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/slobozhanske/hotline/internal/dbtest"
	"github.com/slobozhanske/hotline/telephony/callrecord"
)

// linkCard stores a card with number and links it to callID, as
// appeals/pgstore does when a card is opened for a call.
func linkCard(t *testing.T, pool *pgxpool.Pool, seq int, number, callID string, at time.Time) {
	t.Helper()
	var id string
	err := pool.QueryRow(context.Background(), `INSERT INTO appeals (id, year, seq, number, number_digits, created_at, created_by,
			updated_at, channel, essence, category, priority, status, accept_by, resolve_by, initial_resolve_by)
		VALUES (gen_random_uuid(), 2026, $1, $2, $2, $3, 'op101', $3, 'phone', 'Немає води', 'water', 'ordinary', 'registered', $3, $3, $3)
		RETURNING id`, seq, number, at).Scan(&id)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(context.Background(), `INSERT INTO appeal_calls (appeal_id, call_id, linked_at, linked_by) VALUES ($1, $2, $3, 'op101')`,
		id, callID, at); err != nil {
		t.Fatal(err)
	}
}

func appealNumber(t *testing.T, pool *pgxpool.Pool, callID string) string {
	t.Helper()
	var n string
	if err := pool.QueryRow(context.Background(), `SELECT appeal_number FROM calls WHERE id = $1`, callID).Scan(&n); err != nil {
		t.Fatalf("read %s: %v", callID, err)
	}
	return n
}

// A card linked to a call gives the call's record its number, whether the
// record was written before the link or (the writer lagging behind the
// database) after it; the call's own outcome and end, which carry no
// number, keep it, and a second card linked later does not replace it.
func TestACardLinkedToACallGivesItsRecordTheNumber(t *testing.T) {
	pool := dbtest.NewPool(t)
	at := time.Now()
	w := startWriter(t, pool, 100)
	wait := func() {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := w.WaitIdle(ctx); err != nil {
			t.Fatal(err)
		}
	}

	// The operator opens the card while the call goes on.
	w.Start(callrecord.Record{ID: "talking", ChannelID: "ch-talking", ArrivedAt: at})
	wait()
	linkCard(t, pool, 1, "2026-000001", "talking", at.Add(time.Minute))
	if got := appealNumber(t, pool, "talking"); got != "2026-000001" {
		t.Errorf("after the link: %q, want 2026-000001", got)
	}
	w.Outcome("talking", "answered_by_operator", "", "")
	w.Ended("talking", callrecord.End{At: at.Add(2 * time.Minute), Cause: 16})
	wait()
	linkCard(t, pool, 2, "2026-000002", "talking", at.Add(3*time.Minute))
	if got := appealNumber(t, pool, "talking"); got != "2026-000001" {
		t.Errorf("after the outcome, the end and a second card: %q, want the first card's 2026-000001", got)
	}

	// The card is linked before the record reaches the database.
	linkCard(t, pool, 3, "2026-000003", "lagging", at)
	w.Start(callrecord.Record{ID: "lagging", ChannelID: "ch-lagging", ArrivedAt: at})
	wait()
	if got := appealNumber(t, pool, "lagging"); got != "2026-000003" {
		t.Errorf("record written after the link: %q, want 2026-000003", got)
	}

	// The menu's own card comes with the outcome, as before.
	writeCall(w, "menu", at)
	w.Outcome("menu", "message_left", "2026-000004", "msg-1")
	wait()
	if got := appealNumber(t, pool, "menu"); got != "2026-000004" {
		t.Errorf("menu's card: %q, want 2026-000004", got)
	}
}
