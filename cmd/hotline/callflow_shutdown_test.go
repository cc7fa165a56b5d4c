package main

// Shutting the server down (SIGTERM: serve's context cancelled) loses no
// call: calls in progress may finish during calls.shutdown_grace and are
// ended cleanly after it with their records written; a call arriving
// meanwhile hears that the line is busy, or is handed back to the dialplan
// (calls.fallback_context) when one is set.

import (
	"context"
	"testing"
	"time"

	"github.com/slobozhanske/hotline/config"
	"github.com/slobozhanske/hotline/telephony/ari/aritest"
)

// patientMenu makes every menu node wait a minute for a key, so a call
// stays in progress for as long as a test needs.
func patientMenu(cfg *config.Config) {
	for name, n := range cfg.Menu.Nodes {
		n.FirstKeyTimeout = time.Minute
		cfg.Menu.Nodes[name] = n
	}
}

// waitDraining waits until the server takes no new calls.
func (r *rig) waitDraining(ctx context.Context) {
	r.t.Helper()
	select {
	case <-r.draining:
	case <-ctx.Done():
		r.t.Fatal("the server did not start draining its calls")
	}
}

func TestOnShutdownACallInProgressMayFinishAndANewCallHearsTheLineIsBusy(t *testing.T) {
	r := startRig(t, mondayMorning, func(cfg *config.Config) {
		patientMenu(cfg)
		cfg.Calls.ShutdownGrace = time.Minute // the call in progress ends first
	})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	inProgress := r.dial(ctx, "+380501234001")
	if _, err := inProgress.WaitForPlaybackEnd(ctx, "sound:hotline/main-menu"); err != nil {
		t.Fatal(err)
	}

	r.stopServe()
	r.waitDraining(ctx)
	late := r.dial(ctx, "+380501234002")
	if _, err := late.WaitForPlaybackEnd(ctx, "sound:hotline/line-busy"); err != nil {
		t.Fatalf("a call arriving during the shutdown did not hear the line is busy: %v (heard %v)", err, late.HeardURIs())
	}
	if end, err := late.WaitEnded(ctx); err != nil || end.By != aritest.ByApp {
		t.Errorf("the refused call was not hung up by the server: %+v %v", end, err)
	}
	if heard(late, "sound:hotline/greeting") != 0 {
		t.Errorf("the refused call was offered the menu: %v", late.HeardURIs())
	}

	// The call in progress is still served while the server drains.
	_ = inProgress.Press("4")
	if _, err := inProgress.WaitForPlaybackEnd(ctx, "sound:hotline/info-hours"); err != nil {
		t.Fatalf("the call in progress was not served during the shutdown grace: %v (heard %v)", err, inProgress.HeardURIs())
	}
	_ = inProgress.Hangup()
	// With its last call over the server stops, long before the grace is over.
	if err := r.waitServed(20 * time.Second); err != nil {
		t.Fatal(err)
	}

	// serve has returned: every record is in the database already.
	rec, err := readRecord(ctx, r.pool, inProgress.ChannelID(), false)
	if err != nil || !rec.ended || rec.outcome != "info_given" || rec.cause != aritest.CauseNormalClearing {
		t.Errorf("record of the call in progress = %+v (%v)", rec, err)
	}
	rec, err = readRecord(ctx, r.pool, late.ChannelID(), false)
	if err != nil || !rec.ended || rec.outcome != "refused_shutting_down" || !rec.answered {
		t.Errorf("record of the refused call = %+v (%v)", rec, err)
	}
	if left := r.ari.ChannelsInApp("hotline"); len(left) != 0 {
		t.Errorf("channels left in the app: %v", left)
	}
}

func TestOnShutdownCallsAreHandedToTheFallbackContextWhenOneIsSet(t *testing.T) {
	r := startRig(t, mondayMorning, func(cfg *config.Config) {
		patientMenu(cfg)
		cfg.Calls.ShutdownGrace = 2 * time.Second
		cfg.Calls.FallbackContext = "hotline-fallback"
	})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	inProgress := r.dial(ctx, "+380501234003")
	if _, err := inProgress.WaitForPlaybackEnd(ctx, "sound:hotline/main-menu"); err != nil {
		t.Fatal(err)
	}

	r.stopServe()
	r.waitDraining(ctx)
	late := r.dial(ctx, "+380501234004")
	if dp, err := late.WaitContinued(ctx); err != nil || dp.Context != "hotline-fallback" {
		t.Fatalf("the call arriving during the shutdown went to %+v (%v), want the fallback context", dp, err)
	}
	// The caller in the menu presses nothing: when the grace is over the
	// server hands them to the dialplan too, rather than dropping them.
	if dp, err := inProgress.WaitContinued(ctx); err != nil || dp.Context != "hotline-fallback" {
		t.Fatalf("the call in progress went to %+v (%v), want the fallback context", dp, err)
	}
	if err := r.waitServed(20 * time.Second); err != nil {
		t.Fatal(err)
	}

	rec, err := readRecord(ctx, r.pool, inProgress.ChannelID(), false)
	if err != nil || !rec.ended || rec.outcome != "ended_by_shutdown" {
		t.Errorf("record of the call in progress = %+v (%v)", rec, err)
	}
	if _, ok := rec.find("ended_by_app", "", "by", "shutdown", "continued_to", "hotline-fallback"); !ok {
		t.Errorf("the record does not say the server ended the call: %v", rec.steps)
	}
	if _, ok := rec.find("node", "main"); !ok {
		t.Errorf("the record lost the menu: %v", rec.steps)
	}
	rec, err = readRecord(ctx, r.pool, late.ChannelID(), false)
	if err != nil || !rec.ended || rec.outcome != "refused_shutting_down" {
		t.Errorf("record of the refused call = %+v (%v)", rec, err)
	}
	if left := r.ari.ChannelsInApp("hotline"); len(left) != 0 {
		t.Errorf("channels left in the app: %v", left)
	}
}
