package config

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
	_ "time/tzdata" // time zones resolve on hosts without a tz database

	"github.com/slobozhanske/hotline/appeals"
	"github.com/slobozhanske/hotline/internal/fielderr"
	"github.com/slobozhanske/hotline/telephony/escalation"
	"github.com/slobozhanske/hotline/telephony/queue"
	"github.com/slobozhanske/hotline/telephony/schedule"
)

// Regulatory cap on resolution time (the city procedure: at most 45 days).
const maxResolutionCap = 45 * 24 * time.Hour

var (
	namePattern     = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,62}$`)
	endpointPattern = regexp.MustCompile(`^[A-Za-z0-9]+/[^\s/][^\s]*$`)
	dtmfKeyPattern  = regexp.MustCompile(`^[0-9*#]$`)
	weekdays        = []string{"mon", "tue", "wed", "thu", "fri", "sat", "sun"}
	menuActions     = set("goto", "queue", "operator", "sos", "status", "message", "play", "repeat", "back", "hangup")
	overflows       = set("message", "after_hours")
	roles           = set("operator", "executor", "supervisor", "admin")
)

func set(items ...string) map[string]bool {
	m := make(map[string]bool, len(items))
	for _, it := range items {
		m[it] = true
	}
	return m
}

type checker struct{ problems []Problem }

func (c *checker) add(path, value, format string, args ...any) {
	c.problems = append(c.problems, Problem{Path: path, Value: value, Message: fmt.Sprintf(format, args...)})
}

// delegate adds the problems a domain's own validator found in the section
// at path: the domain owns those rules (the config only checks that the
// keys parse and that references resolve), and its field names are the
// section's keys, so the problems name the keys as the file has them.
func (c *checker) delegate(path string, err error) {
	for _, fe := range fielderr.All(fielderr.Prefix(path, err)) {
		c.problems = append(c.problems, Problem{Path: fe.Field, Value: fe.Value, Message: fe.Message})
	}
	if err != nil && len(fielderr.All(err)) == 0 {
		c.problems = append(c.problems, Problem{Path: path, Message: err.Error()})
	}
}

func (c *checker) positive(path string, d time.Duration) {
	if d <= 0 {
		c.add(path, d.String(), "must be a positive duration")
	}
}

func (c *checker) oneOf(path, value string, allowed map[string]bool) {
	if !allowed[value] {
		keys := make([]string, 0, len(allowed))
		for k := range allowed {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		c.add(path, value, "must be one of %s", strings.Join(keys, ", "))
	}
}

// Validate checks the whole configuration and returns every problem found.
// Secrets are not required here: the server checks at start that it has them,
// so a file can be validated on a machine that does not hold the secrets.
func (c *Config) Validate() []Problem {
	var ch checker
	c.validateBasics(&ch)
	c.validateSchedule(&ch)
	c.validateMenu(&ch)
	c.validateQueues(&ch)
	c.validateAppeals(&ch)
	c.validateEscalation(&ch)
	c.validateAPI(&ch)
	c.validateProbeCall(&ch)
	return ch.problems
}

// MissingSecrets names the secrets the server needs to run but that are not set.
func (c *Config) MissingSecrets() []Problem {
	var ch checker
	if c.Database.URL == "" {
		ch.add("database.url", "", "not set: set HOTLINE_DATABASE_URL or database.url_file")
	}
	if c.ARI.Password == "" {
		ch.add("ari.password", "", "not set: set HOTLINE_ARI_PASSWORD or ari.password_file")
	}
	if c.ProbeCall.Target != "" && c.ProbeCall.Password == "" {
		ch.add("probe_call.password", "", "not set: set HOTLINE_PROBE_CALL_PASSWORD or probe_call.password_file (or empty probe_call.target)")
	}
	return ch.problems
}

func (c *Config) validateBasics(ch *checker) {
	ch.oneOf("log.level", c.Log.Level, set("debug", "info", "warn", "error"))
	ch.oneOf("log.format", c.Log.Format, set("text", "json"))
	if _, port, err := net.SplitHostPort(c.HTTP.Listen); err != nil {
		ch.add("http.listen", c.HTTP.Listen, "must be host:port")
	} else if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		ch.add("http.listen", c.HTTP.Listen, "port must be 0–65535")
	}
	ch.positive("http.shutdown_timeout", c.HTTP.ShutdownTimeout)
	if c.Database.MaxConns < 1 {
		ch.add("database.max_conns", strconv.Itoa(int(c.Database.MaxConns)), "must be at least 1")
	}
	if c.Database.URL != "" {
		if u, err := url.Parse(c.Database.URL.Reveal()); err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
			ch.add("database.url", "", "must be a postgres:// URL")
		}
	}
	for _, k := range []struct{ path, value string }{{"ari.url", c.ARI.URL}, {"ari.websocket_url", c.ARI.WebSocketURL}} {
		u, err := url.Parse(k.value)
		if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https" && u.Scheme != "ws" && u.Scheme != "wss") {
			ch.add(k.path, k.value, "must be an http(s):// or ws(s):// URL with a host")
		}
	}
	if !regexp.MustCompile(`^[A-Za-z0-9_.-]+$`).MatchString(c.ARI.Application) {
		ch.add("ari.application", c.ARI.Application, "must be a Stasis application name (letters, digits, _ . -)")
	}
	if c.ARI.Username == "" {
		ch.add("ari.username", "", "must be set")
	}
	ch.positive("ari.request_timeout", c.ARI.RequestTimeout)
	ch.positive("ari.reconnect_min", c.ARI.ReconnectMin)
	if c.ARI.ReconnectMax < c.ARI.ReconnectMin {
		ch.add("ari.reconnect_max", c.ARI.ReconnectMax.String(), "must not be less than ari.reconnect_min")
	}
	if c.SIP.ProbeTarget != "" {
		if _, port, err := net.SplitHostPort(c.SIP.ProbeTarget); err != nil || port == "" {
			ch.add("sip.probe_target", c.SIP.ProbeTarget, "must be host:port (empty disables the probe)")
		}
		ch.oneOf("sip.probe_transport", c.SIP.ProbeTransport, set("udp", "tcp"))
		ch.positive("sip.probe_every", c.SIP.ProbeEvery)
	}
	if c.Calls.Language == "" {
		ch.add("calls.language", "", "must be set (e.g. uk)")
	}
	if c.Calls.ShutdownGrace < 0 {
		ch.add("calls.shutdown_grace", c.Calls.ShutdownGrace.String(), "must not be negative")
	}
	ch.positive("calls.max_call_duration", c.Calls.MaxCallDuration)
	if c.Calls.RecordBuffer < 1 {
		ch.add("calls.record_buffer", strconv.Itoa(c.Calls.RecordBuffer), "must be at least 1")
	}
	ch.positive("calls.record_stall_after", c.Calls.RecordStallAfter)
	if c.Standby.Enabled && (c.Standby.LeaseTTL < time.Second || c.Standby.LeaseTTL > time.Minute) {
		ch.add("standby.lease_ttl", c.Standby.LeaseTTL.String(), "must be between 1s and 1m (a takeover comes about this long after the active server stops)")
	}
	ch.oneOf("calls.recording_format", c.Calls.RecordingFormat, set("wav", "gsm", "ulaw", "alaw", "sln16"))
}

func (c *Config) validateSchedule(ch *checker) {
	// The schedule owns its rules (times, overlaps, breaks inside the
	// hours, exception dates: schedule.New); the config checks only that
	// the weekday keys name weekdays, which its translation needs.
	known := set(weekdays...)
	unknown := false
	for day := range c.Schedule.Weekly {
		if !known[day] {
			ch.add("schedule.weekly."+day, day, "unknown weekday (use mon…sun)")
			unknown = true
		}
	}
	for i, b := range c.Schedule.Breaks {
		for j, d := range b.Days {
			if !known[d] {
				ch.add(fmt.Sprintf("schedule.breaks[%d].days[%d]", i, j), d, "unknown weekday (use mon…sun)")
				unknown = true
			}
		}
	}
	if unknown {
		return // the section cannot be translated faithfully: its paths would not match the file's
	}
	_, err := schedule.New(c.ScheduleConfig())
	ch.delegate("schedule", err)
}

// ScheduleConfig is the schedule section as the schedule package takes it
// (schedule.New validates it, the config check included). Weekday keys
// other than mon…sun are left out: Validate names them.
func (c *Config) ScheduleConfig() schedule.Config {
	s := c.Schedule
	sc := schedule.Config{TimeZone: s.TimeZone, Weekly: map[time.Weekday][]schedule.Interval{}}
	for day, ivs := range s.Weekly {
		wd, ok := weekday(day)
		if !ok {
			continue
		}
		for _, iv := range ivs {
			sc.Weekly[wd] = append(sc.Weekly[wd], schedule.Interval{From: iv.From, To: iv.To})
		}
	}
	for _, b := range s.Breaks {
		br := schedule.Break{Name: b.Name, From: b.From, To: b.To}
		for _, d := range b.Days {
			if wd, ok := weekday(d); ok {
				br.Days = append(br.Days, wd)
			}
		}
		sc.Breaks = append(sc.Breaks, br)
	}
	sc.Exceptions = ScheduleExceptions(s.Exceptions)
	return sc
}

// ScheduleExceptions translates the configuration's dated exceptions.
func ScheduleExceptions(in []Exception) []schedule.Exception {
	out := make([]schedule.Exception, 0, len(in))
	for _, e := range in {
		ex := schedule.Exception{Date: e.Date, Name: e.Name, Closed: e.Closed}
		for _, iv := range e.Hours {
			ex.Hours = append(ex.Hours, schedule.Interval{From: iv.From, To: iv.To})
		}
		for _, iv := range e.Breaks {
			ex.Breaks = append(ex.Breaks, schedule.Break{Name: "перерва", From: iv.From, To: iv.To})
		}
		out = append(out, ex)
	}
	return out
}

// weekday reads a configuration weekday key: mon…sun only.
func weekday(key string) (time.Weekday, bool) {
	if !slices.Contains(weekdays, key) {
		return 0, false
	}
	wd, err := schedule.ParseWeekday(key)
	return wd, err == nil
}

func (c *Config) queueNames() map[string]bool {
	names := map[string]bool{}
	for _, q := range c.Queues {
		names[q.Name] = true
	}
	return names
}

func (c *Config) validateMenu(ch *checker) {
	if len(c.Menu.Nodes) == 0 {
		ch.add("menu.nodes", "", "must define at least one node")
	}
	for _, r := range []struct{ path, node string }{{"routing.open", c.Routing.Open}, {"routing.break", c.Routing.Break}, {"routing.closed", c.Routing.Closed}} {
		if _, ok := c.Menu.Nodes[r.node]; !ok {
			ch.add(r.path, r.node, "no such menu node")
		}
	}
	queues := c.queueNames()
	names := make([]string, 0, len(c.Menu.Nodes))
	for name := range c.Menu.Nodes {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		n := c.Menu.Nodes[name]
		path := "menu.nodes." + name
		if !namePattern.MatchString(name) {
			ch.add(path, name, "node names are lower-case letters, digits, _ and -")
		}
		if len(n.Prompts) == 0 {
			ch.add(path+".prompts", "", "must list at least one prompt")
		}
		ch.positive(path+".first_key_timeout", n.FirstKeyTimeout)
		ch.positive(path+".inter_key_timeout", n.InterKeyTimeout)
		if n.MaxRetries < 1 || n.MaxRetries > 10 {
			ch.add(path+".max_retries", strconv.Itoa(n.MaxRetries), "must be 1–10")
		}
		for key, a := range n.Options {
			if !dtmfKeyPattern.MatchString(key) {
				ch.add(path+".options."+key, key, "an option key is one of 0–9, * or #")
			}
			c.validateAction(ch, path+".options."+key, a, queues)
		}
		c.validateAction(ch, path+".on_exhausted", n.OnExhausted, queues)
	}
}

func (c *Config) validateAction(ch *checker, path string, a MenuAction, queues map[string]bool) {
	ch.oneOf(path+".action", a.Action, menuActions)
	switch a.Action {
	case "goto":
		if _, ok := c.Menu.Nodes[a.Node]; !ok {
			ch.add(path+".node", a.Node, "no such menu node")
		}
	case "queue":
		if !queues[a.Queue] {
			ch.add(path+".queue", a.Queue, "no such queue")
		}
	case "operator", "message", "sos":
		if len(c.Queues) == 0 && a.Action == "operator" {
			ch.add(path, a.Action, "no queues are configured")
		}
	case "play":
		if a.Prompt == "" {
			ch.add(path+".prompt", "", "play needs a prompt")
		}
	}
}

func (c *Config) validateQueues(ch *checker) {
	// The dispatcher owns the queues' and operators' rules (names, timings,
	// operators in queues that exist; queue.Config.Validate), at least one
	// queue among them: the menu's callers go to the first queue when their
	// retries run out, and SOS in working hours. What callers hear is the
	// config's to check.
	ch.delegate("", c.Dispatcher().Validate())
	for i, q := range c.Queues {
		path := fmt.Sprintf("queues[%d]", i)
		ch.oneOf(path+".overflow", q.Overflow, overflows)
		ch.positive(path+".announce_every", q.AnnounceEvery)
		if q.LeaveMessageKey != "" && !dtmfKeyPattern.MatchString(q.LeaveMessageKey) {
			ch.add(path+".leave_message_key", q.LeaveMessageKey, "must be one of 0–9, * or #")
		}
	}
}

// Dispatcher is the dispatcher's part of the queues and operators sections;
// the dispatcher validates it (queue.Config.Validate), the config check
// included.
func (c *Config) Dispatcher() queue.Config {
	var qc queue.Config
	for _, q := range c.Queues {
		qc.Queues = append(qc.Queues, queue.QueueConfig{
			Name: q.Name, Title: q.Title, Strategy: queue.Strategy(q.Strategy),
			RingTimeout: q.RingTimeout, WrapUp: q.WrapUp, MaxNoAnswer: q.MaxNoAnswer,
			MaxWait: q.MaxWait, MaxLength: q.MaxLength, ServiceLevel: q.ServiceLevel, Skills: q.Skills,
		})
	}
	for _, o := range c.Operators {
		qc.Operators = append(qc.Operators, queue.Operator{ID: o.ID, Name: o.Name, Endpoint: o.Endpoint,
			Queues: o.Queues, Skills: o.Skills})
	}
	return qc
}

func (c *Config) validateAppeals(ch *checker) {
	a := c.Appeals
	// The appeals rules own the section's rules (numbering, terms, the
	// classifier; appeals.Config.Validate). A zero term there means the
	// default, so an explicit 0s is the config's to refuse, as is the
	// regulatory cap and what only the server uses.
	ac := c.AppealsConfig()
	if _, err := time.LoadLocation(ac.TimeZone); err != nil {
		ac.TimeZone = "" // the file's key is schedule.timezone, named by the schedule's check
	}
	ch.delegate("appeals", ac.Validate())
	for _, d := range []struct {
		path string
		d    time.Duration
	}{{"appeals.accept_within", a.AcceptWithin}, {"appeals.accept_within_sos", a.AcceptWithinSOS}, {"appeals.max_resolution", a.MaxResolution}} {
		if d.d == 0 {
			ch.positive(d.path, d.d)
		}
	}
	if a.MaxResolution > maxResolutionCap {
		ch.add("appeals.max_resolution", a.MaxResolution.String(), "the regulations cap resolution at 45 days (1080h)")
	}
	ch.positive("appeals.overdue_check_every", a.OverdueCheckEvery)
	if a.SOSWebhookURL != "" {
		if u, err := url.Parse(a.SOSWebhookURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			ch.add("appeals.sos_webhook_url", a.SOSWebhookURL, "must be an http(s) URL")
		}
	}
}

// AppealsConfig is the appeals rules' part of the appeals section (and the
// schedule's time zone); the appeals package validates it
// (appeals.Config.Validate), the config check included.
func (c *Config) AppealsConfig() appeals.Config {
	a := c.Appeals
	ac := appeals.DefaultConfig()
	ac.TimeZone = c.Schedule.TimeZone
	ac.NumberFormat, ac.SeqDigits, ac.SpokenPart = a.NumberFormat, a.SeqDigits, a.SpokenPart
	ac.AcceptWithin, ac.AcceptWithinSOS, ac.MaxResolution = a.AcceptWithin, a.AcceptWithinSOS, a.MaxResolution
	ac.Executors, ac.Categories = nil, nil
	for _, e := range a.Executors {
		ac.Executors = append(ac.Executors, appeals.Executor{Code: e.Code, Title: e.Title})
	}
	for _, k := range a.Categories {
		ac.Categories = append(ac.Categories, appeals.Category{
			Code: k.Code, Title: k.Title, Prompt: k.Prompt, DefaultPriority: appeals.Priority(k.DefaultPriority),
			Executor: k.Executor, AcceptWithin: k.AcceptWithin, ResolveWithin: k.ResolveWithin,
			TimeBasis: appeals.TimeBasis(k.TimeBasis), Housing: k.Housing,
		})
	}
	return ac
}

func (c *Config) validateEscalation(ch *checker) {
	e := c.Escalation
	// The hotline phones numbers through the trunk, so the trunk is
	// required here; the engine checks the endpoint's form (Settings).
	if e.TrunkEndpoint == "" {
		ch.add("escalation.trunk_endpoint", "", "must be set, with %%s where the number goes, e.g. PJSIP/%%s@trunk")
	}
	ch.delegate("escalation", e.Settings().Validate())
	ch.positive("escalation.record_max", e.RecordMax)
	ch.positive("escalation.record_silence", e.RecordSilence)
	ch.positive("escalation.dial_within", e.DialWithin)
	if e.RecordRetries < 0 {
		ch.add("escalation.record_retries", strconv.Itoa(e.RecordRetries), "must not be negative (0: an empty recording is not asked for again)")
	}
	// The regulations want the person on duty phoned at once; a caller whose
	// audio never reaches Asterisk must not hold that up for recordings that
	// can never end early.
	if e.RecordMax > 0 && e.DialWithin > 0 && e.RecordRetries >= 0 {
		if worst := e.SOSWorstWait(); worst > e.DialWithin {
			attempts := time.Duration(e.RecordRetries + 1)
			fit := ((e.DialWithin-SOSIntroPromptTime)/attempts - SOSAttemptPromptTime).Truncate(time.Second)
			advice := fmt.Sprintf("make record_max at most %s or record_retries fewer", fit)
			if fit <= 0 {
				advice = "make record_retries fewer"
			}
			ch.add("escalation.record_max", e.RecordMax.String(),
				"with record_retries %d a caller whose audio never reaches Asterisk waits %s (%d recordings to the limit and the prompts) before the person on duty is phoned, more than escalation.dial_within %s: %s",
				e.RecordRetries, worst, e.RecordRetries+1, e.DialWithin, advice)
		}
	}
	_, err := e.DutyRoster()
	ch.delegate("escalation", err)
	if e.Enabled && len(e.Roster) == 0 {
		ch.add("escalation.roster", "", "escalation is enabled but nobody is on duty")
	}
}

func (c *Config) validateAPI(ch *checker) {
	executors := map[string]bool{}
	for _, e := range c.Appeals.Executors {
		executors[e.Code] = true
	}
	seen := map[string]bool{}
	for i, t := range c.API.Tokens {
		path := fmt.Sprintf("api.tokens[%d]", i)
		if t.User == "" {
			ch.add(path+".user", "", "must be set")
		}
		ch.oneOf(path+".role", t.Role, roles)
		if len(t.Token.Reveal()) < 16 {
			ch.add(path+".token", "", "must be at least 16 characters")
		}
		if seen[t.Token.Reveal()] {
			ch.add(path+".token", "", "the same token is given twice")
		}
		seen[t.Token.Reveal()] = true
		if t.Role == "executor" && !executors[t.Executor] {
			ch.add(path+".executor", t.Executor, "an executor's token names an organisation from appeals.executors")
		}
	}
}

// Settings are the escalation engine's settings from this section; the
// engine validates them (escalation.Settings.Validate), the config check
// included, so each rule is written once.
// DutyRoster is the roster that seeds the duty database on first start,
// as the escalation engine takes it; the engine validates each shift
// (escalation.ParseShift), and each problem names roster[i]… in the
// section.
func (e Escalation) DutyRoster() ([]escalation.Shift, error) {
	var roster []escalation.Shift
	var errs []error
	for i, sh := range e.Roster {
		people := make([]escalation.Person, 0, len(sh.People))
		for _, p := range sh.People {
			people = append(people, escalation.Person{Name: p.Name, Phone: p.Phone})
		}
		shift, err := escalation.ParseShift(sh.From, sh.To, people)
		if err != nil {
			errs = append(errs, fielderr.Prefix(fmt.Sprintf("roster[%d]", i), err))
			continue
		}
		roster = append(roster, shift)
	}
	return roster, errors.Join(errs...)
}

// Settings is the engine's settings from the section (escalation.Settings.Validate checks them).
func (e Escalation) Settings() escalation.Settings {
	return escalation.Settings{
		CallerID: e.CallerID, TrunkEndpoint: e.TrunkEndpoint, RingTimeout: e.RingTimeout, AckTimeout: e.AckTimeout,
		AttemptsPerPerson: e.AttemptsPerDuty, RetryDelay: e.RetryDelay, MaxRounds: e.MaxRounds,
	}
}
