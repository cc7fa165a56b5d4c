package main

import (
	"context"
	"fmt"

	"github.com/slobozhanske/hotline/appeals/httpapi"
	"github.com/slobozhanske/hotline/config"
	"github.com/slobozhanske/hotline/internal/api"
	"github.com/slobozhanske/hotline/internal/apiauth"
	escalationhttp "github.com/slobozhanske/hotline/telephony/escalation/httpapi"
	queuehttp "github.com/slobozhanske/hotline/telephony/queue/httpapi"
	schedulehttp "github.com/slobozhanske/hotline/telephony/schedule/httpapi"
)

// buildAPI is every JSON API under /api/v1/: one route table each, served
// and documented (GET /api/v1/openapi.json) by internal/api behind one token
// table. Event streams end when streams does.
func (s *services) buildAPI(streams context.Context) (*api.API, error) {
	log := s.log.With("component", "api")
	appealsAPI, err := httpapi.New(httpapi.Config{Service: s.appeals, Desk: s.queueCalls, Log: log})
	if err != nil {
		return nil, fmt.Errorf("appeals API: %w", err)
	}
	tokens, err := apiauth.NewTokens(apiTokens(s.cfg), appealsAPI.KnownExecutor)
	if err != nil {
		return nil, err
	}
	queueAPI, err := queuehttp.New(streams, queuehttp.Config{Dispatcher: s.dispatcher, Roster: s.roster, Reports: s.queueStore,
		Calls: s.calls, Now: s.now, Log: log})
	if err != nil {
		return nil, err
	}
	dutyAPI, err := escalationhttp.New(escalationhttp.Config{Duty: s.duty, Escalations: s.engine, Now: s.now, Log: log})
	if err != nil {
		return nil, err
	}
	scheduleAPI, err := schedulehttp.New(schedulehttp.Config{Schedule: s.scheduleMgr, Now: s.now, Log: log})
	if err != nil {
		return nil, err
	}
	return api.New(api.Config{Auth: tokens, Log: log},
		appealsAPI.Routes(), queueAPI.Routes(), dutyAPI.Routes(), scheduleAPI.Routes())
}

func apiTokens(cfg *config.Config) []apiauth.Token {
	out := make([]apiauth.Token, 0, len(cfg.API.Tokens))
	for _, t := range cfg.API.Tokens {
		out = append(out, apiauth.Token{User: t.User, Role: t.Role, Executor: t.Executor, Token: t.Token.Reveal()})
	}
	return out
}
