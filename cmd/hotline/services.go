package main

import (
	"context"
	"fmt"
	"log/slog"
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
	"github.com/slobozhanske/hotline/telephony/schedule"
)

// services are the running parts a call or an API request can reach.
type services struct {
	cfg    *config.Config
	domain *domain
	log    *slog.Logger
	now    func() time.Time

	appeals    *appeals.Service
	appealsAPI *httpapi.Handler
	overdue    *overdue.Watcher
	flow       *ivr.Flow
}

func newServices(cfg *config.Config, d *domain, pool *pgxpool.Pool, reg prometheus.Registerer, log *slog.Logger, now func() time.Time) (*services, error) {
	if now == nil {
		now = time.Now
	}
	s := &services{cfg: cfg, domain: d, log: log, now: now}
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
		Store: store, Every: cfg.Appeals.OverdueCheckEvery,
		Webhook:    overdue.Webhook{URL: cfg.Appeals.SOSWebhookURL},
		Registerer: reg, Log: log.With("component", "overdue"),
	})
	if err != nil {
		return nil, fmt.Errorf("overdue watcher: %w", err)
	}
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

func apiTokens(cfg *config.Config) []httpapi.Token {
	out := make([]httpapi.Token, 0, len(cfg.API.Tokens))
	for _, t := range cfg.API.Tokens {
		out = append(out, httpapi.Token{User: t.User, Role: t.Role, Executor: t.Executor, Token: t.Token.Reveal()})
	}
	return out
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
}

// runBackground runs the jobs that need the schema: they start once the
// migrations are applied and stop with ctx.
func (s *services) runBackground(ctx context.Context, migrated <-chan struct{}) {
	select {
	case <-ctx.Done():
		return
	case <-migrated:
	}
	s.overdue.Run(ctx)
}
