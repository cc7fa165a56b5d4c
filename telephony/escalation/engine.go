package escalation

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/slobozhanske/hotline/internal/fielderr"
	"github.com/slobozhanske/hotline/ivr"
)

// Settings are the escalation rules (config escalation.*).
type Settings struct {
	CallerID          string        // what the phone on duty shows, e.g. "Гаряча лінія <1580>"
	TrunkEndpoint     string        // printf pattern for numbers, e.g. PJSIP/%s@trunk; empty: numbers cannot be dialled
	RingTimeout       time.Duration // ring one person this long
	AckTimeout        time.Duration // after answering, press 1 within this (the prompts count; 2 "hear again" restarts it)
	AttemptsPerPerson int           // attempts to one person before the next in the chain
	RetryDelay        time.Duration // between attempts to the same person, and before a new round (at least 10s)
	MaxRounds         int           // rounds over the whole chain; 0: until someone accepts
	// MaxReplays bounds "2: hear again" on one call (default 3); after it
	// only the question is repeated.
	MaxReplays int
	// HandoffWait is how long a person who accepted waits for the held
	// caller to be connected (keep_caller_on_line) before being hung up
	// (default 30s).
	HandoffWait time.Duration
	// Location is the time zone of the history note ("прийнято о 23:14");
	// default Europe/Kyiv.
	Location *time.Location
}

// Validate checks the settings and returns every problem, joined; each is a
// *FieldError named by the setting's key in the escalation section
// ("ring_timeout"), which the config puts under "escalation.". These are the
// only checks of these settings: the config's validation runs them.
func (s Settings) Validate() error {
	var errs []error
	bad := func(field, value, format string, args ...any) {
		errs = append(errs, fielderr.Value(field, value, format, args...))
	}
	if s.RingTimeout <= 0 {
		bad("ring_timeout", s.RingTimeout.String(), "must be a positive duration")
	}
	if s.AckTimeout <= 0 {
		bad("ack_timeout", s.AckTimeout.String(), "must be a positive duration")
	}
	if s.AttemptsPerPerson < 1 {
		bad("attempts_per_person", strconv.Itoa(s.AttemptsPerPerson), "must be at least 1")
	}
	if s.RetryDelay < 0 {
		bad("retry_delay", s.RetryDelay.String(), "must not be negative")
	}
	if s.MaxRounds < 0 {
		bad("max_rounds", strconv.Itoa(s.MaxRounds), "must not be negative (0: keep going)")
	}
	if s.MaxReplays < 0 {
		bad("max_replays", strconv.Itoa(s.MaxReplays), "must not be negative")
	}
	if s.HandoffWait < 0 {
		bad("handoff_wait", s.HandoffWait.String(), "must not be negative")
	}
	if s.TrunkEndpoint != "" && (strings.Count(s.TrunkEndpoint, "%s") != 1 || strings.Count(s.TrunkEndpoint, "%") != 1) {
		bad("trunk_endpoint", s.TrunkEndpoint, "must contain one %%s where the number goes, e.g. PJSIP/%%s@trunk")
	}
	return fielderr.Join(errs...)
}

// Endpoint is what to dial for a phone on the roster: an endpoint as it is,
// a number through the trunk pattern.
func (s Settings) Endpoint(phone string) (string, error) {
	if err := CheckPhone(phone); err != nil {
		return "", fmt.Errorf("phone %w", err)
	}
	if IsEndpoint(phone) {
		return phone, nil
	}
	if s.TrunkEndpoint == "" {
		return "", fmt.Errorf("number %s: no trunk_endpoint is configured to dial numbers", phone)
	}
	return fmt.Sprintf(s.TrunkEndpoint, phone), nil
}

// Config is what the engine is built from.
type Config struct {
	Settings Settings
	Store    Store
	Duty     DutySource
	Dialer   Dialer
	History  AppealHistory
	Prompts  Prompts  // zero fields take DefaultPrompts
	Clock    Clock    // default SystemClock
	Metrics  *Metrics // default unregistered
	Log      *slog.Logger
}

// Engine runs escalations: one goroutine each, owned by the engine, all
// ended (their calls hung up) when Run's context ends.
type Engine struct {
	s       Settings
	store   Store
	duty    DutySource
	dialer  Dialer
	history AppealHistory
	prompts Prompts
	clock   Clock
	metrics *Metrics
	log     *slog.Logger

	mu      sync.Mutex
	runCtx  context.Context // set by Run; nil before
	stopped bool            // Run's context ended: launch no more
	running map[string]*runner
	wg      sync.WaitGroup
}

// runner is one escalation's goroutine as the engine sees it.
type runner struct {
	cancel   context.CancelCauseFunc
	handoff  *Handoff // keep the caller on the line; nil otherwise
	alerting bool     // counted in the alerting gauge (the goroutine's own)
}

var _ ivr.Escalations = (*Engine)(nil)

// NewEngine checks the configuration and builds the engine; Run runs it.
func NewEngine(cfg Config) (*Engine, error) {
	if err := cfg.Settings.Validate(); err != nil {
		return nil, fmt.Errorf("escalation: %w", err)
	}
	if cfg.Store == nil || cfg.Duty == nil || cfg.Dialer == nil || cfg.History == nil {
		return nil, errors.New("escalation: the store, the duty roster, the dialer and the appeal history are required")
	}
	s := cfg.Settings
	if s.MaxReplays == 0 {
		s.MaxReplays = 3
	}
	if s.HandoffWait == 0 {
		s.HandoffWait = 30 * time.Second
	}
	if s.Location == nil {
		s.Location = kyiv()
	}
	cfg.Prompts.fillDefaults()
	if cfg.Clock == nil {
		cfg.Clock = SystemClock()
	}
	if cfg.Metrics == nil {
		cfg.Metrics = NewMetrics(nil)
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return &Engine{
		s: s, store: cfg.Store, duty: cfg.Duty, dialer: cfg.Dialer, history: cfg.History, prompts: cfg.Prompts,
		clock: cfg.Clock, metrics: cfg.Metrics, log: cfg.Log, running: map[string]*runner{},
	}, nil
}

func kyiv() *time.Location {
	if loc, err := time.LoadLocation("Europe/Kyiv"); err == nil {
		return loc
	}
	return time.UTC
}

// Start stores the escalation of an SOS appeal and returns; the calls run on
// their own goroutine, so a new SOS never waits for another. An appeal is
// escalated once: a second Start for it does nothing. An emergency whose
// card could not be opened (a zero alert.Appeal) is escalated all the same,
// once per call; the person on duty then hears no number and calls the
// caller back. The escalation is stored even when ctx (the caller's call)
// ends meanwhile: an emergency must not be lost because the caller hung up.
func (e *Engine) Start(ctx context.Context, alert ivr.SOSAlert) error {
	_, err := e.start(ctx, alert, nil)
	return err
}

func (e *Engine) start(ctx context.Context, alert ivr.SOSAlert, h *Handoff) (Escalation, error) {
	if strings.TrimSpace(alert.Appeal.ID) == "" && strings.TrimSpace(alert.CallID) == "" {
		return Escalation{}, invalid("appeal.id", "an appeal or a call id is required")
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 15*time.Second)
	defer cancel()
	now := e.clock.Now()
	esc := Escalation{
		ID: newID(), AppealID: alert.Appeal.ID, AppealNumber: alert.Appeal.Number, SpokenDigits: alert.Appeal.SpokenDigits,
		Category: alert.Appeal.Category, CallID: alert.CallID, CallerNumber: alert.CallerNumber, Recording: alert.Recording,
		State: StateActive, Round: 1, Try: 1, NextAttemptAt: now, CreatedAt: now, UpdatedAt: now,
	}
	stored, created, err := e.store.Create(ctx, esc)
	if err != nil {
		return Escalation{}, fmt.Errorf("store the escalation of appeal %s: %w", alert.Appeal.Number, err)
	}
	if !created {
		h.release()
		e.log.Info("already escalated", "appeal", alert.Appeal.Number, "call", alert.CallID, "escalation", stored.ID, "state", stored.State)
		return stored, nil
	}
	e.metrics.started.Inc()
	if stored.AppealID == "" {
		e.log.Warn("SOS escalation started without an appeal card (it could not be opened)", "escalation", stored.ID, "call", stored.CallID)
	}
	e.log.Info("SOS escalation to the person on duty started", "escalation", stored.ID, "appeal", stored.AppealNumber,
		"category", stored.Category, "call", stored.CallID)
	e.launch(stored, h, false)
	return stored, nil
}

// Run resumes the escalations in progress and runs new ones until ctx ends;
// then it ends every escalation's goroutine (hanging up their calls; they
// resume at the next Run) and returns once all have ended.
func (e *Engine) Run(ctx context.Context) error {
	e.mu.Lock()
	if e.runCtx != nil {
		e.mu.Unlock()
		return errors.New("escalation engine: Run called twice")
	}
	e.runCtx = ctx
	e.mu.Unlock()

	e.resume(ctx)
	<-ctx.Done()

	e.mu.Lock()
	e.stopped = true
	n := len(e.running)
	e.mu.Unlock()
	if n > 0 {
		e.log.Info("stopping escalations; they resume at the next start", "running", n)
	}
	e.wg.Wait()
	return nil
}

// resume loads the escalations a previous run left, retrying while the
// database is away.
func (e *Engine) resume(ctx context.Context) {
	for delay := time.Second; ; delay = min(2*delay, time.Minute) {
		list, err := e.store.Resumable(ctx)
		if err == nil {
			for _, esc := range list {
				e.launch(esc, nil, true)
			}
			if len(list) > 0 {
				e.log.Info("resumed escalations in progress", "count", len(list))
			}
			return
		}
		e.log.Error("cannot load the escalations in progress; retrying", "err", err, "in", delay)
		if !sleep(ctx, e.clock, delay) {
			return
		}
	}
}

// launch gives an escalation its goroutine, unless it has one or the engine
// is not running (it then resumes at the next Run). A resumed escalation is
// read again by its goroutine: one started meanwhile may have ended since
// the list was read.
func (e *Engine) launch(esc Escalation, h *Handoff, resumed bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.runCtx == nil || e.stopped {
		h.release()
		return
	}
	if _, ok := e.running[esc.ID]; ok {
		h.release()
		return
	}
	ctx, cancel := context.WithCancelCause(e.runCtx)
	r := &runner{cancel: cancel, handoff: h}
	e.running[esc.ID] = r
	e.wg.Add(1)
	e.metrics.running.Inc()
	go func() {
		defer e.wg.Done()
		defer func() {
			cancel(context.Canceled)
			h.release()
			e.mu.Lock()
			delete(e.running, esc.ID)
			e.mu.Unlock()
			e.metrics.running.Dec()
		}()
		if resumed {
			var err error
			if esc, err = e.reread(ctx, esc.ID); err != nil {
				return
			}
		}
		e.runEscalation(ctx, esc, r)
	}()
}

// reread loads an escalation afresh, retrying while the database is away.
func (e *Engine) reread(ctx context.Context, id string) (Escalation, error) {
	var esc Escalation
	err := e.persist(ctx, e.log.With("escalation", id), "read the escalation", func(ctx context.Context) error {
		var err error
		esc, err = e.store.Get(ctx, id)
		return err
	})
	return esc, err
}

// errCancelled is the cause of a runner's context when a supervisor cancels.
var errCancelled = errors.New("escalation cancelled")

// Cancel stops an active escalation (a supervisor reached someone another
// way, or it was a false alarm): it is stored as cancelled, then any call in
// progress is hung up.
func (e *Engine) Cancel(ctx context.Context, id, by, reason string) (Escalation, error) {
	if strings.TrimSpace(by) == "" {
		return Escalation{}, invalid("by", "who cancels is required")
	}
	esc, err := e.store.Cancel(ctx, id, by, reason, e.clock.Now())
	if err != nil {
		return Escalation{}, fmt.Errorf("cancel escalation %s: %w", id, err)
	}
	e.metrics.cancelled.Inc()
	e.log.Warn("escalation cancelled", "escalation", id, "appeal", esc.AppealNumber, "by", by, "reason", reason)
	e.mu.Lock()
	if r, ok := e.running[id]; ok {
		r.cancel(errCancelled)
	}
	e.mu.Unlock()
	e.noteOnAppeal(ctx, &esc, HistoryEntry{Who: by, Action: ActionCancelled,
		Note:   strings.TrimSpace("дзвінки черговим припинено: " + reason),
		Detail: map[string]string{"escalation_id": esc.ID, "reason": reason}}, e.log.With("escalation", id))
	return esc, nil
}

// Running is the number of escalations this engine runs now.
func (e *Engine) Running() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return len(e.running)
}

// Get returns an escalation with its attempts.
func (e *Engine) Get(ctx context.Context, id string) (Escalation, error) { return e.store.Get(ctx, id) }

// List returns escalations with their attempts, newest first.
func (e *Engine) List(ctx context.Context, f Filter) ([]Escalation, error) {
	return e.store.List(ctx, f)
}

func newID() string {
	b := make([]byte, 10)
	_, _ = rand.Read(b) // crypto/rand never fails on supported platforms
	return "esc-" + hex.EncodeToString(b)
}
