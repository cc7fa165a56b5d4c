package main

// Calls survive what happens to the server around them: the ARI WebSocket
// dropping in the middle of a menu, the controller restarting while
// Asterisk keeps its callers in the Stasis application, and many callers
// at once.

import (
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/net/websocket"

	"github.com/slobozhanske/hotline/telephony/ari/aritest"
)

func TestCallsInTheMiddleOfTheMenuWhenTheARIWebSocketDropsAreCarriedOnOrEndedWithCompleteRecords(t *testing.T) {
	// The main menu lasts 20 simulated seconds (200 ms here) and Asterisk
	// stays unreachable for longer, so the end of that prompt, and a hangup
	// during the outage, are events the server never receives.
	r := startRigWith(t, rigOptions{ari: aritest.Options{MediaDurations: map[string]time.Duration{"sound:hotline/main-menu": 20 * time.Second}}})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	stays := r.dial(ctx, "+380501230001")
	leaves := r.dial(ctx, "+380501230002")
	for _, p := range []*aritest.Party{stays, leaves} {
		if _, err := p.WaitForPlayback(ctx, "sound:hotline/main-menu"); err != nil {
			t.Fatal(err)
		}
	}
	listings := r.appListings()

	r.ari.DropWebSockets(aritest.DropOptions{RefuseFor: 500 * time.Millisecond})
	_ = leaves.Hangup() // lost with the WebSocket: the server must find out by itself
	if _, err := stays.WaitForPlaybackEnd(ctx, "sound:hotline/main-menu"); err != nil {
		t.Fatal(err)
	}
	if err := r.ari.WaitAppConnected(ctx, "hotline"); err != nil {
		t.Fatalf("the server did not reconnect: %v", err)
	}
	r.until(ctx, "the app lists its channels again after reconnecting", func() bool { return r.appListings() > listings })

	// The caller who stayed carries on where the menu was.
	_ = stays.Press("4")
	if _, err := stays.WaitForPlaybackEnd(ctx, "sound:hotline/info-hours"); err != nil {
		t.Fatalf("the caller who stayed on the line is not served after the reconnect: %v (heard %v)", err, stays.HeardURIs())
	}
	_ = stays.Hangup()
	rec := r.waitRecord(ctx, stays.ChannelID())
	if rec.outcome != "info_given" || rec.cause != aritest.CauseNormalClearing || !hasEvent(rec, "key:main:4") {
		t.Errorf("record of the caller who stayed = %+v", rec)
	}
	if n := heard(stays, "sound:hotline/greeting"); n != 1 {
		t.Errorf("the menu restarted for the caller who stayed: greeting heard %d times", n)
	}

	// The caller who hung up during the outage: the call is ended, its
	// record complete; Asterisk's cause went with the lost events.
	rec = r.waitRecord(ctx, leaves.ChannelID())
	if rec.outcome != "hung_up_in_menu" || !rec.answered {
		t.Errorf("record of the caller who hung up during the outage = %+v", rec)
	}
	r.noChannelsLeft(ctx)
}

// appListings counts the app's GET /applications/hotline: one per (re)connect.
func (r *rig) appListings() int {
	n := 0
	for _, rq := range r.ari.Requests() {
		if rq.Method == http.MethodGet && rq.Path == "/applications/"+r.cfg.ARI.Application {
			n++
		}
	}
	return n
}

func TestACallerLeftInTheApplicationByAControllerThatWentAwayIsTakenOverWhenTheServerStarts(t *testing.T) {
	var caller *aritest.Party
	r := startRigWith(t, rigOptions{beforeServe: func(srv *aritest.Server) {
		// A controller that crashed: its WebSocket was connected when the
		// call entered Stasis(hotline), then went away. Asterisk keeps the
		// channel in the application.
		ws := rawEvents(t, srv, "hotline")
		p, err := srv.Dial(context.Background(), aritest.DialOptions{App: "hotline", Caller: "+380501230003", Exten: "1580", Language: "uk"})
		if err != nil {
			t.Fatal(err)
		}
		_ = ws.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := waitNotConnected(ctx, srv, "hotline"); err != nil {
			t.Fatal(err)
		}
		caller = p
	}})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := caller.WaitForPlayback(ctx, "sound:hotline/main-menu"); err != nil {
		t.Fatalf("the server did not take the caller over: %v", err)
	}
	_ = caller.Press("4")
	if _, err := caller.WaitForPlaybackEnd(ctx, "sound:hotline/info-hours"); err != nil {
		t.Fatal(err)
	}
	_ = caller.Hangup()
	rec := r.waitRecord(ctx, caller.ChannelID())
	if rec.outcome != "info_given" || !rec.answered || rec.cause != aritest.CauseNormalClearing {
		t.Errorf("record = %+v", rec)
	}
	r.noChannelsLeft(ctx)
}

// rawEvents connects an events WebSocket for app, as a controller does.
func rawEvents(tb testing.TB, srv *aritest.Server, app string) *websocket.Conn {
	tb.Helper()
	cfg, err := websocket.NewConfig(srv.WebsocketURL()+"?app="+app, "http://localhost/")
	if err != nil {
		tb.Fatal(err)
	}
	cfg.Header.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(srv.Username()+":"+srv.Password())))
	ws, err := websocket.DialConfig(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	go func() { _, _ = io.Copy(io.Discard, ws) }() // read and drop, as long as it is open
	return ws
}

func waitNotConnected(ctx context.Context, srv *aritest.Server, app string) error {
	for srv.AppConnected(app) {
		select {
		case <-ctx.Done():
			return fmt.Errorf("app %s still connected: %w", app, ctx.Err())
		case <-time.After(5 * time.Millisecond):
		}
	}
	return nil
}

func TestTwoHundredSimultaneousCallersGoThroughTheMenuAndEveryRecordIsComplete(t *testing.T) {
	const callers = 200
	// Prompts are short, but the main menu lasts until a caller's key stops
	// it (barge-in), however long 200 scripted callers take to press it.
	r := startRigWith(t, rigOptions{ari: aritest.Options{
		Sounds:         shippedSounds(t, 50*time.Millisecond),
		MediaDurations: map[string]time.Duration{"sound:hotline/main-menu": time.Hour},
	}})
	ctx, cancel := context.WithTimeout(context.Background(), 45*time.Second)
	defer cancel()

	var wg sync.WaitGroup
	ids := make([]string, callers)
	errs := make(chan error, callers)
	for i := range callers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p, err := r.ari.Dial(ctx, aritest.DialOptions{App: "hotline", Caller: fmt.Sprintf("+38050%07d", i), Exten: "1580", Language: "uk"})
			if err != nil {
				errs <- fmt.Errorf("caller %d: dial: %w", i, err)
				return
			}
			ids[i] = p.ChannelID()
			if _, err := p.WaitForPlayback(ctx, "sound:hotline/main-menu"); err != nil {
				errs <- fmt.Errorf("caller %d: %w", i, err)
				return
			}
			_ = p.Press("4")
			if _, err := p.WaitForPlaybackEnd(ctx, "sound:hotline/info-hours"); err != nil {
				errs <- fmt.Errorf("caller %d: no information: %w (heard %v)\n%s", i, err, p.Heard(), r.traffic(p.ChannelID()))
				return
			}
			_ = p.Hangup()
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if t.Failed() {
		return
	}

	// Every call has its record, complete: answered, ended with the
	// caller's hangup, key 4 in the main menu, the information node.
	r.until(ctx, "every record ended", func() bool {
		var n int
		_ = r.pool.QueryRow(ctx, `SELECT count(*) FROM calls WHERE ended_at IS NOT NULL`).Scan(&n)
		return n == callers
	})
	rows, err := r.pool.Query(ctx, `SELECT c.channel_id FROM calls c
		WHERE c.answered_at IS NOT NULL AND c.outcome = 'info_given' AND c.hangup_cause = 16
		  AND EXISTS (SELECT 1 FROM call_events e WHERE e.call_id = c.id AND e.kind = 'key' AND e.node = 'main' AND e.detail->>'key' = '4')
		  AND EXISTS (SELECT 1 FROM call_events e WHERE e.call_id = c.id AND e.kind = 'node' AND e.node = 'info')`)
	if err != nil {
		t.Fatal(err)
	}
	complete := map[string]bool{}
	for rows.Next() {
		var id string
		_ = rows.Scan(&id)
		complete[id] = true
	}
	rows.Close()
	for i, id := range ids {
		if !complete[id] {
			rec, err := readRecord(ctx, r.pool, id, false)
			t.Errorf("caller %d (%s): incomplete record %+v (%v)", i, id, rec, err)
		}
	}
	r.noChannelsLeft(ctx)
	resp, err := http.Get(r.base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{"hotline_calls_live 0", fmt.Sprintf("hotline_calls_offered_total %d", callers)} {
		if !strings.Contains(string(body), want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
}

// traffic is what passed between the app and Asterisk about a channel, for failure messages.
func (r *rig) traffic(channelID string) string {
	type line struct {
		at   time.Time
		text string
	}
	var lines []line
	for _, ev := range r.ari.Events() {
		if ev.ChannelID == channelID {
			lines = append(lines, line{ev.Time, "event   " + ev.Type + " " + string(ev.JSON)})
		}
	}
	for _, rq := range r.ari.Requests() {
		if rq.ChannelID == channelID {
			lines = append(lines, line{rq.Time, fmt.Sprintf("command %s %s?%s -> %d", rq.Method, rq.Path, rq.Query, rq.Status)})
		}
	}
	slices.SortStableFunc(lines, func(a, b line) int { return a.at.Compare(b.at) })
	var b strings.Builder
	for _, l := range lines {
		fmt.Fprintf(&b, "  %s %s\n", l.at.Format("15:04:05.000000"), l.text)
	}
	return b.String()
}
