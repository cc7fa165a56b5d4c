package ivr

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/slobozhanske/hotline/ivr/prompts"
)

func TestPromptIsTheCataloguesSound(t *testing.T) {
	if got := Prompt("greeting"); got != "sound:hotline/greeting" {
		t.Errorf("Prompt(greeting) = %q", got)
	}
	if got := Prompt("digits/7"); got != "sound:digits/7" {
		t.Errorf("Prompt(digits/7) = %q", got)
	}
}

func TestSpeakDigits(t *testing.T) {
	for in, want := range map[string]Media{"123": "digits:123", "2026-000123": "digits:2026000123", "": "", "abc": "", "0": "digits:0"} {
		if got := SpeakDigits(in); got != want {
			t.Errorf("SpeakDigits(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestSpeakNumber(t *testing.T) {
	for in, want := range map[int]Media{0: "sound:digits/0", 7: "sound:digits/7", 45: "sound:digits/45", 59: "sound:digits/59", 60: "digits:60", 1234: "digits:1234", -3: "digits:3"} {
		if got := SpeakNumber(in); got != want {
			t.Errorf("SpeakNumber(%d) = %q, want %q", in, got, want)
		}
	}
}

func TestSpeakDateAndTime(t *testing.T) {
	d := time.Date(2026, 12, 1, 8, 0, 0, 0, kyiv)
	if got := SpeakDate(d); !slices.Equal(got, []Media{"sound:hotline/day-01", "sound:hotline/month-12"}) {
		t.Errorf("SpeakDate = %v", got)
	}
	if got := SpeakTime(d); !slices.Equal(got, []Media{"sound:hotline/hour-08"}) {
		t.Errorf("SpeakTime = %v", got)
	}
	if got := SpeakTime(time.Date(2026, 1, 1, 23, 59, 0, 0, kyiv)); !slices.Equal(got, []Media{"sound:hotline/hour-23", "sound:digits/59"}) {
		t.Errorf("SpeakTime(23:59) = %v", got)
	}
	if SpeakDate(time.Time{}) != nil || SpeakTime(time.Time{}) != nil {
		t.Error("a zero time says something")
	}
}

// Every prompt the menu can play by itself is in the catalogue, and every
// date and time it can say is too.
func TestEveryPromptTheMenuPlaysIsInTheCatalogue(t *testing.T) {
	for _, id := range UsedPrompts() {
		if !prompts.Has(id) {
			t.Errorf("prompt %q is not in ivr/prompts/catalogue.yaml", id)
		}
	}
	used := map[Media]bool{}
	for _, id := range UsedPrompts() {
		used[Prompt(id)] = true
	}
	for day := time.Date(2024, 1, 1, 0, 0, 0, 0, kyiv); day.Year() == 2024; day = day.Add(37 * time.Minute) {
		for _, m := range append(SpeakDate(day), SpeakTime(day)...) {
			if !used[m] {
				t.Fatalf("%v says %q, which UsedPrompts does not list", day, m)
			}
		}
	}
	for n := 0; n < 60; n++ {
		if m := SpeakNumber(n); !used[m] {
			t.Errorf("SpeakNumber(%d) = %q is not listed", n, m)
		}
	}
	for _, m := range []Media{Prompt(promptBreak), Prompt(promptGoodbye)} {
		if !strings.HasPrefix(string(m), "sound:hotline/") {
			t.Errorf("%q is not a hotline sound", m)
		}
	}
}
