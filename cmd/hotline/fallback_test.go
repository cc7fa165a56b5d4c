package main

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/slobozhanske/hotline/asterisk"
)

// The active server writes the degraded path's plan into Asterisk's global
// variables after it connects, and again when an operator logs in or out,
// so that Asterisk alone reaches the right people if the server dies.
func TestTheServerKeepsTheDegradedPathsPlanInAsterisk(t *testing.T) {
	r := startQueueRig(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	global := func(name string) string { return r.ari.GlobalVar(name) }
	r.until(ctx, "the plan is written after the connect", func() bool { return global(asterisk.GlobalFallbackSet) != "" })
	// Monday 10:00 in Kyiv: open until the lunch break at 12:00.
	lunch := time.Date(2026, 11, 23, 12, 0, 0, 0, mondayMorning.Location()).Unix()
	if got := global(asterisk.GlobalOpenUntil); got != strconv.FormatInt(lunch, 10) {
		t.Errorf("%s = %q, want %d (12:00, the lunch break)", asterisk.GlobalOpenUntil, got, lunch)
	}
	if got := global(asterisk.GlobalDutyCount); got == "" || got == "0" {
		t.Errorf("%s = %q: nobody on duty in the shipped roster?", asterisk.GlobalDutyCount, got)
	}
	if got := global(asterisk.GlobalDutyPrefix + "1"); got == "" {
		t.Errorf("%s1 is empty", asterisk.GlobalDutyPrefix)
	}
	if got := global(asterisk.GlobalOperators); got != "" {
		t.Errorf("%s = %q before anyone logged in", asterisk.GlobalOperators, got)
	}
	if got := global(asterisk.GlobalDutyAlways); got != "0" {
		t.Errorf("%s = %q, want 0 (the shipped default)", asterisk.GlobalDutyAlways, got)
	}
	r.operatorLogsIn(ctx, "op101")
	r.until(ctx, "the logged-in operator's phone is in the ring group", func() bool { return global(asterisk.GlobalOperators) == "PJSIP/op101" })
}
