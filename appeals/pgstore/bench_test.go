package pgstore_test

import (
	"context"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/slobozhanske/hotline/appeals/internal/apptest"
)

// BenchmarkCreateCards50Writers registers b.N cards from 50 concurrent
// writers (all numbered in one year, so they queue on its counter row) and
// reports throughput and the 99th percentile of one registration.
func BenchmarkCreateCards50Writers(b *testing.B) {
	env := apptest.New(b, apptest.At(2026, 11, 23, 9, 0), nil)
	ctx := context.Background()
	const writers = 50
	latencies := make([]time.Duration, b.N)
	var next atomic.Int64
	var wg sync.WaitGroup
	b.ResetTimer()
	start := time.Now()
	for range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := next.Add(1) - 1
				if i >= int64(b.N) {
					return
				}
				t0 := time.Now()
				if _, err := env.Service.Create(ctx, apptest.Operator, apptest.Named("water")); err != nil {
					b.Error(err)
					return
				}
				latencies[i] = time.Since(t0)
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	slices.Sort(latencies)
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "cards/s")
	b.ReportMetric(float64(latencies[(len(latencies)*99)/100].Microseconds())/1000, "p99-ms")
}
