package main

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/slobozhanske/hotline/telephony/ari/aritest"
)

// BenchmarkCallsThroughTheMenu runs residents' calls through the real serve
// code path over loopback ARI and PostgreSQL: the greeting, the main menu
// stopped by key 4 (barge-in), the information prompt, the caller hangs up.
// Prompts last 1 ms (100 simulated ms, scaled 100x), so the figures are
// the server's, not the prompts'. One op is callsPerOp calls, callers of
// them at a time (so `make bench`, at -benchtime 1x, measures 100 calls).
// It reports
//
//   - calls/s: calls completed per second of wall time;
//   - p50-ms, p99-ms: event-to-command latency, from the moment the ARI
//     server sends a channel event that calls for an answer (a key,
//     ChannelDtmfReceived; the end of a prompt, PlaybackFinished) to the
//     next command the server receives for that channel (stop the prompt,
//     play the next one);
//   - answer-p50-ms, answer-p99-ms: StasisStart to the answer.
//
// `make bench` (go test -bench . ./cmd/hotline/) prints them.
func BenchmarkCallsThroughTheMenu(b *testing.B) {
	r := startRigWith(b, rigOptions{
		ari: aritest.Options{
			Sounds:         shippedSounds(b, 100*time.Millisecond),
			MediaDurations: map[string]time.Duration{"sound:hotline/main-menu": time.Hour}, // until the key stops it
		},
		tune: patientMenu, // no timeout fires: every command answers an event
	})
	const callsPerOp = 100
	var seq atomic.Int64
	for _, callers := range []int{1, 20, 100} {
		b.Run(fmt.Sprintf("callers=%d", callers), func(b *testing.B) {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
			defer cancel()
			r.ari.ClearLogs()
			var mu sync.Mutex
			residents := map[string]bool{}
			calls := int64(b.N) * callsPerOp
			b.ResetTimer()
			elapsed := runCalls(b, callers, calls, func() error {
				id, err := menuCall(ctx, r.ari, fmt.Sprintf("+38067%07d", seq.Add(1)))
				if err != nil {
					return err
				}
				mu.Lock()
				residents[id] = true
				mu.Unlock()
				return nil
			})
			b.StopTimer()
			if b.Failed() {
				return
			}
			if err := r.ari.WaitChannelsInApp(ctx, "hotline", 0); err != nil {
				b.Fatalf("channels left in the app: %v", r.ari.ChannelsInApp("hotline"))
			}
			reactions, answers := latencies(r.ari.Events(), r.ari.Requests(), residents)
			b.ReportMetric(float64(calls)/elapsed.Seconds(), "calls/s")
			b.ReportMetric(percentile(reactions, 50), "p50-ms")
			b.ReportMetric(percentile(reactions, 99), "p99-ms")
			b.ReportMetric(percentile(answers, 50), "answer-p50-ms")
			b.ReportMetric(percentile(answers, 99), "answer-p99-ms")
		})
	}
}

// menuCall is one resident: dial, 4 during the menu, the information to its end, hang up.
func menuCall(ctx context.Context, srv *aritest.Server, caller string) (string, error) {
	p, err := srv.Dial(ctx, aritest.DialOptions{App: "hotline", Caller: caller, Exten: "1580", Language: "uk"})
	if err != nil {
		return "", err
	}
	if _, err := p.WaitForPlayback(ctx, "sound:hotline/main-menu"); err != nil {
		return p.ChannelID(), err
	}
	_ = p.Press("4")
	if _, err := p.WaitForPlaybackEnd(ctx, "sound:hotline/info-hours"); err != nil {
		return p.ChannelID(), fmt.Errorf("%s: %w (heard %v)", caller, err, p.HeardURIs())
	}
	return p.ChannelID(), p.Hangup()
}

// latencies pairs each event on the residents' channels that the server
// must act on with the first command it then sent for that channel:
// ChannelDtmfReceived and PlaybackFinished (reactions), StasisStart
// (answers). An event followed by no command (the end of the last prompt,
// after which the caller hangs up) is left out. In milliseconds.
func latencies(events []aritest.EventRecord, requests []aritest.RequestRecord, residents map[string]bool) (reactions, answers []float64) {
	cmds := map[string][]time.Time{}
	for _, rq := range requests {
		if residents[rq.ChannelID] {
			cmds[rq.ChannelID] = append(cmds[rq.ChannelID], rq.Time)
		}
	}
	for _, ts := range cmds {
		slices.SortFunc(ts, func(a, b time.Time) int { return a.Compare(b) })
	}
	for _, ev := range events {
		if !residents[ev.ChannelID] {
			continue
		}
		var into *[]float64
		switch ev.Type {
		case "ChannelDtmfReceived", "PlaybackFinished":
			into = &reactions
		case "StasisStart":
			into = &answers
		default:
			continue
		}
		ts := cmds[ev.ChannelID]
		i := sort.Search(len(ts), func(i int) bool { return !ts[i].Before(ev.Time) })
		if i < len(ts) {
			*into = append(*into, float64(ts[i].Sub(ev.Time))/float64(time.Millisecond))
		}
	}
	return reactions, answers
}

func percentile(xs []float64, p float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	i := int(float64(len(s)-1) * p / 100)
	return s[i]
}

// runCalls makes calls calls, callers of them at a time, each with one(),
// and returns the wall time they took; a failing call fails b and stops
// its caller.
func runCalls(b *testing.B, callers int, calls int64, one func() error) time.Duration {
	var next atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for range callers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for next.Add(1) <= calls {
				if err := one(); err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	return time.Since(start)
}
