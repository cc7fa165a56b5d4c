package escalation

import (
	"strings"

	"github.com/slobozhanske/hotline/ivr"
)

// Prompts are the media the person on duty hears.
type Prompts struct {
	Alert            ivr.Media // "Увага! Аварійне звернення номер", then the number
	Category         ivr.Media // "Категорія:", then the category's own prompt
	CallerPhone      ivr.Media // "Телефон заявника:", then the digits
	RecordingIntro   ivr.Media // "Повідомлення заявника:", then the recording
	PressAccept      ivr.Media // "press 1 to accept, 2 to hear again"
	Accepted         ivr.Media // "Звернення прийнято. Дякуємо."
	ConnectingCaller ivr.Media // "З'єдную вас із заявником."
	// Categories are the spoken titles by classifier code (appeals.categories[].prompt).
	// A category missing here is not announced.
	Categories map[string]ivr.Media
}

// DefaultPrompts are the ids of ivr/prompts/catalogue.yaml.
func DefaultPrompts() Prompts {
	p := Prompts{
		Alert: "sound:hotline/duty-alert", Category: "sound:hotline/duty-category",
		CallerPhone: "sound:hotline/duty-caller-phone", RecordingIntro: "sound:hotline/duty-recording-intro",
		PressAccept: "sound:hotline/duty-press-accept", Accepted: "sound:hotline/duty-accepted",
		ConnectingCaller: "sound:hotline/duty-connecting-caller",
		Categories:       map[string]ivr.Media{},
	}
	for _, c := range []string{"water", "heating", "electricity", "gas", "flooding", "roads", "lighting", "waste", "housing", "other"} {
		p.Categories[c] = ivr.Media("sound:hotline/cat-" + c)
	}
	return p
}

func (p *Prompts) fillDefaults() {
	d := DefaultPrompts()
	for _, f := range []struct{ dst, v *ivr.Media }{
		{&p.Alert, &d.Alert}, {&p.Category, &d.Category}, {&p.CallerPhone, &d.CallerPhone},
		{&p.RecordingIntro, &d.RecordingIntro}, {&p.PressAccept, &d.PressAccept}, {&p.Accepted, &d.Accepted},
		{&p.ConnectingCaller, &d.ConnectingCaller},
	} {
		if *f.dst == "" {
			*f.dst = *f.v
		}
	}
	if p.Categories == nil {
		p.Categories = d.Categories
	}
}

// message is what the person on duty hears before the question: "Emergency
// appeal number N, category, caller's phone", then the caller's recording.
func (p *Prompts) message(e *Escalation) []ivr.Media {
	m := []ivr.Media{p.Alert}
	if d := onlyDigits(e.SpokenDigits); d != "" {
		m = append(m, ivr.Media("digits:"+d))
	}
	if c, ok := p.Categories[e.Category]; ok && c != "" {
		m = append(m, p.Category, c)
	}
	if d := onlyDigits(e.CallerNumber); d != "" {
		m = append(m, p.CallerPhone, ivr.Media("digits:"+d))
	}
	if e.Recording != "" {
		m = append(m, p.RecordingIntro, ivr.Media("recording:"+e.Recording))
	}
	return m
}

func onlyDigits(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, s)
}
