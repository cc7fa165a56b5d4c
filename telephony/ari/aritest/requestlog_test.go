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

// ari.conf may define several users: two controllers with users of their
// own tell their requests apart in the log; a wrong password is refused.
func TestEachARIUserIsNamedInTheRequestLog(t *testing.T) {
	srv := aritest.Start(t, aritest.Options{Users: map[string]string{"standby": "s3cret"}})
	for _, c := range []struct {
		user, pass string
		want       int
	}{{srv.Username(), srv.Password(), http.StatusOK}, {"standby", "s3cret", http.StatusOK}, {"standby", "wrong", http.StatusUnauthorized}} {
		req, err := http.NewRequest(http.MethodGet, srv.URL()+"/asterisk/variable?variable=HOTLINE_DUTY", nil)
		if err != nil {
			t.Fatal(err)
		}
		req.SetBasicAuth(c.user, c.pass)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != c.want {
			t.Errorf("%s:%s: %d, want %d", c.user, c.pass, resp.StatusCode, c.want)
		}
	}
	var users []string
	for _, rq := range srv.Requests() {
		users = append(users, rq.User)
	}
	if len(users) != 3 || users[0] != srv.Username() || users[1] != "standby" || users[2] != "" {
		t.Errorf("users in the log %q", users)
	}
}
