package main

// The degraded path. When no server is connected, Asterisk's dialplan
// (asterisk/extensions.conf [hotline-degraded]) still reaches people on its
// own: in working hours it rings the operators who are logged in, then the
// on-duty chain; after hours (or always, calls.degraded_duty_always) the
// on-duty chain, one after the other. It reads what to dial from global
// variables that the active server keeps current: rewritten after every
// ARI (re)connect and whenever they change, so a server that dies leaves
// the last word behind. With nothing ever written the dialplan says "line
// busy", as before.

import (
	"context"
	"log/slog"
	"maps"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/slobozhanske/hotline/asterisk"
	"github.com/slobozhanske/hotline/telephony/ari"
	"github.com/slobozhanske/hotline/telephony/queue"
	"github.com/slobozhanske/hotline/telephony/schedule"
)

// The names the dialplan reads come from package asterisk (checked against
// extensions.conf there).
const (
	globalDutyCount   = asterisk.GlobalDutyCount
	globalDutyPrefix  = asterisk.GlobalDutyPrefix
	globalOperators   = asterisk.GlobalOperators
	globalOpenUntil   = asterisk.GlobalOpenUntil
	globalDutyAlways  = asterisk.GlobalDutyAlways
	globalFallbackSet = asterisk.GlobalFallbackSet
	maxFallbackDuty   = asterisk.MaxDegradedDuty
)

// neverCloses stands for "open until further notice" (a 24/7 schedule).
const neverCloses = 4102444800 // 2100-01-01

// fallbackPlan is what the dialplan should do with a call now.
func (s *services) fallbackPlan(now time.Time) map[string]string {
	plan := map[string]string{globalDutyAlways: "0", globalOpenUntil: "0"}
	if s.cfg.Calls.DegradedDutyAlways {
		plan[globalDutyAlways] = "1"
	}
	n := 0
	if shift, ok := s.duty.OnDuty(now); ok {
		for _, p := range shift.People {
			ep, err := s.domain.escalation.Endpoint(p.Phone)
			if err != nil || n == maxFallbackDuty {
				continue
			}
			n++
			plan[globalDutyPrefix+strconv.Itoa(n)] = ep
		}
	}
	for i := n + 1; i <= maxFallbackDuty; i++ {
		plan[globalDutyPrefix+strconv.Itoa(i)] = ""
	}
	plan[globalDutyCount] = strconv.Itoa(n)
	var phones []string
	for _, op := range s.dispatcher.Operators() {
		if op.Presence != queue.LoggedOut && op.Online && op.Endpoint != "" {
			phones = append(phones, op.Endpoint)
		}
	}
	plan[globalOperators] = strings.Join(phones, "&")
	if d := s.domain.schedule.State(now); d.State == schedule.StateOpen {
		until := int64(neverCloses)
		if !d.Next.IsZero() {
			until = d.Next.Unix()
		}
		plan[globalOpenUntil] = strconv.FormatInt(until, 10)
	}
	return plan
}

// fallbackPublisher writes the plan into Asterisk's globals when it changes,
// and all of it again after a (re)connect.
type fallbackPublisher struct {
	app   *ari.App
	plan  func(time.Time) map[string]string
	now   func() time.Time
	log   *slog.Logger
	every time.Duration

	mu      sync.Mutex
	written map[string]string // what Asterisk has, as far as this run knows
	kick    chan struct{}
}

func newFallbackPublisher(app *ari.App, plan func(time.Time) map[string]string, now func() time.Time, log *slog.Logger) *fallbackPublisher {
	return &fallbackPublisher{app: app, plan: plan, now: now, log: log, every: 10 * time.Second, kick: make(chan struct{}, 1)}
}

// reconnected makes the next round write every variable: Asterisk may have
// restarted and lost them.
func (p *fallbackPublisher) reconnected() {
	p.mu.Lock()
	p.written = nil
	p.mu.Unlock()
	select {
	case p.kick <- struct{}{}:
	default:
	}
}

// run keeps the globals current until ctx ends: at once when an operator's
// state changes (changes), and every few seconds for the rest (the roster,
// the schedule's next change).
func (p *fallbackPublisher) run(ctx context.Context, changes <-chan queue.OperatorEvent) {
	t := time.NewTicker(p.every)
	defer t.Stop()
	for {
		p.publish(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-p.kick:
		case <-changes:
		}
	}
}

func (p *fallbackPublisher) publish(ctx context.Context) {
	plan := p.plan(p.now())
	p.mu.Lock()
	written := maps.Clone(p.written)
	p.mu.Unlock()
	changed := false
	for name, v := range plan {
		if old, ok := written[name]; ok && old == v {
			continue
		}
		if err := p.app.SetGlobal(ctx, name, v); err != nil {
			// Not connected, or Asterisk busy: the next round tries again.
			p.log.Debug("cannot write the degraded path's plan yet", "err", err)
			return
		}
		if written == nil {
			written = map[string]string{}
		}
		written[name], changed = v, true
	}
	if changed {
		if err := p.app.SetGlobal(ctx, globalFallbackSet, strconv.FormatInt(p.now().Unix(), 10)); err != nil {
			return
		}
		p.log.Info("degraded path's plan written to Asterisk", "duty", plan[globalDutyCount], "operators", plan[globalOperators], "open_until", plan[globalOpenUntil])
	}
	p.mu.Lock()
	p.written = written
	p.mu.Unlock()
}
