package main

// Call records in the corners a real PBX exposed: a caller cut by the
// shutdown while waiting in the queue.

import (
	"context"
	"testing"
	"time"

	"github.com/slobozhanske/hotline/config"
	"github.com/slobozhanske/hotline/telephony/ari/aritest"
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

// A caller who hangs up as the message recording starts leaves an empty
// recording (Asterisk reports its length after the hangup request, trace
// 06): no card is opened and no number of the year's gapless sequence is
// used up.
func TestACallerWhoHangsUpAsTheMessageRecordingStartsOpensNoCard(t *testing.T) {
	r := startRig(t, mondayNight, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	caller := r.dialWithoutAudio(ctx, "0501234571")
	if _, err := caller.WaitForPlayback(ctx, "sound:hotline/after-hours-menu"); err != nil {
		t.Fatal(err)
	}
	_ = caller.Press("2")
	if _, err := caller.Wait(ctx, func(s aritest.PartyState) bool { return s.Recording != "" }); err != nil {
		t.Fatalf("the message recording never started: %v", err)
	}
	_ = caller.Hangup()
	rec := r.waitRecord(ctx, caller.ChannelID())
	if rec.outcome != "message_not_saved" || rec.appealNum != "" {
		t.Errorf("record: outcome %q, appeal %q; want message_not_saved and no card (steps %v)", rec.outcome, rec.appealNum, rec.steps)
	}
	var cards int
	if err := r.pool.QueryRow(ctx, `SELECT count(*) FROM appeals`).Scan(&cards); err != nil || cards != 0 {
		t.Errorf("%d cards opened (%v), want none", cards, err)
	}
}
