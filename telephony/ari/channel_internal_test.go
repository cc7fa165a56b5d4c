package ari

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"testing"
	"time"

	ariclient "github.com/CyCoreSystems/ari/v5"

	"github.com/slobozhanske/hotline/ivr"
)

func idleChannel(id string) *Channel {
	a := NewApp(Config{RequestTimeout: time.Second}, nil, NewMetrics(nil), slog.New(slog.NewTextHandler(io.Discard, nil)))
	return a.newChannel(id, a.log)
}

// Under load the owner of a call takes its events in batches: the end of a
// prompt and a key pressed just after it come together. The wait for the
// prompt ends at its PlaybackFinished; the key is still the caller's answer.
func TestAKeyPressedAsThePromptEndsIsTheAnswerToTheQuestionThatFollows(t *testing.T) {
	c := idleChannel("1700000000.1")
	now := time.Now()
	c.in.push(delivery{ev: &ariclient.PlaybackFinished{Playback: ariclient.PlaybackData{ID: "pb1", TargetURI: "channel:1700000000.1", State: "done"}}, at: now})
	c.in.push(delivery{ev: &ariclient.ChannelDtmfReceived{Channel: ariclient.ChannelData{ID: "1700000000.1"}, Digit: "4"}, at: now})

	finished := false
	err := c.wait(context.Background(), time.Second, func(ev ariclient.Event) bool {
		if e, ok := ev.(*ariclient.PlaybackFinished); ok && e.Playback.ID == "pb1" {
			finished = true
		}
		return finished
	}, nil)
	if err != nil || !finished {
		t.Fatalf("wait for the prompt's end: %v (finished %v)", err, finished)
	}
	d, err := c.NextDigit(context.Background(), 10*time.Millisecond)
	if err != nil || d != '4' {
		t.Fatalf("next key = %q, %v; want the 4 pressed as the prompt ended", d, err)
	}
}

// A channel's last events after a hangup carry the cause's text only in
// ChannelDestroyed, which comes after StasisEnd: settling waits for it.
func TestSettlingAfterAHangupWaitsForChannelDestroyedAndItsCause(t *testing.T) {
	c := idleChannel("1700000000.2")
	now := time.Now()
	ch := ariclient.ChannelData{ID: "1700000000.2"}
	c.in.push(delivery{ev: &ariclient.ChannelHangupRequest{Channel: ch, Cause: 16}, at: now})
	c.in.push(delivery{ev: &ariclient.StasisEnd{Channel: ch}, at: now})
	go func() {
		time.Sleep(20 * time.Millisecond) // ChannelDestroyed a moment later, as it may come
		c.in.push(delivery{ev: &ariclient.ChannelDestroyed{Channel: ch, Cause: 16, CauseTxt: "Normal Clearing"}, at: time.Now()})
	}()
	c.settle(context.Background(), 5*time.Second)
	if cause, text := c.Cause(); !c.destroyed || cause != 16 || text != "Normal Clearing" {
		t.Fatalf("destroyed %v, cause %d %q", c.destroyed, cause, text)
	}
}

// Asterisk 22 may destroy a channel with cause 0 after ChannelHangupRequest
// said 16: the call keeps the cause it was hung up with.
func TestChannelDestroyedWithCauseZeroKeepsTheHangupRequestsCause(t *testing.T) {
	c := idleChannel("1700000000.3")
	now := time.Now()
	ch := ariclient.ChannelData{ID: "1700000000.3"}
	c.in.push(delivery{ev: &ariclient.ChannelHangupRequest{Channel: ch, Cause: 16}, at: now})
	c.in.push(delivery{ev: &ariclient.StasisEnd{Channel: ch}, at: now})
	c.in.push(delivery{ev: &ariclient.ChannelDestroyed{Channel: ch, Cause: 0, CauseTxt: "Unknown"}, at: now})
	c.settle(context.Background(), 5*time.Second)
	if cause, _ := c.Cause(); !c.destroyed || cause != 16 {
		t.Fatalf("destroyed %v, cause %d; want 16 from the hangup request", c.destroyed, cause)
	}
}

// A caller's BYE reaches the app as a hangup request without a cause
// (ari-traces 02): the call is recorded as cleared normally.
func TestACallersByeWithoutACauseIsANormalClearing(t *testing.T) {
	c := idleChannel("1700000000.4")
	now := time.Now()
	ch := ariclient.ChannelData{ID: "1700000000.4"}
	c.in.push(delivery{ev: &ariclient.ChannelHangupRequest{Channel: ch}, at: now})
	c.in.push(delivery{ev: &ariclient.StasisEnd{Channel: ch}, at: now})
	c.settle(context.Background(), 50*time.Millisecond)
	if cause, text := c.Cause(); cause != 16 || text != "Normal Clearing" {
		t.Fatalf("cause %d %q; want 16 Normal Clearing", cause, text)
	}
}

// The caller hangs up during a recording: Asterisk sends the hangup request
// and, a moment later, RecordingFinished with the length (ari-traces 06).
// The wait ends at the hangup; linger still learns the length.
func TestARecordingsEndIsReadAfterTheCallersHangup(t *testing.T) {
	c := idleChannel("1700000000.5")
	ch := ariclient.ChannelData{ID: "1700000000.5"}
	c.in.push(delivery{ev: &ariclient.ChannelHangupRequest{Channel: ch}, at: time.Now()})
	var duration ariclient.DurationSec = -1
	ended := func(ev ariclient.Event) bool {
		if e, ok := ev.(*ariclient.RecordingFinished); ok && e.Recording.Name == "msg" {
			duration = e.Recording.Duration
			return true
		}
		return false
	}
	if err := c.wait(context.Background(), time.Second, ended, nil); !errors.Is(err, ivr.ErrHangup) {
		t.Fatalf("wait: %v, want the hangup", err)
	}
	go func() {
		time.Sleep(5 * time.Millisecond) // a later batch, as over a real WebSocket
		c.in.push(delivery{ev: &ariclient.RecordingFinished{Recording: ariclient.LiveRecordingData{Name: "msg", Duration: 0}}, at: time.Now()})
		c.in.push(delivery{ev: &ariclient.StasisEnd{Channel: ch}, at: time.Now()})
	}()
	if !c.linger(context.Background(), time.Second, ended) || duration != 0 {
		t.Fatalf("the recording's end after the hangup was not read")
	}
	// Without it, linger gives up when the channel leaves the application.
	c2 := idleChannel("1700000000.6")
	c2.in.push(delivery{ev: &ariclient.StasisEnd{Channel: ariclient.ChannelData{ID: "1700000000.6"}}, at: time.Now()})
	if c2.linger(context.Background(), time.Second, ended) {
		t.Fatal("linger found an end that never came")
	}
}
