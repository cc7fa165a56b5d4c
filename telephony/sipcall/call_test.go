package sipcall_test

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/slobozhanske/hotline/telephony/sipcall"
	"github.com/slobozhanske/hotline/telephony/sipcall/sipcalltest"
)

// fastOptions are the probe's checks with timeouts scaled to the test
// server's short prompts.
func fastOptions(keys string) sipcall.Options {
	o := sipcall.DefaultOptions()
	o.Keys = keys
	o.AnswerTimeout = 2 * time.Second
	o.FirstAudioTimeout = 2 * time.Second
	o.KeySilence = 200 * time.Millisecond
	o.KeyWait = 3 * time.Second
	o.AfterKeysTimeout = 2 * time.Second
	o.MaxDuration = 10 * time.Second
	return o
}

func agent(t *testing.T, srv *sipcalltest.Server, user, password string) *sipcall.Agent {
	t.Helper()
	a, err := sipcall.NewAgent(sipcall.AgentConfig{Target: srv.Addr, Number: "1580", Username: user, Password: password})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(a.Close)
	return a
}

func ended(t *testing.T, c *sipcalltest.Call) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := c.Wait(ctx); err != nil {
		t.Fatal(err)
	}
}

// The whole probe against a server that challenges, answers, sends a
// connected-line UPDATE, plays a greeting and answers the key: setup and
// first-audio times are measured, the server received exactly the keys,
// as proper RFC 4733 events, and the call ends with our BYE.
func TestProbeCallPasses(t *testing.T) {
	t.Parallel()
	for _, mid := range []string{"update", "update-sdp", "reinvite"} {
		t.Run(mid, func(t *testing.T) {
			t.Parallel()
			srv := sipcalltest.Start(t, sipcalltest.Config{Username: "monitor", Password: "s3cret", MidCall: mid})
			res := agent(t, srv, "monitor", "s3cret").Call(context.Background(), fastOptions("41"))
			if !res.OK {
				t.Fatalf("probe failed: %+v", res)
			}
			calls := srv.Calls()
			if len(calls) != 1 {
				t.Fatalf("server saw %d calls", len(calls))
			}
			c := calls[0]
			ended(t, c)
			if !c.Challenged || c.AuthFailed {
				t.Errorf("digest: challenged and answered %v, wrong credentials %v", c.Challenged, c.AuthFailed)
			}
			if c.Digits != "41" || res.KeysSent != "41" {
				t.Errorf("server received keys %q, probe says it sent %q; want 41", c.Digits, res.KeysSent)
			}
			if !c.ByeFromUA {
				t.Error("the call was not ended with the probe's BYE")
			}
			if res.Code != 200 || res.Setup <= 0 || res.Setup > 2*time.Second {
				t.Errorf("setup %s, code %d", res.Setup, res.Code)
			}
			// The greeting starts at once; the reply after the keys too.
			if res.FirstAudio <= 0 || res.FirstAudio > time.Second {
				t.Errorf("first audio after %s", res.FirstAudio)
			}
			if res.AudioAfterKeys <= 0 || res.AudioAfterKeys > time.Second {
				t.Errorf("audio after the keys after %s", res.AudioAfterKeys)
			}
			// Offered A-law and µ-law (and telephone-event).
			if len(c.OfferPTs) < 3 || c.OfferPTs[0] != 8 || c.OfferPTs[1] != 0 || c.OfferPTs[2] != 101 {
				t.Errorf("offer payload types %v, want 8 0 101", c.OfferPTs)
			}
			// The mid-call request got 200, with an answer when it offered.
			if c.MidCallCode != 200 {
				t.Errorf("%s answered %d", mid, c.MidCallCode)
			}
			switch mid {
			case "update":
				if c.MidCallSDP != "" || res.Updates != 1 {
					t.Errorf("UPDATE without SDP: answer %q, counted %d", c.MidCallSDP, res.Updates)
				}
			case "update-sdp":
				if !strings.Contains(c.MidCallSDP, "m=audio ") || res.Updates != 1 {
					t.Errorf("UPDATE with SDP: answer %q, counted %d", c.MidCallSDP, res.Updates)
				}
			case "reinvite":
				// The re-INVITE offered µ-law only: the answer has only it
				// and the probe's audio after it is µ-law.
				if !strings.Contains(c.MidCallSDP, "m=audio ") || strings.Contains(c.MidCallSDP, "PCMA") || res.ReInvites != 1 {
					t.Errorf("re-INVITE: answer %q, counted %d", c.MidCallSDP, res.ReInvites)
				}
				if !strings.Contains(c.MidCallSDP, "o=hotline ") || !strings.Contains(c.MidCallSDP, " 2 IN IP4") {
					t.Errorf("the changed answer keeps the o= version of the offer: %q", c.MidCallSDP)
				}
				if c.AudioPT[0] == 0 {
					t.Errorf("no µ-law audio after the re-INVITE: %v", c.AudioPT)
				}
			}
			checkEvents(t, c.Events, "41")
			if c.SeqGaps != 0 {
				t.Errorf("%d gaps in the probe's RTP sequence numbers", c.SeqGaps)
			}
			b, err := json.Marshal(res)
			if err != nil {
				t.Fatal(err)
			}
			for _, key := range []string{`"ok":true`, `"setup_seconds":`, `"first_audio_seconds":`, `"audio_after_keys_seconds":`, `"keys_sent":"41"`} {
				if !strings.Contains(string(b), key) {
					t.Errorf("JSON lacks %s: %s", key, b)
				}
			}
		})
	}
}

// checkEvents: each key is one event: packets with one timestamp, the
// first with the marker bit, durations growing, then three end packets
// with the same final duration; events follow each other in time.
func checkEvents(t *testing.T, evs []sipcalltest.EventPacket, keys string) {
	t.Helper()
	byTS := map[uint32][]sipcalltest.EventPacket{}
	var order []uint32
	for _, e := range evs {
		if _, ok := byTS[e.Timestamp]; !ok {
			order = append(order, e.Timestamp)
		}
		byTS[e.Timestamp] = append(byTS[e.Timestamp], e)
	}
	if len(order) != len(keys) {
		t.Fatalf("%d events (by timestamp), want %d: %+v", len(order), len(keys), evs)
	}
	for i, ts := range order {
		pk := byTS[ts]
		if i > 0 && ts-order[i-1] < 800 {
			t.Errorf("event %d starts %d samples after the previous one", i, ts-order[i-1])
		}
		ends := 0
		for j, p := range pk {
			if code, _ := sipcall.EventCode(rune(keys[i])); p.Event != code {
				t.Errorf("event %d packet %d: code %d, want %c", i, j, p.Event, keys[i])
			}
			if p.Marker != (j == 0) {
				t.Errorf("event %d packet %d: marker %v", i, j, p.Marker)
			}
			if j > 0 && p.Duration < pk[j-1].Duration {
				t.Errorf("event %d: duration went down %d → %d", i, pk[j-1].Duration, p.Duration)
			}
			if p.End {
				ends++
				if p.Duration != 800 {
					t.Errorf("event %d end packet duration %d, want 800 (100 ms)", i, p.Duration)
				}
			} else if ends > 0 {
				t.Errorf("event %d: a packet without the end bit after an end packet", i)
			}
		}
		if ends != 3 {
			t.Errorf("event %d: %d end packets, want 3", i, ends)
		}
	}
}

// The server answers but plays nothing: the probe fails, saying so.
func TestProbeCallFailsOnSilence(t *testing.T) {
	t.Parallel()
	srv := sipcalltest.Start(t, sipcalltest.Config{Silent: true})
	o := fastOptions("4")
	o.FirstAudioTimeout = 500 * time.Millisecond
	res := agent(t, srv, "monitor", "").Call(context.Background(), o)
	if res.OK || res.Failure != sipcall.FailNoAudio || !strings.Contains(res.Error, "no audio") {
		t.Fatalf("want failure %s, got %+v", sipcall.FailNoAudio, res)
	}
	if res.Setup <= 0 || res.RTPPackets == 0 {
		t.Errorf("answered and streaming, yet setup %s, %d packets", res.Setup, res.RTPPackets)
	}
	c := srv.Calls()[0]
	ended(t, c)
	if !c.ByeFromUA {
		t.Error("a failed probe must still hang up")
	}
	if res.Err() == nil {
		t.Error("Err() of a failure is nil")
	}
}

// A server that plays the greeting but does not react to the keys.
func TestProbeCallFailsWhenTheKeysGetNoAnswer(t *testing.T) {
	t.Parallel()
	srv := sipcalltest.Start(t, sipcalltest.Config{Reply: []int16{}})
	o := fastOptions("4")
	o.AfterKeysTimeout = 400 * time.Millisecond
	res := agent(t, srv, "monitor", "").Call(context.Background(), o)
	if res.Failure != sipcall.FailNoAudioAfterKeys {
		t.Fatalf("want %s, got %+v", sipcall.FailNoAudioAfterKeys, res)
	}
	if res.FirstAudio <= 0 || res.KeysSent != "4" {
		t.Errorf("the greeting was heard after %s, keys %q", res.FirstAudio, res.KeysSent)
	}
}

// Busy (486) and declined (603) calls fail with the code.
func TestProbeCallFailsWhenRejected(t *testing.T) {
	t.Parallel()
	for _, code := range []int{486, 603} {
		srv := sipcalltest.Start(t, sipcalltest.Config{Reject: code, Username: "monitor", Password: "pw"})
		res := agent(t, srv, "monitor", "pw").Call(context.Background(), fastOptions("4"))
		if res.OK || res.Failure != sipcall.FailRejected || res.Code != code {
			t.Errorf("%d: got %+v", code, res)
		}
		if res.Setup != 0 {
			t.Errorf("%d: a setup time %s for a call never set up", code, res.Setup)
		}
	}
}

// Wrong credentials: the server challenges again, and the probe gives up
// with auth_failed rather than retrying for ever.
func TestProbeCallFailsOnWrongPassword(t *testing.T) {
	t.Parallel()
	for _, proxy := range []bool{false, true} {
		srv := sipcalltest.Start(t, sipcalltest.Config{Username: "monitor", Password: "right", ProxyAuth: proxy})
		res := agent(t, srv, "monitor", "wrong").Call(context.Background(), fastOptions(""))
		want := 401
		if proxy {
			want = 407
		}
		if res.Failure != sipcall.FailAuth || res.Code != want {
			t.Errorf("proxy %v: got %+v", proxy, res)
		}
	}
	// 407 with the right password passes.
	srv := sipcalltest.Start(t, sipcalltest.Config{Username: "monitor", Password: "right", ProxyAuth: true})
	if res := agent(t, srv, "monitor", "right").Call(context.Background(), fastOptions("")); !res.OK {
		t.Errorf("407 challenge: %+v", res)
	}
}

// A server that rings for ever: the probe gives up at the answer timeout
// and cancels the INVITE.
func TestProbeCallFailsWhenNeverAnswered(t *testing.T) {
	t.Parallel()
	srv := sipcalltest.Start(t, sipcalltest.Config{NeverAnswer: true})
	o := fastOptions("4")
	o.AnswerTimeout = 300 * time.Millisecond
	start := time.Now()
	res := agent(t, srv, "monitor", "").Call(context.Background(), o)
	if res.Failure != sipcall.FailNoAnswer || !strings.Contains(res.Error, "no answer") {
		t.Fatalf("want %s, got %+v", sipcall.FailNoAnswer, res)
	}
	if took := time.Since(start); took > 3*time.Second {
		t.Errorf("gave up after %s", took)
	}
	c := srv.Calls()[0]
	ended(t, c)
	if !c.Cancelled {
		t.Error("the INVITE was not cancelled")
	}
}

// The recording is the received audio as 8 kHz 16-bit PCM: the greeting's
// samples, through A-law, are in it.
func TestProbeCallRecords(t *testing.T) {
	t.Parallel()
	greeting := sipcalltest.Tone(200 * time.Millisecond)
	srv := sipcalltest.Start(t, sipcalltest.Config{Greeting: greeting})
	o := fastOptions("")
	o.Record = filepath.Join(t.TempDir(), "out.wav")
	o.Hold = 400 * time.Millisecond
	res := agent(t, srv, "monitor", "").Call(context.Background(), o)
	if !res.OK {
		t.Fatalf("%+v", res)
	}
	b, err := os.ReadFile(o.Record)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) < 44 || string(b[0:4]) != "RIFF" || string(b[8:16]) != "WAVEfmt " ||
		binary.LittleEndian.Uint32(b[24:]) != 8000 || binary.LittleEndian.Uint16(b[34:]) != 16 ||
		binary.LittleEndian.Uint32(b[40:]) != uint32(len(b)-44) {
		t.Fatalf("not an 8 kHz 16-bit WAV with its sizes: % x", b[:min(len(b), 44)])
	}
	pcm := make([]int16, (len(b)-44)/2)
	for i := range pcm {
		pcm[i] = int16(binary.LittleEndian.Uint16(b[44+2*i:]))
	}
	if len(pcm) < len(greeting) {
		t.Fatalf("%d samples recorded, the greeting alone is %d", len(pcm), len(greeting))
	}
	for i, s := range greeting {
		if want := sipcall.DecodeALaw(sipcall.EncodeALaw(s)); pcm[i] != want {
			t.Fatalf("sample %d: %d, want %d (the greeting through A-law)", i, pcm[i], want)
		}
	}
}

// µ-law only, and another telephone-event payload type: the probe uses the
// answer's.
func TestProbeCallUsesTheAnswersCodecAndEventType(t *testing.T) {
	t.Parallel()
	srv := sipcalltest.Start(t, sipcalltest.Config{PCMU: true, EventPT: 96})
	res := agent(t, srv, "monitor", "").Call(context.Background(), fastOptions("#"))
	if !res.OK || res.Codec != "PCMU" || res.EventPT != 96 {
		t.Fatalf("%+v", res)
	}
	c := srv.Calls()[0]
	ended(t, c)
	if c.Digits != "#" || c.AudioPT[0] == 0 || c.AudioPT[8] != 0 {
		t.Errorf("digits %q, audio by type %v", c.Digits, c.AudioPT)
	}
}
