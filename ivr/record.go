package ivr

import (
	"context"
	"fmt"
	"strconv"
)

// take is what came of asking the caller to speak.
type take int

const (
	takeNone  take = iota // nothing recorded: the recording failed, or the caller hung up before it
	takeEmpty             // the caller said nothing, twice
	takeKept              // a recording that may hold speech
)

// record asks the caller to speak after the beep and records them, until #,
// silence or the limit. A recording that comes back empty is announced
// ("we did not hear your message") and asked for once more, with the
// retry prompts. When the caller hangs up during the recording the error
// unwinds the run but the take is takeKept: Asterisk keeps what was said.
// The beep is the catalogue's own tone, played before Record (RecordOptions.Beep
// stays false: Asterisk's beep is an English core sound).
func (r *run) record(ctx context.Context, n *Node, kind string, lim RecordLimits, first, retry []string) (Recording, take, error) {
	var rec Recording
	for attempt := 1; attempt <= 2; attempt++ {
		ids := first
		if attempt > 1 {
			ids = retry
		}
		media := make([]Media, 0, len(ids))
		for _, id := range ids {
			media = append(media, Prompt(id))
		}
		r.call.ClearDigits()
		if err := r.play(ctx, true, media...); err != nil {
			return Recording{}, takeNone, err
		}
		r.call.ClearDigits()
		if err := r.play(ctx, false, Prompt(promptBeep)); err != nil {
			return Recording{}, takeNone, err
		}
		name := r.recordingName(kind)
		var err error
		rec, err = r.call.Record(ctx, RecordOptions{
			Name: name, MaxDuration: lim.MaxDuration, MaxSilence: lim.MaxSilence, Terminator: '#',
		})
		detail := map[string]string{"name": name, "duration": rec.Duration.String(), "empty": strconv.FormatBool(rec.Empty)}
		if err != nil {
			detail["error"] = err.Error()
		}
		r.note(Step{Kind: StepRecording, Node: n.Name, Detail: detail})
		if err != nil {
			got := takeNone
			if rec.Name != "" && !rec.Empty {
				got = takeKept
			}
			if cerr := r.callErr(ctx, "record", err); cerr != nil {
				return rec, got, cerr
			}
			r.log.Error("menu: recording failed", "recording", name, "err", err)
			return Recording{}, takeNone, nil
		}
		if rec.Name == "" {
			rec.Name = name
		}
		if !rec.Empty {
			return rec, takeKept, nil
		}
		if err := r.play(ctx, false, Prompt(promptRecordingEmpty)); err != nil {
			return rec, takeNone, err
		}
	}
	return rec, takeEmpty, nil
}

// readBack reads an appeal's number to the caller: "your appeal is
// registered, its number is" and the digits, then "press 1 to hear it
// again", honoured Options.ReadBackRepeats times; any other key or none
// goes on. The digits are one "digits:" media (see SpeakDigits): the
// spoken part of the number, or all its digits when the card has none.
func (r *run) readBack(ctx context.Context, n *Node, a Appeal) error {
	number := SpeakDigits(a.SpokenDigits)
	if number == "" {
		number = SpeakDigits(a.Number)
	}
	if number == "" {
		return nil
	}
	say := []Media{Prompt(promptAppealRegistered), number}
	r.note(Step{Kind: StepReadBack, Node: n.Name, Detail: map[string]string{"number": a.Number}})
	if err := r.play(ctx, false, say...); err != nil {
		return err
	}
	for i := 1; i <= r.opt.ReadBackRepeats; i++ {
		r.call.ClearDigits()
		if err := r.play(ctx, true, Prompt(promptAppealRepeat)); err != nil {
			return err
		}
		k, got, err := r.key(ctx, r.opt.ReadBackTimeout)
		if err != nil {
			return err
		}
		if !got || k != '1' {
			break
		}
		r.note(Step{Kind: StepReadBack, Node: n.Name, Key: "1", Detail: map[string]string{"number": a.Number, "repeat": fmt.Sprint(i)}})
		if err := r.play(ctx, false, say...); err != nil {
			return err
		}
	}
	r.call.ClearDigits()
	return nil
}
