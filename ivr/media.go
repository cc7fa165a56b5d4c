package ivr

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/slobozhanske/hotline/ivr/prompts"
)

// Prompts the menu plays itself (ids of ivr/prompts/catalogue.yaml).
const (
	promptInvalid          = "invalid-choice"
	promptNoInput          = "no-input"
	promptGoodbye          = "goodbye"
	promptTechnical        = "technical-problem"
	promptBeep             = "beep"
	promptQueueFull        = "queue-full"
	promptQueueClosed      = "queue-closed"
	promptMessageRecord    = "message-record"
	promptRecordingEmpty   = "recording-empty"
	promptMessageSaved     = "message-saved"
	promptSOSIntro         = "sos-intro"
	promptSOSRecord        = "sos-record"
	promptSOSAlerted       = "sos-alerted"
	promptSOSStayOnLine    = "sos-stay-on-line"
	promptAppealRegistered = "appeal-registered"
	promptAppealRepeat     = "appeal-number-repeat"
	promptEnterNumber      = "appeal-enter-number"
	promptNotFound         = "appeal-not-found"
	promptStatusIntro      = "appeal-status-intro"
	promptDueDate          = "appeal-due-date"
	promptBreak            = "break-message"
)

// statusPrompts say an appeal's status (AppealStatus.Status).
var statusPrompts = map[string]string{
	"registered":          "status-registered",
	"sent_to_executor":    "status-sent",
	"accepted":            "status-accepted",
	"in_progress":         "status-in-progress",
	"resolved":            "status-resolved",
	"closed":              "status-closed",
	"returned_for_rework": "status-returned",
}

// openStatuses are those with a resolution deadline still ahead.
var openStatuses = map[string]bool{
	"registered": true, "sent_to_executor": true, "accepted": true, "in_progress": true, "returned_for_rework": true,
}

// UsedPrompts lists the prompt ids the menu plays on its own (beyond the
// menu's nodes), including those of SpeakDate and SpeakTime, so that a
// deployment check can make sure the catalogue and the sounds have them.
func UsedPrompts() []string {
	ids := []string{
		promptInvalid, promptNoInput, promptGoodbye, promptTechnical, promptBeep, promptQueueFull,
		promptQueueClosed,
		promptMessageRecord, promptRecordingEmpty, promptMessageSaved, promptSOSIntro, promptSOSRecord,
		promptSOSAlerted, promptSOSStayOnLine, promptAppealRegistered, promptAppealRepeat, promptEnterNumber,
		promptNotFound, promptStatusIntro, promptDueDate, promptBreak,
	}
	for _, status := range []string{"registered", "sent_to_executor", "accepted", "in_progress", "resolved", "closed", "returned_for_rework"} {
		ids = append(ids, statusPrompts[status])
	}
	for d := 1; d <= 31; d++ {
		ids = append(ids, fmt.Sprintf("day-%02d", d))
	}
	for m := 1; m <= 12; m++ {
		ids = append(ids, fmt.Sprintf("month-%02d", m))
	}
	for h := 0; h <= 23; h++ {
		ids = append(ids, fmt.Sprintf("hour-%02d", h))
	}
	for n := 0; n <= 59; n++ {
		ids = append(ids, fmt.Sprintf("digits/%d", n))
	}
	return ids
}

// Prompt is the media of a catalogue prompt: "sound:hotline/greeting" for
// greeting, "sound:digits/7" for digits/7.
func Prompt(id string) Media { return Media(prompts.Media(id)) }

// SpeakDigits reads s digit by digit as one "digits:" media: Asterisk plays
// digits/N of the channel's language (uk) for each, with its own pacing, in
// a single playback. Anything but 0–9 is left out; "" when no digit is left.
func SpeakDigits(s string) Media {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if isDigit(s[i]) {
			b.WriteByte(s[i])
		}
	}
	if b.Len() == 0 {
		return ""
	}
	return Media("digits:" + b.String())
}

// SpeakNumber says n: 0–59 as a whole word (sound:digits/N, as in "forty
// five"), larger numbers digit by digit (SpeakDigits); a negative number is
// said without its sign.
func SpeakNumber(n int) Media {
	if n >= 0 && n <= 59 {
		return Prompt("digits/" + strconv.Itoa(n))
	}
	return SpeakDigits(strconv.Itoa(n))
}

// SpeakDate says the day and month of t, in t's location, the Ukrainian way:
// the ordinal day in the genitive then the month in the genitive
// ("п'ятнадцятого січня" = day-15, month-01). Zero t says nothing.
func SpeakDate(t time.Time) []Media {
	if t.IsZero() {
		return nil
	}
	return []Media{
		Prompt(fmt.Sprintf("day-%02d", t.Day())),
		Prompt(fmt.Sprintf("month-%02d", int(t.Month()))),
	}
}

// SpeakTime says the time of day of t, in t's location, after "о" (at): the
// ordinal hour in the locative, then the minutes unless they are zero, with
// a leading "нуль" below ten ("о дванадцятій сорок п'ять" = hour-12,
// digits/45; 12:05 = hour-12, digits/0, digits/5). Zero t says nothing.
func SpeakTime(t time.Time) []Media {
	if t.IsZero() {
		return nil
	}
	out := []Media{Prompt(fmt.Sprintf("hour-%02d", t.Hour()))}
	switch m := t.Minute(); {
	case m == 0:
	case m < 10:
		out = append(out, SpeakNumber(0), SpeakNumber(m))
	default:
		out = append(out, SpeakNumber(m))
	}
	return out
}
