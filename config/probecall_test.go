package config_test

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/slobozhanske/hotline/config"
)

// The probe call's defaults, its password from the environment or a file,
// and bad values named by key.
func TestProbeCallConfig(t *testing.T) {
	cfg, err := config.Load("hotline.yaml")
	if err != nil {
		t.Fatal(err)
	}
	p := cfg.ProbeCall
	if p.Target != "" || p.Number != "1580" || p.Username != "monitor" || p.Keys != "4" || p.Every != 5*time.Minute || p.AudioThreshold != -45 {
		t.Errorf("shipped probe_call: %+v", p)
	}
	for _, m := range cfg.MissingSecrets() {
		if m.Path == "probe_call.password" {
			t.Errorf("no target, yet the password is missing: %v", m)
		}
	}

	shipped, err := os.ReadFile("hotline.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for old, key := range map[string]string{
		`target: ""    `:           "probe_call.target",
		`number: "1580"`:           "probe_call.number",
		`username: monitor`:        "probe_call.username",
		`keys: "4"`:                "probe_call.keys",
		`every: 5m`:                "probe_call.every",
		`answer_timeout: 10s`:      "probe_call.answer_timeout",
		`threshold_dbfs: -45`:      "probe_call.threshold_dbfs",
		`max_duration: 60s`:        "probe_call.max_duration",
		`loadcall_networks: []`:    "probe_call.loadcall_networks[0]",
		`key_silence: 1s`:          "probe_call.key_silence",
		`after_keys_timeout: 5s`:   "probe_call.after_keys_timeout",
		`first_audio_timeout: 10s`: "probe_call.first_audio_timeout",
	} {
		bad := map[string]string{
			`target: ""    `: `target: "asterisk" `, `number: "1580"`: `number: "15 80"`, `username: monitor`: `username: "mon itor"`,
			`keys: "4"`: `keys: "4x"`, `every: 5m`: `every: 30s`, `answer_timeout: 10s`: `answer_timeout: 0s`,
			`threshold_dbfs: -45`: `threshold_dbfs: 3`, `max_duration: 60s`: `max_duration: 20s`,
			`loadcall_networks: []`: `loadcall_networks: [10.0.0.0/33]`, `key_silence: 1s`: `key_silence: -1s`,
			`after_keys_timeout: 5s`: `after_keys_timeout: 0s`, `first_audio_timeout: 10s`: `first_audio_timeout: 0s`,
		}[old]
		if !strings.Contains(string(shipped), old) {
			t.Fatalf("test setup: %q not in hotline.yaml", old)
		}
		_, err := config.Load(writeFile(t, strings.Replace(string(shipped), old, bad, 1)))
		if err == nil {
			t.Errorf("%s → %s accepted", old, bad)
			continue
		}
		mustContain(t, problems(t, err), key)
	}
	t.Setenv("HOTLINE_PROBE_CALL_TARGET", "asterisk:5060")
	cfg, err = config.Load("hotline.yaml")
	if err != nil {
		t.Fatal(err)
	}
	mustContain(t, problemStrings(cfg.MissingSecrets()), "probe_call.password", "HOTLINE_PROBE_CALL_PASSWORD")
	t.Setenv("HOTLINE_PROBE_CALL_PASSWORD", "mon-secret")
	if cfg, err = config.Load("hotline.yaml"); err != nil || cfg.ProbeCall.Password.Reveal() != "mon-secret" {
		t.Fatalf("password from the environment: %v", err)
	}
	if strings.Contains(cfg.ProbeCall.Password.String(), "mon-secret") {
		t.Error("the password prints")
	}

}

func problemStrings(ps []config.Problem) []string {
	var out []string
	for _, p := range ps {
		out = append(out, p.String())
	}
	return out
}
