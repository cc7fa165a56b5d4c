package aritest_test

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/CyCoreSystems/ari/v5"

	"github.com/slobozhanske/hotline/telephony/ari/aritest"
)

func TestDialWithoutApplication(t *testing.T) {
	srv := aritest.Start(t, aritest.Options{})
	_, err := srv.Dial(testCtx(t), aritest.DialOptions{App: "hotline"})
	if !errors.Is(err, aritest.ErrAppNotRegistered) {
		t.Fatalf("err = %v, want ErrAppNotRegistered", err)
	}
	if n := len(srv.Channels()); n != 0 {
		t.Fatalf("%d channels left", n)
	}
}

func TestWebSocketDropKeepsChannelsInApp(t *testing.T) {
	srv := aritest.Start(t, aritest.Options{TimeScale: fast})
	ctx := testCtx(t)
	ec := mustEvents(t, srv, "hotline")
	cl := newClient(srv, "hotline")
	res, err := srv.Dial(ctx, aritest.DialOptions{App: "hotline"})
	if err != nil {
		t.Fatal(err)
	}
	ec.mustWait(ctx, "StasisStart", res.ChannelID())

	srv.DropWebSockets(aritest.DropOptions{RefuseFor: 300 * time.Millisecond})
	<-ec.done
	if srv.AppConnected("hotline") {
		t.Fatal("app still connected")
	}
	if _, err := dialEvents(t, srv, "hotline", false); err == nil {
		t.Fatal("reconnect accepted while refusing")
	}
	// While disconnected the channel stays in Stasis and in the application.
	if got := srv.ChannelsInApp("hotline"); len(got) != 1 || got[0] != res.ChannelID() {
		t.Fatalf("channels in app %v", got)
	}
	app, err := cl.Application().Data(ari.NewKey(ari.ApplicationKey, "hotline"))
	if err != nil || len(app.ChannelIDs) != 1 {
		t.Fatalf("application %+v %v", app, err)
	}
	if err := cl.Channel().Answer(chKey(res.ChannelID())); err != nil {
		t.Fatal(err) // REST works, its event is lost
	}

	var ec2 *eventConn
	deadline := time.Now().Add(5 * time.Second)
	for ec2 == nil {
		if ec2, err = dialEvents(t, srv, "hotline", false); err != nil {
			if time.Now().After(deadline) {
				t.Fatalf("reconnect: %v", err)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	if err := res.Press("7"); err != nil {
		t.Fatal(err)
	}
	ec2.mustWait(ctx, "ChannelDtmfReceived", res.ChannelID())
	if got := ec2.types(res.ChannelID()); len(got) != 1 {
		t.Fatalf("events after reconnect %v, want only the DTMF", got)
	}
}

func TestApplicationReplaced(t *testing.T) {
	srv := aritest.Start(t, aritest.Options{})
	ctx := testCtx(t)
	old := mustEvents(t, srv, "hotline")
	cur := mustEvents(t, srv, "hotline")
	old.mustWait(ctx, "ApplicationReplaced", "")
	res, err := srv.Dial(ctx, aritest.DialOptions{App: "hotline"})
	if err != nil {
		t.Fatal(err)
	}
	cur.mustWait(ctx, "StasisStart", res.ChannelID())
	if got := old.types(res.ChannelID()); len(got) != 0 {
		t.Fatalf("replaced socket got %v", got)
	}
}

// TestManyConcurrentCalls runs 200 simultaneous callers through answer,
// play, DTMF and hangup with the real client.
func TestManyConcurrentCalls(t *testing.T) {
	const calls = 200
	srv := aritest.Start(t, aritest.Options{TimeScale: 0.01, MediaDurations: map[string]time.Duration{"sound:welcome": 2 * time.Second}})
	ctx := testCtx(t)
	ec := mustEvents(t, srv, "hotline")
	cl := newClient(srv, "hotline")
	var wg sync.WaitGroup
	errs := make(chan error, calls)
	for i := 0; i < calls; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			errs <- func() error {
				res, err := srv.Dial(ctx, aritest.DialOptions{App: "hotline", Caller: fmt.Sprintf("+38050%07d", i)})
				if err != nil {
					return err
				}
				id := res.ChannelID()
				if _, err := ec.wait(ctx, "StasisStart", id, nil); err != nil {
					return err
				}
				if err := cl.Channel().Answer(chKey(id)); err != nil {
					return fmt.Errorf("answer: %w", err)
				}
				if _, err := cl.Channel().Play(chKey(id), "pb-"+id, "sound:welcome"); err != nil {
					return fmt.Errorf("play: %w", err)
				}
				if _, err := res.WaitForPlaybackEnd(ctx, "sound:welcome"); err != nil {
					return err
				}
				if err := res.Press("1"); err != nil {
					return err
				}
				if _, err := ec.wait(ctx, "ChannelDtmfReceived", id, nil); err != nil {
					return err
				}
				if err := cl.Channel().Hangup(chKey(id), "normal"); err != nil {
					return fmt.Errorf("hangup: %w", err)
				}
				_, err = ec.wait(ctx, "StasisEnd", id, nil)
				return err
			}()
		}(i)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if n := len(srv.Channels()); n != 0 {
		t.Fatalf("%d channels left", n)
	}
}
