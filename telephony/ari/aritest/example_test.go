package aritest_test

import (
	"context"
	"fmt"
	"time"

	"github.com/CyCoreSystems/ari/v5"
	"github.com/CyCoreSystems/ari/v5/client/native"
	"golang.org/x/net/websocket"

	"github.com/slobozhanske/hotline/telephony/ari/aritest"
)

// A test starts the server, points the controller at it, then scripts
// residents and operators and asserts on what they heard and how calls ended.
func Example() {
	srv, err := aritest.New(aritest.Options{TimeScale: 0.01}) // 100x faster than real time
	if err != nil {
		panic(err)
	}
	defer srv.Close()

	// The controller under test would connect here; this stand-in answers
	// every call and plays a greeting.
	cl := native.New(&native.Options{Application: "hotline", URL: srv.URL(), Username: srv.Username(), Password: srv.Password()})
	info, _ := cl.Asterisk().Info(nil)
	fmt.Println("Asterisk", info.SystemInfo.Version)
	ws, err := websocket.Dial(srv.WebsocketURL()+"?app=hotline&api_key=asterisk:asterisk", "", "http://localhost/")
	if err != nil {
		panic(err)
	}
	defer ws.Close()
	go func() {
		for {
			var data []byte
			if websocket.Message.Receive(ws, &data) != nil {
				return
			}
			if ev, err := ari.DecodeEvent(data); err == nil && ev.GetType() == "StasisStart" {
				key := ari.NewKey(ari.ChannelKey, ev.(*ari.StasisStart).Channel.ID)
				_ = cl.Channel().Answer(key)
				_, _ = cl.Channel().Play(key, "greeting-1", "sound:hotline/greeting")
			}
		}
	}()

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	resident, err := srv.Dial(ctx, aritest.DialOptions{App: "hotline", Caller: "+380501234567", Exten: "1580"})
	if err != nil {
		panic(err)
	}
	heard, _ := resident.WaitForPlaybackEnd(ctx, "sound:hotline/greeting")
	fmt.Println(heard.MediaURI, heard.Outcome)
	_ = resident.Hangup()
	end, _ := resident.WaitEnded(ctx)
	fmt.Println(end.Cause, end.CauseText, end.By)
	// Output:
	// Asterisk 22.10.1
	// sound:hotline/greeting done
	// 0 Unknown party
}
