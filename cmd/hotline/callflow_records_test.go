package main

// Call records in the corners a real PBX exposed: a caller cut by the
// shutdown while waiting in the queue.

import (
	"context"
	"testing"
	"time"

	"github.com/slobozhanske/hotline/config"
	"github.com/slobozhanske/hotline/telephony/aritest"
)

// A caller still waiting in the queue when the shutdown grace is over did
// not abandon the queue: the server ended the call (README: ended_by_shutdown).
func TestACallerStillInTheQueueWhenTheShutdownGraceEndsIsRecordedAsEndedByShutdown(t *testing.T) {
	r := startRigWith(t, rigOptions{tune: func(cfg *config.Config) {
		for i := range cfg.Queues {
			cfg.Queues[i].RingTimeout, cfg.Queues[i].WrapUp, cfg.Queues[i].AnnounceEvery = 2*time.Second, 50*time.Millisecond, 200*time.Millisecond
		}
		cfg.Calls.ShutdownGrace = time.Second
	}})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	r.operatorLogsIn(ctx, "op101")
	r.ari.SetPhone("PJSIP/op101", aritest.PhoneBehavior{Outcome: aritest.NoAnswer})

	resident := r.dial(ctx, "0501234570")
	if _, err := resident.WaitForPlayback(ctx, "sound:hotline/main-menu"); err != nil {
		t.Fatal(err)
	}
	_ = resident.Press("0")
	r.until(ctx, "the caller waits in the queue", func() bool {
		rec, err := readRecord(ctx, r.pool, resident.ChannelID(), false)
		return err == nil && rec.outcome == "queued"
	})

	r.stopServe()
	if err := r.waitServed(20 * time.Second); err != nil {
		t.Fatal(err)
	}
	rec, err := readRecord(ctx, r.pool, resident.ChannelID(), false)
	if err != nil || !rec.ended || rec.outcome != "ended_by_shutdown" {
		t.Errorf("record of the caller cut by the shutdown = %+v (%v); want outcome ended_by_shutdown", rec, err)
	}
}
