package config

import (
	"net"
	"net/netip"
	"regexp"
	"strconv"
	"time"
)

// ProbeCall is the synthetic call to the hotline (telephony/sipcall): from
// the server's host, every Every, through Asterisk's SIP, like a resident;
// hotline probe-call places one on demand and hotline loadcall many.
type ProbeCall struct {
	// Target is Asterisk's SIP transport, host:port (UDP); empty: no probe
	// calls from hotline serve.
	Target string `mapstructure:"target"`
	// Number is dialled in Asterisk's context of the endpoint (the
	// hotline's internal number, extensions.conf [monitor]).
	Number string `mapstructure:"number"`
	// Username is the endpoint and digest user (pjsip.conf [monitor]);
	// the password comes from HOTLINE_PROBE_CALL_PASSWORD or PasswordFile.
	Username     string `mapstructure:"username"`
	Password     Secret `mapstructure:"password"`
	PasswordFile string `mapstructure:"password_file"`
	// Keys are pressed once the greeting is over (4: information).
	Keys string `mapstructure:"keys"`
	// Every is how often hotline serve calls; 0: never (on demand only).
	Every             time.Duration `mapstructure:"every"`
	AnswerTimeout     time.Duration `mapstructure:"answer_timeout"`
	FirstAudioTimeout time.Duration `mapstructure:"first_audio_timeout"`
	KeySilence        time.Duration `mapstructure:"key_silence"`
	KeyWait           time.Duration `mapstructure:"key_wait"`
	AfterKeysTimeout  time.Duration `mapstructure:"after_keys_timeout"`
	// AudioThreshold is the RMS level over 20 ms, in dBFS, above which the
	// probe counts a frame as audio.
	AudioThreshold float64       `mapstructure:"threshold_dbfs"`
	MaxDuration    time.Duration `mapstructure:"max_duration"`
	// LoadcallNetworks are networks (CIDR) hotline loadcall may call
	// besides loopback: the test systems'.
	LoadcallNetworks []string `mapstructure:"loadcall_networks"`
}

// LoadcallPrefixes are LoadcallNetworks parsed (validated at load).
func (p ProbeCall) LoadcallPrefixes() []netip.Prefix {
	var out []netip.Prefix
	for _, n := range p.LoadcallNetworks {
		if pf, err := netip.ParsePrefix(n); err == nil {
			out = append(out, pf.Masked())
		}
	}
	return out
}

var (
	dialledPattern = regexp.MustCompile(`^[0-9A-Za-z*#+_.-]{1,64}$`)
	sipUserPattern = regexp.MustCompile(`^[A-Za-z0-9_.!~*'()-]{1,64}$`)
	dtmfKeys       = regexp.MustCompile(`^[0-9*#A-D]{0,32}$`)
)

func (c *Config) validateProbeCall(ch *checker) {
	p := c.ProbeCall
	if p.Target != "" {
		host, port, err := net.SplitHostPort(p.Target)
		if n, perr := strconv.Atoi(port); err != nil || host == "" || perr != nil || n < 1 || n > 65535 {
			ch.add("probe_call.target", p.Target, "must be host:port of Asterisk's SIP over UDP (empty: no probe calls)")
		}
	}
	if !dialledPattern.MatchString(p.Number) {
		ch.add("probe_call.number", p.Number, "must be the number to dial (digits, letters, * # +)")
	}
	if !sipUserPattern.MatchString(p.Username) {
		ch.add("probe_call.username", p.Username, "must be a SIP user name (the endpoint in asterisk/pjsip.conf)")
	}
	if !dtmfKeys.MatchString(p.Keys) {
		ch.add("probe_call.keys", p.Keys, "must be DTMF keys (0-9 * # A-D), at most 32; empty: none")
	}
	if p.Every < 0 {
		ch.add("probe_call.every", p.Every.String(), "must not be negative (0: no periodic probe calls)")
	}
	for _, k := range []struct {
		path string
		d    time.Duration
	}{{"probe_call.answer_timeout", p.AnswerTimeout}, {"probe_call.first_audio_timeout", p.FirstAudioTimeout},
		{"probe_call.key_silence", p.KeySilence}, {"probe_call.key_wait", p.KeyWait},
		{"probe_call.after_keys_timeout", p.AfterKeysTimeout}, {"probe_call.max_duration", p.MaxDuration}} {
		ch.positive(k.path, k.d)
	}
	if p.AudioThreshold >= 0 || p.AudioThreshold < -90 {
		ch.add("probe_call.threshold_dbfs", strconv.FormatFloat(p.AudioThreshold, 'g', -1, 64), "must be between -90 and 0 (dBFS)")
	}
	// The steps of one call must fit its bound, and calls must not overlap.
	if steps := p.AnswerTimeout + p.FirstAudioTimeout + p.KeyWait + p.AfterKeysTimeout; p.MaxDuration > 0 && steps > p.MaxDuration {
		ch.add("probe_call.max_duration", p.MaxDuration.String(),
			"must be at least answer_timeout + first_audio_timeout + key_wait + after_keys_timeout (%s)", steps)
	}
	if p.Every > 0 && p.Every < p.MaxDuration {
		ch.add("probe_call.every", p.Every.String(), "must be at least probe_call.max_duration %s, so probe calls never overlap", p.MaxDuration)
	}
	for i, n := range p.LoadcallNetworks {
		if _, err := netip.ParsePrefix(n); err != nil {
			ch.add("probe_call.loadcall_networks["+strconv.Itoa(i)+"]", n, "must be a network in CIDR notation (192.0.2.0/24)")
		}
	}
}
