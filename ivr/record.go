package ivr

import (
	"context"
	"fmt"
	"strconv"
)

// take is what came of asking the caller to speak.
type take int

const (
	takeNone  take = iota // nothing recorded: the recording failed, or the caller hung up before or during it
	takeEmpty             // the caller said nothing, every time they were asked
	takeKept              // a recording that may hold speech
)

// recorded is what record got.
type recorded struct {
	Recording
	got take
	// pastBeep: the caller heard a beep out and Record was started, so they
	// stayed to say something, whatever came of the recording.
	pastBeep bool
}

// record asks the caller to speak after the beep and records them, until #,
// silence or the limit. A recording that comes back empty is announced
// ("we did not hear your message") and asked for again with the retry
// prompts, up to lim.Attempts recordings. When the caller hangs up during
// the recording the error unwinds the run but the take is takeKept:
// Asterisk keeps what was said (an empty recording stays takeNone). The
// beep is the catalogue's own tone, played before Record
// (RecordOptions.Beep stays false: Asterisk's beep is an English core
// sound). A caller whose audio never reaches Asterisk is recorded to
// lim.MaxDuration every time (silence detection never fires), so the
// longest record can take is lim.Attempts × lim.MaxDuration and the prompts.
func (r *run) record(ctx context.Context, n *Node, kind string, lim RecordLimits, first, retry []string) (recorded, error) {
	var out recorded
	for attempt := 1; attempt <= max(lim.Attempts, 1); attempt++ {
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
			return out.nothing(), err
		}
		r.call.ClearDigits()
		if err := r.play(ctx, false, Prompt(promptBeep)); err != nil {
			return out.nothing(), err
		}
		out.pastBeep = true
		name := r.recordingName(kind)
		rec, err := r.call.Record(ctx, RecordOptions{
			Name: name, MaxDuration: lim.MaxDuration, MaxSilence: lim.MaxSilence, Terminator: '#',
		})
		detail := map[string]string{"name": name, "duration": rec.Duration.String(), "empty": strconv.FormatBool(rec.Empty)}
		if err != nil {
			detail["error"] = err.Error()
		}
		r.note(Step{Kind: StepRecording, Node: n.Name, Detail: detail})
		if err != nil {
			out.Recording, out.got = rec, takeNone
			if rec.Name != "" && !rec.Empty {
				out.got = takeKept
			}
			if cerr := r.callErr(ctx, "record", err); cerr != nil {
				return out, cerr
			}
			r.log.Error("menu: recording failed", "recording", name, "err", err)
			return out.nothing(), nil
		}
		if rec.Name == "" {
			rec.Name = name
		}
		out.Recording = rec
		if !rec.Empty {
			out.got = takeKept
			return out, nil
		}
		if err := r.play(ctx, false, Prompt(promptRecordingEmpty)); err != nil {
			out.got = takeNone
			return out, err
		}
	}
	out.got = takeEmpty
	return out, nil
}

// nothing is the result with no recording, keeping whether the caller got
// past a beep.
func (o recorded) nothing() recorded {
	return recorded{got: takeNone, pastBeep: o.pastBeep}
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
