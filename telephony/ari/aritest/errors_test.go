package aritest_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/CyCoreSystems/ari/v5"

	"github.com/slobozhanske/hotline/telephony/ari/aritest"
)

func TestErrorCodes(t *testing.T) {
	srv := aritest.Start(t, aritest.Options{TimeScale: fast})
	ctx := testCtx(t)
	ec := mustEvents(t, srv, "hotline")
	cl := newClient(srv, "hotline")
	res, err := srv.Dial(ctx, aritest.DialOptions{App: "hotline"})
	if err != nil {
		t.Fatal(err)
	}
	id := res.ChannelID()
	left, err := srv.Dial(ctx, aritest.DialOptions{App: "hotline"})
	if err != nil {
		t.Fatal(err)
	}
	if err := cl.Channel().Continue(chKey(left.ChannelID()), "after-hotline", "s", 1); err != nil {
		t.Fatal(err)
	}
	ec.mustWait(ctx, "StasisEnd", left.ChannelID())
	if dp, err := left.WaitContinued(ctx); err != nil || dp.Context != "after-hotline" {
		t.Fatalf("continued %+v %v", dp, err)
	}

	// Through the real client.
	if _, err := cl.Channel().Play(chKey("no-such-channel"), "pb1", "sound:x"); code(err) != 404 {
		t.Errorf("play on unknown channel: %v, want 404", err)
	}
	// A channel that left Stasis still exists: Asterisk answers 409
	// "Channel not in a Stasis application".
	if _, err := cl.Channel().Play(chKey(left.ChannelID()), "pb2", "sound:x"); code(err) != 409 {
		t.Errorf("play on channel not in Stasis: %v, want 409", err)
	}
	if err := cl.Channel().Answer(chKey(left.ChannelID())); code(err) != 409 {
		t.Errorf("answer channel not in Stasis: %v, want 409", err)
	}
	if _, err := cl.Channel().Play(chKey(id), "pb3", "http://example.com/a.wav"); code(err) != 400 {
		t.Errorf("unknown media scheme: %v, want 400", err)
	}
	if err := cl.Bridge().AddChannel(ari.NewKey(ari.BridgeKey, "nope"), id); code(err) != 404 {
		t.Errorf("add to unknown bridge: %v, want 404", err)
	}
	bh, err := cl.Bridge().Create(ari.NewKey(ari.BridgeKey, "b1"), "mixing", "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cl.Bridge().Create(ari.NewKey(ari.BridgeKey, "b1"), "mixing", ""); code(err) != 409 {
		t.Errorf("duplicate bridge: %v, want 409", err)
	}
	if err := bh.AddChannel("no-such-channel"); code(err) != 400 {
		t.Errorf("add unknown channel: %v, want 400", err)
	}
	if err := bh.AddChannel(left.ChannelID()); code(err) != 422 {
		t.Errorf("add channel not in Stasis: %v, want 422", err)
	}
	if err := bh.RemoveChannel(id); code(err) != 422 {
		t.Errorf("remove channel not in bridge: %v, want 422", err)
	}
	if err := cl.Playback().Stop(ari.NewKey(ari.PlaybackKey, "nope")); code(err) != 404 {
		t.Errorf("stop unknown playback: %v, want 404", err)
	}

	// Raw HTTP: parameters, bodies, auth, routing.
	var msg struct{ Message string }
	checks := []struct {
		method, path, body string
		want               int
	}{
		{"POST", "/channels/" + id + "/play", "", 400},                                 // media missing
		{"POST", "/channels/" + id + "/play", `{"media": 5`, 400},                      // malformed JSON
		{"POST", "/channels/" + id + "/record", `{"name":"r","format":"xyz"}`, 422},    // unknown format
		{"POST", "/channels/" + id + "/record", `{"name":"r","ifExists":"nah"}`, 400},  // missing format
		{"DELETE", "/channels/" + id + "?reason=sleepy", "", 400},                      // bad reason
		{"DELETE", "/channels/" + id + "?reason=normal&reason_code=16", "", 400},       // both
		{"POST", "/playbacks/nope/control?operation=pause", "", 404},                   // unknown playback
		{"POST", "/playbacks/nope/control?operation=explode", "", 400},                 // bad operation
		{"GET", "/recordings/stored/nope", "", 404},                                    //
		{"GET", "/bridges/nope", "", 404},                                              //
		{"GET", "/endpoints/XMPP", "", 404},                                            //
		{"GET", "/no/such/resource", "", 404},                                          //
		{"PUT", "/channels", "", 405},                                                  //
		{"POST", "/channels", `{"app":"hotline"}`, 400},                                // endpoint missing
		{"POST", "/channels", `{"endpoint":"PJSIP/x"}`, 400},                           // no app nor extension
		{"POST", "/channels/" + id + "/dial", "", 409},                                 // not Down / not created by ARI
		{"GET", "/channels/" + id + "/variable?variable=NOPE", "", 404},                //
		{"GET", "/applications/nope", "", 404},                                         //
		{"POST", "/applications/hotline/subscription?eventSource=foo:bar", "", 400},    //
		{"POST", "/applications/hotline/subscription?eventSource=channel:zz", "", 422}, //
	}
	for _, c := range checks {
		msg.Message = ""
		if got := rawCall(t, srv, c.method, c.path, c.body, &msg); got != c.want || msg.Message == "" {
			t.Errorf("%s %s %s: %d %q, want %d with a message", c.method, c.path, c.body, got, msg.Message, c.want)
		}
	}
	req, _ := http.NewRequest("GET", srv.URL()+"/channels", nil)
	req.SetBasicAuth("asterisk", "wrong")
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 401 {
		t.Errorf("bad credentials: %v %v", resp, err)
	} else {
		resp.Body.Close()
	}
	resp, err := http.Get(srv.URL() + "/asterisk/info?api_key=asterisk:asterisk")
	if err != nil || resp.StatusCode != 200 {
		t.Errorf("api_key auth: %v %v", resp, err)
	} else {
		resp.Body.Close()
	}
}

func TestParametersQueryAndBody(t *testing.T) {
	srv := aritest.Start(t, aritest.Options{TimeScale: fast})
	ctx := testCtx(t)
	ec := mustEvents(t, srv, "hotline")
	res, err := srv.Dial(ctx, aritest.DialOptions{App: "hotline", Answered: true})
	if err != nil {
		t.Fatal(err)
	}
	id := res.ChannelID()
	var pb struct{ ID, State, Media_uri string }
	if got := rawCall(t, srv, "POST", "/channels/"+id+"/play?media=sound:a,digits:12&playbackId=q1", "", &pb); got != 201 || pb.State != "queued" || pb.ID != "q1" {
		t.Fatalf("query play: %d %+v", got, pb)
	}
	if got := rawCall(t, srv, "POST", "/channels/"+id+"/play/b1", `{"media":["sound:c","number:42"]}`, &pb); got != 201 {
		t.Fatalf("body play: %d", got)
	}
	if _, err := res.WaitForPlaybackEnd(ctx, "number:42"); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(res.HeardURIs(), " "); got != "sound:a digits:12 sound:c number:42" {
		t.Fatalf("heard %s", got)
	}
	ec.mustWait(ctx, "PlaybackContinuing", "")
	var sv struct{ Value string }
	if got := rawCall(t, srv, "POST", "/channels/"+id+"/variable", `{"variable":"QUEUE","value":"general"}`, nil); got != 204 {
		t.Fatalf("set var: %d", got)
	}
	if got := rawCall(t, srv, "GET", "/channels/"+id+"/variable?variable=QUEUE", "", &sv); got != 200 || sv.Value != "general" {
		t.Fatalf("get var: %d %+v", got, sv)
	}
	// Stopping a playback early: PlaybackFinished with state done, heard as stopped.
	if got := rawCall(t, srv, "POST", "/channels/"+id+"/play/long", `{"media":"tone:ring"}`, nil); got != 201 {
		t.Fatal(got)
	}
	if _, err := res.WaitForPlayback(ctx, "tone:ring"); err != nil {
		t.Fatal(err)
	}
	if got := rawCall(t, srv, "DELETE", "/playbacks/long", "", nil); got != 204 {
		t.Fatal(got)
	}
	h, err := res.WaitForPlaybackEnd(ctx, "tone:ring")
	if err != nil || h.Outcome != aritest.HeardStopped {
		t.Fatalf("stopped tone: %+v %v", h, err)
	}
	ev, err := ec.wait(ctx, "PlaybackFinished", "", func(e ari.Event) bool { return e.(*ari.PlaybackFinished).Playback.ID == "long" })
	if err != nil || ev.(*ari.PlaybackFinished).Playback.State != "done" {
		t.Fatalf("finished %+v %v", ev, err)
	}
	if got := rawCall(t, srv, "GET", "/playbacks/long", "", nil); got != 404 {
		t.Fatalf("finished playback still there: %d", got)
	}
}
