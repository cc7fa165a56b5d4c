package main

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/slobozhanske/hotline/appeals/httpapi"
	"github.com/slobozhanske/hotline/config"
	"github.com/slobozhanske/hotline/internal/api"
	"github.com/slobozhanske/hotline/internal/apiauth"
	"github.com/slobozhanske/hotline/telephony/ari/queuecall"
	escalationhttp "github.com/slobozhanske/hotline/telephony/escalation/httpapi"
	"github.com/slobozhanske/hotline/telephony/queue"
	queuehttp "github.com/slobozhanske/hotline/telephony/queue/httpapi"
	schedulehttp "github.com/slobozhanske/hotline/telephony/schedule/httpapi"
)

// buildAPI is every JSON API under /api/v1/: one route table each, served
// and documented (GET /api/v1/openapi.json) by internal/api behind one token
// table. Event streams end when streams does; so does the reload of the
// tokens file on SIGHUP.
func (s *services) buildAPI(streams context.Context) (*api.API, error) {
	log := s.log.With("component", "api")
	appealsAPI, err := httpapi.New(httpapi.Config{Service: s.appeals, Desk: desk{s.queueCalls}, Calls: s.calls, Log: log})
	if err != nil {
		return nil, fmt.Errorf("appeals API: %w", err)
	}
	tokens, reload, err := loadTokens(s.cfg, appealsAPI.KnownExecutor)
	if err != nil {
		return nil, err
	}
	if reload != nil {
		apiauth.ReloadOnHangup(streams, log, reload)
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
	return api.New(api.Config{Auth: tokens, Log: log, Registerer: s.reg},
		appealsAPI.Routes(), queueAPI.Routes(), dutyAPI.Routes(), scheduleAPI.Routes())
}

// loadTokens is the token table of the config, and with a tokens file the
// function that reloads it (nil without one). A file its group or others
// may read stops the start: anyone who reads it may call the API.
func loadTokens(cfg *config.Config, knownExecutor func(string) bool) (*apiauth.Tokens, func() error, error) {
	all := apiTokens(cfg)
	tokens, err := apiauth.NewTokens(all, knownExecutor)
	if err != nil {
		return nil, nil, err
	}
	path := cfg.API.TokensFile
	if path == "" {
		return tokens, nil, nil
	}
	inFile, err := apiauth.ReadFile(path)
	if err != nil {
		return nil, nil, fmt.Errorf("api.tokens_file: %w", err)
	}
	// The config's own tokens (api.tokens) stay across reloads; those the
	// file gave at the start are replaced by what it holds then.
	var static []apiauth.Token
	for _, t := range all {
		if !slices.Contains(inFile, t) {
			static = append(static, t)
		}
	}
	reload := func() error {
		fresh, err := apiauth.ReadFile(path)
		if err != nil {
			return err
		}
		return tokens.Replace(append(slices.Clone(static), fresh...))
	}
	return tokens, reload, nil
}

func apiTokens(cfg *config.Config) []apiauth.Token {
	out := make([]apiauth.Token, 0, len(cfg.API.Tokens))
	for _, t := range cfg.API.Tokens {
		out = append(out, apiauth.Token{User: t.User, Role: t.Role, Executor: t.Executor, Token: t.Token.Reveal()})
	}
	return out
}

// desk is the queue's calls as the appeals API reads numbers into them: a
// call not talking to an operator is the API's ErrCallNotConnected (a 409),
// not a failure of telephony.
type desk struct{ *queuecall.Service }

func (d desk) ReadBackNumber(ctx context.Context, callID, digits string) error {
	err := d.Service.ReadBackNumber(ctx, callID, digits)
	if errors.Is(err, queue.ErrNotInConversation) || errors.Is(err, queue.ErrCallNotFound) {
		return fmt.Errorf("%w: %w", httpapi.ErrCallNotConnected, err)
	}
	return err
}
