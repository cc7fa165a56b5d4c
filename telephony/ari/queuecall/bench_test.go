package queuecall_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/slobozhanske/hotline/telephony/ari/aritest"
)

// BenchmarkQueueToOperatorOverARI pushes residents through the whole queue
// over ARI (join, welcome, offer, originate, answer, bridge, operator hangs
// up, goodbye) with five operators who answer at once, ten residents
// calling at a time. It reports calls per second and the latency from the
// resident's call reaching the app to being bridged with an operator.
func BenchmarkQueueToOperatorOverARI(b *testing.B) {
	q := defaultQueue()
	q.WrapUp, q.RetryDelay = 0, 0
	r := newRig(b, rigOptions{queue: q, operators: 5})
	for i := range 5 {
		r.srv.SetPhone("PJSIP/"+opID(i), talksThenHangsUp(0, 100*time.Millisecond))
	}
	r.login("op101", "op102", "op103", "op104", "op105")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()

	var next atomic.Int64
	lat := make([]time.Duration, b.N)
	var wg sync.WaitGroup
	b.ResetTimer()
	for range min(10, b.N) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= b.N {
					return
				}
				start := time.Now()
				p, err := r.srv.Dial(ctx, aritest.DialOptions{App: "hotline", Caller: fmt.Sprintf("050%07d", i)})
				if err != nil {
					b.Error(err)
					return
				}
				// The conversation is short: wait for its trace, not for it to be going on.
				st, err := p.Wait(ctx, func(st aritest.PartyState) bool { return !st.FirstBridgedAt.IsZero() || st.Ended })
				if err != nil || st.FirstBridgedAt.IsZero() {
					b.Errorf("caller %d never bridged with an operator: %v", i, err)
					return
				}
				lat[i] = st.FirstBridgedAt.Sub(start)
				if _, err := p.WaitEnded(ctx); err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	b.StopTimer()
	slices.Sort(lat)
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "calls/s")
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
	r.srv.ClearLogs()
	r.noChannelsLeft(ctx)
}
