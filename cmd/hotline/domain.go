package main

import (
	"errors"
	"fmt"

	"github.com/slobozhanske/hotline/appeals"
	"github.com/slobozhanske/hotline/config"
	"github.com/slobozhanske/hotline/internal/fielderr"
	"github.com/slobozhanske/hotline/ivr"
	"github.com/slobozhanske/hotline/ivr/prompts"
	"github.com/slobozhanske/hotline/telephony/ari/queuecall"
	"github.com/slobozhanske/hotline/telephony/escalation"
	"github.com/slobozhanske/hotline/telephony/queue"
	"github.com/slobozhanske/hotline/telephony/schedule"
)

// domain holds what is built from the config alone, with no I/O: the same
// code runs in `check-config`, so a config that passes never fails at start.
type domain struct {
	schedule   *schedule.Schedule
	appeals    appeals.Config
	menu       *ivr.Menu
	escalation escalation.Settings
	roster     []escalation.Shift
	dutyPrompt escalation.Prompts
	queues     queueSetup
}

func buildDomain(cfg *config.Config) (*domain, error) {
	var errs []error
	sch, err := buildSchedule(cfg)
	if err != nil {
		errs = append(errs, err)
	}
	menu, err := buildMenu(cfg)
	if err != nil {
		errs = append(errs, err)
	}
	for i, c := range cfg.Appeals.Categories {
		if c.Prompt != "" && !prompts.Has(c.Prompt) {
			errs = append(errs, fmt.Errorf("appeals.categories[%d].prompt: %q is not in the prompt catalogue", i, c.Prompt))
		}
	}
	ac := cfg.AppealsConfig()
	if err := ac.Validate(); err != nil {
		errs = append(errs, fmt.Errorf("appeals: %w", err))
	}
	settings, roster, err := escalationConfig(cfg)
	if err != nil {
		errs = append(errs, err)
	}
	queues, err := queueConfig(cfg)
	if err != nil {
		errs = append(errs, err)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return &domain{schedule: sch, appeals: ac, menu: menu, escalation: settings, roster: roster,
		dutyPrompt: dutyPrompts(cfg), queues: queues}, nil
}

// queueSetup is the queues and operators section, translated for the
// dispatcher (who gets which call) and the call adapter (what callers hear).
type queueSetup struct {
	queues    []queue.QueueConfig
	operators []queue.Operator
	media     map[string]queuecall.QueueOptions
	// afterHours are the queues whose overflow goes to the after-hours menu
	// rather than to leaving a message.
	afterHours map[string]bool
}

func queueConfig(cfg *config.Config) (queueSetup, error) {
	qs := queueSetup{media: map[string]queuecall.QueueOptions{}, afterHours: map[string]bool{}}
	if len(cfg.Queues) == 0 {
		return qs, nil
	}
	dispatcher := cfg.Dispatcher()
	qs.queues, qs.operators = dispatcher.Queues, dispatcher.Operators
	for _, q := range cfg.Queues {
		var key byte
		if q.LeaveMessageKey != "" {
			key = q.LeaveMessageKey[0]
		}
		qs.media[q.Name] = queuecall.QueueOptions{
			MOHClass: q.MOHClass, AnnounceEvery: q.AnnounceEvery, LeaveMessageKey: key,
			Record: q.Record, PostCallRating: q.PostCallRating, CallerIDName: q.CallerIDForOperator,
		}
		qs.afterHours[q.Name] = q.Overflow == "after_hours"
	}
	// The dispatcher's own checks, run here so check-config finds what the
	// server would refuse at start.
	if _, err := queue.New(queue.Config{Queues: qs.queues, Operators: qs.operators}); err != nil {
		return qs, fmt.Errorf("queues: %w", err)
	}
	return qs, nil
}

// escalationConfig translates the escalation section: the settings and the
// duty roster that seeds the database on first start.
func escalationConfig(cfg *config.Config) (escalation.Settings, []escalation.Shift, error) {
	e := cfg.Escalation
	settings := e.Settings()
	var errs []error
	if err := settings.Validate(); err != nil {
		errs = append(errs, fmt.Errorf("escalation: %w", err))
	}
	roster, err := e.DutyRoster()
	if err != nil {
		errs = append(errs, fielderr.Prefix("escalation", err))
	}
	return settings, roster, errors.Join(errs...)
}

// dutyPrompts are the on-duty call's prompts, with each category's spoken title.
func dutyPrompts(cfg *config.Config) escalation.Prompts {
	p := escalation.DefaultPrompts()
	p.Categories = map[string]ivr.Media{}
	for _, c := range cfg.Appeals.Categories {
		if c.Prompt != "" {
			p.Categories[c.Code] = ivr.Prompt(c.Prompt)
		}
	}
	return p
}

// buildMenu translates the menu section into the ivr package's tree; every
// prompt must be in the catalogue and every routing entry must exist.
func buildMenu(cfg *config.Config) (*ivr.Menu, error) {
	var errs []error
	action := func(path string, a config.MenuAction) ivr.Action {
		kind, err := ivr.ParseActionKind(a.Action)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", path, err))
		}
		return ivr.Action{Kind: kind, Node: a.Node, Queue: a.Queue, Prompt: a.Prompt}
	}
	nodes := make(map[string]*ivr.Node, len(cfg.Menu.Nodes))
	for name, n := range cfg.Menu.Nodes {
		path := "menu.nodes." + name
		node := &ivr.Node{
			Name: name, Prompts: n.Prompts, FirstKeyTimeout: n.FirstKeyTimeout, InterKeyTimeout: n.InterKeyTimeout,
			MaxRetries: n.MaxRetries, InvalidPrompt: n.InvalidPrompt, NoInputPrompt: n.NoInputPrompt,
			Options: map[byte]ivr.Action{}, OnExhausted: action(path+".on_exhausted", n.OnExhausted),
		}
		for key, a := range n.Options {
			k, err := ivr.ParseKey(key)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s.options: %w", path, err))
				continue
			}
			node.Options[k] = action(path+".options."+key, a)
		}
		nodes[name] = node
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	menu, err := ivr.NewMenu(nodes, prompts.Has, cfg.Routing.Open, cfg.Routing.Break, cfg.Routing.Closed)
	if err != nil {
		return nil, fmt.Errorf("menu: %w", err)
	}
	return menu, nil
}

// buildSchedule builds the working hours from the schedule section
// (config.ScheduleConfig translates it; schedule.New validates it).
func buildSchedule(c *config.Config) (*schedule.Schedule, error) {
	sch, err := schedule.New(c.ScheduleConfig())
	if err != nil {
		return nil, fmt.Errorf("schedule: %w", err)
	}
	return sch, nil
}
