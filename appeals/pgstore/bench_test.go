package pgstore_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/slobozhanske/hotline/appeals/internal/apptest"
)

// BenchmarkCreateCards50Writers registers b.N cards from 50 concurrent
// writers (all numbered in one year, so they queue on its counter row) and
// reports throughput and the 50th and 99th percentiles of one registration,
// waiting for a connection included. It runs over a pool of 10 connections
// (database.max_conns in config/hotline.yaml) and over one of 50, a
// connection per writer. Run it with a fixed count, e.g. -benchtime 2000x:
// with b.N below 50 not every writer gets a card.
func BenchmarkCreateCards50Writers(b *testing.B) {
	const writers = 50
	for _, conns := range []int32{10, writers} {
		b.Run(fmt.Sprintf("pool=%d", conns), func(b *testing.B) {
			env := apptest.NewWithConns(b, conns, apptest.At(2026, 11, 23, 9, 0), nil)
			ctx := context.Background()
			// Open every connection before timing: pgxpool connects lazily, and
			// 50 connections being opened would be measured as card latency.
			held := make([]*pgxpool.Conn, 0, conns)
			for range conns {
				c, err := env.Pool.Acquire(ctx)
				if err != nil {
					b.Fatal(err)
				}
				held = append(held, c)
			}
			for _, c := range held {
				c.Release()
			}
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
			b.ReportMetric(float64(latencies[len(latencies)/2].Microseconds())/1000, "p50-ms")
			b.ReportMetric(float64(latencies[(len(latencies)*99)/100].Microseconds())/1000, "p99-ms")
		})
	}
}
