package ivr

import (
	"context"
	"errors"
	"math/rand/v2"
	"testing"
	"time"
)

var knownOutcomes = map[OutcomeKind]bool{
	OutcomeHungUpInMenu: true, OutcomeQueued: true, OutcomeAnsweredByOperator: true, OutcomeAbandonedInQueue: true,
	OutcomeSOSQueued: true, OutcomeSOSEscalated: true, OutcomeSOSNotEscalated: true, OutcomeMessageLeft: true,
	OutcomeMessageNotSaved: true, OutcomeStatusGiven: true, OutcomeInfoGiven: true, OutcomeEndedByMenu: true,
}

// chaosCall runs one call by a caller who does whatever data says: the first
// bytes choose the schedule state and which services fail, the rest are the
// caller's keys, silences and hangups.
func chaosCall(t testing.TB, data []byte) *world {
	t.Helper()
	at := func(i int) byte {
		if i < len(data) {
			return data[i]
		}
		return 0
	}
	w := newWorld(t)
	// Every operation but a few consumes a byte (keys of a burst come out
	// without one): a menu that outlives this has run away.
	w.call.maxOps = 1000 + 4*len(data)
	w.call.chaos = append([]byte{}, data...)
	if len(data) > 2 {
		w.call.chaos = w.call.chaos[2:]
	} else {
		w.call.chaos = []byte{}
	}
	w.appeals.statuses = map[string]AppealStatus{
		"1": {Number: "2026-000001", Status: "in_progress", DueAt: time.Date(2026, 2, 3, 10, 0, 0, 0, time.UTC)},
		"2": {Number: "2026-000002", Status: "closed"},
	}
	start, state := "main", open
	switch at(0) % 3 {
	case 1:
		start, state = "lunch", ScheduleState{State: StateBreak, NextOpen: time.Date(2026, 3, 16, 12, 45, 0, 0, kyiv)}
	case 2:
		start, state = "after_hours", afterHour
	}
	fail := at(1)
	if fail&1 != 0 {
		w.appeals.createErr = errors.New("database is down")
	}
	if fail&2 != 0 {
		w.esc.err = errors.New("escalations are down")
	}
	if fail&4 != 0 {
		w.appeals.statusErr = errors.New("database is down")
	}
	if fail&8 != 0 {
		w.flow.Hold = &fakeHold{connected: fail&16 != 0}
	}
	kinds := []QueueResultKind{QueueAnswered, QueueAbandoned, QueueMessage, QueueOverflow, QueueClosed, QueueMenu, "strange"}
	for i := 0; i < 4; i++ {
		w.queues.results = append(w.queues.results, QueueResult{Kind: kinds[int(fail>>5+byte(i))%len(kinds)]})
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	w.call.cancel = cancel
	if err := w.flow.Run(ctx, w.call, start, state); err != nil {
		t.Fatalf("Run = %v (data %q)", err, data)
	}
	if w.call.runaway {
		t.Fatalf("the menu ran away (data %q)", data)
	}
	o := w.call.outcome()
	if !knownOutcomes[o.Kind] {
		t.Fatalf("outcome %+v is not a defined one (data %q)", o, data)
	}
	if len(w.esc.alerts) > 1 || len(w.appeals.created) > 1 {
		t.Fatalf("%d escalations, %d cards in one call (data %q)", len(w.esc.alerts), len(w.appeals.created), data)
	}
	if len(w.esc.alerts) == 1 && o.Kind != OutcomeSOSEscalated && o.Kind != OutcomeSOSNotEscalated {
		t.Fatalf("escalated, but the outcome is %+v (data %q)", o, data)
	}
	return w
}

func TestRandomKeyMashingNeverBreaksACall(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 2000; i++ {
		data := make([]byte, rng.IntN(80))
		for j := range data {
			data[j] = byte(rng.UintN(256))
		}
		chaosCall(t, data)
	}
}

func FuzzMenuKeys(f *testing.F) {
	for _, seed := range []string{
		"", "\x00\x00", "\x00\x009#*77#0", "\x02\x001", "\x02\x03\x01\x00", "\x00\x00\x03\x01\x0b",
		"\x01\x00\x0e\x09\x0b\x0a\x07\x07\x0b\x00", "\x02\x1f\x01\x02\x00\x01",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 4096 {
			data = data[:4096]
		}
		chaosCall(t, data)
	})
}
