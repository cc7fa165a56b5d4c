package asterisk_test

import (
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/slobozhanske/hotline/asterisk"
)

// With no server connected, the dialplan's degraded path works from the
// global variables the active server writes (cmd/hotline/fallback.go, with
// the names of package asterisk): it must read exactly those, walk no more
// of the duty chain than the server writes, and be where residents' calls
// go when Stasis fails (operators' own calls still hear "line busy").
func TestTheDegradedDialplanReadsTheVariablesTheServerWrites(t *testing.T) {
	dp := dialplanOf(t)
	steps, ok := dp.Contexts["hotline-degraded"]
	if !ok {
		t.Fatal("extensions.conf has no [hotline-degraded]")
	}
	read := map[string]bool{}
	varRef := regexp.MustCompile(`\$\{(HOTLINE_[A-Z_]+)`)
	dutyLoop := false
	for _, s := range steps {
		for _, m := range varRef.FindAllStringSubmatch(s.Args, -1) {
			name := m[1]
			if name == asterisk.GlobalDutyPrefix {
				// ${HOTLINE_DUTY_${i}}: the chain, walked up to HOTLINE_DUTY_COUNT.
				dutyLoop = true
				continue
			}
			read[name] = true
		}
	}
	want := []string{asterisk.GlobalDutyCount, asterisk.GlobalOperators, asterisk.GlobalOpenUntil, asterisk.GlobalDutyAlways}
	got := make([]string, 0, len(read))
	for n := range read {
		got = append(got, n)
	}
	sort.Strings(got)
	sort.Strings(want)
	if !slices.Equal(got, want) {
		t.Errorf("[hotline-degraded] reads %v, the server writes %v", got, want)
	}
	if !dutyLoop {
		t.Errorf("[hotline-degraded] does not dial the chain %s<n>", asterisk.GlobalDutyPrefix)
	}
	// With nothing written it says "line busy" instead of dialling nothing.
	if !slices.ContainsFunc(steps, func(s dialplanStep) bool {
		return s.App == "GotoIf" && strings.Contains(s.Args, "${"+asterisk.GlobalDutyCount+"}${"+asterisk.GlobalOperators+"}") &&
			strings.Contains(s.Args, "hotline-fallback,s,1")
	}) {
		t.Error("[hotline-degraded] does not fall back to line busy when the server never wrote its plan")
	}
	for _, s := range dp.Contexts["from-trunk"] {
		if s.App == "GotoIf" && strings.Contains(s.Args, "STASISSTATUS") && !strings.Contains(s.Args, "hotline-degraded,s,1") {
			t.Errorf("extensions.conf:%d: a resident's call the server cannot take goes to %q, want hotline-degraded", s.Line, s.Args)
		}
	}
}
