package config

import (
	"time"

	"github.com/spf13/viper"
)

// Defaults of scalar keys; lists (menu, queues, categories) come from the file.
var defaults = map[string]any{
	"log.level":                      "info",
	"log.format":                     "text",
	"http.listen":                    "127.0.0.1:8080",
	"http.shutdown_timeout":          10 * time.Second,
	"database.max_conns":             10,
	"ari.url":                        "http://127.0.0.1:8088/ari",
	"ari.application":                "hotline",
	"ari.username":                   "hotline",
	"ari.request_timeout":            5 * time.Second,
	"ari.reconnect_min":              500 * time.Millisecond,
	"ari.reconnect_max":              30 * time.Second,
	"sip.probe_target":               "127.0.0.1:5060",
	"sip.probe_transport":            "udp",
	"sip.probe_every":                30 * time.Second,
	"calls.language":                 "uk",
	"calls.shutdown_grace":           2 * time.Minute,
	"calls.max_call_duration":        2 * time.Hour,
	"calls.record_buffer":            10000,
	"calls.record_stall_after":       30 * time.Second,
	"calls.degraded_duty_always":     false,
	"standby.enabled":                false,
	"standby.lease_ttl":              3 * time.Second,
	"calls.recording_format":         "wav",
	"schedule.timezone":              "Europe/Kyiv",
	"routing.open":                   "main",
	"routing.break":                  "lunch",
	"routing.closed":                 "after_hours",
	"appeals.number_format":          "{{.Year}}-{{.Seq}}",
	"appeals.seq_digits":             6,
	"appeals.spoken_part":            "seq",
	"appeals.accept_within":          2 * time.Hour,
	"appeals.accept_within_sos":      30 * time.Minute,
	"appeals.max_resolution":         45 * 24 * time.Hour,
	"appeals.overdue_check_every":    time.Minute,
	"escalation.enabled":             true,
	"escalation.trunk_endpoint":      "PJSIP/%s@trunk",
	"escalation.ring_timeout":        30 * time.Second,
	"escalation.ack_timeout":         60 * time.Second,
	"escalation.attempts_per_person": 2,
	"escalation.retry_delay":         time.Minute,
	"escalation.max_rounds":          0,
	"escalation.record_max":          30 * time.Second,
	"escalation.record_silence":      5 * time.Second,
	"escalation.record_retries":      1,
	"escalation.dial_within":         90 * time.Second,
	"probe_call.number":              "1580",
	"probe_call.username":            "monitor",
	"probe_call.keys":                "4",
	"probe_call.every":               5 * time.Minute,
	"probe_call.answer_timeout":      10 * time.Second,
	"probe_call.first_audio_timeout": 10 * time.Second,
	"probe_call.key_silence":         time.Second,
	"probe_call.key_wait":            20 * time.Second,
	"probe_call.after_keys_timeout":  5 * time.Second,
	"probe_call.threshold_dbfs":      -45.0,
	"probe_call.max_duration":        60 * time.Second,
}

// Per-item defaults applied after decoding, where a list item leaves a field out.
const (
	defaultFirstKeyTimeout = 6 * time.Second
	defaultInterKeyTimeout = 3 * time.Second
	defaultMaxRetries      = 3
	defaultRingTimeout     = 15 * time.Second
	defaultWrapUp          = 10 * time.Second
	defaultMaxNoAnswer     = 3
	defaultServiceLevel    = 20 * time.Second
	defaultAnnounceEvery   = 45 * time.Second
	defaultMaxWait         = 15 * time.Minute
	defaultMaxLength       = 50
)

func setDefaults(v *viper.Viper) {
	for k, val := range defaults {
		v.SetDefault(k, val)
	}
}

// applyItemDefaults fills list items' zero fields with the documented defaults.
func (c *Config) applyItemDefaults() {
	for name, n := range c.Menu.Nodes {
		if n.FirstKeyTimeout == 0 {
			n.FirstKeyTimeout = defaultFirstKeyTimeout
		}
		if n.InterKeyTimeout == 0 {
			n.InterKeyTimeout = defaultInterKeyTimeout
		}
		if n.MaxRetries == 0 {
			n.MaxRetries = defaultMaxRetries
		}
		if n.OnExhausted.Action == "" {
			n.OnExhausted = MenuAction{Action: "operator"}
		}
		c.Menu.Nodes[name] = n
	}
	for i := range c.Queues {
		q := &c.Queues[i]
		if q.Strategy == "" {
			q.Strategy = "longest_idle"
		}
		if q.RingTimeout == 0 {
			q.RingTimeout = defaultRingTimeout
		}
		if q.WrapUp == 0 {
			q.WrapUp = defaultWrapUp
		}
		if q.MaxNoAnswer == 0 {
			q.MaxNoAnswer = defaultMaxNoAnswer
		}
		if q.ServiceLevel == 0 {
			q.ServiceLevel = defaultServiceLevel
		}
		if q.AnnounceEvery == 0 {
			q.AnnounceEvery = defaultAnnounceEvery
		}
		if q.MaxWait == 0 {
			q.MaxWait = defaultMaxWait
		}
		if q.MaxLength == 0 {
			q.MaxLength = defaultMaxLength
		}
		if q.MOHClass == "" {
			q.MOHClass = "default"
		}
		if q.Overflow == "" {
			q.Overflow = "message"
		}
	}
	for i := range c.Appeals.Categories {
		cat := &c.Appeals.Categories[i]
		if cat.TimeBasis == "" {
			cat.TimeBasis = "working"
		}
		if cat.DefaultPriority == "" {
			cat.DefaultPriority = "ordinary"
		}
	}
}
