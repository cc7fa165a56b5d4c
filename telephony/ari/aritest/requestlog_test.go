package aritest_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/slobozhanske/hotline/telephony/ari/aritest"
)

// The request log names the channel each command concerned, including
// commands addressed to a playback or a live recording, so a benchmark can
// measure how long a controller takes to answer a channel's events.
func TestTheRequestLogNamesTheChannelOfEachCommand(t *testing.T) {
	srv := aritest.Start(t, aritest.Options{TimeScale: fast, MediaDurations: map[string]time.Duration{"sound:long": time.Hour}})
	ctx := testCtx(t)
	mustEvents(t, srv, "hotline")
	p, err := srv.Dial(ctx, aritest.DialOptions{App: "hotline", Caller: "+380501234567"})
	if err != nil {
		t.Fatal(err)
	}
	id := p.ChannelID()
	for _, c := range []struct{ method, path string }{
		{"POST", "/channels/" + id + "/answer"},
		{"POST", "/channels/" + id + "/play/pb-1?media=sound:long"},
		{"GET", "/playbacks/pb-1"},
		{"DELETE", "/playbacks/pb-1"},
		{"POST", "/channels/" + id + "/record?name=rec-1&format=wav"},
		{"POST", "/recordings/live/rec-1/stop"},
		{"GET", "/applications/hotline"},
	} {
		if code := rawCall(t, srv, c.method, c.path, "", nil); code >= 300 {
			t.Fatalf("%s %s: %d", c.method, c.path, code)
		}
	}
	want := map[string]string{
		"/channels/" + id + "/answer": id, "/channels/" + id + "/play/pb-1": id, "/playbacks/pb-1": id,
		"/channels/" + id + "/record": id, "/recordings/live/rec-1/stop": id, "/applications/hotline": "",
	}
	seen := 0
	for _, rq := range srv.Requests() {
		w, ok := want[rq.Path]
		if !ok {
			continue
		}
		seen++
		if rq.ChannelID != w {
			t.Errorf("%s %s: channel %q, want %q", rq.Method, rq.Path, rq.ChannelID, w)
		}
		if rq.Method == http.MethodPost && rq.Path == "/channels/"+id+"/play/pb-1" && rq.Status != http.StatusCreated {
			t.Errorf("play: %d", rq.Status)
		}
	}
	if seen != 7 {
		t.Errorf("%d logged requests matched, want 7", seen)
	}
}
