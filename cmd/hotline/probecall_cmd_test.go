package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/slobozhanske/hotline/telephony/sipcall/sipcalltest"
)

// fastProbeEnv scales the shipped probe_call timings to the test server's
// short prompts, and sets the password it checks.
func fastProbeEnv(t *testing.T) {
	t.Setenv("HOTLINE_PROBE_CALL_PASSWORD", "mon-secret")
	t.Setenv("HOTLINE_PROBE_CALL_KEY_SILENCE", "200ms")
	t.Setenv("HOTLINE_PROBE_CALL_FIRST_AUDIO_TIMEOUT", "1s")
	t.Setenv("HOTLINE_PROBE_CALL_AFTER_KEYS_TIMEOUT", "1s")
	t.Setenv("HOTLINE_PROBE_CALL_ANSWER_TIMEOUT", "2s")
}

const shippedConfig = "../../config/hotline.yaml"

func probeJSON(t *testing.T, out string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(out), &m); err != nil {
		t.Fatalf("stdout is not one JSON result: %v\n%s", err, out)
	}
	return m
}

// hotline probe-call against a server that challenges, sends an UPDATE,
// plays a greeting and answers the key: exit 0, the JSON says what was
// measured, the server got the key, the recording was written.
func TestProbeCallCommand(t *testing.T) {
	fastProbeEnv(t)
	srv := sipcalltest.Start(t, sipcalltest.Config{Username: "monitor", Password: "mon-secret", MidCall: "update"})
	wav := filepath.Join(t.TempDir(), "out.wav")
	code, out, errs := runCLI("probe-call", "-c", shippedConfig, "--target", srv.Addr, "--record", wav)
	if code != 0 {
		t.Fatalf("exit %d\nstdout: %s\nstderr: %s", code, out, errs)
	}
	m := probeJSON(t, out)
	if m["ok"] != true || m["sip_code"] != 200.0 || m["keys_sent"] != "4" || m["updates_answered"] != 1.0 {
		t.Errorf("result: %s", out)
	}
	for _, k := range []string{"setup_seconds", "first_audio_seconds", "audio_after_keys_seconds"} {
		if v, ok := m[k].(float64); !ok || v <= 0 || v > 2 {
			t.Errorf("%s = %v", k, m[k])
		}
	}
	if c := srv.Calls(); len(c) != 1 || c[0].Digits != "4" {
		t.Errorf("the server received %+v", c)
	}
	if st, err := os.Stat(wav); err != nil || st.Size() <= 44 {
		t.Errorf("recording: %v", err)
	}
}

// Failures exit non-zero with the reason in the JSON and on stderr.
func TestProbeCallCommandFails(t *testing.T) {
	fastProbeEnv(t)
	for name, tc := range map[string]struct {
		cfg     sipcalltest.Config
		failure string
		code    float64
	}{
		"silence":     {sipcalltest.Config{Silent: true}, "no_audio", 200},
		"busy":        {sipcalltest.Config{Reject: 486}, "rejected", 486},
		"declined":    {sipcalltest.Config{Reject: 603}, "rejected", 603},
		"no answer":   {sipcalltest.Config{NeverAnswer: true}, "no_answer", 0},
		"wrong creds": {sipcalltest.Config{Username: "monitor", Password: "other"}, "auth_failed", 401},
	} {
		t.Run(name, func(t *testing.T) {
			if name == "no answer" {
				t.Setenv("HOTLINE_PROBE_CALL_ANSWER_TIMEOUT", "300ms")
			}
			srv := sipcalltest.Start(t, tc.cfg)
			code, out, errs := runCLI("probe-call", "-c", shippedConfig, "--target", srv.Addr)
			if code != 1 {
				t.Fatalf("exit %d, want 1\nstdout: %s\nstderr: %s", code, out, errs)
			}
			m := probeJSON(t, out)
			if m["ok"] != false || m["failure"] != tc.failure || m["error"] == "" {
				t.Errorf("result: %s", out)
			}
			if got, _ := m["sip_code"].(float64); got != tc.code {
				t.Errorf("sip_code %v, want %v", m["sip_code"], tc.code)
			}
			if !strings.Contains(errs, tc.failure) {
				t.Errorf("stderr does not say %s: %s", tc.failure, errs)
			}
		})
	}
}

func TestProbeCallCommandWantsATarget(t *testing.T) {
	if code, _, errs := runCLI("probe-call", "-c", shippedConfig); code != 2 || !strings.Contains(errs, "probe_call.target") {
		t.Errorf("exit %d: %s", code, errs)
	}
}

// hotline loadcall: 20 calls, 5 at once, the key 4 each: the counts and
// percentiles are printed and every call passed.
func TestLoadcallCommand(t *testing.T) {
	fastProbeEnv(t)
	srv := sipcalltest.Start(t, sipcalltest.Config{Username: "monitor", Password: "mon-secret", MidCall: "update",
		Greeting: sipcalltest.Tone(100 * time.Millisecond), Reply: sipcalltest.Tone(100 * time.Millisecond)})
	t.Setenv("HOTLINE_PROBE_CALL_KEY_SILENCE", "100ms")
	code, out, errs := runCLI("loadcall", "-c", shippedConfig, "--target", srv.Addr,
		"--rate", "50", "--calls", "20", "--concurrency", "5", "--keys", "4", "--hold", "200ms")
	t.Logf("\n%s", out)
	if code != 0 {
		t.Fatalf("exit %d\nstdout: %s\nstderr: %s", code, out, errs)
	}
	for _, want := range []string{"20 attempted, 20 answered, 20 passed, 0 failed", "setup:", "first audio:", "audio after keys:", "p50 ", "p99 "} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q", want)
		}
	}
	keys := 0
	for _, c := range srv.Calls() {
		keys += len(c.Digits)
	}
	if keys != 20 {
		t.Errorf("the server received %d keys, want 20", keys)
	}
}

// loadcall keeps going when calls fail, and says how they failed.
func TestLoadcallCommandCountsFailures(t *testing.T) {
	fastProbeEnv(t)
	srv := sipcalltest.Start(t, sipcalltest.Config{Reject: 486})
	code, out, errs := runCLI("loadcall", "-c", shippedConfig, "--target", srv.Addr, "--rate", "100", "--calls", "8", "--concurrency", "4")
	if code != 1 || !strings.Contains(out, "8 attempted, 0 answered, 0 passed, 8 failed") || !strings.Contains(out, "486 Rejected by test: 8") {
		t.Errorf("exit %d\nstdout: %s\nstderr: %s", code, out, errs)
	}
}

// A target that is not loopback nor a configured test network is refused
// before anything is sent (192.0.2.0/24 is TEST-NET-1: nothing would
// answer, and nothing is sent to it).
func TestLoadcallRefusesOthersTargets(t *testing.T) {
	fastProbeEnv(t)
	code, out, errs := runCLI("loadcall", "-c", shippedConfig, "--target", "192.0.2.7:5060", "--calls", "1")
	if code != 2 || !strings.Contains(errs, "refusing") || !strings.Contains(errs, "--i-own-this-target") || strings.Contains(out, "attempted") {
		t.Errorf("exit %d\nstdout: %s\nstderr: %s", code, out, errs)
	}
}
