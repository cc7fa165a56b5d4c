package ivr

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // Europe/Kyiv wherever the tests run
)

// --- the scripted caller ------------------------------------------------------

// trigger is the moment a cue waits for.
type trigger int

const (
	onPlay   trigger = iota // a media item starts playing
	onWait                  // the menu waits for a key and none is buffered
	onRecord                // the menu records the caller
)

// cue is one thing the caller does, at one moment. Cues fire in order: a
// cue waits until the previous one has fired.
type cue struct {
	on        trigger
	media     Media // onPlay: the item (empty: any)
	keys      string
	hangup    bool
	cancelCtx bool
	silent    bool // onRecord: says nothing
	noAudio   bool // onRecord: no audio reaches Asterisk, so the recording runs to its limit
	fail      bool // onRecord: the recording fails (not a hangup)
}

// during fires when the prompt starts playing: keys pressed then barge in
// if the prompt is interruptible.
func during(id string) *cue { return &cue{on: onPlay, media: Prompt(id)} }

// duringMedia is during for any media ("digits:123").
func duringMedia(m Media) *cue { return &cue{on: onPlay, media: m} }

// whenAsked fires when the menu waits for a key after its prompts.
func whenAsked() *cue { return &cue{on: onWait} }

// whenRecording fires when the caller is recorded: by default they speak.
func whenRecording() *cue { return &cue{on: onRecord} }

func (c *cue) press(keys string) *cue { c.keys = keys; return c }
func (c *cue) hangUp() *cue           { c.hangup = true; return c }
func (c *cue) endCtx() *cue           { c.cancelCtx = true; return c }
func (c *cue) saysNothing() *cue      { c.silent = true; return c }
func (c *cue) recordingFails() *cue   { c.fail = true; return c }

// audioNeverArrives: no RTP from the caller reaches Asterisk, whose silence
// detection then never fires (trace 06-live-recording): the recording runs
// to its MaxDuration and comes back with duration 0.
func (c *cue) audioNeverArrives() *cue { c.noAudio = true; return c }

// times repeats a cue.
func times(n int, mk func() *cue) []*cue {
	out := make([]*cue, n)
	for i := range out {
		out[i] = mk()
	}
	return out
}

// --- the fake call --------------------------------------------------------------

// playItem is a media item that started playing.
type playItem struct {
	media         Media
	interruptible bool
	interrupted   bool
	at            time.Duration // the call's virtual clock when it started
}

// fakeCall is a call in memory. Time is virtual: every media item lasts a
// second and a wait for a key lasts its timeout, so nothing sleeps. It hangs
// up by itself after maxOps operations (a runaway menu).
type fakeCall struct {
	id, number string
	cues       []*cue
	next       int
	buf        []byte
	hungUp     bool
	cancel     context.CancelFunc
	clock      time.Duration
	ops        int
	maxOps     int
	runaway    bool

	// chaos, when not nil, is a caller who does whatever the next byte
	// says at every moment, and hangs up when there are no bytes left.
	chaos []byte

	// playFaults and digitFaults make Play and NextDigit fail (not a
	// hangup) this many times.
	playFaults, digitFaults int

	played   []playItem
	waits    []time.Duration
	records  []RecordOptions
	steps    []Step
	outcomes []Outcome
	cleared  int
}

func newFakeCall(cues ...*cue) *fakeCall {
	return &fakeCall{id: "call-1", number: "0501234567", cues: cues, maxOps: 2000}
}

var _ Call = (*fakeCall)(nil)

func (f *fakeCall) ID() string           { return f.id }
func (f *fakeCall) CallerNumber() string { return f.number }

// op counts an operation and reports a hangup or an ended ctx.
func (f *fakeCall) op(ctx context.Context, what string) error {
	f.ops++
	if f.ops > f.maxOps {
		f.runaway, f.hungUp = true, true
	}
	return f.gone(ctx, what)
}

func (f *fakeCall) gone(ctx context.Context, what string) error {
	if f.hungUp {
		return fmt.Errorf("%s: %w", what, ErrHangup)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return nil
}

// fire runs the next cue if it waits for this moment.
func (f *fakeCall) fire(on trigger, m Media) *cue {
	if f.chaos != nil {
		return f.chaosCue(on)
	}
	if f.next >= len(f.cues) {
		return nil
	}
	c := f.cues[f.next]
	if c.on != on || (on == onPlay && c.media != "" && c.media != m) {
		return nil
	}
	f.next++
	f.buf = append(f.buf, c.keys...)
	if c.hangup {
		f.hungUp = true
	}
	if c.cancelCtx && f.cancel != nil {
		f.cancel()
	}
	return c
}

func (f *fakeCall) Play(ctx context.Context, interruptible bool, media ...Media) error {
	if err := f.op(ctx, "play"); err != nil {
		return err
	}
	if f.playFaults > 0 {
		f.playFaults--
		return errors.New("play: ARI says 500")
	}
	for _, m := range media {
		if m == "" {
			return errors.New("play: empty media")
		}
		if interruptible && len(f.buf) > 0 {
			return nil
		}
		f.played = append(f.played, playItem{media: m, interruptible: interruptible, at: f.clock})
		f.fire(onPlay, m)
		if err := f.gone(ctx, "play "+string(m)); err != nil {
			return err
		}
		if interruptible && len(f.buf) > 0 {
			f.played[len(f.played)-1].interrupted = true
			return nil
		}
		f.clock += time.Second
	}
	return nil
}

func (f *fakeCall) NextDigit(ctx context.Context, timeout time.Duration) (byte, error) {
	if err := f.op(ctx, "next digit"); err != nil {
		return 0, err
	}
	if f.digitFaults > 0 {
		f.digitFaults--
		return 0, errors.New("wait for a key: ARI event stream lost")
	}
	f.waits = append(f.waits, timeout)
	if len(f.buf) == 0 {
		f.fire(onWait, "")
		if err := f.gone(ctx, "next digit"); err != nil {
			return 0, err
		}
	}
	if len(f.buf) > 0 {
		k := f.buf[0]
		f.buf = f.buf[1:]
		return k, nil
	}
	f.clock += timeout
	return 0, ErrNoInput
}

func (f *fakeCall) ClearDigits() { f.buf, f.cleared = nil, f.cleared+1 }

func (f *fakeCall) Record(ctx context.Context, opts RecordOptions) (Recording, error) {
	if err := f.op(ctx, "record"); err != nil {
		return Recording{}, err
	}
	f.records = append(f.records, opts)
	c := f.fire(onRecord, "")
	switch {
	case c != nil && c.fail:
		return Recording{}, errors.New("record: failed: disk full")
	case c != nil && c.hangup && c.silent:
		// Hung up as the recording started: Asterisk reports duration 0.
		return Recording{Name: opts.Name, Empty: true}, fmt.Errorf("record %s: %w", opts.Name, ErrHangup)
	case c != nil && c.hangup:
		// Asterisk keeps what was said before the hangup.
		return Recording{Name: opts.Name}, fmt.Errorf("record %s: %w", opts.Name, ErrHangup)
	case c != nil && c.cancelCtx:
		return Recording{Name: opts.Name}, fmt.Errorf("record %s: %w", opts.Name, ctx.Err())
	case c != nil && c.noAudio:
		f.clock += opts.MaxDuration
		return Recording{Name: opts.Name, Empty: true}, nil
	case c != nil && c.silent:
		return Recording{Name: opts.Name, Empty: true}, nil
	}
	f.buf = nil // the terminator is not left buffered
	f.clock += 12 * time.Second
	return Recording{Name: opts.Name, Duration: 12 * time.Second}, nil
}

func (f *fakeCall) Note(s Step)          { f.steps = append(f.steps, s) }
func (f *fakeCall) SetOutcome(o Outcome) { f.outcomes = append(f.outcomes, o) }
func (f *fakeCall) outcome() Outcome {
	if len(f.outcomes) == 0 {
		return Outcome{}
	}
	return f.outcomes[len(f.outcomes)-1]
}

// heard is every media item that started playing, in order.
func (f *fakeCall) heard() []Media {
	out := make([]Media, len(f.played))
	for i, p := range f.played {
		out[i] = p.media
	}
	return out
}

// count is how many times a prompt (or media) started playing.
func (f *fakeCall) count(id string) int {
	n := 0
	for _, p := range f.played {
		if p.media == media(id) {
			n++
		}
	}
	return n
}

func (f *fakeCall) stepsOf(kind StepKind) []Step {
	var out []Step
	for _, s := range f.steps {
		if s.Kind == kind {
			out = append(out, s)
		}
	}
	return out
}

// --- fake services --------------------------------------------------------------

type join struct {
	queue    string
	priority Priority
}

// fakeQueues hands out results in order (answered when none are left).
type fakeQueues struct {
	call    *fakeCall
	joins   []join
	results []QueueResult
	errs    []error
}

func (q *fakeQueues) Join(ctx context.Context, call Call, queue string, priority Priority) (QueueResult, error) {
	q.joins = append(q.joins, join{queue, priority})
	call.SetOutcome(Outcome{Kind: OutcomeQueued}) // as the queue adapter does
	i := len(q.joins) - 1
	var err error
	if i < len(q.errs) {
		err = q.errs[i]
	}
	if i < len(q.results) {
		return q.results[i], err
	}
	return QueueResult{Kind: QueueAnswered, Operator: "op1"}, err
}

type fakeAppeals struct {
	call      *fakeCall
	created   []NewAppeal
	createErr error
	appeal    Appeal
	statuses  map[string]AppealStatus
	statusErr error
	lookups   []string
	// heardAtCreate is how many media items had started when a card was opened.
	heardAtCreate []int
}

func (a *fakeAppeals) CreateFromCall(ctx context.Context, in NewAppeal) (Appeal, error) {
	if ctx.Err() != nil {
		return Appeal{}, ctx.Err()
	}
	a.created = append(a.created, in)
	a.heardAtCreate = append(a.heardAtCreate, len(a.call.played))
	if a.createErr != nil {
		return Appeal{}, a.createErr
	}
	return a.appeal, nil
}

func (a *fakeAppeals) StatusForCaller(ctx context.Context, keyed string) (AppealStatus, error) {
	a.lookups = append(a.lookups, keyed)
	if a.statusErr != nil {
		return AppealStatus{}, a.statusErr
	}
	st, ok := a.statuses[keyed]
	if !ok {
		return AppealStatus{}, ErrAppealNotFound
	}
	return st, nil
}

type fakeEscalations struct {
	call   *fakeCall
	alerts []SOSAlert
	err    error
	// heardAtStart is how many media items had started when an escalation
	// started, clockAtStart the call's virtual clock then.
	heardAtStart []int
	clockAtStart []time.Duration
}

func (e *fakeEscalations) Start(ctx context.Context, alert SOSAlert) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	e.alerts = append(e.alerts, alert)
	e.heardAtStart = append(e.heardAtStart, len(e.call.played))
	e.clockAtStart = append(e.clockAtStart, e.call.clock)
	return e.err
}

type fakeHold struct {
	alerts    []SOSAlert
	startErr  error
	connected bool
	holdErr   error
	held      int
}

func (h *fakeHold) StartHeld(ctx context.Context, alert SOSAlert) (HoldFunc, error) {
	h.alerts = append(h.alerts, alert)
	if h.startErr != nil {
		return nil, h.startErr
	}
	return func(ctx context.Context, call Call) (bool, error) {
		h.held++
		return h.connected, h.holdErr
	}, nil
}

// --- the world a test call runs in ------------------------------------------------

var kyiv = func() *time.Location {
	loc, err := time.LoadLocation("Europe/Kyiv")
	if err != nil {
		panic(err)
	}
	return loc
}()

// defaultMenuNodes is the menu of config/hotline.yaml.
func defaultMenuNodes() map[string]*Node {
	sos, message, status, info := Action{Kind: ActSOS}, Action{Kind: ActMessage}, Action{Kind: ActStatus}, Action{Kind: ActGoto, Node: "info"}
	return map[string]*Node{
		"main": {
			Prompts:         []string{"greeting", "main-menu"},
			FirstKeyTimeout: 6 * time.Second, InterKeyTimeout: 3 * time.Second, MaxRetries: 3,
			InvalidPrompt: "invalid-choice", NoInputPrompt: "no-input",
			OnExhausted: Action{Kind: ActOperator},
			Options: map[byte]Action{
				'1': sos, '2': {Kind: ActQueue, Queue: "appeals"}, '3': status, '4': info, '0': {Kind: ActOperator},
			},
		},
		"info": {
			Prompts:         []string{"info-hours"},
			FirstKeyTimeout: 5 * time.Second, InterKeyTimeout: 3 * time.Second, MaxRetries: 1,
			InvalidPrompt: "invalid-choice", NoInputPrompt: "no-input",
			OnExhausted: Action{Kind: ActBack},
			Options:     map[byte]Action{'*': {Kind: ActBack}, '0': {Kind: ActOperator}},
		},
		"lunch": {
			Prompts:         []string{"greeting", "break-message"},
			FirstKeyTimeout: 6 * time.Second, InterKeyTimeout: 3 * time.Second, MaxRetries: 2,
			InvalidPrompt: "invalid-choice", NoInputPrompt: "no-input",
			OnExhausted: message,
			Options:     map[byte]Action{'1': sos, '2': message, '3': status, '4': info},
		},
		"after_hours": {
			Prompts:         []string{"after-hours-greeting", "after-hours-menu"},
			FirstKeyTimeout: 6 * time.Second, InterKeyTimeout: 3 * time.Second, MaxRetries: 3,
			InvalidPrompt: "invalid-choice", NoInputPrompt: "no-input",
			OnExhausted: message,
			Options:     map[byte]Action{'1': sos, '2': message, '3': status, '4': info},
		},
	}
}

type world struct {
	t       testing.TB
	call    *fakeCall
	queues  *fakeQueues
	appeals *fakeAppeals
	esc     *fakeEscalations
	flow    *Flow
	err     error // what Run returned
}

// newWorld is a call to the default menu by a caller who does what the cues say.
func newWorld(t testing.TB, cues ...*cue) *world {
	t.Helper()
	return newWorldWithMenu(t, defaultMenuNodes(), cues...)
}

func newWorldWithMenu(t testing.TB, nodes map[string]*Node, cues ...*cue) *world {
	t.Helper()
	menu, err := NewMenu(nodes, nil)
	if err != nil {
		t.Fatalf("menu: %v", err)
	}
	call := newFakeCall(cues...)
	w := &world{
		t: t, call: call,
		queues:  &fakeQueues{call: call},
		appeals: &fakeAppeals{call: call, appeal: Appeal{ID: "a-1", Number: "2026-000123", SpokenDigits: "123", Category: "water"}},
		esc:     &fakeEscalations{call: call},
	}
	w.flow = &Flow{
		Menu: menu, Queues: w.queues, Appeals: w.appeals, Escalations: w.esc, Location: kyiv,
		Options: Options{
			OperatorQueue: "operators",
			Message:       RecordLimits{MaxDuration: 3 * time.Minute, MaxSilence: 5 * time.Second},
			SOS:           RecordLimits{MaxDuration: 30 * time.Second, MaxSilence: 5 * time.Second, Attempts: 2},
		},
		Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
	return w
}

var (
	open      = ScheduleState{State: StateOpen}
	afterHour = ScheduleState{State: StateClosed}
)

// run walks the call from start; Run must return nil and the call must not run away.
func (w *world) run(start string, state ScheduleState) *world {
	w.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	w.call.cancel = cancel
	w.err = w.flow.Run(ctx, w.call, start, state)
	if w.err != nil {
		w.t.Fatalf("Run: %v", w.err)
	}
	if w.call.runaway {
		w.t.Fatalf("the menu ran away: %d operations; heard %v", w.call.ops, w.call.heard())
	}
	return w
}

// wantOutcome checks the final outcome.
func (w *world) wantOutcome(want Outcome) {
	w.t.Helper()
	if got := w.call.outcome(); got != want {
		w.t.Errorf("outcome = %+v, want %+v (all: %+v)", got, want, w.call.outcomes)
	}
}

// wantHeard checks the caller heard these prompts (ids or media), in this order, among others.
func (w *world) wantHeard(items ...string) {
	w.t.Helper()
	heard := w.call.heard()
	i := 0
	for _, m := range heard {
		if i < len(items) && m == media(items[i]) {
			i++
		}
	}
	if i < len(items) {
		w.t.Errorf("did not hear %q (in order %q); heard %v", items[i], items, heard)
	}
}

// wantHeardExactly checks everything the caller heard.
func (w *world) wantHeardExactly(items ...string) {
	w.t.Helper()
	want := make([]Media, len(items))
	for i, it := range items {
		want[i] = media(it)
	}
	if got := w.call.heard(); !slices.Equal(got, want) {
		w.t.Errorf("heard\n  %v\nwant\n  %v", got, want)
	}
}

func (w *world) wantNotHeard(id string) {
	w.t.Helper()
	if n := w.call.count(id); n > 0 {
		w.t.Errorf("heard %q %d times; heard %v", id, n, w.call.heard())
	}
}

func (w *world) wantJoins(want ...join) {
	w.t.Helper()
	if !slices.Equal(w.queues.joins, want) {
		w.t.Errorf("queue joins = %+v, want %+v", w.queues.joins, want)
	}
}

// media is a prompt id, or media as is when it has a scheme.
func media(s string) Media {
	if strings.Contains(s, ":") {
		return Media(s)
	}
	return Prompt(s)
}

// chaosCue is what a chaos caller does now.
func (f *fakeCall) chaosCue(on trigger) *cue {
	const keys = "0123456789*#"
	take := func() (byte, bool) {
		if len(f.chaos) == 0 {
			return 0, false
		}
		b := f.chaos[0]
		f.chaos = f.chaos[1:]
		return b, true
	}
	b, ok := take()
	c := &cue{on: on}
	switch {
	case !ok:
		c.hangup = true
	case on == onRecord:
		switch b % 5 {
		case 1:
			c.silent = true
		case 2:
			c.hangup = true
		case 3:
			c.fail = true
		}
	default:
		switch v := b % 24; {
		case v < 12:
			c.keys = keys[v : v+1]
		case v < 15: // a burst of keys
			for range int(v - 10) {
				if k, ok := take(); ok {
					c.keys += keys[k%12 : k%12+1]
				}
			}
		case v == 15:
			c.hangup = true
		case v == 16:
			c.cancelCtx = true
		}
	}
	if c.keys != "" {
		f.buf = append(f.buf, c.keys...)
	}
	if c.hangup {
		f.hungUp = true
	}
	if c.cancelCtx && f.cancel != nil {
		f.cancel()
	}
	return c
}
