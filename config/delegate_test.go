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

// edited is the shipped config with each pair (old, new) replaced once.
func edited(t *testing.T, pairs ...string) string {
	t.Helper()
	shipped, err := os.ReadFile("hotline.yaml")
	if err != nil {
		t.Fatal(err)
	}
	body := string(shipped)
	for i := 0; i+1 < len(pairs); i += 2 {
		if !strings.Contains(body, pairs[i]) {
			t.Fatalf("test setup: %q not in hotline.yaml", pairs[i])
		}
		body = strings.Replace(body, pairs[i], pairs[i+1], 1)
	}
	return body
}

// reportedOnce fails unless exactly one problem names path.
func reportedOnce(t *testing.T, got []string, path string) {
	t.Helper()
	n := 0
	for _, p := range got {
		if strings.HasPrefix(p, path+":") {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%s reported %d times, want once:\n  %s", path, n, strings.Join(got, "\n  "))
	}
}

// The dispatcher owns the queues' and operators' rules (queue.Config.Validate);
// the config's check names each bad key as the file has it, every one in
// one run.
func TestTheDispatchersOwnChecksNameTheKeysOfTheFile(t *testing.T) {
	body := edited(t,
		"wrap_up: 30s ", "wrap_up: -1s ", // the second queue
		"{id: op102, name: Оператор 102, endpoint: PJSIP/op102, queues: [operators, appeals]}",
		"{id: op102, name: Оператор 102, endpoint: PJSIP/op102, queues: [operators, appeals], skills: {night: 2000}}",
		"endpoint: PJSIP/op105", "endpoint: PJSIP/op104",
	)
	_, err := config.Load(writeFile(t, body))
	got := problems(t, err)
	mustContain(t, got,
		`queues[1].wrap_up: must not be negative`,
		`operators[1].skills.night: penalty must be 0–1000 (value "2000")`,
		`operators[4].endpoint: already used by operator op104`)
	reportedOnce(t, got, "queues[1].wrap_up")
	reportedOnce(t, got, "operators[4].endpoint")
}

// The appeals rules own the appeals section's rules (appeals.Config.Validate);
// the config's check names each bad key as the file has it, every one in
// one run, a category's term beyond the section's own cap included.
func TestTheAppealsOwnChecksNameTheKeysOfTheFile(t *testing.T) {
	body := edited(t,
		"max_resolution: 1080h ", "max_resolution: 240h ",
		"{code: teplo, title: КП «Тепломережа»}", "{code: vodokanal, title: КП «Тепломережа»}",
		"{code: gas, title: Газорозподільне підприємство}", `{code: gas, title: ""}`,
		"{code: roads, title:", "{code: Roads, title:",
		"seq_digits: 6", "seq_digits: 13",
	)
	_, err := config.Load(writeFile(t, body))
	got := problems(t, err)
	mustContain(t, got,
		`appeals.categories[9].resolve_within: exceeds max_resolution`,
		`appeals.executors[1].code: duplicate executor code (value "vodokanal")`,
		`appeals.executors[3].title: must be set`,
		`appeals.categories[5].code: must be lower-case letters, digits, _ and - (value "Roads")`,
		`appeals.seq_digits: must be 1–12 (value "13")`)
	for _, p := range []string{"appeals.categories[9].resolve_within", "appeals.executors[1].code",
		"appeals.executors[3].title", "appeals.categories[5].code", "appeals.seq_digits"} {
		reportedOnce(t, got, p)
	}
}

// The schedule owns its rules (schedule.New): times, overlaps, breaks
// inside the hours, the exceptions' dates; the config's check names each bad
// key as the file has it, in the file's order, every one in one run, and
// keeps only the weekday keys' spelling for itself.
func TestTheSchedulesOwnChecksNameTheKeysOfTheFile(t *testing.T) {
	body := edited(t,
		`fri: [{from: "08:00", to: "15:45"}]`, `fri: [{from: "13:00", to: "15:45"}, {from: "08:00", to: "13:30"}]`,
		`tue: [{from: "08:00", to: "17:00"}]`, `tue: [{from: "08:00", to: "17:60"}]`,
		`{name: обід, from: "12:00", to: "12:45", days: [mon, tue, wed, thu, fri]}`,
		`{name: обід, from: "12:00", to: "12:45", days: [mon, tue, wed, thu, fri, sat]}`,
		`{date: "2027-01-01", name: Новий рік, closed: true}`, `{date: "2027-01-01", name: Новий рік, closed: true}
    - {date: "2026-12-25", name: Різдво, closed: true}`,
	)
	_, err := config.Load(writeFile(t, body))
	got := problems(t, err)
	mustContain(t, got,
		`schedule.weekly.fri[0]: overlaps 08:00–13:30, another interval of the day (value "13:00–15:45")`,
		`schedule.weekly.tue[0].to: minutes must be 00–59 (value "17:60")`,
		`schedule.breaks[0]: break обід 12:00–12:45 is outside the opening hours of Saturday`,
		`schedule.exceptions[2].date: date listed twice: exception 1 of the list has it too (value "2026-12-25")`)
	reportedOnce(t, got, "schedule.weekly.tue[0].to")

	// A weekday the schedule cannot be given is the config's to name.
	body = edited(t, `days: [mon, tue, wed, thu, fri]`, `days: [mon, tue, wed, thu, пт]`)
	_, err = config.Load(writeFile(t, body))
	got = problems(t, err)
	mustContain(t, got, `schedule.breaks[0].days[4]: unknown weekday (use mon…sun) (value "пт")`)
	reportedOnce(t, got, "schedule.breaks[0].days[4]")
}

// The escalation engine owns the rules of a duty shift (escalation.ParseShift,
// the same rules the duty API applies); the config names each bad key of the
// roster as the file has it, every one of a shift in one run.
func TestTheRostersShiftsAreCheckedByTheEngineNamingTheKeysOfTheFile(t *testing.T) {
	body := edited(t,
		`    - from: ""
      to: ""`, `    - from: "2026-12-31T17:00:00+02:00"
      to: "31.12.2026"`,
		`{name: Черговий диспетчер, phone: PJSIP/duty1}`, `{name: "", phone: PJSIP/duty1}`,
		`{name: Начальник відділу ЖКГ, phone: "0501234567"}`, `{name: Начальник відділу ЖКГ, phone: "ЖКГ"}`,
	)
	_, err := config.Load(writeFile(t, body))
	got := problems(t, err)
	mustContain(t, got,
		`escalation.roster[0].to: "31.12.2026": want an RFC 3339 instant`,
		`escalation.roster[0].people[0].name: is required`,
		`escalation.roster[0].people[1].phone: "ЖКГ": want a SIP endpoint`)
	reportedOnce(t, got, "escalation.roster[0].people[0].name")
}
