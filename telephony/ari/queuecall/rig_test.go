package queuecall_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/slobozhanske/hotline/internal/dbtest"
	"github.com/slobozhanske/hotline/ivr"
	"github.com/slobozhanske/hotline/telephony/ari"
	"github.com/slobozhanske/hotline/telephony/ari/aritest"
	"github.com/slobozhanske/hotline/telephony/ari/queuecall"
	callrecordpg "github.com/slobozhanske/hotline/telephony/callrecord/pgstore"
	"github.com/slobozhanske/hotline/telephony/queue"
)

// timeScale runs the ARI test server 100 times faster than life: a
// simulated second is 10 ms. The dispatcher runs on the wall clock, so its
// durations below are real ones.
const timeScale = 0.01

func sim(d time.Duration) time.Duration { return time.Duration(float64(d) * timeScale) }

func testLog() *slog.Logger {
	if os.Getenv("QUEUE_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

// rig is the hotline's queue on the ARI test server: the Stasis app, the
// dispatcher, the adapter, and a handler that puts every resident in the queue.
type rig struct {
	t       testing.TB
	srv     *aritest.Server
	app     *ari.App
	d       *queue.Dispatcher
	svc     *queuecall.Service
	pool    *pgxpool.Pool
	records *callrecordpg.Writer

	mu      sync.Mutex
	results map[string]ivr.QueueResult // by caller number
	errs    map[string]error
	// changed is closed (and replaced) whenever a caller's Join returns, to
	// wake every waitResult. The handler must never block on telling it: it
	// owns the call, and the app hangs the caller up only once it returns
	// (a buffered channel nobody read filled up after 1000 calls in the
	// benchmark and held the residents on the line for ever).
	changed chan struct{}
}

type rigOptions struct {
	queue     queue.QueueConfig
	media     queuecall.QueueOptions
	operators int
	queueName string
}

func defaultQueue() queue.QueueConfig {
	return queue.QueueConfig{Name: "operators", Title: "Гаряча лінія", Strategy: queue.LongestIdle,
		RingTimeout: 300 * time.Millisecond, WrapUp: 20 * time.Millisecond, MaxNoAnswer: 100,
		RetryDelay: 20 * time.Millisecond, MaxLength: 100}
}

func opID(i int) string { return fmt.Sprintf("op%d", 101+i) }

func newRig(t testing.TB, o rigOptions) *rig {
	t.Helper()
	if o.operators == 0 {
		o.operators = 5
	}
	if o.queue.Name == "" {
		o.queue = defaultQueue()
	}
	if o.media.MOHClass == "" {
		o.media.MOHClass = "hotline"
	}
	srv := aritest.Start(t, aritest.Options{TimeScale: timeScale, EventBuffer: 1 << 16})
	pool := dbtest.NewPool(t)
	log := testLog()
	r := &rig{t: t, srv: srv, pool: pool, results: map[string]ivr.QueueResult{}, errs: map[string]error{}, changed: make(chan struct{})}

	var ops []queue.Operator
	for i := range o.operators {
		id := opID(i)
		ops = append(ops, queue.Operator{ID: id, Name: "Оператор " + id, Endpoint: "PJSIP/" + id, Queues: []string{o.queue.Name}})
		if err := srv.SetEndpointState("PJSIP", id, aritest.EndpointOnline); err != nil {
			t.Fatal(err)
		}
	}
	d, err := queue.New(queue.Config{Queues: []queue.QueueConfig{o.queue}, Operators: ops, Log: log.With("component", "queue")})
	if err != nil {
		t.Fatal(err)
	}
	r.d = d
	r.records = callrecordpg.NewWriter(pool, 100000, log, nil)
	ctx, cancel := context.WithCancel(context.Background())
	recDone := make(chan struct{})
	go func() { defer close(recDone); r.records.Run(ctx, 5*time.Second) }()

	r.app = ari.NewApp(ari.Config{
		URL: srv.URL(), WebSocketURL: srv.WebsocketURL(), Application: "hotline",
		Username: srv.Username(), Password: srv.Password(), RequestTimeout: 5 * time.Second,
		ReconnectMin: 10 * time.Millisecond, ReconnectMax: 100 * time.Millisecond, ShutdownGrace: 5 * time.Second,
		MaxCallDuration: time.Minute, RecordingFormat: "wav",
	}, r.records, ari.NewMetrics(nil), log.With("component", "ari"))
	r.app.SetHandler(r.handle)
	r.app.OnEndpointState(func(e, st string) { d.EndpointState(e, st) })
	r.svc = queuecall.New(r.app, d, queuecall.Config{
		DefaultQueue: o.queue.Name, Queues: map[string]queuecall.QueueOptions{o.queue.Name: o.media},
		RatingTimeout: 200 * time.Millisecond,
		// Asterisk's own originate timeout (simulated seconds) stays beyond the dispatcher's ring timeout.
		LegHangupGrace: 60 * time.Second,
	}, r.records, log.With("component", "queuecall"))

	appDone := make(chan struct{})
	go func() { defer close(appDone); _ = r.app.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		<-appDone
		<-recDone
	})
	wctx, wcancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer wcancel()
	if err := srv.WaitAppConnected(wctx, "hotline"); err != nil {
		t.Fatal(err)
	}
	// The app lists the channels already in Stasis right after connecting
	// (re-adoption); a resident dialling in before that would be taken for
	// one left over from a restart.
	for !slices.ContainsFunc(srv.Requests(), func(rq aritest.RequestRecord) bool {
		return rq.Method == "GET" && rq.Path == "/applications/hotline"
	}) {
		if wctx.Err() != nil {
			t.Fatal("the app never listed its channels")
		}
		time.Sleep(time.Millisecond)
	}
	if err := r.app.SubscribeEndpoints(wctx, "endpoint:PJSIP"); err != nil {
		t.Fatal(err)
	}
	return r
}

// handle is the server's call handler, reduced to the queue: feature codes,
// or a resident who goes straight to the queue (SOS when the dialplan says so).
func (r *rig) handle(ctx context.Context, call *ari.Call) {
	args := call.Args()
	if len(args) >= 2 && args[0] == "feature" {
		r.svc.HandleFeature(ctx, call, args[1])
		return
	}
	if err := call.Answer(ctx); err != nil { // hung up before the queue
		r.joined(call.CallerNumber(), ivr.QueueResult{Kind: "abandoned"}, nil)
		return
	}
	prio := ivr.PriorityNormal
	if slices.Contains(args, "sos") {
		prio = ivr.PrioritySOS
	}
	res, err := r.svc.For(call).Join(ctx, call, "", prio)
	r.joined(call.CallerNumber(), res, err)
}

// joined notes how a caller's Join returned and wakes the waiters, without
// ever blocking (whether or not anybody waits for results).
func (r *rig) joined(number string, res ivr.QueueResult, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.results[number] = res
	r.errs[number] = err
	close(r.changed)
	r.changed = make(chan struct{})
}

func (r *rig) ctx(d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	r.t.Cleanup(cancel)
	return ctx
}

func (r *rig) login(ids ...string) {
	r.t.Helper()
	for _, id := range ids {
		if err := r.d.Login(id); err != nil {
			r.t.Fatal(err)
		}
		time.Sleep(time.Millisecond) // longest idle goes by login order
	}
}

func (r *rig) dial(ctx context.Context, number string, args ...string) *aritest.Party {
	r.t.Helper()
	p, err := r.srv.Dial(ctx, aritest.DialOptions{App: "hotline", Caller: number, Exten: "1580", Args: args})
	if err != nil {
		r.t.Fatal(err)
	}
	return p
}

// waitResult waits for the caller's Join to return.
func (r *rig) waitResult(ctx context.Context, number string) ivr.QueueResult {
	r.t.Helper()
	for {
		r.mu.Lock()
		res, ok := r.results[number]
		err := r.errs[number]
		changed := r.changed
		r.mu.Unlock()
		if ok {
			if err != nil {
				r.t.Errorf("%s: Join: %v", number, err)
			}
			return res
		}
		select {
		case <-changed:
		case <-ctx.Done():
			buf := make([]byte, 1<<20)
			buf = buf[:runtime.Stack(buf, true)]
			if os.Getenv("QUEUE_TEST_LOG") != "" {
				os.WriteFile(os.TempDir()+"/queue-stacks.txt", buf, 0o644)
			}
			r.t.Fatalf("%s: Join has not returned", number)
		}
	}
}

// noChannelsLeft: every channel that entered the app has left it.
func (r *rig) noChannelsLeft(ctx context.Context) {
	r.t.Helper()
	if err := r.srv.WaitChannelsInApp(ctx, "hotline", 0); err != nil {
		r.t.Fatalf("channels left in the app: %v", r.srv.ChannelsInApp("hotline"))
	}
	if err := r.srv.WaitChannelsInApp(ctx, "", 0); err != nil {
		_ = err // channels out of Stasis do not matter here
	}
	if b := r.srv.Bridges(); len(b) > 0 {
		r.t.Fatalf("bridges left: %v", b)
	}
}

// legSpan is one operator leg's life as the ARI server's event log shows it.
type legSpan struct {
	endpoint, caller string
	from, to         time.Time
}

// legSpans reads every originated leg from the server's event log.
func (r *rig) legSpans() []legSpan {
	byID := map[string]*legSpan{}
	var order []string
	for _, ev := range r.srv.Events() {
		if !strings.HasPrefix(ev.ChannelID, "hotline-leg-") {
			continue
		}
		sp, ok := byID[ev.ChannelID]
		if !ok {
			var body struct {
				Channel, Peer *struct {
					Name   string
					Caller struct{ Number string }
				}
			}
			_ = json.Unmarshal(ev.JSON, &body)
			ch := body.Peer
			if ch == nil {
				ch = body.Channel
			}
			if ch == nil {
				continue
			}
			name := ch.Name
			if i := strings.LastIndexByte(name, '-'); i > 0 {
				name = name[:i]
			}
			sp = &legSpan{endpoint: name, caller: ch.Caller.Number, from: ev.Time}
			byID[ev.ChannelID] = sp
			order = append(order, ev.ChannelID)
		}
		if ev.Type == "ChannelDestroyed" {
			sp.to = ev.Time
		}
	}
	out := make([]legSpan, 0, len(order))
	for _, id := range order {
		out = append(out, *byID[id])
	}
	return out
}

// neverTwoCallsAtOnce checks that no operator's phone ever had two legs.
func (r *rig) neverTwoCallsAtOnce() int {
	r.t.Helper()
	spans := r.legSpans()
	last := map[string]legSpan{}
	for _, sp := range spans {
		if sp.to.IsZero() {
			r.t.Errorf("a leg to %s never ended", sp.endpoint)
			continue
		}
		if prev, ok := last[sp.endpoint]; ok && sp.from.Before(prev.to) {
			r.t.Errorf("%s had two calls at once: %s–%s and from %s", sp.endpoint,
				prev.from.Format("15:04:05.000"), prev.to.Format("15:04:05.000"), sp.from.Format("15:04:05.000"))
		}
		last[sp.endpoint] = sp
	}
	return len(spans)
}

// talksThenHangsUp is an operator's phone that answers after ringing for
// ring, talks for talk once bridged with the caller, then hangs up (all
// simulated). Hanging up on a timer from the answer instead would race the
// bridge: an operator gone before it is a lost answer, not a conversation.
func talksThenHangsUp(ring, talk time.Duration) aritest.PhoneBehavior {
	return aritest.PhoneBehavior{After: ring, OnAnswer: func(p *aritest.Party) {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		st, err := p.Wait(ctx, func(st aritest.PartyState) bool { return !st.FirstBridgedAt.IsZero() || st.Ended })
		if err == nil && !st.Ended {
			p.HangupAfter(talk)
		}
	}}
}

// callRow reads the call record of a caller (after the writer has caught up).
func (r *rig) callRow(number string) (outcome, recording string, rating *int) {
	r.t.Helper()
	ctx := r.ctx(10 * time.Second)
	if err := r.records.WaitIdle(ctx); err != nil {
		r.t.Fatal(err)
	}
	err := r.pool.QueryRow(ctx, `SELECT outcome, recording, rating::int FROM calls WHERE caller_number = $1`, number).Scan(&outcome, &recording, &rating)
	if err != nil {
		r.t.Fatalf("call record of %s: %v", number, err)
	}
	return outcome, recording, rating
}

// bridged waits until the two parties share a bridge. (Party.WaitBridgedWith
// wakes only on changes of its own channel, so it can miss the second party
// joining; this polls both.)
func bridged(t testing.TB, ctx context.Context, a, b *aritest.Party) {
	t.Helper()
	for !a.InBridgeWith(b) {
		if ctx.Err() != nil {
			t.Fatalf("%s and %s never bridged:\n%+v\n%+v", a.ChannelID(), b.ChannelID(), a.Snapshot(), b.Snapshot())
		}
		time.Sleep(time.Millisecond)
	}
}

// eventually polls cond until it holds.
func eventually(t testing.TB, ctx context.Context, what string, cond func() bool) {
	t.Helper()
	for !cond() {
		if ctx.Err() != nil {
			t.Fatalf("never: %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}
