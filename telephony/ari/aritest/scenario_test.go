package aritest_test

import (
	"slices"
	"testing"
	"time"

	"github.com/CyCoreSystems/ari/v5"

	"github.com/slobozhanske/hotline/telephony/ari/aritest"
)

func TestInboundCallAnswerPlayDTMFRecordHangup(t *testing.T) {
	srv := aritest.Start(t, aritest.Options{TimeScale: fast, MediaDurations: map[string]time.Duration{"sound:greeting": 3 * time.Second}})
	ctx := testCtx(t)
	ec := mustEvents(t, srv, "hotline")
	cl := newClient(srv, "hotline")

	res, err := srv.Dial(ctx, aritest.DialOptions{App: "hotline", Args: []string{"inbound", "1580"}, Caller: "+380501234567", CallerName: "Resident", Exten: "1580"})
	if err != nil {
		t.Fatal(err)
	}
	id := res.ChannelID()
	ss := ec.mustWait(ctx, "StasisStart", id).(*ari.StasisStart)
	if !slices.Equal(ss.Args, []string{"inbound", "1580"}) || ss.Channel.State != "Ring" || ss.Channel.Caller.Number != "+380501234567" || ss.Channel.Dialplan.Exten != "1580" {
		t.Fatalf("StasisStart = %+v", ss)
	}
	if got := ec.types(id)[0]; got != "StasisStart" {
		t.Fatalf("first event %s, want StasisStart", got)
	}

	if err := cl.Channel().Answer(chKey(id)); err != nil {
		t.Fatal(err)
	}
	ec.mustWait(ctx, "ChannelStateChange", id)
	if err := res.WaitState(ctx, "Up"); err != nil {
		t.Fatal(err)
	}

	if _, err := cl.Channel().Play(chKey(id), "pb-greet", "sound:greeting"); err != nil {
		t.Fatal(err)
	}
	ec.mustWait(ctx, "PlaybackStarted", "")
	pf, err := ec.wait(ctx, "PlaybackFinished", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	if pb := pf.(*ari.PlaybackFinished).Playback; pb.ID != "pb-greet" || pb.State != "done" || pb.TargetURI != "channel:"+id {
		t.Fatalf("PlaybackFinished = %+v", pb)
	}
	if h := res.Heard(); len(h) != 1 || h[0].MediaURI != "sound:greeting" || h[0].Outcome != aritest.HeardDone {
		t.Fatalf("heard %+v", h)
	}

	if err := res.Press("5"); err != nil {
		t.Fatal(err)
	}
	dtmf := ec.mustWait(ctx, "ChannelDtmfReceived", id).(*ari.ChannelDtmfReceived)
	if dtmf.Digit != "5" || dtmf.DurationMs != 100 {
		t.Fatalf("dtmf %+v", dtmf)
	}

	if _, err := cl.Channel().Record(chKey(id), "msg-1", &ari.RecordingOptions{Format: "wav", MaxSilence: 2 * time.Second, Terminate: "#"}); err != nil {
		t.Fatal(err)
	}
	ec.mustWait(ctx, "RecordingStarted", "")
	if err := res.Speak(4 * time.Second); err != nil {
		t.Fatal(err)
	}
	rf := ec.mustWait(ctx, "RecordingFinished", "").(*ari.RecordingFinished)
	if rf.Recording.State != "done" || rf.Recording.Name != "msg-1" {
		t.Fatalf("RecordingFinished %+v", rf.Recording)
	}
	st, ok := srv.StoredRecording("msg-1")
	if !ok || st.Duration < 3*time.Second || st.Duration > 5*time.Second || st.Talking < 3*time.Second {
		t.Fatalf("stored %+v %v", st, ok)
	}

	if err := cl.Channel().Hangup(chKey(id), "normal"); err != nil {
		t.Fatal(err)
	}
	end, err := res.WaitEnded(ctx)
	if err != nil || end.Cause != 16 || end.By != aritest.ByApp {
		t.Fatalf("end %+v %v", end, err)
	}
	// An incoming channel's application gets no ChannelDestroyed (trace 01).
	ec.mustWait(ctx, "StasisEnd", id)
	types := ec.types(id)
	n := len(types)
	if n < 2 || !slices.Equal(types[n-2:], []string{"ChannelHangupRequest", "StasisEnd"}) {
		t.Fatalf("event order %v", types)
	}
}
