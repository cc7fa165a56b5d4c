package main

// End-to-end tests of call records that cannot get into the database: a
// channel that already has a record when the server starts (left by a
// server that was killed), and a writer held up while the database still
// answers pings.

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/slobozhanske/hotline/config"
	"github.com/slobozhanske/hotline/internal/store"
	"github.com/slobozhanske/hotline/telephony/ari/aritest"
)

// A server was killed with a resident in its Stasis application; the
// resident's channel has a record. The next server takes the resident over
// and the records of the calls after it are written, whatever becomes of
// the taken-over call's own writes: the channel's record cannot block them.
func TestAfterACrashTheCallsThatFollowAreRecorded(t *testing.T) {
	var cfg *config.Config
	var leftOver *aritest.Party
	r := startRigWith(t, rigOptions{
		tune: func(c *config.Config) { cfg = c },
		beforeServe: func(srv *aritest.Server) {
			ws := rawEvents(t, srv, "hotline")
			p, err := srv.Dial(context.Background(), aritest.DialOptions{App: "hotline", Caller: "+380501230009", Exten: "1580", Language: "uk"})
			if err != nil {
				t.Fatal(err)
			}
			_ = ws.Close() // kill -9
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if err := waitNotConnected(ctx, srv, "hotline"); err != nil {
				t.Fatal(err)
			}
			// What the killed server had written of the call.
			pool, err := store.Open(ctx, cfg.Database.URL.Reveal(), 2)
			if err != nil {
				t.Fatal(err)
			}
			defer pool.Close()
			if _, err := store.Migrate(ctx, pool, slog.New(slog.DiscardHandler)); err != nil {
				t.Fatal(err)
			}
			if _, err := pool.Exec(ctx, `INSERT INTO calls (id, channel_id, caller_number, dialed, arrived_at, answered_at)
				VALUES ('before-the-crash', $1, '+380501230009', '1580', $2, $2)`, p.ChannelID(), time.Now().Add(-time.Minute)); err != nil {
				t.Fatal(err)
			}
			leftOver = p
		},
	})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	next := r.dial(ctx, "+380501230010")
	if _, err := next.WaitForPlayback(ctx, "sound:hotline/main-menu"); err != nil {
		t.Fatal(err)
	}
	_ = next.Press("4")
	if _, err := next.WaitForPlaybackEnd(ctx, "sound:hotline/info-hours"); err != nil {
		t.Fatal(err)
	}
	_ = next.Hangup()
	rec := r.waitRecord(ctx, next.ChannelID())
	if rec.outcome != "info_given" || !rec.answered || len(rec.events) == 0 {
		t.Errorf("the next caller's record = %+v", rec)
	}

	// The left-over channel still has its one record.
	var ids []string
	rows, err := r.pool.Query(ctx, `SELECT id FROM calls WHERE channel_id = $1`, leftOver.ChannelID())
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id string
		_ = rows.Scan(&id)
		ids = append(ids, id)
	}
	rows.Close()
	if len(ids) != 1 || ids[0] != "before-the-crash" {
		t.Errorf("records of the left-over channel: %v, want its one record before-the-crash", ids)
	}
	if code, rd := readiness(t, r.base); !rd.Checks["call_records"].OK {
		t.Errorf("/readyz %d: call records %+v", code, rd.Checks["call_records"])
	}
	_ = leftOver.Hangup()
}

// A writer whose writes do not get in (here the calls table is locked) is
// reported in /readyz, though the database answers; once the writes go in
// it is ready again and the record is complete.
func TestReadyzReportsCallRecordsThatDoNotGetIn(t *testing.T) {
	const limit = 300 * time.Millisecond
	r := startRigWith(t, rigOptions{tune: func(c *config.Config) { c.Calls.RecordStallAfter = limit }})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	r.until(ctx, "migrations applied", func() bool {
		var n int
		err := r.pool.QueryRow(ctx, `SELECT count(*) FROM schema_migrations WHERE version = 7`).Scan(&n)
		return err == nil && n == 1
	})
	if code, rd := readiness(t, r.base); !rd.Checks["call_records"].OK {
		t.Fatalf("/readyz %d before any call: %+v", code, rd.Checks["call_records"])
	}

	tx, err := r.pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = tx.Rollback(context.Background()) }()
	if _, err := tx.Exec(ctx, `LOCK TABLE calls IN ACCESS EXCLUSIVE MODE`); err != nil {
		t.Fatal(err)
	}
	caller := r.dial(ctx, "+380501230011")
	if _, err := caller.WaitForPlayback(ctx, "sound:hotline/main-menu"); err != nil {
		t.Fatal(err)
	}
	r.until(ctx, "/readyz reporting the call records stuck", func() bool {
		code, rd := readiness(t, r.base)
		return code == http.StatusServiceUnavailable && !rd.Checks["call_records"].OK &&
			strings.Contains(rd.Checks["call_records"].Error, "call records not being written")
	})
	if _, rd := readiness(t, r.base); !rd.Checks["database"].OK {
		t.Errorf("the database check failed too (%+v): the test would show nothing", rd.Checks["database"])
	}
	metrics := r.metrics()
	if !strings.Contains(metrics, "hotline_call_record_oldest_pending_seconds ") ||
		strings.Contains(metrics, "hotline_call_record_oldest_pending_seconds 0\n") {
		t.Errorf("/metrics does not show the waiting writes:\n%s", grepLines(metrics, "hotline_call_record"))
	}

	if err := tx.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	r.until(ctx, "/readyz reporting the call records ready again", func() bool {
		_, rd := readiness(t, r.base)
		return rd.Checks["call_records"].OK
	})
	_ = caller.Press("4")
	if _, err := caller.WaitForPlaybackEnd(ctx, "sound:hotline/info-hours"); err != nil {
		t.Fatal(err)
	}
	_ = caller.Hangup()
	if rec := r.waitRecord(ctx, caller.ChannelID()); rec.outcome != "info_given" || !rec.answered {
		t.Errorf("record after the writes went in: %+v", rec)
	}
}

// metrics is the server's /metrics page.
func (r *rig) metrics() string {
	r.t.Helper()
	resp, err := http.Get(r.base + "/metrics")
	if err != nil {
		r.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		r.t.Fatal(err)
	}
	return string(b)
}

func grepLines(s, substr string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, substr) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
