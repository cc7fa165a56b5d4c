package main

// Issue 10, item 8: an after-hours SOS whose audio never reaches Asterisk.
// With no RTP from the caller Asterisk's silence detection never fires, so
// a recording runs to maxDurationSeconds and ends with duration 0 (trace
// 06-live-recording); the ARI test server does the same for a caller dialled
// with NoMedia. In the real run the caller waited 108 s in the first
// recording, hung up and was not escalated at all. Here the whole server
// runs: the menu, the card in PostgreSQL and the escalation engine phoning
// the dispatcher on duty (PJSIP/duty1, first in the shipped roster).

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/slobozhanske/hotline/telephony/ari/aritest"
)

// sosCard is what the tests read of an SOS card and its escalation.
type sosCard struct {
	number, priority, essence, contactPhone string
	escCaller, escRecording, escState       string
}

// sosCardOf reads the card the call opened (through its record) and the
// escalation of that card.
func (r *rig) sosCardOf(ctx context.Context, channelID string) (callRecord, sosCard) {
	r.t.Helper()
	rec := r.waitRecord(ctx, channelID)
	if rec.appealNum == "" {
		r.t.Fatalf("the call's record has no appeal number (outcome %s); steps %v", rec.outcome, rec.steps)
	}
	var c sosCard
	err := r.pool.QueryRow(ctx, `SELECT a.number, a.priority, a.essence, a.contact_phone, e.caller_number, e.recording, e.state
		FROM appeals a JOIN escalations e ON e.appeal_id = a.id::text WHERE a.number = $1`, rec.appealNum).
		Scan(&c.number, &c.priority, &c.essence, &c.contactPhone, &c.escCaller, &c.escRecording, &c.escState)
	if err != nil {
		r.t.Fatalf("appeal %s and its escalation: %v", rec.appealNum, err)
	}
	return rec, c
}

// dutyAccepts makes the dispatcher's phone answer and press 1 once asked,
// so the escalation ends acknowledged.
func (r *rig) dutyAccepts() {
	r.ari.SetPhone("PJSIP/duty1", aritest.PhoneBehavior{Outcome: aritest.Answer, After: 2 * time.Second,
		OnAnswer: func(p *aritest.Party) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			if _, err := p.WaitForPlayback(ctx, "sound:hotline/duty-press-accept"); err == nil {
				_ = p.Press("1")
			}
		}})
}

// dialWithoutAudio is a resident's call from whom no RTP reaches Asterisk.
func (r *rig) dialWithoutAudio(ctx context.Context, caller string) *aritest.Party {
	r.t.Helper()
	p, err := r.ari.Dial(ctx, aritest.DialOptions{App: "hotline", Caller: caller, Exten: "1580", Language: "uk", NoMedia: true})
	if err != nil {
		r.t.Fatalf("dial: %v", err)
	}
	return p
}

// pressSOS waits for the after-hours menu and presses 1.
func pressSOS(ctx context.Context, t *testing.T, caller *aritest.Party) {
	t.Helper()
	if _, err := caller.WaitForPlayback(ctx, "sound:hotline/after-hours-menu"); err != nil {
		t.Fatalf("after-hours menu: %v; heard %v", err, caller.HeardURIs())
	}
	if err := caller.Press("1"); err != nil {
		t.Fatal(err)
	}
}

// callerTimeToDutyCall is how long, in Asterisk's (simulated) time, the
// caller was kept from the SOS key (from) until the escalation started:
// the server asked Asterisk to phone the person on duty (the first
// originate, POST /channels, after from) or told the caller so
// (sos-alerted, played once Escalations.Start has returned; the engine's
// first call follows at once, on its own goroutine), whichever came first.
// Every prompt the server started on the caller's channel in that span
// played out (its length from the shipped sounds), and every recording ran
// to its limit, as with no audio. It also lists what that time was made of.
func (r *rig) callerTimeToDutyCall(t *testing.T, caller *aritest.Party, from time.Time, sounds map[string]time.Duration) (time.Duration, []string) {
	t.Helper()
	media := map[string][]string{} // playback id → its media
	for _, h := range caller.Heard() {
		media[h.PlaybackID] = append(media[h.PlaybackID], h.MediaURI)
	}
	var total time.Duration
	var what []string
	for _, rq := range r.ari.Requests() {
		if rq.Method != "POST" || rq.Time.Before(from) {
			continue
		}
		if rq.Path == "/channels" {
			return total, append(what, "(duty phone dialled)")
		}
		if rq.ChannelID != caller.ChannelID() {
			continue
		}
		switch _, id, _ := strings.Cut(rq.Path, "/play/"); {
		case id != "":
			if slices.Contains(media[id], "sound:hotline/sos-alerted") {
				return total, append(what, "(escalation started)")
			}
			for _, m := range media[id] {
				sound, ok := strings.CutPrefix(m, "sound:")
				length, known := sounds[sound]
				if !ok || !known {
					t.Fatalf("the SOS dialogue played %q before the duty call: not a shipped sound this test can time", m)
				}
				total += length
				what = append(what, sound)
			}
		case strings.HasSuffix(rq.Path, "/record"):
			total += r.cfg.Escalation.RecordMax
			what = append(what, "recording to the limit")
		}
	}
	t.Fatalf("neither an originate to the person on duty nor sos-alerted in the ARI request log after the key: %v", what)
	return 0, nil
}

// A caller who pressed SOS and whose audio never reaches Asterisk: each
// recording runs to its limit and comes back empty, and the dispatcher's
// phone is dialled within escalation.dial_within (90 s) of the key; the
// card has the caller's number and says the recording is empty.
func TestAnSOSCallerWhoseAudioNeverReachesAsteriskIsEscalatedWithinTheBound(t *testing.T) {
	r := startRig(t, mondayNight, nil)
	r.dutyAccepts()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	caller := r.dialWithoutAudio(ctx, "0501234567")
	pressSOS(ctx, t, caller)
	pressed := time.Now()
	duty, err := r.ari.WaitOutbound(ctx, "PJSIP/duty1")
	if err != nil {
		t.Fatalf("the dispatcher on duty was never phoned: %v; the caller heard %v", err, caller.HeardURIs())
	}
	dialled := time.Now()

	// Measured in Asterisk's time from what the server asked of it: the
	// wall clock of a test machine running media 100x faster than life
	// would add its own scheduling to every step.
	waited, what := r.callerTimeToDutyCall(t, caller, pressed, shippedSounds(t, 0))
	t.Logf("the duty phone was dialled %s (Asterisk's time) after the SOS key: %v; wall clock %s", waited, what, dialled.Sub(pressed))
	if bound := r.cfg.Escalation.DialWithin; waited > bound || bound > 90*time.Second {
		t.Errorf("the dispatcher was phoned %s after the SOS key (%v); the bound is %s", waited, what, bound)
	}
	if n := strings.Count(strings.Join(what, ","), "recording to the limit"); n != r.cfg.Escalation.RecordRetries+1 {
		t.Errorf("recorded %d times before the duty call, want %d: %v", n, r.cfg.Escalation.RecordRetries+1, what)
	}

	if _, err := duty.WaitEnded(ctx); err != nil {
		t.Fatal(err)
	}
	// Told the duty service knows, the caller hangs up (rather than
	// waiting out the menu's real-time timeouts of the number's read-back).
	if _, err := caller.WaitForPlayback(ctx, "sound:hotline/sos-alerted"); err != nil {
		t.Fatalf("the caller was not told: %v; heard %v", err, caller.HeardURIs())
	}
	if err := caller.Hangup(); err != nil {
		t.Fatal(err)
	}
	rec, card := r.sosCardOf(ctx, caller.ChannelID())
	if rec.outcome != "sos_escalated" {
		t.Errorf("outcome %s, want sos_escalated", rec.outcome)
	}
	if card.priority != "sos" || card.contactPhone == "" || !strings.Contains(card.essence, "Запис порожній") {
		t.Errorf("card %+v: want an SOS card with the caller's number saying the recording is empty", card)
	}
	if card.escCaller != "0501234567" || card.escRecording != "" || card.escState != "acknowledged" {
		t.Errorf("escalation: caller %q, recording %q, state %s; want the caller's number, no recording, acknowledged",
			card.escCaller, card.escRecording, card.escState)
	}
	if heard(caller, "sound:hotline/recording-empty") == 0 || heard(caller, "sound:hotline/sos-alerted") != 1 {
		t.Errorf("the caller heard %v", caller.HeardURIs())
	}
	r.noChannelsLeft(ctx)
}

// A caller who stays past the beep and hangs up during the SOS recording,
// having said nothing, is escalated all the same: the card is opened with
// their number and the dispatcher is phoned.
func TestAnSOSCallerWhoHangsUpDuringTheRecordingIsStillEscalated(t *testing.T) {
	r := startRig(t, mondayNight, nil)
	r.dutyAccepts()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	caller := r.dialWithoutAudio(ctx, "0501234567")
	pressSOS(ctx, t, caller)
	if _, err := caller.Wait(ctx, func(s aritest.PartyState) bool { return s.Recording != "" }); err != nil {
		t.Fatalf("the SOS recording never started: %v; heard %v", err, caller.HeardURIs())
	}
	// Ten seconds into a recording nothing reaches.
	caller.HangupAfter(10 * time.Second)

	if _, err := r.ari.WaitOutbound(ctx, "PJSIP/duty1"); err != nil {
		t.Fatalf("the dispatcher on duty was never phoned: %v", err)
	}
	rec, card := r.sosCardOf(ctx, caller.ChannelID())
	if rec.outcome != "sos_escalated" {
		t.Errorf("outcome %s, want sos_escalated; steps %v", rec.outcome, rec.steps)
	}
	if card.priority != "sos" || card.contactPhone == "" || card.escCaller != "0501234567" {
		t.Errorf("card %+v: want an SOS card and an escalation with the caller's number", card)
	}
	// Asterisk reports the hangup request before RecordingFinished (trace
	// 06); the server waits for the latter, so it knows the recording is
	// empty: the card says so and has none.
	if card.escRecording != "" || !strings.Contains(card.essence, "Запис порожній") {
		t.Errorf("escalation recording %q, card essence %q: want no recording and a card saying it is empty", card.escRecording, card.essence)
	}
	if heard(caller, "sound:hotline/beep") != 1 {
		t.Errorf("the caller heard %v", caller.HeardURIs())
	}
}
