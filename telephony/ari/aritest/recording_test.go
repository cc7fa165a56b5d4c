package aritest_test

import (
	"testing"
	"time"

	"github.com/CyCoreSystems/ari/v5"

	"github.com/slobozhanske/hotline/telephony/ari/aritest"
)

func TestRecordingEndings(t *testing.T) {
	srv := aritest.Start(t, aritest.Options{TimeScale: fast, MediaDurations: map[string]time.Duration{"sound:prompt": 2 * time.Second}})
	ctx := testCtx(t)
	ec := mustEvents(t, srv, "hotline")
	cl := newClient(srv, "hotline")
	dial := func() *aritest.Party {
		t.Helper()
		p, err := srv.Dial(ctx, aritest.DialOptions{App: "hotline", Answered: true})
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	finished := func(name string) *ari.RecordingFinished {
		t.Helper()
		ev, err := ec.wait(ctx, "RecordingFinished", "", func(e ari.Event) bool { return e.(*ari.RecordingFinished).Recording.Name == name })
		if err != nil {
			t.Fatal(err)
		}
		return ev.(*ari.RecordingFinished)
	}

	// The recording is queued behind the prompt, then '#' ends it.
	p := dial()
	if _, err := cl.Channel().Play(chKey(p.ChannelID()), "prompt", "sound:prompt"); err != nil {
		t.Fatal(err)
	}
	if _, err := cl.Channel().Record(chKey(p.ChannelID()), "by-dtmf", &ari.RecordingOptions{Format: "wav", Terminate: "#"}); err != nil {
		t.Fatal(err)
	}
	if st := p.Snapshot(); st.Recording != "" {
		t.Fatalf("recording started during the prompt")
	}
	if _, err := p.WaitForPlaybackEnd(ctx, "sound:prompt"); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Wait(ctx, func(st aritest.PartyState) bool { return st.Recording == "by-dtmf" }); err != nil {
		t.Fatal(err)
	}
	_ = p.Press("1") // not a terminator
	p.PressAfter(time.Second, "#")
	if rf := finished("by-dtmf"); rf.Recording.State != "done" {
		t.Fatalf("by-dtmf %+v", rf.Recording)
	}

	// maxDurationSeconds.
	if _, err := cl.Channel().Record(chKey(p.ChannelID()), "by-max", &ari.RecordingOptions{Format: "wav", MaxDuration: 2 * time.Second}); err != nil {
		t.Fatal(err)
	}
	finished("by-max")
	if st, _ := srv.StoredRecording("by-max"); st.Duration < 1500*time.Millisecond || st.Duration > 3*time.Second {
		t.Fatalf("by-max lasted %v", st.Duration)
	}

	// Hangup while recording: Asterisk keeps what it has.
	if _, err := cl.Channel().Record(chKey(p.ChannelID()), "by-hangup", &ari.RecordingOptions{Format: "wav"}); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Wait(ctx, func(st aritest.PartyState) bool { return st.Recording == "by-hangup" }); err != nil {
		t.Fatal(err)
	}
	_ = p.Hangup()
	finished("by-hangup")
	ec.mustWait(ctx, "StasisEnd", p.ChannelID())
	if _, ok := srv.StoredRecording("by-hangup"); !ok {
		t.Fatal("by-hangup not stored")
	}
	types := ec.types(p.ChannelID())
	if n := len(types); types[n-1] != "StasisEnd" || types[n-2] != "RecordingFinished" {
		t.Fatalf("events %v", types)
	}

	// Hanging up during a playback fails it.
	p2 := dial()
	if _, err := cl.Channel().Play(chKey(p2.ChannelID()), "cut", "sound:prompt"); err != nil {
		t.Fatal(err)
	}
	if _, err := p2.WaitForPlayback(ctx, "sound:prompt"); err != nil {
		t.Fatal(err)
	}
	_ = p2.Hangup()
	ev, err := ec.wait(ctx, "PlaybackFinished", "", func(e ari.Event) bool { return e.(*ari.PlaybackFinished).Playback.ID == "cut" })
	if err != nil || ev.(*ari.PlaybackFinished).Playback.State != "failed" {
		t.Fatalf("cut playback %+v %v", ev, err)
	}
	if h := p2.Heard(); h[0].Outcome != aritest.HeardFailed {
		t.Fatalf("heard %+v", h)
	}

	// continue waits for the running playback, like Asterisk's control queue.
	p3 := dial()
	if _, err := cl.Channel().Play(chKey(p3.ChannelID()), "last", "sound:prompt"); err != nil {
		t.Fatal(err)
	}
	if err := cl.Channel().Continue(chKey(p3.ChannelID()), "", "", 0); err != nil {
		t.Fatal(err)
	}
	if _, err := p3.WaitContinued(ctx); err != nil {
		t.Fatal(err)
	}
	if h := p3.Heard(); len(h) != 1 || h[0].Outcome != aritest.HeardDone {
		t.Fatalf("heard before continue %+v", h)
	}
	if got := srv.ChannelsInApp("hotline"); len(got) != 0 {
		t.Fatalf("still in app: %v", got)
	}
}

func TestUnknownSoundFails(t *testing.T) {
	srv := aritest.Start(t, aritest.Options{TimeScale: fast, Sounds: map[string]time.Duration{"hotline/known": time.Second}})
	ctx := testCtx(t)
	_ = mustEvents(t, srv, "hotline")
	cl := newClient(srv, "hotline")
	p, err := srv.Dial(ctx, aritest.DialOptions{App: "hotline", Answered: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cl.Channel().Play(chKey(p.ChannelID()), "x", "sound:hotline/unknown"); err != nil {
		t.Fatal(err)
	}
	if h, err := p.WaitForPlaybackEnd(ctx, "sound:"); err != nil || h.Outcome != aritest.HeardFailed {
		t.Fatalf("unknown sound: %+v %v", h, err)
	}
	if _, err := cl.Channel().Play(chKey(p.ChannelID()), "y", "sound:hotline/known"); err != nil {
		t.Fatal(err)
	}
	if h, err := p.WaitForPlaybackEnd(ctx, "sound:"); err != nil || h.Outcome != aritest.HeardDone {
		t.Fatalf("known sound: %+v %v", h, err)
	}
}
