package queue

import (
	"slices"
	"strconv"
	"sync/atomic"
	"testing"
	"time"
)

func atomicAdd(n *int64) string { return "b" + strconv.FormatInt(atomic.AddInt64(n, 1), 10) }

// reportLatency reports calls per second and the p50/p99 of join-to-answer.
func reportLatency(b *testing.B, lat <-chan time.Duration) {
	var all []time.Duration
	for l := range lat {
		all = append(all, l)
	}
	if len(all) == 0 {
		return
	}
	slices.Sort(all)
	b.ReportMetric(float64(len(all))/b.Elapsed().Seconds(), "calls/s")
	b.ReportMetric(float64(all[len(all)/2].Microseconds()), "p50-µs")
	b.ReportMetric(float64(all[len(all)*99/100].Microseconds()), "p99-µs")
}
