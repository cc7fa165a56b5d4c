package ivr_test

// In package ivr_test because it reads the shipped config, and the config
// imports the domains (escalation), which import package ivr.

import (
	"testing"

	"github.com/slobozhanske/hotline/config"
	"github.com/slobozhanske/hotline/ivr"
)

// Issue 10: with the shipped config the person on duty is phoned within
// escalation.dial_within of the SOS key (90 s) even when none of the
// caller's audio arrives, the SOS recording limits as cmd/hotline passes
// them to the menu.
func TestAnSOSWhoseAudioNeverArrivesReachesTheDutyPhoneWithinTheShippedBound(t *testing.T) {
	cfg, err := config.Load("../config/hotline.yaml")
	if err != nil {
		t.Fatal(err)
	}
	esc := cfg.Escalation
	lim := ivr.RecordLimits{MaxDuration: esc.RecordMax, MaxSilence: esc.RecordSilence, Attempts: esc.RecordRetries + 1}
	waited := ivr.SOSWithoutAudio(t, lim)
	if waited > esc.SOSWorstWait() || waited > esc.DialWithin {
		t.Errorf("the escalation started %s after the SOS key; config bounds it by %s (dial_within %s)", waited, esc.SOSWorstWait(), esc.DialWithin)
	}
}
