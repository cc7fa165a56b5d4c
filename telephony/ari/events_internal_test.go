package ari

import (
	"testing"
	"time"
)

// Copies Asterisk sends through endpoint subscriptions are byte-identical
// and close in time; genuine repeats differ (a second key has another
// timestamp), and an identical message long after is not a copy.
func TestRecentEventsDropsCopiesOnly(t *testing.T) {
	var seen recentEvents
	now := time.Now()
	key5 := []byte(`{"type":"ChannelDtmfReceived","timestamp":"2026-12-02T02:23:12.447+0000","digit":"5","channel":{"id":"1.1"}}`)
	again := []byte(`{"type":"ChannelDtmfReceived","timestamp":"2026-12-02T02:23:12.607+0000","digit":"5","channel":{"id":"1.1"}}`)
	other := []byte(`{"type":"ChannelDtmfReceived","timestamp":"2026-12-02T02:23:12.447+0000","digit":"5","channel":{"id":"1.2"}}`)
	for i, c := range []struct {
		data   []byte
		at     time.Time
		repeat bool
	}{
		{key5, now, false},
		{key5, now.Add(time.Millisecond), true},            // the endpoint subscription's copy
		{other, now.Add(2 * time.Millisecond), false},      // another channel's key in between
		{key5, now.Add(3 * time.Millisecond), true},        // a second subscription's copy, not adjacent
		{again, now.Add(160 * time.Millisecond), false},    // the caller pressed 5 again
		{key5, now.Add(dedupeWindow + time.Second), false}, // not a copy any more
	} {
		if got := seen.repeat(c.data, c.at); got != c.repeat {
			t.Errorf("message %d: repeat = %v, want %v", i, got, c.repeat)
		}
	}
}
