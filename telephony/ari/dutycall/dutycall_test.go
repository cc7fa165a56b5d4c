package dutycall_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/slobozhanske/hotline/internal/dbtest"
	"github.com/slobozhanske/hotline/ivr"
	"github.com/slobozhanske/hotline/telephony/ari"
	"github.com/slobozhanske/hotline/telephony/ari/aritest"
	"github.com/slobozhanske/hotline/telephony/ari/dutycall"
	callrecordpg "github.com/slobozhanske/hotline/telephony/callrecord/pgstore"
	"github.com/slobozhanske/hotline/telephony/escalation"
	"github.com/slobozhanske/hotline/telephony/escalation/esctest"
	escalationpg "github.com/slobozhanske/hotline/telephony/escalation/pgstore"
)

// scale runs the test server and the engine's clock 100 times faster than
// real time: a 30 s ring takes 0.3 s.
const scale = 0.01

const app = "hotline"

var night = time.Date(2026, 11, 23, 23, 0, 0, 0, time.FixedZone("EET", 2*3600))

var (
	dispatcher = escalation.Person{Name: "Черговий диспетчер", Phone: "PJSIP/duty1"}
	head       = escalation.Person{Name: "Начальник відділу ЖКГ", Phone: "0501234567"}
)

const (
	dispatcherPhone = "PJSIP/duty1"
	headPhone       = "PJSIP/0501234567@trunk"
)

func logger() *slog.Logger {
	if testing.Verbose() {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

// world is a controller against the ARI test server and a real database.
type world struct {
	t        *testing.T
	ctx      context.Context // the test's deadline
	srv      *aritest.Server
	app      *ari.App
	pool     *pgxpool.Pool
	store    *escalationpg.Store
	duty     *escalation.Duty
	history  *esctest.History
	clock    *esctest.ScaledClock
	settings escalation.Settings
	engine   *escalation.Engine
	stop     func()

	// appealHistory, when set, takes the place of history (a real appeals
	// service); metrics, when set, are the engine's.
	appealHistory escalation.AppealHistory
	metrics       *escalation.Metrics

	mu      sync.Mutex
	handler ari.Handler // residents' calls
}

// newWorld starts the world; opts adjust it before the engine starts.
func newWorld(t *testing.T, opts ...func(*world)) *world {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	srv := aritest.Start(t, aritest.Options{TimeScale: scale, Language: "uk", DefaultMediaDuration: 2 * time.Second, Logger: logger()})
	pool := dbtest.NewPool(t)
	w := &world{t: t, ctx: ctx, srv: srv, pool: pool, store: escalationpg.New(pool), history: esctest.NewHistory(),
		clock: esctest.NewScaledClock(night, scale),
		settings: escalation.Settings{CallerID: "Гаряча лінія <1580>", TrunkEndpoint: "PJSIP/%s@trunk",
			RingTimeout: 30 * time.Second, AckTimeout: 60 * time.Second, AttemptsPerPerson: 2, RetryDelay: time.Minute,
			HandoffWait: 10 * time.Minute}} // 6 s of real time: the race detector is slow

	records := callrecordpg.NewWriter(pool, 100, logger(), prometheus.NewRegistry())
	recCtx, stopRecords := context.WithCancel(context.Background())
	recDone := make(chan struct{})
	go func() { defer close(recDone); records.Run(recCtx, time.Second) }()
	w.app = ari.NewApp(ari.Config{
		URL: srv.URL(), WebSocketURL: srv.WebsocketURL(), Application: app, Username: srv.Username(), Password: srv.Password(),
		RequestTimeout: 5 * time.Second, ReconnectMin: 50 * time.Millisecond, ReconnectMax: time.Second,
		ShutdownGrace: 2 * time.Second, MaxCallDuration: time.Minute, RecordingFormat: "wav",
	}, records, ari.NewMetrics(nil), logger())
	w.app.SetHandler(func(ctx context.Context, call *ari.Call) {
		w.mu.Lock()
		h := w.handler
		w.mu.Unlock()
		if h != nil {
			h(ctx, call)
		}
	})
	appCtx, stopApp := context.WithCancel(context.Background())
	appDone := make(chan struct{})
	go func() { defer close(appDone); _ = w.app.Run(appCtx) }()
	t.Cleanup(func() {
		if w.stop != nil {
			w.stop()
		}
		stopApp()
		<-appDone
		stopRecords()
		<-recDone
	})
	if err := srv.WaitAppConnected(ctx, app); err != nil {
		t.Fatal(err)
	}
	duty, err := escalation.LoadDuty(ctx, w.store, []escalation.Shift{{People: []escalation.Person{dispatcher, head}}}, w.clock, logger())
	if err != nil {
		t.Fatal(err)
	}
	w.duty = duty
	for _, o := range opts {
		o(w)
	}
	w.start()
	return w
}

func (w *world) start() {
	w.t.Helper()
	var history escalation.AppealHistory = w.history
	if w.appealHistory != nil {
		history = w.appealHistory
	}
	e, err := escalation.NewEngine(escalation.Config{Settings: w.settings, Store: w.store, Duty: w.duty,
		Dialer: dutycall.New(w.app), History: history, Clock: w.clock, Metrics: w.metrics, Log: logger()})
	if err != nil {
		w.t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = e.Run(ctx) }()
	w.engine = e
	w.stop = func() {
		cancel()
		<-done
		w.stop = nil
	}
}

// phone scripts an endpoint; accept makes it press 1 when asked.
func (w *world) phone(endpoint string, b aritest.PhoneBehavior) { w.srv.SetPhone(endpoint, b) }

func (w *world) accepts(after time.Duration) aritest.PhoneBehavior {
	return aritest.PhoneBehavior{Outcome: aritest.Answer, After: after, OnAnswer: func(p *aritest.Party) {
		if _, err := p.WaitForPlayback(w.ctx, "sound:hotline/duty-press-accept"); err == nil {
			_ = p.Press("1")
		}
	}}
}

func (w *world) sos(n string) ivr.SOSAlert {
	w.t.Helper()
	w.srv.AddStoredRecording("sos-"+n, "wav", 20*time.Second)
	a := ivr.SOSAlert{Appeal: ivr.Appeal{ID: "appeal-" + n, Number: "2026-000" + n, SpokenDigits: n, Category: "water"},
		CallID: "call-" + n, CallerNumber: "+380671112233", Recording: "sos-" + n}
	if err := w.engine.Start(w.ctx, a); err != nil {
		w.t.Fatal(err)
	}
	return a
}

func (w *world) escalationOf(a ivr.SOSAlert) escalation.Escalation {
	w.t.Helper()
	list, err := w.store.List(w.ctx, escalation.Filter{})
	if err != nil {
		w.t.Fatal(err)
	}
	for _, e := range list {
		if e.AppealID == a.Appeal.ID {
			return e
		}
	}
	w.t.Fatalf("no escalation for %s", a.Appeal.Number)
	return escalation.Escalation{}
}

func (w *world) until(what string, cond func() bool) {
	w.t.Helper()
	for !cond() {
		select {
		case <-w.ctx.Done():
			w.t.Fatalf("%s: not within the test's deadline", what)
		case <-time.After(5 * time.Millisecond):
		}
	}
}

func attempts(e escalation.Escalation) []string {
	var out []string
	for _, a := range e.Attempts {
		out = append(out, a.Endpoint+" "+string(a.Result))
	}
	return out
}

// noChannelsLeft checks that every channel the controller created has left
// the application and ended.
func (w *world) noChannelsLeft() {
	w.t.Helper()
	if err := w.srv.WaitChannelsInApp(w.ctx, app, 0); err != nil {
		w.t.Errorf("channels still in the application: %v (%v)", w.srv.ChannelsInApp(app), err)
	}
	w.until("every channel ended", func() bool { return len(w.srv.Channels()) == 0 })
}

// Over ARI: the dispatcher's phone rings out twice, the head's phone is
// answered and 1 is pressed during the question.
func TestOverARITheSecondPersonAcceptsWhenTheFirstDoesNotAnswer(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.phone(dispatcherPhone, aritest.PhoneBehavior{Outcome: aritest.NoAnswer})
	w.phone(headPhone, w.accepts(3*time.Second))

	sos := w.sos("123")
	w.until("accepted", func() bool { return w.escalationOf(sos).State == escalation.StateAcknowledged })
	esc := w.escalationOf(sos)
	want := []string{dispatcherPhone + " no_answer", dispatcherPhone + " no_answer", headPhone + " acknowledged"}
	if got := attempts(esc); !slices.Equal(got, want) {
		t.Fatalf("attempts %q, want %q", got, want)
	}
	if esc.AcknowledgedBy != head.Name {
		t.Errorf("acknowledged by %q", esc.AcknowledgedBy)
	}
	if gap := esc.Attempts[1].StartedAt.Sub(esc.Attempts[0].EndedAt); gap < 50*time.Second || gap > 90*time.Second {
		t.Errorf("second attempt %s after the first, want about the retry delay of 1m", gap)
	}
	w.until("history written", func() bool { return !w.escalationOf(sos).HistoryWrittenAt.IsZero() })
	var actions []string
	for _, h := range w.history.Of(sos.Appeal.ID) {
		actions = append(actions, h.Action+" "+h.Detail["result"])
	}
	if want := []string{"duty_attempt no_answer", "duty_attempt no_answer", "duty_acknowledged "}; !slices.Equal(actions, want) {
		t.Errorf("appeal history %q, want %q", actions, want)
	}
	w.until("the escalation's goroutine ends", func() bool { return w.engine.Running() == 0 })

	w.stop()
	w.noChannelsLeft()
	// The head's phone showed the hotline and heard the alert, the recording and the question.
	headParty, err := w.srv.WaitOutbound(w.ctx, headPhone)
	if err != nil {
		t.Fatal(err)
	}
	st := headParty.Snapshot()
	if st.Caller != "1580" || st.CallerName != "Гаряча лінія" {
		t.Errorf("the head's phone showed %q <%s>", st.CallerName, st.Caller)
	}
	heard := headParty.HeardURIs()
	for _, m := range []string{"sound:hotline/duty-alert", "digits:123", "sound:hotline/cat-water", "digits:380671112233",
		"recording:sos-123", "sound:hotline/duty-press-accept", "sound:hotline/duty-accepted"} {
		if !slices.Contains(heard, m) {
			t.Errorf("the head did not hear %s: %q", m, heard)
		}
	}
	if end, _ := headParty.Ended(); end.By != aritest.ByApp {
		t.Errorf("the head's call ended by %s, want by the application", end.By)
	}
}

// A busy line and a softphone that is offline go to the next person.
func TestOverARIBusyAndOfflinePhonesGoToTheNextPerson(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		setup  func(w *world)
		result escalation.Result
	}{
		{"busy", func(w *world) { w.phone(dispatcherPhone, aritest.PhoneBehavior{Outcome: aritest.Busy}) }, escalation.ResultBusy},
		{"offline", func(w *world) {
			if err := w.srv.SetEndpointState("PJSIP", "duty1", aritest.EndpointOffline); err != nil {
				w.t.Fatal(err)
			}
		}, escalation.ResultUnavailable},
		{"declined", func(w *world) {
			w.phone(dispatcherPhone, aritest.PhoneBehavior{Outcome: aritest.Reject, After: 2 * time.Second})
		}, escalation.ResultRejected},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t)
			tc.setup(w)
			w.phone(headPhone, w.accepts(0))
			sos := w.sos("124")
			w.until("accepted", func() bool { return w.escalationOf(sos).State == escalation.StateAcknowledged })
			r := dispatcherPhone + " " + string(tc.result)
			if got := attempts(w.escalationOf(sos)); !slices.Equal(got, []string{r, r, headPhone + " acknowledged"}) {
				t.Fatalf("attempts %q", got)
			}
			w.stop()
			w.noChannelsLeft()
		})
	}
}

// The controller stops while the dispatcher's phone rings: the leg is hung
// up; the next controller phones the dispatcher again, who accepts.
func TestOverARIARestartWhileRingingHangsUpAndResumes(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.phone(dispatcherPhone, aritest.PhoneBehavior{Outcome: aritest.Answer, After: 20 * time.Second})
	sos := w.sos("125")
	ringing, err := w.srv.WaitOutbound(w.ctx, dispatcherPhone)
	if err != nil {
		t.Fatal(err)
	}
	w.stop()
	end, err := ringing.WaitEnded(w.ctx)
	if err != nil || end.By != aritest.ByApp {
		t.Fatalf("the ringing call ended %+v (%v), want hung up by the application", end, err)
	}
	w.noChannelsLeft()

	w.phone(dispatcherPhone, w.accepts(time.Second))
	w.start()
	w.until("accepted after the restart", func() bool { return w.escalationOf(sos).State == escalation.StateAcknowledged })
	if got := attempts(w.escalationOf(sos)); !slices.Equal(got, []string{dispatcherPhone + " interrupted", dispatcherPhone + " acknowledged"}) {
		t.Fatalf("attempts %q", got)
	}
	w.stop()
	w.noChannelsLeft()
}

// keep_caller_on_line: the resident hears hold music until the dispatcher
// accepts, then they talk; when the dispatcher hangs up, the call ends.
func TestOverARITheCallerIsConnectedToThePersonWhoAccepts(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	connector := dutycall.NewConnector(w.engine, w.app, dutycall.ConnectorConfig{MOHClass: "default", Clock: w.clock, Log: logger()})
	type result struct {
		connected bool
		err       error
	}
	results := make(chan result, 1)
	w.mu.Lock()
	w.handler = func(ctx context.Context, call *ari.Call) {
		if err := call.Answer(ctx); err != nil {
			results <- result{err: err}
			return
		}
		hold, err := connector.For(call).StartHeld(context.WithoutCancel(ctx), ivr.SOSAlert{
			Appeal: ivr.Appeal{ID: "appeal-126", Number: "2026-000126", SpokenDigits: "126", Category: "gas"},
			CallID: call.ID(), CallerNumber: call.CallerNumber()})
		if err != nil {
			results <- result{err: err}
			return
		}
		connected, err := hold(ctx, call)
		results <- result{connected, err}
	}
	w.mu.Unlock()
	w.phone(dispatcherPhone, w.accepts(5*time.Second))

	resident, err := w.srv.Dial(w.ctx, aritest.DialOptions{App: app, Caller: "+380671112233", Exten: "1580"})
	if err != nil {
		t.Fatal(err)
	}
	if err := resident.WaitMOH(w.ctx, "default"); err != nil {
		t.Fatal(err)
	}
	duty, err := w.srv.WaitOutbound(w.ctx, dispatcherPhone)
	if err != nil {
		t.Fatal(err)
	}
	w.until("the resident and the dispatcher are bridged", func() bool { return resident.InBridgeWith(duty) })
	if _, err := duty.WaitForPlaybackEnd(w.ctx, "sound:hotline/duty-connecting-caller"); err != nil {
		t.Errorf("the dispatcher was not told they are being connected: %v", err)
	}
	if err := duty.Hangup(); err != nil {
		t.Fatal(err)
	}
	select {
	case r := <-results:
		if !r.connected || r.err != nil {
			t.Errorf("hold: connected %v, err %v", r.connected, r.err)
		}
	case <-w.ctx.Done():
		t.Fatal("the hold did not return after the dispatcher hung up")
	}
	if _, err := resident.WaitEnded(w.ctx); err != nil {
		t.Fatal(err)
	}
	list, _ := w.store.List(w.ctx, escalation.Filter{})
	if len(list) != 1 || list[0].State != escalation.StateAcknowledged {
		t.Errorf("escalation %+v", list)
	}
	w.stop()
	w.noChannelsLeft()
	if len(w.srv.Bridges()) != 0 {
		t.Errorf("bridges left: %v", w.srv.Bridges())
	}
}

// The caller hangs up while on hold: the hold returns at once, and the
// escalation goes on without them.
func TestOverARIACallerWhoHangsUpOnHoldLeavesTheEscalationRunning(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	connector := dutycall.NewConnector(w.engine, w.app, dutycall.ConnectorConfig{MOHClass: "default", Clock: w.clock})
	results := make(chan error, 1)
	w.mu.Lock()
	w.handler = func(ctx context.Context, call *ari.Call) {
		_ = call.Answer(ctx)
		hold, err := connector.For(call).StartHeld(context.WithoutCancel(ctx), ivr.SOSAlert{
			Appeal: ivr.Appeal{ID: "appeal-127", Number: "2026-000127", SpokenDigits: "127"}, CallID: call.ID()})
		if err != nil {
			results <- err
			return
		}
		_, err = hold(ctx, call)
		results <- err
	}
	w.mu.Unlock()
	w.phone(dispatcherPhone, w.accepts(20*time.Second))
	resident, err := w.srv.Dial(w.ctx, aritest.DialOptions{App: app, Caller: "+380671112233", Exten: "1580"})
	if err != nil {
		t.Fatal(err)
	}
	if err := resident.WaitMOH(w.ctx, "default"); err != nil {
		t.Fatal(err)
	}
	_ = resident.Hangup()
	select {
	case err := <-results:
		if !errors.Is(err, ivr.ErrHangup) {
			t.Errorf("hold after the caller hung up: %v, want ErrHangup", err)
		}
	case <-w.ctx.Done():
		t.Fatal("the hold did not return after the caller hung up")
	}
	w.until("accepted without the caller", func() bool {
		list, _ := w.store.List(w.ctx, escalation.Filter{})
		return len(list) == 1 && list[0].State == escalation.StateAcknowledged
	})
	w.stop()
	w.noChannelsLeft()
}
