package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func runCLI(args ...string) (code int, stdout, stderr string) {
	var out, errb bytes.Buffer
	code = run(args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestCheckConfigAcceptsTheShippedFile(t *testing.T) {
	code, out, errs := runCLI("check-config", "-c", "../../config/hotline.yaml")
	if code != 0 {
		t.Fatalf("exit %d\nstdout: %s\nstderr: %s", code, out, errs)
	}
	if !strings.Contains(out, "valid") {
		t.Errorf("stdout: %s", out)
	}
}

func TestCheckConfigNamesEveryBadKeyAndFails(t *testing.T) {
	shipped, err := os.ReadFile("../../config/hotline.yaml")
	if err != nil {
		t.Fatal(err)
	}
	body := strings.Replace(string(shipped), "max_conns: 10", "max_conns: many", 1)
	body = strings.Replace(body, "  format: text", "  format: text\n  colour: blue", 1)
	body = strings.Replace(body, `thu: [{from: "08:00", to: "17:00"}]`, `thu: [{from: "08:00", to: "25:00"}]`, 1)
	path := filepath.Join(t.TempDir(), "bad.yaml")
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	code, _, errs := runCLI("check-config", "-c", path)
	if code == 0 {
		t.Fatal("a bad config passed check-config")
	}
	for _, key := range []string{"database.max_conns", "log.colour", "schedule.weekly.thu[0].to", `"25:00"`} {
		if !strings.Contains(errs, key) {
			t.Errorf("stderr does not name %s:\n%s", key, errs)
		}
	}
}

func TestUnknownCommandIsAUsageError(t *testing.T) {
	if code, _, errs := runCLI("frobnicate"); code != 2 || !strings.Contains(errs, "unknown command") {
		t.Errorf("exit %d, stderr %q", code, errs)
	}
	if code, _, _ := runCLI(); code != 2 {
		t.Errorf("no command: exit %d", code)
	}
}
