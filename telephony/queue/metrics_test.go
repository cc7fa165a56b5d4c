package queue

import (
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

func TestMetricsCountCallsAndShowTheQueueNow(t *testing.T) {
	reg := prometheus.NewRegistry()
	clock := newFakeClock()
	q := operatorQueue()
	d, err := New(Config{Queues: []QueueConfig{q}, Operators: ops("a", "b"), Clock: clock, Metrics: reg, Log: quietLog()})
	if err != nil {
		t.Fatal(err)
	}
	d.Login("a")
	answered, _ := d.Join(JoinRequest{CallID: "1", Queue: "operators"})
	clock.Advance(5 * time.Second)
	answered.Accept(answered.TakeOffers()[0])
	gone, _ := d.Join(JoinRequest{CallID: "2", Queue: "operators"})
	clock.Advance(30 * time.Second)
	gone.Leave(OutcomeAbandoned)
	d.Join(JoinRequest{CallID: "3", Queue: "operators"})
	clock.Advance(40 * time.Second)

	want := `
# HELP hotline_queue_callers_waiting Callers waiting in a queue now.
# TYPE hotline_queue_callers_waiting gauge
hotline_queue_callers_waiting{queue="operators"} 1
# HELP hotline_queue_longest_wait_seconds How long the caller waiting longest has waited.
# TYPE hotline_queue_longest_wait_seconds gauge
hotline_queue_longest_wait_seconds{queue="operators"} 40
# HELP hotline_queue_calls_offered_total Calls that entered a queue (the call centre's "offered").
# TYPE hotline_queue_calls_offered_total counter
hotline_queue_calls_offered_total{queue="operators"} 3
# HELP hotline_queue_calls_answered_total Calls answered by an operator.
# TYPE hotline_queue_calls_answered_total counter
hotline_queue_calls_answered_total{queue="operators"} 1
# HELP hotline_queue_calls_answered_within_service_level_total Calls answered within the queue's service-level threshold.
# TYPE hotline_queue_calls_answered_within_service_level_total counter
hotline_queue_calls_answered_within_service_level_total{queue="operators"} 1
# HELP hotline_queue_calls_abandoned_total Callers who hung up while waiting.
# TYPE hotline_queue_calls_abandoned_total counter
hotline_queue_calls_abandoned_total{queue="operators"} 1
# HELP hotline_queue_service_level_ratio Answered within the threshold / (answered + abandoned), since start.
# TYPE hotline_queue_service_level_ratio gauge
hotline_queue_service_level_ratio{queue="operators"} 0.5
# HELP hotline_queue_average_speed_of_answer_seconds Average wait of answered callers, since start.
# TYPE hotline_queue_average_speed_of_answer_seconds gauge
hotline_queue_average_speed_of_answer_seconds{queue="operators"} 5
`
	names := []string{"hotline_queue_callers_waiting", "hotline_queue_longest_wait_seconds", "hotline_queue_calls_offered_total",
		"hotline_queue_calls_answered_total", "hotline_queue_calls_answered_within_service_level_total",
		"hotline_queue_calls_abandoned_total", "hotline_queue_service_level_ratio", "hotline_queue_average_speed_of_answer_seconds"}
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), names...); err != nil {
		t.Fatal(err)
	}
	ops := `
# HELP hotline_queue_operators Operators of a queue by state.
# TYPE hotline_queue_operators gauge
hotline_queue_operators{queue="operators",state="available"} 0
hotline_queue_operators{queue="operators",state="logged_out"} 1
hotline_queue_operators{queue="operators",state="on_call"} 1
hotline_queue_operators{queue="operators",state="paused"} 0
hotline_queue_operators{queue="operators",state="ringing"} 0
hotline_queue_operators{queue="operators",state="wrap_up"} 0
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(ops), "hotline_queue_operators"); err != nil {
		t.Fatal(err)
	}
	if n := testutil.CollectAndCount(reg, "hotline_queue_wait_seconds"); n != 2 {
		t.Fatalf("wait histograms: %d series, want answered and abandoned", n)
	}
}

// BenchmarkDispatch measures the dispatcher alone: callers joining, an
// operator's offer accepted, the call released (no wrap-up), with five
// operators and every caller on its own goroutine.
func BenchmarkDispatch(b *testing.B) {
	q := QueueConfig{Name: "operators", WrapUp: 0, MaxLength: 1 << 20, RingTimeout: time.Minute}
	d, err := New(Config{Queues: []QueueConfig{q}, Operators: ops("a", "b", "c", "d", "e"), Log: quietLog()})
	if err != nil {
		b.Fatal(err)
	}
	for _, id := range []string{"a", "b", "c", "d", "e"} {
		d.Login(id)
	}
	lat := make(chan time.Duration, b.N)
	b.ResetTimer()
	var n int64
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			id := atomicAdd(&n)
			start := time.Now()
			w, err := d.Join(JoinRequest{CallID: id, Queue: "operators"})
			if err != nil {
				b.Error(err)
				return
			}
			for {
				<-w.Offers()
				offers := w.TakeOffers()
				if len(offers) > 0 {
					w.Accept(offers[0])
					break
				}
			}
			lat <- time.Since(start)
			w.Leave(OutcomeAnswered)
		}
	})
	b.StopTimer()
	close(lat)
	reportLatency(b, lat)
}
