// Package ari is everything that talks to Asterisk: the ARI connection,
// the Stasis application and its calls (one goroutine per call), and the
// adapters that let the domain packages drive a call.
package ari

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	ariclient "github.com/CyCoreSystems/ari/v5"
	"github.com/CyCoreSystems/ari/v5/client/native"

	"github.com/slobozhanske/hotline/ivr"
	"github.com/slobozhanske/hotline/telephony/callrecord"
)

// Config is what the app needs to reach Asterisk and to run calls.
type Config struct {
	URL             string // ARI base, e.g. http://127.0.0.1:8088/ari
	WebSocketURL    string // e.g. ws://127.0.0.1:8088/ari/events
	Application     string
	Username        string
	Password        string
	RequestTimeout  time.Duration
	ReconnectMin    time.Duration
	ReconnectMax    time.Duration
	ShutdownGrace   time.Duration // calls in progress may finish for this long on shutdown
	FallbackContext string        // dialplan context for calls refused while shutting down ("" = say busy, hang up)
	MaxCallDuration time.Duration
	RecordingFormat string
	BusyPrompt      ivr.Media     // played to calls refused while shutting down
	OrphanGrace     time.Duration // legs and bridges a previous controller left wait this long for their calls (default 15s)
	// Fence, when set, says whether this process may still command
	// Asterisk (it holds the lease of internal/lease); see fence.go.
	Fence func() error
}

// Outcomes the app sets itself when it, not the caller or the menu, ends a
// call that is still on the line.
const (
	OutcomeEndedByShutdown     ivr.OutcomeKind = "ended_by_shutdown"     // the shutdown grace was over (handed to calls.fallback_context when set)
	OutcomeMaxDuration         ivr.OutcomeKind = "ended_max_duration"    // calls.max_call_duration reached
	OutcomeRefusedShuttingDown ivr.OutcomeKind = "refused_shutting_down" // arrived while the server stopped

	// StepEndedByApp is noted on such a call, whatever its outcome; Detail:
	// by (shutdown, max_call_duration), continued_to (the fallback context).
	StepEndedByApp ivr.StepKind = "ended_by_app"
)

// Handler runs one resident's call; when it returns, the app ends the call.
type Handler func(ctx context.Context, call *Call)

// App is the Stasis application: it takes channels from Asterisk and gives
// each one a goroutine that owns it until it leaves the application.
type App struct {
	cfg     Config
	rest    *rest
	stream  *eventStream
	records callrecord.Recorder
	metrics *Metrics
	log     *slog.Logger
	handler Handler
	// onEndpoint learns of endpoint state changes (operators' phones going offline).
	onEndpoint func(endpoint, state string)
	watchTech  []string // endpoint technologies followed (WatchEndpoints)

	callsCtx    context.Context
	cancelCalls context.CancelFunc
	wg          sync.WaitGroup
	abandoned   chan struct{} // closed by Abandon: another controller took over
	abandonOnce sync.Once

	runTag   string                                         // this run's mark in the ids it gives Asterisk (playbacks)
	history  CallHistory                                    // open records of calls to take over (TakeOverWith)
	onListed func(ctx context.Context, channelIDs []string) // after each listing of the app's channels (OnListed)
	orphans  orphans                                        // legs and bridges left by a previous controller

	mu       sync.Mutex
	owners   map[string]*Channel // every channel we own, calls and legs, by channel id
	bridges  map[string]bool     // every bridge we own, by id
	calls    int                 // resident calls among them
	draining bool
}

// NewApp builds the application; SetHandler gives it the calls' handler
// and Run connects it.
func NewApp(cfg Config, records callrecord.Recorder, metrics *Metrics, log *slog.Logger) *App {
	a := &App{
		cfg:       cfg,
		rest:      newREST(&native.Options{Application: cfg.Application, URL: cfg.URL, WebsocketURL: cfg.WebSocketURL, Username: cfg.Username, Password: cfg.Password}, cfg.RequestTimeout),
		records:   records,
		metrics:   metrics,
		log:       log,
		owners:    map[string]*Channel{},
		bridges:   map[string]bool{},
		abandoned: make(chan struct{}),
		runTag:    newID()[:6],
	}
	if cfg.Fence != nil {
		a.rest.fence = cfg.Fence
		a.records = fencedRecords{Recorder: records, app: a}
	}
	a.callsCtx, a.cancelCalls = context.WithCancel(context.Background())
	a.stream = &eventStream{
		wsURL: cfg.WebSocketURL, origin: "http://localhost/", username: cfg.Username, password: cfg.Password,
		app: cfg.Application, reconnectMin: cfg.ReconnectMin, reconnectMax: cfg.ReconnectMax,
		log: log, metrics: metrics, onEvent: a.onEvent, onConnected: a.readopt, fence: cfg.Fence,
	}
	return a
}

// SetHandler gives the app the function every resident's call runs.
// Call it before Run.
func (a *App) SetHandler(h Handler) { a.handler = h }

// OnEndpointState registers the listener for endpoint state changes
// (EndpointStateChange: an operator's phone registering or going offline).
// Call it before Run.
func (a *App) OnEndpointState(fn func(endpoint, state string)) { a.onEndpoint = fn }

// Ready reports whether the ARI WebSocket is connected.
func (a *App) Ready(context.Context) error { return a.stream.status() }

// LiveCalls is the number of calls the app owns now.
func (a *App) LiveCalls() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.calls
}

// forget stops routing events to a channel that has left the app.
func (a *App) forget(channelID string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	delete(a.owners, channelID)
}

// Run keeps the ARI connection until ctx is cancelled, then stops taking new
// calls, lets calls in progress finish for the shutdown grace, ends the rest
// cleanly (records written) and returns.
func (a *App) Run(ctx context.Context) error {
	streamCtx, stopStream := context.WithCancel(context.Background())
	defer stopStream()
	streamDone := make(chan struct{})
	go func() {
		defer close(streamDone)
		a.stream.run(streamCtx)
	}()

	select {
	case <-ctx.Done():
	case <-a.abandoned:
		// The calls are the other controller's: no grace, no goodbyes.
		a.waitAbandoned()
		stopStream()
		<-streamDone
		return nil
	}
	a.mu.Lock()
	a.draining = true
	n := a.calls
	a.mu.Unlock()
	a.log.Info("shutting down: no new calls; waiting for calls in progress", "calls", n, "grace", a.cfg.ShutdownGrace)

	if !waitGroupTimeout(&a.wg, a.cfg.ShutdownGrace) {
		a.log.Warn("shutdown grace over: ending remaining calls", "calls", a.LiveCalls())
		a.cancelCalls()
		if !waitGroupTimeout(&a.wg, 20*time.Second) {
			a.log.Error("calls did not end after cancellation", "calls", a.LiveCalls())
		}
	}
	a.cancelCalls()
	stopStream()
	<-streamDone
	return nil
}

// waitAbandoned waits for the calls' goroutines to let go after Abandon.
func (a *App) waitAbandoned() {
	if !waitGroupTimeout(&a.wg, 10*time.Second) {
		a.log.Error("calls did not let go after the app was abandoned", "calls", a.LiveCalls())
	}
}

func waitGroupTimeout(wg *sync.WaitGroup, d time.Duration) bool {
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-done:
		return true
	case <-t.C:
		return false
	}
}

// onEvent runs on the WebSocket reader goroutine: it must not block.
func (a *App) onEvent(ev ariclient.Event) {
	now := time.Now()
	if e, ok := ev.(*ariclient.StasisStart); ok {
		a.onStasisStart(e, now)
		return
	}
	if e, ok := ev.(*ariclient.EndpointStateChange); ok && a.onEndpoint != nil {
		a.onEndpoint(e.Endpoint.Technology+"/"+e.Endpoint.Resource, e.Endpoint.State)
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, id := range channelsOf(ev) {
		if c, ok := a.owners[id]; ok {
			c.in.push(delivery{ev: ev, at: now})
		}
	}
}

// channelsOf names the channels an event concerns.
func channelsOf(ev ariclient.Event) []string {
	switch e := ev.(type) {
	case *ariclient.PlaybackStarted:
		return targetChannel(e.Playback.TargetURI)
	case *ariclient.PlaybackContinuing:
		return targetChannel(e.Playback.TargetURI)
	case *ariclient.PlaybackFinished:
		return targetChannel(e.Playback.TargetURI)
	case *ariclient.RecordingStarted:
		return targetChannel(e.Recording.TargetURI)
	case *ariclient.RecordingFinished:
		return targetChannel(e.Recording.TargetURI)
	case *ariclient.RecordingFailed:
		return targetChannel(e.Recording.TargetURI)
	}
	var ids []string
	for _, k := range ev.Keys() {
		if k.Kind == ariclient.ChannelKey && k.ID != "" {
			ids = append(ids, k.ID)
		}
	}
	return ids
}

func targetChannel(uri string) []string {
	if id, ok := strings.CutPrefix(uri, "channel:"); ok {
		return []string{id}
	}
	return nil
}

func (a *App) onStasisStart(e *ariclient.StasisStart, now time.Time) {
	a.startCall(e, now, false)
}

// startCall gives a channel that entered the app a goroutine (readopted: it
// was found in the app after a (re)connect rather than announced by
// StasisStart). A channel that already has an owner gets the event instead.
func (a *App) startCall(e *ariclient.StasisStart, now time.Time, readopted bool) {
	a.mu.Lock()
	if owner, known := a.owners[e.Channel.ID]; known {
		// A leg we originated has answered, a re-delivery, or the StasisStart
		// of a call re-adopted while the app was connecting: its owner decides.
		owner.in.push(delivery{ev: e, at: now})
		a.mu.Unlock()
		return
	}
	if isOutboundLeg(&e.Channel) && !readopted {
		// One of our originated legs answered with nobody waiting for it: its
		// owner gave up (hung it up as it was answered, or its request was
		// abandoned while Asterisk went on with it), or the controller that
		// dialled it is gone. It is a person on duty or an operator picking
		// up to silence, never a resident: end it rather than run the menu.
		a.mu.Unlock()
		a.endStrayLeg(e.Channel)
		return
	}
	a.metrics.callsOffered.Inc()
	c := a.newCall(e.Channel, e.Args)
	c.readopted = readopted
	a.owners[c.channelID] = c.Channel
	a.calls++
	draining := a.draining
	a.wg.Add(1)
	a.mu.Unlock()
	a.metrics.callsLive.Inc()

	rec := callrecord.Record{
		ID: c.id, ChannelID: c.channelID, UniqueID: e.Channel.ID, CallerNumber: c.callerNumber,
		CallerName: c.callerName, Dialed: c.dialed, ArrivedAt: now,
	}
	handler := a.handler
	if draining {
		handler = a.refuse
	}
	go a.runCall(c, rec, handler)
}

// endStrayLeg hangs up an originated leg that answered without an owner.
// It runs on its own goroutine: the WebSocket reader must not block.
func (a *App) endStrayLeg(ch ariclient.ChannelData) {
	a.log.Warn("an outbound leg answered with nobody waiting for it; hanging it up", "channel", ch.ID, "name", ch.Name)
	a.metrics.strandedEnded.Inc()
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*a.cfg.RequestTimeout+time.Second)
		defer cancel()
		if err := a.rest.hangup(ctx, ch.ID, "normal"); err != nil && !errors.Is(err, ErrNotFound) {
			a.log.Error("cannot hang up an outbound leg without an owner", "channel", ch.ID, "err", err)
		}
	}()
}

// historyWait bounds how long a call taken over waits for its record to be
// read (PostgreSQL away at the restart): after that it starts afresh.
const historyWait = 10 * time.Second

// openRecord starts the call's record, or for a call taken over continues
// the one it left. Run on the call's goroutine: the WebSocket reader never
// waits on the database.
func (a *App) openRecord(ctx context.Context, c *Call, rec callrecord.Record) {
	if c.readopted && a.history != nil {
		if past, ok := a.readHistory(ctx, c); ok {
			c.continueRecord(&past)
			c.log.Warn("taking over a caller without an owner; continuing the call", "caller", c.callerNumber, "args", c.args)
			return
		}
		c.log.Warn("taking over a caller without an owner; starting the menu", "caller", c.callerNumber, "args", c.args)
	}
	a.records.Start(rec)
}

// readHistory reads the open record of a call taken over, retrying while
// the database does not answer, at most historyWait.
func (a *App) readHistory(ctx context.Context, c *Call) (callrecord.PastCall, bool) {
	ctx, cancel := context.WithTimeout(ctx, historyWait)
	defer cancel()
	backoff := 100 * time.Millisecond
	for {
		past, found, err := a.history.OpenCall(ctx, c.channelID)
		if err == nil {
			return past, found
		}
		if !sleepCtx(ctx, backoff) {
			// Its new record's writes are refused (the channel has one)
			// without holding other calls' up, and the old record is
			// closed as not recorded.
			c.log.Error("cannot read the record of a call taken over; it starts afresh", "err", err)
			return callrecord.PastCall{}, false
		}
		backoff = min(2*backoff, 2*time.Second)
	}
}

func (a *App) newCall(ch ariclient.ChannelData, args []string) *Call {
	id := newID()
	c := &Call{Channel: a.newChannel(ch.ID, a.log.With("call", id, "channel", ch.ID)), id: id, args: args}
	c.inApp = true
	c.channelName = ch.Name
	if ch.Caller != nil {
		c.callerNumber, c.callerName = ch.Caller.Number, ch.Caller.Name
	}
	if ch.Dialplan != nil {
		c.dialed = ch.Dialplan.Exten
	}
	c.upAtStart = ch.State == "Up"
	return c
}

// runCall is the goroutine that owns a call from StasisStart until the
// channel has left the application, whatever happens in the handler.
func (a *App) runCall(c *Call, rec callrecord.Record, handler Handler) {
	ctx, cancel := context.WithTimeout(a.callsCtx, a.cfg.MaxCallDuration)
	defer func() {
		// Whether the app cut the call (shutdown grace over, longest call
		// reached) rather than the handler finishing with it.
		cut := ctx.Err() != nil
		cancel()
		if r := recover(); r != nil {
			c.log.Error("call handler panicked; ending the call", "panic", r, "stack", string(debug.Stack()))
		}
		if a.isAbandoned() || a.fenced() != nil {
			// Another controller has the call (and its record) now.
			c.log.Info("call left to the controller that took over")
			a.forget(c.channelID)
			a.mu.Lock()
			a.calls--
			a.mu.Unlock()
			a.metrics.callsLive.Dec()
			a.wg.Done()
			return
		}
		c.Pump() // a hangup may be queued
		fallback := ""
		switch {
		case cut && !c.hungUp:
			// The caller is still there: the record must not say they hung
			// up, and on shutdown the dialplan's fallback takes them over.
			kind, why := OutcomeMaxDuration, "max_call_duration"
			if a.isDraining() {
				kind, why = OutcomeEndedByShutdown, "shutdown"
				fallback = a.cfg.FallbackContext
			}
			// The caller is on the line, so "hung up" or "abandoned" outcomes
			// set as the cut unwound the menu or the queue are untrue.
			switch c.outcome.Kind {
			case "", ivr.OutcomeHungUpInMenu, ivr.OutcomeQueued, ivr.OutcomeAbandonedInQueue:
				c.outcome = ivr.Outcome{Kind: kind, AppealNumber: c.outcome.AppealNumber, Recording: c.outcome.Recording}
			}
			detail := map[string]string{"by": why}
			if fallback != "" {
				detail["continued_to"] = fallback
			}
			c.Note(ivr.Step{Kind: StepEndedByApp, Detail: detail})
			c.log.Warn("call ended by the app", "why", why, "outcome", c.outcome.Kind, "fallback", fallback)
		case a.isDraining() && c.outcome.Kind == "":
			fallback = a.cfg.FallbackContext
		}
		c.end(fallback)
		a.mu.Lock()
		a.calls--
		a.mu.Unlock()
		a.metrics.callsLive.Dec()
		a.wg.Done()
	}()
	a.openRecord(ctx, c, rec)
	c.log.Info("call arrived", "caller", c.callerNumber, "dialed", c.dialed, "args", c.args, "readopted", c.readopted)
	handler(ctx, c)
}

func (a *App) isDraining() bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.draining
}

// refuse handles a call that arrives while shutting down: it is handed to
// the fallback context, or told the line is busy and hung up.
func (a *App) refuse(ctx context.Context, c *Call) {
	c.SetOutcome(ivr.Outcome{Kind: OutcomeRefusedShuttingDown})
	if a.cfg.FallbackContext != "" {
		if err := a.rest.continueInDialplan(ctx, c.channelID, a.cfg.FallbackContext); err == nil {
			c.left, c.continued = true, true // StasisEnd follows; the channel is the dialplan's now
			return
		}
	}
	if err := c.Answer(ctx); err != nil {
		return
	}
	if a.cfg.BusyPrompt != "" {
		_ = c.Play(ctx, false, a.cfg.BusyPrompt)
	}
}

// readopt runs after every (re)connect: calls we own are told to re-check
// what they wait for (events may have been missed); channels in the app that
// nobody owns (the controller restarted while Asterisk kept them) are taken
// over as new calls, except our own outbound legs, which are hung up.
func (a *App) readopt(ctx context.Context) {
	a.syncEndpoints(ctx)
	ids, listErr := a.rest.appChannels(ctx, a.cfg.Application)
	if listErr != nil {
		a.log.Error("re-adopt: cannot list the app's channels", "err", listErr)
		ids = nil
	}
	a.mu.Lock()
	for _, c := range a.owners {
		c.in.push(delivery{ev: resync{}, at: time.Now()})
	}
	var unknown []string
	for _, id := range ids {
		if _, ok := a.owners[id]; !ok {
			unknown = append(unknown, id)
		}
	}
	owned := len(a.owners)
	a.mu.Unlock()
	if owned > 0 || len(unknown) > 0 {
		a.log.Info("re-adopt after (re)connect", "owned_calls_resynced", owned, "unowned_channels", len(unknown))
	}
	// Legs and bridges first, so that the calls taken over can claim them.
	var callers []unownedChannel
	var legs []string
	for _, id := range unknown {
		u, ok := a.inspectUnowned(ctx, id)
		switch {
		case !ok:
		case isOutboundLeg(u.data) && u.data.State == "Up":
			legs = append(legs, id) // may be in a conversation a call claims
		case isOutboundLeg(u.data):
			a.log.Warn("re-adopt: ending an outbound leg left without its owner", "channel", id, "name", u.data.Name, "state", u.data.State)
			_ = a.rest.hangup(ctx, id, "normal")
			a.metrics.strandedEnded.Inc()
		default:
			callers = append(callers, u)
		}
	}
	bridges, err := a.leftBridges(ctx)
	if err != nil {
		a.log.Warn("re-adopt: cannot list the bridges left behind", "err", err)
	}
	a.holdOrphans(legs, bridges)
	for _, u := range callers {
		a.adoptUnowned(ctx, u)
	}
	if a.onListed != nil && listErr == nil {
		go a.onListed(a.callsCtx, ids)
	}
}

// unownedChannel is a channel found in the app without an owner, with the
// dialplan application it runs.
type unownedChannel struct {
	data             *ariclient.ChannelData
	appName, appData string
}

// inspectUnowned reads a channel found in the app without an owner; false
// when it is gone (or could not be read: then it is hung up).
func (a *App) inspectUnowned(ctx context.Context, id string) (unownedChannel, bool) {
	u, err := a.rest.channelInApp(ctx, id)
	if err != nil {
		if !errors.Is(err, ErrNotFound) {
			a.log.Error("re-adopt: cannot read channel; hanging it up", "channel", id, "err", err)
			_ = a.rest.hangup(ctx, id, "normal")
			a.metrics.strandedEnded.Inc()
		}
		return unownedChannel{}, false
	}
	return u, true
}

func (a *App) adoptUnowned(ctx context.Context, u unownedChannel) {
	data, appName, appData := u.data, u.appName, u.appData
	id := data.ID
	// The Stasis arguments come from the channel itself: an operator's
	// feature code (Stasis(hotline,feature,login)) stays a feature code. A
	// call that reached the app while it was connecting is listed here too,
	// before its StasisStart is read: it is taken over the same way, and the
	// StasisStart that follows goes to its owner.
	args, inStasis := stasisArgs(appName, appData, a.cfg.Application)
	if !inStasis {
		// Listed because the app is subscribed to it, not executing our Stasis(): not ours to run.
		a.log.Info("re-adopt: channel not in this application's Stasis; left alone", "channel", id, "app", appName, "data", appData)
		return
	}
	a.startCall(&ariclient.StasisStart{Channel: *data, Args: args}, time.Now(), true)
}

// legPrefix starts the id of every channel the app originates, so a
// restarted controller can tell its own outbound legs from residents' calls.
const legPrefix = "hotline-leg-"

func isOutboundLeg(ch *ariclient.ChannelData) bool {
	return strings.HasPrefix(ch.ID, legPrefix)
}

func newID() string {
	b := make([]byte, 12)
	if _, err := rand.Read(b); err != nil {
		// crypto/rand does not fail on supported platforms; fall back to time.
		return fmt.Sprintf("c%x", time.Now().UnixNano())
	}
	return hex.EncodeToString(b)
}
