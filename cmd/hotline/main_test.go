package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/slobozhanske/hotline/config"
	"github.com/slobozhanske/hotline/internal/dbtest"
	"github.com/slobozhanske/hotline/internal/store"
	"github.com/slobozhanske/hotline/telephony/schedule"
	schedulepg "github.com/slobozhanske/hotline/telephony/schedule/pgstore"
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

func TestScheduleCommandSaysStateRuleAndNextChange(t *testing.T) {
	cases := []struct{ at, state, rule, next string }{
		{"2026-11-27T15:44:00+02:00", "state: open", "Friday 08:00–15:45", "next:  closed at 2026-11-27T15:45:00+02:00"},
		{"2026-11-27T15:50:00+02:00", "state: closed", "Friday closed", "next:  open at 2026-11-30T08:00:00+02:00"},
		{"2026-11-23T12:10:00+02:00", "state: break", "обід 12:00–12:45", "next:  open at 2026-11-23T12:45:00+02:00"},
		{"2026-12-25T10:00:00+02:00", "state: closed", "Різдво", "next:  open at 2026-12-28T08:00:00+02:00"},
		// Summer time: 08:00 in Kyiv is 05:00 UTC.
		{"2027-06-01T05:00:00Z", "state: open", "Tuesday 08:00–17:00", "next:  break at 2027-06-01T12:00:00+03:00"},
	}
	for _, tc := range cases {
		code, out, errs := runCLI("schedule", "-c", "../../config/hotline.yaml", "--at", tc.at)
		if code != 0 {
			t.Fatalf("%s: exit %d: %s", tc.at, code, errs)
		}
		for _, want := range []string{tc.state, tc.rule, tc.next} {
			if !strings.Contains(out, want) {
				t.Errorf("%s: output lacks %q:\n%s", tc.at, want, out)
			}
		}
	}
	if code, _, _ := runCLI("schedule", "-c", "../../config/hotline.yaml", "--at", "tomorrow"); code != 2 {
		t.Errorf("a bad --at: exit %d, want 2", code)
	}
}

func TestScheduleCommandWithDBSeesTheExceptionsStoredThroughTheAPI(t *testing.T) {
	dbURL := dbtest.NewDatabase(t)
	pool, err := store.Open(context.Background(), dbURL, 2)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	cfg, err := config.Load("../../config/hotline.yaml")
	if err != nil {
		t.Fatal(err)
	}
	sch, err := buildSchedule(cfg)
	if err != nil {
		t.Fatal(err)
	}
	m := schedule.NewManager(sch, schedulepg.New(pool), time.Now, testLogger(t))
	if err := m.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	// A supervisor closes Tuesday 24 November for a heating emergency drill.
	if _, err := m.PutException(context.Background(), schedule.Exception{Date: "2026-11-24", Name: "навчання", Closed: true}, "boss"); err != nil {
		t.Fatal(err)
	}
	t.Setenv("HOTLINE_DATABASE_URL", dbURL)
	at := "2026-11-24T10:00:00+02:00"
	if code, out, errs := runCLI("schedule", "-c", "../../config/hotline.yaml", "--at", at); code != 0 || !strings.Contains(out, "state: open") {
		t.Errorf("without --db (the config file only): exit %d, %s%s", code, out, errs)
	}
	code, out, errs := runCLI("schedule", "-c", "../../config/hotline.yaml", "--db", "--at", at)
	if code != 0 || !strings.Contains(out, "state: closed") || !strings.Contains(out, "навчання") {
		t.Errorf("with --db: exit %d, want closed by the stored exception:\n%s%s", code, out, errs)
	}
}
