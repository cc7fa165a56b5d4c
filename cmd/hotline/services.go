package main

import (
	"context"
	"log/slog"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/slobozhanske/hotline/config"
	"github.com/slobozhanske/hotline/internal/httpserver"
	"github.com/slobozhanske/hotline/ivr"
	"github.com/slobozhanske/hotline/telephony"
)

// services are the running parts a call can reach.
type services struct {
	cfg    *config.Config
	domain *domain
	log    *slog.Logger
}

func newServices(cfg *config.Config, d *domain, pool *pgxpool.Pool, reg prometheus.Registerer, log *slog.Logger) *services {
	return &services{cfg: cfg, domain: d, log: log}
}

// busyPrompt is what callers hear when the server is shutting down.
const busyPrompt ivr.Media = "sound:hotline/line-busy"

// handleCall is where every resident's call starts (one goroutine per call).
func (s *services) handleCall(ctx context.Context, call *telephony.Call) {
	if err := call.Answer(ctx); err != nil {
		return
	}
	_ = call.Play(ctx, false, busyPrompt)
}

func (s *services) mount(h *httpserver.Server) {}

func (s *services) runBackground(ctx context.Context, migrated <-chan struct{}) { <-ctx.Done() }
