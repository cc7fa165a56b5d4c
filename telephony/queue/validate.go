package queue

import (
	"fmt"
	"strconv"
	"time"

	"github.com/slobozhanske/hotline/internal/fielderr"
)

// Validate checks a queue's settings and returns every problem, joined; each
// is a *FieldError named by the setting's key in a queue's section of the
// config ("ring_timeout"). Zero means the default (RingTimeout, MaxNoAnswer,
// ServiceLevel) or no limit (MaxWait, MaxLength), as the fields say.
func (q QueueConfig) Validate() error {
	var errs []error
	bad := func(field, value, format string, args ...any) {
		errs = append(errs, fielderr.Value(field, value, format, args...))
	}
	if !idPattern.MatchString(q.Name) {
		bad("name", q.Name, "must be lower-case letters, digits, _ and - (at most 63)")
	}
	if _, err := ParseStrategy(string(q.Strategy)); err != nil {
		bad("strategy", string(q.Strategy), "must be longest_idle, ring_all or round_robin")
	}
	for _, d := range []struct {
		field string
		value time.Duration
		zero  string
	}{
		{"ring_timeout", q.RingTimeout, "0: " + DefaultRingTimeout.String()},
		{"wrap_up", q.WrapUp, "0: none"},
		{"retry_delay", q.RetryDelay, "0: none"},
		{"max_wait", q.MaxWait, "0: no limit"},
		{"service_level", q.ServiceLevel, "0: " + DefaultServiceLevel.String()},
	} {
		if d.value < 0 {
			bad(d.field, d.value.String(), "must not be negative (%s)", d.zero)
		}
	}
	if q.MaxNoAnswer < 0 {
		bad("max_no_answer", strconv.Itoa(q.MaxNoAnswer), "must not be negative (0: %d)", DefaultMaxNoAnswer)
	}
	if q.MaxLength < 0 {
		bad("max_length", strconv.Itoa(q.MaxLength), "must not be negative (0: no limit)")
	}
	for i, s := range q.Skills {
		if !skillPattern.MatchString(s) {
			bad(fmt.Sprintf("skills[%d]", i), s, "skill names are lower-case letters, digits, _ and -")
		}
	}
	return fielderr.Join(errs...)
}

// Validate checks the queues and the operators, each on its own and against
// each other (names and endpoints once, operators in queues that exist),
// and returns every problem, joined; each is a *FieldError named as the
// config file has it ("queues[1].ring_timeout", "operators[0].queues").
func (c Config) Validate() error {
	var errs []error
	if len(c.Queues) == 0 {
		errs = append(errs, fielderr.Value("queues", "[]", "at least one operator queue is required"))
	}
	queues := map[string]bool{}
	for i, q := range c.Queues {
		path := fmt.Sprintf("queues[%d]", i)
		errs = append(errs, fielderr.Prefix(path, q.Validate()))
		if queues[q.Name] {
			errs = append(errs, fielderr.Value(path+".name", q.Name, "duplicate queue name"))
		}
		queues[q.Name] = true
	}
	ids := map[string]bool{}
	endpoints := map[string]string{}
	for i, o := range c.Operators {
		path := fmt.Sprintf("operators[%d]", i)
		errs = append(errs, fielderr.Prefix(path, o.Validate()))
		if ids[o.ID] {
			errs = append(errs, fielderr.Value(path+".id", o.ID, "duplicate operator id"))
		}
		ids[o.ID] = true
		if other, ok := endpoints[o.Endpoint]; ok {
			errs = append(errs, fielderr.Value(path+".endpoint", o.Endpoint, "already used by operator %s", other))
		} else {
			endpoints[o.Endpoint] = o.ID
		}
		for _, q := range o.Queues {
			if !queues[q] {
				errs = append(errs, fielderr.Value(path+".queues", q, "no such queue"))
			}
		}
	}
	return fielderr.Join(errs...)
}
