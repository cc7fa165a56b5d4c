package config_test

import (
	"os"
	"strings"
	"testing"

	"github.com/slobozhanske/hotline/config"
)

// The escalation engine owns its settings' rules (escalation.Settings.Validate);
// the config's check runs them and names each bad key as the file has it,
// every one of them in one run.
func TestTheEscalationsOwnChecksNameTheKeysOfTheFile(t *testing.T) {
	shipped, err := os.ReadFile("hotline.yaml")
	if err != nil {
		t.Fatal(err)
	}
	body := string(shipped)
	for _, r := range [][2]string{
		{"ack_timeout: 60s ", "ack_timeout: 0s "},
		{"attempts_per_person: 2 ", "attempts_per_person: 0 "},
		{"trunk_endpoint: PJSIP/%s@trunk ", "trunk_endpoint: PJSIP/%s@%s "},
	} {
		if !strings.Contains(body, r[0]) {
			t.Fatalf("test setup: %q not in hotline.yaml", r[0])
		}
		body = strings.Replace(body, r[0], r[1], 1)
	}
	_, err = config.Load(writeFile(t, body))
	got := problems(t, err)
	mustContain(t, got,
		`escalation.ack_timeout: must be a positive duration (value "0s")`,
		`escalation.attempts_per_person: must be at least 1 (value "0")`,
		`escalation.trunk_endpoint: must contain one %s`)
	n := 0
	for _, p := range got {
		if strings.HasPrefix(p, "escalation.ack_timeout") {
			n++
		}
	}
	if n != 1 {
		t.Errorf("escalation.ack_timeout reported %d times, want once:\n  %s", n, strings.Join(got, "\n  "))
	}

	// Required by the hotline, not by the engine: still the config's to say.
	body = strings.Replace(string(shipped), "trunk_endpoint: PJSIP/%s@trunk ", `trunk_endpoint: "" `, 1)
	_, err = config.Load(writeFile(t, body))
	mustContain(t, problems(t, err), "escalation.trunk_endpoint: must be set")
}
