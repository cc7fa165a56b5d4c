package ari_test

import (
	"context"
	"encoding/base64"
	"io"
	"log/slog"
	"net/http"
	"os"
	"slices"
	"sync"
	"testing"
	"time"

	"golang.org/x/net/websocket"

	"github.com/slobozhanske/hotline/telephony/ari"
	"github.com/slobozhanske/hotline/telephony/ari/aritest"
	callrecordpg "github.com/slobozhanske/hotline/telephony/callrecord/pgstore"
)

func testLog() *slog.Logger {
	if os.Getenv("TELEPHONY_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

// arrival is what a handler learnt of a call.
type arrival struct {
	channelID string
	args      []string
	readopted bool
}

// appRig is the Stasis app on the ARI test server with a handler that
// records each call's arrival and then runs play (if set).
type appRig struct {
	srv  *aritest.Server
	app  *ari.App
	stop context.CancelFunc
	done chan struct{}

	mu       sync.Mutex
	arrivals []arrival
	arrived  chan struct{}
}

func startApp(t *testing.T, srv *aritest.Server, cfg ari.Config, run func(ctx context.Context, c *ari.Call), setup ...func(*ari.App)) *appRig {
	t.Helper()
	r := &appRig{srv: srv, arrived: make(chan struct{}, 100), done: make(chan struct{})}
	cfg.URL, cfg.WebSocketURL, cfg.Application = srv.URL(), srv.WebsocketURL(), "hotline"
	cfg.Username, cfg.Password = srv.Username(), srv.Password()
	if cfg.RequestTimeout == 0 {
		cfg.RequestTimeout = 5 * time.Second
	}
	cfg.ReconnectMin, cfg.ReconnectMax = 10*time.Millisecond, 100*time.Millisecond
	if cfg.ShutdownGrace == 0 {
		cfg.ShutdownGrace = 5 * time.Second
	}
	cfg.MaxCallDuration = time.Minute
	// Records are queued in memory only: these tests read the calls from Asterisk's side.
	records := callrecordpg.NewWriter(nil, 100000, testLog(), nil)
	r.app = ari.NewApp(cfg, records, ari.NewMetrics(nil), testLog())
	r.app.SetHandler(func(ctx context.Context, c *ari.Call) {
		r.mu.Lock()
		r.arrivals = append(r.arrivals, arrival{channelID: c.ChannelID(), args: c.Args(), readopted: c.Readopted()})
		r.mu.Unlock()
		r.arrived <- struct{}{}
		if run != nil {
			run(ctx, c)
		}
	})
	for _, f := range setup {
		f(r.app)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r.stop = cancel
	go func() { defer close(r.done); _ = r.app.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-r.done })
	wctx, wcancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer wcancel()
	if err := srv.WaitAppConnected(wctx, "hotline"); err != nil {
		t.Fatal(err)
	}
	for !slices.ContainsFunc(srv.Requests(), func(rq aritest.RequestRecord) bool {
		return rq.Method == "GET" && rq.Path == "/applications/hotline"
	}) {
		if wctx.Err() != nil {
			t.Fatal("the app never listed its channels")
		}
		time.Sleep(2 * time.Millisecond)
	}
	return r
}

func (r *appRig) waitArrivals(t *testing.T, ctx context.Context, n int) []arrival {
	t.Helper()
	for {
		r.mu.Lock()
		got := append([]arrival(nil), r.arrivals...)
		r.mu.Unlock()
		if len(got) >= n {
			return got
		}
		select {
		case <-r.arrived:
		case <-ctx.Done():
			t.Fatalf("%d calls arrived, want %d", len(got), n)
		}
	}
}

// leftBehind puts calls into Stasis(hotline) through a controller that then
// goes away, as a crashed server leaves them: Asterisk keeps them in the app.
func leftBehind(t *testing.T, srv *aritest.Server, calls ...aritest.DialOptions) []*aritest.Party {
	t.Helper()
	cfg, err := websocket.NewConfig(srv.WebsocketURL()+"?app=hotline", "http://localhost/")
	if err != nil {
		t.Fatal(err)
	}
	cfg.Header.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(srv.Username()+":"+srv.Password())))
	ws, err := websocket.DialConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	go func() { _, _ = io.Copy(io.Discard, ws) }()
	var parties []*aritest.Party
	for _, o := range calls {
		o.App = "hotline"
		p, err := srv.Dial(context.Background(), o)
		if err != nil {
			t.Fatal(err)
		}
		parties = append(parties, p)
	}
	_ = ws.Close()
	for srv.AppConnected("hotline") {
		time.Sleep(2 * time.Millisecond)
	}
	return parties
}

func TestCallsLeftInTheApplicationAreTakenOverWithTheirStasisArguments(t *testing.T) {
	srv := aritest.Start(t, aritest.Options{TimeScale: 0.01})
	left := leftBehind(t, srv,
		aritest.DialOptions{Caller: "+380501110001", Exten: "1580"},
		aritest.DialOptions{Caller: "101", Exten: "*41", Context: "operators", Endpoint: "PJSIP/op101", Args: []string{"feature", "login"}},
	)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	r := startApp(t, srv, ari.Config{}, func(ctx context.Context, c *ari.Call) {
		_ = c.Answer(ctx)
		_ = c.Play(ctx, false, "sound:hotline/greeting")
	})
	got := r.waitArrivals(t, ctx, 2)
	byChannel := map[string]arrival{}
	for _, a := range got {
		byChannel[a.channelID] = a
	}
	resident, operator := byChannel[left[0].ChannelID()], byChannel[left[1].ChannelID()]
	if !resident.readopted || len(resident.args) != 0 {
		t.Errorf("the resident's call arrived as %+v, want re-adopted with no arguments", resident)
	}
	// The operator's feature code must stay a feature code, not become a resident's call.
	if !operator.readopted || !slices.Equal(operator.args, []string{"feature", "login"}) {
		t.Errorf("the feature-code call arrived as %+v, want re-adopted with its arguments [feature login]", operator)
	}
	for _, p := range left {
		if _, err := p.WaitForPlaybackEnd(ctx, "sound:hotline/greeting"); err != nil {
			t.Fatal(err)
		}
		if end, err := p.WaitEnded(ctx); err != nil || end.By != aritest.ByApp {
			t.Errorf("the call was not ended by the app: %+v %v", end, err)
		}
	}
}

// An answered leg may be in a conversation that a call taken over claims
// (queuecall); one that no call claims within the grace is hung up, and so
// is a bridge of ours that a previous controller left.
func TestAnAnsweredLegAndABridgeLeftBehindThatNoCallClaimsAreEndedAfterTheGrace(t *testing.T) {
	srv := aritest.Start(t, aritest.Options{TimeScale: 0.01})
	left := leftBehind(t, srv, aritest.DialOptions{ChannelID: "hotline-leg-0456", Caller: "101", Endpoint: "PJSIP/op101", Answered: true})
	bridge := postBridge(t, srv, "hotline-br-left")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	r := startApp(t, srv, ari.Config{OrphanGrace: 200 * time.Millisecond}, nil)
	if end, err := left[0].WaitEnded(ctx); err != nil || end.By != aritest.ByApp {
		t.Errorf("the leg was not hung up by the app: %+v %v", end, err)
	}
	for slices.Contains(srv.Bridges(), bridge) {
		if ctx.Err() != nil {
			t.Fatalf("the bridge left behind was not destroyed: %v", srv.Bridges())
		}
		time.Sleep(5 * time.Millisecond)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.arrivals) != 0 {
		t.Errorf("a leg was taken for a resident's call: %+v", r.arrivals)
	}
}

// postBridge creates a bridge in Asterisk as another controller would.
func postBridge(t *testing.T, srv *aritest.Server, id string) string {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, srv.URL()+"/bridges?type=mixing&bridgeId="+id, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.SetBasicAuth(srv.Username(), srv.Password())
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("POST /bridges: %s", resp.Status)
	}
	return id
}

func TestAnOutboundLegLeftWithoutItsOwnerIsHungUp(t *testing.T) {
	srv := aritest.Start(t, aritest.Options{TimeScale: 0.01})
	left := leftBehind(t, srv, aritest.DialOptions{ChannelID: "hotline-leg-0123", Caller: "101", Endpoint: "PJSIP/op101"})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	r := startApp(t, srv, ari.Config{}, nil)
	if end, err := left[0].WaitEnded(ctx); err != nil || end.By != aritest.ByApp {
		t.Errorf("the leg was not hung up by the app: %+v %v", end, err)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.arrivals) != 0 {
		t.Errorf("a leg was taken for a resident's call: %+v", r.arrivals)
	}
}

// A leg whose owner gave up while Asterisk was placing it (the escalation
// stopping as the duty phone rang, a request abandoned on a timeout) may
// still be answered: the person who picks up is hung up on, never taken
// through the residents' menu (which opened a stray card on a restart).
func TestAnOutboundLegThatAnswersWithNobodyWaitingForItIsHungUpNotTakenThroughTheMenu(t *testing.T) {
	srv := aritest.Start(t, aritest.Options{TimeScale: 0.01})
	srv.SetPhone("PJSIP/duty1", aritest.PhoneBehavior{Outcome: aritest.Answer, After: 2 * time.Second})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	r := startApp(t, srv, ari.Config{}, nil)
	req, err := http.NewRequest(http.MethodPost, srv.URL()+
		"/channels?endpoint=PJSIP/duty1&app=hotline&appArgs=leg,escalation&channelId=hotline-leg-given-up", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.SetBasicAuth(srv.Username(), srv.Password())
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("POST /channels: %s", resp.Status)
	}
	duty, err := srv.WaitOutbound(ctx, "PJSIP/duty1")
	if err != nil {
		t.Fatal(err)
	}
	if end, err := duty.WaitEnded(ctx); err != nil || end.By != aritest.ByApp {
		t.Errorf("the answered leg was not hung up by the app: %+v %v", end, err)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.arrivals) != 0 {
		t.Errorf("a leg was taken for a resident's call: %+v", r.arrivals)
	}
}

// An originate asked for with a context already ended is not sent.
func TestAnOriginateGivenUpBeforeItIsSentPlacesNoCall(t *testing.T) {
	srv := aritest.Start(t, aritest.Options{TimeScale: 0.01})
	r := startApp(t, srv, ari.Config{}, nil)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if leg, err := r.app.Originate(ctx, ari.OriginateRequest{Endpoint: "PJSIP/duty1", Purpose: "escalation"}); err == nil {
		t.Fatalf("originated %v with an ended context", leg)
	}
	if slices.ContainsFunc(srv.Requests(), func(rq aritest.RequestRecord) bool {
		return rq.Method == http.MethodPost && rq.Path == "/channels"
	}) || len(srv.Channels()) != 0 {
		t.Errorf("a channel was placed: %v", srv.Channels())
	}
}

func TestACallStillInTheMenuWhenTheShutdownGraceEndsGoesToTheFallbackContext(t *testing.T) {
	srv := aritest.Start(t, aritest.Options{TimeScale: 0.01})
	r := startApp(t, srv, ari.Config{ShutdownGrace: 50 * time.Millisecond, FallbackContext: "hotline-fallback"},
		func(ctx context.Context, c *ari.Call) {
			_ = c.Answer(ctx)
			_, _ = c.NextDigit(ctx, time.Hour) // the caller thinks
		})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	p, err := srv.Dial(ctx, aritest.DialOptions{App: "hotline", Caller: "+380501110002"})
	if err != nil {
		t.Fatal(err)
	}
	r.waitArrivals(t, ctx, 1)
	r.stop()
	dp, err := p.WaitContinued(ctx)
	if err != nil || dp.Context != "hotline-fallback" {
		t.Fatalf("continued to %+v, %v; want the fallback context", dp, err)
	}
	<-r.done
}

// Subscribed to endpoint:PJSIP (the operators' phone states), the app gets
// every event of a PJSIP channel in Stasis twice from Asterisk (ari-traces
// 07); each key still reaches the call once: 1225# is read as 1225#, not
// 11222255##.
func TestEveryKeyReachesTheCallOnceWhileTheAppFollowsPJSIPEndpoints(t *testing.T) {
	srv := aritest.Start(t, aritest.Options{TimeScale: 0.01})
	if err := srv.SetEndpointState("PJSIP", "op101", aritest.EndpointOnline); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	keyed := make(chan string, 1)
	startApp(t, srv, ari.Config{}, func(ctx context.Context, c *ari.Call) {
		if err := c.Answer(ctx); err != nil {
			keyed <- "answer: " + err.Error()
			return
		}
		var keys []byte
		for len(keys) == 0 || keys[len(keys)-1] != '#' {
			k, err := c.NextDigit(ctx, 5*time.Second)
			if err != nil {
				break
			}
			keys = append(keys, k)
		}
		keyed <- string(keys)
	}, func(a *ari.App) { a.WatchEndpoints("PJSIP") })
	for !slices.ContainsFunc(srv.Requests(), func(rq aritest.RequestRecord) bool {
		return rq.Method == http.MethodPost && rq.Path == "/applications/hotline/subscription" && rq.Status < 300
	}) {
		if ctx.Err() != nil {
			t.Fatal("the app never subscribed to the PJSIP endpoints")
		}
		time.Sleep(2 * time.Millisecond)
	}
	p, err := srv.Dial(ctx, aritest.DialOptions{App: "hotline", Caller: "5551234", Endpoint: "PJSIP/anonymous"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Wait(ctx, func(s aritest.PartyState) bool { return s.State == "Up" }); err != nil {
		t.Fatal(err)
	}
	if err := p.Press("1225#"); err != nil {
		t.Fatal(err)
	}
	doubled := 0
	for _, ev := range srv.Events() {
		if ev.Type == "ChannelDtmfReceived" && ev.ChannelID == p.ChannelID() {
			doubled++
		}
	}
	if doubled != 10 {
		t.Fatalf("the test server sent %d ChannelDtmfReceived for 5 keys; want each twice, as Asterisk does", doubled)
	}
	select {
	case got := <-keyed:
		if got != "1225#" {
			t.Errorf("the call read %q, want 1225#", got)
		}
	case <-ctx.Done():
		t.Fatal("the call never read the keys")
	}
}
