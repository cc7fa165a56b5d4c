// Package config defines the hotline's configuration schema, its defaults,
// loading (one YAML file plus HOTLINE_* environment overrides) and validation.
//
// It imports nothing of the project: domain packages get plain values from
// cmd/hotline, which translates this schema into their own types.
package config

import (
	"time"
)

// Config is the whole configuration of one hotline server.
type Config struct {
	Log        Log        `mapstructure:"log"`
	HTTP       HTTP       `mapstructure:"http"`
	Database   Database   `mapstructure:"database"`
	ARI        ARI        `mapstructure:"ari"`
	SIP        SIP        `mapstructure:"sip"`
	Calls      Calls      `mapstructure:"calls"`
	Schedule   Schedule   `mapstructure:"schedule"`
	Routing    Routing    `mapstructure:"routing"`
	Menu       Menu       `mapstructure:"menu"`
	Queues     []Queue    `mapstructure:"queues"`
	Operators  []Operator `mapstructure:"operators"`
	Appeals    Appeals    `mapstructure:"appeals"`
	Escalation Escalation `mapstructure:"escalation"`
	API        API        `mapstructure:"api"`
	ProbeCall  ProbeCall  `mapstructure:"probe_call"`
	Standby    Standby    `mapstructure:"standby"`
}

// Standby lets two serve processes share one PostgreSQL and one Asterisk:
// the one holding the lease (internal/lease) is active and drives the calls;
// the other serves health, metrics and API reads and takes over when the
// lease expires.
type Standby struct {
	Enabled  bool          `mapstructure:"enabled"`
	LeaseTTL time.Duration `mapstructure:"lease_ttl"` // a takeover comes about this long after the active process stops renewing
	Instance string        `mapstructure:"instance"`  // this process's name in the lease (default host:pid)
}

// Log selects the log format and level.
type Log struct {
	Level  string `mapstructure:"level"`  // debug, info, warn, error
	Format string `mapstructure:"format"` // text or json
}

// HTTP is the listener for health, metrics and the API.
type HTTP struct {
	Listen          string        `mapstructure:"listen"`
	ShutdownTimeout time.Duration `mapstructure:"shutdown_timeout"`
}

// Database is the PostgreSQL connection.
type Database struct {
	URL      Secret `mapstructure:"url"`
	URLFile  string `mapstructure:"url_file"`
	MaxConns int32  `mapstructure:"max_conns"`
}

// ARI is the connection to Asterisk's REST interface.
type ARI struct {
	URL            string        `mapstructure:"url"`
	WebSocketURL   string        `mapstructure:"websocket_url"` // derived from URL when empty
	Application    string        `mapstructure:"application"`
	Username       string        `mapstructure:"username"`
	Password       Secret        `mapstructure:"password"`
	PasswordFile   string        `mapstructure:"password_file"`
	RequestTimeout time.Duration `mapstructure:"request_timeout"`
	ReconnectMin   time.Duration `mapstructure:"reconnect_min"`
	ReconnectMax   time.Duration `mapstructure:"reconnect_max"`
}

// SIP configures the SIP OPTIONS probe of Asterisk's SIP stack.
type SIP struct {
	ProbeTarget    string        `mapstructure:"probe_target"` // host:port; empty disables the probe
	ProbeTransport string        `mapstructure:"probe_transport"`
	ProbeEvery     time.Duration `mapstructure:"probe_every"`
}

// Calls holds rules for every call the app takes.
type Calls struct {
	Language        string        `mapstructure:"language"`         // channel language for prompts
	ShutdownGrace   time.Duration `mapstructure:"shutdown_grace"`   // how long calls may finish on SIGTERM
	FallbackContext string        `mapstructure:"fallback_context"` // dialplan context for calls we cannot serve; empty: play line-busy and hang up
	MaxCallDuration time.Duration `mapstructure:"max_call_duration"`
	RecordBuffer    int           `mapstructure:"record_buffer"` // call-record writes kept in memory while the database is away
	// RecordStallAfter is how long a call-record write may wait before
	// /readyz reports the writer as stuck.
	RecordStallAfter time.Duration `mapstructure:"record_stall_after"`
	// DegradedDutyAlways: with no server connected, Asterisk's dialplan
	// phones the on-duty chain even in working hours (instead of ringing
	// the logged-in operators first).
	DegradedDutyAlways bool   `mapstructure:"degraded_duty_always"`
	RecordingFormat    string `mapstructure:"recording_format"`
}

// Schedule is the contact centre's working hours.
type Schedule struct {
	TimeZone   string                `mapstructure:"timezone"`
	Weekly     map[string][]Interval `mapstructure:"weekly"` // mon..sun
	Breaks     []Break               `mapstructure:"breaks"`
	Exceptions []Exception           `mapstructure:"exceptions"`
}

// Interval is a wall-clock span such as 08:00–17:00.
type Interval struct {
	From string `mapstructure:"from"`
	To   string `mapstructure:"to"`
}

// Break is a named pause inside opening hours (lunch) on the given weekdays.
type Break struct {
	Name string   `mapstructure:"name"`
	From string   `mapstructure:"from"`
	To   string   `mapstructure:"to"`
	Days []string `mapstructure:"days"`
}

// Exception changes one date: closed all day, or other hours.
type Exception struct {
	Date   string     `mapstructure:"date"` // YYYY-MM-DD
	Name   string     `mapstructure:"name"`
	Closed bool       `mapstructure:"closed"`
	Hours  []Interval `mapstructure:"hours"`
	Breaks []Interval `mapstructure:"breaks"`
}

// Routing picks the menu node a call starts at for each schedule state.
type Routing struct {
	Open   string `mapstructure:"open"`
	Break  string `mapstructure:"break"`
	Closed string `mapstructure:"closed"`
}

// Menu is the voice menu tree.
type Menu struct {
	Nodes map[string]MenuNode `mapstructure:"nodes"`
}

// MenuNode is one level of the voice menu.
type MenuNode struct {
	Prompts         []string              `mapstructure:"prompts"`
	FirstKeyTimeout time.Duration         `mapstructure:"first_key_timeout"`
	InterKeyTimeout time.Duration         `mapstructure:"inter_key_timeout"`
	MaxRetries      int                   `mapstructure:"max_retries"`
	InvalidPrompt   string                `mapstructure:"invalid_prompt"`
	NoInputPrompt   string                `mapstructure:"no_input_prompt"`
	Options         map[string]MenuAction `mapstructure:"options"`
	OnExhausted     MenuAction            `mapstructure:"on_exhausted"`
}

// MenuAction is what a key (or running out of retries) does.
type MenuAction struct {
	Action string `mapstructure:"action"` // goto, queue, operator, sos, status, message, play, repeat, back, hangup
	Node   string `mapstructure:"node"`   // for goto
	Queue  string `mapstructure:"queue"`  // for queue
	Prompt string `mapstructure:"prompt"` // for play
}

// Queue is one operator queue.
type Queue struct {
	Name                string        `mapstructure:"name"`
	Title               string        `mapstructure:"title"`
	Strategy            string        `mapstructure:"strategy"` // longest_idle, ring_all, round_robin
	RingTimeout         time.Duration `mapstructure:"ring_timeout"`
	WrapUp              time.Duration `mapstructure:"wrap_up"`
	MaxNoAnswer         int           `mapstructure:"max_no_answer"` // ring-outs in a row before auto-pause
	MaxWait             time.Duration `mapstructure:"max_wait"`
	MaxLength           int           `mapstructure:"max_length"`
	MOHClass            string        `mapstructure:"moh_class"`
	AnnounceEvery       time.Duration `mapstructure:"announce_every"`
	LeaveMessageKey     string        `mapstructure:"leave_message_key"`
	Overflow            string        `mapstructure:"overflow"` // message or after_hours
	ServiceLevel        time.Duration `mapstructure:"service_level"`
	Skills              []string      `mapstructure:"skills"`
	Record              bool          `mapstructure:"record"`
	PostCallRating      bool          `mapstructure:"post_call_rating"`
	CallerIDForOperator string        `mapstructure:"caller_id_for_operator"`
}

// Operator is a person answering calls on a SIP softphone.
type Operator struct {
	ID       string         `mapstructure:"id"`
	Name     string         `mapstructure:"name"`
	Endpoint string         `mapstructure:"endpoint"` // e.g. PJSIP/op101
	Queues   []string       `mapstructure:"queues"`
	Skills   map[string]int `mapstructure:"skills"` // skill → penalty (0 best)
}

// Appeals configures appeal cards (звернення).
type Appeals struct {
	NumberFormat      string        `mapstructure:"number_format"` // Go template: {{.Year}} and {{.Seq}}
	SeqDigits         int           `mapstructure:"seq_digits"`
	SpokenPart        string        `mapstructure:"spoken_part"` // seq or full
	AcceptWithin      time.Duration `mapstructure:"accept_within"`
	AcceptWithinSOS   time.Duration `mapstructure:"accept_within_sos"`
	MaxResolution     time.Duration `mapstructure:"max_resolution"`
	OverdueCheckEvery time.Duration `mapstructure:"overdue_check_every"`
	SOSWebhookURL     string        `mapstructure:"sos_webhook_url"`
	Categories        []Category    `mapstructure:"categories"`
	Executors         []Executor    `mapstructure:"executors"`
}

// Category is one entry of the appeals classifier.
type Category struct {
	Code            string        `mapstructure:"code"`
	Title           string        `mapstructure:"title"`
	Prompt          string        `mapstructure:"prompt"`
	DefaultPriority string        `mapstructure:"default_priority"` // sos, ordinary, medium, long
	Executor        string        `mapstructure:"executor"`
	AcceptWithin    time.Duration `mapstructure:"accept_within"`
	ResolveWithin   time.Duration `mapstructure:"resolve_within"`
	TimeBasis       string        `mapstructure:"time_basis"` // working or calendar
	Housing         bool          `mapstructure:"housing"`    // SOS housing appeals are escalated after hours
}

// Executor is a department or municipal company that carries appeals out.
type Executor struct {
	Code  string `mapstructure:"code"`
	Title string `mapstructure:"title"`
}

// Escalation configures after-hours SOS calls to the on-duty person.
type Escalation struct {
	Enabled          bool          `mapstructure:"enabled"`
	CallerID         string        `mapstructure:"caller_id"`
	TrunkEndpoint    string        `mapstructure:"trunk_endpoint"` // printf pattern for external numbers, e.g. PJSIP/%s@trunk
	RingTimeout      time.Duration `mapstructure:"ring_timeout"`
	AckTimeout       time.Duration `mapstructure:"ack_timeout"` // counted from the answer, the prompts included
	AttemptsPerDuty  int           `mapstructure:"attempts_per_person"`
	RetryDelay       time.Duration `mapstructure:"retry_delay"`
	MaxRounds        int           `mapstructure:"max_rounds"`
	KeepCallerOnLine bool          `mapstructure:"keep_caller_on_line"`
	RecordMax        time.Duration `mapstructure:"record_max"`
	RecordSilence    time.Duration `mapstructure:"record_silence"`
	// RecordRetries is how many times more an empty recording is asked for
	// ("we did not hear you"), 0 for none.
	RecordRetries int `mapstructure:"record_retries"`
	// DialWithin bounds the time from the SOS key to the first call to the
	// person on duty, whatever the caller's audio does; RecordMax and
	// RecordRetries are validated against it (SOSWorstWait).
	DialWithin time.Duration `mapstructure:"dial_within"`
	Roster     []DutyShift   `mapstructure:"roster"`
}

// The time the SOS dialogue's own prompts may take around the recordings,
// counted in SOSWorstWait: sos-intro before the first recording, and for
// each recording sos-record, the beep and, when it comes back empty,
// recording-empty. The shipped sounds take 5.6 s and 8.6 s
// (asterisk/deploy_test.go checks they fit); a studio's recording of them
// must too.
const (
	SOSIntroPromptTime   = 8 * time.Second
	SOSAttemptPromptTime = 10 * time.Second
)

// SOSWorstWait is the longest an after-hours SOS caller can be kept before
// the escalation starts and the person on duty is phoned: when no audio of
// theirs reaches Asterisk its silence detection never fires, so every
// recording runs to RecordMax and comes back empty, and is asked for again
// RecordRetries times, with the prompts around each.
func (e Escalation) SOSWorstWait() time.Duration {
	attempts := time.Duration(max(e.RecordRetries, 0) + 1)
	return SOSIntroPromptTime + attempts*(SOSAttemptPromptTime+e.RecordMax)
}

// DutyShift is who is on duty for a period, in the order they are called.
type DutyShift struct {
	From   string       `mapstructure:"from"` // RFC 3339, or empty for "always" (a standing chain)
	To     string       `mapstructure:"to"`
	People []DutyPerson `mapstructure:"people"`
}

// DutyPerson is one link of the on-duty chain.
type DutyPerson struct {
	Name  string `mapstructure:"name"`
	Phone string `mapstructure:"phone"` // a SIP endpoint (PJSIP/duty1) or an external number
}

// API configures the HTTP API's bearer tokens.
type API struct {
	Tokens     []Token `mapstructure:"tokens"`
	TokensFile string  `mapstructure:"tokens_file"`
}

// Token grants a user a role; an executor's token is bound to its organisation.
type Token struct {
	User     string `mapstructure:"user"`
	Role     string `mapstructure:"role"` // operator, executor, supervisor, admin
	Executor string `mapstructure:"executor"`
	Token    Secret `mapstructure:"token"`
}

// Secret is a string that never prints: logs and error messages show it redacted.
type Secret string

// String redacts the secret.
func (s Secret) String() string {
	if s == "" {
		return ""
	}
	return "[redacted]"
}

// GoString redacts the secret in %#v.
func (s Secret) GoString() string { return s.String() }

// MarshalText redacts the secret when the config is encoded.
func (s Secret) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// Reveal returns the secret's value, for the one place that needs it.
func (s Secret) Reveal() string { return string(s) }
