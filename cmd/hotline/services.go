package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/slobozhanske/hotline/appeals"
	"github.com/slobozhanske/hotline/appeals/overdue"
	"github.com/slobozhanske/hotline/appeals/pgstore"
	"github.com/slobozhanske/hotline/config"
	"github.com/slobozhanske/hotline/internal/api"
	"github.com/slobozhanske/hotline/internal/httpserver"
	"github.com/slobozhanske/hotline/internal/store"
	"github.com/slobozhanske/hotline/ivr"
	"github.com/slobozhanske/hotline/telephony/ari"
	"github.com/slobozhanske/hotline/telephony/ari/dutycall"
	"github.com/slobozhanske/hotline/telephony/ari/queuecall"
	"github.com/slobozhanske/hotline/telephony/callrecord"
	callrecordpg "github.com/slobozhanske/hotline/telephony/callrecord/pgstore"
	"github.com/slobozhanske/hotline/telephony/escalation"
	escalationpg "github.com/slobozhanske/hotline/telephony/escalation/pgstore"
	"github.com/slobozhanske/hotline/telephony/queue"
	queuepg "github.com/slobozhanske/hotline/telephony/queue/pgstore"
	"github.com/slobozhanske/hotline/telephony/schedule"
	schedulepg "github.com/slobozhanske/hotline/telephony/schedule/pgstore"
)

// services are the running parts a call or an API request can reach.
// newServices builds what needs only the database; attachTelephony what
// calls through Asterisk; mount and runBackground start them.
type services struct {
	cfg    *config.Config
	domain *domain
	log    *slog.Logger
	now    func() time.Time
	reg    prometheus.Registerer

	appeals *appeals.Service
	overdue *overdue.Watcher

	// api serves every JSON API (buildAPI); its event streams end with
	// stopStreams, when mount's context does.
	api         *api.API
	stopStreams context.CancelFunc

	escalationStore *escalationpg.Store
	duty            *escalation.Duty
	scheduleMgr     *schedule.Manager
	engine          *escalation.Engine

	// The operator queue: the dispatcher decides who gets which call, the
	// store keeps operators and their state changes, queueCalls puts ARI
	// calls through it.
	dispatcher *queue.Dispatcher
	queueStore *queuepg.Store
	roster     *queue.Roster // operators added, changed and removed through the API
	stateLog   *queuepg.StateLog
	queueCalls *queuecall.Service

	// hold keeps an SOS caller on the line until the person on duty is
	// connected (escalation.keep_caller_on_line); nil: not kept.
	hold *dutycall.Connector

	flow *ivr.Flow

	// calls reads the call records: calls taken over, operators' views.
	calls *callrecordpg.History

	// standby, when set, says this server is the standby of a pair: what
	// its dispatcher logs then (every operator logged out, as it is built)
	// is not the operators' state, which the active server logs.
	standby func() bool

	// loaded is closed once the stored state calls are routed by (the
	// schedule's exceptions and override, the duty roster, the operators
	// and their presence) has replaced the config's.
	loaded chan struct{}
}

// stateWait bounds how long a call waits, unanswered, for the stored state
// at start-up: with PostgreSQL away the call is routed by the config's
// schedule rather than kept waiting.
const stateWait = 10 * time.Second

// Steps the router notes before the menu takes the call.
const (
	stepStateNotLoaded ivr.StepKind = "state_not_loaded" // routed by the config: the stored state was not loaded in time; Detail: waited
	stepRoute          ivr.StepKind = "route"            // the entry node by working hours; Detail: state, rule
	stepTakenOver      ivr.StepKind = "taken_over"       // a call a previous controller left goes on here; Detail: outcome or queue
)

func newServices(cfg *config.Config, d *domain, pool *store.Pool, reg prometheus.Registerer, log *slog.Logger, now func() time.Time) (*services, error) {
	if now == nil {
		now = time.Now
	}
	s := &services{cfg: cfg, domain: d, log: log, now: now, reg: reg, loaded: make(chan struct{}), calls: callrecordpg.NewHistory(pool)}
	store := pgstore.New(pool, log.With("component", "appeals"))
	var err error
	s.appeals, err = appeals.NewService(d.appeals, appeals.Deps{
		Repo: store, Calendar: d.schedule, Now: now, Registerer: reg, Log: log.With("component", "appeals"),
	})
	if err != nil {
		return nil, fmt.Errorf("appeals service: %w", err)
	}
	s.overdue, err = overdue.New(overdue.Config{
		Store: store, Every: cfg.Appeals.OverdueCheckEvery, Now: now,
		Webhook:    overdue.Webhook{URL: cfg.Appeals.SOSWebhookURL},
		Registerer: reg, Log: log.With("component", "overdue"),
	})
	if err != nil {
		return nil, fmt.Errorf("overdue watcher: %w", err)
	}

	s.escalationStore = escalationpg.New(pool)
	s.duty, err = escalation.NewDuty(s.escalationStore, d.roster, escalation.SystemClock(), log.With("component", "duty"))
	if err != nil {
		return nil, fmt.Errorf("duty roster: %w", err)
	}
	s.scheduleMgr = schedule.NewManager(d.schedule, schedulepg.New(pool), now, log.With("component", "schedule"))

	if len(d.queues.queues) > 0 {
		s.queueStore = queuepg.New(pool)
		s.stateLog = queuepg.NewStateLog(pool, cfg.Calls.RecordBuffer, log.With("component", "operator-states"), reg)
		s.dispatcher, err = queue.New(queue.Config{Queues: d.queues.queues, Operators: d.queues.operators,
			StateLog: activeLog{s}, Metrics: reg, Log: log.With("component", "queue")})
		if err != nil {
			return nil, fmt.Errorf("operator queue: %w", err)
		}
		s.roster = queue.NewRoster(s.dispatcher, s.queueStore, d.queues.operators, log.With("component", "queue"))
	}

	s.flow = &ivr.Flow{
		Menu:     d.menu,
		Appeals:  menuAppeals{s.appeals},
		Location: d.schedule.Location(),
		Options: ivr.Options{
			SOS: ivr.RecordLimits{MaxDuration: cfg.Escalation.RecordMax, MaxSilence: cfg.Escalation.RecordSilence, Attempts: cfg.Escalation.RecordRetries + 1},
		},
		Log: log.With("component", "menu"),
	}
	if len(cfg.Queues) > 0 {
		s.flow.Options.OperatorQueue = cfg.Queues[0].Name
	}
	s.flow.Options.OverflowToAfterHours, s.flow.Options.AfterHoursNode = d.queues.afterHours, cfg.Routing.Closed
	return s, nil
}

// attachTelephony builds the services that place calls through Asterisk,
// and the APIs that reach into calls.
func (s *services) attachTelephony(app *ari.App, records callrecord.Recorder) error {
	var err error
	s.engine, err = escalation.NewEngine(escalation.Config{
		Settings: s.domain.escalation, Store: s.escalationStore, Duty: s.duty,
		Dialer: dutycall.New(app), History: appealHistory{s.appeals}, Prompts: s.domain.dutyPrompt,
		Metrics: escalation.NewMetrics(s.reg), Log: s.log.With("component", "escalation"),
	})
	if err != nil {
		return fmt.Errorf("escalation engine: %w", err)
	}
	s.flow.Escalations = s.engine
	s.queueCalls = queuecall.New(app, s.dispatcher, queuecall.Config{
		DefaultQueue: s.cfg.Queues[0].Name, Queues: s.domain.queues.media,
		RecordingFormat: s.cfg.Calls.RecordingFormat,
	}, records, s.log.With("component", "queuecall"))
	app.OnEndpointState(func(endpoint, state string) { s.dispatcher.EndpointState(endpoint, state) })
	app.WatchEndpoints(endpointTechnologies(s.domain.queues.operators)...)
	streams, stop := context.WithCancel(context.Background())
	if s.api, err = s.buildAPI(streams); err != nil {
		stop()
		return err
	}
	s.stopStreams = stop
	// A server that could serve no call must not start and report ready.
	if err := s.flow.Check(); err != nil {
		return fmt.Errorf("voice menu: %w", err)
	}
	if s.cfg.Escalation.KeepCallerOnLine {
		moh := "default"
		if len(s.cfg.Queues) > 0 {
			moh = s.cfg.Queues[0].MOHClass
		}
		s.hold = dutycall.NewConnector(s.engine, app, dutycall.ConnectorConfig{MOHClass: moh, Log: s.log.With("component", "sos-hold")})
	}
	return nil
}

// appealHistory lets the escalation engine write on an appeal's history.
type appealHistory struct{ svc *appeals.Service }

func (h appealHistory) AddHistory(ctx context.Context, appealID string, e escalation.HistoryEntry) error {
	err := h.svc.AddHistory(ctx, appealID, appeals.Entry(e))
	var verr *appeals.ValidationError
	if errors.Is(err, appeals.ErrNotFound) || errors.As(err, &verr) {
		// Final: retrying would not help.
		return fmt.Errorf("%w: %w", escalation.ErrAppealNotFound, err)
	}
	return err
}

// busyPrompt is what callers hear when the server is shutting down.
const busyPrompt ivr.Media = "sound:hotline/line-busy"

// handleCall is where every resident's call starts (one goroutine per call):
// the working-hours state picks the menu's entry node and the menu takes over.
func (s *services) handleCall(ctx context.Context, call *ari.Call) {
	if !s.waitForState(ctx, call) {
		return
	}
	// Operators' feature codes (*41 log in, …) arrive as Stasis(hotline,feature,<name>).
	if args := call.Args(); len(args) >= 2 && args[0] == "feature" {
		s.queueCalls.HandleFeature(ctx, call, args[1])
		return
	}
	if err := call.Answer(ctx); err != nil {
		call.Log().Info("caller gone before answer", "err", err)
		return
	}
	if past := call.Past(); past != nil && s.resume(ctx, call, past) {
		return
	}
	start, state := s.route(call)
	if err := s.flowFor(call).Run(ctx, call, start, state); err != nil {
		call.Log().Error("menu ended with an error", "err", err)
	}
}

// activeLog passes the operators' state changes to the state log unless
// this server is the standby.
type activeLog struct{ s *services }

func (l activeLog) Append(c queue.StateChange) {
	if l.s.standby == nil || !l.s.standby() {
		l.s.stateLog.Append(c)
	}
}

// flowFor is the voice menu for one call, its queue and hold adapters
// bound to that call.
func (s *services) flowFor(call *ari.Call) *ivr.Flow {
	var hold ivr.CallerHold
	if s.hold != nil {
		hold = s.hold.For(call)
	}
	return s.flow.With(s.queueCalls.For(call), hold)
}

// waitForState holds a call that arrives (or is taken over) at start-up
// until the stored state it is routed by is loaded, at most stateWait;
// false when the call ended meanwhile.
func (s *services) waitForState(ctx context.Context, call *ari.Call) bool {
	select {
	case <-s.loaded:
		return true
	default:
	}
	t := time.NewTimer(stateWait)
	defer t.Stop()
	select {
	case <-s.loaded:
		return true
	case <-ctx.Done():
		return false
	case <-t.C:
		call.Log().Warn("the stored schedule, roster and operators are not loaded yet; routing by the config", "waited", stateWait)
		call.Note(ivr.Step{Kind: stepStateNotLoaded, Detail: map[string]string{"waited": stateWait.String()}})
		return true
	}
}

// route picks the menu's entry node by the working-hours state now.
func (s *services) route(call *ari.Call) (string, ivr.ScheduleState) {
	decision, state := s.scheduleState()
	start := s.routeFor(decision.State)
	call.Note(ivr.Step{Kind: stepRoute, Node: start, Detail: map[string]string{"state": string(decision.State), "rule": decision.Rule}})
	return start, state
}

// scheduleState is the working-hours state now, as the menu needs it.
func (s *services) scheduleState() (schedule.Decision, ivr.ScheduleState) {
	now := s.now()
	decision := s.domain.schedule.State(now)
	nextOpen, _ := s.domain.schedule.NextOpen(now)
	return decision, ivr.ScheduleState{State: string(decision.State), NextOpen: nextOpen}
}

// resume continues a call a previous controller left (the server was
// restarted, or this one took over from it) from where its record says it
// was: in the menu at its node, in a queue with its place and join time,
// or talking to an operator. False when the record says too little (the
// call never reached the menu): it is then routed as a new call.
func (s *services) resume(ctx context.Context, call *ari.Call, past *callrecord.PastCall) bool {
	if ivr.OutcomeKind(past.Outcome) == ivr.OutcomeSOSEscalated {
		// The card is open and the escalation engine goes on by itself
		// (its state is stored): the caller has heard their number.
		call.Note(ivr.Step{Kind: stepTakenOver, Detail: map[string]string{"outcome": past.Outcome}})
		_ = call.Play(ctx, false, ivr.Prompt("goodbye"))
		return true
	}
	steps := make([]ivr.Step, len(past.Steps))
	for i, st := range past.Steps {
		steps[i] = ivr.Step{Kind: ivr.StepKind(st.Kind), Node: st.Node, Detail: st.Detail}
	}
	at := ivr.ResumptionFrom(steps)
	if stay, ok := queuecall.StayOf(past.Steps); ok {
		at.Queue, at.Priority = stay.Queue, stay.Priority
		s.queueCalls.ResumeStay(call.ID(), stay)
		defer s.queueCalls.DropStay(call.ID())
	}
	if at.Node == "" {
		return false
	}
	_, state := s.scheduleState()
	call.Note(ivr.Step{Kind: stepTakenOver, Node: at.Node, Detail: map[string]string{"queue": at.Queue}})
	call.Log().Info("continuing a call taken over", "node", at.Node, "queue", at.Queue)
	if err := s.flowFor(call).Resume(ctx, call, at, state); err != nil {
		call.Log().Error("menu ended with an error", "err", err)
	}
	return true
}

func (s *services) routeFor(st schedule.State) string {
	switch st {
	case schedule.StateOpen:
		return s.cfg.Routing.Open
	case schedule.StateBreak:
		return s.cfg.Routing.Break
	default:
		return s.cfg.Routing.Closed
	}
}

// mount puts the APIs on the HTTP server; event streams end with ctx.
func (s *services) mount(ctx context.Context, h *httpserver.Server, writable func() error) {
	h.Handle("/api/v1/", readOnlyUnless(writable, s.api))
	h.ShowReadinessDetailTo(s.api) // admins' tokens read why a check fails
	context.AfterFunc(ctx, s.stopStreams)
}

// readOnlyUnless refuses the API's writes while writable says no (the
// standby server: writes belong to the active one) with 503 and a
// Retry-After of about a lease's TTL; reads are served.
func readOnlyUnless(writable func() error, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.Method {
		case http.MethodGet, http.MethodHead, http.MethodOptions:
		default:
			if err := writable(); err != nil {
				w.Header().Set("Retry-After", "3")
				api.ErrorCode(w, http.StatusServiceUnavailable, "unavailable", "", "this server is the standby; send changes to the active server (or retry: it takes over if the active one is gone)")
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// runBackground runs the jobs that need the schema: they start once the
// migrations are applied and stop with ctx.
func (s *services) runBackground(ctx context.Context, migrated <-chan struct{}) {
	select {
	case <-ctx.Done():
		return
	case <-migrated:
	}
	// The stored roster and schedule exceptions/override replace the config's
	// once loaded; until then the config's answer and edits get 503.
	retry(ctx, s.log, "load duty roster", s.duty.Load)
	retry(ctx, s.log, "load schedule exceptions", s.scheduleMgr.Load)
	if s.dispatcher != nil {
		retry(ctx, s.log, "load operators", s.roster.Load)
	}
	if ctx.Err() == nil {
		close(s.loaded)
	}
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		s.overdue.Run(ctx)
	}()
	go func() {
		defer wg.Done()
		if err := s.engine.Run(ctx); err != nil && ctx.Err() == nil {
			s.log.Error("escalation engine stopped", "err", err)
		}
	}()
	wg.Wait()
}

// retry runs fn until it succeeds or ctx ends, backing off between tries.
func retry(ctx context.Context, log *slog.Logger, what string, fn func(context.Context) error) {
	backoff := 500 * time.Millisecond
	for {
		err := fn(ctx)
		if err == nil || ctx.Err() != nil {
			return
		}
		log.Warn(what+" failed; retrying", "err", err, "retry_in", backoff)
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, 10*time.Second)
	}
}

// endpointTechnologies are the channel technologies of the operators'
// phones (PJSIP/op101 → PJSIP), whose states the app follows.
func endpointTechnologies(ops []queue.Operator) []string {
	var out []string
	for _, op := range ops {
		tech, _, ok := strings.Cut(op.Endpoint, "/")
		if ok && !slices.Contains(out, tech) {
			out = append(out, tech)
		}
	}
	if len(out) == 0 {
		out = []string{"PJSIP"}
	}
	return out
}
