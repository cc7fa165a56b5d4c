package config_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/slobozhanske/hotline/config"
)

func writeFile(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "hotline.yaml")
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func problems(t *testing.T, err error) []string {
	t.Helper()
	if err == nil {
		t.Fatal("want an invalid configuration, got none")
	}
	ce, ok := err.(*config.Error)
	if !ok {
		t.Fatalf("want *config.Error, got %T: %v", err, err)
	}
	var out []string
	for _, p := range ce.Problems {
		out = append(out, p.String())
	}
	return out
}

func mustContain(t *testing.T, got []string, want ...string) {
	t.Helper()
	for _, w := range want {
		found := false
		for _, g := range got {
			if strings.Contains(g, w) {
				found = true
			}
		}
		if !found {
			t.Errorf("no problem mentions %q; problems:\n  %s", w, strings.Join(got, "\n  "))
		}
	}
}

func TestShippedConfigIsValidWithCommunityDefaults(t *testing.T) {
	cfg, err := config.Load("hotline.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Schedule.TimeZone != "Europe/Kyiv" || cfg.Schedule.Weekly["fri"][0].To != "15:45" {
		t.Errorf("schedule defaults: %+v", cfg.Schedule)
	}
	if cfg.Appeals.AcceptWithin.Hours() != 2 || cfg.Appeals.AcceptWithinSOS.Minutes() != 30 || cfg.Appeals.MaxResolution.Hours() != 45*24 {
		t.Errorf("regulatory deadlines: %+v", cfg.Appeals)
	}
	if got := cfg.ARI.WebSocketURL; got != "ws://127.0.0.1:8088/ari/events" {
		t.Errorf("derived websocket url = %q", got)
	}
	if len(cfg.MissingSecrets()) != 2 {
		t.Errorf("without env, both secrets should be reported missing: %v", cfg.MissingSecrets())
	}
}

func TestEnvironmentOverridesEveryKeyAndSecretsNeverPrint(t *testing.T) {
	t.Setenv("HOTLINE_HTTP_LISTEN", "0.0.0.0:9090")
	t.Setenv("HOTLINE_ARI_PASSWORD", "s3cret-pass")
	t.Setenv("HOTLINE_DATABASE_URL", "postgres://u:p@db/hotline")
	t.Setenv("HOTLINE_QUEUES", "") // lists are not addressable by env; must not break
	cfg, err := config.Load("hotline.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.HTTP.Listen != "0.0.0.0:9090" {
		t.Errorf("http.listen = %q", cfg.HTTP.Listen)
	}
	if cfg.ARI.Password.Reveal() != "s3cret-pass" {
		t.Errorf("ari.password not read from the environment")
	}
	for _, s := range []string{cfg.ARI.Password.String(), cfg.Database.URL.String()} {
		if strings.Contains(s, "s3cret") || strings.Contains(s, "u:p@") {
			t.Errorf("secret printed: %q", s)
		}
	}
}

func TestSecretFromFile(t *testing.T) {
	secret := filepath.Join(t.TempDir(), "pw")
	if err := os.WriteFile(secret, []byte("from-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("HOTLINE_ARI_PASSWORD_FILE", secret)
	cfg, err := config.Load("hotline.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.ARI.Password.Reveal() != "from-file" {
		t.Errorf("password from file = %q", cfg.ARI.Password.Reveal())
	}
	t.Setenv("HOTLINE_ARI_PASSWORD_FILE", "/nonexistent/pw")
	mustContain(t, problems(t, func() error { _, err := config.Load("hotline.yaml"); return err }()), "ari.password_file")
}

func TestEveryBadKeyIsNamed(t *testing.T) {
	shipped, err := os.ReadFile("hotline.yaml")
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, replace, with string
		want                []string
	}{
		{"wrong type", "max_conns: 10", "max_conns: lots", []string{"database.max_conns"}},
		{"unknown key", "  level: info", "  level: info\n  colour: blue", []string{"log.colour: unknown key"}},
		{"impossible time", `fri: [{from: "08:00", to: "15:45"}]`, `fri: [{from: "08:00", to: "25:00"}]`, []string{"schedule.weekly.fri[0].to", "25:00"}},
		{"end before start", `mon: [{from: "08:00", to: "17:00"}]`, `mon: [{from: "17:00", to: "08:00"}]`, []string{"schedule.weekly.mon[0]"}},
		{"missing queue", `"2": {action: queue, queue: appeals}`, `"2": {action: queue, queue: nowhere}`, []string{"menu.nodes.main.options.2.queue", "nowhere"}},
		{"missing node", `"4": {action: goto, node: info}`, `"4": {action: goto, node: infoo}`, []string{"menu.nodes.main.options.4.node", "infoo"}},
		{"bad strategy", "strategy: longest_idle     #", "strategy: fastest     #", []string{"queues[0].strategy"}},
		{"unknown time zone", "timezone: Europe/Kyiv", "timezone: Europe/Slobozhanske", []string{"schedule.timezone"}},
		{"over the 45-day cap", "max_resolution: 1080h", "max_resolution: 2000h", []string{"appeals.max_resolution"}},
		{"operator in a missing queue", "queues: [operators, appeals]}\n  - {id: op102", "queues: [operators, sales]}\n  - {id: op102", []string{"operators[0].queues", "sales"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if !strings.Contains(string(shipped), tc.replace) {
				t.Fatalf("test setup: %q not in hotline.yaml", tc.replace)
			}
			body := strings.Replace(string(shipped), tc.replace, tc.with, 1)
			_, err := config.Load(writeFile(t, body))
			mustContain(t, problems(t, err), tc.want...)
		})
	}
}

func TestSeveralProblemsAreReportedAtOnce(t *testing.T) {
	shipped, _ := os.ReadFile("hotline.yaml")
	body := strings.Replace(string(shipped), "max_conns: 10", "max_conns: lots", 1)
	body = strings.Replace(body, "  level: info", "  level: info\n  colour: blue", 1)
	body = strings.Replace(body, `to: "15:45"`, `to: "25:00"`, 1)
	got := problems(t, func() error { _, err := config.Load(writeFile(t, body)); return err }())
	mustContain(t, got, "database.max_conns", "log.colour", "schedule.weekly.fri[0].to")
}

// Callers who run out of menu retries go to the first queue, so a config
// without queues would pass and then refuse every call: it is an error.
func TestAConfigWithoutQueuesIsRefused(t *testing.T) {
	cfg, err := config.Load("hotline.yaml")
	if err != nil {
		t.Fatal(err)
	}
	cfg.Queues, cfg.Operators = nil, nil
	found := false
	for _, p := range cfg.Validate() {
		found = found || p.Path == "queues"
	}
	if !found {
		t.Errorf("no problem reported at queues: %v", cfg.Validate())
	}
}

// An after-hours SOS caller whose audio never reaches Asterisk is recorded
// to record_max every time (silence detection needs audio to fire), and the
// person on duty is phoned only after the last try: record_max and
// record_retries must fit escalation.dial_within with the prompts, or the
// config is refused, naming record_max.
func TestSOSRecordingsThatCouldDelayTheDutyCallPastDialWithinAreRefused(t *testing.T) {
	shipped, err := os.ReadFile("hotline.yaml")
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load("hotline.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if w, bound := cfg.Escalation.SOSWorstWait(), cfg.Escalation.DialWithin; w > bound || bound > 90*time.Second {
		t.Errorf("shipped: an SOS without audio waits up to %s for the duty call; dial_within %s (at most 90 s)", w, bound)
	}
	edit := func(t *testing.T, pairs ...string) error {
		t.Helper()
		body := string(shipped)
		for i := 0; i+1 < len(pairs); i += 2 {
			if !strings.Contains(body, pairs[i]) {
				t.Fatalf("test setup: %q not in hotline.yaml", pairs[i])
			}
			body = strings.Replace(body, pairs[i], pairs[i+1], 1)
		}
		_, err := config.Load(writeFile(t, body))
		return err
	}
	for name, pairs := range map[string][]string{
		"the old two minutes":          {"record_max: 30s ", "record_max: 2m "},
		"a third try":                  {"record_retries: 1 ", "record_retries: 2 "},
		"a tighter bound":              {"dial_within: 90s ", "dial_within: 60s "},
		"one recording past the bound": {"record_max: 30s ", "record_max: 100s "},
	} {
		t.Run(name, func(t *testing.T) {
			mustContain(t, problems(t, edit(t, pairs...)), "escalation.record_max", "dial_within")
		})
	}
	// One long recording without a second chance fits.
	if err := edit(t, "record_max: 30s ", "record_max: 70s ", "record_retries: 1 ", "record_retries: 0 "); err != nil {
		t.Errorf("record_max 70s without retries (8 s + 10 s + 70 s of 90 s) refused: %v", err)
	}
	mustContain(t, problems(t, edit(t, "record_retries: 1 ", "record_retries: -1 ")), "escalation.record_retries")
}
