package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/slobozhanske/hotline/appeals"
	"github.com/slobozhanske/hotline/appeals/httpapi"
	"github.com/slobozhanske/hotline/appeals/overdue"
	"github.com/slobozhanske/hotline/appeals/pgstore"
	"github.com/slobozhanske/hotline/config"
	"github.com/slobozhanske/hotline/internal/httpserver"
	"github.com/slobozhanske/hotline/ivr"
	"github.com/slobozhanske/hotline/telephony"
	"github.com/slobozhanske/hotline/telephony/callrecord"
	"github.com/slobozhanske/hotline/telephony/dutyapi"
	"github.com/slobozhanske/hotline/telephony/escalation"
	"github.com/slobozhanske/hotline/telephony/escalation/ariduty"
	"github.com/slobozhanske/hotline/telephony/escalation/escalationstore"
	"github.com/slobozhanske/hotline/telephony/schedule"
	"github.com/slobozhanske/hotline/telephony/schedulestore"
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

	appeals    *appeals.Service
	appealsAPI *httpapi.Handler
	overdue    *overdue.Watcher

	escalationStore *escalationstore.Store
	duty            *escalation.Duty
	scheduleMgr     *schedulestore.Manager
	engine          *escalation.Engine

	flow *ivr.Flow
}

func newServices(cfg *config.Config, d *domain, pool *pgxpool.Pool, reg prometheus.Registerer, log *slog.Logger, now func() time.Time) (*services, error) {
	if now == nil {
		now = time.Now
	}
	s := &services{cfg: cfg, domain: d, log: log, now: now, reg: reg}
	store := pgstore.New(pool, log.With("component", "appeals"))
	var err error
	s.appeals, err = appeals.NewService(d.appeals, appeals.Deps{
		Repo: store, Calendar: d.schedule, Now: now, Registerer: reg, Log: log.With("component", "appeals"),
	})
	if err != nil {
		return nil, fmt.Errorf("appeals service: %w", err)
	}
	s.appealsAPI, err = httpapi.New(httpapi.Config{Service: s.appeals, Tokens: apiTokens(cfg), Log: log.With("component", "api")})
	if err != nil {
		return nil, fmt.Errorf("appeals API: %w", err)
	}
	s.overdue, err = overdue.New(overdue.Config{
		Store: store, Every: cfg.Appeals.OverdueCheckEvery, Now: now,
		Webhook:    overdue.Webhook{URL: cfg.Appeals.SOSWebhookURL},
		Registerer: reg, Log: log.With("component", "overdue"),
	})
	if err != nil {
		return nil, fmt.Errorf("overdue watcher: %w", err)
	}

	s.escalationStore = escalationstore.New(pool)
	s.duty, err = escalation.NewDuty(s.escalationStore, d.roster, escalation.SystemClock(), log.With("component", "duty"))
	if err != nil {
		return nil, fmt.Errorf("duty roster: %w", err)
	}
	s.scheduleMgr = schedulestore.NewManager(d.schedule, schedulestore.New(pool), now, log.With("component", "schedule"))

	s.flow = &ivr.Flow{
		Menu:     d.menu,
		Appeals:  menuAppeals{s.appeals},
		Location: d.schedule.Location(),
		Options: ivr.Options{
			SOS: ivr.RecordLimits{MaxDuration: cfg.Escalation.RecordMax, MaxSilence: cfg.Escalation.RecordSilence},
		},
		Log: log.With("component", "menu"),
	}
	if len(cfg.Queues) > 0 {
		s.flow.Options.OperatorQueue = cfg.Queues[0].Name
	}
	return s, nil
}

// attachTelephony builds the services that place calls through Asterisk.
func (s *services) attachTelephony(app *telephony.App, records *callrecord.Writer) error {
	var err error
	s.engine, err = escalation.NewEngine(escalation.Config{
		Settings: s.domain.escalation, Store: s.escalationStore, Duty: s.duty,
		Dialer: ariduty.New(app), History: appealHistory{s.appeals}, Prompts: s.domain.dutyPrompt,
		Metrics: escalation.NewMetrics(s.reg), Log: s.log.With("component", "escalation"),
	})
	if err != nil {
		return fmt.Errorf("escalation engine: %w", err)
	}
	s.flow.Escalations = s.engine
	if s.cfg.Escalation.KeepCallerOnLine {
		moh := "default"
		if len(s.cfg.Queues) > 0 {
			moh = s.cfg.Queues[0].MOHClass
		}
		s.flow.Hold = ariduty.NewConnector(s.engine, app, ariduty.ConnectorConfig{MOHClass: moh, Log: s.log.With("component", "sos-hold")})
	}
	return nil
}

func apiTokens(cfg *config.Config) []httpapi.Token {
	out := make([]httpapi.Token, 0, len(cfg.API.Tokens))
	for _, t := range cfg.API.Tokens {
		out = append(out, httpapi.Token{User: t.User, Role: t.Role, Executor: t.Executor, Token: t.Token.Reveal()})
	}
	return out
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
func (s *services) handleCall(ctx context.Context, call *telephony.Call) {
	if err := call.Answer(ctx); err != nil {
		call.Log().Info("caller gone before answer", "err", err)
		return
	}
	now := s.now()
	decision := s.domain.schedule.State(now)
	nextOpen, _ := s.domain.schedule.NextOpen(now)
	start := s.routeFor(decision.State)
	call.Note(ivr.Step{Kind: "route", Node: start, Detail: map[string]string{"state": string(decision.State), "rule": decision.Rule}})
	if err := s.flow.Run(ctx, call, start, ivr.ScheduleState{State: string(decision.State), NextOpen: nextOpen}); err != nil {
		call.Log().Error("menu ended with an error", "err", err)
	}
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

func (s *services) mount(h *httpserver.Server) {
	h.Handle("/api/v1/", s.appealsAPI)
	duty := dutyapi.New(dutyapi.Config{Duty: s.duty, Escalations: s.engine, Schedule: s.scheduleMgr,
		Auth: s.appealsAPI, Now: s.now, Log: s.log.With("component", "api")})
	for _, p := range dutyapi.Patterns {
		h.Handle(p, duty)
	}
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
